"""The main window's plain record pages (the timetable): what each shows from the local cache.

Each is a TablePage: its columns and its loader (run on the database worker, never the GUI thread).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.services import format as fmt
from app.services.profile import PracticeAccess
from app.views.page import TablePage
from app.views.record_table import Column, field

Row = dict[str, Any]


def _capitalised(value: Any) -> str:
    return str(value or "").capitalize()


def load_timetable(ods: str, _today: date | None = None) -> list[Row]:
    from app.services import cache_store  # the database layer loads off the first-paint path
    from app.services.rules import service_name

    rows = cache_store.records(ods, "timetable_event")
    for row in rows:
        code = row.get("service")
        row["service_name"] = row.get("name") or (service_name(code) if code else None)
    return rows


class TimetablePage(TablePage):
    key = "timetable"
    title = "Timetable"
    intro = "Extractions, manual entry windows, declaration deadlines and payment dates."
    kinds = ("timetable_event",)
    empty_text = "The timetable has not been synced yet."
    descending = False
    load = staticmethod(load_timetable)

    def columns(self, access: PracticeAccess | None) -> list[Column[Row]]:
        return [Column("From", field("starts"), fmt.uk_date), Column("To", field("ends"), fmt.uk_date),
                Column("What", field("title")), Column("Kind", field("kind"), _capitalised),
                Column("Service", field("service_name")),
                Column("Achievement date", field("achievement_date"), fmt.uk_date)]

    def row_key(self, row: Row) -> Any:
        return row.get("id")

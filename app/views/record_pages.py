"""The main window's plain record pages (timetable, users): what each shows from the local cache.

Each page reads the cache through the task runner (never on the GUI thread) and shows the rows in a
sortable, filterable table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.services import cache_store, tasks
from app.services import format as fmt
from app.services.profile import USER_ADMINISTRATOR, PracticeAccess
from app.services.rules import service_name
from app.views import fonts
from app.views.record_table import Column, RecordTable, field

Row = dict[str, Any]


def _with_service_names(rows: list[Row]) -> list[Row]:
    for row in rows:
        code = row.get("service")
        row["service_name"] = row.get("name") or (service_name(code) if code else None)
    return rows



def _capitalised(value: Any) -> str:
    return str(value or "").capitalize()


def load_timetable(ods: str) -> list[Row]:
    return _with_service_names(cache_store.records(ods, "timetable_event"))


def load_users(ods: str) -> list[Row]:
    rows = cache_store.records(ods, "user")
    for row in rows:
        row["name"] = f"{row.get('first_name', '')} {row.get('last_name', '')}".strip()
        pending = [f"{role} (waiting for a second administrator)" for role in row.get("pending_roles", [])]
        row["role_list"] = ", ".join([*row.get("roles", []), *pending])
    return rows


# --- the pages ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PageSpec:
    key: str  # also the screenshot file name
    title: str
    intro: str
    load: Callable[[str], list[Row]]
    columns: Callable[[PracticeAccess], Sequence[Column]]
    empty: str
    kinds: tuple[str, ...]  # feed record types whose change reloads the page
    sort_column: int = 0
    descending: bool = True
    needs_role: str | None = None


def _timetable_columns(_access: PracticeAccess) -> list[Column]:
    return [Column("From", field("starts"), fmt.uk_date), Column("To", field("ends"), fmt.uk_date),
            Column("What", field("title")), Column("Kind", field("kind"), _capitalised),
            Column("Service", field("service_name")),
            Column("Achievement date", field("achievement_date"), fmt.uk_date)]


def _user_columns(_access: PracticeAccess) -> list[Column]:
    return [Column("Name", field("name")), Column("Email", field("email")),
            Column("Roles", field("role_list")),
            Column("Status", field("status"), _capitalised), Column("Work phone", field("work_phone"))]


PAGES: tuple[PageSpec, ...] = (
    PageSpec("timetable", "Timetable", "Extractions, manual entry windows, declaration deadlines and "
             "payment dates.", load_timetable, _timetable_columns, "The timetable has not been synced yet.",
             ("timetable_event",), 0, False),
    PageSpec("users", "Users", "People who can use CQRS for this practice, and their roles.", load_users,
             _user_columns, "No users have been synced yet.", ("user",), 0, False, USER_ADMINISTRATOR),
)


class RecordsPage(QWidget):
    """A heading, one line saying what the page holds, and the table of cached records."""

    loaded = Signal()

    def __init__(self, spec: PageSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.setObjectName(f"page-{spec.key}")
        self._access: PracticeAccess | None = None
        heading = QLabel(spec.title)
        heading.setObjectName("pageHeading")
        fonts.relative(heading, fonts.HEADING, bold=True)
        intro = QLabel(spec.intro)
        intro.setWordWrap(True)
        self.kinds = spec.kinds
        self.table = RecordTable(spec.columns(PracticeAccess("", "", ())), name=spec.title.lower(),
                                 empty_message=spec.empty)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)

    def show_practice(self, access: PracticeAccess | None) -> None:
        """Read this page's records for ``access`` from the cache (in the background) and show them."""
        self._access = access
        if access is None:
            self.table.set_empty_message("Sign in to see your practice's records.")
            self.table.set_rows([])
            self.loaded.emit()
            return
        if self.spec.needs_role and not access.has(self.spec.needs_role):
            self.table.set_empty_message(f"Only people with the {self.spec.needs_role} role for "
                                         f"{access.name} can see this page.")
            self.table.set_rows([])
            self.loaded.emit()
            return
        self.table.set_empty_message(self.spec.empty)
        self.table.model.set_columns(self.spec.columns(access))
        ods = access.ods
        tasks.run(lambda: self.spec.load(ods), lambda rows: self._show(ods, rows),
                  lambda _error: self.loaded.emit())

    def reload(self) -> None:
        self.show_practice(self._access)

    def _show(self, ods: str, rows: list[Row]) -> None:
        if self._access is None or self._access.ods != ods:
            return  # the practice changed while this was loading; a newer load is on its way
        self.table.set_rows(rows)
        if self.table.proxy.sortColumn() < 0:
            order = Qt.SortOrder.DescendingOrder if self.spec.descending else Qt.SortOrder.AscendingOrder
            self.table.view.sortByColumn(self.spec.sort_column, order)
        self.loaded.emit()

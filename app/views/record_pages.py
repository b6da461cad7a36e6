"""The main window's record pages: what each shows from the local cache, and in which columns.

Each page reads the cache through the task runner (never on the GUI thread) and shows the rows in a
sortable, filterable table. Money columns appear only for users with the Finance View role.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.services import cache_store, outbox, tasks
from app.services.profile import FINANCE_VIEW, USER_ADMINISTRATOR, PracticeAccess
from app.views import fonts
from app.views import format as fmt
from app.views.record_table import Column, RecordTable, field

Row = dict[str, Any]
RULES_YEARS = ("2025-26", "2024-25")


@lru_cache(maxsize=1)
def service_names() -> dict[str, str]:
    """Service code -> name from the shipped rules (newest year wins), plus QOF itself."""
    from app.services.rules import RulesError, load_rules  # read on a worker, after the first paint

    names = {"QOF": "Quality and Outcomes Framework", "NCD": "Network Contract DES"}
    for year in reversed(RULES_YEARS):
        try:
            names.update({code: service.name for code, service in load_rules(year).services.items()})
        except RulesError:
            continue
    return names


def _with_service_names(rows: list[Row]) -> list[Row]:
    names = service_names()
    for row in rows:
        code = row.get("service")
        row["service_name"] = row.get("name") or names.get(code, code)
    return rows


def _yes_no(value: Any) -> str:
    return "" if value is None else ("Yes" if value else "No")


def _capitalised(value: Any) -> str:
    return str(value or "").capitalize()


def _money_column(title: str, name: str) -> Column:
    return Column(title, field(name), fmt.money, numeric=True)


# --- loaders: run on the database worker, return plain dicts ----------------------------------------

def load_manual_entries(ods: str) -> list[Row]:
    rows = _with_service_names(cache_store.records(ods, "manual_entry"))
    for row in rows:
        row["summary"] = _values(row.get("values"))
        row["where"] = "CQRS"
    drafts = [{"service": d.service, "achievement_date": d.achievement_date.isoformat(), "status": "draft",
               "summary": _values(d.values), "updated_at": d.updated_at.isoformat(), "where": "This PC only"}
              for d in outbox.drafts(ods)]
    return rows + _with_service_names(drafts)


def _values(values: Any) -> str:
    if not isinstance(values, Mapping):
        return ""
    return ", ".join(f"{name.replace('_', ' ').title()}: {value}" for name, value in sorted(values.items()))


def load_declarations(ods: str) -> list[Row]:
    return _with_service_names(cache_store.records(ods, "declaration"))


def load_offers(ods: str) -> list[Row]:
    return _with_service_names(cache_store.records(ods, "offer"))


def load_timetable(ods: str) -> list[Row]:
    return _with_service_names(cache_store.records(ods, "timetable_event"))


def load_users(ods: str) -> list[Row]:
    rows = cache_store.records(ods, "user")
    for row in rows:
        row["name"] = f"{row.get('first_name', '')} {row.get('last_name', '')}".strip()
        row["role_list"] = ", ".join(row.get("roles", []))
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


def _manual_entry_columns(_access: PracticeAccess) -> list[Column]:
    return [Column("Achievement date", field("achievement_date"), fmt.uk_date),
            Column("Service", field("service_name")), Column("Values", field("summary")),
            Column("Status", field("status"), _capitalised),
            Column("Held", field("where")), Column("Last changed", field("updated_at"), fmt.uk_datetime),
            Column("Reason refused", field("rejection_reason"))]


def _declaration_columns(access: PracticeAccess) -> list[Column]:
    columns = [Column("Achievement date", field("achievement_date"), fmt.uk_date),
               Column("Service", field("service_name")), Column("Status", field("status")),
               Column("Points", field("points"), fmt.points, numeric=True)]
    if access.has(FINANCE_VIEW):
        columns.append(_money_column("Payment", "payment"))
    return columns + [Column("Declared", field("declared_at"), fmt.uk_date),
                      Column("Last change", field("updated_at"), fmt.uk_datetime)]


def _offer_columns(_access: PracticeAccess) -> list[Column]:
    return [Column("Service", field("service_name")), Column("Status", field("status"), _capitalised),
            Column("From", field("start_date"), fmt.uk_date), Column("To", field("end_date"), fmt.uk_date),
            Column("Respond by", field("response_deadline"), fmt.uk_date),
            Column("Participation only", field("participation_only"), _yes_no),
            Column("Responded", field("responded_at"), fmt.uk_date)]


def _timetable_columns(_access: PracticeAccess) -> list[Column]:
    return [Column("From", field("starts"), fmt.uk_date), Column("To", field("ends"), fmt.uk_date),
            Column("What", field("title")), Column("Kind", field("kind"), _capitalised),
            Column("Service", field("service_name")),
            Column("Achievement date", field("achievement_date"), fmt.uk_date)]


def _user_columns(_access: PracticeAccess) -> list[Column]:
    return [Column("Name", field("name")), Column("Email", field("email")),
            Column("Roles", field("role_list")),
            Column("Active", field("active"), _yes_no), Column("Activated", field("activated"), _yes_no),
            Column("Work phone", field("work_phone"))]


PAGES: tuple[PageSpec, ...] = (
    PageSpec("manual-entry", "Manual entry", "Values entered by hand for services CQRS cannot extract, "
             "including drafts kept on this PC until they are sent.", load_manual_entries,
             _manual_entry_columns, "No manual entries yet.", ("manual_entry", "outbox")),
    PageSpec("declarations", "Declarations", "Achievement declared to the commissioner, and where each "
             "declaration has got to.", load_declarations, _declaration_columns,
             "Nothing has been declared for this practice yet.", ("declaration",)),
    PageSpec("offers", "Offers", "Services the commissioner has offered this practice.", load_offers,
             _offer_columns, "The commissioner has not offered any services yet.", ("offer",), 2),
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

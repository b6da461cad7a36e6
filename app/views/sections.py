"""The window's sections and their pages: which page each section shows, imported and built on first use."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from app.services.profile import PracticeAccess
from app.services.rules import FINANCE_VIEW
from app.views.page import Page


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    page: str  # "module:Class" of its Page, imported when the section is first shown
    needs_role: str | None = None  # listed, and shown, only to people with this role at the practice


SECTION_PAGES = (
    Section("dashboard", "Dashboard", "app.views.dashboard_page:DashboardPage"),
    Section("manual-entry", "Manual entry", "app.views.manual_entry_page:ManualEntryPage"),
    Section("declarations", "Declarations", "app.views.declarations_page:DeclarationsPage"),
    Section("income", "Income", "app.views.income_page:IncomePage", needs_role=FINANCE_VIEW),
    Section("offers", "Offers", "app.views.offers_page:OffersPage"),
    Section("timetable", "Timetable", "app.views.timetable_page:TimetablePage"),
    Section("users", "Users", "app.views.users_page:UsersPage"),
    Section("settings", "Settings", "app.views.settings_page:SettingsPage"),
    Section("help", "Help", "app.views.help_page:HelpPage"),
)
SECTIONS = tuple((section.key, section.title) for section in SECTION_PAGES)
# The pages' modules, e.g. to import in the background after the first paint (importing creates no widget).
PAGE_MODULES = tuple(dict.fromkeys(section.page.split(":")[0] for section in SECTION_PAGES))


def hidden_sections(access: PracticeAccess | None) -> frozenset[str]:
    """The keys of the sections not listed for ``access`` (signed out: every section that needs a role)."""
    return frozenset(section.key for section in SECTION_PAGES if section.needs_role is not None
                     and (access is None or not access.has(section.needs_role)))


def import_pages() -> None:
    """On a worker: import every page's module (importing creates no widget), so that a first visit
    to a page only builds it."""
    for module in PAGE_MODULES:
        importlib.import_module(module)


def page_class(section: Section) -> type[Page]:
    module, name = section.page.split(":")
    page = getattr(importlib.import_module(module), name)
    assert issubclass(page, Page) and page.key == section.key, section
    return page


class Pages(Mapping[str, Page]):
    """The window's pages by section key; a page is built the first time it is asked for."""

    def __init__(self, build: Callable[[str], Page]) -> None:
        self._build = build
        self._built: dict[str, Page] = {}

    def __getitem__(self, key: str) -> Page:
        page = self._built.get(key)
        if page is None:
            if key not in dict(SECTIONS):
                raise KeyError(key)
            page = self._built[key] = self._build(key)
        return page

    def __iter__(self) -> Iterator[str]:
        return (key for key, _title in SECTIONS)

    def __len__(self) -> int:
        return len(SECTIONS)

    def built(self) -> dict[str, Page]:
        """The pages built so far (the others have nothing to update)."""
        return dict(self._built)

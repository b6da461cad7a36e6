"""The Settings page: this PC's settings, generated from their declarations in app.settings, and the
practice's own settings as CQRS holds them (read-only).

Every declared setting with a ``group`` gets a control made from its declaration (a list of its choices,
a number within its limits, a tick box or a text box) with its label and help line: declaring a setting
is all it takes to show it here. A change is stored at once (the file is written in the background) and
applied by whoever watches that setting; the text size is applied here, to the open window.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import settings
from app.services.profile import PracticeAccess
from app.services.record_types import PRACTICE
from app.services.site_config import SETTING_KEYS as SITE_SETTINGS
from app.services.site_config import SiteConfig
from app.site_settings import SiteSettings
from app.views import fonts
from app.views.page import Page

CHANGED_BY = ("It is held by CQRS, so it is the same on every PC and cannot be changed here. The practice's "
              "User Administrator, or the commissioner's Advanced User Administrator, can change it; turning "
              "it off needs a second administrator to agree.")
SITE_LOCKED = "Set by your practice, so it cannot be changed here."
RULE_TEXT = {
    True: "Required: a second person (Declaration Management or Supervisor) checks each manual entry "
          "before it is sent.",
    False: "Not required: manual entries are sent without a second person's check.",
}


def load_practice_settings(ods: str) -> dict[str, Any] | None:
    """On the database worker: the practice record as last synced (None before the first sync)."""
    from app.services import cache_store  # the database layer loads off the first-paint path

    return cache_store.record(ods, PRACTICE, ods)


def control_for(setting: settings.Setting[Any], value: Any, changed: Callable[[Any], None]) -> QWidget:
    """The control a declaration asks for, showing ``value``; ``changed(new value)`` when the user is done."""
    if setting.choices:
        combo = QComboBox()
        for choice, label in setting.choices:
            combo.addItem(label, choice)
        combo.setCurrentIndex(max(0, combo.findData(value)))
        combo.activated.connect(lambda index: changed(combo.itemData(index)))
        return combo
    if setting.type is bool:
        box = QCheckBox()
        box.setChecked(bool(value))
        box.toggled.connect(changed)
        return box
    if setting.type in (int, float):
        spin: QSpinBox | QDoubleSpinBox = QSpinBox() if setting.type is int else QDoubleSpinBox()
        spin.setRange(setting.minimum if setting.minimum is not None else -10**6,  # type: ignore[arg-type]
                      setting.maximum if setting.maximum is not None else 10**6)
        spin.setValue(value)
        spin.setSuffix(f" {setting.unit}" if setting.unit else "")
        spin.setKeyboardTracking(False)  # typing "30" is one change, not "3" then "30"
        spin.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.UpDownArrows)
        spin.valueChanged.connect(changed)
        return spin
    line = QLineEdit("" if value is None else str(value))
    line.editingFinished.connect(lambda: changed(line.text()))
    return line


def site_box(site: SiteConfig) -> QGroupBox:
    """What the practice's site file sets, read-only: shown so nobody hunts for a control to change it."""
    box = QGroupBox("Set by your practice")
    box.setAccessibleName("Set by your practice")
    form = QFormLayout(box)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    intro = QLabel(f"Your practice's IT support set these for every PC in {site.path}. They cannot be "
                   "changed here; if one is wrong, ask your IT support.")
    intro.setWordWrap(True)
    form.addRow(intro)
    rows = [(setting.label, setting.describe(site.values[setting.key]))
            for setting in SITE_SETTINGS.values() if setting.key in site.values]
    if site.help_desk_from_site:
        desk = site.help_desk
        rows.append(("Help desk", f"{desk.telephone}, {desk.email}, {desk.hours}"))
    for name, value in rows:
        shown = QLabel(value)
        shown.setWordWrap(True)
        shown.setAccessibleName(name)
        shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(QLabel(name), shown)
    return box


class SettingsPage(Page):
    key = "settings"
    title = "Settings"
    intro = "Settings for this PC. A change is saved and used at once."
    per_practice = False  # this PC's settings are there signed in or not; the practice part follows access
    kinds = (PRACTICE,)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store: settings.Settings | None = None
        self.controls: dict[str, QWidget] = {}
        self._applied_scale = 1.0
        self.problems = QLabel()
        self.problems.setObjectName("errorText")
        self.problems.setProperty("kind", "error")
        self.problems.setWordWrap(True)
        self.problems.setAccessibleName("Settings problems")
        self.problems.hide()
        self.own = QVBoxLayout()
        self.rule = QLabel()
        self.rule.setWordWrap(True)
        self.rule.setAccessibleName("Second-person check")
        who = QLabel(CHANGED_BY)
        who.setWordWrap(True)
        self.practice_box = QGroupBox("Your practice (held by CQRS)")
        practice_layout = QVBoxLayout(self.practice_box)
        caption = QLabel("Second-person check of manual entries")
        fonts.relative(caption, 1.0, bold=True)
        for widget in (caption, self.rule, who):
            practice_layout.addWidget(widget)

        content = QWidget()
        column = QVBoxLayout(content)
        column.addWidget(self.problems)
        column.addLayout(self.own)
        column.addWidget(self.practice_box)
        column.addStretch(1)
        scroll = QScrollArea()  # at large text sizes the page scrolls rather than squashing
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        self.body_layout.addWidget(scroll, 1)

    def use_store(self, store: settings.Settings) -> None:
        """Show ``store``'s settings (the window's): one group box per group of declared settings."""
        self.store = store
        self._applied_scale = store.get(settings.TEXT_SCALE)  # what start-up applied
        store.watch(settings.TEXT_SCALE, self._text_scale_changed)
        groups = list(settings.GROUPS) + sorted({s.group for s in settings.SETTINGS.values() if s.group}
                                                - set(settings.GROUPS))
        for group in groups:
            declared = [s for s in settings.SETTINGS.values() if s.group == group]
            if not declared:
                continue
            box = QGroupBox(group)
            form = QFormLayout(box)
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
            for setting in declared:
                control = control_for(setting, store.get(setting),
                                      lambda value, setting=setting: self.change(setting, value))
                control.setAccessibleName(setting.label)
                control.setObjectName(f"setting-{setting.key}")
                self.controls[setting.key] = control
                label = QLabel(setting.label)
                label.setBuddy(control)
                form.addRow(label, control)
                locked = isinstance(store, SiteSettings) and store.locked(setting)
                control.setEnabled(not locked)  # the practice's site file sets it for every PC
                if setting.help or locked:
                    help_line = QLabel(f"{SITE_LOCKED} {setting.help}" if locked else setting.help)
                    help_line.setWordWrap(True)
                    help_line.setObjectName("settingHelp")
                    form.addRow(help_line)
            self.own.addWidget(box)
        if isinstance(store, SiteSettings) and (store.site.values or store.site.help_desk_from_site):
            self.own.addWidget(site_box(store.site))
        self._show_problems()

    def change(self, setting: settings.Setting[Any], value: Any) -> None:
        """Store ``value`` (saved in the background) and say so, or say why it is refused."""
        if self.store is None:
            return
        try:
            self.store.set(setting, value)
        except settings.SettingError:
            still = setting.describe(self.store.get(setting))
            self.show_message(f"{setting.describe(value)} is not allowed for “{setting.label}” "
                              f"({setting.problem(value)}). It is still {still}.", "error")
            return
        self.show_message(f"Saved: {setting.label} is now {setting.describe(self.store.get(setting))}.")
        self._show_problems()

    # --- the page contract ---------------------------------------------------------------------------

    def show_practice(self, access: PracticeAccess | None) -> None:
        self.access = access
        self.reload()  # every time: the practice part follows the practice shown

    def loader(self, access: PracticeAccess | None, today: date) -> Callable[[], dict[str, Any] | None]:
        ods = access.ods if access is not None else None
        return (lambda: load_practice_settings(ods)) if ods is not None else (lambda: None)

    def show_result(self, result: dict[str, Any] | None) -> None:
        access = self.access
        if access is None:
            self.practice_box.setTitle("Your practice (held by CQRS)")
            self.rule.setText("Sign in to see your practice's settings.")
            return
        self.practice_box.setTitle(f"{access.name} (held by CQRS)")
        if result is None:
            self.rule.setText("Not known yet: it arrives with the first sync. Press Sync now (F5).")
            return
        self.rule.setText(RULE_TEXT[bool(result.get("second_person_required"))])

    # --- internals -----------------------------------------------------------------------------------

    def _text_scale_changed(self, scale: float) -> None:
        fonts.scale_text(scale, current=self._applied_scale)
        self._applied_scale = scale

    def _show_problems(self) -> None:
        problems = self.store.problems() if self.store is not None else []
        self.problems.setText("\n".join(problems))
        self.problems.setVisible(bool(problems))

"""Help on every screen: a help page exists for each page, F1 and each page's Help button open it, the
help window searches and follows links, the help desk's contact comes from the site configuration, the
worked example agrees with the calculation, the settings page shows the site's values read-only, and
the Help page's diagnostics and About dialog work."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QGroupBox, QLabel

from app import settings, site_settings
from app.services import calculation, help_texts, rules, site_config
from app.services import format as fmt
from app.views import help_window
from app.views.about_dialog import AboutDialog
from app.views.help_page import HelpPage
from app.views.main_window import MainWindow
from app.views.sections import SECTION_PAGES
from app.views.settings_page import SITE_LOCKED, SettingsPage


@pytest.fixture
def site() -> Iterator[None]:
    """The standard help desk (no site file), whatever this machine has."""
    site_config.use(site_config.SiteConfig(None))
    yield
    site_config.use(site_config.SiteConfig(None))


@pytest.fixture
def window(fresh_hub, qtbot, app_data_dir, site) -> Iterator[MainWindow]:
    shown = MainWindow(settings.load())
    qtbot.addWidget(shown)
    yield shown
    if help_window._window is not None:
        help_window._window.close()
        help_window._window.deleteLater()
        help_window._window = None


def open_help(qtbot, key: str) -> help_window.HelpWindow:
    qtbot.waitUntil(lambda: help_window._window is not None and help_window._window.topic == key,
                    timeout=5000)
    assert help_window._window is not None
    return help_window._window


def test_a_help_page_exists_for_each_page() -> None:
    assert [key for key, _title in help_texts.SCREEN_TOPICS] == [section.key for section in SECTION_PAGES]
    for section in SECTION_PAGES:
        text = (help_texts.HELP_DIR / f"{section.key}.md").read_text(encoding="utf-8")
        assert text.startswith(f"# {section.title}\n"), section.key
        assert len(text.split()) > 40, f"{section.key}: too short to explain the screen"
    for key, _title in help_texts.TOPICS:
        assert (help_texts.HELP_DIR / f"{key}.md").is_file(), key


def test_every_link_between_topics_names_a_topic() -> None:
    import re

    for key, _title in help_texts.TOPICS:
        for target in re.findall(r"\]\(([^)]+)\)", help_texts.read(key)):
            assert target.removesuffix(".md") in help_texts.TITLES, f"{key} links to {target}"


@pytest.mark.parametrize("section", ["dashboard", "declarations", "users", "help"])
def test_f1_opens_the_help_of_the_page_on_screen(qtbot, window: MainWindow, section: str) -> None:
    window.show()
    qtbot.waitExposed(window)
    window.windowHandle().requestActivate()  # shortcuts go to the active window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    window.show_section(section)
    qtbot.waitUntil(lambda: window.current_section() == section)
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_F1)  # as a real key press: through the shortcut map
    shown = open_help(qtbot, section)
    title = help_texts.TITLES[section]
    assert shown.browser.toPlainText().startswith(title)
    assert shown.contents.currentItem().text() == title
    assert shown.isVisible()


def test_a_pages_help_button_opens_its_topic(qtbot, window: MainWindow) -> None:
    window.show()
    window.show_section("offers")
    page = window.pages["offers"]
    qtbot.waitUntil(page.help_button.isVisible)
    qtbot.mouseClick(page.help_button, Qt.MouseButton.LeftButton)
    assert "Accept" in open_help(qtbot, "offers").browser.toPlainText()


def test_search_filters_the_contents_and_links_open_topics(qtbot, window: MainWindow) -> None:
    shown = help_window.show_help("dashboard", window)
    open_help(qtbot, "dashboard")
    shown.search.setText("aspiration")
    qtbot.waitUntil(lambda: shown.found.isVisible(), timeout=3000)
    visible = {shown.contents.item(r).data(Qt.ItemDataRole.UserRole) for r in range(shown.contents.count())
               if not shown.contents.item(r).isHidden()}
    assert "yearly-cycle" in visible and "users" not in visible
    qtbot.waitUntil(lambda: shown.topic in visible)
    shown.search.setText("zzzznothing")
    qtbot.waitUntil(lambda: "No topic contains" in shown.found.text(), timeout=3000)
    shown.search.clear()
    qtbot.waitUntil(lambda: not shown.found.isVisible(), timeout=3000)
    shown.show_topic("dashboard")
    open_help(qtbot, "dashboard")
    shown.browser.anchorClicked.emit(shown.browser.source().resolved("coding.md"))
    assert open_help(qtbot, "coding").browser.toPlainText().startswith("Wrong codes cost money")


def test_the_help_desk_contact_comes_from_the_site_configuration(tmp_path: Path, site) -> None:
    standard = help_texts.read("contact")
    assert "0800 440 2777 (freephone)" in standard and "support@cqrs.co.uk" in standard
    assert "08:00 to 18:00, excluding public holidays" in standard
    path = tmp_path / "site.toml"
    path.write_text('[help_desk]\ntelephone = "0113 496 0000"\nemail = "it@riverside.nhs.uk"\n', "utf-8")
    site_config.use(site_config.load(path))
    ours = help_texts.read("contact")
    assert "0113 496 0000" in ours and "it@riverside.nhs.uk" in ours and "0800 440 2777" not in ours
    assert "0113 496 0000" in help_texts.read("guide")


def test_the_worked_example_agrees_with_the_calculation() -> None:
    rule_set = rules.rules_for("2026-27")
    assert rule_set is not None
    indicator = rule_set.indicators["DM020"]
    per_point = calculation.pounds_per_point(indicator, 8000, {"DM": 560}, rule_set.constants)
    counts = calculation.IndicatorCounts("DM020", 330, 500)
    result = calculation.indicator_result(indicator, counts, per_point)
    text = help_texts.read("qof-points")
    for figure in (fmt.points(result.points) + " points", fmt.money(per_point), fmt.money(result.payment),
                   fmt.money(result.payment_at_max), fmt.money(result.payment_at_max - result.payment),
                   fmt.money(result.gbp_next_patient), f"**{result.patients_to_upper_threshold} more**",
                   f"**{fmt.money(rule_set.constants.value_per_point_gbp)}**"):
        assert figure in text, figure


def test_site_values_are_shown_read_only_on_the_settings_page(qtbot, fresh_hub, tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text('server_url = "https://cqrs.riverside.nhs.uk"\nsync_interval_minutes = 30\n'
                    '[help_desk]\ntelephone = "0113 496 0000"\n', "utf-8")
    store = site_settings.load(site_config.load(path), tmp_path / "settings.json")
    page = SettingsPage()
    qtbot.addWidget(page)
    page.use_store(store)
    assert not page.controls[settings.SYNC_INTERVAL_MINUTES.key].isEnabled()
    assert page.controls[settings.TEXT_SCALE.key].isEnabled()
    box = next(b for b in page.findChildren(QGroupBox) if b.title() == "Set by your practice")
    texts = [label.text() for label in box.findChildren(QLabel)]
    assert "https://cqrs.riverside.nhs.uk" in texts and "30 minutes" in texts
    assert any("0113 496 0000" in t for t in texts) and any(str(path) in t for t in texts)
    assert any(SITE_LOCKED in label.text() for label in page.findChildren(QLabel))


def test_no_site_file_no_site_box(qtbot, fresh_hub, tmp_path: Path) -> None:
    page = SettingsPage()
    qtbot.addWidget(page)
    page.use_store(site_settings.load(site_config.SiteConfig(None), tmp_path / "settings.json"))
    assert all(b.title() != "Set by your practice" for b in page.findChildren(QGroupBox))
    assert page.controls[settings.SYNC_INTERVAL_MINUTES.key].isEnabled()


def test_about_lists_versions_and_licences(qtbot, fresh_hub) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.table.rowCount() > 0, timeout=5000)
    rows = {dialog.table.item(r, 0).text().lower(): dialog.table.item(r, 2).text()
            for r in range(dialog.table.rowCount())}
    assert "LGPL" in rows["shiboken6"]
    assert rows["requests"] == "Apache-2.0"
    assert "Version " in dialog.versions.text() and "Qt 6" in dialog.versions.text()


def test_help_page_copies_and_saves_diagnostics(qtbot, fresh_hub, app_data_dir, site, tmp_path) -> None:
    page = HelpPage()
    qtbot.addWidget(page)
    page.owner = None
    page.copy_diagnostics()
    qtbot.waitUntil(lambda: "Diagnostics copied" in page.message.text(), timeout=5000)
    copied = QApplication.clipboard().text()
    assert "App version" in copied and "Signed in: nobody" in copied
    out = tmp_path / "bundle.zip"
    page.save_support_bundle(str(out))
    qtbot.waitUntil(lambda: "Support bundle saved" in page.message.text(), timeout=5000)
    assert "support@cqrs.co.uk" in page.message.text()
    assert "diagnostics.txt" in zipfile.ZipFile(out).namelist()
    blocked = tmp_path / "a-file"
    blocked.write_text("", "utf-8")
    page.save_support_bundle(str(blocked / "bundle.zip"))
    qtbot.waitUntil(lambda: "That did not work" in page.message.text(), timeout=5000)

"""Every page, dialog and chart of the demo stays usable at 1024×768 at each text size (100% to 200%).

The demo service is seeded, signed in to and synced once (its cache copied for each test); each text size
opens a new window on that cache, as start-up at that size does, and visits every page and every tab.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
import text_size_checks as checks
from app_fixtures import MemoryKeyring
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QTabWidget, QWidget

from app import paths, settings
from app.models import database
from app.services import tasks
from app.services.profile import Profile
from app.signals import reset_hub
from app.views.main_window import SECTIONS, MainWindow
from app.views.sign_in_dialog import SignInDialog

SCREEN = QRect(0, 0, 1024, 768)
SCALES = [1.0, 1.25, 1.5, 1.75, 2.0]
# Pages whose owners are reworking them in this round: what fails there is reported (the test is then
# marked xfail with the details) rather than failing the build. Remove a key once its page passes.
OWNED_ELSEWHERE: set[str] = set()
LONG_ERROR = ("The CQRS service at https://cqrs.example.nhs.uk could not be reached. Check that this PC "
              "is connected to the NHS network, then try again. If it keeps happening, tell your practice's "
              "IT support: the service may be down for maintenance.")


@pytest.fixture(scope="module")
def demo_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Profile]]:
    """The demo practice manager's data folder after a first sync of the demo service."""
    from app import demo_server
    from app.services.auth import Auth
    from app.services.secrets import TokenStore
    from app.services.sync import SyncEngine

    folder = tmp_path_factory.mktemp("demo-desktop")
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    paths.configure(folder / "data")
    database.open_cache()
    server = demo_server.start(folder / "server")
    try:
        auth = Auth(server.base_url, TokenStore(), ca_file=server.ca_path,
                    token_scope=demo_server.DEMO_TOKEN_SCOPE)
        profile = auth.sign_in(demo_server.DEMO_EMAIL, server.password)
        SyncEngine(auth).run([practice.ods for practice in profile.practices])
        auth.close()
    finally:
        server.stop()
        database.close_cache()
        paths.configure(None)
        keyring.set_keyring(previous)
    yield folder / "data", profile


@pytest.fixture
def demo_window(demo_cache, tmp_path: Path, qtbot) -> Iterator[tuple[MainWindow, Profile]]:
    data, profile = demo_cache
    shutil.copytree(data, tmp_path / "data")
    paths.configure(tmp_path / "data")
    database.open_cache()
    reset_hub()
    window = MainWindow(settings.load())
    qtbot.addWidget(window)
    window.resize(SCREEN.width(), SCREEN.height())
    with qtbot.waitSignal(window.ready, timeout=10_000):
        window.show_profile(profile, profile.practices[0].ods)
        window.show()
    yield window, profile
    window.close()
    tasks.wait_for_idle()
    tasks.shutdown()
    reset_hub()
    database.close_cache()
    paths.configure(None)


def settle(seconds: float = 0.4) -> None:
    """Loads answered, layout timers and chart drawings done."""
    assert tasks.wait_for_idle(20.0)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    assert tasks.wait_for_idle(20.0)
    QApplication.processEvents()


def every_tab(window: MainWindow) -> Iterator[str]:
    """Each tab of each tab widget on the page on screen in turn (the page itself first)."""
    yield ""
    page = window.stack.currentWidget()
    for tabs in page.findChildren(QTabWidget):
        if not tabs.isVisible():
            continue
        first = tabs.currentIndex()
        for index in range(tabs.count()):
            if index != first:
                tabs.setCurrentIndex(index)
                settle()
                yield tabs.tabText(index)
        tabs.setCurrentIndex(first)


@pytest.mark.parametrize("text_scale", SCALES, indirect=True, ids=[f"{round(s * 100)}%" for s in SCALES])
def test_every_page_and_dialog_is_usable_at_1024_by_768(qtbot, text_scale, demo_window, tmp_path) -> None:
    window, _profile = demo_window
    assert (window.width(), window.height()) == (SCREEN.width(), SCREEN.height())
    problems: dict[str, list[str]] = {}
    for key, _title in SECTIONS:
        window.show_section(key)
        qtbot.waitUntil(lambda: window.stack.currentWidget().isVisible(), timeout=5000)
        settle()
        for tab in every_tab(window):
            where = f"{key} / {tab}" if tab else key
            if found := checks.everything(window.stack.currentWidget()):
                problems[where] = found
            window.grab().save(str(tmp_path / f"{where.replace(' / ', '-').replace(' ', '_')}.png"))
    # Around the pages: the top bar and sections (every section reachable without scrolling), the status bar.
    window.show_section(SECTIONS[0][0])
    settle()
    nav = window.nav
    around = checks.everything(window.findChild(QWidget, "topBar")) + [
        f"section {nav.item(row).text()!r} is cut or out of view" for row in range(nav.count())
        if not nav.viewport().rect().contains(nav.visualItemRect(nav.item(row)))
        or nav.visualItemRect(nav.item(row)).width() < nav.sizeHintForColumn(0)]
    if around:
        problems["window"] = around
    if found := checks.everything(window.statusBar()):
        problems["status bar"] = found

    dialog = SignInDialog(lambda *_: None, server_url="https://cqrs.example.nhs.uk", parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.show_error(LONG_ERROR, dialog.password)  # the dialog grows with its message
    settle(0.2)
    dialog.grab().save(str(tmp_path / "sign-in.png"))
    if found := checks.dialog(dialog, SCREEN):
        problems["sign-in dialog"] = found

    (tmp_path / "problems.txt").write_text("\n".join(f"{where}: {item}" for where, found in problems.items()
                                                     for item in found), encoding="utf-8")
    ours = {where: found for where, found in problems.items() if where.split(" / ")[0] not in OWNED_ELSEWHERE}
    assert ours == {}, "\n".join(f"{where}: {'; '.join(found)}" for where, found in ours.items())
    if problems:
        pytest.xfail("Pages being reworked elsewhere: " + " | ".join(
            f"{where}: {'; '.join(found)}" for where, found in problems.items()))


@pytest.mark.parametrize("text_scale", [1.0, 2.0], indirect=True, ids=["100%", "200%"])
def test_the_sign_in_dialog_grows_with_its_message_instead_of_squashing_its_fields(qtbot, text_scale) -> None:
    dialog = SignInDialog(lambda *_: None, server_url="https://cqrs.example.nhs.uk")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    before = dialog.height()
    dialog.show_error(LONG_ERROR, dialog.password)
    QApplication.processEvents()

    assert dialog.height() > before
    assert checks.dialog(dialog, SCREEN) == []
    for field in (dialog.server, dialog.email, dialog.password):
        assert field.height() >= field.sizeHint().height()
    assert dialog.error.height() >= dialog.error.heightForWidth(dialog.error.width())

"""``cqrs-desktop``: start-up in a fixed order — arguments, paths, logging, cache schema, QApplication,
the first paint, then the rest.

The first paint is the window the person last saw, drawn from a snapshot of it read with ``sqlite3``
(app.services.snapshot), and only when they count as signed in: their refresh token is in the keyring,
read on a thread of its own while Qt starts. Without it nothing of their cache is shown or opened until
they sign in. A cache that needs migrating is migrated first, as before. SQLAlchemy, the rules,
requests and the pages are imported after that paint, on the database worker, which then opens the
cache; the live window replaces the picture once its page has loaded. Nothing on the way to the first
paint imports matplotlib or the central service (the latter only with ``--demo``), or waits for the
network.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from app import paths, preload, resources, settings, site_settings
from app.logging_setup import setup_logging
from app.models import database
from app.services import site_config
from app.services.secrets import TokenStore
from app.version import app_version

log = logging.getLogger("app.main")
STYLE = resources.path("styles", "app.qss")
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
DESKTOP_FILE = "cqrs-desktop"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="cqrs-desktop", description="CQRS Desktop: QOF, enhanced-service and vaccination achievement "
                                         "and payment for your GP practice.")
    parser.add_argument("--server", metavar="URL", help="the CQRS server address (https://...); remembered")
    parser.add_argument("--ca-file", metavar="PEM", help="an extra trusted certificate authority; remembered")
    parser.add_argument("--data-dir", metavar="DIR", type=Path, help="keep every file here instead of the "
                                                                      "usual per-user folder")
    parser.add_argument("--demo", action="store_true", help="start a local demo CQRS service with demo data "
                                                            "and sign in to it")
    parser.add_argument("--screenshot", metavar="DIR", type=Path, help="after start-up and sync, save a PNG "
                                                                       "of every main view in DIR and exit")
    parser.add_argument("--exit-when-ready", action="store_true", help="exit as soon as the window has been "
                                                                       "painted with cached data")
    parser.add_argument("--version", action="version", version=f"%(prog)s {app_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    bundle = commands.add_parser(
        "support-bundle", help="save a support bundle (a zip for the help desk) without opening the window",
        description="Save what the CQRS help desk asks for in a zip: versions, connection, last sync, "
                    "outbox counts and the last log lines, with passwords, tokens and other people's "
                    "details removed. Works without signing in.")
    bundle.add_argument("--out", metavar="FILE", type=Path, required=True, help="the zip file to write")
    # SUPPRESS: given before the command, these keep their value (argparse's sub-command defaults win).
    bundle.add_argument("--demo", action="store_true", default=argparse.SUPPRESS,
                        help="describe the demo's installation")
    bundle.add_argument("--data-dir", metavar="DIR", type=Path, default=argparse.SUPPRESS,
                        help="the folder given to --data-dir when the app runs")
    from app import ics_cli, report_cli

    report_cli.add_parser(commands)
    ics_cli.add_parser(commands)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    if getattr(sys, "frozen", False):
        # In the bundle, a process the embedded service spawns runs this executable: let it do its job.
        import multiprocessing

        multiprocessing.freeze_support()
    args = parse_args(argv)
    code = _main(args)
    if args.exit_when_ready:
        # Nothing is left to tidy (cache closed, settings and logs flushed by now): skip the interpreter's
        # teardown of every module, which costs more than the start itself.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _main(args: argparse.Namespace) -> int:
    paths.configure(args.data_dir)
    setup_logging()
    site = site_config.load()  # the practice's machine-wide file: wins over the settings and options
    site_config.use(site)
    if args.command == "support-bundle":
        return support_bundle(args.out, site, demo=args.demo)
    if args.command == "export-ics":
        from app import ics_cli

        return ics_cli.run(args, site)
    log.info("CQRS Desktop %s starting; data in %s", app_version(), paths.data_dir())
    for problem in site.problems:
        log.warning("%s", problem)
    store = site_settings.load(site)
    for note in overridden_options(args, site):
        print(f"cqrs-desktop: {note}", file=sys.stderr)
    try:
        if args.server:
            store.set(settings.SERVER_URL, args.server.rstrip("/"))
        if args.ca_file:
            store.set(settings.CA_FILE, str(Path(args.ca_file).expanduser().resolve()))
    except settings.SettingError as error:
        print(f"cqrs-desktop: {error}", file=sys.stderr)
        return 2
    if args.command == "report":
        from app import report_cli

        return report_cli.run(args, store)
    person = last_person(args.demo)
    try:
        database.adopt_shared_cache(person)  # an older version's one cache for everyone
    except OSError as error:
        log.warning("The shared cache of an older version could not be moved (%s)", error)
    tokens = TokenStore()
    session = read_token_in_background(tokens, person)  # the keyring, while Qt starts
    cache = paths.person_dir(*person) / paths.CACHE_FILE if person is not None else None
    if cache is not None and cache.exists() and database.stored_revision(cache) != database.HEAD_REVISION:
        # One an older version left: migrated (after a copy) before the paint, as it may be painted.
        try:
            database.open_cache(cache)
        except Exception as error:
            _cache_failed(error, cache)
            return 1
        finally:
            database.close_cache()  # reopened on the database worker, the one thread that uses it
    return _run_gui(args, store, tokens, person, session)


def overridden_options(args: argparse.Namespace, site: site_config.SiteConfig) -> list[str]:
    """What the site configuration overrides among the options given, said plainly."""
    notes = []
    for option, setting in (("--server", settings.SERVER_URL), ("--ca-file", settings.CA_FILE)):
        if getattr(args, option[2:].replace("-", "_")) and setting.key in site.values:
            notes.append(f"{option} is not used: your practice's site configuration ({site.path}) sets "
                         f"“{setting.label}” to {site.values[setting.key]}. Ask your IT support to change "
                         "it.")
    return notes


def support_bundle(out: Path, site: site_config.SiteConfig, *, demo: bool) -> int:
    """``cqrs-desktop support-bundle``: the zip, with the signed-in person's own details only if the
    keyring still holds their sign-in."""
    from app.services import diagnostics

    person = last_person(demo)
    signed_in = False
    if person is not None:
        try:
            signed_in = read_token_in_background(TokenStore(), person).result(timeout=10)
        except TimeoutError:
            signed_in = False
    server = "the demo CQRS service on this PC" if demo else None
    found = diagnostics.gather(site, person=person, own_email=person[1] if signed_in and person else None,
                               server=server)
    try:
        written = diagnostics.write_bundle(found, out.expanduser().resolve())
    except OSError as error:
        print(f"cqrs-desktop: the support bundle could not be saved as {out} ({error.strerror or error}). "
              "Choose a folder you can write to, for example your Documents folder.", file=sys.stderr)
        return 1
    print(f"Support bundle saved: {written}\nSend this file to the CQRS help desk.")
    return 0


def last_person(demo: bool) -> tuple[str, str] | None:
    """Whose folder the last sign-in used: (server, or the demo's keyring scope; email), from profile.json."""
    from app.services import snapshot as pictures

    saved = pictures.saved_person()
    if saved is None:
        return None
    if demo:  # the demo's port changes every run: its people are kept under one name
        from app.demo_server import DEMO_TOKEN_SCOPE

        return DEMO_TOKEN_SCOPE, saved[1]
    return saved


def read_token_in_background(tokens: TokenStore, person: tuple[str, str] | None) -> Future[bool]:
    """Whether the keyring holds ``person``'s refresh token (they count as signed in), read on a thread
    of its own: finding the keyring and asking it takes as long as Qt's start, so both run at once."""
    found: Future[bool] = Future()
    if person is None:
        found.set_result(False)
        return found

    def read() -> None:
        from app.services.secrets import found_quickly

        try:
            found.set_result(found_quickly(*person) or tokens.load(*person) is not None)
        except Exception as error:  # a broken keyring means "not signed in", never a failed start
            log.warning("The keyring could not be read (%s)", type(error).__name__)
            found.set_result(False)

    threading.Thread(target=read, name="cqrs-keyring", daemon=True).start()
    return found


def _cache_failed(error: BaseException, path: Path | None = None) -> None:
    log.error("The local cache could not be opened", exc_info=(type(error), error, error.__traceback__))
    print(f"cqrs-desktop: the local cache {path or paths.cache_db_path()} could not be opened: {error}",
          file=sys.stderr)


def load_after_first_paint(person: tuple[str, str] | None) -> int:
    """On the database worker, after the first paint: open the signed-in person's cache (none when nobody
    is), requeue their interrupted writes, and import the rest of the app (every page and numpy too)
    here rather than on the GUI thread."""
    from app.services import outbox

    recovered = 0
    if person is not None:
        database.open_person(person)
        recovered = outbox.recover_interrupted()
    import app.shell  # noqa: F401  (the main window, rules and SQLAlchemy models come with it)
    from app.views.main_window import import_pages

    import_pages()
    preload.qt_types()
    preload.numpy()
    return recovered


def _run_gui(args: argparse.Namespace, store: settings.Settings, tokens: TokenStore,
             person: tuple[str, str] | None, session: Future[bool]) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    from app.services.tasks import favour_gui_thread

    favour_gui_thread()
    app.setApplicationName(paths.APP_NAME)
    app.setOrganizationName(paths.ORGANISATION_NAME)
    app.setApplicationVersion(app_version())
    app.setDesktopFileName(DESKTOP_FILE)  # matches installers/linux/cqrs-desktop.desktop
    app.setWindowIcon(application_icon())
    _apply_text_scale(app, store.get(settings.TEXT_SCALE))
    if STYLE.is_file():
        app.setStyleSheet(STYLE.read_text(encoding="utf-8"))

    from app.services import tasks

    state: dict[str, Any] = {}

    def failed(error: BaseException) -> None:
        _cache_failed(error)
        app.exit(1)

    def signed_in_or_not(found: bool) -> bool:
        """Paint the last window if they count as signed in; False when that was all that was asked."""
        picture = _paint_last_session(app, store, person) if found and person is not None else None
        if picture is not None and args.exit_when_ready:
            log.info("Painted the last session's window from the cache; exiting as asked")
            return False

        def opened(recovered: int) -> None:
            if recovered:
                log.info("%d outbox items were interrupted last time and are queued again", recovered)
            state["shell"], state["keeper"] = _start_shell(app, args, store, tokens, picture, found)

        tasks.run(lambda: load_after_first_paint(person if found else None), opened, failed)
        return True

    if session.done():
        if not signed_in_or_not(session.result()):
            return 0
    else:
        when_done(session, lambda found: signed_in_or_not(found) or app.exit(0))
    # Ctrl+C in a terminal (make demo) closes the app cleanly; the timer lets Python notice the signal.
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(300)
    try:
        return app.exec()
    finally:
        if "shell" in state:
            state["keeper"].save_now()  # the window as it is now, also when quitting without closing it
            state["shell"].shutdown()
        tasks.call_db(database.close_cache)  # on its own thread, after the writes queued before quitting
        tasks.shutdown(timeout=3.0)
        log.info("Stopped")


def when_done(future: Future[bool], then: Callable[[bool], object], every_ms: int = 2) -> None:
    """Call ``then(result)`` on the GUI thread once ``future`` (a plain thread's) is done, never waiting."""
    from PySide6.QtCore import QTimer

    def look() -> None:
        if future.done():
            then(future.result())
        else:
            QTimer.singleShot(every_ms, look)

    QTimer.singleShot(0, look)


def _paint_last_session(app: object, store: settings.Settings, person: tuple[str, str]) -> object | None:
    """Paint the window the signed-in person last saw, from its snapshot, before anything heavy loads."""
    from app.services import snapshot as pictures

    shot = pictures.load(pictures.saved_person(), paths.person_dir(*person) / paths.SNAPSHOT_FILE)
    if shot is None or shot.font_size != app.font().pointSizeF():  # type: ignore[attr-defined]
        return None  # never taken, someone else's, or drawn at another text size
    from app.views.snapshot_window import SnapshotWindow

    window = SnapshotWindow(shot, store.get(settings.WINDOW_GEOMETRY))
    window.show()
    window.repaint()
    log.info("Painted the %s page from the last session's snapshot", shot.section)
    return window


def _start_shell(app: object, args: argparse.Namespace, store: settings.Settings, tokens: TokenStore,
                 picture: object | None, signed_in: bool) -> tuple[Any, Any]:
    """On the GUI thread once the cache is open: the live window, in place of the picture if there is one."""
    from PySide6.QtCore import QTimer

    from app.services import snapshot as pictures
    from app.services import tasks
    from app.shell import Shell
    from app.signals import hub
    from app.views.snapshot_window import SnapshotKeeper

    shell = Shell(store, tokens, demo=args.demo, offline=args.exit_when_ready)
    window = shell.window
    keeper = SnapshotKeeper(
        window, [hub().sync_finished, hub().data_changed, window.section_shown, window.sign_out_requested],
        tasks.run, pictures.save, pictures.clear, lambda: tasks.runner().pending > 0, window.current_section)
    if args.exit_when_ready:
        window.ready.connect(lambda: app.exit(0))  # type: ignore[attr-defined]
        shell.start(replacing=picture, signed_in=signed_in)  # type: ignore[arg-type]
        return shell, keeper
    if args.screenshot is not None:
        folder: Path = args.screenshot

        def save_screenshots() -> None:
            from app.views.screenshots import save_all

            saved = save_all(window, folder)
            log.info("Saved %d screenshots in %s", len(saved), folder)
            print("\n".join(str(path) for path in saved))
            app.exit(0)  # type: ignore[attr-defined]

        # Queued: "settled" can come from inside a task's callback, and save_all waits for every task.
        shell.settled.connect(lambda: QTimer.singleShot(0, save_screenshots))
    shell.start(replacing=picture, signed_in=signed_in)  # type: ignore[arg-type]
    return shell, keeper


def application_icon() -> Any:
    """The app's icon at every size drawn from its SVG master (installers/make_icons.py); Qt reads each
    PNG only when a size is first shown."""
    from PySide6.QtGui import QIcon

    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(resources.path("icons", f"cqrs-desktop-{size}.png")))
    return icon


def _apply_text_scale(app: object, scale: float) -> None:
    """Larger text for help-desk screen sharing and people who need it (setting 'Text size')."""
    if scale == 1.0:
        return
    font = app.font()  # type: ignore[attr-defined]
    font.setPointSizeF(font.pointSizeF() * scale)
    app.setFont(font)  # type: ignore[attr-defined]


if __name__ == "__main__":
    raise SystemExit(main())

"""``cqrs-desktop``: start-up in a fixed order — arguments, paths, logging, cache, QApplication, window.

Nothing on the way to the first painted window imports matplotlib or the central service (the latter
only with ``--demo``), and nothing on it waits for the network.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from app import paths, settings
from app.logging_setup import setup_logging
from app.models import database
from app.services import outbox
from app.version import app_version

log = logging.getLogger("app.main")
STYLE = Path(__file__).resolve().parents[1] / "resources" / "styles" / "app.qss"


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
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    paths.configure(args.data_dir)
    setup_logging()
    log.info("CQRS Desktop %s starting; data in %s", app_version(), paths.data_dir())
    store = settings.load()
    try:
        if args.server:
            store.set(settings.SERVER_URL, args.server.rstrip("/"))
        if args.ca_file:
            store.set(settings.CA_FILE, str(Path(args.ca_file).expanduser().resolve()))
    except settings.SettingError as error:
        print(f"cqrs-desktop: {error}", file=sys.stderr)
        return 2
    try:
        database.open_cache()
    except Exception as error:
        log.exception("The local cache could not be opened")
        print(f"cqrs-desktop: the local cache {paths.cache_db_path()} could not be opened: {error}",
              file=sys.stderr)
        return 1
    recovered = outbox.recover_interrupted()
    if recovered:
        log.info("%d outbox items were interrupted last time and are queued again", recovered)
    try:
        return _run_gui(args, store)
    finally:
        database.close_cache()


def _run_gui(args: argparse.Namespace, store: settings.Settings) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.services import tasks
    from app.services.secrets import TokenStore
    from app.shell import Shell

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName(paths.APP_NAME)
    app.setOrganizationName(paths.ORGANISATION_NAME)
    app.setApplicationVersion(app_version())
    _apply_text_scale(app, store.get(settings.TEXT_SCALE))
    if STYLE.is_file():
        app.setStyleSheet(STYLE.read_text(encoding="utf-8"))

    shell = Shell(store, TokenStore(), demo=args.demo, offline=args.exit_when_ready)
    if args.exit_when_ready:
        shell.window.ready.connect(lambda: app.exit(0))
    elif args.screenshot is not None:
        folder: Path = args.screenshot

        def save_screenshots() -> None:
            from app.views.screenshots import save_all

            saved = save_all(shell.window, folder)
            log.info("Saved %d screenshots in %s", len(saved), folder)
            print("\n".join(str(path) for path in saved))
            app.exit(0)

        # Queued: "settled" can come from inside a task's callback, and save_all waits for every task.
        shell.settled.connect(lambda: QTimer.singleShot(0, save_screenshots))
    # Ctrl+C in a terminal (make demo) closes the app cleanly; the timer lets Python notice the signal.
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(300)
    shell.start()
    try:
        return app.exec()
    finally:
        shell.shutdown()
        tasks.shutdown(timeout=3.0)
        log.info("Stopped")


def _apply_text_scale(app: object, scale: float) -> None:
    """Larger text for help-desk screen sharing and people who need it (setting 'Text size')."""
    if scale == 1.0:
        return
    font = app.font()  # type: ignore[attr-defined]
    font.setPointSizeF(font.pointSizeF() * scale)
    app.setFont(font)  # type: ignore[attr-defined]


if __name__ == "__main__":
    raise SystemExit(main())

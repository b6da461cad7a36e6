"""The application shell: signs in, owns the sync controller and the main window, and wires them up.

Start-up never waits on the network: the window opens on the cached data first, then the session is
resumed (or the demo service started and signed in to) in the background, then the first sync runs.
The network side (app.services.auth and .sync: requests, TLS) is imported on first use, after the
window has been painted.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from app import paths, preload, settings
from app.services import outbox, snapshot, tasks
from app.services.profile import Profile, load_profile
from app.services.secrets import TokenStore
from app.signals import hub
from app.version import app_version
from app.views.help_page import InstallationFacts
from app.views.main_window import MainWindow
from app.views.sign_in_dialog import SignInDialog

if TYPE_CHECKING:
    from app.services.auth import Auth
    from app.services.sync import SyncController
    from app.views.snapshot_window import SnapshotWindow

log = logging.getLogger(__name__)
RECONNECT_MS = 60_000
IDLE_CHECK_MS = 250  # how often to look for a quiet moment to import matplotlib
QUIET_LOOKS = 12  # that many looks in a row with no task waiting: 3 s of quiet
MAX_LOOKS = 480  # two minutes


class Shell(QObject):
    settled = Signal()  # start-up has done what it can: the first sync finished, or a sign-in is needed

    def __init__(self, store: settings.Settings, tokens: TokenStore, *, demo: bool = False,
                 offline: bool = False) -> None:
        super().__init__()
        self.store, self.tokens, self.demo, self.offline = store, tokens, demo, offline
        store.write_in_background()  # a setting changed from the window never waits on the disk
        store.watch(settings.SYNC_INTERVAL_MINUTES,  # a new interval from the Settings page applies at once
                    lambda minutes: self.sync.set_interval(minutes) if self.sync is not None else None)
        self.auth: Auth | None = None
        self.sync: SyncController | None = None
        self.demo_server: Any = None
        self.dialog: SignInDialog | None = None
        self.profile = load_profile()
        self.window = MainWindow(store)
        self.window.sync_requested.connect(self.sync_now)
        self.window.sign_out_requested.connect(self.sign_out)
        self.window.sign_in_requested.connect(lambda: self.ask_sign_in(""))
        self.window.practice_chosen.connect(self.choose_practice)
        self.window.section_shown.connect(lambda key: self._show_facts() if key == "help" else None)
        hub().sync_finished.connect(self._first_sync_finished)
        hub().queued.connect(self._send_soon)
        tasks.set_failure_handler(lambda error: self.window.show_message(tasks.describe_error(error)))
        self._settled = False
        self._connecting = False
        self._generation = 0  # which sign-in attempt counts: sign-out starts a new one

    # --- start-up --------------------------------------------------------------------------------

    def start(self, replacing: SnapshotWindow | None = None) -> None:
        """Show the cached data at once; then connect in the background (unless ``offline``).

        ``replacing`` is the last session's picture painted at start-up: the window takes its place once
        the page on screen has loaded from the cache.
        """
        self._show(self.profile)
        if replacing is None:
            self.window.show()
        else:
            from app.views.snapshot_window import swap_in

            swap_in(self.window, replacing, self.window.ready)
        if self.offline:
            return
        self.settled.connect(_preload_charts_when_idle)
        if self.demo:
            self.window.show_message("Starting the demo CQRS service…")
            tasks.run(self._start_demo, self._signed_in, self._start_failed, kind="net")
        elif self.profile is not None and self.store.get(settings.SERVER_URL):
            self._connect()
        else:
            self.ask_sign_in("")

    def _connect(self) -> None:
        """Renew the saved session in the background (the server may be down: then try again later)."""
        if self.auth is not None or self.profile is None or self._connecting:
            return
        self._connecting = True
        server, email, generation = self.store.get(settings.SERVER_URL), self.profile.email, self._generation
        tasks.run(lambda: self._resume(self._new_auth(server), email),
                  lambda result: self._signed_in(result) if generation == self._generation else
                  self._discard(result), self._start_failed, kind="net")

    def _start_demo(self) -> tuple[Auth, Profile]:
        from app import demo_server  # only in demo mode: keeps the central service off the normal path
        from app.services.auth import Auth, SignInRequired

        server = demo_server.start(paths.demo_server_dir())
        self.demo_server = server
        auth = Auth(server.base_url, self.tokens, ca_file=server.ca_path,
                    token_scope=demo_server.DEMO_TOKEN_SCOPE)
        try:
            return self._resume(auth, demo_server.DEMO_EMAIL)
        except SignInRequired:
            return self._finish_sign_in(auth, auth.sign_in(demo_server.DEMO_EMAIL, server.password))

    def _resume(self, auth: Auth, email: str) -> tuple[Auth, Profile]:
        return self._finish_sign_in(auth, auth.resume(email))

    def _finish_sign_in(self, auth: Auth, profile: Profile) -> tuple[Auth, Profile]:
        """On a network worker: drop the cache of practices where the roles changed, so they re-sync fully
        (on the database worker, the one thread that uses the cache)."""
        from app.services.sync import forget_practices_with_new_roles

        before = self.profile
        tasks.call_db(lambda: forget_practices_with_new_roles(before, profile))
        return auth, profile

    def _start_failed(self, error: BaseException) -> None:
        from app.services.auth import SignInRequired

        self._connecting = False
        if isinstance(error, SignInRequired) or self.demo:
            self.ask_sign_in(tasks.describe_error(error) if self.demo else "")
            return
        hub().online_changed.emit(False)
        self.window.show_message(tasks.describe_error(error))
        # Offline with a saved session: keep showing the cache and try again in a minute (or on F5).
        QTimer.singleShot(RECONNECT_MS, self._connect)
        self._settle()

    # --- signing in and out ------------------------------------------------------------------------

    def ask_sign_in(self, message: str) -> None:
        if self.dialog is not None:
            return
        server = self.auth.server_url if self.auth else self.store.get(settings.SERVER_URL)
        email = self.profile.email if self.profile else ""
        self.dialog = SignInDialog(self._sign_in_with, server_url=server, email=email, message=message,
                                   server_editable=not self.demo, parent=self.window)
        self.dialog.finished.connect(self._dialog_closed)
        self.dialog.abandoned.connect(self._discard)
        self._settle()  # a screenshot run stops here rather than wait for someone to type
        self.dialog.open()

    def _sign_in_with(self, server_url: str, email: str, password: str) -> tuple[Auth, Profile]:
        """On a worker: sign in to ``server_url`` (the demo keeps its own Auth and CA)."""
        auth = self.auth if self.auth and self.auth.server_url == server_url.rstrip("/") else \
            self._new_auth(server_url)
        return self._finish_sign_in(auth, auth.sign_in(email, password))

    def _dialog_closed(self, accepted: int) -> None:
        dialog, self.dialog = self.dialog, None
        if accepted and dialog is not None and dialog.result_value is not None:
            if not self.demo:
                self.store.set(settings.SERVER_URL, dialog.server.text().strip().rstrip("/"))
            self._signed_in(dialog.result_value)

    def _signed_in(self, result: tuple[Auth, Profile]) -> None:
        auth, profile = result
        self._connecting = False
        if self.auth is not None and self.auth is not auth:
            self.auth.close()
        self.auth, self.profile = auth, profile
        self.window.clear_message()  # e.g. "Starting the demo CQRS service…"
        if not self.tokens.persistent:
            self.window.show_message("This PC has no keyring to keep your sign-in safely, so it lasts until "
                                     "the app is closed: you will need to sign in again next time.")
        if self.demo_server is not None:  # a second person signs in to the demo service, with its own CA
            from app.services import manual_entry

            self.window.set_second_person_confirmer(functools.partial(
                manual_entry.confirm_second_person, server_url=auth.server_url,
                ca_file=str(self.demo_server.ca_path)))
        self._show(profile)
        if self.sync is None:
            from app.services.sync import SyncController, SyncEngine

            self.sync = SyncController(SyncEngine(auth), self._practices, self.store.get(
                settings.SYNC_INTERVAL_MINUTES), parent=self)
            self.sync.sign_in_needed.connect(self.ask_sign_in)
        else:
            self.sync.engine.auth = auth
        self.sync_now()

    def sign_out(self) -> None:
        """Forget the session here at once; tell the service in the background (it may be unreachable).

        The saved profile is deleted on the database worker, after every write already handed to it: a
        write being queued as sign-out is pressed is stored first, in its owner's name, so it is never
        sent in the name of whoever signs in next.
        """
        self._generation += 1  # a sign-in still on its way is discarded when it arrives
        self._connecting = False
        auth, profile = self.auth, self.profile
        if self.sync is not None:
            self.sync.stop()
        self.profile = None
        self.auth = None  # the next sign-in gets a session of its own, not this one being ended
        self._show(None)
        if auth is not None:
            tasks.run(auth.sign_out, lambda _none: auth.close(), kind="net")
        elif profile is not None:  # started offline: no session yet, but the keyring may hold a token
            tokens = self.tokens
            tasks.run(lambda: tokens.delete(profile.server_url, profile.email), kind="net")
        tasks.run(lambda: forget_profile(profile), self._signed_out)

    def _signed_out(self, waiting: int) -> None:
        if waiting:
            items = "1 item queued on this PC has" if waiting == 1 else \
                f"{waiting} items queued on this PC have"
            self.window.show_message(f"Signed out. {items} not been sent yet: each is sent when the person "
                                     "who made it next signs in here.")
        else:
            self.window.show_message("Signed out.")

    # --- the rest ------------------------------------------------------------------------------------

    def _discard(self, result: tuple[Auth, Profile]) -> None:
        """A session that arrived after sign-out or cancel: end it on the service and forget it here."""
        auth, profile = result
        if self.profile is None:
            tasks.run(lambda: forget_profile(profile))  # written by that sign-in
        tasks.run(auth.sign_out, lambda _none: auth.close(), kind="net")

    def sync_now(self) -> None:
        if self.sync is None and self.profile is not None and not self.demo:
            self._connect()  # offline since start-up: F5 tries the server again
            return
        if self.sync is None or self.profile is None:
            self.window.show_message("Sign in to sync with CQRS.")
            return
        if not self.sync.sync_now():
            self.window.show_message("A sync is already running.")

    def _send_soon(self, _kind: str = "") -> None:
        """Something was queued: push it now if signed in (offline, the next sync sends it)."""
        if self.sync is not None and self.profile is not None and not self.sync.busy:
            self.sync.sync_now()

    def choose_practice(self, ods: str) -> None:
        self.store.set(settings.LAST_PRACTICE_ODS, ods)
        self._show(self.profile)

    def shutdown(self) -> None:
        if self.sync is not None:
            self.sync.stop()
        self.store.flush()
        if self.auth is not None:
            self.auth.close()
        if self.demo_server is not None:
            self.demo_server.stop()

    def _practices(self) -> list[str]:
        return [p.ods for p in self.profile.practices] if self.profile else []

    def _show(self, profile: Profile | None) -> None:
        ods = self.store.get(settings.LAST_PRACTICE_ODS)
        if profile is not None and profile.practice(ods) is None:
            ods = profile.practices[0].ods if profile.practices else None
        self.window.show_profile(profile, ods)
        if self.window.current_section() == "help":
            self._show_facts()

    def _show_facts(self) -> None:
        """The help desk's facts, gathered in the background when Help is opened (finding the keyring
        and the folders touches the disk)."""
        server = self.auth.server_url if self.auth else (self.store.get(settings.SERVER_URL) or "not set")
        server += " (demo)" if self.demo else ""
        email = self.profile.email if self.profile else "nobody"
        tokens = self.tokens
        tasks.run(lambda: _facts(tokens, server, email), self.window.show_facts, kind="net")

    def _new_auth(self, server_url: str) -> Auth:
        from app.services.auth import Auth

        if self.demo_server is not None:  # the demo service keeps its own CA and keyring entry
            from app import demo_server

            return Auth(self.demo_server.base_url, self.tokens, ca_file=self.demo_server.ca_path,
                        token_scope=demo_server.DEMO_TOKEN_SCOPE)
        return Auth(server_url, self.tokens, ca_file=self.store.get(settings.CA_FILE))

    def _first_sync_finished(self, ok: bool, _message: str) -> None:
        report = self.sync.last_report if self.sync is not None else None
        fresh = report.profile if ok and report is not None else None
        if fresh is not None and self.profile is not None and fresh.email == self.profile.email:
            # The clock offset differs on every sync; only new names, practices or roles change what the
            # pages show (reloading them all here too would reload each page twice per sync).
            changed = _what_it_allows(fresh) != _what_it_allows(self.profile)
            self.profile = fresh
            if changed:
                self._show(fresh)  # roles changed on the service: show what they allow now
        self._settle()

    def _settle(self) -> None:
        if not self._settled:
            self._settled = True
            self.settled.emit()

    @property
    def data_dir(self) -> Path:
        return paths.data_dir()


def _facts(tokens: TokenStore, server: str, email: str) -> InstallationFacts:
    kept = (f"in the operating system's keyring ({tokens.backend_name})" if tokens.persistent
            else "for this session only (no keyring on this PC)")
    return InstallationFacts(app_version(), server, email, str(paths.data_dir()), str(paths.log_file_path()),
                             kept)


def _what_it_allows(profile: Profile) -> Profile:
    """``profile`` without its clock offset, to compare what two profiles show."""
    return dataclasses.replace(profile, server_clock_offset_seconds=0.0)


def forget_profile(profile: Profile | None) -> int:
    """On the database worker, after the writes handed to it before sign-out: delete the saved profile
    (unless someone else has signed in since and it is theirs); returns how many items wait to be sent."""
    saved = load_profile()
    if saved is not None and (profile is None or (saved.server_url, saved.email) ==
                              (profile.server_url, profile.email)):
        paths.profile_path().unlink(missing_ok=True)
        snapshot.clear()  # the picture of their window goes with them
    return outbox.waiting_count()


def _preload_charts_when_idle(quiet: int = 0, looks: int = 0) -> None:
    """Import matplotlib in the background once no task has been waiting for a while (the first sync's
    pages have loaded and the person is reading): at most a couple of minutes after start-up.

    The import is ~0.4 s of Python on a worker. It shares the interpreter with the GUI thread, and GUI
    work running beside it (a page being shown) took over 50 ms, so it waits for a quiet moment. A chart
    opened before that imports matplotlib itself, on its drawing worker.
    """
    quiet = 0 if tasks.runner().pending else quiet + 1
    if quiet >= QUIET_LOOKS or looks >= MAX_LOOKS:
        _preload_charts()
    else:
        QTimer.singleShot(IDLE_CHECK_MS, lambda: _preload_charts_when_idle(quiet, looks + 1))


def _preload_charts() -> None:
    """Import what matplotlib's Agg drawing needs on a network worker once the window is up, so the
    first Charts tab does not wait for it. Importing a module creates no widget: safe off the GUI."""
    tasks.run(preload.charting, kind="net")

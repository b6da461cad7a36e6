"""The application shell: signs in, owns the sync controller and the main window, and wires them up.

Each person's cache is their own (app.services.people), and nothing of it is shown until they are signed
in: their refresh token in the keyring counts, else the sign-in form asks, saying why at once (online, or
offline against this PC's verifier: app.services.signing_in). Start-up never waits on the network: a
signed-in person's window opens on their cached data, then the session is resumed (or the demo service
started and signed in to) in the background, then the first sync runs. The network side (auth and sync:
requests, TLS) is imported on first use, after the window has been painted.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from app import paths, settings
from app.idle_preload import preload_charts_when_idle
from app.services import people, signing_in, tasks
from app.services.profile import Profile, load_profile
from app.services.secrets import TokenStore
from app.shell_signing import SigningInAndOut
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


class Shell(SigningInAndOut, QObject):
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
        self.saved = load_profile()  # who signed in last: nothing of theirs is shown until they sign in
        self.profile: Profile | None = None  # who is signed in (their cache is the one open)
        self.person: people.Person | None = None
        self.offline_session = False  # signed in against this PC's verifier: nothing is sent until online
        self.ca_from_site = store.locked(settings.CA_FILE)  # the practice's site file sets the trusted CA
        self._typed = ("", "")  # server and email typed in a cancelled sign-in form
        self.window = MainWindow(store)
        self.window.sync_requested.connect(self.sync_now)
        self.window.sign_out_requested.connect(self.ask_sign_out)
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

    def start(self, replacing: SnapshotWindow | None = None, signed_in: bool | None = None) -> None:
        """Show the window, with the last person's cached data only if they count as signed in; then
        connect in the background (unless ``offline``).

        ``signed_in``: True when start-up found their refresh token in the keyring and opened their cache,
        False when it found none, None to look here (on a worker). ``replacing`` is the last session's
        picture painted at start-up: the window takes its place once the page on screen has loaded.
        """
        if signed_in and self.saved is not None:
            self.profile, self.person = self.saved, self._person_of(self.saved.server_url, self.saved.email)
        self._show(self.profile)
        if replacing is None:
            self.window.show()
        else:
            from app.views.snapshot_window import swap_in

            swap_in(self.window, replacing, self.window.ready)
        if signed_in is None and self.saved is not None and not self.demo:
            saved, tokens = self.saved, self.tokens
            scope = self._person_of(saved.server_url, saved.email)[0]
            tasks.run(lambda: tokens.load(scope, saved.email) is not None, self._session_found, kind="net")
            return
        self._carry_on(bool(signed_in) and self.profile is not None)

    def _session_found(self, found: bool) -> None:
        if found and self.saved is not None:
            self._open(self.saved, lambda: self._carry_on(True))
        else:
            self._carry_on(False)

    def _carry_on(self, signed_in: bool) -> None:
        if self.offline:
            return
        self.settled.connect(preload_charts_when_idle)
        if self.demo:
            self.window.busy.start("Starting the demo CQRS service…")
            tasks.run(self._start_demo, self._signed_in, self._start_failed, kind="net")
        elif signed_in and self.store.get(settings.SERVER_URL):
            self._connect()
        else:
            tokens = self.tokens
            known = self.saved is not None
            tasks.run(lambda: "" if tokens.persistent else tokens.problem,
                      lambda problem: self.ask_sign_in(signing_in.why_sign_in(problem, known)), kind="net")

    def _open(self, profile: Profile, then: Callable[[], None]) -> None:
        """Open ``profile``'s own cache on the database worker, then show it and carry on with ``then``."""
        person, generation = self._person_of(profile.server_url, profile.email), self._generation

        def opened(recovered: int) -> None:
            if generation != self._generation:
                return  # signed out meanwhile
            if recovered:
                log.info("%d outbox items were interrupted last time and are queued again", recovered)
            self.person, self.profile = person, profile
            self._show(profile)
            then()

        tasks.run(lambda: people.open_for(person, profile), opened)

    def _person_of(self, server_url: str, email: str) -> people.Person:
        if self.demo:  # the demo's port changes on every run: its people are kept under one name
            from app import demo_server

            return people.person_of(demo_server.DEMO_TOKEN_SCOPE, email)
        return people.person_of(server_url, email)

    def _connect(self) -> None:
        """Renew the saved session in the background (the server may be down: then try again later)."""
        if self.auth is not None or self.profile is None or self._connecting:
            return
        self._connecting = True
        server, email, generation = self.store.get(settings.SERVER_URL), self.profile.email, self._generation
        self.window.busy.start(f"Connecting to {server}…")
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
            return auth, signing_in.sign_in_online(auth, demo_server.DEMO_EMAIL, server.password)

    def _resume(self, auth: Auth, email: str) -> tuple[Auth, Profile]:
        return auth, auth.resume(email)

    def _start_failed(self, error: BaseException) -> None:
        from app.services.auth import SignInRequired

        self._connecting = False
        self.window.busy.stop()
        if isinstance(error, SignInRequired) or self.demo:
            if signing_in.disabled(error) and self.person is not None:
                from app.services import offline_sign_in

                person = self.person
                tasks.run(lambda: offline_sign_in.forget(*person), kind="net")
            if isinstance(error, SignInRequired) and not self.offline_session:
                self._lock()  # the service no longer accepts their session: their data goes off screen
            self.ask_sign_in(tasks.describe_error(error))
            return
        hub().online_changed.emit(False)
        self.window.show_message(tasks.describe_error(error))
        # Offline with a saved session: keep showing the cache and try again in a minute (or on F5).
        QTimer.singleShot(RECONNECT_MS, self._connect)
        self._settle()

    def _lock(self) -> None:
        """Nobody counts as signed in any more: hide the data and close the cache until they sign in."""
        if self.profile is None:
            return
        self._generation += 1
        if self.sync is not None:
            self.sync.stop()
        self.profile, self.person = None, None
        self.window.busy.stop()
        self._show(None)
        tasks.run(people.close)

    # --- the rest (signing in and out: app.shell_signing) ---------------------------------------------

    def _discard(self, result: tuple[Auth, Profile]) -> None:
        """A session that arrived after sign-out or cancel: end it on the service and forget it here."""
        auth, profile = result
        if self.profile is None:
            tasks.run(lambda: people.forget_profile(profile))  # written by that sign-in
        tasks.run(auth.sign_out, lambda _none: auth.close(), kind="net")

    def sync_now(self) -> None:
        if self.offline_session:
            self.ask_sign_in(signing_in.SIGN_IN_ONLINE)
            return
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
        tokens, person = self.tokens, self.person
        tasks.run(lambda: _facts(tokens, server, email, person), self.window.show_facts, kind="net")

    def _new_auth(self, server_url: str) -> Auth:
        from app.services.auth import Auth

        if self.demo_server is not None:  # the demo service keeps its own CA and keyring entry
            from app import demo_server

            return Auth(self.demo_server.base_url, self.tokens, ca_file=self.demo_server.ca_path,
                        token_scope=demo_server.DEMO_TOKEN_SCOPE)
        return Auth(server_url, self.tokens, ca_file=self.store.get(settings.CA_FILE))

    def _first_sync_finished(self, ok: bool, _message: str) -> None:
        self.window.busy.stop()
        report = self.sync.last_report if self.sync is not None else None
        fresh = report.profile if ok and report is not None else None
        if fresh is not None and self.profile is not None and fresh.email == self.profile.email:
            # The clock offset differs on every sync; only new names, practices or roles change what the
            # pages show (reloading them all here too would reload each page twice per sync).
            changed = _what_it_allows(fresh) != _what_it_allows(self.profile)
            self.profile = self.saved = fresh
            if self.person is not None:
                person = self.person
                tasks.run(lambda: people.keep_profile(person, fresh))
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


def _facts(tokens: TokenStore, server: str, email: str, person: people.Person | None) -> InstallationFacts:
    kept = (f"in the operating system's keyring ({tokens.backend_name})" if tokens.persistent
            else "for this session only (no keyring on this PC)")
    folder = paths.person_dir(*person) if person is not None else paths.data_dir()  # only this person's
    return InstallationFacts(app_version(), server, email, str(folder), str(paths.log_file_path()), kept)


def _what_it_allows(profile: Profile) -> Profile:
    """``profile`` without its clock offset and tag, to compare what two profiles show."""
    return dataclasses.replace(profile, server_clock_offset_seconds=0.0, tag="")

"""Signing in and out, for the shell (app.shell): the sign-in form, activation, starting a signed-in
person's session and sync, and sign-out (confirmed first, saying what waits to be sent)."""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

from app import settings
from app.services import people, signing_in, tasks
from app.services.profile import Profile
from app.signals import hub
from app.views.sign_in_dialog import SignInDialog

if TYPE_CHECKING:
    from app.services.auth import Auth
    from app.services.secrets import TokenStore
    from app.services.sync import SyncController
    from app.views.main_window import MainWindow

log = logging.getLogger(__name__)


class SigningInAndOut:
    """The shell's sign-in and sign-out flow (Shell, a QObject, keeps the state and the rest)."""

    # What the shell provides.
    store: settings.Settings
    tokens: TokenStore
    demo: bool
    auth: Auth | None
    sync: SyncController | None
    demo_server: Any
    dialog: SignInDialog | None
    saved: Profile | None
    profile: Profile | None
    person: people.Person | None
    offline_session: bool
    ca_from_site: bool
    window: MainWindow
    _typed: tuple[str, str]
    _connecting: bool
    _generation: int

    def ask_sign_in(self, message: str) -> None:
        if self.dialog is not None:
            return
        self.window.busy.stop()
        # What was typed in a form cancelled earlier wins over what was saved.
        saved_server = self.auth.server_url if self.auth else self.store.get(settings.SERVER_URL)
        from_site = self.store.locked(settings.SERVER_URL)  # the practice's site file names the server
        server = self.store.get(settings.SERVER_URL) if from_site else self._typed[0] or saved_server
        who = self.profile or self.saved
        email = self._typed[1] or (who.email if who else "")
        self.dialog = SignInDialog(self._sign_in_with, server_url=server, email=email, message=message,
                                   server_editable=not self.demo and not from_site,
                                   server_from_site=from_site and not self.demo,
                                   use_ca_file=None if self.demo else self._trust_ca_file,
                                   ca_from_site=self.ca_from_site, activate=self._activate_with,
                                   parent=self.window)
        self.dialog.finished.connect(self._dialog_closed)
        self.dialog.abandoned.connect(self._discard)
        self._settle()  # a screenshot run stops here rather than wait for someone to type
        self.dialog.open()

    def _activate_with(self, server_url: str, code: str, password: str) -> str:
        """On a worker: set the password of an account from its activation link ("I have an activation
        link" in the sign-in form); the demo's service has its own address and CA."""
        from app.services import activation

        if self.demo_server is not None:
            return activation.activate(self.demo_server.base_url, code, password,
                                       ca_file=self.demo_server.ca_path)
        return activation.activate(server_url, code, password, ca_file=self.store.get(settings.CA_FILE))

    def _sign_in_with(self, server_url: str, email: str, password: str) -> tuple[Auth, Profile]:
        """On a worker: sign in to ``server_url`` (the demo keeps its own Auth and CA); while it cannot be
        reached, against this PC's verifier of the password kept from the last online sign-in."""
        auth = self.auth
        if auth is None or auth.server_url != server_url.rstrip("/") or (
                self.demo_server is None and auth.ca_file != self.store.get(settings.CA_FILE)):
            auth = self._new_auth(server_url)
        return auth, signing_in.sign_in(auth, email, password)

    def _trust_ca_file(self, path: str) -> None:
        """The practice's CA file, confirmed by its fingerprint in the sign-in form: trusted from now on."""
        self.store.set(settings.CA_FILE, path)
        log.info("The practice's certificate authority file is now trusted (CA_FILE setting)")

    def _dialog_closed(self, accepted: int) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is None:
            return
        self._typed = (dialog.server.text().strip(), dialog.email.text().strip())
        if accepted and dialog.result_value is not None:
            if not self.demo:
                self.store.set(settings.SERVER_URL, dialog.server.text().strip().rstrip("/"))
            self._signed_in(dialog.result_value)

    def _signed_in(self, result: tuple[Auth, Profile]) -> None:
        """Signed in (online, or offline against the verifier): open that person's cache, then show it."""
        auth, profile = result
        self._connecting = False
        if self.auth is not None and self.auth is not auth:
            self.auth.close()
        self.auth = auth
        self.saved = profile
        self._open(profile, lambda: self._ready(auth, profile))

    def _ready(self, auth: Auth, profile: Profile) -> None:
        self.offline_session = not auth.client.token
        self.window.clear_message()
        if self.offline_session:
            self.window.busy.stop()
            self.window.show_message(signing_in.OFFLINE_SESSION)
            hub().online_changed.emit(False)
            self._settle()
            return
        if not self.tokens.persistent:
            self.window.show_message("This PC has no keyring to keep your sign-in safely, so it lasts until "
                                     "the app is closed: you will need to sign in again next time.")
        if self.demo_server is not None:  # a second person signs in to the demo service, with its own CA
            from app.services import manual_entry

            self.window.set_second_person_confirmer(functools.partial(
                manual_entry.confirm_second_person, server_url=auth.server_url,
                ca_file=str(self.demo_server.ca_path)))
        from app.services.sync import SyncController, SyncEngine

        # An engine per person: work of one still on its way is refused once another's cache is open.
        engine = SyncEngine(auth, db=people.bound_call(people.person_of(auth.token_scope, profile.email)))
        if self.sync is None:
            self.sync = SyncController(engine, self._practices, self.store.get(
                settings.SYNC_INTERVAL_MINUTES), parent=self)
            self.sync.sign_in_needed.connect(self.ask_sign_in)
        else:
            self.sync.engine = engine
        self.sync_now()

    def ask_sign_out(self) -> None:
        """Confirm first, saying what waits to be sent; the person may remove their data from this PC."""
        if self.profile is None:
            return
        name, generation = self.profile.display_name, self._generation

        def confirm(waiting: int) -> None:
            from app.views.sign_out_dialog import ask

            if generation == self._generation:
                self.sign_out_dialog = ask(self.window, name, waiting, self.sign_out)

        tasks.run(people.waiting, confirm)

    def sign_out(self, remove_data: bool = False) -> None:
        """Forget the session here at once; tell the service in the background (it may be unreachable).

        The person's cache is closed (or removed) on the database worker, after every write already
        handed to it: a write being queued as sign-out is pressed is stored first, in its owner's name, so
        it is never sent in the name of whoever signs in next.
        """
        self._generation += 1  # a sign-in still on its way is discarded when it arrives
        self._connecting = False
        auth, profile, person = self.auth, self.profile, self.person
        if self.sync is not None:
            self.sync.stop()
        self.profile, self.person, self.saved, self.offline_session = None, None, None, False
        self.auth = None  # the next sign-in gets a session of its own, not this one being ended
        self.window.busy.stop()
        self._show(None)
        if auth is not None:
            tasks.run(auth.sign_out, lambda _none: auth.close(), kind="net")
        elif person is not None:  # started offline: no session yet, but the keyring may hold a token
            tokens = self.tokens
            tasks.run(lambda: tokens.delete(*person), kind="net")
        tasks.run(lambda: people.sign_out(person, profile, remove_data),
                  lambda waiting: self._signed_out(waiting, remove_data))

    def _signed_out(self, waiting: int, removed: bool = False) -> None:
        from app.views.sign_out_dialog import signed_out_words

        self.window.show_message(signed_out_words(waiting, removed))

"""``cqrs-desktop export-ics``: the practice's timetable as a calendar file, without opening the window.

Without ``--demo`` it exports what the signed-in person's cache on this PC holds (as last synced), and
only while the keyring keeps their sign-in, as the window would show it; otherwise it exits with 2 and
says how to sign in. With ``--demo`` it starts the demo service, signs in and syncs, as ``--demo`` does.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.services.site_config import SiteConfig
    from app.settings import Settings

NOT_SIGNED_IN = 2
BAD_OPTION = 2  # argparse's code for a wrong option


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Declare the command and its options on the app's command line."""
    command = commands.add_parser(
        "export-ics", help="save the practice's timetable as a calendar file (.ics) for Outlook",
        description="Save the timetable of your practice (extractions, entry windows, declaration and offer "
                    "deadlines, payments) as an iCalendar file that Outlook and other calendars import, "
                    "with a reminder before each deadline. Importing a newer file updates the events.")
    command.add_argument("--out", metavar="FILE", type=Path, required=True, help="the .ics file to write")
    command.add_argument("--service", metavar="S", help="only this service's dates (and those of every "
                                                        "service), e.g. QOF or WM")
    # SUPPRESS: given before the command, these keep their value (argparse's sub-command defaults win).
    command.add_argument("--demo", action="store_true", default=argparse.SUPPRESS,
                         help="start the demo CQRS service, sign in and sync first")
    command.add_argument("--data-dir", metavar="DIR", type=Path, default=argparse.SUPPRESS,
                         help="the folder given to --data-dir when the app runs")


def _say(text: str) -> None:
    print(f"cqrs-desktop: {text}", file=sys.stderr)


def run(args: argparse.Namespace, site: SiteConfig) -> int:
    """Export the timetable; 0 when written, 1 when it could not be, 2 when nobody is signed in."""
    from app import settings, site_settings
    from app.models import database

    store = site_settings.load(site)  # the practice's site file wins, as in the window
    try:
        found = _demo_practice() if args.demo else _signed_in_practice(store)
        if isinstance(found, int):
            return found
        ods, name = found
        return _export(args.out, ods, name, args.service, store.get(settings.REMINDER_DAYS))
    finally:
        database.close_cache()


def _signed_in_practice(store: Settings) -> tuple[str, str] | int:
    """The signed-in person's practice, with their cache opened; an exit code when there is none."""
    from app import main, settings
    from app.models import database
    from app.services.profile import load_profile
    from app.services.secrets import TokenStore

    person = main.last_person(False)
    signed_in = False
    if person is not None:
        try:
            signed_in = main.read_token_in_background(TokenStore(), person).result(timeout=10)
        except TimeoutError:
            signed_in = False
    profile = load_profile() if signed_in else None
    if person is None or not signed_in or profile is None or not profile.practices:
        _say("nobody is signed in on this PC, so there is no timetable to export. Open CQRS Desktop, sign "
             "in and sync (F5), then run this again (or use --demo to try it with the demo).")
        return NOT_SIGNED_IN
    database.open_person(person)
    wanted = store.get(settings.LAST_PRACTICE_ODS)
    practice = profile.practice(wanted) or profile.practices[0]
    return practice.ods, practice.name


def _demo_practice() -> tuple[str, str]:
    """Start the demo service, sign in as its practice manager and sync their practice into the cache."""
    from app import demo_server, paths
    from app.models import database
    from app.services.auth import Auth
    from app.services.secrets import TokenStore
    from app.services.sync import SyncEngine

    server = demo_server.start(paths.demo_server_dir())
    try:
        auth = Auth(server.base_url, TokenStore(), ca_file=server.ca_path,
                    token_scope=demo_server.DEMO_TOKEN_SCOPE)
        profile = auth.sign_in(demo_server.DEMO_EMAIL, server.password)
        database.open_person((demo_server.DEMO_TOKEN_SCOPE, profile.email))
        practice = profile.practices[0]
        SyncEngine(auth, db=lambda op: op()).run([practice.ods])  # one thread: the cache is used here only
        auth.close()
        return practice.ods, practice.name
    finally:
        server.stop()


def _export(out: Path, ods: str, name: str, service: str | None, days: int) -> int:
    from app.services import calendar_export, timetable_events

    events = timetable_events.load(ods)
    if not events:
        _say(f"the timetable of {name} has not been synced to this PC yet. Open CQRS Desktop and sync (F5), "
             "then run this again.")
        return 1
    if service:
        known = dict(timetable_events.services(events))
        if service not in known:
            offered = ", ".join(f"{code} ({title})" for code, title in known.items()) or "none"
            _say(f"there is no service {service!r} in the timetable of {name}. Services: {offered}.")
            return BAD_OPTION
        events = [event for event in events if event.matches(service=service)]
    try:
        written = calendar_export.write(out, events, ods, name, days)
    except OSError as error:
        _say(f"the calendar file could not be saved as {out} ({error.strerror or error}). Choose a folder "
             "you can write to, for example your Documents folder.")
        return 1
    print(f"Saved {len(events)} dates of {name} ({ods}) to {written}, with a reminder {days} days before "
          "each deadline.\nOpen it in Outlook (or your calendar) to add them; import a newer export to "
          "update them.")
    return 0

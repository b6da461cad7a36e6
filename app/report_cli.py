"""``cqrs-desktop report``: the QOF achievement summary as a PDF and/or its indicator table as a CSV, without
opening the window.

It signs in with the sign-in kept in the keyring (exit 2 saying so when there is none), or with ``--demo``
to the demo service started on this PC (``--demo-user EMAIL``: as another demo user, to try a role),
pulls the practice's changes into that person's cache (nothing queued is sent: a report only reads), then
builds the report with the same code the Print action uses. Exit codes: 0 done, 1 the service or a file
failed, 2 a wrong request (not signed in, unknown service, year, date or practice).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

from app import paths, settings
from app.services.secrets import TokenStore

log = logging.getLogger(__name__)
SERVICES = ("QOF",)  # the services a summary can be printed for


class Refused(Exception):
    """A request the command cannot carry out as asked (exit 2), with what to do instead."""


def add_parser(commands: Any) -> None:
    """Register ``report`` with ``cqrs-desktop``'s sub-commands."""
    report = commands.add_parser(
        "report", help="save the QOF achievement summary as a PDF or CSV without opening the window",
        description="Save the achievement summary of a service, QOF year and achievement date: --pdf for "
                    "the printed summary, --csv for its indicator table (either or both). Uses the "
                    "sign-in kept on this PC, or the demo service with --demo.")
    report.add_argument("--service", default="QOF", help="the service (only QOF has a summary; default QOF)")
    report.add_argument("--year", metavar="YYYY-YY", help="the QOF year, e.g. 2026-27 (default: the newest)")
    report.add_argument("--date", metavar="YYYY-MM-DD", help="the achievement date (default: the latest)")
    report.add_argument("--practice", metavar="ODS", help="the practice's ODS code (default: the first)")
    report.add_argument("--pdf", metavar="FILE", type=Path, help="write the summary as a PDF here")
    report.add_argument("--csv", metavar="FILE", type=Path, help="write the indicator table as a CSV here")
    report.add_argument("--demo-user", metavar="EMAIL", help="with --demo: sign in as this demo user")
    report.add_argument("--demo", action="store_true", default=argparse.SUPPRESS,
                        help="use the demo CQRS service on this PC")
    report.add_argument("--data-dir", metavar="DIR", type=Path, default=argparse.SUPPRESS,
                        help="the folder given to --data-dir when the app runs")


def run(args: argparse.Namespace, store: settings.Settings) -> int:
    if args.pdf is None and args.csv is None:
        return _refuse("say what to write: --pdf FILE, --csv FILE or both.")
    if args.demo_user and not args.demo:
        return _refuse("--demo-user works only with --demo.")
    if args.service.upper() not in SERVICES:
        return _refuse(f"there is no achievement summary for “{args.service}”. Services with a summary: "
                       f"{', '.join(SERVICES)}.")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no window: fonts and PDFs only
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # noqa: F841  (kept alive)
    server = None
    try:
        if args.demo:
            from app import demo_server

            server = demo_server.start(paths.demo_server_dir())
        return _report(args, store, server)
    except Refused as error:
        return _refuse(str(error))
    except OSError as error:
        print(f"cqrs-desktop: {getattr(error, 'user_message', None) or error}", file=sys.stderr)
        return 1
    finally:
        from app.models import database

        database.close_cache()
        if server is not None:
            server.stop()


def _refuse(text: str) -> int:
    print(f"cqrs-desktop report: {text}", file=sys.stderr)
    return 2


def _report(args: argparse.Namespace, store: settings.Settings, server: Any) -> int:
    from app.services import people
    from app.services.api_client import ApiError

    try:
        auth, profile, person = _sign_in(args, store, server)
    except ApiError as error:
        print(f"cqrs-desktop report: {error.user_message}", file=sys.stderr)
        return 1
    try:
        people.open_for(person, profile)
        access = _practice(profile, args.practice)
        _pull(auth, profile, access.ods)
        return _write(args, profile, access)
    except ApiError as error:
        print(f"cqrs-desktop report: {error.user_message}", file=sys.stderr)
        return 1
    finally:
        auth.close()


def _sign_in(args: argparse.Namespace, store: settings.Settings, server: Any) -> tuple[Any, Any, Any]:
    from app.services import people, signing_in
    from app.services.auth import Auth, SignInRequired

    tokens = TokenStore()
    if server is not None:
        from app.demo_server import DEMO_EMAIL, DEMO_TOKEN_SCOPE

        email = (args.demo_user or DEMO_EMAIL).strip().lower()
        auth = Auth(server.base_url, tokens, ca_file=server.ca_path, token_scope=DEMO_TOKEN_SCOPE)
        try:
            profile = signing_in.sign_in_online(auth, email, server.password)
        except Exception:
            auth.close()
            raise
        return auth, profile, people.person_of(DEMO_TOKEN_SCOPE, email)
    from app.main import last_person

    person = last_person(False)
    url = store.get(settings.SERVER_URL)
    if person is None or not url:
        raise Refused("nobody is signed in on this PC. Open CQRS Desktop and sign in, then run the report "
                      "again (or try it with --demo).")
    auth = Auth(url, tokens, ca_file=store.get(settings.CA_FILE))
    try:
        profile = auth.resume(person[1])
    except SignInRequired as error:
        auth.close()
        raise Refused(f"the sign-in kept on this PC for {person[1]} has ended ({error.user_message}). Open "
                      "CQRS Desktop and sign in, then run the report again.") from error
    except Exception:
        auth.close()
        raise
    return auth, profile, people.person_of(url, profile.email)


def _practice(profile: Any, ods: str | None) -> Any:
    if not profile.practices:
        raise Refused(f"{profile.email} has no practice to report on. Ask your user administrator for a "
                      "role.")
    if ods is None:
        return profile.practices[0]
    access = profile.practice(ods.strip().upper())
    if access is None:
        held = ", ".join(p.label for p in profile.practices)
        raise Refused(f"{profile.email} cannot see practice {ods}. Practices you can see: {held}.")
    return access


def _pull(auth: Any, profile: Any, ods: str) -> None:
    """The practice's changes into the cache; the time of the sync kept as the app keeps it."""
    from app.services import cache_store
    from app.services.sync import SyncEngine, SyncReport

    engine = SyncEngine(auth, db=lambda op: op())  # one thread here: the cache is used from it alone
    applied = engine.pull(ods, SyncReport(profile=profile))
    if applied is not None:
        cache_store.mark_synced(ods, changed=applied)


def _choose(ods: str, year: str | None, when: str | None) -> tuple[str, date]:
    """The year and date asked for, checked against what the cache holds (the newest by default)."""
    from app.services import dashboard_data
    from app.services.format import uk_date

    years = {held: next((c for c in choices if c.kind == "qof"), None)
             for held, choices in dashboard_data.load_years(ods).items()}
    years = {held: choice for held, choice in years.items() if choice is not None}
    if not years:
        raise Refused("no QOF achievement has been calculated for this practice yet.")
    chosen = year or next(iter(years))
    if chosen not in years:
        raise Refused(f"no QOF results are held for the year “{chosen}”. Years held: {', '.join(years)}.")
    dates = years[chosen].dates
    if when is None:
        return chosen, dates[0]
    try:
        day = date.fromisoformat(when)
    except ValueError:
        raise Refused(f"“{when}” is not a date: give it as YYYY-MM-DD, e.g. "
                      f"{dates[0].isoformat()}.") from None
    if day not in dates:
        listed = ", ".join(f"{d.isoformat()} ({uk_date(d)})" for d in dates)
        raise Refused(f"no QOF {chosen} result is held for {day.isoformat()}. Dates held: {listed}.")
    return chosen, day


def _write(args: argparse.Namespace, profile: Any, access: Any) -> int:
    from app.views.achievement_summary import SummaryRequest, make_summary
    from app.views.print_document import write_pdf

    year, when = _choose(access.ods, args.year, args.date)
    request = SummaryRequest(access.ods, access.name, profile.display_name, access.sees_money, year, when,
                             profile.server_today())
    if args.pdf is not None:
        written = write_pdf(args.pdf.expanduser().resolve(), make_summary(request))
        print(f"Achievement summary saved: {written}")
    if args.csv is not None:
        written = write_indicators_csv(args.csv.expanduser().resolve(), request)
        print(f"Indicator table saved: {written}")
    return 0


def indicator_csv_rows(dashboard: Any) -> tuple[list[str], list[list[Any]], set[int]]:
    """The indicator table as the dashboard has it: headers, plain values, and which columns are £."""
    headers = ["Indicator", "Clinical group", "Description", "Achieved %", "Last year %", "Band",
               "Lower threshold %", "Upper threshold %", "Points", "Max points", "Points unclaimed",
               "To upper", "Numerator", "Denominator", "PCA", "Achievement date"]
    money: set[int] = set()
    if dashboard.finance:
        money = {len(headers), len(headers) + 1, len(headers) + 2}
        headers += ["£ earned", "£ unclaimed", "£ next patient"]

    def percent(value: Fraction | None) -> Fraction | None:
        return None if value is None else value * 100

    rows = []
    for row in dashboard.indicators:
        cells: list[Any] = [row.indicator_id, row.group, row.description, percent(row.achievement),
                            percent(row.last_year), row.band.capitalize() if row.band else "",
                            row.lower_threshold, row.upper_threshold, row.points, row.max_points,
                            row.points_unclaimed, row.patients_to_upper, row.numerator, row.denominator,
                            row.pca, dashboard.summary.achievement_date]
        if dashboard.finance:
            cells += [row.payment, row.gbp_unclaimed, row.gbp_next_patient]
        rows.append(cells)
    return headers, rows, money


def write_indicators_csv(path: Path, request: Any) -> Path:
    from app.services import dashboard_data
    from app.services.csv_export import write_csv
    from app.services.dashboard import QOF, Choice

    choice = Choice(f"{QOF}:{request.year}", QOF, "qof", (request.achievement_date,))
    dashboard = dashboard_data.load_view(request.ods, choice, request.achievement_date,
                                         finance=request.finance, today=request.today)
    headers, rows, money = indicator_csv_rows(dashboard)
    write_csv(path, headers, rows, money=money)
    return path

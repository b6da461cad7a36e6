"""``cqrs-central``: the central service's command line.

One ``add_parser`` block per command, and one entry in ``COMMANDS`` to run it. Each handler takes
the parsed arguments and returns the exit status (0 success, 2 bad input).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

# The commands' own modules are imported by their handlers: `calculate` then starts without loading the
# web framework and the database layer the other commands need (about 0.7 s).
from central.calculate_cmd import DEFAULT_MAX_BYTES, FORMATS, run_calculate


def byte_count(text: str) -> int:
    """A ``--max-bytes`` value: a whole number of bytes above 0."""
    if not (text.strip().isascii() and text.strip().isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed (a whole number of bytes above 0, "
                                         f"e.g. {DEFAULT_MAX_BYTES})")
    return int(text)


def list_size(text: str) -> int:
    """A ``--list-size`` value: a whole number (its range is checked with the other values)."""
    if not (text.strip().isascii() and text.strip().isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed (the registered list size, a whole number "
                                         "such as 8200)")
    return int(text)


def worker_count(text: str) -> int:
    """A ``--workers`` value: a whole number of processes, 1 or more."""
    if not (text.strip().isascii() and text.strip().isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed (a whole number of server processes, "
                                         "e.g. 4; above 1 needs a PostgreSQL --db)")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cqrs-central",
        description="CQRS central service: ingest aggregate extracts, calculate achievement and payment.",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        type=Path,
        default=None,
        help="folder for the central service's database and files",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    calculate = commands.add_parser(
        "calculate",
        help="print QOF points and £, and V&I / enhanced-service claims, for an extract",
        description="Calculate an aggregate extract (CSV) against one year's rules. Bad input exits "
        "with status 2 and lists every problem by line.",
    )
    calculate.add_argument("extract", metavar="EXTRACT.csv", help="the extract file")
    calculate.add_argument(
        "--year", help="QOF year of the rules, e.g. 2025-26 (default: the year of the file's first row)"
    )
    calculate.add_argument("--format", choices=FORMATS, default="table", help="output format (default table)")
    calculate.add_argument(
        "--max-bytes", metavar="N", type=byte_count, default=DEFAULT_MAX_BYTES,
        help=f"refuse a file larger than N bytes, reading no further (default {DEFAULT_MAX_BYTES}, 1 GiB)",
    )
    calculate.add_argument("--pretty", action="store_true",
                           help="indent the JSON (built whole first; without it JSON is streamed unindented)")

    commands.add_parser("seed-demo", help="create the demo ICB, PCN, practices, users and a year of data")

    ingest = commands.add_parser(
        "ingest",
        help="load an aggregate extract (CSV) into the service's database",
        description="Load an extract. A bad file is refused whole: every problem is "
        "listed by line and nothing is loaded. Loading the same file "
        "again changes nothing.",
    )
    ingest.add_argument("extract", metavar="FILE.csv", help="the extract file")
    ingest.add_argument(
        "--year", help="QOF year of the rules, e.g. 2025-26 (default: the year of the file's first row)"
    )
    ingest.add_argument(
        "--db", metavar="URL", default=None, help="database URL (default: SQLite in the data dir)"
    )
    ingest.add_argument(
        "--max-bytes", metavar="N", type=byte_count, default=DEFAULT_MAX_BYTES,
        help=f"refuse a file larger than N bytes, reading no further (default {DEFAULT_MAX_BYTES}, 1 GiB)",
    )

    serve = commands.add_parser(
        "serve",
        help="run the central service over HTTPS",
        description="Serve the API under /api/v1 over HTTPS until stopped with Ctrl+C. Without "
        "--cert/--key a local CA and certificate are made once in <data dir>/tls and reused.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8443, help="port to listen on (default 8443)")
    serve.add_argument(
        "--db", metavar="URL", default=None, help="database URL (default: SQLite in the data dir)"
    )
    serve.add_argument(
        "--workers", metavar="N", type=worker_count, default=1,
        help="server processes sharing the port (default 1); above 1 needs a postgresql+psycopg:// --db",
    )
    serve.add_argument("--cert", metavar="PEM", default=None, help="server certificate (with --key)")
    serve.add_argument("--key", metavar="PEM", default=None, help="server private key (with --cert)")
    serve.add_argument(
        "--self-signed", action="store_true", help="use the local self-signed CA and print its path"
    )
    serve.add_argument(
        "--allow-network",
        metavar="CIDR",
        action="append",
        default=[],
        help="accept connections only from this network (repeat for several); others get 403",
    )

    init_admin = commands.add_parser(
        "init-admin",
        help="make a commissioner Advanced User Administrator and print a one-time activation token",
    )
    init_admin.add_argument("email", metavar="EMAIL", help="an @nhs.net or @nhs.uk address")
    init_admin.add_argument("--commissioner", metavar="ODS", default=None,
                            help="the commissioner's ODS code (needed when there is none or several)")
    init_admin.add_argument("--commissioner-name", metavar="NAME", default=None,
                            help="name for a commissioner that does not exist yet")
    init_admin.add_argument(
        "--db", metavar="URL", default=None, help="database URL (default: SQLite in the data dir)"
    )

    approve = commands.add_parser(
        "approve", help="commissioner approval of a declaration (or finance approval with --finance)"
    )
    approve.add_argument("declaration_id", metavar="DECLARATION_ID", type=int, help="the declaration's id")
    approve.add_argument("--finance", action="store_true", help="finance-approve an approved declaration")
    approve.add_argument(
        "--db", metavar="URL", default=None, help="database URL (default: SQLite in the data dir)"
    )

    add_practice = commands.add_parser(
        "add-practice", help="add a practice under its PCN and commissioner (ICB)",
        description="Add a practice. The commissioner must exist (init-admin --commissioner makes it); a new "
        "PCN is added when --pcn-name names it. Every value is checked first: a refused command changes "
        "nothing. Running it again for a practice already here says so.",
    )
    add_practice.add_argument("code", metavar="CODE", help="the practice's ODS code, e.g. A81001")
    add_practice.add_argument("--name", required=True, help="the practice's name")
    add_practice.add_argument("--pcn", metavar="CODE", required=True, help="its PCN's ODS code, e.g. U81001")
    add_practice.add_argument("--pcn-name", metavar="NAME", default=None, help="name for a PCN not here yet")
    add_practice.add_argument("--icb", metavar="CODE", required=True, help="its commissioner's ODS code")
    add_practice.add_argument("--list-size", metavar="N", type=list_size, required=True,
                              help="registered list size (an extract's LIST_SIZE replaces it)")
    add_practice.add_argument(
        "--db", metavar="URL", default=None, help="database URL (default: SQLite in the data dir)"
    )

    add_user = commands.add_parser(
        "add-user", help="give a person roles at a practice; a new account is mailed its activation code",
        description="Add a user at a practice (or give an existing one more roles there). The activation "
        "code goes to the mail outbox in the data dir, never to the terminal. Every value is checked first: "
        "a refused command changes nothing.",
    )
    add_user.add_argument("email", metavar="EMAIL", help="an @nhs.net or @nhs.uk address")
    add_user.add_argument("--practice", metavar="CODE", required=True, help="the practice's ODS code")
    add_user.add_argument("--first-name", required=True)
    add_user.add_argument("--last-name", required=True)
    add_user.add_argument("--work-phone", metavar="PHONE", required=True,
                          help="a UK number, e.g. 01632 960000")
    add_user.add_argument("--mobile", metavar="PHONE", default=None, help="a UK mobile number (optional)")
    add_user.add_argument("--role", metavar="ROLE", action="append", default=[], dest="roles",
                          help="a practice role, e.g. 'User Administrator' (repeat for several)")
    add_user.add_argument(
        "--db", metavar="URL", default=None, help="database URL (default: SQLite in the data dir)"
    )

    return parser


def _seed_demo(args: argparse.Namespace) -> int:
    from central.data_cmd import run_seed_demo

    return run_seed_demo(args.data_dir)


def _ingest(args: argparse.Namespace) -> int:
    from central.ingest_cmd import run_ingest

    return run_ingest(args.extract, args.year, args.data_dir, args.db, max_bytes=args.max_bytes)


def _calculate(args: argparse.Namespace) -> int:
    return run_calculate(args.extract, year=args.year, fmt=args.format, max_bytes=args.max_bytes,
                         pretty=args.pretty)


def _serve(args: argparse.Namespace) -> int:
    from central.admin_cmd import run_serve

    return run_serve(args.data_dir, host=args.host, port=args.port, db_url=args.db, cert=args.cert,
                     key=args.key, self_signed=args.self_signed, allow_networks=args.allow_network,
                     workers=args.workers)


def _init_admin(args: argparse.Namespace) -> int:
    from central.admin_cmd import run_init_admin

    return run_init_admin(args.data_dir, args.email, db_url=args.db, commissioner=args.commissioner,
                          commissioner_name=args.commissioner_name)


def _approve(args: argparse.Namespace) -> int:
    from central.admin_cmd import run_approve

    return run_approve(args.data_dir, args.declaration_id, finance=args.finance, db_url=args.db)


def _add_practice(args: argparse.Namespace) -> int:
    from central.setup_cmd import Practice, run_add_practice

    practice = Practice(args.code, args.name, args.pcn, args.icb, args.list_size, args.pcn_name)
    return run_add_practice(args.data_dir, practice, db_url=args.db)


def _add_user(args: argparse.Namespace) -> int:
    from central.setup_cmd import Person, run_add_user

    person = Person(args.email, args.first_name, args.last_name, args.work_phone, args.mobile, args.practice,
                    tuple(args.roles))
    return run_add_user(args.data_dir, person, db_url=args.db)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "calculate": _calculate,
    "seed-demo": _seed_demo,
    "ingest": _ingest,
    "serve": _serve,
    "init-admin": _init_admin,
    "approve": _approve,
    "add-practice": _add_practice,
    "add-user": _add_user,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())

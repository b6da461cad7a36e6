"""A year-end rush against one ``cqrs-central serve`` process on 127.0.0.1 over TLS.

    .venv/bin/python benchmarks/rush.py                  # N = 50, 200 and 1000
    .venv/bin/python benchmarks/rush.py --sizes 50 --tree DIR   # the code of another checkout
    .venv/bin/python benchmarks/rush.py --postgres --workers 2  # a throwaway PostgreSQL, 2 server processes
    .venv/bin/python benchmarks/rush.py --sizes 200 --database-url postgresql+psycopg://u@host/empty_db

For each N: N practices, each with its own manager (every practice role), an accepted QOF offer,
calculated results and an open declaration window, are made in a fresh data folder; then N client
sessions are released at once (a barrier), each: sign in (password; by refresh token from 1000 up, as
a returning client does, the tokens made beforehand), a full sync of its practice (``/changes`` until
``more`` is false) and a declaration. A 503 is honoured by waiting its Retry-After and trying again;
the wait counts in the latencies. A probe GETs ``/health`` every 100 ms throughout.

Baseline (same run, same server): one session alone, and GET /health alone; the report gives the
session p99 and the longest /health during the rush as ratios to them. Bounded: at most ``--threads``
client threads (the rest of the sessions queue for a thread, counted in their session time from
release), 30 s per request, ``--budget`` seconds per N. Loopback only: the client and the server share
the machine's cores (and with ``--postgres``, with the database server too: its CPU is reported apart).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import requests
from rush_database import Database, throwaway_postgres, tree_cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Rush-Pass-2026!"
ACHIEVEMENT_DATE = "2026-03-31"  # QOF 2025/26: its declaration deadline is moved out for the run
REQUEST_TIMEOUT = 30.0
MAX_RETRIES = 20
REFRESH_FROM = 1000  # sizes at or above this sign in by refresh token


def ods(index: int) -> str:
    return f"Y{50000 + index:05d}"


def email(index: int) -> str:
    return f"rush.manager{index}@nhs.net"


# --- preparation (runs in a subprocess with the tree under test first on sys.path) -----------------

def prepare(data_dir: Path, count: int, refresh: bool, db_url: str | None = None) -> None:
    """``count`` practices with a manager each; with ``refresh``, a refresh token per manager."""
    from datetime import UTC, date, datetime, timedelta

    from central import feed
    from central.db import begin_write, make_engine, make_sessionmaker, migrate
    from central.directory import create_organisation, create_user, grant_role
    from central.models import (
        ACCEPTED,
        COMMISSIONER,
        PCN,
        PRACTICE,
        CalculatedResult,
        Offer,
        TimetableEvent,
    )
    from central.records import offer_record
    from central.security import PRACTICE_ROLES, hash_password
    from central.settings import Settings
    from central.timetable_store import replace_year
    from central.tokens import issue_pair

    settings = Settings(data_dir, db_url=db_url)
    engine = make_engine(settings.database_url)
    migrate(engine)
    sessions = make_sessionmaker(engine)
    now = datetime.now(UTC)
    day = date.fromisoformat(ACHIEVEMENT_DATE)
    password_hash = hash_password(PASSWORD)  # one hash for all: argon2 is slow on purpose
    refresh_tokens: dict[str, str] = {}
    with sessions() as session:
        begin_write(session)
        icb = create_organisation(session, COMMISSIONER, "Q9R", "NHS Rush ICB", now)
        pcn = create_organisation(session, PCN, "U95001", "Rush PCN", now, parent=icb)
        replace_year(session, "2025-26")
        late = TimetableEvent(year="2025-26", kind="declaration deadline", title="Rush deadline",
                              starts=date(2027, 6, 30), ends=date(2027, 6, 30), service=None,
                              achievement_date=day)
        session.add(late)
        session.commit()
        for index in range(count):
            if index % 100 == 0:
                session.commit()
                begin_write(session)
            practice = create_organisation(session, PRACTICE, ods(index), f"Rush Surgery {index}", now,
                                           parent=pcn)
            user = create_user(session, email(index), "Rush", f"Manager{index}", "01632 960000", now,
                               password_hash=password_hash)
            for role in PRACTICE_ROLES:
                grant_role(session, user, practice, role, now)
            offer = Offer(practice_id=practice.id, service="QOF", status=ACCEPTED,
                          start_date=date(2025, 4, 1), end_date=day, created_at=now, responded_at=now)
            session.add(offer)
            session.flush()
            feed.publish(session, practice.id, feed.OFFER, offer.id, offer_record(offer))
            for indicator, points, payment in (("DM020", "12.5", "2801.37"), ("AST007", "41/3", "1000.1")):
                session.add(CalculatedResult(practice_id=practice.id, service="QOF", indicator_id=indicator,
                                             achievement_date=day, points=points, payment=payment,
                                             calculated_at=now))
            if refresh:
                pair = issue_pair(session, user, now, timedelta(minutes=15), timedelta(days=30))
                refresh_tokens[email(index)] = pair.refresh_token
        session.commit()
    engine.dispose()
    (data_dir / "rush-tokens.json").write_text(json.dumps(refresh_tokens))


# --- the client ---------------------------------------------------------------------------------

@dataclass
class Tally:
    requests: dict[str, list[float]] = field(default_factory=dict)  # kind -> latencies (retries included)
    sessions: list[float] = field(default_factory=list)
    busy: int = 0  # 503 answers honoured
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.requests.setdefault(kind, []).append(seconds)


class Client:
    def __init__(self, base: str, ca: str, tally: Tally) -> None:
        self.base, self.ca, self.tally = base, ca, tally
        self.http = requests.Session()
        self.http.trust_env = False  # REQUESTS_CA_BUNDLE would beat verify=

    def call(self, kind: str, method: str, path: str, expect: int, **kwargs: object) -> dict:
        start = time.perf_counter()
        try:
            for _attempt in range(MAX_RETRIES):
                response = self.http.request(method, self.base + path, verify=self.ca,
                                             timeout=REQUEST_TIMEOUT, **kwargs)  # type: ignore[arg-type]
                if response.status_code != 503:
                    break
                with self.tally.lock:
                    self.tally.busy += 1
                time.sleep(float(response.headers.get("Retry-After", "1")))
        finally:  # a request that failed counts in the latencies too, with the time it took to fail
            self.tally.add(kind, time.perf_counter() - start)
        if response.status_code != expect:
            raise RuntimeError(f"{kind}: {response.status_code} {response.text[:120]}")
        return response.json()

    def session(self, index: int, refresh_token: str | None) -> None:
        if refresh_token:
            pair = self.call("refresh", "POST", "/api/v1/auth/refresh", 200,
                             json={"refresh_token": refresh_token})
        else:
            pair = self.call("sign-in", "POST", "/api/v1/auth/token", 200,
                             json={"email": email(index), "password": PASSWORD})
        auth = {"Authorization": f"Bearer {pair['access_token']}"}
        since, more = 0, True
        while more:
            page = self.call("changes", "GET", f"/api/v1/practices/{ods(index)}/changes", 200,
                             params={"since": since, "limit": 500}, headers=auth)
            since, more = page["next"], page["more"]
        self.call("declare", "POST", f"/api/v1/practices/{ods(index)}/declarations", 201,
                  headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
                  json={"service": "QOF", "achievement_date": ACHIEVEMENT_DATE})

    def close(self) -> None:
        self.http.close()


# --- one size -----------------------------------------------------------------------------------

@dataclass
class Server:
    process: subprocess.Popen[str]
    base: str
    ca: str

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.process.pid)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def _env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}


def start_server(tree: Path, data_dir: Path, db_url: str | None = None, workers: int = 1) -> Server:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    database = ["--db", db_url] if db_url else []
    process = subprocess.Popen([sys.executable, "-m", "central.cli", "--data-dir", str(data_dir), "serve",
                                "--port", str(port), "--workers", str(workers), *database],
                               env=_env(tree), cwd=data_dir, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    first = process.stdout.readline()  # "Self-signed certificate; clients must trust this CA: PATH"
    ca = first.rsplit(": ", 1)[1].strip()
    base = f"https://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(base + "/health", verify=ca, timeout=2).raise_for_status()
            return Server(process, base, ca)
        except requests.RequestException:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start")


def _health_probe(server: Server, stop: threading.Event, out: list[float]) -> None:
    with requests.Session() as http:
        http.trust_env = False
        while not stop.is_set():
            start = time.perf_counter()
            try:
                http.get(server.base + "/health", verify=server.ca, timeout=REQUEST_TIMEOUT)
                out.append(time.perf_counter() - start)
            except requests.RequestException:
                out.append(float("inf"))
            stop.wait(0.1)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def run_size(tree: Path, count: int, threads: int, budget: float, refresh_from: int = REFRESH_FROM,
             database: Database | None = None, workers: int = 1) -> dict[str, object]:
    refresh = count >= refresh_from
    database = database or Database()
    db_url = database.for_size(count)
    with tempfile.TemporaryDirectory(prefix="cqrs-rush-") as scratch:
        data_dir = Path(scratch)
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--prepare", str(data_dir), str(count + 1)]
                       + (["--refresh"] if refresh else []) + (["--database-url", db_url] if db_url else []),
                       env=_env(tree), check=True)
        prepared = time.perf_counter() - started
        tokens = json.loads((data_dir / "rush-tokens.json").read_text())
        server = start_server(tree, data_dir, db_url, workers)
        try:
            db_cpu = tree_cpu_seconds(database.server_pid) if database.server_pid else 0.0
            result = _measure(server, count, threads, budget, tokens, refresh, prepared)
            if database.server_pid:
                result["cpu_database_s"] = round(tree_cpu_seconds(database.server_pid) - db_cpu, 1)
            return {"database": database.name, "server_workers": workers, **result}
        finally:
            server.stop()


def _measure(server: Server, count: int, threads: int, budget: float, tokens: dict[str, str], refresh: bool,
             prepared: float) -> dict[str, object]:
    baseline_tally = Tally()
    alone = Client(server.base, server.ca, baseline_tally)
    health = []
    for _ in range(20):
        start = time.perf_counter()
        alone.http.get(server.base + "/health", verify=server.ca, timeout=10).raise_for_status()
        health.append(time.perf_counter() - start)
    start = time.perf_counter()
    alone.session(count, tokens.get(email(count)))  # the extra practice: the session alone
    baseline = time.perf_counter() - start
    alone.close()

    tally, waiting = Tally(), queue.SimpleQueue()
    for index in range(count):
        waiting.put(index)
    workers = min(threads, count)
    barrier = threading.Barrier(workers + 1)
    deadline = [0.0]

    def work() -> None:
        barrier.wait()
        while time.monotonic() < deadline[0]:
            try:
                index = waiting.get_nowait()
            except queue.Empty:
                return
            client = Client(server.base, server.ca, tally)
            try:
                client.session(index, tokens.get(email(index)))
                with tally.lock:
                    tally.sessions.append(time.perf_counter() - released)
            except Exception as exc:  # every failure is counted and shown, none stops the run
                with tally.lock:
                    tally.errors.append(f"{type(exc).__name__}: {exc}"[:160])
            finally:
                client.close()

    pool = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    for thread in pool:
        thread.start()
    probe_out: list[float] = []
    stop = threading.Event()
    probe = threading.Thread(target=_health_probe, args=(server, stop, probe_out), daemon=True)
    cpu_server, cpu_client = server.cpu_seconds(), time.process_time()
    deadline[0] = time.monotonic() + budget
    probe.start()
    released = time.perf_counter()
    barrier.wait()
    for thread in pool:
        thread.join(max(0.0, deadline[0] - time.monotonic()) + REQUEST_TIMEOUT + 5)
    wall = time.perf_counter() - released
    stop.set()
    probe.join(REQUEST_TIMEOUT + 1)
    unfinished = count - len(tally.sessions) - len(tally.errors)
    per_request = [v for values in tally.requests.values() for v in values]

    def ms(values: list[float], fraction: float) -> float:
        return round(1000 * percentile(values, fraction), 1)

    p99 = percentile(tally.sessions, 0.99)
    return {
        "n": count, "sign_in": "refresh token" if refresh else "password", "client_threads": workers,
        "prepare_s": round(prepared, 1), "wall_s": round(wall, 2),
        "sessions_per_s": round(len(tally.sessions) / wall, 1),
        "requests_per_s": round(len(per_request) / wall, 1),
        "request_p50_ms": round(1000 * percentile(per_request, 0.5), 1),
        "request_p99_ms": round(1000 * percentile(per_request, 0.99), 1),
        "by_kind_p50_p99_ms": {kind: [ms(v, 0.5), ms(v, 0.99)] for kind, v in sorted(tally.requests.items())},
        "session_p50_ms": round(1000 * percentile(tally.sessions, 0.5), 1),
        "session_p99_ms": round(1000 * percentile(tally.sessions, 0.99), 1),
        "baseline_session_ms": round(1000 * baseline, 1),
        "session_p99_ratio": round(p99 / baseline, 1) if tally.sessions else None,
        "health_alone_ms": round(1000 * statistics.median(health), 2),
        "health_during_max_ms": round(1000 * max(probe_out, default=float("nan")), 1),
        "health_during_ratio": round(max(probe_out, default=float("nan")) / statistics.median(health), 1),
        "busy_503": tally.busy, "errors": len(tally.errors) + unfinished, "unfinished": unfinished,
        "first_errors": sorted(set(tally.errors))[:3],
        "cpu_server_s": round(server.cpu_seconds() - cpu_server, 1),
        "cpu_client_s": round(time.process_time() - cpu_client, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,200,1000", help="comma-separated N (default 50,200,1000)")
    parser.add_argument("--tree", type=Path, default=ROOT, help="checkout whose central/ is served")
    parser.add_argument("--threads", type=int, default=200, help="client threads at most (default 200)")
    parser.add_argument("--budget", type=float, default=90.0, help="seconds per N before sessions stop")
    parser.add_argument("--refresh-from", type=int, default=REFRESH_FROM,
                        help=f"sign in by refresh token from this N up (default {REFRESH_FROM})")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--workers", type=int, default=1,
                        help="server processes (default 1; above 1 needs --postgres or --database-url)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--postgres", action="store_true",
                       help="a throwaway PostgreSQL cluster (tests/pg_cluster.py), a new database per N")
    where.add_argument("--database-url", metavar="URL", default=None,
                       help="an existing, empty postgresql+psycopg:// database (one size only)")
    parser.add_argument("--prepare", nargs=2, metavar=("DIR", "COUNT"), help=argparse.SUPPRESS)
    parser.add_argument("--refresh", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(Path(args.prepare[0]), int(args.prepare[1]), args.refresh, args.database_url)
        return 0
    sizes = [int(n) for n in args.sizes.split(",")]
    if args.database_url and len(sizes) > 1:
        parser.error("--database-url takes one size: each size needs an empty database")
    with ExitStack() as stack:
        database = stack.enter_context(throwaway_postgres()) if args.postgres else Database(args.database_url)
        print(f"load before: {os.getloadavg()[0]:.2f}; tree: {args.tree}; database: {database.name}; "
              f"server workers: {args.workers}", flush=True)
        results = []
        for count in sizes:
            result = run_size(args.tree.resolve(), count, args.threads, args.budget, args.refresh_from,
                              database, args.workers)
            results.append(result)
            print(json.dumps(result), flush=True)
    print(f"load after: {os.getloadavg()[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

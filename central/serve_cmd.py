"""``cqrs-central serve --workers N`` with N above 1: several server processes on one PostgreSQL database.

One worker is central.admin_cmd.run_serve; this checks the same arguments, then hands the processes to
central.server.serve.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from central.settings import DEFAULT_DATA_DIR, Settings
from central.tls import ensure_self_signed

BAD_INPUT = 2


def run_serve_workers(data_dir: Path | None, *, workers: int, host: str = "127.0.0.1", port: int = 8443,
                      db_url: str | None = None, cert: str | None = None, key: str | None = None,
                      self_signed: bool = False, allow_networks: Sequence[str] = (),
                      out: TextIO | None = None) -> int:
    """Serve HTTPS in the foreground with ``workers`` processes; 2 for bad input, said in plain English."""
    from central.server import serve, workers_problem  # uvicorn is needed only here

    out = out or sys.stdout
    if (cert is None) != (key is None) or (cert and self_signed):
        print("Give both --cert and --key, or --self-signed.", file=sys.stderr)
        return BAD_INPUT
    try:
        settings = Settings(data_dir or DEFAULT_DATA_DIR, db_url=db_url, allow_networks=tuple(allow_networks))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return BAD_INPUT
    problem = workers_problem(settings, workers)
    if problem:
        print(problem, file=sys.stderr)
        return BAD_INPUT
    if cert is None:
        tls = ensure_self_signed(settings.data_dir)
        print(f"Self-signed certificate; clients must trust this CA: {tls.ca_path}", file=out)
        cert, key = str(tls.cert_path), str(tls.key_path)
    shown_host = f"[{host}]" if ":" in host else host
    print(f"Serving https://{shown_host}:{port} with {workers} worker processes (API under /api/v1). "
          "Press Ctrl+C to stop.", file=out, flush=True)
    serve(settings, host=host, port=port, cert=cert, key=key, workers=workers)
    return 0

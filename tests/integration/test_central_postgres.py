"""The session server on PostgreSQL (``make test-postgres``): its data is there, and the demo region (whose
exact fractions run to hundreds of characters) seeds on it. The schema and audit-log checks of
test_central_server.py run on both databases."""

from __future__ import annotations

from pathlib import Path

import pg_cluster
import pytest

from central.seed import demo_clock, seed_demo
from central.server import RunningServer
from central.settings import Settings

pytestmark = pytest.mark.skipif(
    not pg_cluster.wanted(), reason="needs PostgreSQL: run `make test-postgres` (CQRS_TEST_POSTGRES=1)")


def test_the_session_server_keeps_its_data_in_postgresql(server: RunningServer) -> None:
    assert server.app.state.engine.dialect.name == "postgresql"


def test_the_demo_region_seeds_on_postgresql(postgres: pg_cluster.Cluster, tmp_path: Path) -> None:
    url = postgres.create_database("demo")
    assert seed_demo(Settings(tmp_path, db_url=url, clock=demo_clock())).created

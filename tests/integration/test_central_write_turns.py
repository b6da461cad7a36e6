"""The writers' turn is held for a write route's short write step only: a caller refused for another
practice (404) or a missing role (403) is answered while someone else holds the turn, and a write that
may go ahead waits for it (the app in process, on one event loop, with the real turn)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import anyio
import httpx

from central.api import create_app
from central.directory import create_organisation, create_user, grant_role
from central.models import PRACTICE
from central.security import DECLARATION_MANAGEMENT, VIEW
from central.settings import Settings
from central.tokens import issue_pair
from central.turns import write_turn

from .conftest import START

BODY = {"service": "QOF", "achievement_date": "2026-03-31"}


def test_refused_writes_never_wait_for_the_writers_turn(tmp_path: Path) -> None:
    app = create_app(Settings(tmp_path, clock=lambda: START))
    with app.state.sessionmaker() as session:
        ours = create_organisation(session, PRACTICE, "Z95501", "Our Surgery", START)
        create_organisation(session, PRACTICE, "Z95502", "Their Surgery", START)
        user = create_user(session, "turns.test@nhs.net", "Turn", "Test", "01632 960000", START,
                           password_hash="x")
        grant_role(session, user, ours, DECLARATION_MANAGEMENT, START)
        grant_role(session, user, ours, VIEW, START)
        token = issue_pair(session, user, START, timedelta(minutes=15), timedelta(days=1)).as_json()
        session.commit()
    headers = {"Authorization": f"Bearer {token['access_token']}"}

    async def scenario() -> tuple[list[int], bool, int]:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://central/api/v1",
                                     headers=headers) as client:
            answers: list[int] = []
            async with write_turn(app.state.engine):  # another writer holds the turn
                with anyio.fail_after(5):
                    for path in ("/practices/Z95502/declarations", "/practices/Z95502/offers/1/accept",
                                 "/practices/Z95501/offers/1/accept", "/practices/Z95501/users/1/disable"):
                        answers.append((await client.post(path, json=BODY)).status_code)
                waiting: list[int] = []
                async with anyio.create_task_group() as tasks:
                    async def declare() -> None:
                        waiting.append((await client.post("/practices/Z95501/declarations",
                                                          json=BODY)).status_code)

                    tasks.start_soon(declare)
                    await anyio.sleep(0.5)
                    held_back = not waiting
                    break_turn = tasks.cancel_scope
                    break_turn.cancel()
            with anyio.fail_after(5):
                after = (await client.post("/practices/Z95501/declarations", json=BODY)).status_code
            return answers, held_back, after

    try:
        answers, held_back, after = anyio.run(scenario)
    finally:
        app.state.engine.dispose()
    assert answers == [404, 404, 403, 403]  # another practice; a role this caller lacks
    assert held_back  # a write it may make waits for the turn
    assert after == 409  # once the turn is free it is checked in full (no calculated achievement)

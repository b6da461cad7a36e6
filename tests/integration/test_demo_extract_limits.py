"""The demo region under the extract limits and the offer rule: its seed and the example extract still
load, ``cqrs-central ingest`` refuses an inflating extract whole, and the demo declares only services
whose offer is accepted (or that have no offer)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from central import declarations_flow as flow
from central.cli import main
from central.db import make_engine, make_sessionmaker
from central.directory import organisation
from central.errors import ApiError
from central.models import ACCEPTED, CalculatedResult, Declaration, Offer, User
from central.offer_gate import declaring_problem
from central.seed import DEMO_TODAY

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "extract-2025-26.csv"
OCTOBER = date(2026, 10, 31)
HEADER = "practice_code,service,indicator_id,achievement_date,numerator,denominator,pca\n"


@pytest.fixture
def data(demo_copy, tmp_path):
    """A private copy of the seeded demo, and a session maker on it."""
    folder = demo_copy()
    engine = make_engine(f"sqlite:///{folder / 'central.db'}")
    yield folder, make_sessionmaker(engine)
    engine.dispose()


def _results(sessions, ods: str) -> list[tuple[str, str, str]]:
    with sessions() as session:
        practice = organisation(session, ods)
        rows = session.execute(select(CalculatedResult.service, CalculatedResult.indicator_id,
                                      CalculatedResult.payment)
                               .where(CalculatedResult.practice_id == practice.id))
        return sorted((service, item, payment) for service, item, payment in rows)


def test_cli_ingest_refuses_the_reprobes_inflating_extract_whole(data, tmp_path, capsys) -> None:
    folder, sessions = data
    before = _results(sessions, "Z99003")
    path = tmp_path / "inflating.csv"
    path.write_text(HEADER + "Z99003,QOF,LIST_SIZE,2026-03-31,9000,,\n"
                    "Z99003,RSVP,DOSES,2026-03-31,1000000,,\nZ99003,WM,REFERRALS,2026-03-31,1000000,,\n"
                    "Z99003,LDHC,LD_REG,2026-03-31,9000,,\n")
    assert main(["--data-dir", str(folder), "ingest", str(path)]) == 2
    err = capsys.readouterr().err
    assert "line 3: RSVP DOSES is entered by hand on CQRS by the practice, not extracted" in err
    assert "line 4: WM REFERRALS is entered by hand on CQRS by the practice, not extracted" in err
    assert "line 5: LDHC LD_REG is entered by hand on CQRS by the practice, not extracted" in err
    assert "Nothing was loaded" in err
    assert _results(sessions, "Z99003") == before  # no payment changed


def test_the_example_extract_loads_into_the_demo(data, capsys) -> None:
    folder, _ = data
    assert main(["--data-dir", str(folder), "ingest", str(EXAMPLE)]) == 0, capsys.readouterr().err
    assert main(["--data-dir", str(folder), "ingest", str(EXAMPLE.with_name("what-if-2025-26.csv"))]) == 2
    assert "LDHC LD_REG is entered by hand on CQRS by the practice" in capsys.readouterr().err


def test_the_demo_declares_only_services_whose_offer_is_accepted(data) -> None:
    _, sessions = data
    with sessions() as session:
        declarations = session.scalars(select(Declaration)).all()
        assert declarations
        for declaration in declarations:
            assert declaring_problem(session, declaration.practice_id, declaration.service,
                                     declaration.achievement_date) is None, declaration.service
        accepted = {o.service for o in session.scalars(select(Offer).where(Offer.status == ACCEPTED,
                                                                            ~Offer.participation_only))}
        assert {"LDHC", "FLU", "WM", "COVFLU"} <= accepted
        # The demo's 2026/27 RSV-in-pregnancy offer is still pending (its deadline is 31 Dec 2026): it
        # is not declared yet.
        assert not [d for d in declarations if d.service == "RSVP"]
        practice = organisation(session, "Z99001")
        manager = session.scalars(select(User).where(User.email == "practice.manager@nhs.net")).one()
        with pytest.raises(ApiError) as refused:
            flow.declare(session, practice, "RSVP", OCTOBER, manager, DEMO_TODAY)
        assert refused.value.code == "offer_not_accepted"
        assert refused.value.message == ("Accept the offer for RSVP first: CQRS pays nothing until it is "
                                         "accepted.")


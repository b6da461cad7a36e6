"""The demo seed declares QOF for its year ends only (a monthly QOF result tracks progress and is not a
claim), and every claim it declared is one the shared rule accepts."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.services.windows import is_declarable
from central.db import make_engine, make_sessionmaker
from central.models import CalculatedResult, Declaration


def test_the_demo_declares_qof_for_its_year_ends_only(demo_copy) -> None:
    engine = make_engine(f"sqlite:///{demo_copy() / 'central.db'}")
    try:
        with make_sessionmaker(engine)() as session:
            declared = session.execute(select(Declaration.service, Declaration.achievement_date)).all()
            monthly_qof = session.scalars(select(CalculatedResult.achievement_date).where(
                CalculatedResult.service == "QOF").distinct()).all()
    finally:
        engine.dispose()
    assert declared and all(is_declarable(service, day) for service, day in declared)
    assert sorted({day for service, day in declared if service == "QOF"}) == [date(2026, 3, 31)]
    assert len(monthly_qof) > 1  # the monthly QOF results are there, undeclared

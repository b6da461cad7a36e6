"""The national timetable of a QOF year (extractions, entry windows, declaration deadlines, payments)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from central.deps import DB, CurrentCaller
from central.models import TimetableEvent
from central.money import MoneyGuardedRoute
from central.records import timetable_record

router = APIRouter(tags=["timetable"], route_class=MoneyGuardedRoute)


@router.get("/timetable")
def timetable(year: Annotated[str, Query(pattern=r"^[0-9]{4}-[0-9]{2}$",
                                         description="QOF year such as 2025-26")],
              _caller: CurrentCaller, db: DB) -> dict[str, Any]:
    events = db.scalars(select(TimetableEvent).where(TimetableEvent.year == year)
                        .order_by(TimetableEvent.starts, TimetableEvent.kind, TimetableEvent.id))
    return {"year": year, "events": [timetable_record(e) for e in events]}

"""An extract meets the limits a hand entry meets, and a repeated upload is no oracle.

POST /extracts (and ``cqrs-central ingest``, the same ingest) loads only what GPES extracts: a row of an
item the practice enters by hand or the commissioner sets is refused, and every count keeps to its
stated maximum and the practice's list size in the file; the whole file is refused with each problem by
line, and nothing is loaded. The same bytes sent again are answered ``already_ingested`` only to an
uploader whose area covers every practice in the file.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import select

from central.directory import create_organisation, organisation
from central.models import PRACTICE, AchievementCount, CalculatedResult, Organisation
from central.security import EXTRACT_UPLOAD

from .conftest import Api, World

OCTOBER = "2025-10-31"
HEADER = "practice_code,service,indicator_id,achievement_date,numerator,denominator,pca\n"
_codes = itertools.count(101)


def _practice(world: World) -> str:
    """A new practice under Z91001's PCN (so under the world's commissioner); returns its ODS code."""
    with world.session() as session:
        pcn = session.get_one(Organisation, world.practice.parent_id)
        org = create_organisation(session, PRACTICE, f"Z94{next(_codes)}", "Limited Surgery",
                                  world.server.app.state.settings.clock(), parent=pcn)
        session.commit()
        return org.ods_code


def _upload(api: Api, token: str, text: str):
    return api.post("/extracts", token, data=text.encode(), headers={"Content-Type": "text/csv"})


def _stored(world: World, ods: str) -> dict[str, Any]:
    """Everything loaded and calculated for a practice: counts and results with their £."""
    with world.session() as session:
        practice = organisation(session, ods)
        assert practice is not None
        counts = session.scalars(select(AchievementCount).where(AchievementCount.practice_id == practice.id))
        results = session.scalars(select(CalculatedResult)
                                  .where(CalculatedResult.practice_id == practice.id))
        return {
            "counts": sorted((c.service, c.indicator_id, c.source, c.numerator, c.denominator)
                             for c in counts),
            "results": sorted((r.service, r.indicator_id, r.points, r.payment) for r in results),
        }


@pytest.fixture(scope="module")
def gpes(api: Api, world: World) -> str:
    return api.token(world.user({world.icb: (EXTRACT_UPLOAD,)}, "gpes"))


def test_the_reprobes_inflating_extract_is_refused_whole_naming_each_line(api: Api, world: World,
                                                                        gpes: str) -> None:
    ods = _practice(world)
    loaded = _upload(api, gpes, HEADER + f"{ods},QOF,LIST_SIZE,{OCTOBER},9000,,\n"
                                          f"{ods},LDHC,CHECKS,{OCTOBER},20,,\n")
    assert loaded.status_code == 200, loaded.text
    before = _stored(world, ods)
    inflating = (HEADER + f"{ods},QOF,LIST_SIZE,{OCTOBER},9000,,\n"
                 f"{ods},RSVP,DOSES,{OCTOBER},1000000,,\n"
                 f"{ods},WM,REFERRALS,{OCTOBER},1000000,,\n"
                 f"{ods},LDHC,LD_REG,{OCTOBER},9000,,\n"
                 f"{ods},WM,ALLOCATION,{OCTOBER},2000,,\n")
    refused = _upload(api, gpes, inflating)
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"] == {
        "line 3": "RSVP DOSES is entered by hand on CQRS by the practice, not extracted (no item of RSVP "
                  "comes in an extract)",
        "line 4": "WM REFERRALS is entered by hand on CQRS by the practice, not extracted (no item of WM "
                  "comes in an extract)",
        "line 5": "LDHC LD_REG is entered by hand on CQRS by the practice, not extracted (items an extract "
                  "may carry for LDHC: CHECKS)",
        "line 6": "WM ALLOCATION is set by the commissioner on CQRS, not extracted (no item of WM comes in "
                  "an extract)",
    }
    assert _stored(world, ods) == before  # nothing loaded, no payment changed


def test_every_count_keeps_to_the_list_size_in_the_file(api: Api, world: World, gpes: str) -> None:
    ods = _practice(world)
    rows = (f"{ods},QOF,LIST_SIZE,{OCTOBER},9000,,\n{ods},FLU,DOSES,{OCTOBER},{{doses}},,\n"
            f"{ods},QOF,BP002,{OCTOBER},10,{{denominator}},0\n{ods},QOF,AF_REG,{OCTOBER},{{register}},,\n"
            f"{ods},LDHC,CHECKS,{OCTOBER},{{checks}},,\n")
    over = HEADER + rows.format(doses=9001, denominator=9001, register=9001, checks=9001)
    refused = _upload(api, gpes, over)
    assert refused.status_code == 422
    where = f"practice {ods} at {OCTOBER}"
    assert refused.json()["error"]["fields"] == {
        "line 3": "FLU DOSES 9,001 is too many: it must be no more than the practice's list size of 9,000 "
                  "patients",
        "line 4": f"BP002 denominator 9,001 is more than the LIST_SIZE 9,000 of {where} (a denominator must "
                  "be a whole number from 0 to the list size)",
        "line 5": f"AF_REG 9,001 is more than the LIST_SIZE 9,000 of {where} (a register must be a whole "
                  "number from 0 to the list size)",
        "line 6": "LDHC CHECKS 9,001 is too many: it must be no more than the practice's list size of 9,000 "
                  "patients",
    }
    assert _stored(world, ods) == {"counts": [], "results": []}
    at_the_limit = _upload(api, gpes, HEADER + rows.format(doses=9000, denominator=9000, register=9000,
                                                           checks=9000))
    assert at_the_limit.status_code == 200, at_the_limit.text


def test_the_same_bytes_from_another_area_are_checked_like_a_new_file(api: Api, world: World,
                                                                     gpes: str) -> None:
    ods = _practice(world)
    loaded = HEADER + f"{ods},QOF,LIST_SIZE,{OCTOBER},9812,,\n{ods},MMR,DOSES,{OCTOBER},37,,\n"
    first = _upload(api, gpes, loaded)
    assert first.status_code == 200 and first.json()["already_ingested"] is False
    again = _upload(api, gpes, loaded)  # the practice's own uploader hears that it was loaded before
    assert again.status_code == 200
    assert again.json()["already_ingested"] is True
    assert again.json()["extract_id"] == first.json()["extract_id"]

    with world.session() as session:
        other_icb = session.get_one(Organisation, world.elsewhere.parent_id)
    outsider = api.token(world.user({other_icb: (EXTRACT_UPLOAD,)}, "outsider"))
    same = _upload(api, outsider, loaded)
    guessed_wrong = _upload(api, outsider, loaded.replace(",37,", ",38,"))
    assert same.status_code == guessed_wrong.status_code == 422
    assert same.json() == guessed_wrong.json()  # the exact bytes tell the outsider nothing more
    assert same.json()["error"]["fields"] == {
        "file": f"practice {ods} is not known to this service; ask the service administrator to add it "
                f"(cqrs-central add-practice {ods} --name ... --pcn ... --icb ... --list-size ...)"}

    # A file loaded by an uploader of both areas: one area's uploader is refused it too.
    both = api.token(world.user({world.icb: (EXTRACT_UPLOAD,), other_icb: (EXTRACT_UPLOAD,)}, "national"))
    far = world.elsewhere.ods_code
    mixed = loaded + f"{far},QOF,LIST_SIZE,{OCTOBER},4000,,\n"
    assert _upload(api, both, mixed).json()["already_ingested"] is False
    assert _upload(api, both, mixed).json()["already_ingested"] is True
    partial = _upload(api, gpes, mixed)
    assert partial.status_code == 422
    assert partial.json()["error"]["fields"] == {
        "file": f"practice {far} is not known to this service; ask the service administrator to add it "
                f"(cqrs-central add-practice {far} --name ... --pcn ... --icb ... --list-size ...)"}

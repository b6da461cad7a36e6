"""Set-based ingest on a real SQLite file: the feed records and results equal the reference builders', a
corrected file republishes only what changed, the CLI streams a file under --max-bytes, and the upload
takes gzip (by header or as a .gz file) with its limit applied after decompression."""

from __future__ import annotations

import gzip
import itertools
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from app.services.calculation import IndicatorCounts
from app.services.rules import QOF_SERVICE, load_rules
from benchmarks.national_extract import create_practices, extract_lines, practice_codes
from central import ingest_beside
from central.cli import main
from central.db import begin_write, make_engine, make_sessionmaker, migrate
from central.directory import create_organisation, organisation
from central.extract import parse_extract
from central.ingest import ingest_text
from central.models import PRACTICE, AchievementCount, CalculatedResult, Change, Organisation
from central.results import claim_record, qof_record
from central.security import EXTRACT_UPLOAD
from central.seed import demo_clock

from .conftest import Api, World

RULES = load_rules("2025-26")
PRACTICES = 40
HEADER = "practice_code,service,indicator_id,achievement_date,numerator,denominator,pca\n"
_codes = itertools.count(301)


@pytest.fixture
def loaded(tmp_path):
    """A new service database with the practices in place and one generated month loaded."""
    engine = make_engine(f"sqlite:///{tmp_path / 'central.db'}")
    migrate(engine)
    create_practices(engine, practice_codes(PRACTICES))
    text = "".join(extract_lines(practices=PRACTICES))
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        begin_write(session)
        report = ingest_text(session, text, RULES, clock=demo_clock(), filename="national.csv")
    yield sessions, text, report
    engine.dispose()


def _feed(session, type_: str) -> dict[tuple[str, str], dict]:
    rows = session.execute(select(Organisation.ods_code, Change.entity_id, Change.data)
                           .join(Organisation, Organisation.id == Change.practice_id)
                           .where(Change.type == type_).order_by(Change.seq))
    return {(code, key): data for code, key, data in rows}


def test_records_and_results_equal_the_reference_builders(loaded) -> None:
    sessions, text, report = loaded
    practices = parse_extract(text, RULES, require_caps=False, extracted_only=True).practices
    assert report.recalculated == PRACTICES and report.rows == len(text.splitlines()) - 1
    with sessions() as session:
        results, achievements = _feed(session, "result"), _feed(session, "achievement")
        benchmarks = _feed(session, "benchmark")
        stored = session.scalar(select(func.count()).select_from(CalculatedResult))
        counts = session.scalar(select(func.count()).select_from(AchievementCount))
    assert counts == report.rows
    expected_rows = 0
    pools: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p in practices:
        day = p.achievement_date
        assert results[(p.practice_code, f"QOF:{day}")] == qof_record(RULES, day, p.list_size, p.registers,
                                                                     list(p.qof))
        for service, items in p.services.items():
            assert results[(p.practice_code, f"{service}:{day}")] == claim_record(RULES, service, day, items)
        record = achievements[(p.practice_code, day.isoformat())]
        assert list(record) == ["achievement_date", "extract", "received_at", "counts"]
        assert record["achievement_date"] == day.isoformat() and record["extract"] == "national.csv"
        qof_counts = {"LIST_SIZE": [p.list_size, None, None],
                      **{f"{r}_REG": [n, None, None] for r, n in sorted(p.registers.items())},
                      **{c.indicator_id: [c.numerator, c.denominator, c.pca] for c in p.qof}}
        claims = {service: {item: [n, None, None] for item, n in items.items()}
                  for service, items in p.services.items()}
        assert record["counts"] == {QOF_SERVICE: qof_counts, **claims}
        assert list(record["counts"][QOF_SERVICE])[:2] == ["LIST_SIZE", f"{min(p.registers)}_REG"]
        expected_rows += len(p.qof) + len(p.services)
        for c in p.qof:
            if c.denominator:
                pools[c.indicator_id][0] += c.numerator
                pools[c.indicator_id][1] += c.denominator
    assert stored == expected_rows
    first = benchmarks[(practices[0].practice_code, f"QOF:{practices[0].achievement_date}")]
    assert {i: v["all"] for i, v in first["indicators"].items()} == {
        i: str(Fraction(n, d)) for i, (n, d) in pools.items()}


def test_a_corrected_file_republishes_only_what_changed(loaded) -> None:
    sessions, text, _ = loaded
    code = practice_codes(1)[0]
    line = next(n for n in text.splitlines() if n.startswith(f"{code},QOF,")
                and n.split(",")[2] in RULES.indicators and int(n.split(",")[4]) > 0)
    *head, num, den, pca = line.split(",")
    corrected = text.replace(line, ",".join([*head, str(int(num) - 1), den, pca]))
    with sessions.begin() as session:
        begin_write(session)
        before = session.scalar(select(func.max(Change.seq)))
        report = ingest_text(session, corrected, RULES, clock=demo_clock())
    assert not report.already_ingested
    with sessions() as session:
        republished = session.execute(select(Organisation.ods_code, Change.entity_id)
                                      .join(Organisation, Organisation.id == Change.practice_id)
                                      .where(Change.seq > before, Change.type == "result")).all()
    assert [tuple(r) for r in republished] == [(code, f"QOF:{line.split(',')[3]}")]


def test_the_cli_streams_a_file_within_max_bytes_and_names_an_unknown_practice(tmp_path, capsys) -> None:
    data = tmp_path / "data"
    data.mkdir()
    engine = make_engine(f"sqlite:///{data / 'central.db'}")
    migrate(engine)
    create_practices(engine, practice_codes(3)[:2])
    engine.dispose()
    path = tmp_path / "three.csv"
    path.write_text("".join(extract_lines(practices=3)))
    args = ["--data-dir", str(data), "ingest", str(path), "--year", "2025-26"]
    assert main([*args, "--max-bytes", "1000"]) == 2
    assert "larger than --max-bytes (1000 bytes); nothing was loaded" in capsys.readouterr().err
    assert main(args) == 2
    unknown = practice_codes(3)[2]
    assert (f"practice {unknown} is not known to this service; ask the service administrator to add it "
            f"(cqrs-central add-practice {unknown} --name ... --pcn ... --icb ... --list-size ...)"
            in capsys.readouterr().err)
    two = tmp_path / "two.csv"
    two.write_text("".join(extract_lines(practices=2)))
    assert main(["--data-dir", str(data), "ingest", str(two), "--year", "2025-26"]) == 0
    assert "Loaded" in capsys.readouterr().out
    assert main(["--data-dir", str(data), "ingest", str(two), "--year", "2025-26"]) == 0
    assert "was loaded before" in capsys.readouterr().out


# --- the upload over HTTPS ---------------------------------------------------------------------------


def _practice(world: World) -> str:
    with world.session() as session:
        pcn = session.get_one(Organisation, world.practice.parent_id)
        org = create_organisation(session, PRACTICE, f"Z95{next(_codes)}", "Gzip Surgery",
                                  world.server.app.state.settings.clock(), parent=pcn)
        session.commit()
        return org.ods_code


def _counts(world: World, ods: str) -> int:
    with world.session() as session:
        practice = organisation(session, ods)
        return session.scalar(select(func.count()).select_from(AchievementCount)
                              .where(AchievementCount.practice_id == practice.id))


@pytest.fixture(scope="module")
def gpes(api: Api, world: World) -> str:
    return api.token(world.user({world.icb: (EXTRACT_UPLOAD,)}, "gzip"))


def test_a_gzipped_upload_loads_by_header_or_as_a_gz_file(api: Api, world: World, gpes: str) -> None:
    ods = _practice(world)
    text = HEADER + f"{ods},QOF,LIST_SIZE,2025-10-31,9000,,\n{ods},QOF,BP002,2025-10-31,300,400,2\n"
    packed = gzip.compress(text.encode())
    first = api.post("/extracts", gpes, data=packed,
                     headers={"Content-Type": "text/csv", "Content-Encoding": "gzip"})
    assert first.status_code == 200, first.text
    assert first.json()["rows"] == 2 and _counts(world, ods) == 2
    again = api.post("/extracts", gpes, data=packed, headers={"Content-Type": "application/gzip"})
    assert again.status_code == 200 and again.json()["already_ingested"] is True  # the same CSV inside
    other = api.post("/extracts", gpes, data=packed, headers={"Content-Encoding": "br"})
    assert other.status_code == 422 and "Content-Encoding" in other.json()["error"]["fields"]


def test_a_gzip_bomb_is_stopped_at_the_limit_and_nothing_is_loaded(api: Api, world: World,
                                                                    gpes: str) -> None:
    ods = _practice(world)
    limit = world.server.app.state.settings.max_body_bytes
    rows = f"{ods},QOF,LIST_SIZE,2025-10-31,9000,,\n" * (limit // 30 + 1)
    bomb = gzip.compress((HEADER + rows).encode(), compresslevel=9)
    assert len(bomb) < limit // 100  # small on the wire
    refused = api.post("/extracts", gpes, data=bomb, headers={"Content-Encoding": "gzip"})
    assert refused.status_code == 413
    assert "allowed once decompressed" in refused.json()["error"]["message"]
    assert _counts(world, ods) == 0
    broken = api.post("/extracts", gpes, data=bomb[: len(bomb) // 2], headers={"Content-Encoding": "gzip"})
    assert broken.status_code == 422 and _counts(world, ods) == 0


def test_uploads_whose_records_are_made_in_a_second_process(api: Api, world: World, gpes: str,
                                                            monkeypatch) -> None:
    # The service's own path for a national file, on a small one: the other practice's line refuses the
    # whole file before anything starts, and two uploads at once both load, in turn, equal to the reference.
    monkeypatch.setattr(ingest_beside, "MIN_GROUPS", 1)
    spawned: list[bool] = []
    real_beside = ingest_beside.Texts._beside
    monkeypatch.setattr(ingest_beside.Texts, "_beside", lambda self: spawned.append(real_beside(self))
                        or spawned[-1])
    codes = [_practice(world) for _ in range(4)]
    files = ["".join([HEADER, f"{code},QOF,LIST_SIZE,2025-10-31,{8000 + n},,\n",
                      f"{code},QOF,BP002,2025-10-31,{300 + n},400,2\n"]) for n, code in enumerate(codes)]
    elsewhere = files[0] + f"{world.elsewhere.ods_code},QOF,LIST_SIZE,2025-10-31,9000,,\n"
    refused = api.post("/extracts", gpes, data=elsewhere.encode(), headers={"Content-Type": "text/csv"})
    assert refused.status_code == 422 and _counts(world, codes[0]) == 0
    pairs = [HEADER + files[0][len(HEADER):] + files[1][len(HEADER):],
             HEADER + files[2][len(HEADER):] + files[3][len(HEADER):]]
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda text: api.post("/extracts", gpes, data=text.encode(),
                                                      headers={"Content-Type": "text/csv"}), pairs))
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    with world.session() as session:
        results = _feed(session, "result")
    for n, code in enumerate(codes):
        day = date(2025, 10, 31)
        expected = qof_record(RULES, day, 8000 + n, {}, [IndicatorCounts("BP002", 300 + n, 400, 2)])
        assert results[(code, f"QOF:{day}")] == expected and _counts(world, code) == 2
    assert spawned == [True, True]  # the refused file never got that far

"""The fast national arithmetic (``central.fast_calc`` and what is built on it) against the reference.

The reference is ``app.services.calculation`` (exact Fractions). Compared value by value over a generated
month of 250 real practices: the first 200 by ODS code plus the 25 smallest and 25 largest lists in
England (20 to 100,332 patients), every 2025/26 indicator and register, with empty denominators and
achievement exactly at the lower and upper thresholds. A whole national month through the reference
takes about a minute, so that is left to ``benchmarks/national.py --check``, which compares all of it.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import pytest

from app.services.calculation import calculate_qof, to_pounds
from app.services.rules import load_rules
from benchmarks.national_extract import extract_lines, reference_practices
from central.calculate_cmd import practice_result
from central.calculate_json import write_document
from central.extract import parse_columns, parse_extract
from central.extract_columns import to_practices
from central.fast_calc import BANDS, QofArrays
from central.fast_records import COMPACT, qof_records, qof_texts
from central.results import qof_record, with_pca_reasons

RULES = load_rules("2025-26")
HEADER = "practice_code,service,indicator_id,achievement_date,numerator,denominator,pca\n"


def _pence(amount: Fraction) -> int:
    return int(to_pounds(amount) * 100)


@pytest.fixture(scope="module")
def month():
    by_size = sorted(reference_practices(), key=lambda p: p[1])
    codes = {p[0] for p in reference_practices()[:200]} | {p[0] for p in by_size[:25] + by_size[-25:]}
    columns = parse_columns("".join(extract_lines(codes=codes)), RULES)
    return columns, to_practices(columns, RULES)


def test_the_month_has_the_edge_cases(month) -> None:
    columns, practices = month
    sizes = [p.list_size for p in practices]
    assert min(sizes) <= 100 and max(sizes) > 90_000
    counts = [(RULES.indicators[c.indicator_id], c) for p in practices for c in p.qof]
    assert any(c.denominator == 0 for _, c in counts)
    achieved = [(i, Fraction(100 * c.numerator, c.denominator)) for i, c in counts if c.denominator]
    assert any(a == i.lower_threshold for i, a in achieved)
    assert any(a == i.upper_threshold for i, a in achieved)
    assert any(i.registers for i, _ in counts) and any(not i.registers for i, _ in counts)


def test_every_value_matches_the_reference(month) -> None:
    columns, practices = month
    arrays = QofArrays.of(columns, RULES)
    money = {name: arrays.pence(whole) for name, whole in (("payment", arrays.points_n),
                                                             ("next", arrays.next_n - arrays.points_n),
                                                             ("unclaimed", arrays.full_n - arrays.points_n))}
    totals_points, totals_max = arrays.points_total(), arrays.max_points_total()
    totals_pay = arrays.total_pence(arrays.points_n)
    totals_unclaimed = arrays.total_pence(arrays.full_n - arrays.points_n)
    checked = 0
    for g, practice in enumerate(practices):
        reference = calculate_qof(RULES, practice.list_size, practice.registers, practice.qof)
        assert totals_points[g] == reference.points
        assert totals_max[g] == reference.max_points
        assert totals_pay[g] == _pence(reference.payment)
        assert totals_unclaimed[g] == _pence(reference.gbp_unclaimed)
        for r in reference.indicators:
            i = columns.layout.indicators.index(r.indicator_id)
            assert Fraction(int(arrays.points_n[g, i]), int(arrays.points_d[g, i])) == r.points
            assert arrays.exact(arrays.points_n, g, i) == r.payment
            assert arrays.exact_per_point(g, i) == r.pounds_per_point
            assert money["payment"][g, i] == _pence(r.payment)
            assert money["next"][g, i] == _pence(r.gbp_next_patient)
            assert money["unclaimed"][g, i] == _pence(r.gbp_unclaimed)
            expected_upper = -1 if r.patients_to_upper_threshold is None else r.patients_to_upper_threshold
            assert arrays.to_upper[g, i] == expected_upper
            assert BANDS[arrays.band[g, i]] == r.band
            checked += 1
    assert checked > 10_000


def test_feed_records_match_qof_record(month) -> None:
    columns, practices = month
    fast = qof_records(columns, RULES)
    for record, p in zip(fast, practices, strict=True):
        assert record == qof_record(RULES, p.achievement_date, p.list_size, p.registers, list(p.qof))


def test_feed_texts_are_the_records_json_byte_for_byte(month) -> None:
    # The text ingest stores and publishes is what the compact encoder writes of the reference record,
    # with the PCA counts by reason where the extract gave them (here for two indicators of one practice).
    columns, practices = month
    first = practices[0]
    given = {first.qof[0].indicator_id: {"PCA003": 2, "PCA001": 5}, first.qof[3].indicator_id: {"PCA002": 1}}
    columns = replace(columns, pca_reasons={(first.practice_code, first.achievement_date, i): r
                                            for i, r in given.items()})
    texts = qof_texts(columns, RULES)
    for n, (text, p) in enumerate(zip(texts, practices, strict=True)):
        record = qof_record(RULES, p.achievement_date, p.list_size, p.registers, list(p.qof),
                            pca_reasons=given if n == 0 else None)
        assert text.text == COMPACT(record)
        assert text.parts == [COMPACT(i) for i in record["indicators"]]
        assert (text.indicator_ids, text.points, text.payments) == tuple(
            [i[key] for i in record["indicators"]] for key in ("indicator_id", "points", "payment"))
    assert '"pca_reasons":{"PCA001":5,"PCA003":2}' in texts[0].text
    plain = qof_records(columns, RULES)[0]
    with_pca_reasons(plain["indicators"], given)
    assert texts[0].text == COMPACT(plain)


def test_streamed_json_parses_to_the_reference_values(month) -> None:
    columns, practices = month
    out = io.StringIO()
    write_document(columns, RULES, out.write, workers=1)
    reference = {"practices": [practice_result(RULES, p) for p in practices]}
    assert json.loads(out.getvalue()) == reference
    # Byte for byte what json.dumps writes without indentation (floats as repr, pounds as 12.3).
    assert out.getvalue() == json.dumps(reference, separators=(",", ":")) + "\n"


def test_a_hand_worked_example_including_a_half_penny() -> None:
    # BP002: 15 points, thresholds 50% and 90%, paid on CPI alone. A list of exactly the national average
    # (10,184) makes CPI 1, so a point is worth £225.49. 70 of 100 achieve: 70% is 20/40 of the way from
    # 50% to 90%, so 7.5 points; 7.5 x £225.49 = £1,691.175, exactly half a penny: rounded up, £1,691.18.
    # One more patient (71%): 7.875 points, +0.375 x £225.49 = £84.55875 -> £84.56. Unclaimed: the other
    # 7.5 points, £1,691.18. Patients to the upper threshold: 90 - 70 = 20.
    text = HEADER + "A99001,QOF,LIST_SIZE,2026-03-31,10184,,\nA99001,QOF,BP002,2026-03-31,70,100,5\n"
    columns = parse_columns(text, RULES)
    arrays = QofArrays.of(columns, RULES)
    i = columns.layout.indicators.index("BP002")
    assert Fraction(int(arrays.points_n[0, i]), int(arrays.points_d[0, i])) == Fraction(15, 2)
    assert arrays.pence(arrays.points_n)[0, i] == 169_118
    assert arrays.pence(arrays.next_n - arrays.points_n)[0, i] == 8_456
    assert arrays.pence(arrays.full_n - arrays.points_n)[0, i] == 169_118
    assert arrays.to_upper[0, i] == 20
    out = io.StringIO()
    write_document(columns, RULES, out.write)
    indicator = json.loads(out.getvalue())["practices"][0]["services"][0]["indicators"][0]
    assert indicator["points"] == 7.5 and indicator["payment_gbp"] == 1691.18
    assert indicator["gbp_next_patient"] == 84.56 and indicator["patients_to_upper_threshold"] == 20
    [record] = qof_records(columns, RULES)
    assert record["payment"] == str(Fraction(338235, 200)) and record["payment_gbp"] == "1691.18"
    assert Decimal(record["indicators"][0]["gbp_next_patient"]) == Decimal("84.56")


def test_empty_and_threshold_cohorts_by_hand() -> None:
    # AF006 (12 points, 40%-90%, on the AF register). 0 of 0: no points, nothing unclaimed, no patients
    # to find. 40 of 100, exactly the lower threshold: 0 points, 50 patients to reach 90%. AF008 (12 points,
    # 70%-95%) at 90 of 100: 20/25 of the way, 9.6 points.
    rows = ["A99001,QOF,LIST_SIZE,2026-03-31,5000,,", "A99001,QOF,AF_REG,2026-03-31,120,,",
            "A99001,QOF,AF006,2026-03-31,0,0,0", "A99001,QOF,AF008,2026-03-31,90,100,0",
            "A99002,QOF,LIST_SIZE,2026-03-31,5000,,", "A99002,QOF,AF_REG,2026-03-31,120,,",
            "A99002,QOF,AF006,2026-03-31,40,100,0"]
    columns = parse_columns(HEADER + "\n".join(rows) + "\n", RULES)
    arrays = QofArrays.of(columns, RULES)
    af006, af008 = (columns.layout.indicators.index(i) for i in ("AF006", "AF008"))
    assert arrays.points_n[0, af006] == 0 and arrays.to_upper[0, af006] == -1
    assert arrays.pence(arrays.full_n - arrays.points_n)[0, af006] == 0
    assert Fraction(int(arrays.points_n[0, af008]), int(arrays.points_d[0, af008])) == Fraction(48, 5)
    assert arrays.points_n[1, af006] == 0 and arrays.to_upper[1, af006] == 50
    assert BANDS[arrays.band[1, af006]] == "below lower threshold"
    reference = parse_extract(HEADER + "\n".join(rows) + "\n", RULES).practices
    assert qof_records(columns, RULES) == [
        qof_record(RULES, p.achievement_date, p.list_size, p.registers, list(p.qof)) for p in reference]


def test_two_processes_write_the_same_document_as_one(month, monkeypatch) -> None:
    from central import calculate_json

    columns, _ = month
    alone, shared = io.StringIO(), io.StringIO()
    write_document(columns, RULES, alone.write, workers=1)
    monkeypatch.setattr(calculate_json, "MIN_SHARE", 1)  # share out even this small month
    write_document(columns, RULES, shared.write, workers=2)
    assert shared.getvalue() == alone.getvalue()


def test_baselines_of_the_improvement_route_match_the_reference() -> None:
    # 2026/27 VI001-VI003 at many practices, against the reference value by value: achievement from an
    # empty cohort to all, with both baseline years, one only, or none (the standard route alone).
    rules = load_rules("2026-27")
    rows, year_ends = [], {}
    cases = [(num, den, b1, b2) for den in (0, 7, 100, 131)
             for num in sorted({0, den // 3, den * 4 // 5, den})
             for b1, b2 in ((60, 66), (Fraction(181, 3), 88), (None, 70), (None, None))]
    for n, (num, den, b1, b2) in enumerate(cases):
        code = f"A9{n:04d}"
        rows.append(f"{code},QOF,LIST_SIZE,2026-10-31,{7000 + n},,")
        rows += [f"{code},QOF,{i},2026-10-31,{num},{den},0" for i in ("VI001", "VI002", "VI003")]
        ends = {year: Fraction(pct) for year, pct in (("2024-25", b1), ("2025-26", b2)) if pct is not None}
        year_ends[code] = {i: ends for i in ("VI001", "VI002", "VI003")}
    text = HEADER + "\n".join(rows) + "\n"
    columns = parse_columns(text, rules)
    practices = to_practices(columns, rules)
    out = io.StringIO()
    write_document(columns, rules, out.write, year_ends=year_ends)
    reference = {"practices": [practice_result(rules, p, year_ends[p.practice_code]) for p in practices]}
    assert out.getvalue() == json.dumps(reference, separators=(",", ":")) + "\n"
    assert qof_records(columns, rules, year_ends) == [
        qof_record(rules, p.achievement_date, p.list_size, p.registers, list(p.qof),
                   year_ends[p.practice_code]) for p in practices]
    assert [t.text for t in qof_texts(columns, rules, year_ends)] == [
        COMPACT(r) for r in qof_records(columns, rules, year_ends)]
    # The improvement route pays more than the standard one at 5/7, 80/100 and 104/131 (71.4%, 80%,
    # 79.4%: above B + 5 = 68%, below VI001's 89%) with B = 63, and at 80/100 and 104/131 with
    # B = (60.33 + 88) / 2 = 74.17 (above 79.17%): five practices.
    standard = qof_records(columns, rules)
    improved = sum(Fraction(a["points"]) > Fraction(b["points"])
                   for a, b in zip(qof_records(columns, rules, year_ends), standard, strict=True))
    assert improved == 5

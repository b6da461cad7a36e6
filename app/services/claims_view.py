"""What the dashboard shows for item-of-service claims: vaccination programmes month by month, and
enhanced services against their cap (LD health checks against the register, weight-management referrals
against the allocation).

Pure: result records in, frozen dataclasses out, exact Fractions; every £ is None without Finance View.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from app.services.dashboard import QOF, IndicatorRow, indicator_rows, result_date, year_ends_of
from app.services.rules import RuleSet

VI_INDICATORS = ("VI001", "VI002", "VI003", "VI004")


@dataclass(frozen=True)
class ClaimRow:
    service: str
    name: str
    achievement_date: date
    item: str  # what is counted, e.g. DOSES, CHECKS, REFERRALS
    count: int
    cap: int | None  # e.g. the LD register or the referral allocation
    paid_count: int
    over_cap: int  # done but beyond the cap, so not paid
    unit_value: Fraction | None  # £ fields are None without Finance View
    payment: Fraction | None
    headroom: Fraction | None  # £ still claimable before the cap
    waiting_for: str | None  # e.g. the manual entry a capped claim needs


@dataclass(frozen=True)
class VaccinationView:
    months: tuple[date, ...]  # oldest first
    programmes: tuple[tuple[str, str], ...]  # (code, name), by name
    rows: tuple[ClaimRow, ...]  # one per programme and month
    qof_indicators: tuple[IndicatorRow, ...]  # VI001-VI004 at the latest month, if QOF has them

    def doses(self, code: str) -> list[int]:
        by_month = {row.achievement_date: row.count for row in self.rows if row.service == code}
        return [by_month.get(month, 0) for month in self.months]

    def payments(self, code: str) -> list[Fraction | None]:
        """£ claimed per month (None without Finance View, or for a month with no claim)."""
        by_month = {row.achievement_date: row.payment for row in self.rows if row.service == code}
        return [by_month.get(month) for month in self.months]


def _money(value: Any, finance: bool) -> Fraction | None:
    return Fraction(value) if finance and value is not None else None


def claim_row(record: Mapping[str, Any], finance: bool) -> ClaimRow:
    count = int(record.get("count") or 0)
    paid = int(record.get("paid_count") if record.get("paid_count") is not None else count)
    cap = record.get("cap")
    return ClaimRow(record["service"], record.get("name") or record["service"], result_date(record),
                    str(record.get("item") or ""), count, int(cap) if cap is not None else None, paid,
                    count - paid, _money(record.get("unit_value"), finance),
                    _money(record.get("payment"), finance), _money(record.get("gbp_headroom"), finance),
                    record.get("waiting_for"))


def vaccinations(results: Sequence[Mapping[str, Any]], rules: RuleSet | None, *, year: str,
                 finance: bool) -> VaccinationView:
    """Every vaccination programme's monthly claims in QOF year ``year``, with VI001-VI004 progress."""
    claims = [claim_row(r, finance) for r in results
              if r.get("kind") == "vaccination" and r.get("year") == year]
    months = tuple(sorted({row.achievement_date for row in claims}))
    programmes = tuple(sorted({(row.service, row.name) for row in claims}, key=lambda p: p[1]))
    qof_rows: tuple[IndicatorRow, ...] = ()
    latest_qof = max((r for r in results if r.get("service") == QOF and r.get("year") == year),
                     key=result_date, default=None)
    if latest_qof is not None and rules is not None:
        rows = indicator_rows(latest_qof, rules, finance, year_ends=year_ends_of(results, rules))
        qof_rows = tuple(row for row in rows if row.indicator_id in VI_INDICATORS)
    ordered = tuple(sorted(claims, key=lambda row: (row.name, row.achievement_date)))
    return VaccinationView(months, programmes, ordered, qof_rows)


def enhanced(results: Sequence[Mapping[str, Any]], service: str, *, finance: bool) -> tuple[ClaimRow, ...]:
    """One enhanced service's claims, newest month first."""
    rows = [claim_row(r, finance) for r in results if r.get("service") == service]
    return tuple(sorted(rows, key=lambda row: row.achievement_date, reverse=True))

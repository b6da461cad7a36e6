"""The payment rules of one QOF year, loaded from ``resources/rules/<year>/`` and validated.

Pure: no Qt, no database, no network; shared by the desktop client and the central service. Numbers
that feed money are exact (``Fraction``), never floats. A broken rules file raises :class:`RulesError`
naming the file, the row and the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

# The rules' model and files live in their own modules; every name stays importable from here.
from app.services.rules_files import available_years, check_year, load_rules  # noqa: F401
from app.services.rules_model import (  # noqa: F401
    CONSTANT_NAMES,
    INDICATOR_COLUMNS,
    INDICATOR_ID_PATTERN,
    ITEM_PATTERN,
    OPTIONAL_INDICATOR_COLUMNS,
    PAYMENT_BASES,
    PERCENTAGE,
    QOF_SERVICE,
    REGISTER,
    REGISTER_PATTERN,
    RULES_ROOT,
    SERVICE_CODE_PATTERN,
    SERVICE_KINDS,
    UNSCORED,
    YEAR_PATTERN,
    Constants,
    ImprovementRule,
    Indicator,
    ItemLimit,
    RulesError,
    RuleSet,
    Service,
)

# Practice roles, as in CQRS: the service checks them, the app hides what a role cannot do.
USER_ADMINISTRATOR = "User Administrator"
FINANCE_VIEW = "Finance View"
VIEW = "View"
ACHIEVEMENT_ENTRY = "Achievement Entry"
SERVICE_MANAGEMENT = "Service Management"
DECLARATION_MANAGEMENT = "Declaration Management"
SUPERVISOR = "Supervisor"
PRACTICE_ROLES = (USER_ADMINISTRATOR, FINANCE_VIEW, VIEW, ACHIEVEMENT_ENTRY, SERVICE_MANAGEMENT,
                  DECLARATION_MANAGEMENT, SUPERVISOR)

# Commissioner (ICB) roles; they apply to every practice under the commissioner.
ADVANCED_USER_ADMINISTRATOR = "Advanced User Administrator"
APPROVAL_MANAGEMENT = "Approval Management"
FINANCE_MANAGEMENT = "Finance Management"
COMMISSIONING_MANAGEMENT = "Commissioning Management"
COMMISSIONER_ROLES = (ADVANCED_USER_ADMINISTRATOR, APPROVAL_MANAGEMENT, FINANCE_MANAGEMENT,
                      COMMISSIONING_MANAGEMENT)

# Roles that may see £ (payments, £ per point): Finance View at the practice; approval and finance at
# the commissioner, who approve and pay the claims. The service strips £ for everyone else; the app agrees.
MONEY_ROLES = (FINANCE_VIEW, APPROVAL_MANAGEMENT, FINANCE_MANAGEMENT)


def may_see_money(roles: Iterable[str]) -> bool:
    """True when any of ``roles`` may see £."""
    return any(role in MONEY_ROLES for role in roles)

# A declaration's statuses in order (as in CQRS); a recalculation sends it back to the first.
AWAITING_PROVIDER = "Awaiting Service Provider Approval"
AWAITING_COMMISSIONER = "Awaiting Commissioning Organisation Approval"
APPROVED = "Approved"
FINANCE_APPROVED = "Finance Approved"
PAID = "Paid"
DECLARATION_STATUSES = (AWAITING_PROVIDER, AWAITING_COMMISSIONER, APPROVED, FINANCE_APPROVED, PAID)


def qof_year(day: date) -> str:
    """The QOF year a date falls in (1 April to 31 March), e.g. 31 March 2026 -> "2025-26"."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def reporting_year(today: date) -> str:
    """The QOF year being worked on ``today``: that of the last month to have ended (in April, the year
    just ended, whose March extract is the year end)."""
    return qof_year(today.replace(day=1) - timedelta(days=1))


def current_year(today: date, root: Path = RULES_ROOT) -> str:
    """The QOF year being reported on ``today`` (the service's date): that of the last month to have ended,
    since extracts and calculations are of ended months (April's are of March, the year's last).

    While that year's rules are not shipped yet, the newest shipped year before it stands in.
    """
    ended = reporting_year(today)
    shipped = available_years(root)
    return ended if ended in shipped else next((year for year in shipped if year < ended), ended)


@lru_cache(maxsize=8)
def rules_for(year: str) -> RuleSet | None:
    """The rules of ``year``, loaded once; None for a year this version does not ship."""
    try:
        return load_rules(year)
    except RulesError:
        return None


@lru_cache(maxsize=1)
def _shipped_years() -> tuple[str, ...]:
    """The years shipped with the app (read once: names are looked up for every row shown)."""
    return tuple(available_years())


OTHER_SERVICE_NAMES = {QOF_SERVICE: "Quality and Outcomes Framework", "NCD": "Network Contract DES"}


def service_name(code: str, day: date | None = None) -> str:
    """A service's plain-English name: from the rules of ``day``'s QOF year first, then any shipped year."""
    years = [qof_year(day)] if day is not None else []
    for year in (*years, *_shipped_years()):
        rules = rules_for(year)
        found = rules.services.get(code) if rules is not None else None
        if found is not None:
            return found.name
    return OTHER_SERVICE_NAMES.get(code, code)

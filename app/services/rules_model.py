"""The shape of one QOF year's rules: indicators, constants, services, and the names their files use.

Pure: no Qt, no database, no network; shared by the desktop client and the central service (through
app.services.rules, which re-exports all of it). Numbers that feed money are exact (``Fraction``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

from app import resources

RULES_ROOT = resources.path("rules")
INDICATOR_COLUMNS = (
    "indicator_id",
    "group",
    "description",
    "max_points",
    "lower_threshold",
    "upper_threshold",
    "register",
    "source",
)
# Optional trailing columns (2026/27 on): a combined register used for prevalence once it is published, and
# why a row's figures are provisional (its source).
OPTIONAL_INDICATOR_COLUMNS = ("combined_register", "provisional")
# Constants that [provisional] in constants.toml may mark.
CONSTANT_NAMES = ("value_per_point_gbp", "national_average_list_size", "aspiration_fraction",
                  "national_prevalence", "improvement")
YEAR_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
INDICATOR_ID_PATTERN = re.compile(r"^[A-Z]{2,5}\d{3}$")
REGISTER_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*$")
SERVICE_CODE_PATTERN = re.compile(r"^[A-Z0-9]{2,10}$")
ITEM_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*$")
QOF_SERVICE = "QOF"

# Indicator kinds.
PERCENTAGE = "percentage"  # numerator / denominator against a lower and an upper threshold
REGISTER = "register"  # the practice keeps a register: full points when it exists (2024/25 and earlier)
UNSCORED = "unscored"  # the year's thresholds are not in our sources; no points can be calculated

PAYMENT_BASES = ("item_of_service", "per_item_capped")
SERVICE_KINDS = ("vaccination", "enhanced")


class RulesError(ValueError):
    """A rules file is missing or broken; the message names file, row and field."""


@dataclass(frozen=True)
class Indicator:
    indicator_id: str
    group: str
    description: str
    max_points: Fraction
    lower_threshold: Fraction | None  # percent, 0-100
    upper_threshold: Fraction | None  # percent, 0-100
    registers: tuple[str, ...]  # empty: paid on CPI alone
    source: str
    # Used instead of the summed registers when an extract carries it and its national prevalence is known.
    combined_register: str | None = None
    provisional: str | None = None  # why the figures are provisional, naming the source; None when firm

    @property
    def kind(self) -> str:
        if self.lower_threshold is not None and self.upper_threshold is not None:
            return PERCENTAGE
        if self.lower_threshold is None and self.description.lower().startswith("register"):
            return REGISTER
        return UNSCORED

    @property
    def register_label(self) -> str:
        return "+".join(self.registers)


@dataclass(frozen=True)
class ImprovementRule:
    """An indicator's improvement route: points for rising above the practice's own baseline B.

    Full points at B + ``upper_margin``, none at or below B + ``lower_margin`` (percentage points), linear
    between; B is the mean achievement % at 31 March of the ``baseline_years`` QOF years before.
    """

    indicator_id: str
    baseline_years: int
    lower_margin: Fraction
    upper_margin: Fraction


def _empty() -> Mapping:
    return MappingProxyType({})


@dataclass(frozen=True)
class Constants:
    value_per_point_gbp: Fraction
    national_average_list_size: Fraction
    aspiration_fraction: Fraction
    national_prevalence: Mapping[str, Fraction]  # register -> fraction of the whole national list
    # The published year the prevalence comes from, when it is not the rules' own year.
    national_prevalence_year: str | None = None
    provisional: Mapping[str, str] = dataclasses.field(default_factory=_empty)  # constant -> its source
    improvement: Mapping[str, ImprovementRule] = dataclasses.field(default_factory=_empty)


@dataclass(frozen=True)
class ItemLimit:
    """The largest value a person may enter for one item, and why (``reason`` is shown to them)."""

    maximum: int
    reason: str
    source: str


@dataclass(frozen=True)
class Service:
    """A V&I programme or enhanced service paid per item.

    Items are extracted (``automatic``), entered by the practice (``manual``) or set by the commissioner
    (``commissioner``, e.g. a referral allocation); each manual and commissioner item has a limit.
    """

    code: str
    name: str
    kind: str
    payment_basis: str
    unit_value_gbp: Fraction
    item: str
    cap_item: str | None
    automatic: tuple[str, ...]
    manual: tuple[str, ...]
    source: str
    note: str = ""
    commissioner: tuple[str, ...] = ()
    limits: Mapping[str, ItemLimit] = dataclasses.field(default_factory=lambda: MappingProxyType({}))
    approval_required: bool = True  # entries count towards payment only once the commissioner approves
    # Why the fee is provisional (e.g. the previous year's, carried over), naming its source; None when firm.
    provisional: str | None = None

    @property
    def items(self) -> tuple[str, ...]:
        """Every item an extract or a manual entry may carry for this service."""
        return tuple(dict.fromkeys((*self.automatic, *self.manual, *self.commissioner, self.item)))


@dataclass(frozen=True)
class RuleSet:
    year: str
    indicators: Mapping[str, Indicator]
    constants: Constants
    services: Mapping[str, Service]

    @property
    def qof_max_points(self) -> Fraction:
        return sum((i.max_points for i in self.indicators.values()), Fraction(0))

    @property
    def registers(self) -> frozenset[str]:
        """Registers the indicators are weighted by, and combined registers an extract may carry."""
        combined = {i.combined_register for i in self.indicators.values() if i.combined_register}
        return frozenset(r for i in self.indicators.values() for r in i.registers) | combined

    def year_start(self) -> int:
        return int(self.year[:4])


"""Reading and validating the rules files of a year in ``resources/rules/<year>/``.

Pure: no Qt, no database, no network; shared by the desktop client and the central service (through
app.services.rules, which re-exports it). A broken rules file raises :class:`RulesError` naming the file,
the row and the field.
"""

from __future__ import annotations

import csv
import re
import tomllib
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType

from app.services.rules_model import (
    CONSTANT_NAMES,
    INDICATOR_COLUMNS,
    INDICATOR_ID_PATTERN,
    ITEM_PATTERN,
    OPTIONAL_INDICATOR_COLUMNS,
    PAYMENT_BASES,
    PERCENTAGE,
    QOF_SERVICE,
    REGISTER_PATTERN,
    RULES_ROOT,
    SERVICE_CODE_PATTERN,
    SERVICE_KINDS,
    YEAR_PATTERN,
    Constants,
    ImprovementRule,
    Indicator,
    ItemLimit,
    RulesError,
    RuleSet,
    Service,
)


def available_years(root: Path = RULES_ROOT) -> list[str]:
    """Years with a rules folder, newest first."""
    years = [p.name for p in root.iterdir() if p.is_dir() and YEAR_PATTERN.match(p.name)]
    return sorted(years, reverse=True)


def check_year(year: str) -> str:
    """Return ``year`` if it is a well-formed QOF year like ``2025-26``; raise RulesError otherwise."""
    match = YEAR_PATTERN.match(year)
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise RulesError(f"year {year!r} is not a QOF year such as 2025-26")
    return year


def load_rules(year: str, root: Path = RULES_ROOT) -> RuleSet:
    """Load and validate the rules of ``year`` (e.g. ``"2025-26"``)."""
    folder = root / check_year(year)
    if not folder.is_dir():
        known = ", ".join(available_years(root)) or "none"
        raise RulesError(f"no rules for {year} in {folder} (years available: {known})")
    constants = _load_constants(folder / "constants.toml")
    indicators = _load_indicators(folder / "indicators.csv", constants)
    services = _load_services(folder / "services.toml")
    return RuleSet(
        year=year,
        indicators=MappingProxyType(indicators),
        constants=constants,
        services=MappingProxyType(services),
    )


# --- indicators.csv --------------------------------------------------------------------------


def _load_indicators(path: Path, constants: Constants) -> dict[str, Indicator]:
    text = _read_text(path)
    reader = csv.DictReader(text.splitlines())
    header = tuple(reader.fieldnames or ())
    if header not in (INDICATOR_COLUMNS, INDICATOR_COLUMNS + OPTIONAL_INDICATOR_COLUMNS):
        raise RulesError(
            f"{path}: line 1: the header must be {','.join(INDICATOR_COLUMNS)}, optionally followed by "
            f"{','.join(OPTIONAL_INDICATOR_COLUMNS)} (got {','.join(header)})"
        )
    indicators: dict[str, Indicator] = {}
    for line, row in enumerate(reader, start=2):

        def fail(field: str, problem: str, row=row, line=line) -> RulesError:
            return RulesError(f"{path}: line {line}, field '{field}': {problem} (got {row.get(field)!r})")

        if None in row or any(v is None for v in row.values()):
            raise RulesError(f"{path}: line {line}: expected {len(header)} fields")
        indicator_id = row["indicator_id"].strip()
        if not INDICATOR_ID_PATTERN.match(indicator_id):
            raise fail("indicator_id", "must look like DM020 (letters then three digits)")
        if indicator_id in indicators:
            raise fail("indicator_id", "appears twice")
        for field in ("group", "description", "source"):
            if not row[field].strip():
                raise fail(field, "must not be empty")
        max_points = _number(row["max_points"])
        if max_points is None or max_points <= 0 or max_points.denominator != 1:
            raise fail("max_points", "must be a whole number above 0")
        lower = _number(row["lower_threshold"])
        upper = _number(row["upper_threshold"])
        for field, value in (("lower_threshold", lower), ("upper_threshold", upper)):
            if row[field].strip() and (value is None or not 0 <= value <= 100):
                raise fail(field, "must be a percentage from 0 to 100, or empty")
        if upper is not None and lower is None:
            raise fail("lower_threshold", "is required when upper_threshold is given")
        if lower is not None and upper is not None and lower >= upper:
            raise fail("upper_threshold", "must be above lower_threshold")
        registers = tuple(r.strip() for r in row["register"].split("+")) if row["register"].strip() else ()
        for register in registers:
            if not REGISTER_PATTERN.match(register):
                raise fail("register", "must be register codes joined by '+', e.g. CHD+PAD")
            if register not in constants.national_prevalence:
                raise fail("register", f"register {register} has no national prevalence in constants.toml")
        combined = row.get("combined_register", "").strip() or None
        if combined is not None and (not REGISTER_PATTERN.match(combined) or len(registers) < 2):
            raise fail("combined_register", "must be one register code standing for the registers summed")
        indicators[indicator_id] = Indicator(
            indicator_id=indicator_id,
            group=row["group"].strip(),
            description=row["description"].strip(),
            max_points=max_points,
            lower_threshold=lower,
            upper_threshold=upper,
            registers=registers,
            source=row["source"].strip(),
            combined_register=combined,
            provisional=row.get("provisional", "").strip() or None,
        )
    if not indicators:
        raise RulesError(f"{path}: holds no indicators")
    for rule in constants.improvement.values():
        found = indicators.get(rule.indicator_id)
        if found is None or found.kind != PERCENTAGE:
            raise RulesError(f"{path.parent / 'constants.toml'}: [improvement.upper_margin] field "
                             f"'{rule.indicator_id}': must be a percentage indicator in indicators.csv")
    return indicators


# --- constants.toml --------------------------------------------------------------------------


def _load_constants(path: Path) -> Constants:
    data = _read_toml(path)

    def positive(key: str, upper: Fraction | None = None) -> Fraction:
        value = _toml_number(data.get(key))
        if value is None or value <= 0 or (upper is not None and value > upper):
            limit = f" and at most {upper}" if upper is not None else ""
            raise RulesError(
                f"{path}: field '{key}': must be a number above 0{limit} (got {data.get(key)!r})"
            )
        return value

    prevalence_table = data.get("national_prevalence")
    if not isinstance(prevalence_table, dict) or not prevalence_table:
        raise RulesError(f"{path}: table [national_prevalence] is missing or empty")
    prevalence: dict[str, Fraction] = {}
    for register, raw in prevalence_table.items():
        value = _toml_number(raw)
        if not REGISTER_PATTERN.match(register) or value is None or not 0 < value < 1:
            raise RulesError(
                f"{path}: [national_prevalence] field '{register}': must be a fraction "
                f"between 0 and 1 (got {raw!r})"
            )
        prevalence[register] = value
    prevalence_year = data.get("national_prevalence_year")
    if prevalence_year is not None:
        try:
            check_year(prevalence_year if isinstance(prevalence_year, str) else "")
        except RulesError:
            raise RulesError(f"{path}: field 'national_prevalence_year': must be a QOF year such as 2024-25 "
                             f"(got {prevalence_year!r})") from None
    provisional = data.get("provisional", {})
    if not isinstance(provisional, dict) or any(
        key not in CONSTANT_NAMES or not isinstance(text, str) or not text.strip()
        for key, text in provisional.items()
    ):
        raise RulesError(f"{path}: [provisional] must give, for some of {', '.join(CONSTANT_NAMES)}, the "
                         f"source that makes it provisional (got {provisional!r})")
    return Constants(
        value_per_point_gbp=positive("value_per_point_gbp"),
        national_average_list_size=positive("national_average_list_size"),
        aspiration_fraction=positive("aspiration_fraction", Fraction(1)),
        national_prevalence=MappingProxyType(prevalence),
        national_prevalence_year=prevalence_year,
        provisional=MappingProxyType({key: text.strip() for key, text in provisional.items()}),
        improvement=MappingProxyType(_improvement(path, data.get("improvement"))),
    )


def _improvement(path: Path, table: object) -> dict[str, ImprovementRule]:
    """``[improvement]``: baseline_years, lower_margin and [improvement.upper_margin] per indicator."""
    if table is None:
        return {}
    where = f"{path}: [improvement]"
    if not isinstance(table, dict):
        raise RulesError(f"{where} must be a table (got {table!r})")
    years = table.get("baseline_years")
    if isinstance(years, bool) or not isinstance(years, int) or years < 1:
        raise RulesError(f"{where} field 'baseline_years': must be a whole number above 0 (got {years!r})")
    lower = _toml_number(table.get("lower_margin"))
    if lower is None or not 0 <= lower < 100:
        raise RulesError(f"{where} field 'lower_margin': must be percentage points from 0 to under 100 "
                         f"(got {table.get('lower_margin')!r})")
    uppers = table.get("upper_margin")
    if not isinstance(uppers, dict) or not uppers:
        raise RulesError(f"{where}: table [improvement.upper_margin] is missing or empty")
    rules = {}
    for indicator_id, raw in uppers.items():
        upper = _toml_number(raw)
        if upper is None or not lower < upper <= 100:
            raise RulesError(f"{path}: [improvement.upper_margin] field '{indicator_id}': must be percentage "
                             f"points above lower_margin ({lower}) and at most 100 (got {raw!r})")
        rules[indicator_id] = ImprovementRule(indicator_id, years, lower, upper)
    return rules


# --- services.toml ---------------------------------------------------------------------------


def _load_services(path: Path) -> dict[str, Service]:
    data = _read_toml(path)
    entries = data.get("service")
    if not isinstance(entries, list) or not entries:
        raise RulesError(f"{path}: no [[service]] entries")
    services: dict[str, Service] = {}
    for number, entry in enumerate(entries, start=1):
        where = f"{path}: service {number}"

        def text(
            key: str, pattern: re.Pattern[str] | None = None, required: bool = True, entry=entry, where=where
        ) -> str:
            value = entry.get(key, "")
            if (
                not isinstance(value, str)
                or (required and not value.strip())
                or (pattern and value and not pattern.match(value))
            ):
                raise RulesError(f"{where}, field '{key}': invalid or missing (got {value!r})")
            return value.strip()

        def items(key: str, entry=entry, where=where) -> tuple[str, ...]:
            value = entry.get(key, [])
            if not isinstance(value, list) or not all(
                isinstance(v, str) and ITEM_PATTERN.match(v) for v in value
            ):
                raise RulesError(f"{where}, field '{key}': must be a list of item codes (got {value!r})")
            return tuple(value)

        code = text("code", SERVICE_CODE_PATTERN)
        if code in services or code == QOF_SERVICE:
            raise RulesError(f"{where}, field 'code': {code!r} is used twice")
        kind = text("kind")
        if kind not in SERVICE_KINDS:
            raise RulesError(
                f"{where}, field 'kind': must be one of {', '.join(SERVICE_KINDS)} (got {kind!r})"
            )
        basis = text("payment_basis")
        if basis not in PAYMENT_BASES:
            raise RulesError(
                f"{where}, field 'payment_basis': must be one of {', '.join(PAYMENT_BASES)} (got {basis!r})"
            )
        unit = _toml_number(entry.get("unit_value_gbp"))
        if unit is None or unit <= 0:
            raise RulesError(
                f"{where}, field 'unit_value_gbp': must be an amount above 0 "
                f"(got {entry.get('unit_value_gbp')!r})"
            )
        cap_item = text("cap_item", ITEM_PATTERN, required=basis == "per_item_capped") or None
        automatic, manual, commissioner = items("automatic"), items("manual"), items("commissioner")
        listed = automatic + manual + commissioner
        item = text("item", ITEM_PATTERN)
        if item not in listed:
            raise RulesError(
                f"{where}, field 'item': {item} must be listed in automatic, manual or commissioner"
            )
        if cap_item and cap_item not in listed:
            raise RulesError(
                f"{where}, field 'cap_item': {cap_item} must be listed in automatic, manual or commissioner"
            )
        twice = sorted({i for i in listed if listed.count(i) > 1})
        if twice:
            raise RulesError(
                f"{where}, field 'manual': {', '.join(twice)} must be only one of automatic, manual or "
                "commissioner (an item is extracted, entered by the practice or set by the commissioner)"
            )
        approval = entry.get("approval_required")
        if not isinstance(approval, bool):
            raise RulesError(f"{where}, field 'approval_required': must be true or false (got {approval!r})")
        services[code] = Service(
            code=code,
            name=text("name"),
            kind=kind,
            payment_basis=basis,
            unit_value_gbp=unit,
            item=item,
            cap_item=cap_item,
            automatic=automatic,
            manual=manual,
            source=text("source"),
            note=text("note", required=False),
            commissioner=commissioner,
            limits=MappingProxyType(_limits(entry.get("limits", {}), manual + commissioner, where)),
            approval_required=approval,
            provisional=text("provisional", required=False) or None,
        )
    return services


def _limits(table: object, entered: tuple[str, ...], where: str) -> dict[str, ItemLimit]:
    """``[service.limits.<ITEM>]``: one for every item a person enters, and none for any other item."""
    if not isinstance(table, dict):
        raise RulesError(f"{where}, field 'limits': must be [service.limits.<ITEM>] tables (got {table!r})")
    limits: dict[str, ItemLimit] = {}
    for item in entered:
        if item not in table:
            raise RulesError(f"{where}, field 'limits.{item}': missing (every manual and commissioner item "
                             "needs a maximum, a reason and a source)")
    for item, raw in table.items():
        key = f"limits.{item}"
        if item not in entered:
            raise RulesError(f"{where}, field '{key}': {item} is not a manual or commissioner item")
        if not isinstance(raw, dict):
            raise RulesError(f"{where}, field '{key}': must be a table (got {raw!r})")
        maximum = raw.get("maximum")
        if isinstance(maximum, bool) or not isinstance(maximum, int) or maximum < 1:
            raise RulesError(
                f"{where}, field '{key}.maximum': must be a whole number above 0 (got {maximum!r})"
            )
        for part in ("reason", "source"):
            if not isinstance(raw.get(part), str) or not raw[part].strip():
                raise RulesError(f"{where}, field '{key}.{part}': must not be empty (got {raw.get(part)!r})")
        limits[item] = ItemLimit(maximum, raw["reason"].strip(), raw["source"].strip())
    return limits


# --- helpers ---------------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(f"{path}: cannot be read ({exc.strerror or exc})") from exc


def _read_toml(path: Path) -> dict:
    try:
        # Decimal keeps "225.49" exactly 225.49; floats would not.
        return tomllib.loads(_read_text(path), parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path}: not valid TOML ({exc})") from exc


def _number(text: str) -> Fraction | None:
    text = text.strip()
    if not text:
        return None
    try:
        return Fraction(Decimal(text))
    except (InvalidOperation, ValueError):
        return None


def _toml_number(value: object) -> Fraction | None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        return None
    return Fraction(value)


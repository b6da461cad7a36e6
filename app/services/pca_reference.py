"""What each personalised care adjustment (PCA) code means, and the registers' names in CQRS data.

Pure (no Qt, no database, no network) and shared by both halves: the central service reads it to tell
a PCA count from an exclusion and a register from other fields in NHS England's INDICATOR_VALUES layout;
the desktop client, to show each PCA reason in plain English. Both read the same files in
``resources/reference/``.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from types import MappingProxyType

from app import resources

PCA_FILE = "pca-reference-2023-24.csv"
REGISTER_FILE = "qof-register-names.csv"
PCA, EXCLUSION = "PCA", "Exclusion"


@dataclass(frozen=True)
class Reason:
    code: str  # e.g. DMPCADEC
    meaning: str  # plain English, as NHS England publishes it
    kind: str  # PCA (counted as a PCA) or Exclusion (outside the denominator, not a PCA)
    scope: str  # General (any indicator of the condition), Specific (this care only), or n/a


@cache
def reasons() -> Mapping[str, Reason]:
    """Every PCA and exclusion code NHS England lists, by code."""
    with open(resources.path("reference") / PCA_FILE, encoding="utf-8", newline="") as handle:
        found = {row["SHORT_NAME"]: Reason(row["SHORT_NAME"], row["DESCRIPTION"], row["TYPE"],
                                           row["GENERAL_SPECIFIC"])
                 for row in csv.DictReader(handle)}
    return MappingProxyType(found)


def is_pca(code: str) -> bool:
    """True for a code counted as a personalised care adjustment (not an exclusion, not unknown)."""
    found = reasons().get(code)
    return found is not None and found.kind == PCA


def meaning(code: str) -> str:
    """The plain-English meaning of a PCA code; a code not in the reference says so."""
    found = reasons().get(code)
    return found.meaning if found is not None else f"{code}: a reason not in NHS England's PCA reference"


@cache
def register_names() -> Mapping[str, str]:
    """Register names as CQRS data spells them ("Diabetes Mellitus Register") -> our register code (DM).

    An empty code marks a register NHS England names that no indicator of ours is paid by (e.g. the
    Smoking Register): it is read and not kept.
    """
    with open(resources.path("reference") / REGISTER_FILE, encoding="utf-8", newline="") as handle:
        return MappingProxyType({row["FIELD_NAME"]: row["REGISTER"] for row in csv.DictReader(handle)})


def register_name(code: str) -> str | None:
    """The CQRS name of our register ``code`` (DM -> "Diabetes Mellitus Register"); None if it has none."""
    return next((name for name, each in register_names().items() if each == code), None)


def pca_rate(pca: int, denominator: int) -> Fraction | None:
    """The share of patients the indicator applied to (denominator + PCAs) who had a PCA (0-1); None when
    it applied to nobody. PCN and national rates pool the counts the same way."""
    return Fraction(pca, denominator + pca) if denominator + pca else None

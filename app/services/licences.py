"""The versions and licences of the components the app ships with, read from the installed packages'
metadata (nothing is fetched): the app's declared dependencies and theirs, plus Python and Qt. Run it on a
worker: it reads the packages' metadata from disk."""

from __future__ import annotations

import importlib.metadata
import platform
import re
from dataclasses import dataclass

# packaging comes with matplotlib, one of the app's dependencies (so it ships too).
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from app.version import DISTRIBUTION

PYTHON_LICENCE = "PSF-2.0"
QT_LICENCE = "LGPL-3.0-only"  # as Qt for Python's wheels carry it (GPL and commercial terms also exist)


@dataclass(frozen=True)
class Component:
    name: str
    version: str
    licence: str


def licence_of(metadata: importlib.metadata.PackageMetadata) -> str:
    """The licence a package declares: its SPDX expression, else a short License field, else classifiers."""
    expression = metadata.get("License-Expression")
    if expression:
        return expression.strip()
    text = (metadata.get("License") or "").strip()
    if text and "\n" not in text and len(text) <= 60 and text.upper() != "UNKNOWN":
        return text
    classified = [c.split("::")[-1].strip() for c in metadata.get_all("Classifier") or []
                  if c.startswith("License ::") and c.count("::") >= 2]
    if classified:
        return ", ".join(dict.fromkeys(classified))
    if text:
        return re.sub(r"\s+", " ", text)[:57] + "…" if len(text) > 60 else text
    return "not stated by the package"


def shipped_components(qt_version: str | None = None) -> list[Component]:
    """What the app ships with: Python, Qt (when its version is given), and the packages the app requires to
    run (its declared dependencies, not its test or build extras) with everything they require in turn,
    sorted by name (one row per name). Packages only installed for development are left out."""
    found: dict[str, Component] = {}
    for dist in _required_distributions(DISTRIBUTION):
        name = dist.metadata.get("Name") or dist.name
        found.setdefault(canonicalize_name(name), Component(name, dist.version, licence_of(dist.metadata)))
    found["python"] = Component("Python", platform.python_version(), PYTHON_LICENCE)
    if qt_version:
        found["qt"] = Component("Qt", qt_version, QT_LICENCE)
    return sorted(found.values(), key=lambda component: component.name.lower())


def _required_distributions(root: str) -> list[importlib.metadata.Distribution]:
    """The installed distributions ``root`` requires, directly or not, for this Python and platform (each
    requirement's environment marker evaluated, extras followed only where a requirement asks for them)."""
    seen: set[tuple[str, frozenset[str]]] = set()
    found: dict[str, importlib.metadata.Distribution] = {}
    waiting = [(root, frozenset[str]())]
    while waiting:
        name, extras = waiting.pop()
        if (canonicalize_name(name), extras) in seen:
            continue
        seen.add((canonicalize_name(name), extras))
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # e.g. required only on another platform's Python, or not installed here
        if name != root:
            found[canonicalize_name(name)] = dist
        for line in dist.requires or []:
            requirement = Requirement(line)
            if _applies(requirement, extras):
                waiting.append((requirement.name, frozenset(requirement.extras)))
    return list(found.values())


def _applies(requirement: Requirement, extras: frozenset[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in extras or {""})

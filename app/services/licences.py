"""The versions and licences of the components the app is built from, read from the installed packages'
metadata (nothing is fetched). Run it on a worker: it reads every package's metadata from disk."""

from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass

from app.version import DISTRIBUTION


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


def bundled_components() -> list[Component]:
    """Every installed package except the app itself, sorted by name (one row per name)."""
    found: dict[str, Component] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata.get("Name")
        if not name or name.lower() == DISTRIBUTION or name.lower() in found:
            continue
        found[name.lower()] = Component(name, dist.version, licence_of(dist.metadata))
    return sorted(found.values(), key=lambda component: component.name.lower())

"""The app's version, read from the installed package metadata (cheap: no network stack imported)."""

from __future__ import annotations

import importlib.metadata

DISTRIBUTION = "cqrs-desktop"


def app_version() -> str:
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:  # e.g. a frozen build without metadata
        return "0+unknown"


def user_agent() -> str:
    return f"CQRS-Desktop/{app_version()}"

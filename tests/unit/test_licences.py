"""app.services.licences: the About dialog's components are what the app ships with (its declared runtime
dependencies and what they require, Python and Qt), each with its licence; test and build tools are not."""

from __future__ import annotations

import importlib.metadata

import pytest

from app.services.licences import shipped_components

TEST_ONLY = ("pytest", "pytest-qt", "hypothesis", "ruff", "schemathesis", "httpx")  # the "test" extra


@pytest.fixture(scope="module")
def shipped() -> dict[str, str]:
    return {component.name.lower().replace("_", "-"): component.licence
            for component in shipped_components("6.9.0")}


@pytest.mark.parametrize("name", TEST_ONLY)
def test_a_test_only_package_is_left_out(shipped: dict[str, str], name: str) -> None:
    importlib.metadata.distribution(name)  # installed here, so leaving it out is the list's doing
    assert name not in shipped


def test_the_runtime_dependencies_and_theirs_are_listed_with_their_licences(shipped: dict[str, str]) -> None:
    assert shipped["requests"] == "Apache-2.0"
    assert "LGPL" in shipped["pyside6-essentials"]
    for required_in_turn in ("shiboken6", "urllib3", "starlette", "pydantic-core"):  # by PySide6, requests…
        assert required_in_turn in shipped
    assert "cqrs-desktop" not in shipped


def test_python_and_qt_are_listed(shipped: dict[str, str]) -> None:
    assert shipped["python"] == "PSF-2.0"
    assert shipped["qt"] == "LGPL-3.0-only"
    assert "qt" not in {component.name.lower() for component in shipped_components()}  # no version, no row


def test_one_row_per_component_in_name_order() -> None:
    names = [component.name.lower() for component in shipped_components("6.9.0")]
    assert names == sorted(names) and len(names) == len(set(names))

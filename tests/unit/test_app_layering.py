"""Import rules of the desktop client: services and models stay free of Qt; nothing in app/ uses central."""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
QT_BRIDGES = {APP / "services" / "tasks.py"}  # the one services module allowed to use Qt


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def python_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


NO_QT = [p for p in python_files(APP / "services") + python_files(APP / "models") if p not in QT_BRIDGES]


@pytest.mark.parametrize("path", NO_QT, ids=lambda p: str(p.relative_to(APP)))
def test_services_and_models_do_not_import_qt(path: Path) -> None:
    qt = [name for name in imported_modules(path) if name.split(".")[0] in ("PySide6", "shiboken6")]
    assert qt == [], f"{path.name} imports Qt: {qt}"


def test_nothing_in_app_imports_central() -> None:
    offenders = {str(path.relative_to(APP)): name for path in python_files(APP)
                 for name in imported_modules(path) if name.split(".")[0] == "central"}
    assert offenders == {}


def test_certificate_checks_are_never_switched_off() -> None:
    for path in python_files(APP):
        text = path.read_text(encoding="utf-8").replace(" ", "")
        assert "verify=False" not in text and "CERT_NONE" not in text, path

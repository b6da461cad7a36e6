"""Import rules of the desktop client: services and models stay free of Qt; nothing in app/ uses central."""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
# Services that are the Qt bridge: the task runner, and the sync engine's timer that reports to the hub.
QT_BRIDGES = {APP / "services" / "tasks.py", APP / "services" / "sync.py"}
DEMO_LAUNCHER = APP / "demo_server.py"  # starts the embedded central service for --demo, imported lazily


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


def test_nothing_in_app_imports_central_but_the_demo_launcher() -> None:
    offenders = {str(path.relative_to(APP)): name for path in python_files(APP) if path != DEMO_LAUNCHER
                 for name in imported_modules(path) if name.split(".")[0] == "central"}
    assert offenders == {}


@pytest.mark.parametrize("path", python_files(APP / "views"), ids=lambda p: str(p.relative_to(APP)))
def test_views_use_neither_the_network_nor_the_database(path: Path) -> None:
    banned = ("requests", "urllib3", "sqlalchemy", "central", "app.models")
    used = [name for name in imported_modules(path) if name.startswith(banned)]
    assert used == [], f"{path.name} imports {used}"


def test_the_start_up_path_does_not_import_matplotlib_or_central() -> None:
    import subprocess
    import sys

    code = ("import sys, app.main, app.views.main_window; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'matplotlib', 'central', 'fastapi'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_certificate_checks_are_never_switched_off() -> None:
    for path in python_files(APP):
        text = path.read_text(encoding="utf-8").replace(" ", "")
        assert "verify=False" not in text and "CERT_NONE" not in text, path

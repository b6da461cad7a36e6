"""Import rules of both halves: the shared rules stay pure, the central service uses nothing else of the
desktop, services and models stay free of Qt, and views reach neither the network nor the database."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
CENTRAL = ROOT / "central"

# The shared rules: pure modules (no Qt, database or network) imported by both the desktop and the central
# service, so each rule is written once. The central service may import these and nothing else of app/.
SHARED = (
    "app.services.rules",  # payment rules of a QOF year, role names, who may see £, the current QOF year
    "app.services.rules_model",  # the shape of a year's rules
    "app.services.rules_files",  # reading and validating a year's rules files
    "app.services.calculation",  # achievement, points and £
    "app.services.thresholds",  # points against an indicator's thresholds (the standard route)
    "app.services.improvement",  # the improvement route
    "app.services.entry_rules",  # what a manual entry may hold
    "app.services.identifiers",  # NHS-number-like values refused everywhere
    "app.services.windows",  # entry windows and declaration deadlines, and their wording
    "app.services.record_types",  # names of the feed's record types
    "app.services.format",  # UK wording of dates and amounts
    "app.services.offer_rules",  # no payment (so no declaring) without an accepted offer
    "app.services.account_rules",  # NHS email, shared mailboxes, UK phone, password policy
    "app.services.pca_reference",  # what each PCA code means, and the registers' names in CQRS data
    "app.resources",  # where the shipped files are, from source or from the bundle
)
HOLDERS = ("app", "app.services")  # the packages the shared modules live in
# Packages a shared module may not load, even indirectly.
NOT_IN_SHARED = ("PySide6", "shiboken6", "sqlalchemy", "alembic", "requests", "urllib3", "keyring", "fastapi",
                 "central", "matplotlib")

# Services that are the Qt bridge: the task runner, and the sync engine's timer that reports to the hub.
QT_BRIDGES = {APP / "services" / "tasks.py", APP / "services" / "sync.py"}
DEMO_LAUNCHER = APP / "demo_server.py"  # starts the embedded central service for --demo, imported lazily


def imported_modules(path: Path) -> set[str]:
    """Every absolute import in ``path``, at any depth; ``from a.b import c`` counts as a.b and a.b.c."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def python_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def module_path(name: str) -> Path:
    return ROOT.joinpath(*name.split(".")).with_suffix(".py")


def loaded_after_importing(*modules: str) -> set[str]:
    """Top-level packages in sys.modules after importing ``modules`` in a fresh interpreter."""
    code = (f"import sys; [__import__(m) for m in {list(modules)!r}]; "
            "print('\\n'.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(out.stdout.split())


def is_app_module(name: str) -> bool:
    return name == "app" or name.startswith("app.")


def app_beyond_shared(name: str) -> bool:
    """An import of app/ other than a shared module, a name from one, or a package that holds them."""
    return (is_app_module(name) and name not in (*SHARED, *HOLDERS)
            and name.rsplit(".", 1)[0] not in SHARED)


# --- the shared rules ----------------------------------------------------------------------------------

def test_every_shared_module_exists_and_says_it_is_shared_and_pure() -> None:
    for name in SHARED:
        doc = ast.get_docstring(ast.parse(module_path(name).read_text(encoding="utf-8"))) or ""
        assert "pure" in doc.lower(), f"{name}'s docstring does not say it is pure"
        assert "central service" in doc and "desktop" in doc, f"{name}'s docstring does not name both halves"


@pytest.mark.parametrize("name", SHARED)
def test_a_shared_module_loads_no_qt_database_or_network_package(name: str) -> None:
    loaded = {module.split(".")[0] for module in loaded_after_importing(name)}
    assert loaded.isdisjoint(NOT_IN_SHARED), f"{name} loads {sorted(loaded & set(NOT_IN_SHARED))}"


@pytest.mark.parametrize("name", SHARED)
def test_a_shared_module_imports_only_the_standard_library_and_other_shared_modules(name: str) -> None:
    outside = sorted(module for module in imported_modules(module_path(name))
                     if app_beyond_shared(module) or not is_app_module(module)
                     and module.split(".")[0] not in (*sys.stdlib_module_names, "__future__"))
    assert outside == [], f"{name} imports {outside}"


# --- the central service -------------------------------------------------------------------------------

def test_central_imports_nothing_of_app_but_the_shared_modules() -> None:
    offenders = {f"{path.relative_to(ROOT)}: {name}" for path in python_files(CENTRAL)
                 for name in imported_modules(path) if app_beyond_shared(name)}
    assert offenders == set()


def test_the_running_service_loads_nothing_of_app_but_the_shared_modules() -> None:
    loaded = loaded_after_importing("central.api", "central.cli", "central.server", "central.seed")
    app_modules = {name for name in loaded if is_app_module(name)}
    assert app_modules - set(SHARED) <= set(HOLDERS), sorted(app_modules - set(SHARED))
    assert set(SHARED) & app_modules, "the service should use the shared rules"


# --- the desktop -----------------------------------------------------------------------------------------

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
    code = ("import sys, app.main, app.views.main_window; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'matplotlib', 'central', 'fastapi'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_certificate_checks_are_never_switched_off() -> None:
    for path in python_files(APP):
        text = path.read_text(encoding="utf-8").replace(" ", "")
        assert "verify=False" not in text and "CERT_NONE" not in text, path

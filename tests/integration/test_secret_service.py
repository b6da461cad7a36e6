"""The refresh-token store against a real Secret Service: gnome-keyring on a private D-Bus session.

The child process sees only a temporary HOME and a private session bus, so the test never touches the
keyring of whoever runs it, and keyring picks its backend on its own (no backend is forced).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.secret_service

SERVER = "https://cqrs.example.nhs.uk"
EMAIL = "a.b@nhs.net"
TOKEN = "refresh-secret-123"
TOOLS = ("dbus-run-session", "gnome-keyring-daemon")

# Unlock (creating if need be) a login keyring with a throwaway password, then run the check in Python.
SHELL = ('eval "$(printf pw | gnome-keyring-daemon --unlock --components=secrets)"; '
         'exec "$PYTHON" -c "$SCRIPT"')

CHILD = f"""
import json
import pathlib
import keyring
from app.services.secrets import TokenStore


def files_holding_the_token():
    home = pathlib.Path.home()
    return [str(p) for p in home.rglob("*") if p.is_file() and {TOKEN!r}.encode() in p.read_bytes()]


backend = keyring.get_keyring()
modules = [type(backend).__module__] + [type(b).__module__ for b in getattr(backend, "backends", ())]
store = TokenStore()
persistent, saved = store.persistent, store.save({SERVER!r}, {EMAIL!r}, {TOKEN!r})
loaded = TokenStore().load({SERVER!r}, {EMAIL!r})
leaks_while_stored = files_holding_the_token()
store.delete({SERVER!r}, {EMAIL!r})
after_delete = TokenStore().load({SERVER!r}, {EMAIL!r})
print(json.dumps({{"modules": modules, "backend": store.backend_name, "persistent": persistent,
                  "saved": saved, "loaded": loaded, "after_delete": after_delete,
                  "leaks_while_stored": leaks_while_stored}}))
"""


def _child_env(home: Path) -> dict[str, str]:
    """A bare environment: PATH, a temporary HOME and XDG dirs, no session bus, no keyring overrides."""
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_RUNTIME_DIR": str(runtime),
        "LANG": "C.UTF-8",
        "PYTHON": sys.executable,
        "SCRIPT": CHILD,
    }
    assert not any(name.startswith(("PYTHON_KEYRING", "KEYRING")) for name in env)
    return env


def _run(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # A session of its own, so a hung run can be ended together with the bus and keyring daemons it started.
    process = subprocess.Popen(["dbus-run-session", "--", "sh", "-c", SHELL], env=env, cwd=cwd,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"The Secret Service check took over 60 s.\nstdout:\n{stdout}\nstderr:\n{stderr}")
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_refresh_token_round_trips_through_gnome_keyring(tmp_path: Path) -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: `make test` installs gnome-keyring and dbus "
                    "(or run `make system-packages`).")
    home = tmp_path / "home"
    home.mkdir()

    result = _run(_child_env(home), Path(__file__).resolve().parents[2])

    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no result from the child.\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    report = json.loads(lines[-1])
    assert any("SecretService" in module for module in report["modules"]), report
    assert report["persistent"] is True
    assert report["saved"] is True
    assert report["loaded"] == TOKEN
    assert report["after_delete"] is None

    # gnome-keyring keeps its keyring encrypted under the temporary HOME: the token is never there in clear,
    # neither while it is stored nor afterwards.
    assert report["leaks_while_stored"] == []
    files = [path for path in home.rglob("*") if path.is_file()]
    assert any(path.suffix == ".keyring" for path in files), [str(path) for path in files]
    leaks = [str(path) for path in files if TOKEN.encode() in path.read_bytes()]
    assert not leaks, leaks

"""Start-up's quick look in a real Secret Service (gnome-keyring on a private D-Bus session): it finds
the person's refresh token without the keyring library and without reading the secret, and finds
nothing for anyone else or once the token is deleted."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .test_secret_service import TOOLS, _child_env, _run

pytestmark = pytest.mark.secret_service

CHILD = """
import json
from app.services.secrets import TokenStore, found_quickly

server, email = "https://cqrs.example.nhs.uk", "a.b@nhs.net"
before = found_quickly(server, email)
store = TokenStore()
store.save(server, email, "refresh-secret-123")
report = {"before": before, "found": found_quickly(server, email),
          "other": found_quickly(server, "c.d@nhs.net"),
          "other_server": found_quickly("https://other.example", email)}
store.delete(server, email)
report["after_delete"] = found_quickly(server, email)
print(json.dumps(report))
"""


def test_the_quick_look_finds_only_this_persons_token(tmp_path: Path) -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: `make test` installs gnome-keyring and dbus.")
    home = tmp_path / "home"
    home.mkdir()
    env = {**_child_env(home), "SCRIPT": CHILD}
    result = _run(env, Path(__file__).resolve().parents[2])
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    report = json.loads([line for line in result.stdout.splitlines() if line.startswith("{")][-1])
    assert report == {"before": False, "found": True, "other": False, "other_server": False,
                      "after_delete": False}


LOCKED_CHILD = """
import json
import time
from app.services.secrets import TokenStore

started = time.monotonic()
store = TokenStore()
token = store.load("https://cqrs.example.nhs.uk", "a.b@nhs.net")
print(json.dumps({"token": token, "persistent": store.persistent, "problem": store.problem,
                  "seconds": time.monotonic() - started}))
"""


def test_a_keyring_not_set_up_is_not_waited_on(tmp_path: Path) -> None:
    """A Secret Service with no keyring set up, on a display nobody looks at (Xvfb): asking it opens an
    unlock prompt and waits for it. The app must not wait: it says sign-in lasts for this session."""
    import os
    import signal
    import subprocess

    missing = [tool for tool in (*TOOLS, "xvfb-run") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: `make test` installs gnome-keyring, dbus and xvfb.")
    home = tmp_path / "home"
    (home / ".cache").mkdir(parents=True)
    env = {**_child_env(home), "SCRIPT": LOCKED_CHILD}
    command = ["xvfb-run", "-a", "dbus-run-session", "--", "sh", "-c", 'exec "$PYTHON" -c "$SCRIPT"']
    process = subprocess.Popen(command, env=env, cwd=Path(__file__).resolve().parents[2], text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"Reading the keyring waited on its unlock prompt for over 30 s.\n{stderr}")
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    assert lines, f"stdout:\n{stdout}\nstderr:\n{stderr}"
    report = json.loads(lines[-1])
    assert report["token"] is None and report["persistent"] is False and report["problem"] == "locked"
    assert report["seconds"] < 5

"""Fixtures of the desktop client's tests live in tests/app_fixtures.py (shared with the other folders)."""

from app_fixtures import *  # noqa: F401,F403

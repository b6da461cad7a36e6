"""Which deadlines to remind the person of today: those due within N days, each at most once a day.

What was shown, and on which day, is kept in the person's own data folder (beside their cache), so a
restart the same day does not repeat a reminder. No Qt: app.views.reminders shows what ``pick`` returns.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path

from app import paths
from app.services import needs_doing
from app.services.needs_doing import Item

log = logging.getLogger(__name__)
FILE_NAME = "reminders-shown.json"
KEPT_DAYS = 14  # older entries are dropped: the file stays small


def shown_path() -> Path:
    """The file of reminders shown, in the folder of the person signed in."""
    return paths.cache_db_path().with_name(FILE_NAME)


def due(items: Iterable[Item], days: int) -> list[Item]:
    """The items with a deadline from today up to ``days`` days ahead (overdue ones cannot be met)."""
    return [item for item in items if item.days_left is not None and 0 <= item.days_left <= days]


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        log.warning("The reminders shown could not be read (%s): starting afresh", error)
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def choose(ods: str, items: Sequence[Item], days: int, today: date, path: Path) -> list[Item]:
    """The items due within ``days`` not yet shown today, recorded as shown now."""
    shown = _read(path)
    fresh = [item for item in due(items, days) if shown.get(f"{ods}/{item.key}") != today.isoformat()]
    if fresh:
        oldest = (today - timedelta(days=KEPT_DAYS)).isoformat()
        kept = {key: day for key, day in shown.items() if day >= oldest}
        kept.update({f"{ods}/{item.key}": today.isoformat() for item in fresh})
        paths.write_private_json(path, kept)
    return fresh


def pick(ods: str, today: date, roles: Iterable[str], days: int, path: Path | None = None) -> list[Item]:
    """What to remind the person of at ``ods`` on ``today`` (run on the database worker)."""
    return choose(ods, needs_doing.load(ods, today, roles), days, today, path or shown_path())

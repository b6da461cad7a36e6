"""Bounded request parameters: every integer in a path or query fits the database's 64-bit integers.

Without a bound, an id of 2**63 or more reaches the database driver and fails there (a 500 and a dropped
connection). With these, FastAPI answers 422 naming the field before any handler runs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_ID = 2**63 - 1  # the largest SQLite / PostgreSQL BIGINT

RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="The record's id, a whole number from 1.")]
Cursor = Annotated[int, Query(ge=0, le=MAX_ID, description="The feed position already applied (0 at first).")]

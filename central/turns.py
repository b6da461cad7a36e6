"""Turns at the database, waited for on the event loop and never in a worker thread.

SQLite has one write lock per database. Waiting for it inside ``BEGIN IMMEDIATE`` would hold a worker
thread and a pooled connection for the whole wait, and the lock holder, whose dependencies and handler
each need a worker thread of their own, could then wait for a thread held by one of its waiters: the
stall of a year-end rush. So the service's writers take turns at an ``anyio.Lock`` per database first
(waiting costs nothing but a coroutine) and begin ``BEGIN IMMEDIATE`` only once it is theirs; in this
process it then never waits, and other processes (the CLI) are covered by SQLite's busy timeout.

Readers take one of ``READ_SLOTS`` slots for the same reason: with fewer readers than worker threads
(central.server.WORKER_THREADS), the writer holding the turn always finds a thread free at once rather
than queueing behind every reader's next step, and fewer threads fight for the interpreter's lock.

PostgreSQL writers take turns the same way: in each process at this lock, then across the processes
of ``serve --workers N`` at an advisory lock taken as their transaction begins (central.db). So at
most one thread per process ever waits on the database's lock, and the holder's next step always finds a
thread: the in-process turn keeps threads free, the database lock keeps the data right.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TypeVar
from weakref import WeakKeyDictionary

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

READ_SLOTS = 8  # requests reading at once; more wait on the event loop
T = TypeVar("T")


@dataclass
class _Turns:
    write: anyio.Lock = field(default_factory=anyio.Lock)
    read: anyio.Semaphore = field(default_factory=lambda: anyio.Semaphore(READ_SLOTS, max_value=READ_SLOTS))


_turns: RunVar[WeakKeyDictionary[Engine, _Turns]] = RunVar("cqrs_database_turns")


def _of(engine: Engine) -> _Turns:
    turns = _turns.get(None)
    if turns is None:
        turns = WeakKeyDictionary()
        _turns.set(turns)
    return turns.setdefault(engine, _Turns())


@asynccontextmanager
async def write_turn(engine: Engine) -> AsyncIterator[None]:
    """This request's turn (in this process) to write to ``engine``'s database, held until the block ends."""
    async with _of(engine).write:
        yield


@asynccontextmanager
async def read_turn(engine: Engine) -> AsyncIterator[None]:
    """One of the read slots, held until the block ends."""
    async with _of(engine).read:
        yield


async def run_write(engine: Engine, work: Callable[..., T], *args: object) -> T:
    """``work(*args)`` in a worker thread during a write turn: a short write after reads elsewhere."""
    async with write_turn(engine):
        return await run_in_threadpool(work, *args)


async def run_read(engine: Engine, work: Callable[..., T], *args: object) -> T:
    """``work(*args)`` in a worker thread in a read slot."""
    async with read_turn(engine):
        return await run_in_threadpool(work, *args)


async def close_session(session: Session) -> None:
    """Close ``session`` in a thread of its own, so ending a turn never waits for a busy worker pool."""
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(session.close, limiter=anyio.CapacityLimiter(1))

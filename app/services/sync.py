"""The sync engine: push the outbox, then pull each practice's change feed into the local cache.

:class:`SyncEngine` does the work on a network worker and knows nothing of Qt: its HTTP runs there, and
every cache and outbox read or write is handed to the one database worker (``db``, by default
``tasks.call_db``), so no SQLite connection is used from two threads. :class:`SyncController` runs it
through the one background-task API, on demand (F5) and every N minutes, and reports through the signal
hub: one ``data_changed`` per sync with every kind that changed, and the real outbox count.

Only the signed-in person's outbox items are sent; an item without an owner is never sent (the log says
so). Nothing is ever dropped:

- network errors and 5xx are retried with backoff, then the item goes back in the queue;
- 401 renews the session once (in ``Auth.request``), then the user is asked to sign in;
- 409 marks the item "conflict", keeping our version and the server's;
- 422 (and other refusals) mark it "failed" with the server's message.

Each feed page is applied together with its cursor in one transaction (``cache_store.apply_feed_page``),
so an interrupted pull resumes where it stopped.

When nothing changed, a sync is one request per practice: the feed is asked with the ETag kept beside
the cursor and answers 304. Roles and the profile travel in the feed: each page says the caller's roles
at the practice and the tag of their profile, and only when either differs from the saved profile is
``/me`` asked again (at most once per sync), dropping the cache of any practice whose roles changed.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

from app.services import cache_store, outbox, tasks
from app.services.api_client import (
    Answer,
    ApiError,
    Conflict,
    NotFound,
    ServerError,
    Unauthorized,
    ValidationFailed,
)
from app.services.auth import Auth, SignInRequired
from app.services.profile import Profile
from app.signals import EVERYTHING, OUTBOX, changed, hub

log = logging.getLogger(__name__)
T = TypeVar("T")
DbCall = Callable[[Callable[[], Any]], Any]  # runs an op on the database worker and returns its result

PAGE_SIZE = 500
RETRIES = 3  # attempts per call before the sync gives up for now
BACKOFF_SECONDS = 0.5  # doubled after each failed attempt


@dataclass
class SyncReport:
    pushed: int = 0
    conflicts: int = 0
    failed: int = 0
    pages: int = 0
    records: int = 0
    kinds: set[str] = field(default_factory=set)  # record types that changed
    waiting: int = 0  # outbox items still waiting to be sent when the sync ended
    ownerless: int = 0  # queued items naming nobody: never sent
    finished_at: datetime | None = None
    profile: Profile | None = None  # who is signed in and their roles, as the service says now
    profile_refreshed: bool = False  # /me was asked during this sync (a page said something changed)

    def summary(self) -> str:
        parts = [f"{self.records:,} record{'s' * (self.records != 1)} updated"]
        if self.pushed:
            parts.append(f"{self.pushed} sent")
        if self.conflicts or self.failed:
            parts.append(f"{self.conflicts + self.failed} need your attention")
        return "Synced: " + ", ".join(parts) + "."


class SyncEngine:
    """One sync at a time; ``run`` is safe to call from any worker thread."""

    def __init__(self, auth: Auth, *, page_size: int = PAGE_SIZE, retries: int = RETRIES,
                 backoff: float = BACKOFF_SECONDS, sleep: Callable[[float], None] = time.sleep,
                 db: DbCall | None = None) -> None:
        self.auth = auth
        self.page_size, self.retries, self.backoff, self._sleep = page_size, retries, backoff, sleep
        self._db: DbCall = db or tasks.call_db
        self._running = threading.Lock()
        # Feed positions known to equal the cache's, read or written in this sync: each saves a trip to
        # the database worker (a sync that changes nothing makes two: one before, one after).
        self._positions: dict[str, tuple[str | None, str | None]] = {}

    def db(self, op: Callable[..., T], *args: Any) -> T:
        """``op(*args)`` on the database worker (cache and outbox work never runs on the network thread)."""
        result: T = self._db(functools.partial(op, *args))
        return result

    def run(self, practices: Sequence[str]) -> SyncReport:
        """Push every queued item, then pull every practice. Raises the error that stopped it, if any."""
        if not self._running.acquire(blocking=False):
            raise SyncBusy()
        synced: list[tuple[str, bool]] = []  # practices pulled to the end, and whether pages were written
        try:
            report = SyncReport(profile=self.auth.profile)
            mine = self._start(report, practices)
            self.push(report, mine)
            for ods in practices:
                if report.profile is None or report.profile.practice(ods) is None:
                    self.refresh_profile(report)  # not in the saved profile: perhaps a new practice
                if report.profile is not None and report.profile.practice(ods) is not None:
                    applied = self.pull(ods, report)
                    if applied is not None:
                        synced.append((ods, applied))
        except BaseException:
            if synced:  # the practices pulled before the error still count as synced
                with contextlib.suppress(Exception):  # the error that stopped the sync is the one to tell
                    self.db(_finish, synced)
            raise
        else:
            report.waiting = self.db(_finish, synced)
            report.finished_at = datetime.now(UTC)
            return report
        finally:
            self._positions.clear()
            self._running.release()

    def _start(self, report: SyncReport, practices: Sequence[str]) -> int:
        """One trip to the database worker: what the outbox holds, and where each practice's feed is."""
        report.ownerless, mine, self._positions = self.db(_start, self.auth.email, practices)
        return mine

    # --- push ------------------------------------------------------------------------------------

    def push(self, report: SyncReport, mine: int | None = None) -> None:
        """Send the signed-in person's queued items; ``mine``: how many they have queued, if known."""
        email = self.auth.email
        if mine is None:
            report.ownerless, mine = self.db(outbox.queued_counts, email)
        if report.ownerless:
            log.warning("%d outbox item(s) name nobody (queued before the app kept who made each change): "
                        "they are not sent, since no one can say in whose name", report.ownerless)
        if not email or not mine:
            return  # nobody signed in (nothing can be sent in anyone's name), or nothing of theirs waits
        while batch := self.db(outbox.next_batch, email):
            for position, item in enumerate(batch):
                try:
                    self._call(item.method, item.path, json=item.body, if_match=item.if_match,
                               idempotency_key=item.key)
                except Conflict as error:
                    self.db(outbox.mark_conflict, item.key, error.current, error.user_message)
                    report.conflicts += 1
                except ValidationFailed as error:
                    self.db(outbox.mark_failed, item.key, _with_fields(error))
                    report.failed += 1
                except ApiError as error:
                    if isinstance(error, Unauthorized) or error.retryable or error.status is None:
                        # Not sent (offline, server trouble, signed out): this item and the rest wait.
                        self._retry_later(batch[position:], getattr(error, "user_message", None))
                        raise
                    # Refused (403, 404...): kept, with the reason.
                    self.db(outbox.mark_failed, item.key, error.user_message)
                    report.failed += 1
                except Exception:
                    # Anything else (a reply the app cannot read, a locked database): nothing is lost,
                    # this item and the rest of the batch go back in the queue for the next sync.
                    self._retry_later(batch[position:], None)
                    raise
                else:
                    self.db(outbox.mark_sent, item.key)
                    report.pushed += 1
                report.kinds.update((item.kind, OUTBOX))  # pages showing what waits to be sent refresh

    def _retry_later(self, items: Sequence[outbox.OutboxEntry], message: str | None) -> None:
        self.db(_put_back, [item.key for item in items], message)

    # --- pull ------------------------------------------------------------------------------------

    def pull(self, ods: str, report: SyncReport) -> bool | None:
        """Pull the practice's feed to its end: True if pages were written, False if nothing was new,
        None if it is no longer one this person may see. The caller records the sync's time."""
        applied = False
        while True:
            since, etag = self._positions.pop(ods, None) or self.db(cache_store.feed_position, ods)
            since = since or "0"
            try:
                answer = self._call_feed(ods, since, etag)
            except NotFound:
                # The practice is no longer one this person may see: the profile says what is left.
                if report.profile_refreshed:
                    raise
                self.refresh_profile(report)
                if report.profile is not None and report.profile.practice(ods) is not None:
                    raise
                return None
            report.pages += 1
            if answer.not_modified:
                break
            page = answer.body if isinstance(answer.body, dict) else {}
            changes = page.get("changes", [])
            following = page.get("next")
            if not isinstance(following, int) or following < int(since) or (page.get("more") and
                                                                          following == int(since)):
                # Following a cursor that does not move forward would fetch the same page for ever.
                raise ServerError("The CQRS server sent changes the app could not follow. It will try "
                                  "again at the next sync.")
            if self._view_changed(ods, page, report):
                forgotten = self.refresh_profile(report)
                if report.profile is None or report.profile.practice(ods) is None:
                    return None
                if ods in forgotten:
                    continue  # its cache was dropped for the new roles: start again from the beginning
            self.db(cache_store.apply_feed_page, ods, changes, following, answer.etag)
            applied = True
            self._positions[ods] = (str(following), answer.etag)  # as apply_feed_page stored them
            report.records += len(changes)
            report.kinds.update(str(change.get("type")) for change in changes)
            if not (page.get("more") and changes):
                break
        self._positions.pop(ods, None)
        return applied

    def refresh_profile(self, report: SyncReport) -> list[str]:
        """Ask ``/me`` (once per sync); drop and return the practices whose roles changed."""
        if report.profile_refreshed:
            return []
        before = report.profile
        report.profile = self.auth.refresh_profile()
        report.profile_refreshed = True
        forgotten = self.db(forget_practices_with_new_roles, before, report.profile)
        for ods in forgotten:
            self._positions.pop(ods, None)  # dropped with the cache: read afresh (from the beginning)
        if forgotten:
            report.kinds.add(EVERYTHING)  # a practice's cache was dropped: every page reloads
        return forgotten

    @staticmethod
    def _view_changed(ods: str, page: dict[str, Any], report: SyncReport) -> bool:
        """True when the page's roles or profile tag differ from the profile in hand (and it is not new)."""
        if report.profile_refreshed:
            return False  # asked once this sync; anything newer is for the next one
        you = page.get("you")
        if not isinstance(you, dict):
            return True  # a service that does not say: ask /me, as every sync used to
        profile = report.profile
        mine = profile.practice(ods) if profile is not None else None
        if profile is None or mine is None:
            return True
        roles = you.get("roles")
        return (not isinstance(roles, list) or set(roles) != set(mine.roles)
                or you.get("profile_tag") != profile.tag)

    def _call_feed(self, ods: str, since: str, etag: str | None) -> Answer:
        """A conditional GET of one feed page: a resent request is harmless (GET changes nothing)."""
        path, params = f"/practices/{ods}/changes", {"since": since, "limit": self.page_size}
        return self._retrying(f"GET {path}", lambda: self.auth.get_if_changed(path, params, etag))

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request, retried with backoff on network errors and 5xx (never on a refusal)."""
        return self._retrying(f"{method} {path}", lambda: self.auth.request(method, path, **kwargs))

    def _retrying(self, what: str, send: Callable[[], T]) -> T:
        for attempt in range(self.retries):
            try:
                return send()
            except ApiError as error:
                if not error.retryable or attempt == self.retries - 1:
                    if error.retryable:
                        raise SyncStopped(error.user_message) from error
                    raise
                delay = self.backoff * 2 ** attempt
                log.info("%s failed (%s); again in %.1f s", what, type(error).__name__, delay)
                self._sleep(delay)
        raise AssertionError("unreachable")


def _start(email: str | None, practices: Sequence[str]
           ) -> tuple[int, int, dict[str, tuple[str | None, str | None]]]:
    """Queued items naming nobody, the signed-in person's queued items, and each practice's feed position."""
    ownerless, mine = outbox.queued_counts(email)
    return ownerless, mine, {ods: cache_store.feed_position(ods) for ods in practices}


def _finish(synced: Sequence[tuple[str, bool]]) -> int:
    """Record each practice's sync (a write only if pages were written, or the last one is old:
    cache_store.mark_synced), then count what still waits to be sent."""
    for ods, applied in synced:
        cache_store.mark_synced(ods, changed=applied)
    return outbox.waiting_count()


def _put_back(keys: Sequence[str], message: str | None) -> None:
    for key in keys:
        outbox.mark_retry(key, message)


def forget_practices_with_new_roles(old: Profile | None, new: Profile) -> list[str]:
    """Drop the cache of practices where the user's roles changed, so the next pull starts from 0.

    The feed only carries what the roles allow (user records go to User Administrators only): a new
    role must fetch what was held back before, and a lost one must not leave behind what it showed.
    """
    if old is None or old.email != new.email or old.server_url != new.server_url:
        return []
    changed = []
    for practice in new.practices:
        before = old.practice(practice.ods)
        if before is not None and set(before.roles) != set(practice.roles):
            cache_store.forget_practice(practice.ods)
            changed.append(practice.ods)
    return changed


class SyncBusy(RuntimeError):
    """A sync is already running."""

    user_message = "A sync is already running."


class SyncStopped(ApiError):
    """The service could not be reached (or kept failing) after retries: the app is offline for now."""

    retryable = True


def _with_fields(error: ValidationFailed) -> str:
    details = "; ".join(f"{name}: {message}" if name else message for name, message in error.fields.items())
    return f"{error.user_message} ({details})" if details else error.user_message


class SyncController(QObject):
    """Runs the engine in the background now (F5) and on a timer, and tells the hub how it went."""

    sign_in_needed = Signal(str)  # the message to show above the sign-in form

    def __init__(self, engine: SyncEngine, practices: Callable[[], Sequence[str]], interval_minutes: int,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self._practices = practices
        self._busy = False
        self._interval_ms = interval_minutes * 60_000
        self.last_report: SyncReport | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.sync_now)
        self._failures = 0

    @property
    def busy(self) -> bool:
        return self._busy

    def set_interval(self, minutes: int) -> None:
        self._interval_ms = minutes * 60_000
        self._schedule(self._interval_ms)

    def stop(self) -> None:
        self._timer.stop()

    def sync_now(self) -> bool:
        """Start a sync unless one is running; False if it was already running."""
        if self._busy:
            return False
        self._busy = True
        self._timer.stop()
        hub().sync_started.emit()
        practices = list(self._practices())
        tasks.run(lambda: self.engine.run(practices), self._succeeded, self._failed, kind="net")
        return True

    def _succeeded(self, report: SyncReport) -> None:
        self._busy, self._failures, self.last_report = False, 0, report
        hub().online_changed.emit(True)
        hub().outbox_changed.emit(report.waiting)
        if report.kinds:
            hub().data_changed.emit(changed(*report.kinds))  # once: each page reloads at most once
        hub().sync_finished.emit(True, report.summary())
        self._schedule(self._interval_ms)

    def _failed(self, error: BaseException) -> None:
        self._busy = False
        # Items may have been sent, refused or put back before it stopped: the count is read on the worker.
        tasks.run(outbox.waiting_count, hub().outbox_changed.emit)
        hub().data_changed.emit(changed(OUTBOX))
        message = tasks.describe_error(error)
        if isinstance(error, SignInRequired):
            hub().sync_finished.emit(False, message)
            self.sign_in_needed.emit(message)
            return
        if isinstance(error, ApiError) and error.retryable:
            hub().online_changed.emit(False)
        hub().sync_finished.emit(False, message)
        # Try again sooner than the usual interval while offline: 1, 2, 4... minutes, capped at it.
        self._failures += 1
        self._schedule(min(self._interval_ms, 60_000 * 2 ** (self._failures - 1)))

    def _schedule(self, delay_ms: int) -> None:
        self._timer.start(max(1_000, delay_ms))

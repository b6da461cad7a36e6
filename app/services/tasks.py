"""The one background-task API (in the style of Anki's QueryOp): the Qt bridge of the services layer.

    tasks.run(lambda: cache_store.records(ods, "offer"), success=view.set_rows)

``op`` runs off the GUI thread; ``success(result)`` or ``failure(exc)`` then runs on the GUI thread
(delivered through a queued Qt signal). Database work (``kind="db"``) runs on ONE worker thread, so
SQLite writes never compete; network work (``kind="net"``) runs on a small pool. Every failure takes
the same path: it is logged, then handed to ``failure`` or, if none was given, to the default failure
handler, which the main window replaces to show a plain-English message.

Code already on a network worker (the sync engine) hands its cache work to the database worker with
``call_db(op)`` and waits for the answer there, so no SQLite connection is used from two threads.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal

log = logging.getLogger(__name__)

T = TypeVar("T")
Kind = Literal["db", "net"]
FailureHandler = Callable[[BaseException], None]
NET_WORKERS = 4
DB_THREAD = "cqrs-db"  # the name of the one database worker thread (its prefix)
GENERIC_MESSAGE = "Something unexpected went wrong. The details are in the log file."
# How long a worker running Python may keep the interpreter before a waiting thread gets it (Python's
# default is 5 ms). The GUI thread needs the interpreter for each of its Python calls: beside a worker
# drawing a chart, opening the Charts tab took 52-62 ms with 5 ms and 27-34 ms with 1 ms.
GUI_SWITCH_INTERVAL_S = 0.001


def describe_error(error: BaseException) -> str:
    """The plain-English message for ``error``: its ``user_message`` if it has one (API errors do)."""
    message = getattr(error, "user_message", None)
    return message if isinstance(message, str) and message else GENERIC_MESSAGE


def _log_failure(error: BaseException) -> None:
    if getattr(error, "user_message", None):
        # Expected trouble (server unreachable, validation...): one line is enough.
        log.warning("Task failed: %s: %s", type(error).__name__, error)
    else:
        log.error("Task failed", exc_info=(type(error), error, error.__traceback__))


class _Task:
    __slots__ = ("op", "success", "failure", "future")

    def __init__(self, op: Callable[[], Any], success: Callable[[Any], None] | None,
                 failure: FailureHandler | None) -> None:
        self.op, self.success, self.failure = op, success, failure
        self.future: Future[Any] | None = None


class TaskRunner(QObject):
    """Runs ops on worker threads and delivers their results on the thread that owns the runner."""

    _finished = Signal(object)  # a _Task whose future is done; emitted on a worker, received on the GUI

    def __init__(self, net_workers: int = NET_WORKERS) -> None:
        super().__init__()
        self._db_thread: threading.Thread | None = None
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix=DB_THREAD,
                                      initializer=self._mark_db_thread)
        self._net = ThreadPoolExecutor(max_workers=net_workers, thread_name_prefix="cqrs-net")
        self._lock = threading.Lock()
        self._pending = 0
        self._closed = False
        self.failure_handler: FailureHandler = self._default_failure
        # Always queued, even when the op finished before run() returned: callbacks never run inside run().
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def run(self, op: Callable[[], Any], success: Callable[[Any], None] | None = None,
            failure: FailureHandler | None = None, *, kind: Kind = "db") -> Future[Any]:
        """Run ``op()`` on a worker; call ``success(result)`` or ``failure(exc)`` on the GUI thread later."""
        if kind not in ("db", "net"):
            raise ValueError(f"kind must be 'db' or 'net', not {kind!r}")
        if self._closed:
            raise RuntimeError("the task runner has been shut down")
        task = _Task(op, success, failure)
        with self._lock:
            self._pending += 1
        executor = self._db if kind == "db" else self._net
        task.future = executor.submit(op)
        # The callback runs on the worker (or here, if already done); the signal hops to our thread.
        task.future.add_done_callback(lambda _future: self._finished.emit(task))
        return task.future

    def call_db(self, op: Callable[[], T]) -> T:
        """Run ``op()`` on the database worker and wait for its result (or exception) on this thread.

        For worker threads only (e.g. the sync engine on the network pool): the GUI thread never waits.
        On the database worker itself ``op`` runs at once (waiting for itself would never end).
        """
        if threading.current_thread() is self._db_thread:
            return op()
        if self._closed:
            raise RuntimeError("the task runner has been shut down")
        return self._db.submit(op).result()

    def _mark_db_thread(self) -> None:
        self._db_thread = threading.current_thread()

    @property
    def pending(self) -> int:
        """Tasks submitted whose success/failure callback has not run yet."""
        with self._lock:
            return self._pending

    def wait_for_idle(self, timeout: float = 5.0) -> bool:
        """Process events until every task has been delivered; False if ``timeout`` seconds pass first.

        Call on the GUI thread (tests, shutdown). Never call it from a task.
        """
        deadline = time.monotonic() + timeout
        while self.pending:
            if time.monotonic() > deadline:
                return False
            QCoreApplication.processEvents()
            time.sleep(0.002)
        return True

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Cancel tasks not started, let running ones finish and deliver them; False if time ran out."""
        self._closed = True
        for executor in (self._db, self._net):
            executor.shutdown(wait=False, cancel_futures=True)
        return self.wait_for_idle(timeout)

    def _deliver(self, task: _Task) -> None:
        future = task.future
        assert future is not None
        try:
            if future.cancelled():
                return  # cancelled at shutdown: nobody is waiting for the answer any more
            error = future.exception()
            if error is None:
                if task.success is not None:
                    try:
                        task.success(future.result())
                    except Exception as callback_error:  # a bug in a view: same path as any failure
                        self._fail(callback_error, None)
            else:
                self._fail(error, task.failure)
        finally:
            with self._lock:
                self._pending -= 1

    def _fail(self, error: BaseException, failure: FailureHandler | None) -> None:
        _log_failure(error)
        try:
            (failure or self.failure_handler)(error)
        except Exception:
            log.exception("The failure handler itself failed")

    @staticmethod
    def _default_failure(error: BaseException) -> None:
        """Until the window installs its own handler, a failure is only logged (done in _fail)."""


_runner: TaskRunner | None = None


def favour_gui_thread() -> None:
    """Let the GUI thread take the interpreter from a busy worker within a millisecond."""
    sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)


def runner() -> TaskRunner:
    """The application's task runner, created on first use. Create it on the GUI thread."""
    global _runner
    if _runner is None:
        app = QCoreApplication.instance()
        if app is not None and QThread.currentThread() is not app.thread():
            raise RuntimeError("create the task runner on the GUI thread")
        _runner = TaskRunner()
    return _runner


def run(op: Callable[[], Any], success: Callable[[Any], None] | None = None,
        failure: FailureHandler | None = None, *, kind: Kind = "db") -> Future[Any]:
    """Run ``op`` in the background with the application's runner (see TaskRunner.run)."""
    return runner().run(op, success, failure, kind=kind)


def call_db(op: Callable[[], T]) -> T:
    """Run ``op`` on the application's database worker and wait for it (see TaskRunner.call_db)."""
    return runner().call_db(op)


def set_failure_handler(handler: FailureHandler | None) -> None:
    """Where failures without their own ``failure`` callback go (the window shows describe_error(exc))."""
    runner().failure_handler = handler or TaskRunner._default_failure


def wait_for_idle(timeout: float = 5.0) -> bool:
    """Process events until every task has been delivered (tests); False on timeout."""
    return _runner.wait_for_idle(timeout) if _runner is not None else True


def shutdown(timeout: float = 5.0) -> bool:
    """Stop the application's runner (on quit, and between tests); the next ``run`` makes a new one."""
    global _runner
    if _runner is None:
        return True
    current, _runner = _runner, None
    return current.shutdown(timeout)

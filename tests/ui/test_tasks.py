"""app.services.tasks: ops off the GUI thread, callbacks on it, one failure path, db work on one thread."""

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services import tasks
from app.services.api_client import Unreachable
from app.signals import Hub, hub, reset_hub


@pytest.fixture
def runner(qapp) -> Iterator[tasks.TaskRunner]:
    task_runner = tasks.TaskRunner()
    yield task_runner
    assert task_runner.shutdown(5)


def test_app_op_runs_off_the_gui_thread_and_success_on_it(qtbot, runner) -> None:
    seen: dict[str, object] = {}

    def op() -> int:
        seen["op_thread"] = threading.current_thread()
        return 42

    def success(result: int) -> None:
        seen["result"], seen["success_thread"] = result, threading.current_thread()

    runner.run(op, success)
    assert "result" not in seen  # never delivered inside run()
    qtbot.waitUntil(lambda: "result" in seen, timeout=2000)
    assert seen["result"] == 42
    assert seen["op_thread"] is not threading.main_thread()
    assert seen["success_thread"] is threading.main_thread()


def test_app_failure_goes_to_the_failure_callback_on_the_gui_thread(qtbot, runner, caplog) -> None:
    errors: list[tuple[BaseException, threading.Thread]] = []

    def op() -> None:
        raise Unreachable()

    runner.run(op, success=lambda _: pytest.fail("success called"),
               failure=lambda error: errors.append((error, threading.current_thread())), kind="net")
    qtbot.waitUntil(lambda: bool(errors), timeout=2000)
    error, thread = errors[0]
    assert isinstance(error, Unreachable) and thread is threading.main_thread()
    assert "Unreachable" in caplog.text  # logged as well
    assert tasks.describe_error(error) == Unreachable.default_message


def test_app_failures_without_a_callback_reach_the_default_handler(qtbot, runner, caplog) -> None:
    shown: list[str] = []
    runner.failure_handler = lambda error: shown.append(tasks.describe_error(error))
    runner.run(lambda: 1 / 0)
    runner.run(lambda: "fine", success=lambda _result: [][1])  # a bug in a callback takes the same path
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=2000)
    assert shown == [tasks.GENERIC_MESSAGE, tasks.GENERIC_MESSAGE]
    assert "ZeroDivisionError" in caplog.text and "IndexError" in caplog.text


def test_app_db_work_is_serialised_on_one_thread(runner) -> None:
    threads: set[str] = set()
    running = 0
    overlap = False
    lock = threading.Lock()

    def op() -> None:
        nonlocal running, overlap
        with lock:
            running += 1
            overlap = overlap or running > 1
            threads.add(threading.current_thread().name)
        time.sleep(0.01)
        with lock:
            running -= 1

    for _ in range(8):
        runner.run(op, kind="db")
    assert runner.wait_for_idle(5)
    assert len(threads) == 1 and not overlap


def test_app_network_work_hands_cache_work_to_the_one_db_thread(runner) -> None:
    seen: list[tuple[str, str]] = []

    def db_op() -> str:
        # Asked again from the db worker itself, it runs at once (waiting for itself would never end).
        inner = runner.call_db(lambda: threading.current_thread().name)
        return f"{threading.current_thread().name}|{inner}"

    def net_op() -> None:
        seen.append((threading.current_thread().name, runner.call_db(db_op)))

    db_thread: list[str] = []
    runner.run(lambda: db_thread.append(threading.current_thread().name), kind="db")
    for _ in range(3):
        runner.run(net_op, kind="net")
    assert runner.wait_for_idle(5)
    assert len(seen) == 3 and all(net.startswith("cqrs-net") for net, _ in seen)
    assert {answer for _, answer in seen} == {f"{db_thread[0]}|{db_thread[0]}"}
    with pytest.raises(ZeroDivisionError):  # the op's own error reaches the caller
        runner.call_db(lambda: 1 / 0)


def test_app_net_work_runs_in_parallel(runner) -> None:
    barrier = threading.Barrier(3, timeout=2)  # deadlocks unless three ops run at once
    results: list[int] = []
    for _ in range(3):
        runner.run(barrier.wait, success=results.append, kind="net")
    assert runner.wait_for_idle(5)
    assert sorted(results) == [0, 1, 2]


def test_app_results_arrive_in_order_for_db_work(runner) -> None:
    results: list[int] = []
    for number in range(20):
        runner.run(lambda n=number: n, success=results.append)
    assert runner.wait_for_idle(5)
    assert results == list(range(20))


def test_app_wait_for_idle_times_out(runner) -> None:
    release = threading.Event()
    runner.run(release.wait)
    assert runner.wait_for_idle(0.05) is False
    release.set()
    assert runner.wait_for_idle(5) is True


def test_app_shutdown_cancels_queued_work(runner) -> None:
    release = threading.Event()
    ran: list[int] = []
    runner.run(lambda: release.wait(5))
    for number in range(3):
        runner.run(lambda n=number: ran.append(n))
    threading.Timer(0.1, release.set).start()  # the running op ends while shutdown() waits
    assert runner.shutdown(5)
    assert ran == []
    with pytest.raises(RuntimeError, match="shut down"):
        runner.run(lambda: None)


def test_app_unknown_kind_is_refused(runner) -> None:
    with pytest.raises(ValueError, match="kind"):
        runner.run(lambda: None, kind="gpu")  # type: ignore[arg-type]


def test_app_module_level_runner_with_the_cache(qtbot, cache_db: Path) -> None:
    from app.services import outbox

    counts: list[int] = []
    try:
        tasks.run(lambda: outbox.enqueue("A81001", "offer_response", "POST", "/api/v1/offers/1/accept",
                                         owner="sarah.okafor@nhs.net"))
        tasks.run(outbox.waiting_count, success=counts.append)
        assert tasks.wait_for_idle(5)
        assert counts == [1]
    finally:
        assert tasks.shutdown(5)
    assert tasks._runner is None


def test_app_a_hub_first_used_on_a_worker_still_lives_on_the_gui_thread(qtbot, qapp) -> None:
    reset_hub()
    made: list[Hub] = []
    worker = threading.Thread(target=lambda: made.append(hub()))
    worker.start()
    worker.join(5)
    assert made and made[0].thread() is qapp.thread()
    received: list[str] = []
    made[0].queued.connect(lambda kind: received.append(threading.current_thread().name))
    threading.Thread(target=lambda: made[0].queued.emit("declaration")).start()
    qtbot.waitUntil(lambda: received == [threading.current_thread().name], timeout=2000)
    reset_hub()


def test_app_hub_signals_cross_threads(qtbot) -> None:
    reset_hub()
    the_hub = hub()
    assert isinstance(the_hub, Hub) and hub() is the_hub
    with qtbot.waitSignal(the_hub.outbox_changed, timeout=2000) as blocker:
        threading.Thread(target=lambda: the_hub.outbox_changed.emit(3)).start()
    assert blocker.args == [3]
    with qtbot.waitSignal(the_hub.sync_finished, timeout=2000) as blocker:
        the_hub.sync_finished.emit(False, "The CQRS server could not be reached.")
    assert blocker.args == [False, "The CQRS server could not be reached."]
    reset_hub()


def test_the_gui_thread_gets_the_interpreter_from_a_busy_worker_within_a_millisecond() -> None:
    import subprocess
    import sys

    code = ("import sys; from app.services import tasks; before = sys.getswitchinterval(); "
            "tasks.favour_gui_thread(); print(before, sys.getswitchinterval())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0.005", "0.001"]

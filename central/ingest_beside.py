"""The QOF records' JSON of a large extract, made in a second process while this one stores the counts.

Storing a national month's counts keeps SQLite busy for about two seconds, and the JSON of its QOF
records takes as long again. A thread cannot share that work: SQLite holds the interpreter
while it binds each row, so the two would only take turns. A spawned process (not forked: the service
runs threads) is given the extract's arrays, reads its year's rules itself and sends back only text;
what it makes is exactly what this process would (``central.fast_records``). A small or a very large
extract, a machine with one core, or rules other than the shipped year's have it made here, when asked
for.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

from app.services.rules import RuleSet, load_rules
from central.extract_columns import Columns
from central.fast_records import QofText, YearEnds, qof_texts

MIN_GROUPS = 2_000  # practice dates worth starting a process for (a national month is 6,188)
# Beyond this (four national months) the texts would be held in both processes at once, and in the pipe:
# a national year's are about 1.7 GB.
MAX_GROUPS = 25_000


def start(columns: Columns, rules: RuleSet, year_ends: YearEnds) -> Callable[[], list[QofText]]:
    """Start making ``fast_records.qof_texts`` of ``columns``; the function returned waits for them."""
    job = (columns, year_ends)
    shipped = rules == load_rules(rules.year)  # what the other process will read
    if not MIN_GROUPS <= len(columns.codes) <= MAX_GROUPS or len(os.sched_getaffinity(0)) < 2 or not shipped:
        return lambda: qof_texts(columns, rules, year_ends)
    # The job goes through a file, so that starting never waits for the other process to read it, and
    # the texts are read back on this thread when asked for: a helper thread would wait for the
    # interpreter as long as SQLite holds it.
    handle, path = tempfile.mkstemp(prefix="cqrs-ingest-", suffix=".pickle")
    with os.fdopen(handle, "wb") as file:
        pickle.dump(job, file, protocol=pickle.HIGHEST_PROTOCOL)
    receiving, sending = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.get_context("spawn").Process(target=_send, args=(sending, path), daemon=True)
    process.start()
    sending.close()

    def result() -> list[QofText]:
        try:
            failed, texts = receiving.recv()
        except EOFError:
            failed, texts = "the process stopped before it answered", None
        finally:
            receiving.close()
            process.join()
            Path(path).unlink(missing_ok=True)
        if failed:
            raise RuntimeError(f"making the QOF records failed (nothing was loaded): {failed}")
        return texts

    return result


def _send(sending, path: str) -> None:
    try:
        with open(path, "rb") as file:
            job = pickle.load(file)
        Path(path).unlink()
        columns, year_ends = job
        sending.send((None, qof_texts(columns, load_rules(columns.year), year_ends)))
    except Exception as exc:  # noqa: BLE001 - reported in the ingesting process
        sending.send(("".join(traceback.format_exception_only(exc)).strip(), None))
    finally:
        sending.close()

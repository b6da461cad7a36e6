"""The QOF records' JSON of a large extract, made in a second process while this one stores the counts.

Storing a national month's counts keeps SQLite busy for about two seconds, and the JSON of its QOF
records takes as long again. A thread cannot share that work: SQLite holds the interpreter
while it binds each row, so the two would only take turns. A spawned process (not forked: the service
runs threads) is given the extract's arrays, reads its year's rules itself and sends back only text;
what it makes is exactly what this process would (``central.fast_records``). A small or a very large
extract, a machine with one core, or rules other than the shipped year's have it made here, when asked
for. Closing it (when the ingest fails before asking) ends the other process.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import tempfile
import traceback
from pathlib import Path

from app.services.rules import RuleSet, load_rules
from central.extract_columns import Columns
from central.fast_records import QofText, YearEnds, qof_texts

MIN_GROUPS = 2_000  # practice dates worth starting a process for (a national month is 6,188)
# Beyond this (four national months) the texts would be held in both processes at once, and in the pipe:
# a national year's are about 1.7 GB.
MAX_GROUPS = 25_000


class Texts:
    """``fast_records.qof_texts`` of an extract, made meanwhile: call it to wait for them."""

    def __init__(self, columns: Columns, rules: RuleSet, year_ends: YearEnds) -> None:
        self.columns, self.rules, self.year_ends = columns, rules, year_ends
        self.process: multiprocessing.process.BaseProcess | None = None
        if not self._beside():
            return
        # The job goes through a file, so that starting never waits for the other process to read it, and
        # the texts are read back on this thread when asked for: a helper thread would wait for the
        # interpreter as long as SQLite holds it.
        handle, self.path = tempfile.mkstemp(prefix="cqrs-ingest-", suffix=".pickle")
        with os.fdopen(handle, "wb") as file:
            pickle.dump((columns, year_ends), file, protocol=pickle.HIGHEST_PROTOCOL)
        self.receiving, sending = multiprocessing.Pipe(duplex=False)
        self.process = multiprocessing.get_context("spawn").Process(target=_send, args=(sending, self.path),
                                                                     daemon=True)
        self.process.start()
        sending.close()

    def _beside(self) -> bool:
        if not MIN_GROUPS <= len(self.columns.codes) <= MAX_GROUPS or len(os.sched_getaffinity(0)) < 2:
            return False
        return self.rules == load_rules(self.rules.year)  # what the other process will read

    def __call__(self) -> list[QofText]:
        if self.process is None:
            return qof_texts(self.columns, self.rules, self.year_ends)
        try:
            failed, texts = self.receiving.recv()
        except EOFError:
            failed, texts = "the process stopped before it answered", None
        finally:
            self.close()
        if failed:
            raise RuntimeError(f"making the QOF records failed (nothing was loaded): {failed}")
        return texts

    def close(self) -> None:
        """End the other process if it is still there (its texts no longer wanted) and tidy up."""
        if self.process is None:
            return
        self.receiving.close()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
        Path(self.path).unlink(missing_ok=True)
        self.process = None


def start(columns: Columns, rules: RuleSet, year_ends: YearEnds) -> Texts:
    """Start making ``fast_records.qof_texts`` of ``columns``; call what is returned to wait for them, or
    close it when they are no longer wanted."""
    return Texts(columns, rules, year_ends)


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

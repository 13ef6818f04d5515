"""Checking many submissions on every core: a process pool over chunks of files, in order.

A system's 2,000 files are independent of each other, so intake splits them into chunks and
checks the chunks in worker processes, each holding the control workbook's context once (set by
the pool's initializer, not sent with every chunk). Results come back in the files' order, so the
outcome is the same as checking them one by one. Small folders are checked in this process:
starting workers costs more than it saves. `HYBRIDBUDGET_WORKERS=1` turns the pool off.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

WORKERS_ENV = "HYBRIDBUDGET_WORKERS"
FILES_PER_WORKER = 40  # below this many files per worker, one process is faster
CHUNKS_PER_WORKER = 4  # several chunks each: progress to report, no worker left idle
CHUNK_FILES = 50  # at most about this many files a chunk: the last chunk keeps one worker busy

T = TypeVar("T")
R = TypeVar("R")


def available_cpus() -> int:
    """CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def worker_count(items: int) -> int:
    """How many worker processes `items` files deserve (1: check them here)."""
    wanted = os.environ.get(WORKERS_ENV, "").strip()
    limit = int(wanted) if wanted.isdigit() and int(wanted) > 0 else available_cpus()
    return max(1, min(limit, items // FILES_PER_WORKER))


def _context() -> Any:
    """fork where it is safe and cheap (Linux): workers share the parent's memory."""
    if sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods():
        return mp.get_context("fork")
    return mp.get_context()


def chunked(items: Sequence[T], chunks: int) -> list[list[T]]:
    """Consecutive runs of `items`, `chunks` of them at most, sizes differing by at most one."""
    chunks = max(1, min(chunks, len(items)))
    size = math.ceil(len(items) / chunks) if items else 1
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def map_in_order(
    work: Callable[[list[T]], list[R]],
    items: Sequence[T],
    workers: int,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
    done: Callable[[int], None] = lambda _n: None,
) -> list[R]:
    """work() over chunks of items in `workers` processes; results in the items' order.

    `initializer(*initargs)` runs once in each worker (and here, when no pool can be started:
    then everything runs in this process). `done(n)` is told how many items are finished.
    """
    if workers > 1:
        try:
            return list(_pooled(work, items, workers, initializer, initargs, done))
        except (OSError, BrokenProcessPool):  # no processes to be had: do it here
            pass
    initializer(*initargs)
    out: list[R] = []
    for chunk in chunked(items, CHUNKS_PER_WORKER):
        out.extend(work(chunk))
        done(len(out))
    return out


def _pooled(
    work: Callable[[list[T]], list[R]],
    items: Sequence[T],
    workers: int,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
    done: Callable[[int], None],
) -> Iterator[R]:
    finished = 0
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=_context(), initializer=initializer, initargs=initargs
    ) as pool:
        chunks = max(workers * CHUNKS_PER_WORKER, math.ceil(len(items) / CHUNK_FILES))
        for results in pool.map(work, chunked(items, chunks)):
            finished += len(results)
            done(finished)
            yield from results

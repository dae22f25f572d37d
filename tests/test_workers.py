"""Independent computations on the spare cores (:mod:`enforcement_crime.workers`).

Whichever process computes a task, the caller gets what the serial loop gives: the results in
order, the first failing task's exception, the workers' warnings and printed output; and each
process computes with one BLAS thread while they share the cores.
"""

from __future__ import annotations

import functools
import os
import time
import warnings

import pytest

from enforcement_crime import workers
from enforcement_crime.workers import WORKERS_ENV, WorkerError, run_tasks

pytestmark = pytest.mark.skipif(
    not workers.fork_available(), reason="worker processes are forked (Linux only)"
)

PARENT = os.getpid()


def _slow_pid(i: int, seconds: float = 0.1) -> tuple[int, int]:
    time.sleep(seconds)
    return i, os.getpid()


def test_results_come_back_in_order_whichever_process_computed_them():
    tasks = [functools.partial(_slow_pid, i) for i in range(8)]
    got = run_tasks(tasks, workers=2)
    assert [i for i, _ in got] == list(range(8))
    pids = {pid for _, pid in got}
    assert PARENT in pids and len(pids) == 2  # both processes took tasks


def test_one_worker_is_the_serial_loop():
    got = run_tasks([functools.partial(_slow_pid, i, 0.0) for i in range(3)], workers=1)
    assert got == [(0, PARENT), (1, PARENT), (2, PARENT)]


def _fails(i: int) -> int:
    time.sleep(0.05)
    if i == 2:
        raise ValueError("task 2 failed")
    if i == 4:
        raise KeyError("task 4 failed")
    return i


def test_the_first_failing_task_in_order_is_raised():
    with pytest.raises(ValueError, match="task 2 failed"):
        run_tasks([functools.partial(_fails, i) for i in range(8)], workers=2)


def _fails_in_a_worker(i: int, error: type[Exception] = ValueError) -> int:
    time.sleep(0.1)
    if os.getpid() != PARENT:
        raise error(f"task {i} in a worker")
    return i


def test_an_exception_from_a_worker_keeps_its_type_and_says_where_it_was_raised():
    with pytest.raises(ValueError, match=r"task \d in a worker") as info:
        run_tasks([functools.partial(_fails_in_a_worker, i) for i in range(6)], workers=2)
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "raised in a worker process" in notes and "_fails_in_a_worker" in notes


class _Unpicklable(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.callback = lambda: None  # a lambda cannot be pickled


def test_an_exception_that_cannot_be_pickled_comes_back_with_its_traceback():
    with pytest.raises(WorkerError, match=r"(?s)task failed in a worker.*_Unpicklable: task \d"):
        run_tasks(
            [functools.partial(_fails_in_a_worker, i, _Unpicklable) for i in range(6)], workers=2
        )


def _warns_and_prints(i: int) -> int:
    time.sleep(0.1)
    warnings.warn(f"warning of task {i}", UserWarning, stacklevel=1)
    print(f"printed by task {i}")
    return i


def test_warnings_and_output_of_the_workers_reach_the_caller(capsys):
    with pytest.warns(UserWarning) as caught:
        got = run_tasks([functools.partial(_warns_and_prints, i) for i in range(6)], workers=2)
    assert got == list(range(6))
    assert {str(w.message) for w in caught} == {f"warning of task {i}" for i in range(6)}
    out = capsys.readouterr().out
    assert all(f"printed by task {i}" in out for i in range(6))


def _blas_threads(_: int) -> list[int]:
    from threadpoolctl import threadpool_info

    time.sleep(0.1)
    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


def test_each_process_computes_with_one_blas_thread_and_the_limit_is_lifted_after():
    from threadpoolctl import threadpool_info

    before = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    got = run_tasks([functools.partial(_blas_threads, i) for i in range(4)], workers=2)
    assert all(threads and set(threads) == {1} for threads in got)
    after = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    assert after == before


def test_worker_count_reads_the_environment(monkeypatch):
    monkeypatch.setenv(WORKERS_ENV, "3")
    assert workers.worker_count() == 3
    for bad in ("0", "two"):
        monkeypatch.setenv(WORKERS_ENV, bad)
        with pytest.raises(ValueError, match=WORKERS_ENV):
            workers.worker_count()
    monkeypatch.delenv(WORKERS_ENV)
    assert workers.worker_count() == min(workers.usable_cores(), workers.MAX_WORKERS)


def test_processes_run_side_by_side_share_the_cores(monkeypatch):
    """Kernels started while notebooks run side by side inherit their share of the cores."""
    monkeypatch.delenv(WORKERS_ENV, raising=False)
    with workers.cores_shared_by(2):
        assert os.environ[WORKERS_ENV] == str(max(1, workers.usable_cores() // 2))
    assert WORKERS_ENV not in os.environ
    with workers.cores_shared_by(1):
        assert WORKERS_ENV not in os.environ
    monkeypatch.setenv(WORKERS_ENV, "3")  # a value the user set is kept
    with workers.cores_shared_by(2):
        assert os.environ[WORKERS_ENV] == "3"
    assert os.environ[WORKERS_ENV] == "3"


def _count_inside(_: int) -> tuple[int, int]:
    time.sleep(0.1)
    return os.getpid(), workers.worker_count()


def test_a_task_in_a_worker_runs_tasks_of_its_own_serially(monkeypatch):
    """A worker process does not fork workers of its own (the cores are taken)."""
    monkeypatch.setenv(WORKERS_ENV, "2")
    got = run_tasks([functools.partial(_count_inside, i) for i in range(6)], workers=2)
    assert {n for pid, n in got if pid != PARENT} == {1}
    assert {n for pid, n in got if pid == PARENT} == {2}

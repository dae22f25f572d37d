"""Independent computations on the machine's spare cores: ``[task() for task in tasks]`` in parallel.

A study notebook's evidence section is a dozen independent estimations (the
robustness table and the diagnostics of each outcome, the placebo
re-assignments, ...). When the notebook runs alone on a machine with more than
one core, :func:`run_tasks` forks worker processes that take tasks from a
shared counter, the process itself taking them too; each result comes back to
the parent pickled. The results, their order and the exception raised are those
of the serial loop: each task is deterministic (its seeds are its arguments),
so it does not matter which process ran it.

How many processes compute at once (:func:`worker_count`): the environment
variable :data:`WORKERS_ENV` when set (``1`` = serial), else the cores this
process may use, at most :data:`MAX_WORKERS`. Notebooks run side by side
(``notebooks run`` with several jobs, ``make real``, ``make teaching``:
:func:`cores_shared_by`) and pytest-xdist workers set it so that each gets its
share of the cores; where ``fork`` is not available (Windows, macOS) tasks run
serially.

A worker's warnings are re-issued in the parent (under the warning filters and
once-per-location registry of the module that issued them), and what it
printed is printed by the parent after the tasks have finished. What a task
changes in memory (e.g. fits a sample remembers) is not carried back from a
worker: give tasks that return their results.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing as mp
import os
import pickle
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import redirect_stderr, redirect_stdout
from typing import Any, TypeVar

T = TypeVar("T")

#: environment variable with the number of processes that may compute at once (1 = serial)
WORKERS_ENV = "ENFORCEMENT_CRIME_WORKERS"
#: the most processes :func:`run_tasks` uses by default
MAX_WORKERS = 4


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def fork_available() -> bool:
    """True where worker processes are forked (Linux; not Windows, and not macOS, where forking
    a process with threads is unsafe)."""
    return sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods()


def worker_count() -> int:
    """How many processes may compute at once: :data:`WORKERS_ENV`, else the usable cores
    (at most :data:`MAX_WORKERS`); 1 where :func:`fork_available` is false.

    Raises ``ValueError`` naming the variable when it is set to something other than a
    positive integer.
    """
    if not fork_available():
        return 1
    env = os.environ.get(WORKERS_ENV, "").strip()
    if env:
        try:
            n = int(env)
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(f"{WORKERS_ENV} must be a positive integer, got {env!r}")
        return n
    return max(1, min(usable_cores(), MAX_WORKERS))


@contextlib.contextmanager
def cores_shared_by(processes: int) -> Iterator[None]:
    """While ``processes`` processes run side by side, each computes with its share of the cores.

    Sets :data:`WORKERS_ENV` (at least 1) in this process's environment for the duration, so
    that processes started meanwhile (e.g. notebook kernels) inherit it, and restores it
    afterwards; a value already set is kept. Nothing changes for one process.
    """
    if processes <= 1 or os.environ.get(WORKERS_ENV, "").strip():
        yield
        return
    os.environ[WORKERS_ENV] = str(max(1, usable_cores() // processes))
    try:
        yield
    finally:
        os.environ.pop(WORKERS_ENV, None)


class WorkerError(RuntimeError):
    """A worker process failed in a way that cannot be re-raised as the task's own exception."""


def run_tasks(
    tasks: Sequence[Callable[[], T]],
    *,
    workers: int | None = None,
) -> list[T]:
    """``[task() for task in tasks]``, computed by this process and forked workers.

    ``tasks`` are called without arguments; put the longest first (they are taken in
    order). ``workers``: processes computing at once (default :func:`worker_count`).
    When a task raises, no new task starts and, after the running ones have ended,
    the exception of the first failed task (in the order of ``tasks``) is raised.
    """
    tasks = list(tasks)
    n = min(worker_count() if workers is None else int(workers), len(tasks))
    if n <= 1 or not fork_available():
        return [task() for task in tasks]
    from threadpoolctl import threadpool_limits

    # one BLAS thread per process while they share the cores (the workers inherit the limit):
    # BLAS threads of several processes on the same cores spin while waiting for each other
    with threadpool_limits(limits=1, user_api="blas"):
        return _run_forked(tasks, n)


def _run_forked(tasks: list[Callable[[], T]], n: int) -> list[T]:
    """:func:`run_tasks` with ``n - 1`` forked workers beside this process."""
    # forked (the workers inherit the tasks and their data, nothing is pickled on the way out);
    # they only compute: no thread, lock or open stream of the parent is used in a worker
    ctx = mp.get_context("fork")
    counter = ctx.Value("l", 0)
    stop = len(tasks)

    def take() -> int:
        with counter.get_lock():
            i = counter.value
            counter.value = i + 1
        return i

    def halt() -> None:
        with counter.get_lock():
            counter.value = stop

    procs, conns = [], []
    try:
        for _ in range(n - 1):
            receive, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_work, args=(tasks, take, halt, send), daemon=True)
            proc.start()
            send.close()
            procs.append(proc)
            conns.append(receive)
        results: dict[int, Any] = {}
        errors: dict[int, BaseException] = {}
        while (i := take()) < stop:
            try:
                results[i] = tasks[i]()
            except Exception as err:
                errors[i] = err
                halt()
        for proc, conn in zip(procs, conns, strict=True):
            try:
                report = conn.recv()
            except EOFError:
                proc.join()
                raise WorkerError(
                    f"a worker process ended (exit code {proc.exitcode}) before reporting its "
                    "results; run with the environment variable "
                    f"{WORKERS_ENV}=1 to compute serially"
                ) from None
            _merge(report, results, errors)
            proc.join()
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
                proc.join()
    if errors:
        raise errors[min(errors)]
    return [results[i] for i in range(len(tasks))]


def _work(tasks, take, halt, send) -> None:
    """A worker: run tasks until none is left; send their results, warnings and output."""
    os.environ[WORKERS_ENV] = "1"  # a task that runs tasks of its own runs them here, serially
    out, err = io.StringIO(), io.StringIO()
    done: list[tuple[int, str, Any, list]] = []
    with redirect_stdout(out), redirect_stderr(err):
        while (i := take()) < len(tasks):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    done.append((i, "ok", tasks[i](), caught))
                except Exception as exc:
                    done.append((i, "error", _sendable(exc), caught))
                    halt()
    report = {
        "done": [
            (i, kind, value, [_warning_record(w) for w in caught])
            for i, kind, value, caught in done
        ],  # fmt: skip
        "stdout": out.getvalue(),
        "stderr": err.getvalue(),
    }
    try:
        send.send(report)
    except Exception as exc:  # a result cannot be pickled: the parent raises this instead
        why = WorkerError(
            f"a worker could not send its results back ({type(exc).__name__}: {exc}); run with "
            f"the environment variable {WORKERS_ENV}=1 to compute serially"
        )
        first = min(i for i, *_ in done)
        send.send({"done": [(first, "error", why, [])], "stdout": "", "stderr": ""})
    send.close()


def _sendable(exc: Exception) -> Exception:
    """``exc`` with the worker's traceback as a note (a pickled exception loses its traceback)
    when it survives pickling, else a :class:`WorkerError` with that traceback."""
    text = "".join(traceback.format_exception(exc))
    try:
        exc.add_note(f"raised in a worker process (pid {os.getpid()}):\n{text}")
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return WorkerError(f"a task failed in a worker process:\n{text}")


def _warning_record(w: warnings.WarningMessage) -> tuple:
    return (str(w.message), w.category, w.filename, w.lineno)


def _merge(report: dict, results: dict, errors: dict) -> None:
    """Take a worker's report into the parent: results, errors, warnings, output."""
    for i, kind, value, caught in report["done"]:
        if kind == "ok":
            results[i] = value
        else:
            errors[i] = value if isinstance(value, BaseException) else WorkerError(str(value))
        for message, category, filename, lineno in caught:
            _reissue(message, category, filename, lineno)
    if report["stdout"]:
        sys.stdout.write(report["stdout"])
    if report["stderr"]:
        sys.stderr.write(report["stderr"])


def _reissue(message: str, category: type[Warning], filename: str, lineno: int) -> None:
    """Issue a worker's warning here, as if from the same place (its module's registry)."""
    module = _module_of(filename)
    registry = None
    if module is not None:
        registry = vars(sys.modules[module]).setdefault("__warningregistry__", {})
    warnings.warn_explicit(message, category, filename, lineno, module=module, registry=registry)


def _module_of(filename: str) -> str | None:
    for name, mod in list(sys.modules.items()):
        if getattr(mod, "__file__", None) == filename:
            return name
    return None


__all__ = ["WORKERS_ENV", "WorkerError", "cores_shared_by", "run_tasks", "worker_count"]

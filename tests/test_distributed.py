"""distributed.run_tasks: in-process with one worker, dask with more; the same results either way."""
from __future__ import annotations

import pytest

from scprobe.distributed import run_tasks
from scprobe.errors import ScprobeError


def _square(x, offset):
    return x * x + offset


def test_one_worker_runs_in_order_in_this_process():
    out = list(run_tasks(_square, [(1, 0), (2, 1), (3, 2)]))
    assert out == [((1, 0), 1, None), ((2, 1), 5, None), ((3, 2), 11, None)]


def test_in_process_errors_propagate():
    with pytest.raises(ZeroDivisionError):
        list(run_tasks(lambda x: 1 / x, [(0,)]))


@pytest.mark.slow
def test_two_workers_give_the_same_results():
    tasks = [(k, 10) for k in range(6)]
    out = sorted(run_tasks(_square, tasks, workers=2))
    assert out == [((k, 10), k * k + 10, None) for k in range(6)]


def test_unreachable_scheduler_is_a_user_error():
    with pytest.raises(ScprobeError, match="cannot reach dask scheduler"):
        list(run_tasks(_square, [(1, 0)], scheduler="tcp://127.0.0.1:9"))

"""``scprobe batch``: one row per file, failures recorded, resumable, same table whatever the workers."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scprobe.batch import expand_inputs, run_batch
from scprobe.io import bcr

N_GOOD = 6
PIXEL_M = 15e-9


def _write_map(path: Path, k: int) -> float:
    """A 64 x 64 current map with one 10 x (10 + 2k) px conducting block; returns its area fraction.

    The block's edges are blurred like a tip's (Gaussian, 1 px); the 50 % contour stays on the block.
    """
    from scipy import ndimage

    rng = np.random.default_rng(k)
    w = 10 + 2 * k
    block = np.zeros((64, 64))
    block[20:30, 10:10 + w] = 5.5e-6
    cur = ndimage.gaussian_filter(block, 1.0) + rng.normal(2e-11, 2.5e-11, (64, 64))
    bcr.write(cur, path, (64 * PIXEL_M, 64 * PIXEL_M), "A", header={"channel": "current"})
    return 10 * w / 64 ** 2


@pytest.fixture(scope="module")
def maps(tmp_path_factory):
    folder = tmp_path_factory.mktemp("maps")
    fractions = {}
    for k in range(N_GOOD):
        p = folder / f"map{k:02d}-current-fwd.bcrf"
        fractions[p.as_posix()] = _write_map(p, k)
    (folder / "broken-current-fwd.bcrf").write_bytes(b"fileformat = bcrf\nxpixels = 64\nypixels = 64\n")
    return folder, fractions


@pytest.fixture(scope="module")
def in_process(maps, tmp_path_factory):
    folder, _ = maps
    out = tmp_path_factory.mktemp("batch1")
    return out, run_batch([str(folder / "*.bcrf")], out, workers=1)


def test_one_row_per_file_and_failures_recorded(maps, in_process):
    folder, fractions = maps
    out, res = in_process
    assert (res.processed, res.skipped, res.failed) == (N_GOOD + 1, 0, 1)
    df = pd.read_csv(res.table_csv, keep_default_na=False)
    assert list(df["path"]) == sorted(df["path"]) and len(df) == N_GOOD + 1
    bad = df[df["error"] != ""]
    assert list(bad["path"]) == [(folder / "broken-current-fwd.bcrf").as_posix()]
    assert "broken-current-fwd.bcrf" in bad["error"].iloc[0]
    good = df[df["error"] == ""].set_index("path")
    for path, frac in fractions.items():
        # within a few edge pixels of the block (the blur rounds its corners)
        assert float(good.loc[path, "conducting_fraction"]) == pytest.approx(frac, abs=8 / 64 ** 2)
        assert float(good.loc[path, "region_count"]) == 1
    pq = pd.read_parquet(res.table_parquet)
    assert list(pq["path"]) == list(df["path"])
    assert np.allclose(pq["conducting_fraction"].fillna(-1), pd.to_numeric(df["conducting_fraction"].replace("", -1)))
    assert len(list((out / "rows").glob("*.json"))) == N_GOOD + 1


def test_rerun_skips_done_files_and_redoes_changed_ones(maps, tmp_path):
    folder, _ = maps
    work = tmp_path / "maps"
    shutil.copytree(folder, work)
    out = tmp_path / "out"
    first = run_batch([str(work / "*.bcrf")], out)
    assert (first.processed, first.skipped) == (N_GOOD + 1, 0)
    again = run_batch([str(work / "*.bcrf")], out)
    # the failed file is retried (failures may be transient); done files are skipped
    assert (again.processed, again.skipped, again.failed) == (1, N_GOOD, 1)
    _write_map(work / "map03-current-fwd.bcrf", 9)
    third = run_batch([str(work / "*.bcrf")], out)
    assert (third.processed, third.skipped) == (2, N_GOOD - 1)
    df = pd.read_csv(third.table_csv).set_index("path")
    assert df.loc[(work / "map03-current-fwd.bcrf").as_posix(), "conducting_fraction"] == pytest.approx(10 * 28 / 64 ** 2, abs=8 / 64 ** 2)


def test_bad_inputs_are_user_errors(tmp_path, cli):
    code, out, err = cli("batch", str(tmp_path / "nothing-*.bcrf"), "--out", tmp_path / "o")
    assert code == 2 and "no files match" in err
    code, out, err = cli("batch", str(tmp_path), "--out", tmp_path / "o")  # a folder is not a file
    assert code == 2
    (tmp_path / "b.bcrf").write_bytes(b"x")
    (tmp_path / "a.bcrf").write_bytes(b"x")
    assert expand_inputs([str(tmp_path / "*.bcrf"), str(tmp_path / "a.bcrf")]) == [tmp_path / "a.bcrf",
                                                                                    tmp_path / "b.bcrf"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_local_cluster_gives_the_same_table(maps, in_process, tmp_path, cli):
    folder, _ = maps
    code, out, err = cli("batch", str(folder / "*.bcrf"), "--out", tmp_path / "out", "--workers", "2", "--json")
    assert code == 1, err  # one file failed: exit 1, its row says why
    res = json.loads(out)
    assert set(res) == {"processed", "skipped", "failed", "table_csv", "table_parquet", "seconds"}
    assert (res["processed"], res["failed"]) == (N_GOOD + 1, 1)
    assert Path(res["table_csv"]).read_bytes() == in_process[1].table_csv.read_bytes()


@pytest.mark.slow
def test_external_scheduler_with_two_workers(maps, in_process, tmp_path, cli):
    folder, _ = maps
    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--no-dashboard"], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for _ in range(2):
            # no nanny: killing the process kills the worker, as a crashed node would
            procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", addr, "--nthreads", "1",
                                           "--no-nanny", "--no-dashboard", "--local-directory", str(tmp_path / "dask")],
                                          env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        from dask.distributed import Client

        with Client(addr, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        code, out, err = cli("batch", str(folder / "*.bcrf"), "--out", tmp_path / "out", "--scheduler", addr,
                             "--json")
        assert code == 1, err  # one file failed
        res = json.loads(out)
        assert (res["processed"], res["skipped"], res["failed"]) == (N_GOOD + 1, 0, 1)
        assert Path(res["table_csv"]).read_bytes() == in_process[1].table_csv.read_bytes()
        # resumable against the cluster too
        code, out, _ = cli("batch", str(folder / "*.bcrf"), "--out", tmp_path / "out", "--scheduler", addr, "--json")
        assert json.loads(out)["skipped"] == N_GOOD
        # a worker killed mid-batch loses no result: its tasks go to the other worker
        many = tmp_path / "many"
        many.mkdir()
        for k in range(30):
            _write_map(many / f"m{k:02d}-current-fwd.bcrf", k % N_GOOD)
        results = []
        job = threading.Thread(target=lambda: results.append(
            run_batch([str(many / "*.bcrf")], tmp_path / "out_many", scheduler=addr)))
        job.start()
        rows = tmp_path / "out_many" / "rows"
        while job.is_alive() and len(list(rows.glob("*.json")) if rows.is_dir() else []) < 3:
            time.sleep(0.02)
        assert job.is_alive()  # the kill lands mid-batch
        procs[1].kill()
        job.join(timeout=120)
        assert results and (results[0].processed, results[0].failed) == (30, 0)
        assert len(pd.read_csv(results[0].table_csv)) == 30
    finally:
        for p in reversed(procs):
            p.terminate()
        deadline = time.monotonic() + 10
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_unreachable_scheduler_is_a_user_error(maps, tmp_path, cli, monkeypatch):
    folder, _ = maps
    monkeypatch.setattr("scprobe.distributed.SCHEDULER_TIMEOUT", "2s")
    code, out, err = cli("batch", str(folder / "map00-current-fwd.bcrf"), "--out", tmp_path / "o",
                         "--scheduler", f"tcp://127.0.0.1:{_free_port()}")
    assert code == 2 and "cannot reach dask scheduler" in err
    assert not (tmp_path / "o").exists()


def test_scheduler_that_is_no_address_is_a_user_error(maps, tmp_path, cli):
    """#18: ``--scheduler 'not a url'`` was an internal error (exit 1) and left an empty rows/ folder."""
    folder, _ = maps
    code, out, err = cli("batch", str(folder / "map00-current-fwd.bcrf"), "--out", tmp_path / "o",
                         "--scheduler", "not a url")
    assert code == 2 and err.count("error:") == 1 and "cannot reach dask scheduler not a url" in err
    assert out == "" and not (tmp_path / "o").exists()

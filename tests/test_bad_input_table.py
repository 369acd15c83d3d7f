"""Every command against every class of bad input: one ``error:`` line, exit 2, nothing lost, nothing injected.

The table is ``CLASSES x COMMANDS``.  Each cell runs the CLI in this process on small
files and asserts the contract of docs/design.md:

* bad input: exit 2, exactly one line on stderr starting with ``error:``, no traceback,
  empty stdout, no output file left behind (also no hidden temporary file);
* every input file byte-identical afterwards (sha256 before and after);
* bounded cost: peak Python/numpy memory (tracemalloc) and wall time per cell;
* data that is merely strange (markup and control characters in headers and paths) is
  not an error: exit 0, printed literally, no control character reaches the terminal.

Cells that make no sense (a file class for ``simulate``, which reads no file) are absent,
not skipped.  ``pytest -s`` prints the table with the outcome of each cell.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import time
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest

from scprobe.io import bcr

COMMANDS = ["info", "simulate", "map", "compare", "series", "transport", "percolate", "bulk", "composition",
            "run", "demo", "batch", "export"]
#: Bounds per cell: the worst bad file may not make scprobe allocate more than this, or take longer.
PEAK_BYTES = 150 * 2**20
SECONDS = 30.0
RESULTS: dict[tuple[str, str], str] = {}


# ---------------------------------------------------------------- inputs ----------------------------------------

def _bcrf(path: Path, header: dict[str, str] | None = None, n: int = 24, payload: bytes | None = None) -> Path:
    rng = np.random.default_rng(0)
    cur = rng.normal(0, 1e-11, (n, n))
    cur[6:18, 6:18] += 2e-6
    bcr.write(cur, path, (n * 15e-9, n * 15e-9), "A", header={"bias": "0.1", "temperature": "5", **(header or {})})
    if payload is not None:
        raw = path.read_bytes()
        path.write_bytes(raw[:2048] + payload)
    return path


def _set_header(path: Path, key: str, value: str) -> Path:
    """Rewrite one ``key = value`` line of a BCR header in place (the header keeps its 2048 bytes)."""
    raw = bytearray(path.read_bytes())
    head = raw[:2048].decode("latin-1").split("\n")
    head = [f"{key} = {value}" if ln.split("=")[0].strip() == key else ln for ln in head]
    text = "\n".join(head).encode("latin-1")
    raw[:2048] = text[:2048].ljust(2048, b" ")
    path.write_bytes(bytes(raw))
    return path


def _nc_bomb(path: Path) -> Path:
    """A tiny NetCDF-4 file whose one variable claims 40000 x 40000 float64 (12.8 GB), never written."""
    import h5py

    with h5py.File(path, "w") as f:
        f.attrs["pixel_size_m"] = 1e-8
        f.create_dataset("y", data=np.arange(40000.0))
        f["y"].make_scale("y")
        f.create_dataset("x", data=np.arange(40000.0))
        f["x"].make_scale("x")
        ds = f.create_dataset("current", shape=(40000, 40000), dtype="f8", chunks=(1000, 1000),
                              compression="gzip", fillvalue=1e-9)
        ds.dims[0].attach_scale(f["y"])
        ds.dims[1].attach_scale(f["x"])
        ds.attrs["units"] = "A"
    return path


def _tiff_bomb(path: Path) -> Path:
    """A zlib-compressed tiled TIFF of zeros, 16384 x 16384 (268 M pixels, 2 GiB as float64) in ~0.3 MB."""
    import tifffile

    tiles = (np.zeros((1024, 1024), np.uint8) for _ in range(256))
    tifffile.imwrite(path, data=tiles, shape=(16384, 16384), dtype=np.uint8, tile=(1024, 1024),
                     compression="zlib")
    return path


def _tiff_claiming(path: Path, size: int) -> Path:
    """A small TIFF whose width and length tags are patched to claim ``size`` pixels each."""
    import tifffile

    tifffile.imwrite(path, np.ones((8, 8), np.uint8))
    raw = bytearray(path.read_bytes())
    with tifffile.TiffFile(path) as tif:
        tags = [t for t in tif.pages[0].tags.values() if t.name in ("ImageWidth", "ImageLength")]
        for t in tags:
            n = t.valuebytecount
            raw[t.valueoffset:t.valueoffset + n] = min(size, 2 ** (8 * n) - 1).to_bytes(n, "little")
    path.write_bytes(bytes(raw))
    return path


def _qd(path: Path, rows: int = 40) -> Path:
    t = np.linspace(2, 30, rows)
    rho = np.where(t < 12, 0.0, 1e-6 * (1 + 0.01 * t))
    lines = ["[Header]", "TITLE,test", "INFO,APPNAME,Resistivity", "[Data]",
             "Temperature (K),Bridge 1 Resistivity (Ohm-m)"]
    lines += [f"{a:.6g},{b:.6g}" for a, b in zip(t, rho)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A small simulated study: real files of every kind the commands read."""
    from scprobe.simulate import simulate_study

    root = tmp_path_factory.mktemp("good")
    study = simulate_study(root / "study", seed=1, size=32)
    return {"study": study, "scan": root / "study" / "scans" / "A01_1p5K-current-fwd.bcrf",
            "scan2": root / "study" / "scans" / "A02_8K-current-fwd.bcrf",
            "rho": root / "study" / "bulk" / "rho_T.dat", "edx": root / "study" / "edx" / "EDX_Fe.csv",
            "root": root / "study"}


def _file_case(kind: str, cls: str, d: Path, good: dict) -> Path:
    """The bad input of class ``cls`` for a command reading files of ``kind`` (scan, qd, image, study)."""
    d.mkdir(parents=True, exist_ok=True)
    ext = {"scan": "-current-fwd.bcrf", "qd": ".dat", "image": ".tif", "study": ".toml"}[kind]
    p = d / f"bad{ext}"
    if cls == "missing":
        return d / f"nope{ext}"
    if cls == "empty":
        p.write_bytes(b"")
    elif cls == "directory":
        p = d / f"folder{ext}"
        p.mkdir()
    elif cls == "fifo":
        os.mkfifo(p)
    elif cls == "symlink loop":
        (d / f"loop2{ext}").symlink_to(p)
        p.symlink_to(d / f"loop2{ext}")
    elif cls == "truncated":
        if kind == "scan":
            _bcrf(p, payload=b"\x00" * 100)
        elif kind == "qd":
            _qd(p)
            p.write_bytes(p.read_bytes()[:150])
        elif kind == "image":
            import tifffile

            tifffile.imwrite(p, np.ones((64, 64), np.float32))
            p.write_bytes(p.read_bytes()[:600])
        else:
            p.write_text('schema_version = 1\n[sample]\nname = "x\n')
    elif cls == "wrong magic":
        p.write_bytes(bytes(range(256)) * 40)
    elif cls == "huge dimensions":
        if kind == "scan":
            _set_header(_bcrf(p), "xpixels", "1000000000")
        elif kind == "image":
            _tiff_claiming(p, 2**31 - 1)
        elif kind == "study":
            p.write_text("schema_version = 1\n" + "a = " + "[" * 100_000 + "]" * 100_000 + "\n")
        else:
            _qd(p, rows=3)
    elif cls == "compressed bomb":
        if kind == "scan":
            p = _nc_bomb(d / "bomb.nc")
        elif kind == "image":
            _tiff_bomb(p)
        elif kind == "study":
            p.write_text("schema_version = 1\n" + 'x = "' + "a" * 3_000_000 + '"\n')
        else:
            p.write_bytes(zlib.compress(b"\x00" * 50_000_000))
    elif cls == "NaN/inf/negative values":
        if kind == "scan":
            _set_header(_bcrf(p), "xlength", "-360")
        elif kind == "qd":
            _qd(p)
            p.write_text(p.read_text().replace("\n30,", "\ninf,"))
        elif kind == "image":
            import tifffile

            tifffile.imwrite(p, np.full((16, 16), np.nan, np.float32))
        else:
            p.write_text(good["study"].read_text().replace("temperature_K = 1.5", "temperature_K = nan", 1))
    return p


FILE_CLASSES = ["missing", "empty", "directory", "fifo", "symlink loop", "truncated", "wrong magic",
                "huge dimensions", "compressed bomb", "NaN/inf/negative values"]
OUT_CLASSES = ["out: existing file", "out: read-only", "out: full disk"]
CLASSES = FILE_CLASSES + ["markup/control characters"] + OUT_CLASSES + ["impossible numbers"]
KIND = {"info": "scan", "map": "scan", "compare": "scan", "series": "scan", "transport": "scan", "percolate": "scan",
        "export": "scan", "batch": "scan", "bulk": "qd", "composition": "image", "run": "study"}


def _argv(cmd: str, g: dict, inp: Path | None, out: Path, cls: str) -> list[str] | None:
    """Command line of one cell; ``inp`` replaces the command's main input when the class is a file class."""
    scan = inp or g["scan"]
    o = ["--out", str(out)]
    impossible = cls == "impossible numbers"
    if cmd == "info":
        return None if (impossible or cls in OUT_CLASSES) else ["info", str(scan)]
    if cmd == "map":
        return ["map", str(scan), *o, *(["--threshold-A", "-1"] if impossible else [])]
    if cmd == "compare":
        return ["compare", str(scan), str(g["scan2"]), *o, "--force", *(["--spot-diameter-m", "-1"] if impossible else [])]
    if cmd == "series":
        return ["series", str(scan), str(g["scan2"]), *o, "--force", *(["--temperatures", "-5,8"] if impossible else [])]
    if cmd == "transport":
        return ["transport", str(scan), *o, *(["--contact-radius-px", "-1"] if impossible else [])]
    if cmd == "percolate":
        return ["percolate", str(scan), "--realizations", "2", *o,
                *(["--sample-size-m", "1e-300"] if impossible else [])]
    if cmd == "export":
        return ["export", str(scan), "--to", "nc", "--out", str(out / "x.nc"),
                *(["--direction", "sideways"] if impossible else [])]
    if cmd == "batch":
        return ["batch", str(scan), *o, *(["--workers", "0"] if impossible else [])]
    if cmd == "bulk":
        return ["bulk", "--resistivity", str(inp or g["rho"]), *o, *(["--mass-g", "-1"] if impossible else [])]
    if cmd == "composition":
        return ["composition", "--edx", str(inp or g["edx"]), "--edx-elements", "Fe", *o,
                *(["--threshold-A", "-1"] if impossible else [])]
    if cmd == "run":
        return ["run", str(inp or g["study"]), *o, "--no-figures", *(["--workers", "0"] if impossible else [])]
    if cmd == "simulate":
        if inp is not None or cls == "markup/control characters":
            return None
        return ["simulate", str(out), "--size", "-5" if impossible else "32"]
    if cmd == "demo":
        if inp is not None or cls == "markup/control characters":
            return None
        return ["demo", *o, "--size", "0" if impossible else "32", "--no-figures"]
    raise AssertionError(cmd)


@contextlib.contextmanager
def _mount(path: Path, size: str, readonly: bool = False):
    """A small tmpfs at ``path`` (root only); read-only when asked.  Skips where mount is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({res.stderr.decode().strip()}): disk-full and read-only cells "
                    "need root")
    try:
        if readonly:
            subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True, capture_output=True)
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _digests(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink() and not _is_fifo(p):
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _is_fifo(p: Path) -> bool:
    import stat

    try:
        return stat.S_ISFIFO(p.lstat().st_mode)
    except OSError:
        return False


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.is_dir() else ([root] if root.exists() else [])


CELLS = [(cls, cmd) for cls in CLASSES for cmd in COMMANDS]


@pytest.mark.parametrize("cls, cmd", CELLS, ids=[f"{c}-{m}" for c, m in CELLS])
def test_bad_input_cell(cls, cmd, good, tmp_path, cli):
    case = tmp_path / "case"
    out = tmp_path / "out"
    inp = None
    expect_ok = cls == "markup/control characters"
    with contextlib.ExitStack() as stack:
        if cls in FILE_CLASSES:
            if cmd not in KIND:
                return  # reads no file: no cell
            inp = _file_case(KIND[cmd], cls, case, good)
        elif cls == "markup/control characters":
            if cmd in ("simulate", "demo", "run", "bulk", "composition"):
                return  # checked below as a study label / by the header tests of their readers
            folder = case / "run[old] [/]\x1b[2J"
            folder.mkdir(parents=True)
            inp = _bcrf(folder / "m[bold]-current-fwd.bcrf",
                        header={"comment": "\x1b]0;owned\x07\x1b[2J [/] [bold]x[/bold] \x9b31m"})
            topo = np.random.default_rng(1).normal(0, 1e-9, (24, 24)).cumsum(axis=1)
            bcr.write(topo, folder / "m[bold]-topography-fwd.bcrf", (24 * 15e-9, 24 * 15e-9), "m")
            out = tmp_path / "out [/] \x1b[31m"
        elif cls == "out: existing file":
            out.write_text("keep me\n")
        elif cls == "out: read-only":
            out = stack.enter_context(_mount(tmp_path / "ro", "1m", readonly=True)) / "out"
        elif cls == "out: full disk":
            out = stack.enter_context(_mount(tmp_path / "full", "96k")) / "out"
        argv = _argv(cmd, good, inp, out, cls)
        if argv is None:
            return
        watched = [good["root"]] + ([case] if case.exists() else [])
        before = {str(w): _digests(w) for w in watched}
        kept = out.read_bytes() if out.is_file() else None
        if not expect_ok:  # the memory bound is for bad files; tracing would slow the real analyses tenfold
            tracemalloc.start()
        t0 = time.perf_counter()
        try:
            code, stdout, stderr = cli(*argv)
        finally:
            seconds = time.perf_counter() - t0
            peak = tracemalloc.get_traced_memory()[1] if tracemalloc.is_tracing() else 0
            tracemalloc.stop()
        lines = [ln for ln in stderr.splitlines() if ln.strip()]
        left = _files(out) if kept is None else []
        outcome = f"exit {code}" + ("" if code == 0 else f": {lines[0][7:60] if lines else '(no message)'}")
        RESULTS[(cls, cmd)] = f"{outcome} [{peak / 2**20:.0f} MB, {seconds:.1f} s]"
        assert "Traceback" not in stderr and "\x1b" not in stdout + stderr
        if expect_ok:
            assert code == 0, stderr
            assert "[/]" in stdout + stderr or cmd in ("batch", "compare", "series", "percolate") or "--json" in argv
        else:
            assert code == 2, (stdout, stderr)
            assert len(lines) == 1 and lines[0].startswith("error: "), stderr
            assert stdout == ""
            assert left == [], left
        if kept is not None:
            assert out.read_bytes() == kept
        for w in watched:
            assert _digests(w) == before[str(w)], "an input file changed"
        assert peak < PEAK_BYTES and seconds < SECONDS


def test_print_table():
    """``pytest -s`` shows the classes x commands table (the issue's closing note)."""
    if not RESULTS:
        pytest.skip("run with the cells")
    width = max(len(c) for c in CLASSES)
    print("\n" + " " * width + " | " + " | ".join(COMMANDS))
    for cls in CLASSES:
        print(f"{cls:<{width}} | " + " | ".join(RESULTS.get((cls, c), "-") for c in COMMANDS))

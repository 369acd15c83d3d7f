"""Atom-probe files: ``.pos`` / ``.epos`` ion lists and ``.rrng`` / ``.rng`` range files.

* ``.pos``: no header; per ion 4 big-endian float32 ``x, y, z`` (nm) and ``m/n`` (Da).
* ``.epos``: no header; per ion 9 big-endian float32 ``x, y, z, m/n, TOF (ns), V_dc (V),
  V_pulse (V), det_x, det_y (mm)`` then 2 big-endian uint32 ``delta_pulse, ions_per_pulse``.
* ``.rrng`` (IVAS / AP Suite): INI-like ``[Ions]`` and ``[Ranges]`` sections;
  ``RangeK=low high Vol:v El:n ... Color:hex`` or ``Name:label`` for unnamed ions;
  some writers use decimal commas.
* ``.rng`` (Oak Ridge): ``n_ions n_ranges``, two lines per ion, a ``----- names`` line,
  then one ``. low high c_1 ... c_n`` line per range, ``c_i`` the multiplicity of ion
  ``i``; an optional ``--- polyatomic extension`` block repeats molecular ranges under
  their own names (used here only to name them).

Ion files are memory-mapped (:class:`numpy.memmap`), so a 10-million-ion file costs no
memory until a column is used; the length is checked against the record size before
anything is mapped.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scprobe.errors import FormatError
from scprobe.io.base import atomic_write, check_path

POS_DTYPE = np.dtype([("x", ">f4"), ("y", ">f4"), ("z", ">f4"), ("m", ">f4")])
EPOS_DTYPE = np.dtype([
    ("x", ">f4"), ("y", ">f4"), ("z", ">f4"), ("m", ">f4"), ("tof", ">f4"), ("v_dc", ">f4"),
    ("v_pulse", ">f4"), ("det_x", ">f4"), ("det_y", ">f4"), ("delta_pulse", ">u4"),
    ("ions_per_pulse", ">u4"),
])

#: Chemical element symbols, Z = 1..118.
ELEMENTS = frozenset("""
H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr
Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm
Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No
Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og D T""".split())


@dataclass(frozen=True)
class IonData:
    """Ions of one atom-probe reconstruction, memory-mapped in evaporation order.

    Attributes
    ----------
    path : str
        The file read.
    kind : {"pos", "epos"}
        File format.
    records : numpy.memmap
        Structured read-only view of the file (big-endian fields, see
        :data:`POS_DTYPE` / :data:`EPOS_DTYPE`); positions in nm as stored.
    """

    path: str
    kind: str
    records: np.ndarray

    @property
    def n_ions(self) -> int:
        return int(self.records.shape[0])

    @property
    def mass_to_charge_Da(self) -> np.ndarray:
        """Mass-to-charge state ratio of every ion, Da (float64 copy)."""
        return self.records["m"].astype(np.float64)

    @property
    def positions_m(self) -> np.ndarray:
        """Reconstructed ``(n, 3)`` positions ``x, y, z`` in metres (float64 copy)."""
        out = np.empty((self.n_ions, 3))
        for i, k in enumerate("xyz"):
            np.multiply(self.records[k], 1e-9, out=out[:, i])
        return out

    def column(self, name: str) -> np.ndarray:
        """One stored field as float64 (``x, y, z`` in nm as stored; see the dtype names)."""
        if name not in self.records.dtype.names:
            raise FormatError(self.path, f"no field {name!r} in a .{self.kind} file")
        return self.records[name].astype(np.float64)


#: Ions checked per block for non-finite values (bounded memory whatever the file size).
_CHECK_BLOCK = 1 << 20


def _map_records(path, dtype: np.dtype, kind: str) -> IonData:
    p = check_path(path)
    size = p.stat().st_size
    if size % dtype.itemsize:
        raise FormatError(p, f"length {size} B is not a multiple of the {dtype.itemsize}-byte .{kind} record "
                             f"(truncated or not a .{kind} file)")
    records = np.memmap(p, dtype=dtype, mode="r", shape=(size // dtype.itemsize,))
    m = records["m"][: min(records.shape[0], 4096)]
    # byte-swapped (little-endian) floats read as huge, negative or denormal-small values
    if not np.all(np.isfinite(m)) or np.any(m < 0) or np.any(m > 1e4) or np.any((m > 0) & (m < 1e-6)):
        raise FormatError(p, f"implausible mass-to-charge values in the first ions (not a big-endian .{kind} file?)")
    # a corrupt ion anywhere (NaN or inf position or m/n) would poison every later sum: checked block by block
    for start in range(0, records.shape[0], _CHECK_BLOCK):
        blk = records[start:start + _CHECK_BLOCK]
        for k in ("x", "y", "z", "m"):
            bad = ~np.isfinite(blk[k])
            if bad.any():
                raise FormatError(p, f"ion {start + int(bad.argmax()) + 1} has a non-finite {k} ({kind} file corrupt)")
    return IonData(os.fspath(p), kind, records)


def read_pos(path: str | os.PathLike) -> IonData:
    """Memory-map a ``.pos`` file (16 bytes per ion)."""
    return _map_records(path, POS_DTYPE, "pos")


def read_epos(path: str | os.PathLike) -> IonData:
    """Memory-map an ``.epos`` file (44 bytes per ion)."""
    return _map_records(path, EPOS_DTYPE, "epos")


def read_ions(path: str | os.PathLike) -> IonData:
    """Read a ``.pos`` or ``.epos`` file, chosen by extension (case-insensitive)."""
    check_path(path)  # a folder or a missing file says so, not "unknown extension"
    ext = Path(path).suffix.lower()
    if ext == ".pos":
        return read_pos(path)
    if ext == ".epos":
        return read_epos(path)
    raise FormatError(path, f"unknown atom-probe extension {ext!r} (expected .pos or .epos)")


def write_pos(positions_m: np.ndarray, mass_to_charge_Da: np.ndarray, path: str | os.PathLike) -> None:
    """Write a ``.pos`` file atomically from ``(n, 3)`` positions (m) and m/n (Da)."""
    pos = np.asarray(positions_m, dtype=float)
    m = np.asarray(mass_to_charge_Da, dtype=float)
    if pos.ndim != 2 or pos.shape[1] != 3 or m.shape != (pos.shape[0],):
        raise ValueError("positions_m must be (n, 3) and mass_to_charge_Da (n,)")
    rec = np.empty(m.size, POS_DTYPE)
    for i, k in enumerate("xyz"):
        rec[k] = pos[:, i] * 1e9
    rec["m"] = m
    with atomic_write(path) as fh:
        fh.write(rec.tobytes())


def write_epos(fields: dict[str, np.ndarray], path: str | os.PathLike) -> None:
    """Write an ``.epos`` file atomically; ``fields`` maps :data:`EPOS_DTYPE` names to arrays
    in the stored units (positions in nm); missing fields are written as zeros."""
    unknown = set(fields) - set(EPOS_DTYPE.names)
    if unknown:
        raise ValueError(f"unknown .epos fields {sorted(unknown)}")
    n = len(next(iter(fields.values())))
    rec = np.zeros(n, EPOS_DTYPE)
    for k, v in fields.items():
        rec[k] = v
    with atomic_write(path) as fh:
        fh.write(rec.tobytes())


@dataclass(frozen=True)
class IonRange:
    """One mass-to-charge range and the ion it is assigned to.

    Attributes
    ----------
    low_Da, high_Da : float
        Range limits (inclusive), Da.
    ion : str
        Ion name (``"Fe"``, ``"FeTe"``, ``"Ca2CO3"`` or an unnamed label such as ``"59"``).
    atoms : tuple of (str, int)
        Atoms per ion, e.g. ``(("Fe", 1), ("Te", 1))``; a label that is no element
        symbol counts as one pseudo-atom of that label.
    """

    low_Da: float
    high_Da: float
    ion: str
    atoms: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class RangeTable:
    """A range file: the declared ions and the ranges, in file order."""

    path: str
    format: str
    ions: tuple[str, ...]
    ranges: tuple[IonRange, ...]


def formula(atoms) -> str:
    """Ion name from its atoms: ``[("Ca", 2), ("C", 1), ("O", 3)]`` -> ``"Ca2CO3"``."""
    return "".join(f"{el}{n if n > 1 else ''}" for el, n in atoms)


def _number(path, text: str, what: str) -> float:
    try:
        v = float(text.replace(",", "."))
    except ValueError:
        raise FormatError(path, f"{what} is not a number: {text!r}") from None
    if not math.isfinite(v):
        raise FormatError(path, f"{what} is not finite: {text!r}")
    return v


def _check_limits(path, lo: float, hi: float, where: str) -> None:
    if lo < 0 or hi <= lo:
        raise FormatError(path, f"{where}: range {lo:g}-{hi:g} Da is empty or negative")


def _lines(path: Path) -> list[str]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    # Oak Ridge files mix CRLF, LF and bare CR
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def read_rrng(path: str | os.PathLike) -> RangeTable:
    """Read an IVAS / AP Suite ``.rrng`` range file."""
    p = check_path(path)
    section = None
    values: dict[str, list[tuple[str, str]]] = {"ions": [], "ranges": []}
    for no, line in enumerate(_lines(p), 1):
        s = line.strip()
        if not s or s.startswith((";", "#")):
            continue
        if s.startswith("[") and s.endswith("]"):
            section = s[1:-1].strip().lower()
            continue
        if section in values:
            if "=" not in s:
                raise FormatError(p, f"line {no}: expected key=value in [{section}], got {s!r}")
            key, val = s.split("=", 1)
            values[section].append((key.strip().lower(), val.strip()))
    if not values["ions"] or not values["ranges"]:
        raise FormatError(p, "not a .rrng file: missing [Ions] or [Ranges] section")
    ions = _numbered(p, values["ions"], "ion", "Ions")
    range_texts = _numbered(p, values["ranges"], "range", "Ranges")
    ranges = []
    for k, text in enumerate(range_texts, 1):
        tok = text.split()
        if len(tok) < 3:
            raise FormatError(p, f"Range{k}: expected 'low high El:n ...', got {text!r}")
        lo = _number(p, tok[0], f"Range{k} low limit")
        hi = _number(p, tok[1], f"Range{k} high limit")
        _check_limits(p, lo, hi, f"Range{k}")
        atoms, name = [], None
        for t in tok[2:]:
            key, sep, val = t.partition(":")
            if not sep:
                raise FormatError(p, f"Range{k}: token {t!r} is not key:value")
            lk = key.lower()
            if lk in ("vol", "color", "colour"):
                continue
            if lk == "name":
                name = val
                continue
            if not re.fullmatch(r"\d+", val) or int(val) < 1:
                raise FormatError(p, f"Range{k}: multiplicity of {key!r} must be a positive integer, got {val!r}")
            atoms.append((key, int(val)))
        if not atoms:
            if name is None:
                raise FormatError(p, f"Range{k}: no ion given")
            atoms = [(name, 1)]
        ranges.append(IonRange(lo, hi, name if name is not None else formula(atoms), tuple(atoms)))
    return RangeTable(os.fspath(p), "rrng", tuple(ions), tuple(ranges))


def _numbered(path, entries: list[tuple[str, str]], prefix: str, section: str) -> list[str]:
    # Entries are taken in file order: real files repeat a key (two "Range41=" lines) and the
    # declared Number counts both, so the keys' digits are not trusted, only their count.
    numbers = [v for k, v in entries if k == "number"]
    if len(numbers) != 1 or not re.fullmatch(r"\d+", numbers[0]):
        raise FormatError(path, f"[{section}] needs exactly one Number=<count>, got {numbers}")
    n = int(numbers[0])
    items = [v for k, v in entries if re.fullmatch(rf"{prefix}\d+", k)]
    if len(items) != n:
        raise FormatError(path, f"[{section}] Number={n} but the file lists {len(items)} "
                                f"{prefix.title()}K entries (inconsistent file)")
    return items


def _rng_block(path, lines: list[str], start: int) -> tuple[list[str], list[tuple[float, float, list[int]]], int]:
    """Parse one ``n_ions n_ranges`` block from ``lines[start]``; returns ions, rows, next index."""
    head = lines[start].split()
    if len(head) != 2 or not all(t.isdigit() for t in head):
        raise FormatError(path, f"line {start + 1}: expected 'n_ions n_ranges', got {lines[start]!r}")
    n_ions, n_ranges = int(head[0]), int(head[1])
    i = start + 1
    ions = []
    while len(ions) < n_ions:
        if i + 1 >= len(lines):
            raise FormatError(path, f"file ends inside the ion list ({len(ions)} of {n_ions} ions)")
        name = lines[i].strip()
        colour = lines[i + 1].split()
        if not name or not colour or colour[0] != name:
            raise FormatError(path, f"line {i + 1}: ion {len(ions) + 1} of {n_ions}: expected a name line "
                                    f"and a 'name r g b' line")
        ions.append(name)
        i += 2
    if i >= len(lines) or not lines[i].startswith("-"):
        raise FormatError(path, f"line {i + 1}: expected the '-----' column line after {n_ions} ions")
    i += 1
    rows = []
    while len(rows) < n_ranges:
        if i >= len(lines):
            raise FormatError(path, f"file ends after {len(rows)} of {n_ranges} ranges")
        s = lines[i].split()
        i += 1
        if not s:
            continue
        if s[0] != "." or len(s) != 3 + n_ions:
            raise FormatError(path, f"line {i}: range row needs '. low high' and {n_ions} multiplicities, "
                                    f"got {lines[i - 1].strip()!r}")
        lo = _number(path, s[1], f"line {i} low limit")
        hi = _number(path, s[2], f"line {i} high limit")
        _check_limits(path, lo, hi, f"line {i}")
        if not all(re.fullmatch(r"\d+", t) for t in s[3:]) or not any(int(t) for t in s[3:]):
            raise FormatError(path, f"line {i}: multiplicities must be non-negative integers, not all zero")
        rows.append((lo, hi, [int(t) for t in s[3:]]))
    return ions, rows, i


def read_rng(path: str | os.PathLike) -> RangeTable:
    """Read an Oak Ridge ``.rng`` range file (any line endings, any extension case)."""
    p = check_path(path)
    lines = _lines(p)
    first = next((k for k, s in enumerate(lines) if s.strip()), None)
    if first is None:
        raise FormatError(p, "no content")
    ions, rows, i = _rng_block(p, lines, first)
    names: dict[tuple[float, float], str] = {}
    ext = next((k for k in range(i, len(lines)) if lines[k].lower().startswith("--- polyatomic")), None)
    if ext is not None:
        nxt = next((k for k in range(ext + 1, len(lines)) if lines[k].strip()), None)
        if nxt is not None:
            poly, prow, _ = _rng_block(p, lines, nxt)
            for lo, hi, mult in prow:
                names[(lo, hi)] = next(poly[j] for j, c in enumerate(mult) if c)
    ranges = []
    for lo, hi, mult in rows:
        atoms = tuple((ions[j], c) for j, c in enumerate(mult) if c)
        name = names.get((lo, hi)) if len(atoms) > 1 or atoms[0][1] > 1 else None
        ranges.append(IonRange(lo, hi, name or formula(atoms), atoms))
    return RangeTable(os.fspath(p), "rng", tuple(ions), tuple(ranges))


def read_ranges(path: str | os.PathLike) -> RangeTable:
    """Read a range file: ``.rrng`` or ``.rng`` by content, then by extension (case-insensitive)."""
    p = check_path(path)
    with open(p, "rb") as fh:
        head = fh.read(512)
    if b"[ions]" in head.lower() or p.suffix.lower() == ".rrng":
        return read_rrng(p)
    if p.suffix.lower() == ".rng" or re.match(rb"\s*\d+\s+\d+\s*[\r\n]", head):
        return read_rng(p)
    raise FormatError(p, "not a range file (.rrng or .rng)")


def write_rrng(ranges, path: str | os.PathLike) -> None:
    """Write ranges (iterable of :class:`IonRange`) as an IVAS ``.rrng`` file, atomically."""
    ranges = list(ranges)
    ions = []
    for r in ranges:
        for el, _ in r.atoms:
            if el not in ions:
                ions.append(el)
    out = ["[Ions]", f"Number={len(ions)}", *(f"Ion{i}={n}" for i, n in enumerate(ions, 1)),
           "[Ranges]", f"Number={len(ranges)}"]
    for i, r in enumerate(ranges, 1):
        atoms = " ".join(f"{el}:{n}" for el, n in r.atoms)
        out.append(f"Range{i}={r.low_Da:.4f} {r.high_Da:.4f} Vol:0.00000 {atoms} Color:FF0000")
    with atomic_write(path, "w") as fh:
        fh.write("\r\n".join(out) + "\r\n")

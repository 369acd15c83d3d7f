"""Quantum Design ``.dat`` files (PPMS, MPMS classic, MPMS3 / SQUID-VSM) and plain CSV tables.

A QD data file is text: a ``[Header]`` section of comma-separated ``KEY, value`` lines
(``TITLE``, ``BYAPP``, ``FILEOPENTIME``, ``INFO`` ...; ``;`` starts a comment line), then a
``[Data]`` section whose first non-empty line names the columns and whose other lines are
comma-separated records.  Quirks handled here, all seen in real files:

- column names in Latin-1 (``µ`` as byte 0xB5) rather than UTF-8;
- a blank line between the column names and the first record;
- a trailing comma on every line (an unnamed last column, dropped);
- empty cells (missing values) -> NaN; a header with no records -> an empty table;
- ``TITLE`` and ``INFO`` values that contain commas;
- ``INFO`` lines written ``INFO, KEY, value`` (MPMS MultiVu) or ``INFO, value, KEY`` (PPMS options).

Reference: Quantum Design application note 1070-207, "Data file format" (MultiVu), and the
real PPMS/MPMS files the tests read (``tests/io/test_qd.py``).
"""
from __future__ import annotations

import csv
import io
import os
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scprobe.errors import FormatError
from scprobe.io.base import check_path

__all__ = ["QDFile", "read_qd", "read_csv_table", "read_table", "find_column", "column", "channels",
           "column_unit", "column_base"]

_SAMPLE_KEYS = {"NAME", "WEIGHT", "AREA", "LENGTH", "SHAPE", "COMMENT"}
_KEY_LAST = re.compile(r"^[A-Z][A-Z0-9_]*$")
_KEY_FIRST = re.compile(r"^[A-Z][A-Z0-9_ :]*$")


@dataclass(frozen=True)
class QDFile:
    """One Quantum Design data file (or a CSV table read with a column mapping).

    Attributes
    ----------
    path : str
        The file read.
    metadata : dict
        Header: ``TITLE``, ``BYAPP``, ``FILEOPENTIME`` (strings), ``INFO`` (dict key -> value),
        ``sample`` (the ``INFO`` entries about the sample), ``units`` (column -> unit string
        from the parentheses of its name), ``comments`` (``;`` lines), and every other header
        key (a string, or a list of strings when the key repeats, e.g. ``STARTUPAXIS``).
    data : pandas.DataFrame
        Records under the file's own column names; numeric columns as float64 with empty
        cells as NaN, text columns (``Comment``) as objects with NaN for empty cells.
    """

    path: str
    metadata: dict[str, Any] = field(default_factory=dict)
    data: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.data.columns]

    def column(self, candidates: str | Sequence[str], *, bridge: int | None = None) -> np.ndarray:
        """Shortcut for :func:`column` on this file."""
        return column(self, candidates, bridge=bridge)

    def find_column(self, candidates: str | Sequence[str], *, bridge: int | None = None,
                    with_data: bool = False) -> str | None:
        """Shortcut for :func:`find_column` on this file."""
        return find_column(self, candidates, bridge=bridge, with_data=with_data)


def _decode(path: Path, raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # MultiVu writes the Windows code page; Latin-1 maps every byte (0xB5 -> µ)
        return raw.decode("latin-1")


def _split(line: str) -> list[str]:
    return next(csv.reader([line], skipinitialspace=False))


def _parse_info(fields: list[str]) -> tuple[str, str]:
    """Key and value of an ``INFO`` line in either QD convention (see module docstring)."""
    f = [x.strip() for x in fields]
    if len(f) == 1:
        key, _, value = f[0].partition(":")
        return key.strip(), value.strip()
    first, last = f[0], f[-1]
    if _KEY_LAST.match(last) and not (_KEY_FIRST.match(first) and "_" not in last):
        return last, ", ".join(f[:-1])
    if first and _KEY_FIRST.match(first):
        return first.rstrip(":").strip(), ", ".join(f[1:])
    return last, ", ".join(f[:-1])


def _parse_header(lines: list[str]) -> dict[str, Any]:
    meta: dict[str, Any] = {"INFO": {}, "comments": []}
    for line in lines:
        s = line.strip()
        if not s:
            continue
        if s.startswith(";"):
            meta["comments"].append(s[1:].strip())
            continue
        key, _, rest = s.partition(",")
        key = key.strip()
        if key == "INFO":
            k, v = _parse_info(_split(rest))
            meta["INFO"][k] = v
            continue
        value = rest.strip()
        if key in meta and key not in ("INFO", "comments"):
            prev = meta[key]
            meta[key] = (prev if isinstance(prev, list) else [prev]) + [value]
        else:
            meta[key] = value
    meta["sample"] = {k: v for k, v in meta["INFO"].items()
                      if "SAMPLE" in k.upper() or k.upper() in _SAMPLE_KEYS}
    return meta


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for n in names:
        n = n.strip()
        seen[n] = seen.get(n, 0) + 1
        unique.append(n if seen[n] == 1 else f"{n} [{seen[n]}]")
    return unique


def _frame(path, names: list[str], lines: list[str], sep: str = ",") -> pd.DataFrame:
    """DataFrame from record lines: numeric columns as float64, empty cells as NaN.

    pandas' C parser does the work; a record with more non-empty fields than there are
    column names is an error (a trailing empty field is the usual trailing comma).
    """
    # a trailing comma on every line makes an unnamed, empty last column
    while names and not names[-1].strip():
        names = names[:-1]
    ncol = len(names)
    if not ncol:
        raise FormatError(path, "the column-name line is empty")
    if sep == ",":
        for i, ln in enumerate(lines):
            if ln.count(",") >= ncol:
                fields = _split(ln)
                if len(fields) > ncol and any(c.strip() for c in fields[ncol:]):
                    raise FormatError(path, f"data row {i + 1} has {len(fields)} fields but the header names "
                                            f"{ncol} columns")
    unique = _unique_names(names)
    if not lines:
        return pd.DataFrame({n: pd.Series(dtype="float64") for n in unique}, columns=unique)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            df = pd.read_csv(io.StringIO("\n".join(lines)), sep=sep, header=None, names=unique, index_col=False,
                             keep_default_na=False, na_values=["", "NaN", "nan", "NAN"], skipinitialspace=True,
                             engine="c" if sep == "," else "python")
    except (pd.errors.ParserError, ValueError) as exc:
        raise FormatError(path, f"cannot parse the data table: {exc}") from None
    cols = {}
    for name in unique:
        series = df[name]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            cols[name] = series.astype("float64")
            continue
        text = series.astype(object).where(series.notna(), np.nan)
        text = text.map(lambda v: v.strip() if isinstance(v, str) else v).replace("", np.nan)
        numeric = pd.to_numeric(text, errors="coerce")
        cols[name] = numeric.astype("float64") if numeric.notna().sum() == text.notna().sum() else text
    return pd.DataFrame(cols, columns=unique)


def read_qd(path: str | os.PathLike) -> QDFile:
    """Read a Quantum Design ``.dat`` file.

    Parameters
    ----------
    path : str or path-like
        A MultiVu data file (PPMS resistivity / ETO / heat capacity / VSM / ACMS, MPMS, MPMS3).

    Returns
    -------
    QDFile
        Header metadata and the data table under the file's real column names.

    Raises
    ------
    FormatError
        No ``[Header]`` or ``[Data]`` section, no column names, or a record with more
        fields than there are columns.
    """
    p = check_path(path)
    text = _decode(p, p.read_bytes())
    lines = text.splitlines()
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None or lines[first].strip().lstrip("\ufeff") != "[Header]":
        raise FormatError(p, "not a Quantum Design data file (no [Header] line at the start)")
    try:
        data_at = next(i for i, ln in enumerate(lines) if ln.strip() == "[Data]")
    except StopIteration:
        raise FormatError(p, "Quantum Design file has no [Data] section (truncated?)") from None
    meta = _parse_header(lines[first + 1:data_at])
    body = [ln for ln in lines[data_at + 1:] if ln.strip()]
    if not body:
        raise FormatError(p, "Quantum Design file has no column-name line after [Data]")
    df = _frame(p, _split(body[0]), body[1:])
    meta["units"] = {c: column_unit(c) for c in df.columns}
    return QDFile(path=os.fspath(p), metadata=meta, data=df)


def _sniff_delimiter(sample: str) -> str | None:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t ").delimiter
    except csv.Error:
        return None


def read_csv_table(path: str | os.PathLike, mapping: Mapping[str, str] | None = None) -> QDFile:
    """Read a plain CSV/TSV table and rename its columns to Quantum Design names.

    Parameters
    ----------
    path : str or path-like
        Text table with one header line of column names; lines starting with ``#`` are
        comments.  Delimiter: comma, semicolon, tab or whitespace (detected).
    mapping : mapping of str to str, optional
        ``{QD column name: column name in this file}``, e.g.
        ``{"Temperature (K)": "T", "Bridge 1 Resistivity (Ohm-m)": "rho"}``, so the bulk
        analyses find the columns as in a ``.dat`` file.  Unmapped columns keep their names.

    Returns
    -------
    QDFile
        ``metadata`` holds ``{"format": "csv", "units": ..., "comments": [...]}``.

    Raises
    ------
    FormatError
        A mapped column absent from the file (named), or an unreadable table.
    """
    p = check_path(path)
    text = _decode(p, p.read_bytes())
    comments = [ln.lstrip("#").strip() for ln in text.splitlines() if ln.lstrip().startswith("#")]
    body = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not body:
        raise FormatError(p, "CSV table has no header line")
    delim = _sniff_delimiter("\n".join(body[:20]))
    if delim is None:
        delim = "," if "," in body[0] else None
    if delim == " " or delim is None:
        df = _frame(p, body[0].split(), body[1:], sep=r"\s+")
    else:
        df = _frame(p, next(csv.reader([body[0]], delimiter=delim)), body[1:], sep=delim)
    numeric = sum(bool(pd.to_numeric(df[c], errors="coerce").notna().any()) for c in df.columns)
    if numeric < 2:
        # text that merely splits into lines is not a table: x and y need two columns of numbers
        raise FormatError(p, f"not a table of numbers: {numeric} numeric column(s) in {len(df.columns)}")
    if mapping:
        missing = [src for src in mapping.values() if src not in df.columns]
        if missing:
            raise FormatError(p, f"column(s) {missing} not in the table (columns: {list(df.columns)})")
        df = df.rename(columns={src: dst for dst, src in mapping.items()})
    meta = {"format": "csv", "comments": comments, "INFO": {}, "sample": {},
            "units": {c: column_unit(c) for c in df.columns}}
    return QDFile(path=os.fspath(p), metadata=meta, data=df)


def read_table(path: str | os.PathLike | QDFile) -> QDFile:
    """A QD ``.dat`` file by content (``[Header]`` first), else a CSV table; a QDFile passes through."""
    if isinstance(path, QDFile):
        return path
    p = check_path(path)
    with open(p, "rb") as fh:
        head = fh.read(64).lstrip(b"\xef\xbb\xbf").lstrip()
    return read_qd(p) if head.startswith(b"[Header]") else read_csv_table(p)


def column_unit(name: str) -> str:
    """Unit in the trailing parentheses of a QD column name (``"Moment (emu)"`` -> ``"emu"``), else ``""``.

    Nested parentheses are kept: ``"Samp HC (J/(mol K))"`` -> ``"J/(mol K)"``.
    """
    s = str(name).rstrip()
    if not s.endswith(")"):
        return ""
    depth = 0
    for i in range(len(s) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(s[i], 0)
        if depth == 0:
            return s[i + 1:-1].strip()
    return ""


def column_base(name: str) -> str:
    """Column name without its trailing unit: ``"Samp HC (µJ/K)"`` -> ``"Samp HC"``."""
    s = str(name).rstrip()
    if not s.endswith(")"):
        return s.strip()
    depth = 0
    for i in range(len(s) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(s[i], 0)
        if depth == 0:
            return s[:i].strip()
    return s.strip()


def _norm(name: str) -> str:
    s = str(name).replace("\u00b5", "u").replace("\u03bc", "u").lower()
    return re.sub(r"\s+", " ", s).strip()


def find_column(qd: QDFile, candidates: str | Iterable[str], *, bridge: int | None = None,
                with_data: bool = False) -> str | None:
    """First column of ``qd`` matching one of ``candidates`` (exact, then case/space/µ-insensitive).

    A ``{n}`` in a candidate is replaced by ``bridge`` (``"Bridge {n} Resistivity (Ohm-m)"``).
    With ``with_data`` only columns holding at least one value count (MPMS3 files carry empty
    columns for the centring mode not used).  Returns None when nothing matches.
    """
    cands = [candidates] if isinstance(candidates, str) else list(candidates)
    if bridge is not None:
        cands = [c.format(n=bridge) for c in cands]
    cols = [str(c) for c in qd.data.columns if not with_data or qd.data[c].notna().any()]
    for c in cands:
        if c in cols:
            return c
    normed = {_norm(c): c for c in reversed(cols)}
    for c in cands:
        if _norm(c) in normed:
            return normed[_norm(c)]
    return None


def column(qd: QDFile, candidates: str | Sequence[str], *, bridge: int | None = None) -> np.ndarray:
    """Values of the first matching column as float64 (NaN for empty cells).

    Raises
    ------
    FormatError
        Naming the file and the candidate names when no column matches or the column is not numeric.
    """
    name = find_column(qd, candidates, bridge=bridge)
    cands = [candidates] if isinstance(candidates, str) else list(candidates)
    if bridge is not None:
        cands = [c.format(n=bridge) for c in cands]
    if name is None:
        raise FormatError(qd.path, f"no column {' or '.join(repr(c) for c in cands)} in the data table")
    values = pd.to_numeric(qd.data[name], errors="coerce").to_numpy(dtype=float)
    if np.isnan(values).all() and qd.data[name].notna().any():
        raise FormatError(qd.path, f"column {name!r} is not numeric")
    # empty cells (NaN) are normal in MultiVu files; an infinite value or a negative temperature is not
    if np.isinf(values).any():
        raise FormatError(qd.path, f"column {name!r} holds an infinite value (row {int(np.isinf(values).argmax()) + 1})")
    if column_unit(name) == "K" and (values < 0).any():
        raise FormatError(qd.path, f"column {name!r} holds a negative temperature (row "
                                   f"{int((values < 0).argmax()) + 1})")
    return values


def channels(qd: QDFile, pattern: str) -> list[int]:
    """Bridge/channel numbers whose column matches ``pattern`` and holds data.

    ``pattern`` contains ``{n}``, e.g. ``"Bridge {n} Resistivity"`` or ``"Resistance Ch{n}"``;
    it is matched at the start of the column name, case-insensitively.
    """
    rx = re.compile("^" + re.escape(_norm(pattern)).replace(r"\{n\}", r"(\d+)") + r"\b")
    found = []
    for c in qd.data.columns:
        m = rx.match(_norm(c))
        if m and pd.to_numeric(qd.data[c], errors="coerce").notna().any():
            found.append(int(m.group(1)))
    return sorted(set(found))

"""What every reader returns, unit parsing, and safe writing.

A reader turns one file into :class:`Channel` objects: data already in SI units,
void pixels as NaN, row 0 the top row as Gwyddion displays it.  Grouping channels
into a Scan happens in :mod:`scprobe.io.group`, so readers stay format-only.
"""
from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from scprobe.errors import FormatError

_PREFIX = {
    "Y": 24, "Z": 21, "E": 18, "P": 15, "T": 12, "G": 9, "M": 6, "k": 3, "h": 2,
    "da": 1, "d": -1, "c": -2, "m": -3, "u": -6, "\u00b5": -6, "\u03bc": -6, "n": -9,
    "p": -12, "f": -15, "a": -18, "z": -21, "y": -24,
}
_BASE_UNITS = ("m", "A", "V", "s", "Hz", "N", "W", "Ohm", "S", "K", "T", "F", "C", "deg", "rad", "Pa")
_SPECIAL = {"Å": ("m", -10), "AA": ("m", -10), "angstrom": ("m", -10), "Angstrom": ("m", -10),
            "%": ("", -2), "": ("", 0), "1": ("", 0)}


#: SI unit -> (unit written in instrument files, its factor): Daisy stores nm, nA and V.
FILE_Z_UNITS: dict[str, tuple[str, float]] = {"m": ("nm", 1e-9), "A": ("nA", 1e-9), "V": ("V", 1.0)}


def parse_unit(text: str | None, default: str = "nm") -> tuple[str, int]:
    """Split a unit string into its SI base unit and power of ten.

    Follows Gwyddion's ``gwy_si_unit_new_parse`` for the units SPM files use:
    ``"nm"`` -> ``("m", -9)``, ``"um"``/``"µm"`` -> ``("m", -6)``, ``"nA"`` ->
    ``("A", -9)`` and ``"A"`` -> ``("A", 0)`` (ampere, not angstrom).  An unknown
    unit is kept verbatim with power 0.  ``None`` means ``default``.
    """
    s = (default if text is None else text).strip()
    if s in _SPECIAL:
        return _SPECIAL[s]
    if s in _BASE_UNITS:
        return s, 0
    for plen in (2, 1):
        pre, rest = s[:plen], s[plen:]
        if pre in _PREFIX and rest in _BASE_UNITS:
            return rest, _PREFIX[pre]
    return s, 0


@dataclass(frozen=True)
class Channel:
    """One image channel as read from a file.

    Attributes
    ----------
    name : str
        Channel name as the file gives it (title, wave name, Daisy channel).
    data : ndarray, shape (ny, nx)
        Floating-point values in SI units of ``unit``; void pixels are NaN.
        float64 (decoded straight from the file's bytes, so ``make_scan`` needs no copy), or,
        read with ``lazy=True``, an array-like (``shape``, indexing, ``numpy.asarray``) that
        decodes the same values from the raw samples when asked for.
    unit : str
        SI base unit of the values (``m``, ``A``, ``V`` ...; ``""`` if none).
    size_m : (float, float)
        Physical size ``(yreal, xreal)`` in metres.
    offset_m : (float, float)
        Position ``(y, x)`` of the top-left corner as the format's reader in
        Gwyddion places the field (BCR offsets are NOT applied; they go to
        ``scan_position_m``).
    metadata : dict
        Every header key of the file, values as strings.
    quantity : str or None
        ``topography``, ``deflection`` or ``current`` when the file says so.
    direction : str or None
        ``forward`` / ``backward`` when the file says so.
    scan_position_m : (float, float) or None
        Scan position ``(y, x)`` stored in the header, in metres.
    mask : ndarray of bool or None
        A mask stored with the channel (Gwyddion ``/N/mask``), True = masked.
    sha256 : str or None
        Hex sha256 of the file's bytes when the reader hashed what it read
        (:class:`HashingReader`), so provenance needs no second read.
    """

    name: str
    data: np.ndarray
    unit: str
    size_m: tuple[float, float]
    offset_m: tuple[float, float] = (0.0, 0.0)
    metadata: dict[str, Any] = field(default_factory=dict)
    quantity: str | None = None
    direction: str | None = None
    scan_position_m: tuple[float, float] | None = None
    mask: np.ndarray | None = None
    sha256: str | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.data.shape)

    @property
    def pixel_size_m(self) -> tuple[float, float]:
        """``(dy, dx)`` in metres."""
        ny, nx = self.data.shape
        return self.size_m[0] / ny, self.size_m[1] / nx

    @property
    def void_count(self) -> int:
        return int(np.count_nonzero(np.isnan(self.data)))


def split_title(title: str) -> tuple[str, str | None]:
    """Split a channel title such as ``"Current (Backward)"`` into ``("Current", "backward")``.

    Gwyddion, Nanonis and scprobe's own .gwy writer put the trace direction in
    parentheses after the channel name; a title without one gives ``(title, None)``.
    """
    m = re.fullmatch(r"\s*(.*?)\s*\((forward|backward|fwd|bwd|trace|retrace)\)\s*", title, re.IGNORECASE)
    if not m:
        return title, None
    from scprobe.io.naming import direction_from_name

    return m[1], direction_from_name(m[2])


def check_path(path: str | os.PathLike) -> Path:
    """Return ``path`` as a Path after checking it is a readable, non-empty regular file."""
    p = Path(path)
    if not p.exists():
        if p.is_symlink():
            raise FormatError(p, "broken or looping symbolic link")
        raise FormatError(p, "no such file")
    if p.is_dir():
        raise FormatError(p, "is a directory, not a file")
    if not p.is_file():  # a FIFO or a device would block or never end
        raise FormatError(p, "not a regular file (a pipe, socket or device)")
    if not os.access(p, os.R_OK):
        raise FormatError(p, "permission denied")
    if p.stat().st_size == 0:
        raise FormatError(p, "file is empty")
    return p


#: Plausible ranges of the quantities every scan reader reports; one check for all readers (:func:`check_scan`).
PIXEL_SIZE_RANGE_M = (1e-12, 1.0)
TEMPERATURE_RANGE_K = (0.0, 1000.0)
BIAS_RANGE_V = (-1000.0, 1000.0)


def check_scan(path, *, pixel_size_m: tuple[float, float], temperature_K: float | None = None,
               bias_V: float | None = None) -> None:
    """Refuse a scan whose header quantities are impossible, naming the file and the quantity.

    Parameters
    ----------
    path : path-like
        The file the values come from.
    pixel_size_m : (float, float)
        ``(dy, dx)``; each finite and within :data:`PIXEL_SIZE_RANGE_M`.
    temperature_K, bias_V : float, optional
        NaN or None means "not in the file"; otherwise finite and within
        :data:`TEMPERATURE_RANGE_K` / :data:`BIAS_RANGE_V`.
    """
    for name, v in zip(("pixel size along y", "pixel size along x"), pixel_size_m):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and
                PIXEL_SIZE_RANGE_M[0] <= v <= PIXEL_SIZE_RANGE_M[1]):
            raise FormatError(path, f"{name} {v!r} m is not a length between {PIXEL_SIZE_RANGE_M[0]:g} and "
                                    f"{PIXEL_SIZE_RANGE_M[1]:g} m")
    for name, v, (lo, hi), unit in (("temperature", temperature_K, TEMPERATURE_RANGE_K, "K"),
                                    ("bias", bias_V, BIAS_RANGE_V, "V")):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (lo <= v <= hi):
            raise FormatError(path, f"{name} {v!r} is not a value in {unit} between {lo:g} and {hi:g}")


def real_path(path: str | os.PathLike) -> Path:
    """``path`` with symbolic links and ``..`` resolved; never raises (a loop stays as it is)."""
    return Path(os.path.realpath(path))


def to_float(path, key: str, value: str | None, *, positive: bool = False) -> float:
    """Parse a header number, with a FormatError that names the key."""
    if value is None:
        raise FormatError(path, f"header field {key!r} is missing")
    try:
        v = float(value.strip().split()[0])
    except (ValueError, IndexError):
        raise FormatError(path, f"header field {key!r} is not a number: {value!r}") from None
    if not math.isfinite(v) or (positive and v <= 0):
        raise FormatError(path, f"header field {key!r} must be a positive finite number, got {value!r}")
    return v


def to_int(path, key: str, value: str | None, *, minimum: int = 1) -> int:
    """Parse a header integer (a pixel count), with a FormatError that names the key."""
    if value is None:
        raise FormatError(path, f"header field {key!r} is missing")
    if not re.fullmatch(r"\s*[+-]?\d+\s*", value):
        raise FormatError(path, f"header field {key!r} is not an integer: {value!r}")
    v = int(value)
    if v < minimum:
        raise FormatError(path, f"header field {key!r} must be at least {minimum}, got {v}")
    return v


class HashingReader:
    """Read a file front to back into the caller's buffers, hashing every byte (sha256) meanwhile.

    Each buffer handed to :meth:`readinto` is hashed in a background thread while the
    caller decodes it (hashlib releases the GIL), so provenance costs no second read
    and, with a free core, little time.  The caller rotates ``buffers`` buffers: filling
    one waits only for the hash of the buffer filled ``buffers`` calls before, so the
    reading and decoding thread runs ahead while the (slower) hash thread never idles.

    Parameters
    ----------
    path : path-like
        The file.
    buffers : int
        How many buffers the caller rotates (never overwritten before they are hashed).
    """

    def __init__(self, path: str | os.PathLike, buffers: int = 2):
        from concurrent.futures import ThreadPoolExecutor

        self.path = Path(path)
        self._fh = open(self.path, "rb", buffering=0)
        self._hash = hashlib.sha256()
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._pending: list = []
        self._buffers = max(1, int(buffers))

    def __enter__(self) -> HashingReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._fh.close()

    def readinto(self, buf) -> None:
        """Fill ``buf`` (any writable buffer) with the next bytes of the file; FormatError if the file ends."""
        while len(self._pending) >= self._buffers:  # hashes finish in order: the oldest may be this buffer
            self._pending.pop(0).result()
        view = memoryview(buf).cast("B")
        got = 0
        while got < len(view):
            n = self._fh.readinto(view[got:])
            if not n:
                raise FormatError(self.path, f"truncated data: file ended {len(view) - got} bytes early")
            got += n
        self._pending.append(self._pool.submit(self._hash.update, view))

    def hexdigest(self) -> str:
        """sha256 of the whole file: hashes whatever was not read yet, then waits for the thread."""
        while block := self._fh.read(1 << 20):
            self._hash.update(block)
        for f in self._pending:
            f.result()
        self._pending.clear()
        return self._hash.hexdigest()


def _read_umask() -> int:
    # read once at import: os.umask is process-global, so toggling it later would race with threads
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def _umask_mode(fd: int) -> None:
    # mkstemp creates 0600 files; outputs get the mode open() would give them
    os.fchmod(fd, 0o666 & ~_UMASK)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[Any]:
    """Open a temporary file beside ``path`` and rename it over ``path`` on success.

    A crash or an exception leaves any existing ``path`` untouched and no partial file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    _umask_mode(fd)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` for libraries that write by file name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    _umask_mode(fd)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise

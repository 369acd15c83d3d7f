"""The typer application and the helpers every command shares.

Commands live in sibling modules (one per stage) and register themselves on
:data:`app`; they parse arguments, call the library and print.  Nothing here
computes physics.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

app = typer.Typer(
    name="scprobe",
    help="Spatially resolve superconductivity: cryogenic cAFM maps, bulk and composition data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain click help: FILE/FLOAT metavars, no 80-column box when piped, and no rich.markdown import (~120 ms)
    rich_markup_mode=None,
)
#: C0/C1 control characters except newline and tab: a header could clear, recolour or retitle the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """``text`` with control characters shown as ``\\xNN`` escapes instead of sent to the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class SafeConsole(Console):
    """A rich Console that never interprets text as markup and never prints control characters.

    Everything printed may come from a file (header strings, paths): ``[/]`` or an ESC
    sequence there is data.  Every string, also in table cells, passes through
    :meth:`render_str`, so the rule holds for all output; styling uses ``style=``.
    """

    def render_str(self, text: str, **kwargs):
        kwargs["markup"] = False
        kwargs["emoji"] = False
        return super().render_str(clean(text), **kwargs)


def _console(stderr: bool = False) -> SafeConsole:
    tty = (sys.stderr if stderr else sys.stdout).isatty()
    # piped output is never wrapped or cut at 80 columns
    return SafeConsole(stderr=stderr, highlight=False, soft_wrap=not tty, width=None if tty else 10_000)


#: Human-readable output goes to stdout only without --json; warnings to stderr.
console = _console()
err_console = _console(stderr=True)
STATE = {"debug": False}

JSON_OPTION = typer.Option(False, "--json", help="Print one JSON object on stdout and nothing else.")


#: An output folder must have at least this much free space before a command starts its work.
MIN_FREE_BYTES = 1 << 20


def check_output(path: Path | None, option: str = "--out", *, folder: bool = True) -> Path | None:
    """Refuse an output location before any work is done (not after a long analysis).

    ``path`` must be a folder (or a file when ``folder`` is False) that exists or can be
    created: its nearest existing parent is a writable folder with at least
    :data:`MIN_FREE_BYTES` free.  An existing file is never taken for a folder.
    """
    import errno
    import os

    from scprobe.errors import ParameterError

    if path is None:
        return None
    path = Path(path)
    if folder and path.exists() and not path.is_dir():
        raise ParameterError(f"{option} {path}: exists and is not a folder")
    if not folder and path.is_dir():
        raise ParameterError(f"{option} {path}: is a folder; give a file name")
    parent = path if folder and path.is_dir() else path.parent
    while not parent.exists():
        if parent.is_symlink() or parent == parent.parent:
            raise ParameterError(f"{option} {path}: {parent} is a broken or looping symbolic link")
        parent = parent.parent
    if not parent.is_dir():
        raise ParameterError(f"{option} {path}: {parent} is not a folder")
    try:
        st = os.statvfs(parent)
    except OSError as exc:
        raise ParameterError(f"{option} {path}: {exc.strerror}") from None
    if st.f_flag & os.ST_RDONLY:
        raise ParameterError(f"{option} {path}: {os.strerror(errno.EROFS)}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ParameterError(f"{option} {path}: {parent} is not writable")
    free = st.f_bavail * st.f_frsize
    if free < MIN_FREE_BYTES:
        raise ParameterError(f"{option} {path}: {os.strerror(errno.ENOSPC)} ({free // 1024} KiB free)")
    return path


def number(low: float | None = None, high: float | None = None, *, open_low: bool = False,
           nonzero: bool = False):
    """An option callback: the value is finite and within ``[low, high]`` (``(low, high]`` with ``open_low``).

    Errors name the option as the user typed it (click: ``Invalid value for '--x': ...``).
    """
    import math

    def check(value):
        if value is None:
            return value
        for v in value if isinstance(value, (list, tuple)) else [value]:
            bad = not math.isfinite(v) or (low is not None and (v <= low if open_low else v < low)) \
                or (high is not None and v > high) or (nonzero and v == 0)
            if bad:
                lo = "" if low is None else (f"> {low:g}" if open_low else f">= {low:g}")
                hi = "" if high is None else f"<= {high:g}"
                rule = " and ".join(x for x in ("finite", lo, hi, "non-zero" if nonzero else "") if x)
                raise typer.BadParameter(f"{v!r} is not allowed: must be {rule}")
        return value

    return check


def choice(*allowed: str):
    """An option callback: the value is one of ``allowed`` (error names the option and the choices)."""

    def check(value):
        if value is not None and value not in allowed:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}")
        return value

    return check


def emit_json(obj: Any) -> None:
    """Print one strict JSON object on stdout."""
    from scprobe.results import jsonable

    sys.stdout.write(json.dumps(jsonable(obj), indent=2, allow_nan=False) + "\n")
    sys.stdout.flush()


def progress_enabled(as_json: bool) -> bool:
    """Progress bars only on a terminal and never under --json."""
    return (not as_json) and sys.stderr.isatty()

"""The typer application and the helpers every command shares.

Commands live in sibling modules (one per stage) and register themselves on
:data:`app`; they parse arguments, call the library and print.  Nothing here
computes physics.
"""
from __future__ import annotations

import json
import re
import sys
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


def emit_json(obj: Any) -> None:
    """Print one strict JSON object on stdout."""
    from scprobe.results import jsonable

    sys.stdout.write(json.dumps(jsonable(obj), indent=2, allow_nan=False) + "\n")
    sys.stdout.flush()


def progress_enabled(as_json: bool) -> bool:
    """Progress bars only on a terminal and never under --json."""
    return (not as_json) and sys.stderr.isatty()

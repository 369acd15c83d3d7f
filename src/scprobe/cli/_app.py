"""The typer application and the helpers every command shares.

Commands live in sibling modules (one per stage) and register themselves on
:data:`app`; they parse arguments, call the library and print.  Nothing here
computes physics.
"""
from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.console import Console

from scprobe.results import jsonable

app = typer.Typer(
    name="scprobe",
    help="Spatially resolve superconductivity: cryogenic cAFM maps, bulk and composition data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
#: Human-readable output goes to stdout only without --json; warnings to stderr.
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)
STATE = {"debug": False}

JSON_OPTION = typer.Option(False, "--json", help="Print one JSON object on stdout and nothing else.")


def emit_json(obj: Any) -> None:
    """Print one strict JSON object on stdout."""
    sys.stdout.write(json.dumps(jsonable(obj), indent=2, allow_nan=False) + "\n")
    sys.stdout.flush()


def progress_enabled(as_json: bool) -> bool:
    """Progress bars only on a terminal and never under --json."""
    return (not as_json) and sys.stderr.isatty()

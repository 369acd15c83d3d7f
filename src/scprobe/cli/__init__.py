"""Command-line entry point: ``scprobe COMMAND ...``.

Every user error becomes one line ``error: ...`` on stderr and exit code 2
(``--debug`` shows the traceback); results go to stdout, as JSON with ``--json``.
"""
from __future__ import annotations

import errno
import functools
import importlib
import logging
import pkgutil
import sys
import warnings

import typer

from scprobe.cli._app import STATE, app, err_console
from scprobe.errors import ScprobeError


def _load_commands() -> None:
    # each sibling module registers its commands on ``app``; sorted for a stable help order
    for mod in sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")):
        importlib.import_module(f"{__name__}.{mod}")


def _print_version(value: bool) -> None:
    if value:
        from scprobe import __version__

        print(__version__)
        raise typer.Exit(0)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks instead of one-line errors."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what each stage does on stderr."),
    version: bool = typer.Option(False, "--version", help="Print the version and exit.",
                                 callback=_print_version, is_eager=True),
) -> None:
    STATE["debug"] = debug
    if verbose:
        handler = _VerboseHandler(sys.stderr)  # the stderr of this call
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s", "%H:%M:%S"))
        logging.getLogger("scprobe").addHandler(handler)
        logging.getLogger("scprobe").setLevel(logging.INFO)


class _VerboseHandler(logging.StreamHandler):
    """``--verbose``: the library's INFO messages on stderr, attached for one call of :func:`main`."""


#: Help metavars by parameter type (typer would print ``<list[Path]>`` and ``<bool>``).
_METAVARS = {"int": "INTEGER", "float": "FLOAT", "str": "TEXT"}


def _metavar(param) -> str | None:
    desc = param.type_descriptor
    if param.name == "patterns":
        return "GLOB"
    if desc.is_choice:
        return None  # typer lists the choices
    if desc.is_path:
        return "DIR" if param.name in ("out", "outdir", "out_dir") else "FILE"
    origin = getattr(desc.annotation, "__args__", None)
    name = getattr(origin[0] if origin else desc.annotation, "__name__", "")
    if name == "Path":
        return "FILE"
    return _METAVARS.get(name, "TEXT")


@functools.lru_cache(maxsize=1)
def _command():
    """The click command tree with plain metavars (FILE, DIR, FLOAT ...) in ``--help``."""
    import typer.main

    _load_commands()
    group = typer.main.get_command(app)
    for cmd in group.commands.values():
        for param in cmd.params:
            if param.metavar is None and not getattr(param, "is_flag", False):
                param.metavar = _metavar(param)
            if param.param_type_name == "argument":
                # the metavar already names the argument; typer would repeat it as ``<list[Path]>``
                param.display_type_rich = lambda ctx: None
    return group


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 some work failed or a bug, 2 bad input, 130 interrupted)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    logger = logging.getLogger("scprobe")
    try:
        with warnings.catch_warnings():
            if not debug:
                # stderr carries scprobe's own lines only: library warnings show with --debug
                warnings.simplefilter("ignore")
                logging.getLogger("tifffile").setLevel(logging.ERROR)
            rc = _command().main(args=args, prog_name="scprobe", standalone_mode=False)
        return rc if isinstance(rc, int) else 0  # typer.Exit(n) comes back as n in non-standalone mode
    except ScprobeError as exc:
        if debug:
            raise
        err_console.print(f"error: {exc}", markup=False, soft_wrap=True)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except OSError as exc:
        if debug:
            raise
        if exc.errno not in _USER_ERRNOS:
            err_console.print(f"error: internal error ({type(exc).__name__}: {exc}); rerun with --debug and "
                              "report it", markup=False, soft_wrap=True)
            return 1
        # the system refused a path the user gave (disk full, read-only, too long ...): their input, not a bug
        where = f"{exc.filename}: " if exc.filename is not None else ""
        err_console.print(f"error: {where}{exc.strerror}", markup=False, soft_wrap=True)
        return 2
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("error: interrupted", markup=False)
        return 130
    except Exception as exc:
        if _is_usage_error(exc):
            msg = exc.format_message().replace("\n", " ")
            err_console.print(f"error: {msg}", markup=False, soft_wrap=True)
            return 2
        if debug:
            raise
        err_console.print(f"error: internal error ({type(exc).__name__}: {exc}); rerun with --debug and report it",
                          markup=False, soft_wrap=True)
        return 1
    finally:
        verbose = [h for h in logger.handlers if isinstance(h, _VerboseHandler)]
        for handler in verbose:
            logger.removeHandler(handler)
        if verbose:
            logger.setLevel(logging.NOTSET)


#: OSError numbers that describe the user's paths or disk, reported as bad input (exit 2).
_USER_ERRNOS = {getattr(errno, n) for n in ("ENOSPC", "EROFS", "EACCES", "EPERM", "EDQUOT", "EFBIG", "ENAMETOOLONG",
                                            "ENOTDIR", "EISDIR", "EEXIST", "ELOOP", "ENOENT", "ENXIO")
                if hasattr(errno, n)}


def _is_usage_error(exc: Exception) -> bool:
    """Bad options or arguments, from click or from the copy of click that newer typer bundles."""
    for module in ("click.exceptions", "typer._click.exceptions"):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        if isinstance(exc, mod.ClickException):
            return True
    return False


#: Commands that may run tasks on dask.distributed (:mod:`scprobe.distributed`); no other command uses dask.
_DASK_COMMANDS = frozenset({"batch", "run", "demo"})


def _hide_dask(args: list[str]) -> None:
    """Make dask unimportable in this process when the command never uses it.

    xarray imports dask and dask.array (0.25 s CPU, a quarter of a small map's whole
    command) on its first array, only to check that the array is not a dask array; with
    dask absent it skips those checks, as for any install without dask.  Done in a fresh
    process only (the console entry point, xarray and dask not imported yet), so a caller
    that imports :func:`main` keeps its dask.
    """
    command = next((a for a in args if not a.startswith("-")), None)
    if command is not None and command not in _DASK_COMMANDS and not {"dask", "xarray"} & sys.modules.keys():
        sys.modules["dask"] = None  # the import system's marker for "not available": import raises ImportError


def run() -> None:
    """Console entry point (``scprobe``, ``python -m scprobe``): runs :func:`main` and exits with its code."""
    _hide_dask(sys.argv[1:])
    sys.exit(main())

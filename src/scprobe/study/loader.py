"""Load and validate a study file: every error names the key and its line.

``tomllib`` reports line numbers only for syntax errors, so :func:`key_lines`
scans the TOML text itself and maps every table and key path
(``("scans", 2, "temperature_K")``) to the line that defines it.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from pydantic import ValidationError

from scprobe.errors import FormatError
from scprobe.study.schema import (SCHEMA_CHANGES, SCHEMA_VERSION, Category, Loc, StudySpec, format_loc,
                                  input_files, semantic_errors)

_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*(\]\]?)\s*(#.*)?$")
_KEY_RE = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")
_INLINE_KEY_RE = re.compile(r"[{,]\s*([A-Za-z0-9_-]+)\s*=")


#: Largest study file read (a study lists files and options; megabytes of TOML are a mistake or an attack).
MAX_STUDY_BYTES = 1 << 20


class StudyError(FormatError):
    """A study file that cannot be used; ``problems`` lists ``(key, line, message)``."""

    def __init__(self, path: str | os.PathLike, problems: list[tuple[str, int | None, str]]):
        self.problems = problems
        parts = [f"{'line ' + str(line) + ': ' if line else ''}{key}: {msg}" if key else
                 f"{'line ' + str(line) + ': ' if line else ''}{msg}" for key, line, msg in problems]
        super().__init__(path, "; ".join(parts))


@dataclass(frozen=True)
class Study:
    """A validated study.

    Attributes
    ----------
    path : Path
        The study file (absolute).
    spec : StudySpec
        The validated content; relative paths in it resolve against ``root``.
    lines : dict
        Key path -> line number, for messages about values found later.
    """

    path: Path
    spec: StudySpec
    lines: dict[Loc, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def root(self) -> Path:
        return self.path.parent

    def resolve(self, relative: str | os.PathLike) -> Path:
        """Absolute path of a file named in the study."""
        return self.root / relative

    def scan(self, label: str):
        """The ``[[scans]]`` entry labelled ``label``."""
        for s in self.spec.scans:
            if s.label == label:
                return s
        raise KeyError(label)

    def inputs(self) -> list[tuple[str, Path]]:
        """``(key, absolute path)`` of every input file."""
        return [(key, self.resolve(p)) for key, p in input_files(self.spec)]

    def line_of(self, loc: Loc) -> int | None:
        return line_of(self.lines, loc)


def _split_dotted(key: str) -> list[str]:
    return [p.strip().strip("\"'") for p in re.split(r"\.(?=(?:[^\"']*[\"'][^\"']*[\"'])*[^\"']*$)", key)]


def key_lines(text: str) -> dict[Loc, int]:
    """Map table and key paths to 1-based line numbers in a TOML text.

    Arrays of tables get their index (``[[scans]]`` -> ``("scans", 0)``, ...);
    keys of inline tables map to the line of their ``key = {...}``.
    """
    lines: dict[Loc, int] = {}
    counts: dict[Loc, int] = {}
    table: Loc = ()
    open_brackets = 0
    for n, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw)
        if open_brackets > 0:  # inside a multi-line array value
            open_brackets += line.count("[") - line.count("]")
            continue
        m = _HEADER_RE.match(line)
        if m:
            parts = tuple(_split_dotted(m.group(2)))
            if m.group(1) == "[[":
                # an array of tables nested under the current element of its parent array
                base = _with_indices(parts, counts)
                idx = counts.get(base, 0)
                counts[base] = idx + 1
                table = base + (idx,)
            else:
                table = _with_indices(parts, counts)
            lines.setdefault(table, n)
            continue
        k = _KEY_RE.match(line)
        if not k:
            continue
        path = table + tuple(_split_dotted(k.group(1)))
        lines.setdefault(path, n)
        rest = line[k.end():]
        for ik in _INLINE_KEY_RE.finditer(rest):
            lines.setdefault(path + (ik.group(1),), n)
        open_brackets = max(0, rest.count("[") - rest.count("]"))
    return lines


def _strip_comment(line: str) -> str:
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i]
    return line


def _with_indices(parts: tuple[str, ...], counts: dict[Loc, int]) -> Loc:
    out: Loc = ()
    for p in parts:
        out = out + (p,)
        if out in counts and out != parts:
            out = out + (counts[out] - 1,)
    return out


def line_of(lines: dict[Loc, int], loc: Loc) -> int | None:
    """Line of ``loc`` or of its closest enclosing key or table; None when nothing matches."""
    for k in range(len(loc), 0, -1):
        if loc[:k] in lines:
            return lines[loc[:k]]
    return None


def _version_problem(data: dict, lines: dict[Loc, int]) -> tuple[str, int | None, str] | None:
    if "schema_version" not in data:
        return ("schema_version", None, f"missing; add 'schema_version = {SCHEMA_VERSION}' at the top")
    v = data["schema_version"]
    line = lines.get(("schema_version",))
    if not isinstance(v, int) or isinstance(v, bool):
        return ("schema_version", line, f"must be an integer, got {v!r}")
    if v == SCHEMA_VERSION:
        return None
    if v > SCHEMA_VERSION:
        return ("schema_version", line, f"{v} is newer than this scprobe reads ({SCHEMA_VERSION}); "
                                        "upgrade scprobe or rewrite the file for schema_version "
                                        f"{SCHEMA_VERSION}")
    changes = "; ".join(f"version {k}: {SCHEMA_CHANGES[k]}" for k in sorted(SCHEMA_CHANGES) if k > v)
    return ("schema_version", line, f"{v} is older than this scprobe reads ({SCHEMA_VERSION}); what changed: "
                                    f"{changes}; update the file and set schema_version = {SCHEMA_VERSION}")


def _pydantic_problems(exc: ValidationError, lines: dict[Loc, int]) -> list[tuple[str, int | None, str]]:
    out = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (not in schema_version 1; see docs/study.md)"
        elif err["type"] == "missing":
            msg = "required key is missing"
        out.append((format_loc(loc), line_of(lines, loc), msg))
    return out


def parse_study(text: str, path: str | os.PathLike = "study.toml", *, check_files: bool = True) -> Study:
    """Validate a study given as TOML text.

    Parameters
    ----------
    text : str
        TOML content.
    path : path-like
        Where the file is (relative paths in it resolve against its folder).
    check_files : bool
        Check that every file the study names exists.

    Raises
    ------
    StudyError
        Listing every problem as ``line N: key: message``.
    """
    path = Path(path).absolute()
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except RecursionError:
        raise StudyError(path, [("", None, "not valid TOML: arrays or tables nested too deeply")]) from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise StudyError(path, [("", int(m.group(1)) if m else None, f"not valid TOML: {exc}")]) from None
    lines = key_lines(text)
    version = _version_problem(data, lines)
    if version is not None:
        raise StudyError(path, [version])
    try:
        spec = StudySpec.model_validate(data)
    except ValidationError as exc:
        raise StudyError(path, _pydantic_problems(exc, lines)) from None
    problems = semantic_errors(spec, path.parent)
    if not check_files:
        problems = [p for p in problems if p.category is not Category.MISSING_FILE]
    if problems:
        raise StudyError(path, [(format_loc(p.loc), line_of(lines, p.loc), p.message) for p in problems])
    return Study(path, spec, lines)


def load_study(path: str | os.PathLike, *, check_files: bool = True) -> Study:
    """Read and validate a study file (see :func:`parse_study`)."""
    p = Path(path)
    if p.is_dir():
        raise StudyError(p, [("", None, "is a folder; give its study file (study.toml)")])
    if not p.is_file():
        what = "broken or looping symbolic link" if p.is_symlink() and not p.exists() else \
            ("not a regular file (a pipe, socket or device)" if p.exists() else "no such study file")
        raise StudyError(p, [("", None, what)])
    if p.stat().st_size > MAX_STUDY_BYTES:
        raise StudyError(p, [("", None, f"{p.stat().st_size} bytes: a study file is at most "
                                        f"{MAX_STUDY_BYTES // 2**20} MiB of TOML")])
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise StudyError(p, [("", None, f"not UTF-8 text ({exc.reason})")]) from None
    return parse_study(text, p, check_files=check_files)

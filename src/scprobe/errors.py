"""Error types raised by scprobe.

Every error a user can cause (a bad file, an impossible parameter) is a
:class:`ScprobeError`; the command line turns it into a one-line
``error: ...`` message and exit code 2.  Anything else is a bug.
"""
from __future__ import annotations

import os


class ScprobeError(ValueError):
    """Base class of every error caused by input rather than by a bug."""


class FormatError(ScprobeError):
    """A file is not of the expected format, or is corrupt or truncated.

    Parameters
    ----------
    path : str or os.PathLike or None
        The offending file; prefixed to the message so it names the file.
    message : str
        What is wrong, in one line.
    """

    def __init__(self, path: str | os.PathLike | None, message: str):
        self.path = None if path is None else os.fspath(path)
        self.reason = message
        super().__init__(f"{self.path}: {message}" if self.path else message)


class ParameterError(ScprobeError):
    """A parameter is impossible (negative size, fraction above 1, ...)."""


class UnitError(ScprobeError):
    """A quantity has the wrong unit for the requested operation."""

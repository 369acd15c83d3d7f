"""Channel and direction names: Daisy file names, header keys and aliases.

attocube Daisy writes one file per channel and direction, named
``NAME-CHANNEL-fwd.bcrf`` / ``-bwd``; other tools write
``NAME_CHANNEL_forward.ext`` / ``_backward``.  These helpers map names to the
Scan model's channels (``topography``, ``deflection``, ``current``) and
directions (``forward``, ``backward``).
"""
from __future__ import annotations

import re
from pathlib import Path

#: Alias (lower case) -> model channel.  An explicit mapping given to ``open_scan`` wins.
CHANNEL_ALIASES: dict[str, str] = {
    **dict.fromkeys(["topography", "topo", "z", "height", "sc_topo", "heightsensor", "zsensor",
                     "heighttrace", "heightretrace", "height sensor"], "topography"),
    **dict.fromkeys(["deflection", "amp", "amplitude", "intensity", "error", "sc_amp",
                     "deflectiontrace", "deflectionretrace", "sc_deflection", "amplitudeerror",
                     "amplitude error", "deflectionerror", "deflection error"], "deflection"),
    **dict.fromkeys(["current", "cur", "sc_current", "i", "tip current", "currenttrace",
                     "currentretrace", "tunneling current"], "current"),
}
_DIRECTIONS = {"fwd": "forward", "forward": "forward", "trace": "forward", "bwd": "backward",
               "backward": "backward", "retrace": "backward", "bkw": "backward", "back": "backward"}
_NAME_RE = re.compile(r"^(?P<base>.+?)[-_](?P<channel>[^-_]+)[-_](?P<direction>fwd|bwd|forward|backward)$",
                      re.IGNORECASE)


def quantity_from_name(name: str | None) -> str | None:
    """Model channel for a channel name or alias, or None when unknown."""
    if not name:
        return None
    key = name.strip().lower()
    if key in CHANNEL_ALIASES:
        return CHANNEL_ALIASES[key]
    for suffix in ("trace", "retrace", " fwd", " bwd", "_fwd", "_bwd"):
        if key.endswith(suffix) and key[: -len(suffix)] in CHANNEL_ALIASES:
            return CHANNEL_ALIASES[key[: -len(suffix)]]
    return None


def base_name(name: str) -> str:
    """A channel name without its trace suffix: ``PhaseRetrace`` -> ``Phase``, ``z_fwd`` -> ``z``."""
    low = name.lower()
    for suffix in ("retrace", "trace", "_fwd", "_bwd", " fwd", " bwd", "-fwd", "-bwd"):
        if low.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def direction_from_name(name: str | None) -> str | None:
    """``forward``/``backward`` for ``fwd``, ``bwd``, ``trace``, ``retrace`` ..., else None."""
    if not name:
        return None
    return _DIRECTIONS.get(name.strip().lower())


def split_filename(path: str | Path) -> tuple[str, str, str] | None:
    """Split a Daisy-style file name into ``(base, channel, direction)``.

    ``scan7-current-bwd.bcrf`` -> ``("scan7", "current", "backward")``;
    ``A_topo_forward.asc`` -> ``("A", "topo", "forward")``.  None if the name does
    not follow the convention.
    """
    stem = Path(path).name
    for ext in Path(path).suffixes:
        stem = stem[: -len(ext)] if stem.endswith(ext) and len(ext) <= 6 else stem
    m = _NAME_RE.match(stem)
    if not m:
        return None
    return m["base"], m["channel"], _DIRECTIONS[m["direction"].lower()]

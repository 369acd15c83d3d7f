"""``scan.scprobe``: the stages as methods of a Scan, for Jupyter users.

Importing :mod:`scprobe` registers this accessor on :class:`xarray.Dataset` (as soon as xarray is
imported).  Each method is a thin call of the library function of the same name with the Scan as its
first argument; the functions stay the reference (docs/design.md).

Examples
--------
>>> import tempfile
>>> from scprobe.io import open_scan
>>> from scprobe.simulate import simulate_study
>>> tmp = tempfile.TemporaryDirectory()
>>> study = simulate_study(tmp.name, seed=0, size=128)
>>> scan = open_scan(study.parent / "scans/A01_1p5K-current-fwd.bcrf")
>>> result = scan.scprobe.analyze_map()              # analyze_map(scan)
>>> 0.0 < result.conducting_fraction < 0.1
True
>>> scan.scprobe.four_probe(contacts="vdp").verdict  # four_probe(scan, contacts="vdp")
'resistive'
>>> fig = scan.scprobe.plot()                        # a matplotlib Figure; pyplot is not involved
>>> type(fig).__name__, fig.axes[0].get_xlabel()
('Figure', 'x (µm)')
"""
from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr


@xr.register_dataset_accessor("scprobe")
class ScprobeAccessor:
    """Methods on a Scan: ``scan.scprobe.analyze_map()``, ``.four_probe()``, ``.apply_steps()``, ``.plot()``."""

    def __init__(self, scan: xr.Dataset):
        self._scan = scan

    def apply_steps(self, steps, **kwargs) -> xr.Dataset:
        """:func:`scprobe.process.apply_steps` on this scan (a new Scan; this one is unchanged)."""
        from scprobe.process import apply_steps

        return apply_steps(self._scan, steps, **kwargs)

    def analyze_map(self, **kwargs):
        """:func:`scprobe.analysis.analyze_map` on this scan; returns a ``MapResult``."""
        from scprobe.analysis import analyze_map

        return analyze_map(self._scan, **kwargs)

    def four_probe(self, **kwargs):
        """:func:`scprobe.transport.four_probe` on this scan's forward current; returns a ``TransportResult``."""
        from scprobe.transport import four_probe

        return four_probe(self._scan, **kwargs)

    def plot(self, channel: str = "current", direction: str = "forward", *, log: bool | None = None,
             ax: Any = None):
        """Draw one channel as an image with a labelled colour bar.

        Parameters
        ----------
        channel, direction : str
            The map to draw.
        log : bool, optional
            Colour by log10 of the absolute value (default: True for ``current``, whose contrast spans
            decades).
        ax : matplotlib.axes.Axes, optional
            Draw into these axes; by default a new :class:`matplotlib.figure.Figure` (no pyplot state,
            the backend is never changed: Jupyter displays the returned Figure).

        Returns
        -------
        matplotlib.figure.Figure
        """
        from matplotlib.figure import Figure

        from scprobe.scan import channel as get_channel

        da = get_channel(self._scan, channel, direction)
        unit = da.attrs.get("units", "")
        log = channel == "current" if log is None else log
        values = da.values
        if log:
            with np.errstate(divide="ignore", invalid="ignore"):
                values = np.log10(np.abs(values))
            values = np.where(np.isfinite(values), values, np.nan)
            label = f"log10(|{channel}| / {unit})" if unit else f"log10(|{channel}|)"
        else:
            label = f"{channel} ({unit})" if unit else channel
        if ax is None:
            fig = Figure(figsize=(5.0, 4.2), layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        x_um, y_um = da["x"].values * 1e6, da["y"].values * 1e6
        dx = (x_um[1] - x_um[0]) if x_um.size > 1 else 1.0
        dy = (y_um[1] - y_um[0]) if y_um.size > 1 else 1.0
        extent = (x_um[0] - dx / 2, x_um[-1] + dx / 2, y_um[-1] + dy / 2, y_um[0] - dy / 2)
        im = ax.imshow(values, extent=extent, origin="upper", cmap="inferno", interpolation="nearest")
        ax.set_xlabel("x (µm)")
        ax.set_ylabel("y (µm)")
        temperature = self._scan.attrs.get("temperature_K", float("nan"))
        title = f"{da.attrs.get('long_name', channel)}, {direction}"
        ax.set_title(title if not np.isfinite(temperature) else f"{title}, {temperature:g} K")
        fig.colorbar(im, ax=ax, label=label)
        return fig

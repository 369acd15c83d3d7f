"""Optional corrections of a Scan, each recorded in its history (raw data are never changed).

Scan-level functions return a new Scan; the ``*_array`` / background functions
work on plain 2-D arrays (used by the benchmarks and other stages).
"""
from scprobe.process.crop import crop
from scprobe.process.levelling import level_plane, level_poly, plane_fit, poly_background, subtract_plane
from scprobe.process.rows import align_rows, align_rows_array, row_shifts, upper_median
from scprobe.process.scars import laplace_fill, mark_scars, remove_scars, remove_scars_array
from scprobe.process.steps import STEPS, apply_steps, parse_steps

__all__ = [
    "STEPS", "align_rows", "align_rows_array", "apply_steps", "crop", "laplace_fill", "level_plane", "level_poly",
    "mark_scars", "parse_steps", "plane_fit", "poly_background", "remove_scars", "remove_scars_array",
    "row_shifts", "subtract_plane", "upper_median",
]

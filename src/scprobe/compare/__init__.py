"""Comparing maps: registration, overlap of conducting regions, metastable spots, temperature series.

* :func:`register` - sub-pixel shift of one scan relative to another from their topography;
* :func:`compare_scans` - shift, overlap of conducting masks (Jaccard, retained / lost /
  gained, boundary displacement) and spot persistence between two scans or two traces;
* :func:`temperature_series` - conducting fraction vs temperature and the local Tc map.
"""
from scprobe.compare.overlap import OverlapResult, boundary_distances, mask_overlap, overlap_classes
from scprobe.compare.pair import (CompareResult, compare_scans, default_directions, reference_from_scan,
                                  same_scan)
from scprobe.compare.registration import RegistrationResult, align, common_slices, phase_shift, register
from scprobe.compare.series import SeriesResult, local_tc, temperature_series
from scprobe.compare.spots import SpotResult, SpotTable, detect_spots, match_spots

__all__ = [
    "CompareResult", "OverlapResult", "RegistrationResult", "SeriesResult", "SpotResult", "SpotTable",
    "align", "boundary_distances", "common_slices", "compare_scans", "default_directions", "detect_spots",
    "reference_from_scan",
    "local_tc", "mask_overlap", "match_spots", "overlap_classes", "phase_shift", "register", "same_scan",
    "temperature_series",
]

"""Single-map analysis: noise floor, conducting mask, regions, states, edges, artefacts."""
from scprobe.analysis.edges import EdgeFits, edge_fits, fit_erf_profiles
from scprobe.analysis.map import MapResult, analyze_map
from scprobe.analysis.mask import RegionMask, region_mask
from scprobe.analysis.noise import NoiseResult, conducting_mask, default_threshold, noise_stats
from scprobe.analysis.regions import half_max_mask, label_regions, local_level, region_table
from scprobe.analysis.states import conductance_states, fit_mixture, plateau_pixels, select_mixture

__all__ = [
    "EdgeFits", "MapResult", "NoiseResult", "RegionMask", "analyze_map", "conducting_mask", "conductance_states",
    "default_threshold", "edge_fits", "fit_erf_profiles", "fit_mixture", "half_max_mask", "label_regions",
    "local_level", "noise_stats", "plateau_pixels", "region_mask", "region_table", "select_mixture",
]

"""Composition stage: atom-probe ranging and site composition, SEM/cAFM overlay, EDX homogeneity."""
from scprobe.composition.analyze import CompositionResult, analyze_composition, region_size_m
from scprobe.composition.edx import EdxHomogeneity, edx_homogeneity
from scprobe.composition.overlay import OverlayResult, SiteRegion, overlay_sem, register_topography
from scprobe.composition.profile import CapResult, DepthProfile, depth_from_apex, depth_profile, detect_cap
from scprobe.composition.ranging import CompiledRanges, assign_species, compile_ranges
from scprobe.composition.sites import RatioComparison, SiteComposition, compare_sites, site_composition

__all__ = [
    "CapResult", "CompiledRanges", "CompositionResult", "DepthProfile", "EdxHomogeneity", "OverlayResult",
    "RatioComparison", "SiteComposition", "SiteRegion", "analyze_composition", "assign_species",
    "compare_sites", "compile_ranges", "depth_from_apex", "depth_profile", "detect_cap", "edx_homogeneity",
    "overlay_sem", "region_size_m", "register_topography", "site_composition",
]

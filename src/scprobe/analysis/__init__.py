"""Single-map analysis: noise floor, conducting mask, regions, states, edges, artefacts."""
from scprobe.analysis.noise import NoiseResult, conducting_mask, default_threshold, noise_stats

__all__ = ["NoiseResult", "conducting_mask", "default_threshold", "noise_stats"]

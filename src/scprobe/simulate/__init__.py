"""Synthetic cryogenic-cAFM studies of a heterogeneous type-II superconductor, in real file formats.

``simulate_study(outdir, seed=0, size=512, **overrides)`` (CLI: ``scprobe simulate OUTDIR
[--seed N] [--size PX] [--set NAME=VALUE ...] [--json]``) writes a complete study and
returns the path of its ``study.toml`` (schema: notes/study_schema.md).  The sample
model (:mod:`~scprobe.simulate.sample`: :func:`sample_landscape`, :func:`recool`,
:func:`metastable_spots`) and the instrument model (:mod:`~scprobe.simulate.instrument`:
:func:`measure`) are usable separately; parameters are frozen dataclasses in
:mod:`~scprobe.simulate.params` (every field with its unit; impossible values raise
:class:`~scprobe.errors.ParameterError`).

Files written (paths relative to the study folder)
--------------------------------------------------
``scans/<stem>-<channel>-<fwd|bwd>.bcrf``  one BCRF per channel (topography m, deflection V,
current A) and trace, as attocube Daisy writes them; stems A01_1p5K, A02_8K, A03_20K,
A04_30K, A05_8K-recooled (area A: 15.5 nm pixels, horizontal slow scan) and B01_1p5K
(area B, adjacent: two wide conducting stripes, 17 nm pixels, vertical slow scan).  ``bulk/*.dat`` Quantum Design
files, ``apt/needle{1,2}.pos`` + ``apt/FeSeTe.rrng``, ``sem/sem_overview.tif``,
``edx/EDX_<el>.csv``, ``truth/*.npy`` (ground-truth arrays), ``study.toml``, ``truth.json``.

truth.json keys (SI units; pixel positions ``(y, x)`` in the scan's own frame unless stated)
-----------------------------------------------------------------------------------------
Top level: ``seed``, ``size_px``, ``pixel_size_m`` (area A), ``psf_sigma_m``, ``edge_width_m``
(10-90 % width of the instrument's edge response, 2.5631 psf_sigma_m), ``tip_radius_m``,
``noise_floor_A`` (the amplifier's ``|offset| + 3 rms``, from the instrument parameters) and
``edge_plateau_to_floor_m`` (distance over which a straight edge of the highest state at the
reference bias falls from 90 % of its plateau to the noise floor; published: < 50 nm).

``scans.<label>`` (labels ``1.5K``, ``8K``, ``20K``, ``30K``, ``8K-recooled``, ``B-1.5K``):
``temperature_K``, ``bias_V``, ``area``, ``recooled``, ``files``, ``pixel_size_m``, ``slow_scan``;
``shift_px`` [dy, dx]: drift relative to the first scan of the area: a feature at pixel p in
the first scan is at p + shift_px in this one;
``mask_file``: .npy bool, the geometric conducting mask of the forward trace (regions whose
local Tc is above the temperature, plus the forward metastable dots as disks of
``diameter_m``); ``mask_backward_file`` the same for the backward trace (differs at 20 K);
``conducting_fraction`` / ``conducting_fraction_backward``: means of these masks;
``current_clean_file`` / ``current_clean_backward_file``: .npy float, the noise-free current
(A) of each trace after the PSF, so that the fraction above any threshold can be computed;
``noise_rms_A``, ``noise_offset_A`` (amplifier white noise and offset), ``noise_floor_A``
(``|offset| + 3 rms``), ``saturation_A``;
``states_A``: plateau currents of the conductance states present in the map at its bias
(descending; empty when no region conducts); ``edge_width_m``; ``edge_plateau_to_floor_m``
(as at top level, for the highest state of this map at its bias; null without states);
``region_count`` (4-connected regions of the mask without dots) and ``region_areas_px``;
``spots`` (metastable range only): ``forward_px``, ``backward_px`` (dot centres),
``count_forward``, ``count_backward``, ``diameter_m``, ``current_A``, ``persistence``
(fraction of forward dots also present, at the same place, in the backward trace),
``fraction_in_1p5K_mask`` (forward dots whose centre lies in the 1.5 K geometric mask).

``recooling``: ``jaccard`` of the 8 K and re-cooled 8 K geometric masks (sample frame, drift
removed), ``retained``, ``lost``, ``gained`` (fractions of the first 8 K mask area).

``local_tc``: ``tc_map_file`` (.npy, K per pixel in the frame of scan 1.5K, NaN in the
matrix), ``regions`` [{label, tc_K, area_px, centroid_px}], ``tc_K`` (mean local Tc).

``bulk``: ``tc_K`` = ``tc_onset_K`` (resistive onset, steepest tangent), ``tc_50_K`` (midpoint,
mean local Tc), ``tc_spread_K`` (sigma of the local Tc), ``width_K`` (T90 - T10), ``t_zero_K``
(rho < 1e-3 rho_n), ``rho0_ohm_m`` (just above Tc), ``rrr``, ``rho_300K_ohm_m``,
``shielding_fraction`` (ZFC, demag-corrected, 2 K), ``meissner_fraction`` (FC), ``demag_factor``
(Aharoni, field along c), ``chi_measured_perfect``, ``field_Oe``, ``gamma_mJ_mol_K2`` (gamma0 of
the non-superconducting electrons), ``beta_mJ_mol_K4``, ``gamma_n_mJ_mol_K2``,
``debye_temperature_K``, ``gap_meV`` (Delta_0 of the alpha model), ``alpha`` (Delta_0 / k_B
tc_50_K), ``tc_onset_hc_K`` (onset of the C/T anomaly, same construction), ``jump_ratio``
(dC / gamma_n Tc, following from the gap), ``superconducting_fraction_hc`` (1 - gamma0/gamma_n),
``jc_A_m2`` (Jc0 at zero field), ``jc_A_cm2``, ``jc_field_scale_T`` (B0 of Jc0 / (1 + |B|/B0)),
``jc_curve`` {``mu0H_T``, ``jc_A_m2``}, ``dM_emu_cm3`` (loop width at zero field),
``mh_temperature_K``, ``moles``, ``volume_cm3``.

``composition``: ``matrix_at_pct`` and ``phase_at_pct`` (the composition landscape: insulating
matrix and superconducting phase); ``needles.<name>``: ``composition_at_pct`` (true atoms below
the cap, Fe Se Te O), ``nominal_at_pct`` (the landscape at the site), ``fe_te_ratio``,
``fe_se_ratio``, ``se_te_ratio``, ``cap_depth_m``, ``cap_oxygen_at_pct``, ``ions``, ``region``;
``cap_depth_m``; ``sites`` [{name, region (conducting|insulating), scan_xy_px, sem_xy_px}] (x, y
order); ``sem``: the map from the overlay scan (1.5K) to the SEM image, in metres ``sem_xy_m =
scale R(rotation_deg) scan_xy_m + shift_m`` (positions from each image's top-left corner, x
right, y down, ``scale`` 1) and in pixel indices ``sem_xy_px = scale_px R scan_xy_px +
shift_px``; ``pixel_size_m``, ``shape_px``, ``phase_contrast`` (false: topography only);
``edx``: ``homogeneous`` (no element's contrast detectable in the cAFM field, see
:func:`~scprobe.simulate.composition.edx_truth`), ``detectable``, ``contrast_rms`` and
``dispersion_expected`` per element (noise-free map, pixels in the cAFM field), ``files``,
``mean_counts`` (expected mean counts per pixel over the map), ``mean_counts_in_field``,
``pixels_in_field``, ``interaction_m``, ``pixel_size_m``, ``counts_at_matrix``.
"""
from scprobe.simulate.instrument import clean_current, measure
from scprobe.simulate.params import (BulkParams, CompositionParams, InstrumentParams, SampleParams, SpecimenParams,
                                     StudyParams, study_params)
from scprobe.simulate.sample import Landscape, metastable_spots, recool, sample_landscape
from scprobe.simulate.study import SEQUENCE, simulate_study

__all__ = ["BulkParams", "CompositionParams", "InstrumentParams", "Landscape", "SEQUENCE", "SampleParams",
           "SpecimenParams", "StudyParams", "clean_current", "measure", "metastable_spots", "recool",
           "sample_landscape", "simulate_study", "study_params"]

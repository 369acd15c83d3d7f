"""Parameters of the simulated experiment: frozen dataclasses, one per model part.

Every field states its unit.  Construction validates: an impossible value (negative
length, fraction outside 0..1, Tc at or above the temperature where all conduction
vanishes, ...) raises :class:`~scprobe.errors.ParameterError` naming the field.
Defaults are modelled on Fe(Se0.4Te0.6) and the published cryogenic cAFM study
(docs/physics.md, "Reference numbers").
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from statistics import NormalDist

from scprobe.errors import ParameterError


def _check(obj, name: str, ok: bool, what: str) -> None:
    if not ok:
        raise ParameterError(f"{type(obj).__name__}.{name} must be {what}, got {getattr(obj, name)!r}")


def _positive(obj, *names: str) -> None:
    for n in names:
        v = getattr(obj, n)
        _check(obj, n, isinstance(v, (int, float)) and math.isfinite(v) and v > 0, "a positive finite number")


def _fraction(obj, *names: str, open_low: bool = False) -> None:
    for n in names:
        v = getattr(obj, n)
        ok = isinstance(v, (int, float)) and (0 < v <= 1 if open_low else 0 <= v <= 1)
        _check(obj, n, ok, "a fraction in (0, 1]" if open_low else "a fraction in [0, 1]")


@dataclass(frozen=True)
class SampleParams:
    """The sample surface: superconducting landscape, local Tc, metastable dots, topography.

    Attributes
    ----------
    pixel_size_m : float
        Grid pitch of the sample model, m (the scans use the same pitch).
    area_fraction : float
        Target area fraction (0..1) of the superconducting phase before clean-up.
    correlation_long_m, correlation_short_m : float
        Correlation lengths of the Gaussian random field along and across the stripes, m.
    stripe_angle_deg : float
        Direction of the long correlation axis, degrees from +x (counter-clockwise).
    min_region_m2 : float
        Regions smaller than this area are removed, m^2.
    min_separation_m : float
        Distinct regions are at least this far apart (closer ones: the smaller is dropped), m.
    state_currents_A : tuple of float
        Plateau currents of the conductance states at ``reference_bias_V``, A (scale linearly with bias).
    state_probabilities : tuple of float
        Area share of each state (sums to 1).
    state_correlation_m : float
        Size scale of the state sub-domains inside regions, m.
    reference_bias_V : float
        Bias at which ``state_currents_A`` hold, V.
    tc_K, tc_spread_K : float
        Mean and standard deviation of the local Tc of a region, K.
    low_tc_fraction : float
        Fraction (0..1) of regions with a suppressed local Tc drawn uniformly in ``low_tc_range_K``.
    low_tc_range_K : (float, float)
        Range of the suppressed local Tc, K.
    vanish_K : float
        Above this temperature nothing conducts (also the end of the metastable range), K.
    dot_diameter_m : float
        Diameter of a metastable conducting dot, m.
    dot_density_per_um2 : float
        Dot density at Tc in the fluctuating part of the phase, per um^2; falls linearly to 0 at ``vanish_K``.
    dot_current_A : float
        Current of a dot at ``reference_bias_V``, A.
    fluctuating_fraction : float
        Fraction (0..1) of regions in which dots appear.
    dot_outside_fraction : float
        Fraction (0..1) of dots placed in the insulating matrix next to the phase.
    dot_persistence : float
        Probability (0..1) that a forward-trace dot is still there in the backward trace.
    dot_min_separation_m : float
        Minimum centre distance between dots of one trace, m.
    recool_boundary_m : float
        RMS displacement of region boundaries after the re-cooling cycle, m.
    step_height_m : float
        Terrace step height, m (one unit cell of Fe(Se,Te) ~ 0.6 nm).
    terrace_width_m : float
        Mean terrace width, m.
    pit_count_per_um2 : float
        Density of cleavage pits, per um^2.
    pit_depth_m, pit_radius_m : float
        Depth and radius of a cleavage pit, m.
    particle_count_per_um2 : float
        Density of surface particles (Fe-rich detritus), per um^2.
    particle_height_m, particle_radius_m : float
        Height and radius of a particle, m.
    roughness_m : float
        RMS roughness of the surface, m.
    area_b_stripes : int
        Number of wide conducting stripes laid across area B, which then holds these stripes
        alone (0: area B is like area A).
    area_b_stripe_width_m : float
        Width of each stripe of area B, m.
    area_b_stripe_angle_deg : float
        Direction of the stripes of area B, degrees from +x (90: along the columns, the fast axis
        of area B's vertical slow scan, as published).
    """

    pixel_size_m: float = 15.5e-9
    area_fraction: float = 0.11
    correlation_long_m: float = 420e-9
    correlation_short_m: float = 140e-9
    stripe_angle_deg: float = 25.0
    min_region_m2: float = 2.0e-14
    min_separation_m: float = 150e-9
    state_currents_A: tuple[float, ...] = (5.5e-6, 3.5e-6)
    state_probabilities: tuple[float, ...] = (0.55, 0.45)
    state_correlation_m: float = 900e-9
    reference_bias_V: float = 0.1
    tc_K: float = 14.4
    tc_spread_K: float = 0.5
    low_tc_fraction: float = 0.2
    low_tc_range_K: tuple[float, float] = (3.0, 7.5)
    vanish_K: float = 30.0
    dot_diameter_m: float = 75e-9
    dot_density_per_um2: float = 14.0
    dot_current_A: float = 2.0e-6
    fluctuating_fraction: float = 0.85
    dot_outside_fraction: float = 0.1
    dot_persistence: float = 0.35
    dot_min_separation_m: float = 150e-9
    recool_boundary_m: float = 12e-9
    step_height_m: float = 0.6e-9
    terrace_width_m: float = 1.5e-6
    pit_count_per_um2: float = 0.15
    pit_depth_m: float = 1.2e-9
    pit_radius_m: float = 120e-9
    particle_count_per_um2: float = 1.5
    particle_height_m: float = 4e-9
    particle_radius_m: float = 35e-9
    roughness_m: float = 0.08e-9
    area_b_stripes: int = 2
    area_b_stripe_width_m: float = 700e-9
    area_b_stripe_angle_deg: float = 90.0

    def __post_init__(self):
        _positive(self, "pixel_size_m", "correlation_long_m", "correlation_short_m", "min_region_m2",
                  "min_separation_m", "state_correlation_m", "reference_bias_V", "tc_K", "vanish_K",
                  "dot_diameter_m", "dot_current_A", "dot_min_separation_m", "step_height_m",
                  "terrace_width_m", "pit_depth_m", "pit_radius_m", "particle_height_m", "particle_radius_m",
                  "area_b_stripe_width_m")
        _fraction(self, "area_fraction", open_low=True)
        _fraction(self, "low_tc_fraction", "fluctuating_fraction", "dot_outside_fraction", "dot_persistence")
        for n in ("tc_spread_K", "dot_density_per_um2", "recool_boundary_m", "pit_count_per_um2",
                  "particle_count_per_um2", "roughness_m"):
            v = getattr(self, n)
            _check(self, n, isinstance(v, (int, float)) and math.isfinite(v) and v >= 0, "a non-negative number")
        _check(self, "area_fraction", self.area_fraction < 0.5, "below 0.5 (an insulating matrix)")
        _check(self, "vanish_K", self.vanish_K <= 300, "at most 300 K")
        _check(self, "tc_K", self.tc_K < self.vanish_K, f"below vanish_K = {self.vanish_K} K")
        _check(self, "tc_K", self.tc_K + 3 * self.tc_spread_K < self.vanish_K,
               "such that tc_K + 3 tc_spread_K < vanish_K")
        lo, hi = self.low_tc_range_K
        _check(self, "low_tc_range_K", 0 < lo <= hi < self.tc_K, "(lo, hi) with 0 < lo <= hi < tc_K")
        _check(self, "correlation_short_m", self.correlation_short_m <= self.correlation_long_m,
               "at most correlation_long_m")
        cur, prob = self.state_currents_A, self.state_probabilities
        _check(self, "state_currents_A", len(cur) >= 1 and all(c > 0 for c in cur), "positive currents")
        _check(self, "state_probabilities", len(prob) == len(cur) and all(p >= 0 for p in prob)
               and abs(sum(prob) - 1) < 1e-9, "non-negative, one per state, summing to 1")
        _check(self, "dot_diameter_m", self.dot_diameter_m >= 2 * self.pixel_size_m, "at least 2 pixels")
        _check(self, "area_b_stripes", isinstance(self.area_b_stripes, int) and 0 <= self.area_b_stripes <= 4,
               "an int in 0..4")


@dataclass(frozen=True)
class InstrumentParams:
    """The cryogenic cAFM: tip, transimpedance amplifier, feedback and scanner.

    Attributes
    ----------
    pixel_size_m : float
        Pixel pitch of a scan, m.
    tip_radius_m : float
        Tip apex radius, m (header information; the resolution is ``psf_sigma_m``).
    psf_sigma_m : float
        Standard deviation of the Gaussian point-spread function of the current channel, m;
        the 10-90 % edge width is 2.5631 sigma.
    noise_rms_A : float
        RMS of the amplifier's white current noise, A.
    noise_offset_A : float
        Amplifier offset, A.
    gain_noise : float
        Relative (multiplicative) fluctuation of the current on conducting pixels.
    saturation_A : float
        Amplifier saturation current, A; larger currents are clipped.
    topography_noise_m : float
        RMS white noise of the topography channel, m.
    row_offset_m : float
        RMS of the random-walk offset between scan lines in topography, m.
    scar_rate : float
        Fraction (0..1) of scan lines with a scar (a partial line jump) in topography.
    scar_height_m : float
        Typical height of a scar, m.
    tilt : float
        Sample tilt (slope, m/m) along x and y.
    setpoint_V : float
        Deflection set point, V (contact defined at 0.5 V on a falling flank).
    deflection_gain_V : float
        Deflection error per unit height slope (V per m/m).
    deflection_noise_V : float
        RMS noise of the deflection channel, V.
    drift_px : int
        Maximum drift between scans of one area, pixels per axis.
    time_per_pixel_s : float
        Dwell time per pixel, s.
    slow_scan : {"horizontal", "vertical"}
        ``horizontal``: lines run along x, the slow axis is y (area A).
    area_b_pixel_size_m : float
        Pixel pitch of the scan of area B, m (it is resampled from the sample grid).
    area_b_slow_scan : {"horizontal", "vertical"}
        Slow-scan direction of the scan of area B.
    """

    pixel_size_m: float = 15.5e-9
    tip_radius_m: float = 10e-9
    psf_sigma_m: float = 7.0e-9
    noise_rms_A: float = 2.5e-11
    noise_offset_A: float = 2.0e-11
    gain_noise: float = 0.004
    saturation_A: float = 1.0e-5
    topography_noise_m: float = 0.03e-9
    row_offset_m: float = 0.15e-9
    scar_rate: float = 0.01
    scar_height_m: float = 1.5e-9
    tilt: tuple[float, float] = (1.5e-3, -0.8e-3)
    setpoint_V: float = 0.5
    deflection_gain_V: float = 5.0
    deflection_noise_V: float = 2.0e-3
    drift_px: int = 4
    time_per_pixel_s: float = 6e-3
    slow_scan: str = "horizontal"
    area_b_pixel_size_m: float = 17e-9
    area_b_slow_scan: str = "vertical"

    def __post_init__(self):
        _positive(self, "pixel_size_m", "tip_radius_m", "psf_sigma_m", "noise_rms_A", "saturation_A",
                  "time_per_pixel_s", "area_b_pixel_size_m")
        for n in ("noise_offset_A", "gain_noise", "topography_noise_m", "row_offset_m", "scar_height_m",
                  "deflection_gain_V", "deflection_noise_V"):
            v = getattr(self, n)
            _check(self, n, isinstance(v, (int, float)) and math.isfinite(v) and v >= 0, "a non-negative number")
        _fraction(self, "scar_rate")
        _check(self, "gain_noise", self.gain_noise < 0.5, "below 0.5")
        _check(self, "drift_px", isinstance(self.drift_px, int) and 0 <= self.drift_px <= 64, "an int in 0..64")
        for n in ("slow_scan", "area_b_slow_scan"):
            _check(self, n, getattr(self, n) in ("horizontal", "vertical"), "'horizontal' or 'vertical'")
        _check(self, "saturation_A", self.saturation_A > 10 * self.noise_rms_A, "well above the noise")

    @property
    def edge_width_m(self) -> float:
        """10-90 % width of the edge response, m (2.5631 sigma of the Gaussian PSF)."""
        return EDGE_WIDTH_PER_SIGMA * self.psf_sigma_m

    @property
    def noise_floor_A(self) -> float:
        """Smallest current the amplifier tells apart from zero, A: ``|offset| + 3 rms``."""
        return abs(self.noise_offset_A) + NOISE_FLOOR_SIGMAS * self.noise_rms_A

    def plateau_to_floor_m(self, plateau_A: float) -> float:
        """Distance over which a straight edge falls from 90 % of ``plateau_A`` to the noise floor, m.

        The edge response is ``plateau * Phi(d / sigma)`` (Gaussian PSF of ``psf_sigma_m``);
        it is at 90 % at ``d = 1.2816 sigma`` and at the noise floor at
        ``d = sigma Phi^-1(floor / plateau)``.  The published study reads this distance
        off a cross-section averaged over a box along a straight edge (< 50 nm).
        """
        if not plateau_A > self.noise_floor_A / 0.9:
            raise ParameterError(f"plateau {plateau_A!r} A is not above the noise floor {self.noise_floor_A:.3g} A")
        phi_inv = NormalDist().inv_cdf
        return float(self.psf_sigma_m * (phi_inv(0.9) - phi_inv(self.noise_floor_A / plateau_A)))


#: 10-90 % width of an error-function step in units of the Gaussian sigma: 2 sqrt(2) erfinv(0.8).
EDGE_WIDTH_PER_SIGMA = 2.5631031310892007
#: The noise floor of the current amplifier is its offset plus this many RMS of its white noise.
NOISE_FLOOR_SIGMAS = 3.0


@dataclass(frozen=True)
class BulkParams:
    """Bulk superconducting properties behind the Quantum Design curves.

    Attributes
    ----------
    tc_K : float
        Bulk Tc: the onset of the resistive transition (steepest-tangent construction, as
        published), K.  The local-Tc distribution is centred just below it.
    width_K : float
        10-90 % width of the resistive transition, K (0.6 K: zero resistance ~1 K below the onset).
    rho0_ohm_m : float
        Normal-state resistivity just above Tc, Ohm m.
    rrr : float
        rho(300 K) / rho0.
    shielding_fraction : float
        ZFC shielding fraction at 2 K after demagnetisation correction (0..1).
    meissner_fraction : float
        FC expulsion fraction at 2 K after demagnetisation correction (0..1).
    gamma0_mJ_mol_K2 : float
        Residual Sommerfeld coefficient of the non-superconducting electrons, mJ/(mol K^2).
    gamma_n_mJ_mol_K2 : float
        Normal-state Sommerfeld coefficient, mJ/(mol K^2).
    beta_mJ_mol_K4 : float
        Lattice T^3 coefficient, mJ/(mol K^4).
    gap_meV : float
        Zero-temperature gap Delta_0 of the alpha model of the superconducting electrons, meV
        (the specific-heat jump follows from it).
    jc_A_m2 : float
        Bean critical current density at zero field and 2 K, Jc0 of Jc(B) = Jc0 / (1 + |B|/B0), A/m^2.
    jc_field_scale_T : float
        B0 of the Kim field dependence of Jc, T.
    penetration_field_Oe : float
        Field change over which a reversed M(H) branch reaches the critical state (at zero field), Oe.
    max_field_Oe : float
        Maximum field of the M(H) loop, Oe.
    """

    tc_K: float = 14.4
    width_K: float = 0.6
    rho0_ohm_m: float = 3.0e-6
    rrr: float = 1.6
    shielding_fraction: float = 1.0
    meissner_fraction: float = 0.12
    gamma0_mJ_mol_K2: float = 0.807
    gamma_n_mJ_mol_K2: float = 20.0
    beta_mJ_mol_K4: float = 0.393
    gap_meV: float = 2.4
    jc_A_m2: float = 1.0e9
    jc_field_scale_T: float = 1.0
    penetration_field_Oe: float = 1500.0
    max_field_Oe: float = 50000.0

    def __post_init__(self):
        _positive(self, "tc_K", "width_K", "rho0_ohm_m", "rrr", "gamma0_mJ_mol_K2", "gamma_n_mJ_mol_K2",
                  "beta_mJ_mol_K4", "gap_meV", "jc_A_m2", "jc_field_scale_T", "penetration_field_Oe",
                  "max_field_Oe")
        _fraction(self, "shielding_fraction", open_low=True)
        _fraction(self, "meissner_fraction")
        _check(self, "tc_K", self.tc_K < 30, "below 30 K")
        _check(self, "width_K", self.width_K < self.tc_K / 3, "below tc_K / 3")
        _check(self, "meissner_fraction", self.meissner_fraction <= self.shielding_fraction,
               "at most shielding_fraction")
        _check(self, "gamma0_mJ_mol_K2", self.gamma0_mJ_mol_K2 < self.gamma_n_mJ_mol_K2, "below gamma_n")
        # alpha = Delta_0 / (k_B Tc) between 0.5 and 5 (weak coupling 1.764)
        _check(self, "gap_meV", 0.5 < self.gap_meV / (0.08617333262 * self.tc_K) < 5,
               "between 0.5 and 5 k_B tc_K (alpha model)")
        _check(self, "max_field_Oe", self.max_field_Oe > 5 * self.penetration_field_Oe,
               "above 5 x penetration_field_Oe")


@dataclass(frozen=True)
class SpecimenParams:
    """The crystal measured in bulk (written to ``[sample]`` of study.toml).

    Attributes
    ----------
    name, formula : str
    molar_mass_g_mol : float
        g/mol per formula unit.
    atoms_per_formula_unit : int
    dimensions_mm : (float, float, float)
        a, b, c edges, mm (a <= b; field along c).
    density_g_cm3 : float
        Mass density, g/cm^3 (mass = density x volume).
    """

    name: str = "sim-FeSe0.4Te0.6"
    formula: str = "Fe(Se0.4Te0.6)"
    molar_mass_g_mol: float = 187.7
    atoms_per_formula_unit: int = 2
    dimensions_mm: tuple[float, float, float] = (2.0, 3.0, 0.2)
    density_g_cm3: float = 6.9

    def __post_init__(self):
        _positive(self, "molar_mass_g_mol", "density_g_cm3")
        _check(self, "atoms_per_formula_unit", isinstance(self.atoms_per_formula_unit, int)
               and self.atoms_per_formula_unit >= 1, "a positive int")
        d = self.dimensions_mm
        _check(self, "dimensions_mm", len(d) == 3 and all(x > 0 for x in d) and d[0] <= d[1],
               "three positive lengths with a <= b")

    @property
    def volume_cm3(self) -> float:
        a, b, c = self.dimensions_mm
        return a * b * c * 1e-3

    @property
    def mass_g(self) -> float:
        return self.density_g_cm3 * self.volume_cm3


@dataclass(frozen=True)
class CompositionParams:
    """Composition landscape, atom-probe needles, SEM overview and EDX maps.

    The composition follows the superconducting landscape: the insulating matrix has
    ``matrix_at_pct``, the superconducting phase ``phase_at_pct``.  Needle 1 is lifted out
    of the matrix, needle 2 out of the phase; the EDX maps are the same landscape seen
    through the electron interaction volume.

    Attributes
    ----------
    ions_per_needle : int
        Number of detected ions per needle (including background).
    cap_depth_m : float
        Thickness of the oxygen-rich cap at the needle apex, m.
    cap_oxygen_at_pct : float
        Oxygen content of the cap, at.%.
    matrix_at_pct, phase_at_pct : dict
        Composition of the insulating matrix (nominal Fe(Se0.4Te0.6)) and of the superconducting
        phase (Fe-depleted, between the nominal composition and FeSeTe2), at.% of Fe, Se, Te, O.
    background_fraction : float
        Fraction (0..1) of unranged background ions spread over the spectrum.
    sem_pixel_size_m : float
        SEM pixel size, m.
    sem_rotation_deg : float
        Rotation of the SEM frame relative to the cAFM frame, degrees.
    edx_pixel_size_m : float
        EDX pixel size, m (rounded so that a whole number of pixels covers the SEM field).
    edx_counts : dict
        Mean X-ray counts per EDX pixel of each element's line at the matrix composition
        (the dose of a quick map: a few counts per pixel and line); counts scale with the local at.%.
    edx_interaction_m : float
        FWHM of the lateral X-ray generation volume (about 1 um at 15-20 kV), m.
    """

    ions_per_needle: int = 200_000
    cap_depth_m: float = 20e-9
    cap_oxygen_at_pct: float = 45.0
    matrix_at_pct: dict = field(default_factory=lambda: {"Fe": 49.85, "Se": 19.94, "Te": 29.91, "O": 0.3})
    phase_at_pct: dict = field(default_factory=lambda: {"Fe": 32.4, "Se": 23.4, "Te": 43.9, "O": 0.3})
    background_fraction: float = 0.01
    sem_pixel_size_m: float = 30e-9
    sem_rotation_deg: float = 12.0
    edx_pixel_size_m: float = 200e-9
    edx_counts: dict = field(default_factory=lambda: {"Fe": 4.0, "Se": 1.5, "Te": 2.5})
    edx_interaction_m: float = 1.0e-6

    def __post_init__(self):
        _positive(self, "cap_depth_m", "sem_pixel_size_m", "edx_interaction_m", "edx_pixel_size_m")
        _check(self, "ions_per_needle", isinstance(self.ions_per_needle, int) and self.ions_per_needle >= 1000,
               "an int >= 1000")
        _check(self, "cap_oxygen_at_pct", 0 < self.cap_oxygen_at_pct < 100, "in (0, 100) at.%")
        for n in ("matrix_at_pct", "phase_at_pct"):
            comp = getattr(self, n)
            _check(self, n, set(comp) == {"Fe", "Se", "Te", "O"} and all(v >= 0 for v in comp.values())
                   and abs(sum(comp.values()) - 100) < 1e-6, "at.% of Fe, Se, Te, O summing to 100")
        _fraction(self, "background_fraction")
        _check(self, "background_fraction", self.background_fraction < 0.5, "below 0.5")
        _check(self, "edx_pixel_size_m", self.edx_pixel_size_m >= self.sem_pixel_size_m, "at least sem_pixel_size_m")
        _check(self, "edx_counts", all(v > 0 for v in self.edx_counts.values())
               and set(self.edx_counts) <= set(self.matrix_at_pct) and
               all(self.matrix_at_pct[el] > 0 for el in self.edx_counts), "positive mean counts of Fe, Se, Te or O")


@dataclass(frozen=True)
class StudyParams:
    """Everything the study simulator needs; ``simulate_study(**overrides)`` replaces fields by name."""

    size_px: int = 512
    sample: SampleParams = field(default_factory=SampleParams)
    instrument: InstrumentParams = field(default_factory=InstrumentParams)
    bulk: BulkParams = field(default_factory=BulkParams)
    specimen: SpecimenParams = field(default_factory=SpecimenParams)
    composition: CompositionParams = field(default_factory=CompositionParams)

    def __post_init__(self):
        # The sample domain is 2 x 3 scan sizes: 1024 px scans already need ~0.5 GB.
        _check(self, "size_px", isinstance(self.size_px, int) and 32 <= self.size_px <= 1024, "an int in 32..1024")
        _check(self, "instrument", math.isclose(self.instrument.pixel_size_m, self.sample.pixel_size_m),
               "on the sample grid (instrument.pixel_size_m == sample.pixel_size_m)")
        # Area B is resampled from the sample grid and must fit in the domain beside area A.
        ratio = self.instrument.area_b_pixel_size_m / self.sample.pixel_size_m
        _check(self, "instrument", 0.5 <= ratio <= 1.3,
               "such that area_b_pixel_size_m is 0.5 to 1.3 times the sample pixel_size_m")


_PARTS = {"sample": SampleParams, "instrument": InstrumentParams, "bulk": BulkParams, "specimen": SpecimenParams,
          "composition": CompositionParams}


def study_params(size_px: int = 512, **overrides) -> StudyParams:
    """Build :class:`StudyParams`, routing each override to every part that has that field.

    ``tc_K`` sets both the local-Tc mean of the sample and the bulk Tc; ``pixel_size_m``
    both the sample grid and the instrument.  An unknown name raises :class:`ParameterError`.
    """
    if not isinstance(size_px, int) or isinstance(size_px, bool):
        raise ParameterError(f"size must be an int number of pixels, got {size_px!r}")
    per_part: dict[str, dict] = {p: {} for p in _PARTS}
    for key, value in overrides.items():
        if key in _PARTS:
            raise ParameterError(f"pass fields of {key} by name, not a whole {key} object")
        targets = [p for p, cls in _PARTS.items() if key in {f.name for f in dataclasses.fields(cls)}]
        if not targets:
            raise ParameterError(f"unknown simulation parameter {key!r}")
        for p in targets:
            per_part[p][key] = value
    try:
        parts = {p: cls(**per_part[p]) for p, cls in _PARTS.items()}
    except ParameterError:
        raise
    except (TypeError, ValueError) as exc:  # a value of the wrong type (a number where a list belongs ...)
        names = ", ".join(sorted(overrides)) or "defaults"
        raise ParameterError(f"invalid simulation parameter value ({names}): {exc}") from None
    return StudyParams(size_px=size_px, **parts)

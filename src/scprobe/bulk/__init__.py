"""Bulk superconductivity from Quantum Design data: rho(T), chi(T), C(T), M(H).

``analyze_bulk`` runs every analysis for which a file is given and writes a combined statement
of what the bulk data show and cannot show.  Each analysis is also a function on arrays with the
units in the argument names (``resistive_transition(T_K, rho_ohm_m)``, ``debye_fit(T_K, C_J_molK)``,
``bean_jc(H_Oe, M_emu_cm3_up, M_emu_cm3_down, a_m, b_m)`` ...).  Formulas: docs/physics.md.
"""
from scprobe.bulk.geometry import SampleGeometry, demag_factor_prism
from scprobe.bulk.heat_capacity import (DebyeFit, HeatCapacityResult, analyze_heat_capacity, debye_fit,
                                        debye_temperature_K, equal_entropy_jump)
from scprobe.bulk.magnetisation import MagnetisationResult, analyze_loop, bean_jc, split_loop
from scprobe.bulk.resistivity import ResistivityResult, normal_state_fit, resistive_transition
from scprobe.bulk.summary import BulkResult, analyze_bulk, bulk_statement
from scprobe.bulk.susceptibility import (SusceptibilityResult, analyze_susceptibility, demag_correct,
                                         diamagnetic_onset, split_zfc_fc, volume_susceptibility)

__all__ = ["BulkResult", "DebyeFit", "HeatCapacityResult", "MagnetisationResult", "ResistivityResult",
           "SampleGeometry", "SusceptibilityResult", "analyze_bulk", "analyze_heat_capacity", "analyze_loop",
           "analyze_susceptibility", "bean_jc", "bulk_statement", "debye_fit", "debye_temperature_K",
           "demag_correct", "demag_factor_prism", "diamagnetic_onset", "equal_entropy_jump", "normal_state_fit",
           "resistive_transition", "split_loop", "split_zfc_fc", "volume_susceptibility"]

"""Transport from maps: resistor networks, four-probe / van der Pauw simulation, percolation, verdict.

The network a map defines is specified in ``docs/transport.md``.
"""
from scprobe.transport.contacts import Contacts, make_contacts
from scprobe.transport.extrapolate import (DimensionAnswer, PercolationResult, choose_dimension, percolate,
                                           wilson_interval)
from scprobe.transport.fourprobe import VERDICTS, TransportResult, four_probe, measure, vdp_sheet_resistance
from scprobe.transport.network import Network, build_network
from scprobe.transport.percolation import MapStatistics, gaussian_field, map_statistics, percolation_threshold
from scprobe.transport.verdict import Consistency, consistency

__all__ = ["Consistency", "Contacts", "DimensionAnswer", "MapStatistics", "Network", "PercolationResult",
           "TransportResult", "VERDICTS", "build_network", "choose_dimension", "consistency", "four_probe",
           "gaussian_field", "make_contacts", "map_statistics", "measure", "percolate", "percolation_threshold",
           "vdp_sheet_resistance", "wilson_interval"]

"""Transport from maps: resistor networks, four-probe / van der Pauw simulation, percolation, verdict.

The network a map defines is specified in ``docs/transport.md``.
"""
from scprobe.transport.contacts import Contacts, make_contacts
from scprobe.transport.extrapolate import PercolationResult, percolate
from scprobe.transport.fourprobe import VERDICTS, TransportResult, four_probe, measure, vdp_sheet_resistance
from scprobe.transport.network import Network, build_network
from scprobe.transport.percolation import MapStatistics, gaussian_field, map_statistics, percolation_threshold

__all__ = ["Contacts", "MapStatistics", "Network", "PercolationResult", "TransportResult", "VERDICTS",
           "build_network", "four_probe", "gaussian_field", "make_contacts", "map_statistics", "measure",
           "percolate", "percolation_threshold", "vdp_sheet_resistance"]

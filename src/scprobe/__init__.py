"""scprobe: spatially resolved superconductivity from cryogenic conductive-AFM maps.

Stages (each a subpackage, data flowing downwards):
``io`` -> ``process`` -> ``analysis`` / ``compare`` -> ``transport`` / ``bulk`` /
``composition`` -> ``study`` -> ``report``.  The Scan data model lives in
:mod:`scprobe.scan`; errors every stage raises live in :mod:`scprobe.errors`.
"""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("scprobe")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]

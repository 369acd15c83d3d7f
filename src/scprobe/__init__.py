"""scprobe: spatially resolved superconductivity from cryogenic conductive-AFM maps.

Stages (each a subpackage, data flowing downwards):
``io`` -> ``process`` -> ``analysis`` / ``compare`` -> ``transport`` / ``bulk`` /
``composition`` -> ``study`` -> ``report``.  The Scan data model lives in
:mod:`scprobe.scan`; errors every stage raises live in :mod:`scprobe.errors`.
"""
#: The release; pyproject.toml reads it from here (``[tool.setuptools.dynamic]``).
__version__ = "0.1.0"

__all__ = ["__version__"]

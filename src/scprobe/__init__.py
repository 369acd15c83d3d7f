"""scprobe: spatially resolved superconductivity from cryogenic conductive-AFM maps.

Stages (each a subpackage, data flowing downwards):
``io`` -> ``process`` -> ``analysis`` / ``compare`` -> ``transport`` / ``bulk`` /
``composition`` -> ``study`` -> ``report``.  The Scan data model lives in
:mod:`scprobe.scan`; errors every stage raises live in :mod:`scprobe.errors`.
See docs/design.md for the layout and docs/physics.md for the formulas.

Importing scprobe registers the ``scan.scprobe`` accessor on :class:`xarray.Dataset`
(:mod:`scprobe.accessor`) as soon as xarray is imported, without importing xarray itself:
``scprobe --version`` must not pay for it.
"""
import importlib
import importlib.util
import logging
import sys

from scprobe._version import __version__

# The library logs (each module through ``logging.getLogger(__name__)``) but never configures logging:
# silent unless the application adds a handler (``scprobe --verbose`` does).
logging.getLogger(__name__).addHandler(logging.NullHandler())


class _AccessorAfterXarray:
    """Import :mod:`scprobe.accessor` right after xarray has been imported (a one-shot post-import hook).

    A meta path finder and a loader by protocol (``find_spec``; ``create_module``/``exec_module``), not by
    subclassing :mod:`importlib.abc`, whose import costs every command ~15 ms.
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "xarray":
            return None
        sys.meta_path.remove(self)  # one shot: the real finders locate xarray
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        self._inner = spec.loader
        spec.loader = self
        return spec

    def create_module(self, spec):
        return self._inner.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self._inner
        self._inner.exec_module(module)
        importlib.import_module("scprobe.accessor")


if "xarray" in sys.modules:
    from scprobe import accessor  # noqa: F401  (registers Dataset.scprobe)
elif not any(isinstance(f, _AccessorAfterXarray) for f in sys.meta_path):
    sys.meta_path.insert(0, _AccessorAfterXarray())

__all__ = ["__version__"]

"""The linear solver of the transport networks, behind one facade.

Everything outside this package goes through the names exported here:

* :class:`GroundedSolver` solves ``L v = i`` for a network Laplacian with some nodes grounded; its
  policy (:func:`plan`: direct or multigrid, the coarse-level size, by system size and grid
  dimension) lives in :mod:`~scprobe.transport.solver.solve` and nowhere else;
* :func:`uniform_grid_potential` is the exact solution of a uniform grid (two cosine transforms),
  :func:`uniform_grid_transfer` the same at a few pixels only;
* :class:`Forked` and :func:`worth_forking` run independent work on a second core
  (:mod:`~scprobe.transport.solver.parallel`), :func:`work_timeout` bounds the wait for it;
* :func:`small_pages` keeps numpy from requesting huge pages while the solver runs, once
  :func:`enable_small_pages` opted in (:mod:`~scprobe.transport.solver.pages`).

The parts behind it: :mod:`~scprobe.transport.solver.kron` (exact elimination of every other
pixel), :mod:`~scprobe.transport.solver.amg` (smoothed-aggregation multigrid and preconditioned CG).
``docs/transport.md`` describes the method and its measurements.
"""
from scprobe.transport.solver.pages import enable as enable_small_pages
from scprobe.transport.solver.pages import small_pages
from scprobe.transport.solver.parallel import Forked, work_timeout, worth_forking
from scprobe.transport.solver.solve import (GroundedSolver, Plan, SolveInfo, combine, plan, uniform_grid_potential,
                                           uniform_grid_transfer)

__all__ = ["Forked", "GroundedSolver", "Plan", "SolveInfo", "combine", "enable_small_pages", "plan", "small_pages",
           "uniform_grid_potential", "uniform_grid_transfer", "work_timeout", "worth_forking"]

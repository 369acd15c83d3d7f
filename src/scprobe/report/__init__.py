"""Figures (matplotlib, one module per stage: ``<stage>_figures.py``) and the HTML report.

Figure functions take results and write PNG files, drawn on pyplot-free
:class:`matplotlib.figure.Figure` objects in the one style of :mod:`scprobe.report._style`;
importing this package never selects a matplotlib backend.  Analyses and the study never
import it: :data:`scprobe.report.render.RENDERER` is handed to
:func:`scprobe.study.runner.run_study`, and :func:`scprobe.report.html.write_report` renders a
study's ``report.html`` from its ``summary.json`` and figure files alone.
"""

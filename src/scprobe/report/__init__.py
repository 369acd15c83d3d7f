"""Figures (matplotlib, one module per stage: ``<stage>_figures.py``) and the HTML report.

Figure functions take results and write PNG files; analyses never import this package.
:func:`scprobe.report.html.write_report` renders a study's ``report.html`` from its
``summary.json`` and figure files alone.
"""

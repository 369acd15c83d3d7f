"""Figures (matplotlib, one module per stage: ``<stage>_figures.py``) and the HTML report.

Figure functions take results and write PNG files; analyses never import this package.
"""

"""The release, in a module of its own so that stages need not import the package root.

pyproject.toml reads it from here (``[tool.setuptools.dynamic]``).
"""
__version__ = "0.1.0"

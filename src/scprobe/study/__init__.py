"""A study: scans, bulk and composition data described by one TOML file, run as a whole.

:func:`load_study` validates a study file (every error names the key and line);
:func:`run_study` runs every stage the study has data for and writes
``summary.json``, figures, processed data and ``report.html``.
"""
from scprobe.study.loader import Study, StudyError, load_study, parse_study
from scprobe.study.schema import SCHEMA_VERSION, StudySpec

__all__ = ["SCHEMA_VERSION", "Study", "StudyError", "StudySpec", "load_study", "parse_study"]

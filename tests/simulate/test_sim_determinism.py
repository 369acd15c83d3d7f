"""Same seed, same bytes; another seed, other data."""
from __future__ import annotations

from pathlib import Path


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_bytes(study, study_same_seed):
    a, b = _files(study[0].parent), _files(study_same_seed.parent)
    assert a.keys() == b.keys()
    assert len(a) == 6 * 6 + 6 * 4 + 1 + 4 + 3 + 1 + 3 + 2
    different = [k for k in a if a[k] != b[k]]
    assert different == []


def test_other_seed_gives_other_data(study, study_other_seed):
    a, c = _files(study[0].parent), _files(study_other_seed.parent)
    assert a.keys() == c.keys()
    for name in ("scans/A01_1p5K-current-fwd.bcrf", "scans/A01_1p5K-topography-fwd.bcrf", "apt/needle1.pos",
                 "sem/sem_overview.tif", "bulk/hc_T.dat"):
        assert a[name] != c[name], name


def test_no_temporary_files_left(study):
    leftovers = [p for p in study[0].parent.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]
    assert leftovers == []

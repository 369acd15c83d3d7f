"""The HTML report: self-contained, escaped, and clean in a real headless Chromium."""
from __future__ import annotations

import base64
import json
import re
import struct
import zlib
from pathlib import Path

import numpy as np

from scprobe.report.html import embed_png, format_value, quantity_rows, render_report, write_report

EVIL = '<script>window.__pwned = 1</script><img src="http://example.invalid/x.png">'


def _png(path: Path, w: int = 40, h: int = 30) -> Path:
    """A valid RGB PNG written by hand (no matplotlib needed)."""
    raw = b"".join(b"\x00" + b"".join(bytes([(x * 6) % 256, (y * 8) % 256, 128]) for x in range(w))
                   for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    return path


def _summary(tmp_path: Path) -> Path:
    _png(tmp_path / "figures" / "map" / "a" / "current.png")
    _png(tmp_path / "figures" / "bulk" / "bulk.png", 60, 40)
    summary = {
        "scprobe_version": "0.1.0", "schema_version": 1, "study_file": "/x/study.toml",
        "sample": {"name": EVIL, "formula": "Fe(Se0.4Te0.6)"},
        "options": {"options": {"map": {"threshold_A": None}}},
        "inputs": [{"key": "scans[0].files[0]", "path": "scans/a.bcrf", "sha256": "ab" * 32}],
        "headline": {
            "homogeneous": {"answer": "no", "statement": "No: only 10.0 % conducts " + EVIL},
            "four_probe": {"verdict": "percolating_minority", "statement": "Zero V through a minority network."},
            "reproducible": {"statement": "Jaccard 0.93."}, "fluctuating": {"statement": "20 % persist."}},
        "stages": {
            "map": {"status": "ok", "note": "", "seconds": 1.0, "units": {"a": {
                "status": "ok", "note": "", "error": "", "seconds": 1.0, "files": ["data/a.nc"],
                "figures": ["figures/map/a/current.png"],
                "result": {"label": "a", "conducting_fraction": 0.1, "noise_floor_A": 1.2e-10, "threshold_A": 5e-10,
                           "edge_width_m": {"median": 3.1e-8}, "history": [],
                           "metadata": {"comment": EVIL},
                           "states": [{"current_A": 5.5e-6, "fraction": 0.6}, {"current_A": 3.5e-6, "fraction": 0.4}]},
                "units": {"label": "", "conducting_fraction": "1", "noise_floor_A": "A", "threshold_A": "A",
                          "edge_width_m": "m", "states": {"current_A": "A", "fraction": "1"}}}}},
            "bulk": {"status": "failed", "note": "", "seconds": 0.1, "units": {"sample": {
                "status": "failed", "note": "", "error": "bulk/rho.dat: column 'Temperature (K)' " + EVIL,
                "seconds": 0.1, "files": [], "figures": ["figures/bulk/bulk.png"],
                "result": {"gamma_J_mol_K2": 0.000807, "gamma_err_J_mol_K2": 0.000004},
                "units": {"gamma_J_mol_K2": "J/(mol K^2)", "gamma_err_J_mol_K2": "J/(mol K^2)"}}}},
            "composition": {"status": "skipped", "note": "no [composition] data", "seconds": 0.0, "units": {}},
        },
        "timing": {"total_seconds": 1.1, "workers": 1},
    }
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(summary))
    return path


def test_every_declarable_unit_has_a_display():
    from scprobe.report.html import UNIT_DISPLAY
    from scprobe.results import UNITS

    assert set(UNITS) <= set(UNIT_DISPLAY)


def test_values_carry_their_declared_units_prefixes_and_uncertainties():
    assert format_value(3.1e-8, "m") == "31 nm"
    assert format_value(5.5e-6, "A") == "5.5 µA"
    assert format_value(0.000807, "J/(mol K^2)", 0.000004) == "0.807 ± 0.004 mJ/(mol K²)"
    assert format_value(2.5e-13, "m^2") == "0.25 µm²"
    assert format_value(0.1068, "R_sq") == "0.1068 R□"
    assert format_value(3054, "count") == "3054"
    assert format_value(-0.0, "px") == "0 px" and format_value(-1e-7, "") == "-1 × 10⁻⁷"
    assert format_value([-0.0, 2.0], "px") == "0, 2 px"
    units = {"gamma_J_mol_K2": "J/(mol K^2)", "gamma_err_J_mol_K2": "J/(mol K^2)", "edge_width_m": "m",
             "r_four_probe_rsq": "R_sq"}
    rows = {r["key"]: r for r in quantity_rows({"gamma_J_mol_K2": 0.000807, "gamma_err_J_mol_K2": 0.000004,
                                                "edge_width_m": {"median": 3.1e-8}, "r_four_probe_rsq": 0.1,
                                                "tc_lower_K": 8.0}, units)}
    assert rows["gamma_J_mol_K2"]["value"] == "0.807 ± 0.004 mJ/(mol K²)"
    assert "gamma_err_J_mol_K2" not in rows
    assert rows["edge_width_m.median"]["unit"] == "m" and rows["edge_width_m.median"]["value"] == "31 nm"
    assert rows["r_four_probe_rsq"]["value"] == "0.1 R□"
    # undeclared: no unit is guessed from the key's suffix
    assert rows["tc_lower_K"]["value"] == "8" and rows["tc_lower_K"]["unit"] is None
    # human labels: no raw keys, a lower bound is named as one
    assert rows["tc_lower_K"]["quantity"] == "Tc lower bound"
    assert rows["edge_width_m.median"]["quantity"] == "Edge width: median"
    assert rows["r_four_probe_rsq"]["quantity"] == "R four probe"


def test_report_is_self_contained_and_escapes_study_text(tmp_path):
    out = write_report(_summary(tmp_path))
    html = out.read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;" in html
    assert 'src="http' not in html
    # no external resource of any kind: only data: URIs, and a CSP that forbids the rest
    assert not re.search(r'(src|href)="(?!data:|#)', html)
    assert "default-src 'none'" in html
    imgs = re.findall(r'<img src="data:image/png;base64,([^"]+)"', html)
    assert len(imgs) == 2 and base64.b64decode(imgs[0]).startswith(b"\x89PNG")
    assert "@media print" in html
    # headline answers come before the first stage section, methods before the stages too
    assert html.index("Is the sample homogeneous?") < html.index("Methods") < html.index('id="stage-map"')
    assert "No processing was applied to the maps of a" in html
    assert "0.807 ± 0.004" in html and "5.5" in html and "Current (A)" in html  # states table, unit in the header


def test_report_regenerates_from_summary_alone(tmp_path):
    summary = _summary(tmp_path)
    first = write_report(summary, tmp_path / "r1.html").read_text(encoding="utf-8")
    assert render_report(json.loads(summary.read_text()), tmp_path) == first


def test_report_in_headless_chromium(tmp_path, headless_chrome, offline):
    report = write_report(_summary(tmp_path))
    driver = headless_chrome(1280, 2000)
    driver.get_log("performance")  # drop the browser's own start-up traffic (new-tab page)
    driver.get(report.as_uri())
    assert driver.title.startswith("scprobe report")
    assert driver.execute_script("return window.__pwned === undefined")
    loaded = driver.execute_script(
        "return Array.from(document.images).map(i => i.complete && i.naturalWidth)")
    assert loaded == [40, 60]
    offline(driver, report.as_uri())
    shot = tmp_path / "report.png"
    driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000


def test_embedded_previews_are_palette_pngs_close_to_the_figures(tmp_path):
    import io

    import matplotlib.pyplot as plt
    from PIL import Image

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.imshow(np.random.default_rng(0).standard_normal((64, 64)), cmap="viridis")
    ax.set_title("noise")
    path = tmp_path / "panel.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    uri = embed_png(path)
    preview = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert preview.mode == "P" and len(base64.b64decode(uri.split(",", 1)[1])) < path.stat().st_size
    full = np.asarray(Image.open(path).convert("RGB"), dtype=int)
    diff = np.abs(np.asarray(preview.convert("RGB"), dtype=int) - full)
    assert diff.mean() < 3 and np.percentile(diff, 99) < 30
    assert embed_png(tmp_path / "missing.png") is None


def test_previews_kept_while_drawing_are_used_only_while_fresh(tmp_path):
    import os

    from PIL import Image

    from scprobe.report._preview import PREVIEW_DIR, palette_png, previews_under
    from scprobe.report._style import new_figure, save_figure

    def draw(path):
        fig = new_figure(3, 2)
        fig.subplots().imshow(np.random.default_rng(0).standard_normal((32, 32)))
        return save_figure(fig, path)

    outside = draw(tmp_path / "figures" / "a.png")  # no renderer: no preview kept
    assert not (tmp_path / PREVIEW_DIR).exists()
    with previews_under(tmp_path):
        path = draw(tmp_path / "figures" / "b.png")
    kept = tmp_path / PREVIEW_DIR / "figures" / "b.png"
    with Image.open(path) as im:
        assert kept.read_bytes() == palette_png(im)  # the same preview the report would make from the file
    assert embed_png(path, tmp_path) == "data:image/png;base64," + base64.b64encode(kept.read_bytes()).decode()
    # a figure redrawn after its preview: the preview is stale and the file is read instead
    kept.write_bytes(b"not a png")
    old = path.stat().st_mtime_ns - 10**9
    os.utime(kept, ns=(old, old))
    assert embed_png(path, tmp_path) == embed_png(path)
    assert embed_png(outside, tmp_path) == embed_png(outside)

"""Figures and report of the demo: CPU seconds of drawing each stage's figures against computing its numbers.

    python bench/bench_figures.py [--size 512] [--seed 0] [--keep DIR]

Simulates the demo study, runs every unit of every stage once in this process (the numbers,
timed), then draws each unit's figures from the stage's result objects as ``scprobe demo`` does
(with the report previews kept), and writes the report.  CPU time (``time.process_time``), so the
numbers hold on a loaded machine.  The peer of a stage's figures is the computation of the numbers
they show, measured in the same run: the ratio says what drawing adds to a stage.  Targets of
issue #20: all figures of the demo <= 7 s CPU, the report (outside the stages) well under 1 s.
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from scprobe.report.html import write_report
from scprobe.results import jsonable
from scprobe.report.render import RENDERER
from scprobe.simulate import simulate_study
from scprobe.study.headline import headline
from scprobe.study.common import prepare_output, relpaths, unit_slug
from scprobe.study.loader import load_study
from scprobe.study.runner import STAGES


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=512, help="scan size, pixels (default 512, the demo's)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", type=Path, help="keep the study and outputs in this folder")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="scprobe-bench-figures-"))
    try:
        t0 = time.process_time()
        study_file = simulate_study(root / "study", seed=args.seed, size=args.size)
        print(f"simulation: {time.process_time() - t0:.2f} s CPU")
        study = load_study(study_file)
        out = prepare_output(root / "results", study.inputs())
        compute, draw, count = defaultdict(float), defaultdict(float), defaultdict(int)
        records = {}
        for name, stage in STAGES.items():
            for unit in stage.units(study):
                t0 = time.process_time()
                res = stage.run(study, out, unit)
                t1 = time.process_time()
                figs = RENDERER.figures(name, unit.key, res.objects, out / "figures" / name / unit_slug(unit.key),
                                        root=out)
                compute[name] += t1 - t0
                draw[name] += time.process_time() - t1
                count[name] += len(figs)
                records.setdefault(name, {})[unit.key] = {
                    "status": res.status, "result": jsonable(res.result), "units": jsonable(res.units),
                    "figures": relpaths(figs, out), "files": relpaths(res.files, out), "note": res.note}
        print(f"{'stage':12s} {'numbers s':>10s} {'figures s':>10s} {'figures':>8s} {'ratio':>7s}")
        for name in compute:
            print(f"{name:12s} {compute[name]:10.2f} {draw[name]:10.2f} {count[name]:8d} "
                  f"{draw[name] / max(compute[name], 1e-9):7.2f}")
        total_c, total_d = sum(compute.values()), sum(draw.values())
        print(f"{'all':12s} {total_c:10.2f} {total_d:10.2f} {sum(count.values()):8d} {total_d / total_c:7.2f}"
              f"   (target: figures <= 7 s CPU: {'met' if total_d <= 7 else 'not met'})")
        summary = out / "summary.json"
        stages = {k: {"status": "ok", "note": "", "units": v} for k, v in records.items()}
        summary.write_text(json.dumps(jsonable({"study_file": study_file, "sample": study.spec.sample.model_dump(mode="json"),
                                                "stages": stages, "headline": headline(stages)}), allow_nan=False))
        t0 = time.process_time()
        report = write_report(summary)
        print(f"report: {time.process_time() - t0:.2f} s CPU, {report.stat().st_size / 1e6:.1f} MB "
              f"(figures embedded from the previews kept while drawing)")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

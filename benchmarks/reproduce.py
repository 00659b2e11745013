"""Reproduce the tutorial's figures: run chosen scripts x seeds on real MNIST, print a table.

Each run is a fresh process with the script's default settings (5,000
iterations of batches of 100), exactly as a learner would start it. The table
gives every seed's final test accuracy, their mean, min and max, the mean wall
time of a run, the accuracy target and whether the mean meets it; it is also
written as JSON.

    python benchmarks/reproduce.py                       # all six scripts, seeds 0 1 2
    python benchmarks/reproduce.py --scripts 1.0 3.1 --seeds 0
"""

import argparse
import json
import statistics
import sys
from pathlib import Path

from script_runs import add_data_dir_argument, run_script

# script: (accuracy range the mean of the seeds must fall in, the 2017 tutorial's figure)
TARGETS = {
    "mnist_1.0_single_layer_nn": ((0.918, 0.930), 0.9237),
    "mnist_2.0_five_layers_sigmoid": ((0.945, 0.962), 0.9541),
    "mnist_2.1_five_layers_relu_adam": ((0.975, 1.0), 0.9817),
    "mnist_2.2_five_layers_relu_adam_dropout": ((0.972, 1.0), 0.9761),
    "mnist_3.0_convnet": ((0.984, 1.0), None),
    "mnist_3.1_convnet_dropout_relu": ((0.989, 1.0), None),
}


def script_named(short):
    """'3.1' or 'mnist_3.1_convnet_dropout_relu(.py)' -> the script's stem."""
    for name in TARGETS:
        if short in (name, name + ".py") or name.startswith(f"mnist_{short}_"):
            return name
    raise SystemExit(f"reproduce.py: error: no script matches {short!r}; choose from {', '.join(TARGETS)}")


def run_once(script, seed, args):
    out_dir = Path(args.runs_dir) / f"{script}-seed{seed}"
    flags = ("--seed", str(seed), "--steps", str(args.steps))
    seconds = run_script(script, out_dir, args.data_dir, *flags, name=f"{script} seed {seed}")
    history = json.loads((out_dir / "history.json").read_text())
    return history["records"]["test_accuracy"][-1], seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        "--scripts", nargs="+", default=list(TARGETS), help="scripts to run, e.g. 1.0 3.1 (default: all)"
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2], help="seeds (default: 0 1 2)")
    parser.add_argument("--steps", type=int, default=5000, help="iterations per run (default: 5000)")
    add_data_dir_argument(parser)
    parser.add_argument("--runs-dir", default="runs/reproduce", help="where the runs go (default: runs/reproduce)")
    parser.add_argument(
        "--json", default="benchmarks/results/reproduce.json", help="table as JSON (default: %(default)s)"
    )
    args = parser.parse_args()
    scripts = [script_named(s) for s in args.scripts]

    rows = []
    header = f"{'script':42} {'seeds: test accuracy':28} {'mean':>7} {'min':>7} {'max':>7} {'s/run':>6}  target"
    print(header, flush=True)
    for script in scripts:
        figures, seconds = [], []
        for seed in args.seeds:
            accuracy, wall = run_once(script, seed, args)
            figures.append(accuracy)
            seconds.append(wall)
        (low, high), tutorial = TARGETS[script]
        mean = statistics.mean(figures)
        row = {
            "script": script,
            "seeds": args.seeds,
            "test_accuracy": figures,
            "mean": mean,
            "min": min(figures),
            "max": max(figures),
            "seconds_per_run": statistics.mean(seconds),
            "target": [low, high],
            "tutorial": tutorial,
            "meets_target": low <= mean <= high,
        }
        rows.append(row)
        target = f"{low}-{high}" if high < 1 else f">= {low}"
        verdict = "ok" if row["meets_target"] else "MISSED"
        print(
            f"{script:42} {' '.join(f'{a:.4f}' for a in figures):28} {mean:7.4f} {min(figures):7.4f} "
            f"{max(figures):7.4f} {row['seconds_per_run']:6.1f}  {target} {verdict}",
            flush=True,
        )

    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"steps": args.steps, "rows": rows}, indent=1))
    print(f"written to {args.json}")
    sys.exit(0 if all(row["meets_target"] for row in rows) else 1)


if __name__ == "__main__":
    main()

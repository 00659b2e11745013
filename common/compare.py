"""Compare saved runs: one figure overlaying their curves, and a table of their results.

    python -m common.compare                        # every run under runs/
    python -m common.compare runs/mnist_2.1_five_layers_relu_adam runs/mnist_3.1_convnet_dropout_relu
    python -m common.compare runs/ --out-dir /tmp/comparison

A run is a folder holding a history.json; a folder without one stands for the
runs below it. The figure (compare.png) and the table (results.md, results.csv)
go to --out-dir, runs/compare by default.
"""

import argparse
import csv
import io
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from common import outputs
from common.errors import UserError
from common.history import History
from common.plots import new_figure, save_figure

import numpy as np

RUNS_DIR = Path("runs")
DEFAULT_OUT_DIR = RUNS_DIR / "compare"
FIGURE_FILE = "compare.png"
MARKDOWN_FILE = "results.md"
CSV_FILE = "results.csv"
# Table columns: the CSV name, the Markdown heading, how Markdown shows the value.
COLUMNS = (
    ("run", "run", "{}"),
    ("network", "network", "{}"),
    ("dataset", "dataset", "{}"),
    ("final_test_accuracy", "final test accuracy", "{:.4f}"),
    ("best_test_accuracy", "best test accuracy", "{:.4f}"),
    ("best_at_iteration", "best at iteration", "{}"),
    ("final_test_loss", "final test loss", "{:.4g}"),
    ("steps", "steps", "{}"),
    ("batch_size", "batch", "{}"),
    ("lr", "lr", "{:g}"),
    ("seed", "seed", "{}"),
    ("wall_time_s", "wall time (s)", "{:.1f}"),
    ("status", "status", "{}"),
    ("folder", "folder", "{}"),
)
NUMERIC_COLUMNS = {
    "final_test_accuracy",
    "best_test_accuracy",
    "best_at_iteration",
    "final_test_loss",
    "steps",
    "batch_size",
    "lr",
    "seed",
    "wall_time_s",
}
# Accuracy ticks on the logit scale, where 0.9, 0.99 and 0.999 are equally far apart.
ACCURACY_TICKS = (0.1, 0.2, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9998, 0.9999)


@dataclass
class Run:
    folder: Path
    history: History
    label: str = ""


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m common.compare",
        description="Compare saved runs: a figure of their curves and a table of their results.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "runs",
        nargs="*",
        metavar="RUN_DIR",
        help=f"run folders, or folders holding runs (default: every run under {RUNS_DIR}/)",
    )
    parser.add_argument("--out-dir", default=str(DEFAULT_OUT_DIR), help="where the figure and the table go")
    args = parser.parse_args(argv)
    try:
        compare(args.runs, args.out_dir)
    except UserError as e:
        print(f"compare: error: {e}", file=sys.stderr)
        sys.exit(e.exit_code)


def compare(paths, out_dir):
    """Find the runs, then write the figure and both tables into ``out_dir``; return the runs."""
    out_dir = Path(out_dir).expanduser()
    runs = find_runs(paths, out_dir)
    outputs.check_writable(out_dir)
    rows = [summary(run) for run in runs]
    save_figure(comparison_figure(runs), out_dir / FIGURE_FILE)
    markdown = markdown_table(rows)
    outputs.write_atomic(out_dir / MARKDOWN_FILE, lambda f: f.write(markdown.encode()))
    outputs.write_atomic(out_dir / CSV_FILE, lambda f: f.write(csv_table(rows).encode()))
    print(markdown, end="")
    written = ", ".join((FIGURE_FILE, MARKDOWN_FILE, CSV_FILE))
    print(f"\ncompared {len(runs)} run{'s' if len(runs) > 1 else ''}: {written} in {out_dir}")
    return runs


# --- Finding the runs --------------------------------------------------------------


def find_runs(paths, out_dir):
    """The runs named by ``paths`` (default: all under runs/), each loaded and labelled.

    A path that is not a run is reported: as a warning when other runs remain to
    compare, as the error otherwise.
    """
    problems = []
    history_files = []
    if not paths:
        if not RUNS_DIR.is_dir():
            raise UserError(f"there is no {RUNS_DIR}/ folder here; train a run first or name run folders")
        history_files = histories_below(RUNS_DIR, out_dir)
        if not history_files:
            raise UserError(
                f"{RUNS_DIR}/ holds no run (no {outputs.HISTORY_FILE} in it or below it); "
                "train one first, e.g. python mnist_1.0_single_layer_nn.py"
            )
    for path in map(Path, paths):
        if path.is_file():
            history_files.append(path)
        elif not path.exists():
            problems.append(f"{path} does not exist")
        elif (path / outputs.HISTORY_FILE).is_file():
            history_files.append(path / outputs.HISTORY_FILE)
        else:
            below = histories_below(path, out_dir)
            if not below:
                problems.append(f"{path} holds no run (no {outputs.HISTORY_FILE} in it or below it)")
            history_files.extend(below)

    runs = []
    seen = set()
    for path in history_files:
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        try:
            history = History.load(path)
            check_comparable(history, path)
        except UserError as e:
            problems.append(str(e))
            continue
        runs.append(Run(path.parent, history))

    if not runs:
        if len(problems) == 1:
            raise UserError(problems[0])
        for problem in problems:
            print(f"compare: {problem}", file=sys.stderr)
        raise UserError("none of the folders given holds a run that can be compared")
    for problem in problems:
        print(f"compare: warning: skipped: {problem}", file=sys.stderr)
    for run, label in zip(runs, run_labels([run.folder for run in runs]), strict=True):
        run.label = label
    return runs


def check_comparable(history, path):
    """History.load checks the format; a comparison also needs numbers in every record."""
    records = history.records
    if not records["step"]:
        raise UserError(f"{path} holds no recorded point yet")
    try:
        for name, values in records.items():
            records[name] = [int(v) for v in values] if name == "step" else [float(v) for v in values]
    except (TypeError, ValueError):
        raise UserError(f"{path} is damaged: its records hold values that are not numbers") from None


def histories_below(folder, out_dir):
    """Every history.json in or below ``folder``, but none in the comparison's own output folder."""
    return [path for path in sorted(folder.rglob(outputs.HISTORY_FILE)) if not is_inside(path, out_dir)]


def is_inside(path, folder):
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
        return True
    except ValueError:
        return False


def run_labels(folders):
    """Each run's folder name; the path from the folders' common parent where names repeat."""
    names = [folder.name or str(folder) for folder in folders]
    if len(set(names)) == len(names):
        return names
    resolved = [str(folder.resolve()) for folder in folders]
    common = os.path.commonpath(resolved)
    return [os.path.relpath(path, common) if path != common else Path(path).name for path in resolved]


# --- The table ---------------------------------------------------------------------


def summary(run):
    """One row of the table: what the run is and how well it did."""
    info = run.history.info
    settings = info.get("settings") if isinstance(info.get("settings"), dict) else {}
    records = run.history.records
    steps = records["step"]
    accuracy = np.asarray(records["test_accuracy"], dtype=float)
    best = int(np.nanargmax(accuracy)) if np.isfinite(accuracy).any() else len(steps) - 1
    return {
        "run": run.label,
        "network": info.get("network", ""),
        "dataset": info.get("dataset", ""),
        "final_test_accuracy": records["test_accuracy"][-1],
        "best_test_accuracy": records["test_accuracy"][best],
        "best_at_iteration": steps[best],
        "final_test_loss": records["test_loss"][-1],
        "steps": info.get("steps_done", steps[-1]),
        "batch_size": settings.get("batch_size", ""),
        "lr": settings.get("lr", ""),
        "seed": settings.get("seed", ""),
        "wall_time_s": info.get("wall_time_s", ""),
        "status": info.get("status", ""),
        "folder": str(run.folder),
    }


def markdown_table(rows):
    def cell(key, template, value):
        if value is None or value == "":
            return ""
        try:
            text = template.format(value)
        except (TypeError, ValueError):  # a hand-edited history: show what is there
            text = str(value)
        return text.replace("|", "\\|")

    lines = [
        "| " + " | ".join(heading for _, heading, _ in COLUMNS) + " |",
        "|" + "|".join("---:" if key in NUMERIC_COLUMNS else "---" for key, _, _ in COLUMNS) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(cell(key, template, row[key]) for key, _, template in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def csv_table(rows):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[key for key, _, _ in COLUMNS], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


# --- The figure --------------------------------------------------------------------


def run_colours(count):
    """One distinct colour per run."""
    from matplotlib import colormaps

    if count <= 10:
        return [colormaps["tab10"](i) for i in range(count)]
    if count <= 20:
        return [colormaps["tab20"](i) for i in range(count)]
    return [colormaps["turbo"](i / (count - 1)) for i in range(count)]


def comparison_figure(runs):
    """Test accuracy, test loss and training loss of every run against iteration; a legend panel."""
    from matplotlib.ticker import LogFormatter

    class PlainLogFormatter(LogFormatter):
        """Log-axis labels as plain numbers: 0.1, 30, 200 rather than 1e-01, 3x10^1, 2x10^2."""

        def _num_to_string(self, x, vmin, vmax):
            return f"{x:g}"

    fig = new_figure(figsize=(13, 9), layout="constrained")
    axes = fig.subplots(2, 2)
    accuracy_ax, test_loss_ax, train_loss_ax, legend_ax = axes.flat
    lines = []
    for run, colour in zip(runs, run_colours(len(runs)), strict=True):
        records = run.history.records
        (line,) = accuracy_ax.plot(records["step"], records["test_accuracy"], color=colour)
        test_loss_ax.plot(records["step"], records["test_loss"], color=colour)
        train_loss_ax.plot(records["step"], records["train_loss"], color=colour, alpha=0.8)
        lines.append(line)
        info = run.history.info
        status = info.get("status", "completed")
        line.set_label(
            f"{run.label} ({info.get('dataset', '?')}): final {records['test_accuracy'][-1]:.4f}"
            + ("" if status == "completed" else f", {status}")
        )

    set_accuracy_scale(accuracy_ax, [run.history.records["test_accuracy"] for run in runs])
    accuracy_ax.set_title("test accuracy (logit scale: 0.9, 0.99, 0.999 equally spaced)")
    for ax, key, title in (
        (test_loss_ax, "test_loss", "test loss"),
        (train_loss_ax, "train_loss", "training loss (one batch)"),
    ):
        values = np.concatenate([np.asarray(run.history.records[key], dtype=float) for run in runs])
        finite = values[np.isfinite(values)]
        if finite.size and finite.min() > 0:
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(PlainLogFormatter())
            ax.yaxis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5)))
            title += " (log scale)"
        ax.set_title(title)
    for ax in (accuracy_ax, test_loss_ax, train_loss_ax):
        ax.set_xlabel("iteration")
        ax.grid(True, which="major", alpha=0.3)
    legend_ax.axis("off")
    legend_ax.legend(handles=lines, loc="center", fontsize="small" if len(runs) > 8 else "medium", frameon=False)
    datasets = sorted({str(run.history.info.get("dataset", "?")) for run in runs})
    fig.suptitle(f"{len(runs)} run{'s' if len(runs) > 1 else ''} compared, on {' and '.join(datasets)}")
    return fig


def set_accuracy_scale(ax, curves):
    """A logit scale from where the worst run settles (its second half) up to just above the best.

    On a linear 0-1 axis every good run is a flat line at the top; on this one
    0.97 and 0.99 lie far apart while a poor run still fits below.
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    settled, best = [], []
    for values in curves:
        values = np.asarray(values, dtype=float)
        later = values[len(values) // 2 :]  # where a run ends up, not how it started
        later = later[np.isfinite(later)]
        if later.size:
            settled.append(later.min())
            best.append(later.max())
    lowest = min(settled, default=0.9)
    highest = max(best, default=0.99)
    bottom = max(0.05, min(0.9, lowest))
    top = min(0.9999, max(0.99, 1 - (1 - highest) / 2))
    ax.set_yscale("logit", nonpositive="clip")
    # Margins in logit units, so the extreme curves stay off the frame.
    logit = lambda p: math.log(p / (1 - p))  # noqa: E731
    expit = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    margin = 0.03 * (logit(top) - logit(bottom))
    ax.set_ylim(expit(logit(bottom) - margin), expit(logit(top) + margin))
    ax.yaxis.set_major_locator(FixedLocator([t for t in ACCURACY_TICKS if bottom <= t <= top]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_locator(NullLocator())


if __name__ == "__main__":
    main()

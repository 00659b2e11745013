"""Figures of a run, drawn from its history and saved as PNG."""

import math

from common.data import NUM_CLASSES
from common.history import PERCENTILES
from common.outputs import write_atomic

import matplotlib
import numpy as np

# The misclassified test images drawn: the first this many, in a grid this wide.
MISTAKES_SHOWN = 100
MISTAKES_COLUMNS = 10


def pyplot(show=False):
    """Matplotlib's pyplot, on a file-only backend unless a window was asked for."""
    if not show:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path):
    write_atomic(path, lambda f: fig.savefig(f, format="png", dpi=100))


def plot_curves(history, path, show=False):
    """The original's 2x2 layout: train loss, train accuracy, test loss, test accuracy."""
    plt = pyplot(show)
    records = history.records
    steps = records["step"]
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5), sharex=True)
    panels = [
        (axes[0, 0], "train_loss", "training loss (batch)", "tab:blue"),
        (axes[0, 1], "train_accuracy", "training accuracy (batch)", "tab:blue"),
        (axes[1, 0], "test_loss", "test loss (10,000 images)", "tab:orange"),
        (axes[1, 1], "test_accuracy", "test accuracy (10,000 images)", "tab:orange"),
    ]
    for ax, key, title, colour in panels:
        values = records[key]
        ax.plot(steps, values, color=colour)
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        if key.endswith("loss"):
            if values and min(values) > 0:
                ax.set_yscale("log")
        else:
            # Start the axis where the curve settles so the last per mille shows.
            settled = min(values[len(values) // 10 :]) if values else 0.9
            ax.set_ylim(max(0.0, min(0.9, settled - 0.01)), 1.0)
    for ax in axes[1]:
        ax.set_xlabel("iteration")
    last = history.last
    final = f"final test accuracy {last['test_accuracy']:.4f} at iteration {last['step']}" if last else "no points"
    fig.suptitle(f"{history.info.get('script', '')} on {history.info.get('dataset', 'mnist')}: {final}")
    fig.tight_layout()
    save_figure(fig, path)
    if show:
        plt.show()
    plt.close(fig)


def new_figure(**kwargs):
    """A figure outside pyplot: nothing to close, and no effect on the window --show opens."""
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def run_title(history):
    return f"{history.info.get('script', 'run')} on {history.info.get('dataset', 'mnist')}"


def plot_parameters(history, path):
    """How all the weights, and all the biases, spread out over training: percentile bands."""
    parameters = history.parameters
    steps = parameters["step"]
    fig = new_figure(figsize=(11, 4.5), layout="constrained")
    axes = fig.subplots(1, 2, sharex=True)
    column = {p: i for i, p in enumerate(PERCENTILES)}
    bands = (((0, 100), 0.15, "min to max"), ((5, 95), 0.3, "5th to 95th percentile"), ((25, 75), 0.5, "middle half"))
    for ax, key, colour in ((axes[0], "weights", "tab:blue"), (axes[1], "biases", "tab:green")):
        ax.set_title(f"all {key}")
        ax.set_xlabel("iteration")
        ax.grid(True, alpha=0.3)
        if not steps:
            ax.text(0.5, 0.5, "not recorded", ha="center", va="center", transform=ax.transAxes)
            continue
        values = np.asarray(parameters[key], dtype=float).reshape(len(steps), len(PERCENTILES))
        marker = "o" if len(steps) == 1 else None  # a band needs two points to show
        for (low, high), alpha, label in bands:
            lows, highs = values[:, column[low]], values[:, column[high]]
            ax.fill_between(steps, lows, highs, color=colour, alpha=alpha, lw=0, label=label)
        ax.plot(steps, values[:, column[50]], color=colour, marker=marker, label="median")
        ax.legend(loc="upper left", fontsize="small")
    fig.suptitle(f"{run_title(history)}: distribution of the weights and biases during training")
    save_figure(fig, path)
    return fig


def plot_mistakes(images, labels, predictions, path, class_names=None, title=""):
    """The first MISTAKES_SHOWN misclassified images, each titled "true -> predicted".

    The images are pasted into one mosaic and drawn with a single imshow: a
    hundred separate subplots take seconds to render, this a fraction of one.
    """
    labels = np.asarray(labels)
    predictions = np.asarray(predictions)
    names = list(class_names) if class_names is not None else [str(i) for i in range(NUM_CLASSES)]
    wrong = np.flatnonzero(labels != predictions)
    shown = wrong[:MISTAKES_SHOWN]
    # Class names longer than a digit go on two lines to fit above a small image.
    separator = "\n→ " if max(len(name) for name in names) > 2 else " → "
    columns = MISTAKES_COLUMNS
    rows = max(1, math.ceil(len(shown) / columns))
    size = images.shape[1]
    label_height = 22 if "\n" in separator else 12  # pixels above each image for its label
    cell_height, cell_width = size + label_height, size + 4
    mosaic = np.zeros((rows * cell_height, columns * cell_width), dtype=np.uint8)
    for n, i in enumerate(shown):
        top, left = (n // columns) * cell_height + label_height, (n % columns) * cell_width + 2
        mosaic[top : top + size, left : left + size] = images[i]

    inches_per_pixel = 1.2 / cell_width
    header = 0.45
    height = rows * cell_height * inches_per_pixel + header
    fig = new_figure(figsize=(columns * cell_width * inches_per_pixel, height))
    ax = fig.add_axes((0, 0, 1, 1 - header / height))
    ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=255, interpolation="nearest")
    ax.axis("off")
    for n, i in enumerate(shown):
        x = (n % columns) * cell_width + cell_width / 2
        y = (n // columns) * cell_height + label_height - 1.5
        ax.text(
            x,
            y,
            f"{names[labels[i]]}{separator}{names[predictions[i]]}",
            ha="center",
            va="bottom",
            fontsize=8 if "\n" in separator else 10,
            color="tab:red",
            linespacing=0.9,
        )
    if len(wrong) == 0:
        summary = f"no misclassified image among the {len(labels):,} test images"
    else:
        first = f", the first {len(shown)}" if len(shown) < len(wrong) else ""
        summary = f"{len(wrong):,} of {len(labels):,} test images misclassified{first} (true → predicted)"
    fig.suptitle(f"{title}: {summary}" if title else summary, y=1 - 0.12 / height, va="top")
    save_figure(fig, path)
    return fig


def plot_confusion(matrix, path, class_names=None, title=""):
    """Counts of (true, predicted) pairs: correct ones blue on the diagonal, mistakes red."""
    from matplotlib.colors import LogNorm

    matrix = np.asarray(matrix, dtype=np.int64)
    size = len(matrix)
    names = list(class_names) if class_names is not None else [str(i) for i in range(size)]
    diagonal = np.eye(size, dtype=bool)
    fig = new_figure(figsize=(8, 7), layout="constrained")
    ax = fig.subplots()
    # Log colours: a handful of mistakes stays visible next to a thousand correct answers.
    norms = {}
    for is_correct, cmap in ((True, "Blues"), (False, "Reds")):
        cells = np.ma.masked_where((diagonal != is_correct) | (matrix == 0), matrix)
        norms[is_correct] = LogNorm(vmin=1, vmax=max(2, int(cells.max()) if cells.count() else 2))
        ax.imshow(cells, cmap=cmap, norm=norms[is_correct])
    for (true, predicted), count in np.ndenumerate(matrix):
        if count:
            dark = norms[bool(true == predicted)](count) > 0.6
            ax.text(
                predicted, true, str(count), ha="center", va="center", fontsize=8, color="white" if dark else "black"
            )
    long_names = max(map(len, names)) > 2
    ax.set_xticks(range(size), names, rotation=45 if long_names else 0, ha="right" if long_names else "center")
    ax.set_yticks(range(size), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    total = int(matrix.sum())
    accuracy = np.trace(matrix) / total if total else float("nan")
    summary = f"confusion matrix on {total:,} test images, accuracy {accuracy:.4f}"
    ax.set_title(f"{title}\n{summary}" if title else summary)
    save_figure(fig, path)
    return fig

"""Figures of a run, drawn from its history and saved as PNG."""

from common.outputs import write_atomic

import matplotlib


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
    fig.suptitle(f"{history.info.get('script', '')}: {final}")
    fig.tight_layout()
    save_figure(fig, path)
    if show:
        plt.show()
    plt.close(fig)

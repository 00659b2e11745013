"""TensorBoard event files of a run: the four curves, the weights and biases, the final figures.

``tensorboard --logdir runs`` then shows every run under ``runs/`` side by side.
The module is not named ``tensorboard`` so that it can never hide the package.
"""

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

EVENTS_PATTERN = "events.out.tfevents.*"
HISTOGRAM_BUCKETS = 30  # as tf.summary.histogram


class TensorBoardLog:
    """Writes one run's summaries into ``folder``; does nothing if TensorBoard is not installed."""

    def __init__(self, folder, resumed_at=None, display_step=1):
        self.folder = Path(folder)
        self.writer = None
        # tf.summary's scalar, histogram and image come from the tensorboard package.
        if importlib.util.find_spec("tensorboard") is None:
            print(
                "note: TensorBoard is not installed, so this run writes no TensorBoard files (pip install tensorboard)",
                file=sys.stderr,
            )
            return
        if resumed_at is not None:
            drop_events_after(self.folder, resumed_at, display_step)
        from tensorboard.plugins.histogram.metadata import create_summary_metadata  # installed: checked above

        self.writer = tf.summary.create_file_writer(str(self.folder))
        self.histogram_metadata = create_summary_metadata(display_name=None, description=None)

    def record(self, step, train_loss, train_accuracy, test_loss, test_accuracy, weights, biases):
        """The four curves, and a histogram of every weight and bias variable, at ``step``."""
        if self.writer is None:
            return
        with self.writer.as_default(step=step):
            tf.summary.scalar("loss/train", train_loss)
            tf.summary.scalar("loss/test", test_loss)
            tf.summary.scalar("accuracy/train", train_accuracy)
            tf.summary.scalar("accuracy/test", test_accuracy)
            for group, variables in (("weights", weights), ("biases", biases)):
                for tag, variable in zip(variable_tags(group, variables), variables, strict=True):
                    # What tf.summary.histogram writes, but bucketed by NumPy: see histogram_buckets.
                    tf.summary.write(tag, histogram_buckets(variable.numpy()), metadata=self.histogram_metadata)
        # Flushed at every display step: a run that is killed keeps its curves.
        self.writer.flush()

    def image(self, tag, png_path, step):
        """A PNG figure the run saved, shown in TensorBoard's Images tab."""
        if self.writer is None:
            return
        image = tf.image.decode_png(tf.io.read_file(str(png_path)), channels=3)
        with self.writer.as_default(step=step):
            tf.summary.image(tag, image[tf.newaxis])
        self.writer.flush()

    def close(self):
        if self.writer is not None:
            self.writer.close()


def histogram_buckets(values, count=HISTOGRAM_BUCKETS):
    """TensorBoard's histogram data: ``count`` rows of (left edge, right edge, number of values).

    The same buckets as ``tf.summary.histogram``, which builds them from a one-hot
    matrix of every value by every bucket: NumPy takes a few milliseconds per
    display step where that took 10 ms to run and a second to compile.
    """
    values = np.ravel(values).astype(np.float64)
    values = values[np.isfinite(values)]  # a diverged network: the values that still have a place
    if values.size == 0:
        return np.zeros((count, 3))
    low, high = values.min(), values.max()
    if low == high:  # one value: every edge at it, all in the last bucket (as TensorBoard does)
        edges = np.full(count + 1, high)
        counts = np.zeros(count)
        counts[-1] = values.size
    else:
        counts, edges = np.histogram(values, bins=count, range=(low, high))
    return np.stack([edges[:-1], edges[1:], counts], axis=1)


def variable_tags(group, variables):
    """``weights/W1``, ``biases/b1``...: the variables' own names, numbered if two are alike."""
    names = [variable.name.split(":")[0] for variable in variables]
    return [
        f"{group}/{name}" if names.count(name) == 1 else f"{group}/{name}_{names[:i].count(name) + 1}"
        for i, name in enumerate(names)
    ]


def drop_events_after(folder, step, display_step=1):
    """Keep what an earlier attempt logged up to ``step``, where a resumed run goes on.

    As in the history, only points on the display-step grid are kept; otherwise
    TensorBoard would draw both the old and the new points past ``step``.
    """
    from tensorboard.compat.proto import event_pb2

    for path in sorted(Path(folder).glob(EVENTS_PATTERN)):
        events = []
        try:
            for record in tf.data.TFRecordDataset(str(path)):
                events.append(event_pb2.Event.FromString(record.numpy()))
        except tf.errors.DataLossError:  # the last record of a killed run may be cut short
            pass
        kept = [
            event
            for event in events
            if not event.HasField("summary") or (event.step <= step and event.step % display_step == 0)
        ]
        if len(kept) == len(events):
            continue
        tmp_path = path.with_name(f".{path.name}.tmp")
        with tf.io.TFRecordWriter(str(tmp_path)) as writer:
            for event in kept:
                writer.write(event.SerializeToString())
        os.replace(tmp_path, path)

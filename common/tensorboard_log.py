"""TensorBoard event files of a run: the four curves, the weights and biases, the final figures.

``tensorboard --logdir runs`` then shows every run under ``runs/`` side by side.
The module is not named ``tensorboard`` so that it can never hide the package.
"""

import importlib.util
import os
import sys
from pathlib import Path

import tensorflow as tf

EVENTS_PATTERN = "events.out.tfevents.*"


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
        self.writer = tf.summary.create_file_writer(str(self.folder))
        # Compiled: the histograms' many small operations then cost a fraction of their eager time.
        self._write_summaries = tf.function(self._write_summaries_eager)

    def record(self, step, train_loss, train_accuracy, test_loss, test_accuracy, weights, biases):
        """The four curves, and a histogram of every weight and bias variable, at ``step``."""
        if self.writer is None:
            return
        curves = [tf.constant(v, tf.float32) for v in (train_loss, train_accuracy, test_loss, test_accuracy)]
        self._write_summaries(tf.constant(step, tf.int64), curves, list(weights), list(biases))
        # Flushed at every display step: a run that is killed keeps its curves.
        self.writer.flush()

    def _write_summaries_eager(self, step, curves, weights, biases):
        train_loss, train_accuracy, test_loss, test_accuracy = curves
        with self.writer.as_default(step=step):
            tf.summary.scalar("loss/train", train_loss)
            tf.summary.scalar("loss/test", test_loss)
            tf.summary.scalar("accuracy/train", train_accuracy)
            tf.summary.scalar("accuracy/test", test_accuracy)
            for group, variables in (("weights", weights), ("biases", biases)):
                for tag, variable in zip(variable_tags(group, variables), variables, strict=True):
                    tf.summary.histogram(tag, variable)

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

"""The training loop all six scripts share.

``run_training`` does, in order: choose and check the output folder, load the
data, train with ``tf.GradientTape`` in a compiled step, record train and test
loss/accuracy every display step, checkpoint, and save the history and plots.
It turns the user's mistakes into one line and a non-zero exit, stops cleanly
on Ctrl-C (exit 130) or a diverging loss (exit 3), and loses nothing computed.
"""

import atexit
import contextlib
import gc
import math
import signal
import sys
import time
from datetime import datetime, timezone

from common import outputs
from common.data import NUM_CLASSES, load_dataset, root_cause
from common.errors import UserError
from common.history import History, versions
from common.inspection import save_inspection
from common.plots import plot_curves
from common.progress import Progress
from common.tensorboard_log import TensorBoardLog

import numpy as np
import tensorflow as tf

# Steps run in one call of the compiled loop; Ctrl-C is honoured between calls.
MAX_STEPS_PER_CALL = 100
# Test images evaluated at once: big enough to be fast, small enough for caches.
EVAL_BATCH = 1000
CHECKPOINTS_KEPT = 3
# A training loss this many times its value at iteration 0 means the run diverged:
# softmax cross-entropy keeps the loss finite long after the weights have blown up.
DIVERGENCE_FACTOR = 10
EXIT_DIVERGED = 3
EXIT_INTERRUPTED = 130

# On exit, Python's last garbage collection walks every object TensorFlow made,
# which takes most of a second. Freezing them skips that walk; by then every
# file of the run is written and closed.
atexit.register(gc.freeze)


def run_training(model, loss_fn, optimizer, args, jit_compile=False):
    """Train ``model`` as the command line ``args`` says; exit non-zero on trouble."""
    try:
        status = train(model, loss_fn, optimizer, args, jit_compile)
    except UserError as e:
        print(f"{args.script}: error: {e}", file=sys.stderr)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:  # Ctrl-C before training, while saving, or a second time
        print(f"\n{args.script}: aborted by Ctrl-C; files saved before it are intact", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    if status == "diverged":
        sys.exit(EXIT_DIVERGED)
    if status == "interrupted":
        sys.exit(EXIT_INTERRUPTED)


def train(model, loss_fn, optimizer, args, jit_compile=False):
    """The whole run; returns its status: completed, interrupted or diverged."""
    # The data first: a mistake there must not cost the earlier run that --overwrite replaces.
    data = load_dataset(args.dataset, args.data_dir)
    if args.batch_size > len(data.train_labels):
        raise UserError(f"--batch-size {args.batch_size} is larger than the {len(data.train_labels):,} training images")
    out_dir, note = outputs.prepare_run_dir(args.out_dir, args.overwrite, args.resume)
    if note:
        print(note)
    print(
        f"{args.dataset}: {len(data.train_labels):,} training and "
        f"{len(data.test_labels):,} test images from {data.source}"
    )

    trainer = Trainer(model, loss_fn, optimizer, data, jit_compile)
    schedule = BatchSchedule(len(data.train_labels), args.batch_size, args.seed)
    checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer, step=trainer.step)
    manager = tf.train.CheckpointManager(checkpoint, out_dir / outputs.CHECKPOINT_DIR, CHECKPOINTS_KEPT)

    if args.resume:
        history = resume(out_dir, checkpoint, manager, trainer, args)
    else:
        history = History(run_info(args, model, data))
    history.info["settings"]["out_dir"] = str(out_dir)  # the folder actually used
    history.info["status"] = "running"
    previous_wall_time = history.info.get("wall_time_s", 0.0)
    started = time.perf_counter()
    resumed_at = int(trainer.step.numpy()) if args.resume else None
    tensorboard = TensorBoardLog(out_dir / outputs.TENSORBOARD_DIR, resumed_at, args.display_step)

    def record(step):
        """Evaluate on the next batch and on the whole test set, print, save."""
        train_loss, train_accuracy = trainer.evaluate_batch(schedule.indices(step, 1)[0])
        test_loss, test_accuracy = trainer.evaluate_test()
        history.add(step, train_loss, train_accuracy, test_loss, test_accuracy)
        history.add_parameters(step, [w.numpy() for w in model.weights], [b.numpy() for b in model.biases])
        tensorboard.record(step, train_loss, train_accuracy, test_loss, test_accuracy, model.weights, model.biases)
        history.info["wall_time_s"] = previous_wall_time + time.perf_counter() - started
        progress.print(
            f"#{step} train acc={train_accuracy:.4f} loss={train_loss:.4f}  "
            f"test acc={test_accuracy:.4f} loss={test_loss:.4f}"
        )

    step = int(trainer.step.numpy())
    progress = Progress(args.steps, start=step)
    status = "completed"
    with stop_requested_on_sigint() as stop_requested:
        if step == 0:
            record(0)
            manager.save(checkpoint_number=0)
            history.save(out_dir / outputs.HISTORY_FILE)
        loss_limit = DIVERGENCE_FACTOR * history.records["train_loss"][0]
        while step < args.steps:
            next_display = (step // args.display_step + 1) * args.display_step
            count = min(args.steps, next_display, step + MAX_STEPS_PER_CALL) - step
            done, loss, diverged = trainer.train_steps(schedule.indices(step, count), loss_limit)
            step += done
            progress.update(step)
            if diverged:
                status = "diverged"
                history.info["diverged_at_step"] = step
                how = (
                    f"became {loss}"
                    if not math.isfinite(loss)
                    else f"rose to {loss:.4g}, over {DIVERGENCE_FACTOR}x its start,"
                )
                progress.print(f"the loss {how} at iteration {step}: training diverged.")
                break
            if step % args.display_step == 0 or step == args.steps:
                record(step)
                manager.save(checkpoint_number=step)
                history.save(out_dir / outputs.HISTORY_FILE)
            if stop_requested():
                status = "interrupted"
                if step % args.display_step:  # between display steps: keep these steps for --resume
                    manager.save(checkpoint_number=step)
                break
    progress.close()

    if history.last["step"] != step:  # stopped between display steps: evaluate once more
        record(step)
    history.info["status"] = status
    history.info["steps_done"] = step
    history.info["wall_time_s"] = previous_wall_time + time.perf_counter() - started
    history.info["finished"] = now()
    history.save(out_dir / outputs.HISTORY_FILE)  # the status is safe even if a figure fails below
    # Once, with the final weights (the last record's): the confusion matrix, mistakes and parameter figures.
    save_inspection(history, data, trainer.test_predictions, out_dir, tensorboard)
    history.save(out_dir / outputs.HISTORY_FILE)
    plot_curves(history, out_dir / outputs.CURVES_PLOT, show=args.show and status == "completed")

    last = history.last
    if status == "interrupted":
        print(f"interrupted at iteration {step}; saved what was done in {out_dir} (--resume continues it)")
    elif status == "diverged":
        print(
            f"training diverged at iteration {history.info['diverged_at_step']}: try a smaller --lr than "
            f"{args.lr:g}; the history and plots up to it are in {out_dir}"
        )
    else:
        print(
            f"final test accuracy {last['test_accuracy']:.4f} after {step} iterations "
            f"({history.info['wall_time_s']:.1f} s); history and plots in {out_dir}"
        )
    return status


def run_info(args, model, data):
    settings = {
        key: getattr(args, key)
        for key in ("steps", "batch_size", "display_step", "lr", "seed", "dataset", "data_dir", "out_dir")
    }
    return {
        "script": args.script,
        "network": type(model).__name__,
        "description": (type(model).__doc__ or "").strip().splitlines()[0] if type(model).__doc__ else "",
        "dataset": args.dataset,
        "data_source": data.source,
        "settings": settings,
        "versions": versions(),
        "device": device_name(),
        "started": now(),
    }


def resume(out_dir, checkpoint, manager, trainer, args):
    """Restore the latest checkpoint and the history up to it."""
    history = History.load(out_dir / outputs.HISTORY_FILE)
    saved = history.info.get("settings", {})
    for key in ("batch_size", "display_step", "lr", "seed", "dataset"):
        if saved.get(key) != getattr(args, key):
            raise UserError(
                f"cannot resume: the run in {out_dir} used --{key.replace('_', '-')} {saved.get(key)}, "
                f"not {getattr(args, key)}"
            )
    if history.info.get("script") != args.script:
        raise UserError(f"cannot resume: the run in {out_dir} is of {history.info.get('script')}")
    if manager.latest_checkpoint is None:
        raise UserError(f"nothing to resume in {out_dir}: it has no checkpoints")
    try:
        checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    except Exception as e:  # a damaged or foreign checkpoint: TensorFlow raises many kinds
        raise UserError(
            f"cannot resume: the checkpoint {manager.latest_checkpoint} is damaged ({root_cause(e)}); "
            f"start again without --resume"
        ) from None
    step = int(trainer.step.numpy())
    if step >= args.steps:
        raise UserError(f"the run in {out_dir} already reached iteration {step}; pass a larger --steps to go on")
    history.truncate(step, args.display_step)
    history.info["settings"]["steps"] = args.steps
    history.info.pop("diverged_at_step", None)
    print(f"resumed from iteration {step}")
    return history


class Trainer:
    """The compiled training and evaluation steps of one model on one dataset."""

    def __init__(self, model, loss_fn, optimizer, data, jit_compile=False):
        self.model = model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        # The whole dataset lives in tensors as uint8; batches are gathered and
        # scaled inside the compiled step, so no Python runs per step.
        self.train_images = tf.constant(data.train_images[..., np.newaxis])
        self.train_labels = tf.constant(data.train_labels.astype(np.int32))
        self.test_images = tf.constant(data.test_images[..., np.newaxis])
        self.test_labels = tf.constant(data.test_labels.astype(np.int32))
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.test_predictions = None  # of the latest evaluate_test
        optimizer.build(model.trainable_variables)
        self._train_steps = tf.function(self._train_steps_eager, jit_compile=jit_compile)
        # One trace serves both the 100-image batch and the 10,000 test images.
        self._evaluate = tf.function(
            self._evaluate_eager,
            input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.uint8), tf.TensorSpec([None], tf.int32)],
        )

    def train_steps(self, batch_indices, loss_limit=math.inf):
        """Run one training step per row of ``batch_indices``; return (steps done, last loss, diverged).

        Stops early, after the step whose loss is not finite or above ``loss_limit`` (diverged).
        """
        # Padded to a fixed number of rows: one compiled program serves every call,
        # which XLA needs (it compiles once per shape) and which keeps a resumed
        # run's steps computed exactly as an uninterrupted run's.
        count = len(batch_indices)
        padded = np.zeros((max(count, MAX_STEPS_PER_CALL), batch_indices.shape[1]), np.int32)
        padded[:count] = batch_indices
        done, loss, diverged = self._train_steps(
            self.train_images, self.train_labels, padded, tf.constant(count), tf.constant(loss_limit, tf.float32)
        )
        return int(done), float(loss), bool(diverged)

    def _train_steps_eager(self, images, labels, batch_indices, count, loss_limit):
        variables = self.model.trainable_variables
        done = tf.constant(0)
        loss = tf.constant(0.0)
        diverged = tf.constant(False)
        for i in tf.range(count):
            indices = batch_indices[i]
            x = scale(tf.gather(images, indices))
            y = tf.one_hot(tf.gather(labels, indices), NUM_CLASSES)
            with tf.GradientTape() as tape:
                loss = self.loss_fn(self.model(x, training=True), y)
            gradients = tape.gradient(loss, variables)
            self.optimizer.apply_gradients(zip(gradients, variables, strict=True))
            done += 1
            diverged = tf.logical_not(tf.math.is_finite(loss)) or loss > loss_limit
            if diverged:
                break  # checked after the update: a branch around it would slow every step
        self.step.assign_add(tf.cast(done, tf.int64))
        return done, loss, diverged

    def _evaluate_eager(self, images, labels):
        """Mean loss, accuracy and the predicted labels, ``EVAL_BATCH`` images at a time."""
        count = tf.shape(labels)[0]
        total_loss = tf.constant(0.0)
        correct = tf.constant(0)
        predictions = tf.TensorArray(tf.int32, size=0, dynamic_size=True, infer_shape=False)
        for start in tf.range(0, count, EVAL_BATCH):
            x = scale(images[start : start + EVAL_BATCH])
            y = labels[start : start + EVAL_BATCH]
            logits = self.model(x, training=False)
            size = tf.shape(y)[0]
            total_loss += self.loss_fn(logits, tf.one_hot(y, NUM_CLASSES)) * tf.cast(size, tf.float32)
            predicted = tf.argmax(logits, axis=1, output_type=tf.int32)
            correct += tf.reduce_sum(tf.cast(predicted == y, tf.int32))
            predictions = predictions.write(start // EVAL_BATCH, predicted)
        mean_loss = total_loss / tf.cast(count, tf.float32)
        return mean_loss, tf.cast(correct, tf.float32) / tf.cast(count, tf.float32), predictions.concat()

    def evaluate_batch(self, indices):
        """Loss and accuracy on the training images ``indices``."""
        images = tf.gather(self.train_images, indices)
        labels = tf.gather(self.train_labels, indices)
        loss, accuracy, _ = self._evaluate(images, labels)
        return float(loss), float(accuracy)

    def evaluate_test(self):
        """Loss and accuracy on the test set; its predicted labels are kept in ``test_predictions``."""
        loss, accuracy, predictions = self._evaluate(self.test_images, self.test_labels)
        self.test_predictions = predictions.numpy()
        return float(loss), float(accuracy)


def scale(images):
    """uint8 pixels 0-255 to float32 in [0, 1]."""
    return tf.cast(images, tf.float32) / 255.0


class BatchSchedule:
    """Which training images make up the batch of each step.

    Every epoch is a fresh shuffle of the whole training set, drawn from the
    seed and the epoch number alone: any step's batch can be recomputed, which
    is what lets a resumed run see the same batches as an uninterrupted one.
    """

    def __init__(self, num_images, batch_size, seed):
        self.num_images = num_images
        self.batch_size = batch_size
        self.seed = seed
        self.steps_per_epoch = num_images // batch_size
        self._epoch = None
        self._order = None

    def order(self, epoch):
        if epoch != self._epoch:
            self._epoch = epoch
            self._order = np.random.default_rng([self.seed, epoch]).permutation(self.num_images).astype(np.int32)
        return self._order

    def indices(self, first_step, count):
        """An int32 array [count, batch_size] of image indices for steps first_step..first_step+count-1."""
        rows = []
        for step in range(first_step, first_step + count):
            epoch, position = divmod(step, self.steps_per_epoch)
            start = position * self.batch_size
            rows.append(self.order(epoch)[start : start + self.batch_size])
        return np.stack(rows)


@contextlib.contextmanager
def stop_requested_on_sigint():
    """Turn the first Ctrl-C into a polite request to stop after the current step.

    A second Ctrl-C stops at once, as usual.
    """
    requested = False

    def handler(signum, frame):
        nonlocal requested
        if requested:
            raise KeyboardInterrupt
        requested = True
        print("\nstopping after the current step (Ctrl-C again to abort)...", file=sys.stderr, flush=True)

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield lambda: False
        return
    try:
        yield lambda: requested
    finally:
        signal.signal(signal.SIGINT, previous)


def device_name():
    gpus = tf.config.list_logical_devices("GPU")
    return f"GPU ({gpus[0].name})" if gpus else "CPU"


def now():
    return datetime.now(timezone.utc).isoformat(timespec="seconds")

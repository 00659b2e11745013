"""Training speed: our low-level loop against Keras ``model.fit`` on the same six networks.

For each network, in one process and one run: after a warm-up, train (a) the
script's own network with our training loop and (b) the identical network
built from Keras layers and trained with ``model.fit``, for the same number of
steps, batch 100, with the same evaluation on the 10,000 test images every 100
steps. The two loops are measured in turns, several rounds, so that a change
of the machine's speed during the run touches both; each loop's steps/s is
taken over all its rounds together, so that a pause now and then (Python's
garbage collection, say) counts as often as in a whole run. Print both and
the ratio ours/Keras, with the range of the rounds' ratios. Then time each
script's default run (5,000 iterations) as a fresh process, start-up and data
loading included, the scripts one after the other, in one pass or several
(medians). The table is also written as JSON.

    python benchmarks/throughput.py                 # 5 rounds of 400 steps per loop
    python benchmarks/throughput.py --passes 3      # the default runs three times: medians
    python benchmarks/throughput.py --steps 300 --rounds 1 --no-default-runs
"""

import argparse
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root: common/

import common  # noqa: E402,F401  (first: quiets TensorFlow)
from common.data import load_dataset  # noqa: E402
from common.errors import UserError  # noqa: E402
from common.training import BatchSchedule, Trainer, device_name  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from script_runs import ROOT, SCRIPTS, add_data_dir_argument, run_script  # noqa: E402

DISPLAY_STEP = 100
BATCH = 100


def load_script(stem):
    spec = importlib.util.spec_from_file_location(stem.replace(".", "_"), ROOT / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def script_setup(module):
    """What the script's own main() hands to the training loop: its network, loss, optimiser, options."""
    captured = {}

    def capture(model, loss_fn, optimizer, args, **options):
        captured.update(model=model, loss_fn=loss_fn, optimizer=optimizer, options=options)

    module.run_training = capture
    module.main([])
    return captured


class OurLoop:
    """The script's own network, loss, optimiser and options in our training loop, warmed up."""

    def __init__(self, version, data):
        setup = script_setup(load_script(SCRIPTS[version]))
        self.model, optimizer = setup["model"], setup["optimizer"]
        self.trainer = Trainer(self.model, setup["loss_fn"], optimizer, data, **setup["options"])
        self.schedule = BatchSchedule(len(data.train_labels), BATCH, seed=0)
        checkpoint = tf.train.Checkpoint(model=self.model, optimizer=optimizer, step=self.trainer.step)
        self.folder = tempfile.TemporaryDirectory()
        self.manager = tf.train.CheckpointManager(checkpoint, self.folder.name, max_to_keep=3)
        self.step = 0
        self.run(DISPLAY_STEP)  # warm-up: tracing and first runs

    def display(self):
        """What a run does at every display step."""
        self.trainer.evaluate_batch(self.schedule.indices(self.step, 1)[0])
        self.trainer.evaluate_test()
        [w.numpy() for w in self.model.trainable_variables]
        self.manager.save(checkpoint_number=self.step)

    def run(self, steps):
        """Train ``steps`` steps, with a display step every 100; return the seconds it took."""
        started = time.perf_counter()
        for _ in range(steps // DISPLAY_STEP):
            self.trainer.train_steps(self.schedule.indices(self.step, DISPLAY_STEP))
            self.step += DISPLAY_STEP
            self.display()
        return time.perf_counter() - started


# --- (b) the same networks in Keras, trained with fit ----------------------------


def keras_model(version):
    layers = tf.keras.layers
    if version == "3.1":
        weights, biases = tf.keras.initializers.HeNormal(seed=0), tf.keras.initializers.Constant(0.1)
    else:
        weights = tf.keras.initializers.TruncatedNormal(stddev=0.1, seed=0)
        biases = weights if version == "3.0" else "zeros"
    dense_options = {"kernel_initializer": weights, "bias_initializer": biases}
    stack = [layers.Input((28, 28, 1))]
    if version in ("1.0", "2.0", "2.1", "2.2"):
        stack.append(layers.Flatten())
        if version != "1.0":
            activation = "sigmoid" if version == "2.0" else "relu"
            for width in (200, 100, 60, 30):
                stack.append(layers.Dense(width, activation=activation, **dense_options))
                if version == "2.2":
                    stack.append(layers.Dropout(0.25))
    else:
        activation = "sigmoid" if version == "3.0" else "relu"
        conv = {"padding": "same", "activation": activation, **dense_options}
        stack += [
            layers.Conv2D(4, 5, **conv),
            layers.Conv2D(8, 3, **conv),
            layers.MaxPooling2D(2),
            layers.Conv2D(16, 3, **conv),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(256, activation=activation, **dense_options),
        ]
        if version == "3.1":
            stack.append(layers.Dropout(0.25))
    stack.append(layers.Dense(10, **dense_options))
    return tf.keras.Sequential(stack)


def tutorial_loss(labels, logits):
    return 100.0 * tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits))


class KerasFit:
    """The same network built from Keras layers, trained with ``model.fit``, warmed up."""

    def __init__(self, version, data):
        tf.keras.utils.set_random_seed(0)
        self.model = keras_model(version)
        optimizer = tf.keras.optimizers.SGD(0.005) if version in ("1.0", "2.0") else tf.keras.optimizers.Adam(0.003)
        self.model.compile(optimizer=optimizer, loss=tutorial_loss, metrics=["accuracy"])
        x_train = data.train_images[..., np.newaxis].astype(np.float32) / 255.0
        y_train = np.eye(10, dtype=np.float32)[data.train_labels]
        x_test = data.test_images[..., np.newaxis].astype(np.float32) / 255.0
        y_test = np.eye(10, dtype=np.float32)[data.test_labels]
        self.batches = (
            tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(60000, seed=0).batch(BATCH).repeat()
        )
        self.options = {
            "steps_per_epoch": DISPLAY_STEP,  # one "epoch" per display step, then evaluate
            "validation_data": (x_test, y_test),
            "validation_batch_size": 2000,
            "verbose": 0,
        }
        self.run(DISPLAY_STEP)  # warm-up: tracing and first runs

    def run(self, steps):
        started = time.perf_counter()
        self.model.fit(self.batches, epochs=steps // DISPLAY_STEP, **self.options)
        return time.perf_counter() - started


def measure(version, data, steps, rounds):
    """Seconds of each round of both loops, in turns (ours, Keras, ours, Keras...)."""
    ours, keras = OurLoop(version, data), KerasFit(version, data)
    ours.run(DISPLAY_STEP)  # once more, untimed: the first steps after Keras' warm-up run slow
    pairs = [(ours.run(steps), keras.run(steps)) for _ in range(rounds)]
    ours.folder.cleanup()
    return pairs


# --- default runs of the scripts ------------------------------------------------


def time_default_run(version, data_dir):
    with tempfile.TemporaryDirectory() as folder:
        return run_script(SCRIPTS[version], folder, data_dir)


def time_default_runs(versions, data_dir, passes):
    """Each pass runs the scripts one after the other; returns each script's seconds, pass by pass."""
    seconds = {version: [] for version in versions}
    for number in range(1, passes + 1):
        for version in versions:
            seconds[version].append(time_default_run(version, data_dir))
        total = sum(runs[-1] for runs in seconds.values())
        print(f"default runs, pass {number} of {passes}: {total:.1f} s", flush=True)
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steps", type=int, default=400, help="steps per measurement, a multiple of 100 (default: %(default)s)"
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="measurements of each loop, taken in turns (default: %(default)s)"
    )
    parser.add_argument("--networks", nargs="+", default=list(SCRIPTS), choices=list(SCRIPTS), help="default: all six")
    parser.add_argument(
        "--passes",
        type=int,
        default=1,
        help="times the default runs are timed, all scripts one after the other each time; "
        "medians are shown (default: %(default)s)",
    )
    parser.add_argument("--no-default-runs", action="store_true", help="skip timing the scripts' default runs")
    add_data_dir_argument(parser)
    parser.add_argument("--json", default="benchmarks/results/throughput.json", help="default: %(default)s")
    args = parser.parse_args()
    if args.steps < DISPLAY_STEP or args.steps % DISPLAY_STEP:
        parser.error(f"--steps must be a positive multiple of {DISPLAY_STEP}")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.passes < 1:
        parser.error("--passes must be at least 1")

    try:
        data = load_dataset("mnist", args.data_dir)
    except UserError as e:
        parser.exit(e.exit_code, f"{parser.prog}: error: {e}\n")
    device = device_name()
    print(
        f"device: {device}, TensorFlow {tf.__version__}, {os.cpu_count()} CPU cores, "
        f"{args.rounds} rounds of {args.steps} steps per loop, in turns; min-max: the rounds' ratios"
    )
    headings = ("ours steps/s", "Keras fit steps/s", "ours/Keras", "(min-max)")
    print(f"{'network':7} {headings[0]:>12} {headings[1]:>18} {headings[2]:>11} {headings[3]:>11}")
    rows = []
    for version in args.networks:
        pairs = measure(version, data, args.steps, args.rounds)
        ratios = [keras / ours for ours, keras in pairs]  # seconds: Keras' over ours
        all_steps = args.steps * args.rounds
        row = {
            "network": version,
            "script": SCRIPTS[version],
            "ours_steps_per_s": all_steps / sum(ours for ours, _ in pairs),
            "keras_fit_steps_per_s": all_steps / sum(keras for _, keras in pairs),
            "ratio": sum(keras for _, keras in pairs) / sum(ours for ours, _ in pairs),
            "ratio_min": min(ratios),
            "ratio_max": max(ratios),
            "rounds": [{"ours_s": ours, "keras_fit_s": keras} for ours, keras in pairs],
        }
        rows.append(row)
        spread = f"({row['ratio_min']:.2f}-{row['ratio_max']:.2f})"
        print(
            f"{version:7} {row['ours_steps_per_s']:12.0f} {row['keras_fit_steps_per_s']:18.0f} "
            f"{row['ratio']:11.2f} {spread:>11}",
            flush=True,
        )
    summary = {
        "device": device,
        "tensorflow": tf.__version__,
        "cpu_count": os.cpu_count(),
        "steps": args.steps,
        "rounds": args.rounds,
    }
    if not args.no_default_runs:
        seconds = time_default_runs(args.networks, args.data_dir, args.passes)
        totals = [sum(runs[i] for runs in seconds.values()) for i in range(args.passes)]
        print(f"default runs (5,000 iterations each, a fresh process), median of {args.passes} pass(es):")
        for row in rows:
            runs = seconds[row["network"]]
            row["default_run_s"] = statistics.median(runs)
            row["default_runs_s"] = runs
            print(f"{row['network']:7} {row['default_run_s']:7.1f} s  ({min(runs):.1f}-{max(runs):.1f})")
        summary.update(passes=args.passes, default_total_s=statistics.median(totals), default_pass_totals_s=totals)
        print(
            f"{'all':7} {summary['default_total_s']:7.1f} s  ({min(totals):.1f}-{max(totals):.1f}), one after the other"
        )
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({**summary, "rows": rows}, indent=1))
    print(f"written to {args.json}")


if __name__ == "__main__":
    main()

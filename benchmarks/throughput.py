"""Training speed: our low-level loop against Keras ``model.fit`` on the same six networks.

For each network, in one process and one run: after a warm-up, train (a) the
script's own network with our training loop and (b) the identical network
built from Keras layers and trained with ``model.fit``, for the same number of
steps, batch 100, with the same evaluation on the 10,000 test images every 100
steps. Print steps/s of both and the ratio ours/Keras. Then time each script's
default run (5,000 iterations) as a fresh process, start-up and data loading
included. The table is also written as JSON.

    python benchmarks/throughput.py                 # 1,000 steps per measurement
    python benchmarks/throughput.py --steps 300 --no-default-runs
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import common  # noqa: E402,F401  (first: quiets TensorFlow)
from common.data import load_dataset  # noqa: E402
from common.training import BatchSchedule, Trainer, device_name  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"
SCRIPTS = {
    "1.0": "mnist_1.0_single_layer_nn",
    "2.0": "mnist_2.0_five_layers_sigmoid",
    "2.1": "mnist_2.1_five_layers_relu_adam",
    "2.2": "mnist_2.2_five_layers_relu_adam_dropout",
    "3.0": "mnist_3.0_convnet",
    "3.1": "mnist_3.1_convnet_dropout_relu",
}
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


def time_ours(version, data, steps):
    setup = script_setup(load_script(SCRIPTS[version]))
    model, optimizer = setup["model"], setup["optimizer"]
    trainer = Trainer(model, setup["loss_fn"], optimizer, data, **setup["options"])
    schedule = BatchSchedule(len(data.train_labels), BATCH, seed=0)
    checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer, step=trainer.step)
    with tempfile.TemporaryDirectory() as folder:
        manager = tf.train.CheckpointManager(checkpoint, folder, max_to_keep=3)

        def display(step):
            trainer.evaluate_batch(schedule.indices(step, 1)[0])
            trainer.evaluate_test()
            [w.numpy() for w in model.trainable_variables]
            manager.save(checkpoint_number=step)

        trainer.train_steps(schedule.indices(0, DISPLAY_STEP))  # warm-up: tracing and first runs
        display(0)
        started = time.perf_counter()
        for first in range(DISPLAY_STEP, DISPLAY_STEP + steps, DISPLAY_STEP):
            trainer.train_steps(schedule.indices(first, DISPLAY_STEP))
            display(first + DISPLAY_STEP)
        return steps / (time.perf_counter() - started)


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


def time_keras(version, data, steps):
    tf.keras.utils.set_random_seed(0)
    model = keras_model(version)
    optimizer = tf.keras.optimizers.SGD(0.005) if version in ("1.0", "2.0") else tf.keras.optimizers.Adam(0.003)
    model.compile(optimizer=optimizer, loss=tutorial_loss, metrics=["accuracy"])
    x_train = data.train_images[..., np.newaxis].astype(np.float32) / 255.0
    y_train = np.eye(10, dtype=np.float32)[data.train_labels]
    x_test = data.test_images[..., np.newaxis].astype(np.float32) / 255.0
    y_test = np.eye(10, dtype=np.float32)[data.test_labels]
    batches = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(60000, seed=0).batch(BATCH).repeat()
    options = {
        "steps_per_epoch": DISPLAY_STEP,  # one "epoch" per display step, then evaluate
        "validation_data": (x_test, y_test),
        "validation_batch_size": 2000,
        "verbose": 0,
    }
    model.fit(batches, epochs=1, **options)  # warm-up: tracing and first runs
    started = time.perf_counter()
    model.fit(batches, epochs=steps // DISPLAY_STEP, **options)
    return steps / (time.perf_counter() - started)


# --- default runs of the scripts ------------------------------------------------


def time_default_run(version, data_dir):
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, str(ROOT / f"{SCRIPTS[version]}.py"), "--out-dir", folder, "--overwrite"]
        if data_dir:
            command += ["--data-dir", data_dir]
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"throughput.py: {SCRIPTS[version]} failed:\n{result.stderr.strip()[-2000:]}")
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steps", type=int, default=1000, help="steps per measurement, a multiple of 100 (default: 1000)"
    )
    parser.add_argument("--networks", nargs="+", default=list(SCRIPTS), choices=list(SCRIPTS), help="default: all six")
    parser.add_argument("--no-default-runs", action="store_true", help="skip timing the scripts' default runs")
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("MNIST_DATA_DIR") or (str(SHARED_MNIST) if SHARED_MNIST.is_dir() else None),
        help="MNIST folder (default: $MNIST_DATA_DIR, else ../shared/data/mnist if present, else download)",
    )
    parser.add_argument("--json", default="benchmarks/results/throughput.json", help="default: %(default)s")
    args = parser.parse_args()
    if args.steps < DISPLAY_STEP or args.steps % DISPLAY_STEP:
        parser.error(f"--steps must be a positive multiple of {DISPLAY_STEP}")

    data = load_dataset("mnist", args.data_dir)
    device = device_name()
    print(f"device: {device}, TensorFlow {tf.__version__}, {os.cpu_count()} CPU cores, {args.steps} steps each")
    print(f"{'network':6} {'ours steps/s':>13} {'Keras fit steps/s':>18} {'ours/Keras':>11} {'default run s':>14}")
    rows = []
    for version in args.networks:
        ours = time_ours(version, data, args.steps)
        keras = time_keras(version, data, args.steps)
        default_seconds = None if args.no_default_runs else time_default_run(version, args.data_dir)
        row = {
            "network": version,
            "script": SCRIPTS[version],
            "ours_steps_per_s": ours,
            "keras_fit_steps_per_s": keras,
            "ratio": ours / keras,
            "default_run_s": default_seconds,
        }
        rows.append(row)
        shown = "-" if default_seconds is None else f"{default_seconds:.1f}"
        print(f"{version:6} {ours:13.0f} {keras:18.0f} {ours / keras:11.2f} {shown:>14}", flush=True)
    if not args.no_default_runs:
        total = sum(row["default_run_s"] for row in rows)
        print(f"default runs, one after the other: {total:.1f} s in total")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    summary = {"device": device, "tensorflow": tf.__version__, "cpu_count": os.cpu_count(), "steps": args.steps}
    Path(args.json).write_text(json.dumps({**summary, "rows": rows}, indent=1))
    print(f"written to {args.json}")


if __name__ == "__main__":
    main()

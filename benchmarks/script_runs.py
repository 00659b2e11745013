"""What both benchmarks need of the six scripts: their names, where MNIST is, a run as a learner starts it."""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"
SCRIPTS = {
    "1.0": "mnist_1.0_single_layer_nn",
    "2.0": "mnist_2.0_five_layers_sigmoid",
    "2.1": "mnist_2.1_five_layers_relu_adam",
    "2.2": "mnist_2.2_five_layers_relu_adam_dropout",
    "3.0": "mnist_3.0_convnet",
    "3.1": "mnist_3.1_convnet_dropout_relu",
}


def add_data_dir_argument(parser):
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("MNIST_DATA_DIR") or (str(SHARED_MNIST) if SHARED_MNIST.is_dir() else None),
        help="MNIST folder (default: $MNIST_DATA_DIR, else ../shared/data/mnist if present, else download)",
    )


def run_script(stem, out_dir, data_dir, *flags, name=None):
    """Run a script in a fresh Python, as a learner would, into ``out_dir``; return its wall time in seconds.

    A failed run stops the benchmark, showing the end of the script's error output.
    """
    command = [sys.executable, str(ROOT / f"{stem}.py"), "--out-dir", str(out_dir), "--overwrite", *flags]
    if data_dir:
        command += ["--data-dir", data_dir]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        benchmark = Path(sys.argv[0]).name
        raise SystemExit(f"{benchmark}: {name or stem} failed:\n{result.stderr.strip()[-2000:]}")
    return seconds

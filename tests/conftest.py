"""Shared helpers: small IDX datasets written by the tests, and running the scripts."""

import gzip
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
REAL_MNIST = ROOT.parent / "shared" / "data" / "mnist"
SCRIPTS = [
    "mnist_1.0_single_layer_nn.py",
    "mnist_2.0_five_layers_sigmoid.py",
    "mnist_2.1_five_layers_relu_adam.py",
    "mnist_2.2_five_layers_relu_adam_dropout.py",
    "mnist_3.0_convnet.py",
    "mnist_3.1_convnet_dropout_relu.py",
]
IDX_NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def idx_bytes(array):
    """The IDX encoding of a uint8 array: magic (0x08 = unsigned byte, ndim), sizes, data."""
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.tobytes()


def write_idx(path, array, gz=True):
    data = idx_bytes(array)
    path = Path(path)
    if gz:
        path = path.with_name(path.name + ".gz")
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)
    return path


def synthetic_digits(count, seed=0):
    """Images that a network can learn: each class lights its own band of rows, plus noise."""
    rng = np.random.default_rng(seed)
    labels = (np.arange(count) % 10).astype(np.uint8)
    rng.shuffle(labels)
    images = rng.integers(0, 60, size=(count, 28, 28)).astype(np.uint8)
    for i, label in enumerate(labels):
        images[i, 2 + 2 * label : 4 + 2 * label, 4:24] = 255
    return images, labels


def write_dataset(folder, train=600, test=200, gz=True, seed=0):
    """Write the four IDX files of a small learnable dataset into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    train_images, train_labels = synthetic_digits(train, seed)
    test_images, test_labels = synthetic_digits(test, seed + 1)
    write_idx(folder / IDX_NAMES["train_images"], train_images, gz)
    write_idx(folder / IDX_NAMES["train_labels"], train_labels, gz)
    write_idx(folder / IDX_NAMES["test_images"], test_images, gz)
    write_idx(folder / IDX_NAMES["test_labels"], test_labels, gz)
    return folder


@pytest.fixture
def tiny_mnist(tmp_path):
    """A folder with a small synthetic dataset in the four gzipped IDX files."""
    return write_dataset(tmp_path / "tiny_mnist")


def run_script(script, *args, cwd=None, timeout=300, env=None):
    """Run one of the six scripts in a fresh Python, as a user would.

    ``env`` adds to (or, with a value of None, removes from) the environment.
    """
    full_env = dict(os.environ)
    for key, value in (env or {}).items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    return subprocess.run(
        [sys.executable, str(ROOT / script), *map(str, args)],
        cwd=cwd or ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


_script_modules = {}


def load_script(script):
    """Import one of the six scripts as a module (once per test session).

    Their file names hold dots, so ``import`` cannot name them.
    """
    if script not in _script_modules:
        import importlib.util

        name = "script_" + script.removesuffix(".py").replace(".", "_")
        spec = importlib.util.spec_from_file_location(name, ROOT / script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _script_modules[script] = module
    return _script_modules[script]

"""Training on the real MNIST digits, where they are at hand (../shared/data/mnist)."""

import json

import pytest
from conftest import REAL_MNIST, run_script

pytestmark = pytest.mark.skipif(not REAL_MNIST.is_dir(), reason=f"no real MNIST in {REAL_MNIST}")


def test_single_layer_reaches_90_percent(tmp_path):
    out_dir = tmp_path / "run"
    result = run_script(
        "mnist_1.0_single_layer_nn.py",
        *("--data-dir", REAL_MNIST, "--steps", 500, "--out-dir", out_dir),
        env={"MNIST_DATA_DIR": None},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    history = json.loads((out_dir / "history.json").read_text())
    assert history["data_source"] == str(REAL_MNIST)
    records = history["records"]
    assert records["step"] == [0, 100, 200, 300, 400, 500]
    assert records["test_accuracy"][0] < 0.5  # it starts from chance, not from somewhere else
    assert records["test_accuracy"][-1] > 0.90

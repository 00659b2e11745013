"""The six scripts as a user runs them: a short training, --help, and bad flags."""

import json
import math
import platform
import re

import numpy as np
import pytest
from conftest import SCRIPTS, load_script, run_script

DEFAULT_LR = {
    "mnist_1.0_single_layer_nn.py": 0.005,
    "mnist_2.0_five_layers_sigmoid.py": 0.005,
    "mnist_2.1_five_layers_relu_adam.py": 0.003,
    "mnist_2.2_five_layers_relu_adam_dropout.py": 0.003,
    "mnist_3.0_convnet.py": 0.003,
    "mnist_3.1_convnet_dropout_relu.py": 0.003,
}
CURVES = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")
# Sigmoid and plain gradient descent at lr 0.005: 30 steps of 20 images sit on the
# initial plateau, where the test loss may wander either way.
SLOW_STARTERS = {"mnist_2.0_five_layers_sigmoid.py"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
INVALID = [
    ("--steps", "0"),
    ("--batch-size", "0"),
    ("--lr", "0"),
    ("--lr", "-1"),
    ("--display-step", "0"),
]


def test_the_table_covers_every_script():
    assert sorted(DEFAULT_LR) == sorted(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_short_run(script, tiny_mnist, tmp_path):
    import tensorflow as tf

    out_dir = tmp_path / "run"
    result = run_script(
        script,
        *("--data-dir", tiny_mnist, "--out-dir", out_dir),
        *("--steps", 30, "--display-step", 10, "--batch-size", 20, "--seed", 7),
        env={"MNIST_DATA_DIR": None},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "final test accuracy" in result.stdout

    history = json.loads((out_dir / "history.json").read_text())
    assert history["script"] == script.removesuffix(".py")
    assert history["status"] == "completed"
    assert history["steps_done"] == 30
    records = history["records"]
    assert records["step"] == [0, 10, 20, 30]
    for curve in CURVES:
        values = records[curve]
        assert len(values) == 4, curve
        assert all(math.isfinite(v) for v in values), curve
        if curve.endswith("accuracy"):
            assert all(0.0 <= v <= 1.0 for v in values), curve
        else:
            assert all(v >= 0.0 for v in values), curve
    # The weights moved: the spread of their values is not what it was at step 0.
    percentiles = history["parameter_percentiles"]
    assert percentiles["step"] == [0, 10, 20, 30]
    assert percentiles["weights"][-1] != percentiles["weights"][0]
    if script not in SLOW_STARTERS:
        assert records["test_loss"][-1] < records["test_loss"][0], "30 steps did not lower the test loss"

    settings = history["settings"]
    assert settings["steps"] == 30
    assert settings["batch_size"] == 20
    assert settings["display_step"] == 10
    assert settings["lr"] == pytest.approx(DEFAULT_LR[script])
    assert settings["seed"] == 7
    assert settings["dataset"] == "mnist"
    assert settings["data_dir"] == str(tiny_mnist)
    versions = history["versions"]
    assert versions["tensorflow"] == tf.__version__
    assert versions["numpy"] == np.__version__
    assert versions["python"] == platform.python_version()

    png = (out_dir / "curves.png").read_bytes()
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) > 10_000  # a drawn figure, not an empty image


def help_text(script, capsys):
    with pytest.raises(SystemExit) as info:
        load_script(script).main(["--help"])
    assert info.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # one line: argparse wraps at the terminal width


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_shows_the_defaults(script, capsys):
    text = help_text(script, capsys)
    assert text.startswith(f"usage: {script} ")
    assert "--steps STEPS training iterations (default: 5000)" in text
    assert "--batch-size BATCH_SIZE images per training batch (default: 100)" in text
    assert re.search(r"--display-step DISPLAY_STEP [^(]*\(default: 100\)", text)
    assert f"--lr LR learning rate (default: {DEFAULT_LR[script]})" in text


def test_help_from_the_command_line():
    result = run_script("mnist_2.2_five_layers_relu_adam_dropout.py", "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "(default: 5000)" in text
    assert "learning rate (default: 0.003)" in text
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("flag, value", INVALID)
@pytest.mark.parametrize("script", SCRIPTS)
def test_invalid_value_is_refused(script, flag, value, capsys, monkeypatch):
    module = load_script(script)
    monkeypatch.setattr(module, "run_training", lambda *args, **kwargs: pytest.fail("training started"))
    with pytest.raises(SystemExit) as info:
        module.main([flag, value])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"{script}: error: argument {flag}: " in err


@pytest.mark.parametrize(
    "script, flag, value",
    [("mnist_1.0_single_layer_nn.py", "--steps", "0"), ("mnist_3.1_convnet_dropout_relu.py", "--lr", "-1")],
)
def test_invalid_value_from_the_command_line(script, flag, value, tmp_path):
    result = run_script(script, flag, value, "--out-dir", tmp_path / "out")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{script}: error: argument {flag}: " in result.stderr
    assert not (tmp_path / "out").exists()

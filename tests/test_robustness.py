"""What a learner runs into, end to end: bad data and flags, Ctrl-C, a diverging loss, resuming, repeatability.

Every user mistake must end in one line on stderr that says what is wrong and
what to do, a non-zero exit and no traceback, and nothing computed may be lost.
The loader's own unit tests are in test_data.py; here the six scripts are run as
a learner runs them: a few in a fresh Python (each imports TensorFlow, about 5 s),
the many loader and flag cases through the script's ``main(argv)`` in this process.
"""

import gzip
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import IDX_NAMES, ROOT, idx_bytes, load_script, run_script, synthetic_digits, write_dataset, write_idx

DENSE = "mnist_1.0_single_layer_nn.py"
ADAM = "mnist_2.1_five_layers_relu_adam.py"
DROPOUT = "mnist_2.2_five_layers_relu_adam_dropout.py"
CONVNET = "mnist_3.1_convnet_dropout_relu.py"
TRAIN, TEST = 200, 50  # images in the small datasets written here

# TensorFlow's C++ start-up log ("I0000 00:00:... port.cc:153] oneDNN custom
# operations are on ...") reaches stderr before any setting can silence it. It
# is not the scripts' doing, so the one-line checks look past it.
TF_LOG = re.compile(
    r"^(?:[IWEF]\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] "
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$"
    r"|To enable the following instructions: )"
)


@pytest.fixture(autouse=True)
def no_data_dir_variable(monkeypatch):
    """Each test says where its data is; an MNIST_DATA_DIR set outside must not leak in."""
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    monkeypatch.delenv("FASHION_MNIST_DATA_DIR", raising=False)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """One small learnable dataset (four gzipped IDX files) shared by the runs of this file."""
    return write_dataset(tmp_path_factory.mktemp("tiny"), train=600, test=200)


# --- Helpers --------------------------------------------------------------------------


def user_lines(stderr):
    """What the learner reads on stderr, without TensorFlow's start-up log and blank lines."""
    return [line for line in stderr.splitlines() if line.strip() and not TF_LOG.match(line)]


def assert_one_line_error(stderr, script, *words):
    """Exactly one line, ``<script>: error: ...``, holding each of ``words``; no traceback."""
    assert "Traceback" not in stderr, stderr
    lines = user_lines(stderr)
    assert len(lines) == 1, f"expected one line, got:\n{stderr}"
    line = lines[0]
    assert line.startswith(script.removesuffix(".py")) and ": error: " in line, line
    for word in words:
        assert word in line, f"{word!r} not in {line!r}"
    return line


def call_main(script, *argv, capsys):
    """Run ``script``'s main(argv) in this process: (exit status, stdout, stderr)."""
    capsys.readouterr()
    try:
        load_script(script).main([str(a) for a in argv])
        code = 0
    except SystemExit as e:
        code = e.code
    except KeyboardInterrupt:  # would stop pytest itself, and shows the learner a traceback
        pytest.fail("KeyboardInterrupt escaped main()")
    out, err = capsys.readouterr()
    return code, out, err


def train_in_process(script, data_dir, out_dir, *flags, capsys):
    """A short run that must succeed; returns its stdout."""
    code, out, err = call_main(script, "--data-dir", data_dir, "--out-dir", out_dir, *flags, capsys=capsys)
    assert code == 0, out + err
    return out


def history(out_dir):
    return json.loads((Path(out_dir) / "history.json").read_text())


def computed(history):
    """What a run computed: every recorded point and the parameter percentiles (not wall times)."""
    return {"records": history["records"], "parameter_percentiles": history["parameter_percentiles"]}


def checkpoint_steps(out_dir):
    return sorted(int(p.name[len("ckpt-") : -len(".index")]) for p in (Path(out_dir) / "checkpoints").glob("*.index"))


# --- 1-7: bad data ---------------------------------------------------------------------


def replace_file(folder, role, data, gz=True):
    """Put ``data`` (bytes) where the file of ``role`` is."""
    path = folder / (IDX_NAMES[role] + (".gz" if gz else ""))
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def no_such_folder(folder):
    return folder / "no-such-folder"


def a_file(folder):
    return folder / (IDX_NAMES["train_images"] + ".gz")


def one_file_missing(folder):
    (folder / (IDX_NAMES["test_labels"] + ".gz")).unlink()
    return folder


def wrong_magic(folder):
    images = idx_bytes(synthetic_digits(TRAIN)[0])
    replace_file(folder, "train_images", b"\x00\x00\x09\x03" + images[4:])
    return folder


def images_as_labels(folder):
    shutil.copy(folder / (IDX_NAMES["train_images"] + ".gz"), folder / (IDX_NAMES["train_labels"] + ".gz"))
    return folder


def truncated_raw(folder):
    write_dataset(folder, train=TRAIN, test=TEST, gz=False)
    for path in folder.glob("*.gz"):
        path.unlink()
    path = folder / IDX_NAMES["train_images"]
    path.write_bytes(path.read_bytes()[:5000])
    return folder


def truncated_inside_gzip(folder):
    replace_file(folder, "train_images", idx_bytes(synthetic_digits(TRAIN)[0])[:5000])
    return folder


def truncated_gzip_stream(folder):
    path = folder / (IDX_NAMES["train_images"] + ".gz")
    path.write_bytes(path.read_bytes()[:-2000])
    return folder


def corrupt_gzip_stream(folder):
    path = folder / (IDX_NAMES["train_images"] + ".gz")
    data = bytearray(path.read_bytes())
    data[40:80] = b"\xff" * 40
    path.write_bytes(bytes(data))
    return folder


def label_count_differs(folder):
    write_idx(folder / IDX_NAMES["train_labels"], synthetic_digits(TRAIN)[1][:-1])
    return folder


def label_out_of_range(folder):
    labels = synthetic_digits(TRAIN)[1].copy()
    labels[7] = 10
    write_idx(folder / IDX_NAMES["train_labels"], labels)
    return folder


def images_not_28x28(folder):
    write_idx(folder / IDX_NAMES["test_images"], np.zeros((TEST, 32, 32), np.uint8))
    return folder


def npz(folder, **arrays):
    for path in folder.glob("*.gz"):
        path.unlink()
    np.savez(folder / "mnist.npz", **arrays)
    return folder


def npz_missing_a_key(folder):
    images, labels = synthetic_digits(TRAIN)
    return npz(folder, x_train=images, y_train=labels, x_test=images)


def npz_with_pickles(folder):
    images, labels = synthetic_digits(TRAIN)
    objects = np.array([{"label": 1}] * TRAIN, dtype=object)
    return npz(folder, x_train=images, y_train=objects, x_test=images, y_test=labels)


BAD_DATA = {
    # case: (make it from a good folder, words the line must hold)
    "no such folder": (no_such_folder, ["no-such-folder", "does not exist", "--data-dir"]),
    "a file, not a folder": (a_file, [IDX_NAMES["train_images"], "is a file", "folder"]),
    "one file missing": (one_file_missing, [IDX_NAMES["test_labels"]]),
    "wrong magic number": (wrong_magic, [IDX_NAMES["train_images"], "magic", "download"]),
    "images where labels belong": (images_as_labels, [IDX_NAMES["train_labels"], "images", "labels"]),
    "truncated raw file": (truncated_raw, [IDX_NAMES["train_images"], "truncated", "download"]),
    "truncated file, gzipped": (truncated_inside_gzip, [IDX_NAMES["train_images"], "truncated", "download"]),
    "truncated gzip stream": (truncated_gzip_stream, [IDX_NAMES["train_images"] + ".gz", "gzip", "download"]),
    "corrupt gzip stream": (corrupt_gzip_stream, [IDX_NAMES["train_images"] + ".gz", "gzip", "download"]),
    "label count differs": (
        label_count_differs,
        [IDX_NAMES["train_images"], f"{TRAIN:,} images", f"{TRAIN - 1:,} labels", "download"],
    ),
    "label outside 0-9": (label_out_of_range, [IDX_NAMES["train_labels"], "label 10", "0-9", "download"]),
    "images not 28x28": (images_not_28x28, [IDX_NAMES["test_images"], "32x32", "28x28", "not MNIST"]),
    "npz missing a key": (npz_missing_a_key, ["mnist.npz", "y_test"]),
    "npz holding pickles": (npz_with_pickles, ["mnist.npz", "pickle"]),
}


@pytest.mark.parametrize("case", BAD_DATA)
def test_bad_data_is_one_line_and_touches_nothing(case, tmp_path, capsys):
    make, words = BAD_DATA[case]
    data_dir = make(write_dataset(tmp_path / "data", train=TRAIN, test=TEST))
    out_dir = tmp_path / "run"
    code, out, err = call_main(DENSE, "--data-dir", data_dir, "--out-dir", out_dir, "--steps", 5, capsys=capsys)
    assert code == 2
    line = assert_one_line_error(err, DENSE, *words)
    if case == "one file missing":  # the missing file is named, the three present ones are not
        for role in ("train_images", "train_labels", "test_images"):
            assert IDX_NAMES[role] not in line
    assert not out_dir.exists()  # no run folder for a run that never started


def test_bad_data_from_the_command_line(tmp_path):
    """A half-downloaded file in the folder MNIST_DATA_DIR names, as a learner meets it."""
    data_dir = truncated_gzip_stream(write_dataset(tmp_path / "data", train=TRAIN, test=TEST))
    result = run_script(DENSE, "--out-dir", tmp_path / "run", env={"MNIST_DATA_DIR": str(data_dir)})
    assert result.returncode == 2, result.stdout + result.stderr
    assert_one_line_error(result.stderr, DENSE, str(data_dir / IDX_NAMES["train_images"]), "download it again")
    assert not (tmp_path / "run").exists()


def test_no_data_and_no_network_is_one_line(tmp_path):
    """The download fails (no network: a proxy nobody listens on) -> where to put the files, not urllib's story."""
    home = tmp_path / "home"
    home.mkdir()
    unreachable = "http://127.0.0.1:9"  # the discard port: refused at once
    env = {"HOME": str(home), "KERAS_HOME": str(home / ".keras"), "NO_PROXY": None, "no_proxy": None}
    env |= {name: unreachable for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}
    result = run_script(DENSE, "--steps", 5, "--out-dir", tmp_path / "run", env=env, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    line = assert_one_line_error(result.stderr, DENSE, "could not download", "--data-dir", "MNIST_DATA_DIR")
    assert "urllib" not in result.stderr and "URL fetch failure" not in line
    assert not (tmp_path / "run").exists()
    assert not list((home / ".keras").rglob("mnist.npz*"))  # no half-downloaded file left to trip on later


# --- 9: flags --------------------------------------------------------------------------

BAD_FLAGS = [
    (["--steps", "0"], ["--steps", "at least 1"]),
    (["--batch-size", "0"], ["--batch-size", "at least 1"]),
    (["--lr", "-1"], ["--lr", "above 0"]),
    (["--lr", "nan"], ["--lr", "above 0"]),
    (["--display-step", "0"], ["--display-step", "at least 1"]),
    (["--steps", "1e3"], ["--steps", "whole number"]),
    (["--resume", "--overwrite"], ["--resume", "--overwrite"]),
]


@pytest.mark.parametrize("flags, words", BAD_FLAGS, ids=[" ".join(f) for f, _ in BAD_FLAGS])
def test_flag_out_of_range_is_one_line(flags, words, tmp_path, capsys):
    code, out, err = call_main(DENSE, *flags, "--out-dir", tmp_path / "run", capsys=capsys)
    assert code == 2
    assert_one_line_error(err, DENSE, *words, "--help")
    assert not (tmp_path / "run").exists()


def test_batch_larger_than_the_training_set(tiny, tmp_path, capsys):
    code, out, err = call_main(
        DENSE, "--data-dir", tiny, "--batch-size", 601, "--out-dir", tmp_path / "run", capsys=capsys
    )
    assert code == 2
    assert_one_line_error(err, DENSE, "--batch-size 601", "600 training images")
    assert not (tmp_path / "run").exists()


# --- 10-11: the output folder --------------------------------------------------------------


def unwritable_out_dirs(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    cases = {"a file": (a_file, "is a file"), "under a file": (a_file / "run", "part of that path is a file")}
    if Path("/proc/self").is_dir():  # a folder even root cannot create
        cases["under /proc"] = (Path("/proc/no-such-process/run"), "cannot write")
    return cases


def test_unwritable_out_dir_is_found_before_training(tiny, tmp_path, capsys):
    for case, (out_dir, words) in unwritable_out_dirs(tmp_path).items():
        code, out, err = call_main(DENSE, "--data-dir", tiny, "--out-dir", out_dir, capsys=capsys)
        assert code == 2, case
        assert_one_line_error(err, DENSE, str(out_dir), words)
        assert "#0 " not in out, case  # not a single step recorded


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_out_dir_is_found_before_training(tiny, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        code, out, err = call_main(DENSE, "--data-dir", tiny, "--out-dir", locked / "run", capsys=capsys)
    finally:
        locked.chmod(0o755)
    assert code == 2
    assert_one_line_error(err, DENSE, str(locked / "run"), "Permission denied")
    assert "#0 " not in out


def test_an_earlier_run_is_never_replaced_silently(tiny, tmp_path, capsys, no_inspection_figures):
    out_dir = tmp_path / "run"
    flags = ("--steps", 2, "--display-step", 1)
    train_in_process(DENSE, tiny, out_dir, *flags, capsys=capsys)
    first = (out_dir / "history.json").read_bytes()

    out = train_in_process(DENSE, tiny, out_dir, *flags, capsys=capsys)  # again: a numbered folder
    second_dir = tmp_path / "run-2"
    assert f"{out_dir} holds an earlier run; writing to {second_dir} (--overwrite replaces it)" in out
    assert (out_dir / "history.json").read_bytes() == first
    assert history(second_dir)["status"] == "completed"

    out = train_in_process(DENSE, tiny, out_dir, *flags, "--seed", 1, "--overwrite", capsys=capsys)
    assert f"replacing the earlier run in {out_dir} (--overwrite)" in out
    assert history(out_dir)["settings"]["seed"] == 1
    assert not (tmp_path / "run-3").exists()

    # --overwrite with a mistake in the data: the earlier run must survive it.
    replaced = (out_dir / "history.json").read_bytes()
    code, out, err = call_main(
        DENSE, "--data-dir", tmp_path / "typo", "--out-dir", out_dir, "--overwrite", *flags, capsys=capsys
    )
    assert code == 2
    assert_one_line_error(err, DENSE, "does not exist")
    assert (out_dir / "history.json").read_bytes() == replaced
    assert checkpoint_steps(out_dir) == [0, 1, 2]


# --- Ctrl-C ------------------------------------------------------------------------------


def test_ctrl_c_stops_saves_and_exits_130(tiny, tmp_path):
    """A real Ctrl-C (SIGINT) to a running script."""
    out_dir = tmp_path / "run"
    command = [sys.executable, str(ROOT / ADAM), "--data-dir", str(tiny), "--out-dir", str(out_dir)]
    command += ["--steps", "1000000", "--display-step", "50"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:  # until the history shows training under way (it is written atomically: never half)
            path = out_dir / "history.json"
            if path.exists() and json.loads(path.read_text())["records"]["step"][-1] >= 100:
                break
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no progress within 120 s"
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, out + err

    saved = history(out_dir)
    step = saved["steps_done"]
    assert saved["status"] == "interrupted"
    assert step >= 100 and saved["records"]["step"][-1] == step  # evaluated once more where it stopped
    assert step in checkpoint_steps(out_dir)  # --resume can go on from there
    assert (out_dir / "curves.png").stat().st_size > 10_000
    assert (
        out.splitlines()[-1]
        == f"interrupted at iteration {step}; saved what was done in {out_dir} (--resume continues it)"
    )
    assert "Traceback" not in err
    assert user_lines(err) == ["stopping after the current step (Ctrl-C again to abort)..."]


def ctrl_c_after_first_call(monkeypatch):
    """Press Ctrl-C (a real SIGINT to this process) once the first compiled training call returns."""
    from common import training

    original = training.Trainer.train_steps
    pressed = []

    def train_steps(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        if not pressed:
            pressed.append(int(self.step.numpy()))
            signal.raise_signal(signal.SIGINT)
        return result

    monkeypatch.setattr(training.Trainer, "train_steps", train_steps)
    return pressed


def test_ctrl_c_before_training_is_one_line(tiny, tmp_path, capsys, monkeypatch):
    """Ctrl-C while the data loads (or a second, impatient one): no traceback either."""
    from common import training

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "load_dataset", interrupted)
    code, out, err = call_main(DENSE, "--data-dir", tiny, "--out-dir", tmp_path / "run", capsys=capsys)
    assert code == 130
    assert "Traceback" not in err
    assert user_lines(err) == [f"{DENSE.removesuffix('.py')}: aborted by Ctrl-C; files saved before it are intact"]


# --- A diverging loss ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "script, lr",
    [
        # The tutorial's example: the loss stays finite (softmax cross-entropy is computed
        # stably) but explodes past 10x its start within a few steps.
        ("mnist_2.0_five_layers_sigmoid.py", 50),
        # Adam at an absurd rate turns the loss into NaN.
        (ADAM, 1000),
    ],
)
def test_divergence_stops_saves_and_says_which_step(tiny, tmp_path, script, lr):
    out_dir = tmp_path / "run"
    result = run_script(
        script, "--data-dir", tiny, "--out-dir", out_dir, "--lr", lr, "--steps", 200, "--display-step", 50
    )
    assert result.returncode == 3, result.stdout + result.stderr
    saved = history(out_dir)
    bad = saved["diverged_at_step"]
    assert saved["status"] == "diverged"
    assert 1 <= bad < 50  # stopped at once, not at the next display step
    assert saved["steps_done"] == bad and saved["records"]["step"] == [0, bad]
    assert (out_dir / "curves.png").stat().st_size > 10_000
    last = result.stdout.splitlines()[-1]
    assert f"diverged at iteration {bad}" in last and f"smaller --lr than {lr}" in last and str(out_dir) in last
    assert "Traceback" not in result.stderr
    assert user_lines(result.stderr) == []  # no warnings from the NaNs either


# --- Atomic files -------------------------------------------------------------------------


def test_a_run_killed_while_saving_leaves_the_previous_files_whole(tmp_path, monkeypatch):
    """Killed after the new history is written but before it takes the old one's place, or halfway through it."""
    from common import outputs
    from common.history import History
    from common.plots import plot_curves

    def saved_history(step):
        saved = History({"script": "mnist_test", "settings": {}})
        for s in range(step + 1):
            saved.add(s, 1.0 / (s + 1), 0.5, 2.0, 0.25)
        return saved

    path, figure = tmp_path / "history.json", tmp_path / "curves.png"
    saved_history(1).save(path)
    plot_curves(saved_history(1), figure)
    before, figure_before = path.read_bytes(), figure.read_bytes()

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(outputs.os, "replace", killed)
        m.setattr(outputs.os, "rename", killed)
        with pytest.raises(KeyboardInterrupt):
            saved_history(2).save(path)
        with pytest.raises(KeyboardInterrupt):
            plot_curves(saved_history(2), figure)

    def half_then_killed(f):
        f.write(b'{"format": "tf2-mnist-tutorial-history", "rec')
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        outputs.write_atomic(path, half_then_killed)

    assert path.read_bytes() == before and figure.read_bytes() == figure_before
    assert History.load(path).records["step"] == [0, 1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.png", "history.json"]  # no temporary file left


# --- Checkpoints, --resume and reproducibility ------------------------------------------------
#
# One reference run per network, in a fresh Python as a learner starts it, serves
# two claims: the same seed and flags give the same history in another process
# (op determinism), and a run stopped halfway and resumed gives it too.

REFERENCE_FLAGS = ("--steps", 40, "--display-step", 10, "--seed", 5)


@pytest.fixture(scope="module")
def reference_runs(tiny, tmp_path_factory):
    """``get(script)``: the history of an uninterrupted run in a fresh Python (made once per script)."""
    made = {}

    def get(script):
        if script not in made:
            out_dir = tmp_path_factory.mktemp("reference") / "run"
            result = run_script(script, "--data-dir", tiny, "--out-dir", out_dir, *REFERENCE_FLAGS)
            assert result.returncode == 0, result.stdout + result.stderr
            made[script] = history(out_dir)
        return made[script]

    return get


@pytest.fixture
def no_inspection_figures(monkeypatch):
    """Skip the confusion, mistakes and parameter figures (seconds a run) where only the history matters."""
    from common import training

    monkeypatch.setattr(training, "save_inspection", lambda *args, **kwargs: None, raising=False)


@pytest.mark.parametrize("script", [DROPOUT, CONVNET])
def test_same_seed_same_flags_same_history(script, tiny, tmp_path, capsys, reference_runs, no_inspection_figures):
    """This process and a fresh Python: identical, value for value (CPU, op determinism)."""
    import tensorflow as tf

    train_in_process(script, tiny, tmp_path / "again", *REFERENCE_FLAGS, capsys=capsys)
    first, again = reference_runs(script), history(tmp_path / "again")
    assert computed(again) == computed(first)
    assert len(set(first["records"]["test_loss"])) == 5  # it did train: five different points

    assert first["versions"]["tensorflow"] == tf.__version__
    assert first["versions"]["numpy"] == np.__version__
    assert first["versions"]["python"] == platform.python_version()
    settings = first["settings"]
    expected = {"steps": 40, "batch_size": 100, "display_step": 10, "seed": 5, "dataset": "mnist"}
    assert {key: settings[key] for key in expected} == expected
    assert settings["data_dir"] == str(tiny) and settings["lr"] > 0 and "out_dir" in settings


@pytest.mark.parametrize("script", [DROPOUT, CONVNET])
def test_stopped_and_resumed_equals_never_stopped(
    script, tiny, tmp_path, capsys, reference_runs, no_inspection_figures
):
    """Stopped at 20 of 40, resumed: the history of the run never stopped (dropout's random state included)."""
    out_dir = tmp_path / "run"
    half = ("--steps", 20, *REFERENCE_FLAGS[2:])
    train_in_process(script, tiny, out_dir, *half, capsys=capsys)
    assert checkpoint_steps(out_dir)[-1] == 20
    out = train_in_process(script, tiny, out_dir, *REFERENCE_FLAGS, "--resume", capsys=capsys)
    assert f"resuming the run in {out_dir}" in out and "resumed from iteration 20" in out
    assert not (tmp_path / "run-2").exists()

    resumed = history(out_dir)
    assert resumed["records"]["step"] == [0, 10, 20, 30, 40]
    assert computed(resumed) == computed(reference_runs(script))
    assert resumed["settings"]["steps"] == 40 and resumed["status"] == "completed"
    assert checkpoint_steps(out_dir) == [20, 30, 40]  # every display step, the last three kept


def test_ctrl_c_between_display_steps_then_resume_loses_nothing(
    tiny, tmp_path, capsys, monkeypatch, reference_runs, no_inspection_figures
):
    """Stopped off the display grid, resumed from exactly there: the history of the run never stopped."""
    from common import training

    out_dir = tmp_path / "run"
    with monkeypatch.context() as m:
        m.setattr(training, "MAX_STEPS_PER_CALL", 4)  # Ctrl-C is honoured after 4 steps, before display step 10
        pressed = ctrl_c_after_first_call(m)
        code, out, err = call_main(DROPOUT, "--data-dir", tiny, "--out-dir", out_dir, *REFERENCE_FLAGS, capsys=capsys)
    assert pressed == [4]
    stopped = 4
    assert code == 130, out + err
    assert f"interrupted at iteration {stopped}; saved what was done in {out_dir}" in out
    assert history(out_dir)["status"] == "interrupted"
    assert history(out_dir)["records"]["step"] == [0, stopped]  # evaluated once more where it stopped
    assert (out_dir / "curves.png").exists()
    assert stopped in checkpoint_steps(out_dir)  # the steps past the last display step are kept

    out = train_in_process(DROPOUT, tiny, out_dir, *REFERENCE_FLAGS, "--resume", capsys=capsys)
    assert f"resumed from iteration {stopped}" in out
    resumed = history(out_dir)
    assert resumed["status"] == "completed" and resumed["steps_done"] == 40
    assert computed(resumed) == computed(reference_runs(DROPOUT))


def test_resume_refuses_clearly(tiny, tmp_path, capsys, no_inspection_figures):
    out_dir = tmp_path / "run"
    train_in_process(DENSE, tiny, out_dir, "--steps", 4, "--display-step", 2, capsys=capsys)

    def resume(*flags):
        code, out, err = call_main(DENSE, "--data-dir", tiny, "--out-dir", out_dir, "--resume", *flags, capsys=capsys)
        assert code == 2
        return err

    assert_one_line_error(resume("--steps", 4, "--display-step", 2), DENSE, "already reached iteration 4", "--steps")
    assert_one_line_error(resume("--steps", 8, "--display-step", 3), DENSE, "--display-step 2")
    for path in (out_dir / "checkpoints").glob("ckpt-4.data*"):
        path.write_bytes(path.read_bytes()[:20])  # half copied
    assert_one_line_error(resume("--steps", 8, "--display-step", 2), DENSE, "damaged", "without --resume")
    assert history(out_dir)["steps_done"] == 4  # refused, not overwritten

    code, out, err = call_main(DENSE, "--data-dir", tiny, "--out-dir", tmp_path / "nothing", "--resume", capsys=capsys)
    assert code == 2
    assert_one_line_error(err, DENSE, "nothing to resume", "without --resume")


# --- 12: comparing runs ----------------------------------------------------------------------


def test_compare_with_no_runs_or_a_damaged_history_is_one_line(tmp_path):
    """python -m common.compare as a learner types it, on an empty folder and on a half-copied history."""
    from common.history import History

    empty, damaged = tmp_path / "empty", tmp_path / "damaged"
    empty.mkdir()
    damaged.mkdir()
    run = History({"script": "mnist_2.1_five_layers_relu_adam", "settings": {"steps": 200}})
    for step in range(0, 201, 100):
        run.add(step, 100.0 / (step + 1), 0.9, 20.0, 0.9)
    run.save(damaged / "history.json")
    text = (damaged / "history.json").read_text()
    (damaged / "history.json").write_text(text[: len(text) // 2])

    for folder, words in ((empty, [str(empty), "no run"]), (damaged, [str(damaged / "history.json"), "damaged"])):
        result = subprocess.run(
            [sys.executable, "-m", "common.compare", str(folder), "--out-dir", str(tmp_path / "out")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 2, result.stdout + result.stderr
        assert_one_line_error(result.stderr, "compare", *words)
        assert not (tmp_path / "out" / "results.csv").exists()

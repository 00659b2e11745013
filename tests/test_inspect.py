"""Looking inside a run: the extra figures, the confusion matrix, TensorBoard files, and Fashion-MNIST."""

import json

from common import compare
from common.data import CLASS_NAMES, load_dataset
from common.history import PERCENTILES, History
from common.plots import plot_confusion, plot_mistakes, plot_parameters

import matplotlib.image
import numpy as np
import pytest
from conftest import IDX_NAMES, run_script, synthetic_digits, write_dataset, write_idx

SCRIPT = "mnist_2.1_five_layers_relu_adam.py"  # five layers: five weight and five bias histograms
TRAIN_IMAGES = 600
TEST_IMAGES = 200
STEPS = (0, 10, 20)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def fashion_run(tmp_path_factory):
    """One short run with --dataset fashion_mnist on IDX files written here; the other tests read it.

    Every fourth test label is shifted by one, so that even a network that has
    learnt everything makes mistakes to show.
    """
    data = write_dataset(tmp_path_factory.mktemp("fashion_data"), train=TRAIN_IMAGES, test=TEST_IMAGES)
    _, labels = synthetic_digits(TEST_IMAGES, seed=1)  # write_dataset's test labels
    labels[::4] = (labels[::4] + 1) % 10
    write_idx(data / IDX_NAMES["test_labels"], labels)
    out = tmp_path_factory.mktemp("runs") / "fashion_run"
    result = run_script(
        SCRIPT,
        *("--dataset", "fashion_mnist", "--data-dir", data, "--out-dir", out),
        *("--steps", STEPS[-1], "--display-step", STEPS[1]),
        env={"MNIST_DATA_DIR": None, "FASHION_MNIST_DATA_DIR": None},
    )
    assert result.returncode == 0, result.stderr
    history = json.loads((out / "history.json").read_text())
    return {"out": out, "stdout": result.stdout, "history": history, "labels": labels}


def event_accumulator(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(folder), size_guidance={"tensors": 0})
    accumulator.Reload()
    return accumulator


def test_fashion_mnist_run_names_its_dataset(fashion_run, tmp_path):
    history = fashion_run["history"]
    assert fashion_run["stdout"].startswith(f"fashion_mnist: {TRAIN_IMAGES} training and {TEST_IMAGES} test images")
    assert history["dataset"] == "fashion_mnist" and history["settings"]["dataset"] == "fashion_mnist"
    assert history["class_names"] == list(CLASS_NAMES["fashion_mnist"])
    assert history["records"]["step"] == list(STEPS)

    compare.main([str(fashion_run["out"]), "--out-dir", str(tmp_path / "compare")])
    table = (tmp_path / "compare" / "results.md").read_text()
    assert "| fashion_run | FiveLayersReLU | fashion_mnist |" in table


def test_extra_figures_are_written(fashion_run):
    for name in ("curves.png", "parameters.png", "mistakes.png", "confusion.png"):
        path = fashion_run["out"] / name
        assert path.read_bytes()[:8] == PNG_MAGIC, name
        height, width, _ = matplotlib.image.imread(path).shape
        assert height > 300 and width > 300, name


def test_confusion_matrix_counts_the_test_set_and_agrees_with_the_accuracy(fashion_run):
    history = fashion_run["history"]
    matrix = np.array(history["confusion_matrix"])
    labels = fashion_run["labels"]
    assert matrix.shape == (10, 10) and matrix.dtype.kind == "i"
    assert matrix.sum() == TEST_IMAGES
    # Rows are the true labels: each row holds as many images as that label has.
    assert list(matrix.sum(axis=1)) == list(np.bincount(labels, minlength=10))
    assert 0 < np.trace(matrix) < TEST_IMAGES  # the shifted labels guarantee mistakes
    assert np.trace(matrix) / TEST_IMAGES == pytest.approx(history["records"]["test_accuracy"][-1], abs=1e-6)


def test_tensorboard_holds_curves_histograms_and_images(fashion_run):
    from tensorboard.util import tensor_util

    accumulator = event_accumulator(fashion_run["out"] / "tensorboard")
    plugins = {tag: accumulator.SummaryMetadata(tag).plugin_data.plugin_name for tag in accumulator.Tags()["tensors"]}
    records = fashion_run["history"]["records"]
    for tag, key in (
        ("loss/train", "train_loss"),
        ("loss/test", "test_loss"),
        ("accuracy/train", "train_accuracy"),
        ("accuracy/test", "test_accuracy"),
    ):
        assert plugins[tag] == "scalars"
        events = accumulator.Tensors(tag)
        assert [e.step for e in events] == list(STEPS)
        values = [float(tensor_util.make_ndarray(e.tensor_proto)) for e in events]
        assert values == pytest.approx(records[key], rel=1e-5)
    for layer in range(1, 6):
        for tag in (f"weights/W{layer}", f"biases/b{layer}"):
            assert plugins[tag] == "histograms"
            assert [e.step for e in accumulator.Tensors(tag)] == list(STEPS)

    assert plugins["misclassified test images"] == "images"
    (event,) = accumulator.Tensors("misclassified test images")
    assert event.step == STEPS[-1]
    width, height, png = tensor_util.make_ndarray(event.tensor_proto)
    assert png[:8] == PNG_MAGIC
    assert (int(height), int(width)) == matplotlib.image.imread(fashion_run["out"] / "mistakes.png").shape[:2]


def test_a_resumed_run_replaces_what_tensorboard_logged_after_its_checkpoint(tmp_path):
    from common.tensorboard_log import TensorBoardLog

    import tensorflow as tf

    weights = [tf.Variable(tf.ones([3, 2]), name="W")]
    biases = [tf.Variable(tf.zeros([2]), name="b")]
    first = TensorBoardLog(tmp_path)
    for step in (0, 10, 20, 30, 35):  # 35: where the first attempt stopped, between display steps
        first.record(step, 1.0, 0.5, 1.0, 0.5, weights, biases)
    first.close()
    second = TensorBoardLog(tmp_path, resumed_at=20, display_step=10)
    for step in (30, 40):
        second.record(step, 2.0, 0.9, 2.0, 0.9, weights, biases)
    second.close()

    accumulator = event_accumulator(tmp_path)
    for tag in ("accuracy/test", "weights/W", "biases/b"):
        assert [e.step for e in accumulator.Tensors(tag)] == [0, 10, 20, 30, 40]
    from tensorboard.util import tensor_util

    values = [float(tensor_util.make_ndarray(e.tensor_proto)) for e in accumulator.Tensors("accuracy/test")]
    assert values == pytest.approx([0.5, 0.5, 0.5, 0.9, 0.9])


@pytest.mark.parametrize(
    "values",
    [
        np.random.default_rng(0).normal(size=(300, 7)).astype(np.float32),
        np.full([4, 5], 0.1, np.float32),  # one value only: TensorBoard's special case
    ],
    ids=["spread", "constant"],
)
def test_histograms_hold_the_buckets_tensorboards_own_histogram_writes(values, tmp_path):
    from common.tensorboard_log import TensorBoardLog

    import tensorflow as tf
    from tensorboard.util import tensor_util

    ours = TensorBoardLog(tmp_path / "ours")
    ours.record(0, 1.0, 0.5, 1.0, 0.5, [tf.Variable(values, name="W")], [])
    ours.close()
    with tf.summary.create_file_writer(str(tmp_path / "theirs")).as_default(step=0):
        tf.summary.histogram("weights/W", values)

    def buckets(folder):
        (event,) = event_accumulator(folder).Tensors("weights/W")
        return tensor_util.make_ndarray(event.tensor_proto)

    assert buckets(tmp_path / "ours").shape == (30, 3)
    np.testing.assert_allclose(buckets(tmp_path / "ours"), buckets(tmp_path / "theirs"), rtol=1e-6)


def test_histograms_of_a_diverged_network_count_its_finite_values(tmp_path):
    from common.tensorboard_log import histogram_buckets

    buckets = histogram_buckets(np.array([np.nan, np.inf, 1.0, 2.0, 3.0]))
    assert buckets[:, 2].sum() == 3 and (buckets[0, 0], buckets[-1, 1]) == (1.0, 3.0)
    assert not histogram_buckets(np.array([np.nan, np.nan])).any()


def test_fashion_mnist_reads_its_own_environment_variable(tmp_path, monkeypatch):
    fashion = write_dataset(tmp_path / "fashion", train=30, test=20, seed=3)
    digits = write_dataset(tmp_path / "digits", train=40, test=10, seed=4)
    monkeypatch.setenv("FASHION_MNIST_DATA_DIR", str(fashion))
    monkeypatch.setenv("MNIST_DATA_DIR", str(digits))
    data = load_dataset("fashion_mnist")
    assert (data.name, data.source, len(data.train_labels), len(data.test_labels)) == (
        "fashion_mnist",
        str(fashion),
        30,
        20,
    )
    assert load_dataset("mnist").source == str(digits)


# --- The figures, from fabricated data -------------------------------------------


def test_mistakes_grid_shows_the_first_hundred_with_true_and_predicted_labels(tmp_path):
    images, labels = synthetic_digits(300)
    predictions = labels.copy()
    predictions[:150] = (labels[:150] + 3) % 10
    fig = plot_mistakes(images, labels, predictions, tmp_path / "m.png", CLASS_NAMES["fashion_mnist"], "a run")
    (ax,) = fig.axes
    labels_shown = [text.get_text() for text in ax.texts]
    assert len(labels_shown) == 100
    names = CLASS_NAMES["fashion_mnist"]
    for i in (0, 99):  # the mistakes in order, each labelled "true → predicted"
        assert labels_shown[i] == f"{names[labels[i]]}\n→ {names[predictions[i]]}"
    mosaic = ax.images[0].get_array()
    assert any(np.array_equal(mosaic[r : r + 28, c : c + 28], images[0]) for r in range(40) for c in range(8))
    assert not any(np.array_equal(mosaic[r : r + 28, c : c + 28], images[150]) for r in range(40) for c in range(8))
    assert "150 of 300 test images misclassified, the first 100" in fig._suptitle.get_text()
    assert (tmp_path / "m.png").read_bytes()[:8] == PNG_MAGIC

    fig = plot_mistakes(images[:10], labels[:10], labels[:10], tmp_path / "none.png")
    assert not fig.axes[0].texts and not fig.axes[0].images[0].get_array().any()
    assert "no misclassified image among the 10 test images" in fig._suptitle.get_text()


def test_confusion_figure_shows_every_count(tmp_path):
    matrix = np.diag(np.full(10, 90))
    matrix[3, 5] = 7
    matrix[9, 4] = 1
    fig = plot_confusion(matrix, tmp_path / "c.png", CLASS_NAMES["mnist"], "a run")
    (ax,) = fig.axes
    texts = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts}
    assert texts[(3, 5)] == "7" and texts[(9, 4)] == "1" and texts[(0, 0)] == "90"
    assert len(texts) == 12  # empty cells stay blank
    assert "908 test images, accuracy 0.9912" in ax.get_title()  # 900 / 908
    assert (tmp_path / "c.png").read_bytes()[:8] == PNG_MAGIC


def test_parameter_figure_draws_weights_and_biases_over_training(tmp_path):
    history = History({"script": "s", "dataset": "mnist"})
    rng = np.random.default_rng(0)
    for step in (0, 100, 200):
        history.add_parameters(step, [rng.normal(size=(20, 10)) * (1 + step / 100)], [rng.normal(size=10)])
    fig = plot_parameters(history, tmp_path / "p.png")
    weights_ax, biases_ax = fig.axes
    for ax in (weights_ax, biases_ax):
        (median,) = ax.get_lines()
        assert list(median.get_xdata()) == [0, 100, 200]
        assert len(ax.collections) == 3  # min-max, 5-95 and 25-75 bands
    median = np.array(history.parameters["weights"])[:, PERCENTILES.index(50)]
    assert list(weights_ax.get_lines()[0].get_ydata()) == pytest.approx(list(median))
    assert weights_ax.get_ylim()[1] >= max(p[-1] for p in history.parameters["weights"])
    assert (tmp_path / "p.png").read_bytes()[:8] == PNG_MAGIC

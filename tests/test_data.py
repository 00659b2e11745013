"""The MNIST loader (common/data.py) on small IDX and .npz files written here."""

import gzip
import os
import urllib.error

from common import data
from common.data import DataError, load_dataset, load_folder, read_idx

import numpy as np
import pytest
from conftest import IDX_NAMES, idx_bytes, run_script, synthetic_digits, write_dataset, write_idx

DOTTED_NAMES = {
    "train_images": "train-images.idx3-ubyte",
    "train_labels": "train-labels.idx1-ubyte",
    "test_images": "t10k-images.idx3-ubyte",
    "test_labels": "t10k-labels.idx1-ubyte",
}


@pytest.fixture(autouse=True)
def no_data_dir_variable(monkeypatch):
    """Each test says where the data is; an MNIST_DATA_DIR set outside must not leak in."""
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    monkeypatch.delenv("FASHION_MNIST_DATA_DIR", raising=False)


def expected_arrays(train=600, test=200, seed=0):
    return (*synthetic_digits(train, seed), *synthetic_digits(test, seed + 1))


def assert_dataset_is(dataset, train=600, test=200, seed=0):
    train_images, train_labels, test_images, test_labels = expected_arrays(train, test, seed)
    assert dataset.train_images.dtype == np.uint8
    assert dataset.train_labels.dtype == np.uint8
    assert dataset.train_images.shape == (train, 28, 28)
    assert dataset.test_images.shape == (test, 28, 28)
    np.testing.assert_array_equal(dataset.train_images, train_images)
    np.testing.assert_array_equal(dataset.train_labels, train_labels)
    np.testing.assert_array_equal(dataset.test_images, test_images)
    np.testing.assert_array_equal(dataset.test_labels, test_labels)


def write_files(folder, names, gz, train=600, test=200):
    """The four files of the small dataset under the given names."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = dict(zip(IDX_NAMES, expected_arrays(train, test), strict=True))
    for role, name in names.items():
        write_idx(folder / name, arrays[role], gz)
    return folder


def idx_path(folder, role, gz=True):
    return folder / (IDX_NAMES[role] + (".gz" if gz else ""))


def load_error(folder):
    """The message of the DataError that loading ``folder`` raises."""
    with pytest.raises(DataError) as info:
        load_folder(folder)
    return str(info.value)


# --- What loads ---------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "raw"])
@pytest.mark.parametrize("names", [IDX_NAMES, DOTTED_NAMES], ids=["dash", "dot"])
def test_loads_idx_files(tmp_path, names, gz):
    folder = write_files(tmp_path / "mnist", names, gz)
    dataset = load_dataset("mnist", str(folder))
    assert_dataset_is(dataset)
    assert dataset.name == "mnist"
    assert dataset.source == str(folder)


def test_loads_gzipped_and_raw_files_mixed(tmp_path):
    folder = write_dataset(tmp_path / "mnist", gz=True)
    raw = gzip.decompress(idx_path(folder, "test_labels").read_bytes())
    idx_path(folder, "test_labels").unlink()
    idx_path(folder, "test_labels", gz=False).write_bytes(raw)
    assert_dataset_is(load_folder(folder))


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    """A gzipped file saved without .gz (some browsers unpack the name only) still loads."""
    folder = write_dataset(tmp_path / "mnist", gz=True)
    for role in IDX_NAMES:
        idx_path(folder, role).rename(idx_path(folder, role, gz=False))
    assert_dataset_is(load_folder(folder))


def write_npz(path, **overrides):
    train_images, train_labels, test_images, test_labels = expected_arrays()
    arrays = {"x_train": train_images, "y_train": train_labels, "x_test": test_images, "y_test": test_labels}
    arrays.update(overrides)
    arrays = {key: value for key, value in arrays.items() if value is not None}
    np.savez_compressed(path, **arrays)
    return path


def test_loads_keras_npz(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    npz = write_npz(folder / "mnist.npz")
    dataset = load_dataset("mnist", str(folder))
    assert_dataset_is(dataset)
    assert dataset.source == str(npz)


def test_idx_files_win_over_npz(tmp_path):
    folder = write_dataset(tmp_path / "mnist")
    write_npz(folder / "mnist.npz", x_train=None)  # broken: would fail if it were read
    assert_dataset_is(load_folder(folder))


def test_data_dir_variable_used_without_flag(tmp_path, monkeypatch):
    folder = write_dataset(tmp_path / "from_env", train=300, test=100, seed=5)
    monkeypatch.setenv("MNIST_DATA_DIR", str(folder))
    dataset = load_dataset("mnist", None)
    assert dataset.source == str(folder)
    assert_dataset_is(dataset, train=300, test=100, seed=5)


def test_data_dir_flag_wins_over_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path / "nowhere"))
    folder = write_dataset(tmp_path / "flag")
    assert load_dataset("mnist", str(folder)).source == str(folder)


def test_data_dir_with_tilde(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    write_dataset(tmp_path / "mnist")
    assert_dataset_is(load_dataset("mnist", "~/mnist"))


# --- The folder ---------------------------------------------------------------


def test_missing_folder(tmp_path):
    message = load_error(tmp_path / "nowhere")
    assert "nowhere" in message
    assert "does not exist" in message
    assert "--data-dir" in message


def test_missing_folder_from_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("mnist", None)


def test_path_is_a_file(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(b"not a folder")
    message = load_error(path)
    assert "is a file" in message
    assert str(path) in message


def test_empty_folder_names_all_four_files(tmp_path):
    message = load_error(tmp_path)
    for name in IDX_NAMES.values():
        assert name in message
    assert "mnist.npz" in message


@pytest.mark.parametrize("role", list(IDX_NAMES))
def test_one_file_missing_is_named(tmp_path, role):
    folder = write_dataset(tmp_path / "mnist")
    idx_path(folder, role).unlink()
    message = load_error(folder)
    assert IDX_NAMES[role] in message
    for other_role, other_name in IDX_NAMES.items():
        if other_role != role:
            assert other_name not in message


# --- Damaged IDX files ----------------------------------------------------------


def test_wrong_magic_number(tmp_path):
    folder = write_dataset(tmp_path / "mnist", gz=False)
    path = idx_path(folder, "train_images", gz=False)
    raw = bytearray(path.read_bytes())
    raw[:4] = (0x12345678).to_bytes(4, "big")
    path.write_bytes(bytes(raw))
    message = load_error(folder)
    assert path.name in message
    assert "magic number 0x12345678" in message
    assert "0x00000803" in message


def test_images_file_where_labels_expected(tmp_path):
    folder = write_dataset(tmp_path / "mnist")
    images = synthetic_digits(600)[0]
    write_idx(folder / IDX_NAMES["train_labels"], images)
    message = load_error(folder)
    assert IDX_NAMES["train_labels"] in message
    assert "holds images, but labels were expected" in message


def test_labels_file_where_images_expected(tmp_path):
    folder = write_dataset(tmp_path / "mnist")
    labels = synthetic_digits(200, seed=1)[1]
    write_idx(folder / IDX_NAMES["test_images"], labels)
    message = load_error(folder)
    assert IDX_NAMES["test_images"] in message
    assert "holds labels, but images were expected" in message


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "raw"])
def test_truncated_file(tmp_path, gz):
    """The download stopped early: fewer bytes than the header promises."""
    folder = write_dataset(tmp_path / "mnist", gz=gz)
    path = idx_path(folder, "train_images", gz)
    full = idx_bytes(synthetic_digits(600)[0])
    cut = full[: len(full) - 1000]
    path.write_bytes(gzip.compress(cut) if gz else cut)
    message = load_error(folder)
    assert path.name in message
    assert "truncated" in message
    assert f"{len(full):,}" in message  # what the header promises
    assert f"{len(cut):,}" in message  # what is there


def test_header_only(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(bytes([0, 0, 8, 1, 0, 0]))
    with pytest.raises(DataError, match="too short"):
        read_idx(path, data.LABELS_MAGIC)


def test_incomplete_header(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 8, 3]) + (600).to_bytes(4, "big") + (28).to_bytes(4, "big"))
    with pytest.raises(DataError, match="header is incomplete"):
        read_idx(path, data.IMAGES_MAGIC)


def test_huge_sizes_in_header_are_truncation(tmp_path):
    """Sizes whose product overflows 64 bits must still read as 'truncated', not crash."""
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 8, 3]) + (2**22).to_bytes(4, "big") * 3)
    with pytest.raises(DataError, match="truncated"):
        read_idx(path, data.IMAGES_MAGIC)


def test_extra_bytes(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(idx_bytes(np.arange(10, dtype=np.uint8)) + b"\0" * 7)
    with pytest.raises(DataError, match="7 bytes more than its header says"):
        read_idx(path, data.LABELS_MAGIC)


def cut_short(compressed):
    return compressed[: len(compressed) // 2]


def damage_deflate_data(compressed):
    # Keep gzip's magic so the file is read as gzip, damage the deflate data after the header.
    damaged = bytearray(compressed)
    damaged[20:60] = bytes(range(200, 240))
    return bytes(damaged)


def gzip_magic_then_garbage(compressed):
    return b"\x1f\x8b" + b"this is not deflate data at all"


@pytest.mark.parametrize(
    "role, damage",
    [
        ("train_images", cut_short),
        ("test_images", damage_deflate_data),
        ("test_labels", gzip_magic_then_garbage),
    ],
)
def test_broken_gzip_stream(tmp_path, role, damage):
    folder = write_dataset(tmp_path / "mnist")
    path = idx_path(folder, role)
    path.write_bytes(damage(path.read_bytes()))
    message = load_error(folder)
    assert path.name in message
    assert "not a valid gzip file" in message


# --- Files that do not fit together -------------------------------------------------


def test_count_mismatch(tmp_path):
    folder = write_dataset(tmp_path / "mnist")
    write_idx(folder / IDX_NAMES["train_labels"], synthetic_digits(600)[1][:599])
    message = load_error(folder)
    assert "600 images but 599 labels" in message
    assert IDX_NAMES["train_images"] in message


def test_label_outside_0_to_9(tmp_path):
    folder = write_dataset(tmp_path / "mnist")
    labels = synthetic_digits(200, seed=1)[1].copy()
    labels[17] = 10
    write_idx(folder / IDX_NAMES["test_labels"], labels)
    message = load_error(folder)
    assert "label 10 is outside 0-9" in message
    assert IDX_NAMES["test_labels"] in message


def test_image_size_not_28x28(tmp_path):
    folder = write_dataset(tmp_path / "mnist")
    write_idx(folder / IDX_NAMES["train_images"], np.zeros((600, 32, 32), np.uint8))
    message = load_error(folder)
    assert "32x32" in message
    assert "expected 28x28" in message


def test_no_images(tmp_path):
    folder = write_dataset(tmp_path / "mnist")
    write_idx(folder / IDX_NAMES["test_images"], np.zeros((0, 28, 28), np.uint8))
    write_idx(folder / IDX_NAMES["test_labels"], np.zeros(0, np.uint8))
    assert "no images" in load_error(folder)


# --- Damaged .npz files -----------------------------------------------------------


def test_npz_missing_key(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    write_npz(folder / "mnist.npz", y_test=None)
    message = load_error(folder)
    assert "mnist.npz" in message
    assert "y_test" in message
    assert "x_train" not in message


class RunsWhenUnpickled:
    """Unpickling this makes a folder: proof that pickled data was executed."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_npz_with_pickled_objects_is_refused(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    marker = tmp_path / "unpickled"
    objects = np.empty(600, dtype=object)
    objects[:] = [RunsWhenUnpickled(marker)] * 600
    write_npz(folder / "mnist.npz", y_train=objects)
    message = load_error(folder)
    assert "mnist.npz" in message
    assert "pickled" in message
    assert not marker.exists()


def test_npz_wrong_dtype(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    write_npz(folder / "mnist.npz", x_test=np.zeros((200, 28, 28), np.float32))
    message = load_error(folder)
    assert "x_test" in message
    assert "float32" in message


def test_npz_label_outside_0_to_9(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    write_npz(folder / "mnist.npz", y_train=np.full(600, 255, np.uint8))
    assert "label 255 is outside 0-9" in load_error(folder)


def test_npz_truncated(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    path = write_npz(folder / "mnist.npz")
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    message = load_error(folder)
    assert "mnist.npz" in message
    assert "not a readable .npz file" in message


def write_single_array(path):
    with open(path, "wb") as f:
        np.save(f, synthetic_digits(10)[0])


def write_pickle(path):
    import pickle

    path.write_bytes(pickle.dumps({"x_train": synthetic_digits(10)[0]}))


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda path: path.write_text("x_train,y_train\n1,2\n"), id="text"),
        pytest.param(write_single_array, id="npy"),
        pytest.param(write_pickle, id="pickle"),
        pytest.param(lambda path: path.write_bytes(b""), id="empty"),
    ],
)
def test_npz_that_is_not_a_zip(tmp_path, write):
    folder = tmp_path / "mnist"
    folder.mkdir()
    write(folder / "mnist.npz")
    message = load_error(folder)
    assert "mnist.npz" in message
    assert "not a readable .npz file" in message


# --- No data at all -----------------------------------------------------------------


def test_download_failure_names_both_ways_to_give_data(monkeypatch):
    import tensorflow as tf

    calls = []

    def no_network(*args, **kwargs):
        calls.append(args)
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(tf.keras.datasets.mnist, "load_data", no_network)
    with pytest.raises(DataError) as info:
        load_dataset("mnist", None)
    message = str(info.value)
    assert calls, "the Keras loader was not tried"
    assert "\n" not in message
    assert "--data-dir" in message
    assert "MNIST_DATA_DIR" in message
    assert "Temporary failure in name resolution" in message


def test_unknown_dataset():
    with pytest.raises(DataError, match="unknown dataset 'kmnist'"):
        load_dataset("kmnist", None)


# --- As the user sees it --------------------------------------------------------------


def is_tensorflow_log(line):
    """TensorFlow's native start-up log (absl format), which TF_CPP_MIN_LOG_LEVEL no longer silences."""
    return line.startswith("WARNING: All log messages before absl::InitializeLog()") or (
        len(line) > 5 and line[0] in "IWEF" and line[1:5].isdigit() and line[5] == " "
    )


def test_script_with_bad_data_dir_says_so_in_one_line(tmp_path):
    folder = write_dataset(tmp_path / "mnist", gz=False)
    idx_path(folder, "train_labels", gz=False).write_bytes(b"\x00\x00\x08\x01\x00\x00\x02\x58")
    result = run_script(
        "mnist_1.0_single_layer_nn.py",
        "--data-dir",
        folder,
        "--out-dir",
        tmp_path / "out",
        env={"MNIST_DATA_DIR": None},
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip() and not is_tensorflow_log(line)]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mnist_1.0_single_layer_nn: error: ")
    assert IDX_NAMES["train_labels"] in lines[0]
    assert "truncated" in lines[0]
    assert not (tmp_path / "out").exists()  # a run that cannot start leaves nothing behind

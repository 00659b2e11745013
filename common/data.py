"""Loading MNIST (or Fashion-MNIST): a local folder first, else Keras' download cache.

Where the digits come from, in this order:

1. ``--data-dir DIR`` or, failing that, the environment variable ``MNIST_DATA_DIR``
   (``FASHION_MNIST_DATA_DIR`` for Fashion-MNIST). The folder holds the four
   standard IDX files, gzipped or raw, or a Keras-format ``mnist.npz``.
2. Keras' own loader, which downloads once and caches under ``~/.keras/datasets``.

Images come back as uint8 arrays of shape [N, 28, 28] and labels as uint8 [N];
scaling to [0, 1] happens inside the compiled training step.
"""

import gzip
import math
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from common.errors import UserError

import numpy as np

IMAGES_MAGIC = 0x00000803  # IDX: unsigned bytes, 3 dimensions
LABELS_MAGIC = 0x00000801  # IDX: unsigned bytes, 1 dimension
IMAGE_SIZE = 28
NUM_CLASSES = 10

# The four files of a dataset, by role. Both spellings occur in the wild.
IDX_FILES = {
    "train_images": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    "train_labels": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    "test_images": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    "test_labels": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")

DATASETS = {
    # name: (environment variable for a local folder, npz file name, Keras loader name)
    "mnist": ("MNIST_DATA_DIR", "mnist.npz", "mnist"),
    "fashion_mnist": ("FASHION_MNIST_DATA_DIR", "fashion_mnist.npz", "fashion_mnist"),
}
# What labels 0-9 stand for, as figures show them.
CLASS_NAMES = {
    "mnist": tuple(str(digit) for digit in range(NUM_CLASSES)),
    "fashion_mnist": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
}


class DataError(UserError):
    """The data could not be found or is not what it claims to be."""


@dataclass
class Dataset:
    name: str
    source: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def load_dataset(name="mnist", data_dir=None):
    """Return the named dataset from ``data_dir``, its environment variable, or Keras."""
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    env_var = DATASETS[name][0]
    if data_dir is None and os.environ.get(env_var):
        data_dir = os.environ[env_var]
    if data_dir is not None:
        return load_folder(data_dir, name)
    return load_with_keras(name)


# --- A local folder ---------------------------------------------------------


def load_folder(data_dir, name="mnist"):
    """Load the four IDX files (or an .npz) from a folder."""
    folder = Path(data_dir).expanduser()
    if not folder.exists():
        raise DataError(f"data folder {folder} does not exist; check --data-dir (or {DATASETS[name][0]})")
    if not folder.is_dir():
        raise DataError(f"--data-dir {folder} is a file; pass the folder that holds the MNIST files")

    paths = {role: find_idx_file(folder, names) for role, names in IDX_FILES.items()}
    missing = [IDX_FILES[role][0] for role, path in paths.items() if path is None]
    npz_path = folder / DATASETS[name][1]
    if missing and npz_path.is_file():
        return load_npz(npz_path, name)
    if missing:
        raise DataError(
            f"{folder} lacks {', '.join(m + '[.gz]' for m in missing)}; it needs the four "
            f"IDX files (gzipped or raw) or {npz_path.name}"
        )

    train_images = read_idx(paths["train_images"], IMAGES_MAGIC)
    train_labels = read_idx(paths["train_labels"], LABELS_MAGIC)
    test_images = read_idx(paths["test_images"], IMAGES_MAGIC)
    test_labels = read_idx(paths["test_labels"], LABELS_MAGIC)
    check_pair(train_images, train_labels, f"{paths['train_images']} / {paths['train_labels'].name}")
    check_pair(test_images, test_labels, f"{paths['test_images']} / {paths['test_labels'].name}")
    return Dataset(name, str(folder), train_images, train_labels, test_images, test_labels)


def find_idx_file(folder, names):
    for stem in names:
        for candidate in (folder / (stem + ".gz"), folder / stem):
            if candidate.is_file():
                return candidate
    return None


def read_idx(path, expected_magic):
    """Read one IDX file (gzipped or raw) into a uint8 array, checking its header."""
    path = Path(path)
    raw = read_bytes(path)
    if len(raw) < 8:
        raise DataError(f"{path} is too short to be an IDX file ({len(raw)} bytes)")
    magic = int.from_bytes(raw[:4], "big")
    if magic != expected_magic:
        expected = "images" if expected_magic == IMAGES_MAGIC else "labels"
        if magic in (IMAGES_MAGIC, LABELS_MAGIC):
            found = "images" if magic == IMAGES_MAGIC else "labels"
            raise DataError(f"{path} holds {found}, but {expected} were expected there; check which file is which")
        raise DataError(
            f"{path} is not an IDX {expected} file (magic number 0x{magic:08x}, expected 0x{expected_magic:08x}); "
            "download it again"
        )
    num_dims = magic & 0xFF
    header_size = 4 + 4 * num_dims
    if len(raw) < header_size:
        raise DataError(f"{path} is truncated: its header is incomplete")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(num_dims))
    expected_size = header_size + math.prod(shape)  # Python ints: no overflow on a corrupt header
    if len(raw) < expected_size:
        raise DataError(
            f"{path} is truncated: its header promises {expected_size:,} bytes, it has {len(raw):,}; download it again"
        )
    if len(raw) > expected_size:
        raise DataError(f"{path} has {len(raw) - expected_size:,} bytes more than its header says")
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape)


def read_bytes(path):
    with open(path, "rb") as f:
        head = f.read(2)
    if head != b"\x1f\x8b":  # not gzip: a raw IDX file
        return path.read_bytes()
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path} is not a valid gzip file ({e}); download it again") from None


def load_npz(path, name="mnist"):
    """Load a Keras-format .npz (x_train, y_train, x_test, y_test)."""
    with open(path, "rb") as f:
        head = f.read(4)
    if head not in (b"PK\x03\x04", b"PK\x05\x06"):  # an .npz is a zip archive; np.load would try .npy or pickle
        raise DataError(f"{path} is not a readable .npz file (not a zip archive of arrays)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [key for key in NPZ_KEYS if key not in npz.files]
            if missing:
                raise DataError(f"{path} lacks the array(s) {', '.join(missing)}")
            arrays = {key: npz[key] for key in NPZ_KEYS}
    except DataError:
        raise
    except ValueError as e:  # pickled objects are refused by allow_pickle=False
        raise DataError(f"{path} holds pickled objects, which are not loaded for safety ({e})") from None
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as e:
        raise DataError(f"{path} is not a readable .npz file ({e})") from None
    for key in NPZ_KEYS:
        if arrays[key].dtype != np.uint8:
            raise DataError(f"{path}: {key} has dtype {arrays[key].dtype}, expected uint8")
    check_pair(arrays["x_train"], arrays["y_train"], f"{path} (train)")
    check_pair(arrays["x_test"], arrays["y_test"], f"{path} (test)")
    return Dataset(name, str(path), arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"])


def check_pair(images, labels, where):
    """Images must be N x 28 x 28, labels N values in 0-9."""
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise DataError(
            f"{where}: images are {'x'.join(map(str, images.shape[1:]))}, expected 28x28; these are not MNIST images"
        )
    if labels.ndim != 1:
        raise DataError(f"{where}: labels have shape {labels.shape}, expected one label per image")
    if len(images) != len(labels):
        raise DataError(
            f"{where}: {len(images):,} images but {len(labels):,} labels; they do not belong together, "
            "download them again"
        )
    if len(images) == 0:
        raise DataError(f"{where}: no images")
    if labels.max() >= NUM_CLASSES:
        raise DataError(f"{where}: label {labels.max()} is outside 0-9; download the labels again")


# --- Keras' download and cache -----------------------------------------------


def load_with_keras(name="mnist"):
    """Keras downloads the dataset once and caches it under ~/.keras/datasets."""
    import tensorflow as tf

    env_var = DATASETS[name][0]
    loader = getattr(tf.keras.datasets, DATASETS[name][2])
    try:
        (x_train, y_train), (x_test, y_test) = loader.load_data()
    except Exception as e:  # no network, a proxy, a broken cache: all the same to the user
        raise DataError(
            f"could not download {name} ({root_cause(e)}); put the four IDX files in a folder "
            f"and pass --data-dir DIR or set {env_var}"
        ) from None
    check_pair(x_train, y_train, f"{name} from the Keras cache (train)")
    check_pair(x_test, y_test, f"{name} from the Keras cache (test)")
    return Dataset(name, "keras cache", x_train, y_train, x_test, y_test)


def root_cause(error, limit=120):
    """The innermost exception behind ``error`` in one short line, e.g. "[Errno -2] Name or service not known"."""
    seen = {id(error)}
    while (error.__cause__ or error.__context__) is not None and id(error.__cause__ or error.__context__) not in seen:
        error = error.__cause__ or error.__context__
        seen.add(id(error))
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."

"""The run folder: choosing it, checking it can be written, saving files atomically."""

import json
import os
import shutil
import tempfile
from pathlib import Path

from common.errors import UserError

HISTORY_FILE = "history.json"
CHECKPOINT_DIR = "checkpoints"
TENSORBOARD_DIR = "tensorboard"
CURVES_PLOT = "curves.png"
PARAMETERS_PLOT = "parameters.png"
MISTAKES_PLOT = "mistakes.png"
CONFUSION_PLOT = "confusion.png"
# Everything a run writes, removed by --overwrite (and nothing else in the folder).
RUN_FILES = (
    HISTORY_FILE,
    CURVES_PLOT,
    PARAMETERS_PLOT,
    MISTAKES_PLOT,
    CONFUSION_PLOT,
    CHECKPOINT_DIR,
    TENSORBOARD_DIR,
)


def prepare_run_dir(out_dir, overwrite=False, resume=False):
    """Return (folder, note): the folder this run writes to and a line saying why.

    An earlier run is never replaced silently: without --overwrite the new run
    goes to the next free numbered folder (``runs/x-2``, ``runs/x-3``, ...).
    """
    folder = Path(out_dir).expanduser()
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--out-dir {folder} is a file; name a folder")
    holds_run = (folder / HISTORY_FILE).exists()
    note = None
    if resume:
        if not (folder / CHECKPOINT_DIR).is_dir():
            raise UserError(f"nothing to resume in {folder}: it has no checkpoints; run without --resume")
        note = f"resuming the run in {folder}"
    elif holds_run and overwrite:
        for name in RUN_FILES:
            path = folder / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
        note = f"replacing the earlier run in {folder} (--overwrite)"
    elif holds_run:
        number = 2
        while (folder.parent / f"{folder.name}-{number}").exists():
            number += 1
        new_folder = folder.parent / f"{folder.name}-{number}"
        note = f"{folder} holds an earlier run; writing to {new_folder} (--overwrite replaces it)"
        folder = new_folder
    check_writable(folder)
    return folder, note


def check_writable(folder):
    """Fail now, not after minutes of training, if the folder cannot be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except (NotADirectoryError, FileExistsError):
        raise UserError(f"cannot create --out-dir {folder}: part of that path is a file") from None
    except OSError as e:
        raise UserError(f"cannot write to --out-dir {folder} ({e.strerror}); choose another folder") from None


def write_atomic(path, write):
    """Call ``write(file_object)`` on a temporary file, then rename it over ``path``.

    A run killed while saving leaves the previous file whole.
    """
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp_name, 0o666 & ~UMASK)  # mkstemp makes it private; give it the usual mode
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once: os.umask can only be read by setting it, which is not something to do on every save.
UMASK = current_umask()


def write_json(path, data):
    write_atomic(path, lambda f: f.write(json.dumps(data, indent=1).encode()))

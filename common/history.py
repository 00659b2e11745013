"""A run's history: every recorded point, the settings and versions, saved as JSON."""

import json
import math
import platform
from pathlib import Path

from common.errors import UserError
from common.outputs import write_json

import numpy as np

FORMAT = "tf2-mnist-tutorial-history"
VERSION = 1
CURVES = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")
# Percentiles of all weights (and of all biases) kept at every display step.
PERCENTILES = (0, 5, 25, 50, 75, 95, 100)


class History:
    """What a run recorded. ``records`` holds one list per curve, aligned with ``step``."""

    def __init__(self, info):
        self.info = dict(info)  # script, network, dataset, settings, versions, status...
        self.records = {"step": [], **{name: [] for name in CURVES}}
        self.parameters = {"step": [], "weights": [], "biases": []}

    def add(self, step, train_loss, train_accuracy, test_loss, test_accuracy):
        self.records["step"].append(int(step))
        for name, value in zip(CURVES, (train_loss, train_accuracy, test_loss, test_accuracy), strict=True):
            self.records[name].append(float(value))

    def add_parameters(self, step, weights, biases):
        """Percentiles of every weight and every bias value in the network now."""
        self.parameters["step"].append(int(step))
        for key, tensors in (("weights", weights), ("biases", biases)):
            values = np.concatenate([np.ravel(t) for t in tensors]) if tensors else np.zeros(1)
            with np.errstate(invalid="ignore"):  # a diverged network's inf/nan weights: nan, quietly
                percentiles = np.percentile(values, PERCENTILES)
            self.parameters[key].append([float(p) for p in percentiles])

    def truncate(self, last_step, display_step):
        """Keep the points of the display grid up to ``last_step`` (used by --resume)."""
        keep = [i for i, s in enumerate(self.records["step"]) if s <= last_step and s % display_step == 0]
        self.records = {name: [values[i] for i in keep] for name, values in self.records.items()}
        keep = [i for i, s in enumerate(self.parameters["step"]) if s <= last_step and s % display_step == 0]
        self.parameters = {name: [values[i] for i in keep] for name, values in self.parameters.items()}

    @property
    def last(self):
        """The latest point as a dict, or None before the first."""
        if not self.records["step"]:
            return None
        return {name: values[-1] for name, values in self.records.items()}

    def to_dict(self):
        # JSON has no NaN or infinity: a diverged run's values are written as null.
        return {
            "format": FORMAT,
            "version": VERSION,
            **self.info,
            "records": {name: finite_or_none(values) for name, values in self.records.items()},
            "parameter_percentiles": {
                "percentiles": list(PERCENTILES),
                "step": self.parameters["step"],
                "weights": [finite_or_none(row) for row in self.parameters["weights"]],
                "biases": [finite_or_none(row) for row in self.parameters["biases"]],
            },
        }

    def save(self, path):
        write_json(path, self.to_dict())

    @classmethod
    def from_dict(cls, data, where="history"):
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise UserError(f"{where} is not a history written by these scripts")
        records = data.get("records")
        if not isinstance(records, dict) or any(not isinstance(records.get(k), list) for k in ("step", *CURVES)):
            raise UserError(f"{where} is damaged: its records are incomplete")
        lengths = {len(records[k]) for k in ("step", *CURVES)}
        if len(lengths) != 1:
            raise UserError(f"{where} is damaged: its curves have different lengths")
        info = {k: v for k, v in data.items() if k not in ("format", "version", "records", "parameter_percentiles")}
        history = cls(info)
        history.records = {"step": list(records["step"]), **{k: none_to_nan(records[k]) for k in CURVES}}
        parameters = data.get("parameter_percentiles") or {}
        history.parameters = {
            "step": list(parameters.get("step", [])),
            "weights": [none_to_nan(row) for row in parameters.get("weights", [])],
            "biases": [none_to_nan(row) for row in parameters.get("biases", [])],
        }
        return history

    @classmethod
    def load(cls, path):
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise UserError(f"{path} does not exist") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise UserError(f"{path} is damaged and cannot be read ({e})") from None
        return cls.from_dict(data, where=str(path))


def finite_or_none(values):
    return [v if v is None or math.isfinite(v) else None for v in values]


def none_to_nan(values):
    return [math.nan if v is None else v for v in values]


def versions():
    import tensorflow as tf

    return {
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }

"""Looking inside a finished run: its mistakes on the test set and how its parameters evolved."""

from common import outputs
from common.data import CLASS_NAMES, NUM_CLASSES
from common.plots import plot_confusion, plot_mistakes, plot_parameters, run_title

import numpy as np


def confusion_matrix(labels, predictions, num_classes=NUM_CLASSES):
    """``matrix[true][predicted]``: how many test images of class ``true`` were taken for ``predicted``."""
    pairs = np.asarray(labels, dtype=np.int64) * num_classes + np.asarray(predictions, dtype=np.int64)
    return np.bincount(pairs, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def save_inspection(history, data, predictions, out_dir, tensorboard):
    """At the end of a run: the confusion matrix into the history, the three figures, their TensorBoard images.

    ``predictions`` are the network's labels for ``data.test_images``, made with the final weights.
    """
    class_names = CLASS_NAMES[data.name]
    matrix = confusion_matrix(data.test_labels, predictions)
    history.info["class_names"] = list(class_names)
    history.info["confusion_matrix"] = matrix.tolist()  # rows: true label, columns: predicted

    title = run_title(history)
    plot_parameters(history, out_dir / outputs.PARAMETERS_PLOT)
    plot_mistakes(data.test_images, data.test_labels, predictions, out_dir / outputs.MISTAKES_PLOT, class_names, title)
    plot_confusion(matrix, out_dir / outputs.CONFUSION_PLOT, class_names, title)

    step = history.last["step"]
    tensorboard.image("misclassified test images", out_dir / outputs.MISTAKES_PLOT, step)
    tensorboard.image("confusion matrix", out_dir / outputs.CONFUSION_PLOT, step)
    tensorboard.close()

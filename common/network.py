"""The base class of the six networks: a ``tf.Module`` with a resumable dropout."""

import tensorflow as tf


class Network(tf.Module):
    """A network built from ``tf.Variable``s; subclasses define ``__call__``.

    ``__call__(images, training=False)`` takes a batch of images [B, 28, 28, 1]
    scaled to [0, 1] and returns the logits [B, 10].
    """

    def __init__(self, name=None):
        super().__init__(name=name)
        # Dropout draws from this generator. Its state is a variable of the
        # network, so a checkpoint saves it and a resumed run drops the same
        # neurons as one that never stopped.
        self.rng = tf.random.get_global_generator().split(1)[0]

    def dropout(self, x, rate, training):
        """``tf.nn.dropout(x, rate)`` while training, ``x`` unchanged when testing."""
        if not training or rate == 0:
            return x
        seed = self.rng.make_seeds(1)[:, 0]
        return tf.nn.experimental.stateless_dropout(x, rate=rate, seed=seed)

    @property
    def weights(self):
        """Matrices and convolution kernels."""
        return [v for v in self.trainable_variables if v.shape.rank >= 2]

    @property
    def biases(self):
        return [v for v in self.trainable_variables if v.shape.rank == 1]


def set_seed(seed):
    """Make a run repeatable: same seed, same flags, same history, value for value (CPU)."""
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
    tf.random.set_global_generator(tf.random.Generator.from_seed(seed))
    tf.config.experimental.enable_op_determinism()

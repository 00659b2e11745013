r"""MNIST 1.0: one softmax layer, gradient descent (about 92% test accuracy).

Each 28x28 image is flattened into 784 pixels; one layer of 10 neurons, one per
digit, weighs all the pixels, and softmax turns the 10 sums into probabilities.

    o o o o o o o o o o       (input data, flattened pixels)       X [batch, 784]
    \x/x\x/x\x/x\x/x\x/    -- fully connected layer (softmax) W [784, 10]   b [10]
      o o o o o o o o                                              Y [batch, 10]

The model is
    Y = softmax(X.W + b)
where X.W multiplies every image (a row of X) by the weight matrix W, and b
adds one bias per digit.
"""

import common  # noqa: F401  (first: keeps TensorFlow's start-up log quiet)
from common.cli import parse_args
from common.network import Network, set_seed
from common.optimizers import GradientDescent
from common.training import run_training

import tensorflow as tf


class SingleLayerNN(Network):
    """One softmax layer: 784 pixels -> 10 digits."""

    def __init__(self):
        super().__init__()
        # Variables: the weights start small and random, the biases at zero.
        self.W = tf.Variable(tf.random.truncated_normal([784, 10], stddev=0.1), name="W")
        self.b = tf.Variable(tf.zeros([10]), name="b")

    def __call__(self, images, training=False):
        X = tf.reshape(images, [-1, 784])  # flatten the images into rows of 784 pixels
        # The logits; softmax itself is applied inside the loss, where it is
        # computed together with the logarithm in a numerically stable way.
        return tf.matmul(X, self.W) + self.b


def loss_fn(logits, labels):
    """Cross-entropy of softmax(logits) against the one-hot labels, mean over the batch, x100.

    The tutorial's scale: the sum over 100 images rather than the mean, which
    makes the learning rate below behave as it did there.
    """
    return 100.0 * tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits))


def main(argv=None):
    args = parse_args(__file__, __doc__, lr=0.005, argv=argv)
    set_seed(args.seed)
    model = SingleLayerNN()
    optimizer = GradientDescent(learning_rate=args.lr)  # plain gradient descent
    run_training(model, loss_fn, optimizer, args)


if __name__ == "__main__":
    main()

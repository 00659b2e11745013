r"""MNIST 3.1: the convolutional network with ReLU, dropout and He initialisation (about 99%).

Three changes from 3.0, each one lesson of the dense networks brought over:
ReLU instead of sigmoid (gradients that do not fade), dropout on the large
fully-connected layer (where most of the weights, and so most of the
overfitting, are), and weights drawn at the scale ReLU needs. He
initialisation draws each weight with variance 2 / (number of inputs of the
neuron), so the signal neither explodes nor dies out from layer to layer; the
biases start slightly positive so that every ReLU is active at first.

  @ @ @ @ @ @ @ @ @ @     -- conv. layer 5x5x1=>4, stride 1, relu         W1 [5, 5, 1, 4]    b1 [4]
  :::::::::::::::::::                                                     Y1 [batch, 28, 28, 4]
    @ @ @ @ @ @ @ @       -- conv. layer 3x3x4=>8, relu, max-pool 2       W2 [3, 3, 4, 8]    b2 [8]
    :::::::::::::::                                                       Y2 [batch, 14, 14, 8]
      @ @ @ @ @ @         -- conv. layer 3x3x8=>16, relu, max-pool 2      W3 [3, 3, 8, 16]   b3 [16]
      :::::::::::                                                         Y3 [batch, 7, 7, 16]
                                                                          => flattened [batch, 784]
      \x/x\x/x\x/ D       -- fully connected layer (relu+dropout)         W4 [784, 256]      b4 [256]
       o o o o o                                                          Y4 [batch, 256]
        \x/x\x/           -- fully connected layer (softmax)              W5 [256, 10]       b5 [10]
         o o o                                                            Y5 [batch, 10]

All convolutions have stride 1 and SAME padding. D: dropout, keep 0.75, training only.
"""

import math

import common  # noqa: F401  (first: keeps TensorFlow's start-up log quiet)
from common.cli import parse_args
from common.network import Network, set_seed
from common.optimizers import Adam
from common.training import run_training

import tensorflow as tf

DROPOUT_RATE = 0.25  # the tutorial's pkeep = 0.75


def he_weights(shape, name):
    """He (variance-scaling) initialisation: variance 2 / fan-in, fan-in = all inputs of one neuron."""
    fan_in = math.prod(shape[:-1])
    return tf.Variable(tf.random.truncated_normal(shape, stddev=math.sqrt(2.0 / fan_in)), name=name)


def small_positive_biases(size, name):
    return tf.Variable(tf.fill([size], 0.1), name=name)


class ConvNetReLUDropout(Network):
    """Three convolutional layers (4, 8, 16 channels), a 256-neuron layer with dropout, softmax; ReLU."""

    def __init__(self):
        super().__init__()
        self.W1 = he_weights([5, 5, 1, 4], "W1")
        self.b1 = small_positive_biases(4, "b1")
        self.W2 = he_weights([3, 3, 4, 8], "W2")
        self.b2 = small_positive_biases(8, "b2")
        self.W3 = he_weights([3, 3, 8, 16], "W3")
        self.b3 = small_positive_biases(16, "b3")
        self.W4 = he_weights([7 * 7 * 16, 256], "W4")
        self.b4 = small_positive_biases(256, "b4")
        self.W5 = he_weights([256, 10], "W5")
        self.b5 = small_positive_biases(10, "b5")

    def __call__(self, images, training=False):
        Y1 = tf.nn.relu(tf.nn.conv2d(images, self.W1, strides=1, padding="SAME") + self.b1)
        Y2 = tf.nn.relu(tf.nn.conv2d(Y1, self.W2, strides=1, padding="SAME") + self.b2)
        Y2 = tf.nn.max_pool2d(Y2, ksize=2, strides=2, padding="SAME")  # 28x28 -> 14x14
        Y3 = tf.nn.relu(tf.nn.conv2d(Y2, self.W3, strides=1, padding="SAME") + self.b3)
        Y3 = tf.nn.max_pool2d(Y3, ksize=2, strides=2, padding="SAME")  # 14x14 -> 7x7
        YY = tf.reshape(Y3, [-1, 7 * 7 * 16])
        # self.dropout is tf.nn.dropout while training and does nothing when testing.
        Y4 = self.dropout(tf.nn.relu(tf.matmul(YY, self.W4) + self.b4), DROPOUT_RATE, training)
        return tf.matmul(Y4, self.W5) + self.b5  # logits; softmax is in the loss


def loss_fn(logits, labels):
    """Softmax cross-entropy, mean over the batch, x100 (the tutorial's scale)."""
    return 100.0 * tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits))


def main(argv=None):
    args = parse_args(__file__, __doc__, lr=0.003, argv=argv)
    set_seed(args.seed)
    model = ConvNetReLUDropout()
    optimizer = Adam(learning_rate=args.lr)
    run_training(model, loss_fn, optimizer, args)


if __name__ == "__main__":
    main()

r"""MNIST 3.0: a convolutional network, sigmoid, Adam (about 98.5%).

The dense networks flatten each image and so forget which pixels are
neighbours. A convolutional layer slides small filters (5x5 or 3x3 pixels)
over the image: the same few weights look for the same pattern everywhere,
and each filter yields one channel of a feature map. Max-pooling keeps the
strongest response in every 2x2 patch, halving the map's size, so the deeper
layers see larger parts of the digit. A fully-connected layer then reads the
7x7x16 feature map and a softmax layer gives the digit.

  @ @ @ @ @ @ @ @ @ @     -- conv. layer 5x5x1=>4, stride 1, sigmoid      W1 [5, 5, 1, 4]    b1 [4]
  :::::::::::::::::::                                                     Y1 [batch, 28, 28, 4]
    @ @ @ @ @ @ @ @       -- conv. layer 3x3x4=>8, sigmoid, max-pool 2    W2 [3, 3, 4, 8]    b2 [8]
    :::::::::::::::                                                       Y2 [batch, 14, 14, 8]
      @ @ @ @ @ @         -- conv. layer 3x3x8=>16, sigmoid, max-pool 2   W3 [3, 3, 8, 16]   b3 [16]
      :::::::::::                                                         Y3 [batch, 7, 7, 16]
                                                                          => flattened [batch, 784]
      \x/x\x/x\x/         -- fully connected layer (sigmoid)              W4 [784, 256]      b4 [256]
       o o o o o                                                          Y4 [batch, 256]
        \x/x\x/           -- fully connected layer (softmax)              W5 [256, 10]       b5 [10]
         o o o                                                            Y5 [batch, 10]

All convolutions have stride 1 and SAME padding (the output is as large as the input).
"""

import common  # noqa: F401  (first: keeps TensorFlow's start-up log quiet)
from common.cli import parse_args
from common.network import Network, set_seed
from common.optimizers import Adam
from common.training import run_training

import tensorflow as tf


class ConvNet(Network):
    """Three convolutional layers (4, 8, 16 channels), a 256-neuron layer, softmax; sigmoid."""

    def __init__(self):
        super().__init__()
        # Variables: a convolution's weights are [height, width, input channels, output channels].
        self.W1 = tf.Variable(tf.random.truncated_normal([5, 5, 1, 4], stddev=0.1), name="W1")
        self.b1 = tf.Variable(tf.random.truncated_normal([4], stddev=0.1), name="b1")
        self.W2 = tf.Variable(tf.random.truncated_normal([3, 3, 4, 8], stddev=0.1), name="W2")
        self.b2 = tf.Variable(tf.random.truncated_normal([8], stddev=0.1), name="b2")
        self.W3 = tf.Variable(tf.random.truncated_normal([3, 3, 8, 16], stddev=0.1), name="W3")
        self.b3 = tf.Variable(tf.random.truncated_normal([16], stddev=0.1), name="b3")
        self.W4 = tf.Variable(tf.random.truncated_normal([7 * 7 * 16, 256], stddev=0.1), name="W4")
        self.b4 = tf.Variable(tf.random.truncated_normal([256], stddev=0.1), name="b4")
        self.W5 = tf.Variable(tf.random.truncated_normal([256, 10], stddev=0.1), name="W5")
        self.b5 = tf.Variable(tf.random.truncated_normal([10], stddev=0.1), name="b5")

    def __call__(self, images, training=False):
        # images: [batch, 28, 28, 1]
        Y1 = tf.nn.sigmoid(tf.nn.conv2d(images, self.W1, strides=1, padding="SAME") + self.b1)
        Y2 = tf.nn.sigmoid(tf.nn.conv2d(Y1, self.W2, strides=1, padding="SAME") + self.b2)
        Y2 = tf.nn.max_pool2d(Y2, ksize=2, strides=2, padding="SAME")  # 28x28 -> 14x14
        Y3 = tf.nn.sigmoid(tf.nn.conv2d(Y2, self.W3, strides=1, padding="SAME") + self.b3)
        Y3 = tf.nn.max_pool2d(Y3, ksize=2, strides=2, padding="SAME")  # 14x14 -> 7x7
        YY = tf.reshape(Y3, [-1, 7 * 7 * 16])
        Y4 = tf.nn.sigmoid(tf.matmul(YY, self.W4) + self.b4)
        return tf.matmul(Y4, self.W5) + self.b5  # logits; softmax is in the loss


def loss_fn(logits, labels):
    """Softmax cross-entropy, mean over the batch, x100 (the tutorial's scale)."""
    return 100.0 * tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits))


def main(argv=None):
    args = parse_args(__file__, __doc__, lr=0.003, argv=argv)
    set_seed(args.seed)
    model = ConvNet()
    optimizer = Adam(learning_rate=args.lr)
    run_training(model, loss_fn, optimizer, args)


if __name__ == "__main__":
    main()

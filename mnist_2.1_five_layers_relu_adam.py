r"""MNIST 2.1: five fully-connected layers with ReLU, Adam (about 98%).

Two changes from 2.0. ReLU (max(0, x)) replaces the sigmoid: its gradient does
not fade to nothing for large inputs, so the deep layers keep learning. Adam
replaces plain gradient descent: it adapts the step size of every weight from
the history of its gradients and crosses flat regions much faster.

    o o o o o o o o o o       (input data, flattened pixels)       X  [batch, 784]
    \x/x\x/x\x/x\x/x\x/    -- fully connected layer (relu)    W1 [784, 200]  b1 [200]
     o o o o o o o o o                                             Y1 [batch, 200]
      \x/x\x/x\x/x\x/      -- fully connected layer (relu)    W2 [200, 100]  b2 [100]
       o o o o o o o                                               Y2 [batch, 100]
        \x/x\x/x\x/        -- fully connected layer (relu)    W3 [100, 60]   b3 [60]
         o o o o o                                                 Y3 [batch, 60]
          \x/x\x/          -- fully connected layer (relu)    W4 [60, 30]    b4 [30]
           o o o                                                   Y4 [batch, 30]
            \x/            -- fully connected layer (softmax) W5 [30, 10]    b5 [10]
             o                                                     Y5 [batch, 10]
"""

import common  # noqa: F401  (first: keeps TensorFlow's start-up log quiet)
from common.cli import parse_args
from common.network import Network, set_seed
from common.optimizers import Adam
from common.training import run_training

import tensorflow as tf


class FiveLayersReLU(Network):
    """Five fully-connected layers 784-200-100-60-30-10, ReLU."""

    def __init__(self):
        super().__init__()
        self.W1 = tf.Variable(tf.random.truncated_normal([784, 200], stddev=0.1), name="W1")
        self.b1 = tf.Variable(tf.zeros([200]), name="b1")
        self.W2 = tf.Variable(tf.random.truncated_normal([200, 100], stddev=0.1), name="W2")
        self.b2 = tf.Variable(tf.zeros([100]), name="b2")
        self.W3 = tf.Variable(tf.random.truncated_normal([100, 60], stddev=0.1), name="W3")
        self.b3 = tf.Variable(tf.zeros([60]), name="b3")
        self.W4 = tf.Variable(tf.random.truncated_normal([60, 30], stddev=0.1), name="W4")
        self.b4 = tf.Variable(tf.zeros([30]), name="b4")
        self.W5 = tf.Variable(tf.random.truncated_normal([30, 10], stddev=0.1), name="W5")
        self.b5 = tf.Variable(tf.zeros([10]), name="b5")

    def __call__(self, images, training=False):
        X = tf.reshape(images, [-1, 784])
        Y1 = tf.nn.relu(tf.matmul(X, self.W1) + self.b1)
        Y2 = tf.nn.relu(tf.matmul(Y1, self.W2) + self.b2)
        Y3 = tf.nn.relu(tf.matmul(Y2, self.W3) + self.b3)
        Y4 = tf.nn.relu(tf.matmul(Y3, self.W4) + self.b4)
        return tf.matmul(Y4, self.W5) + self.b5  # logits; softmax is in the loss


def loss_fn(logits, labels):
    """Softmax cross-entropy, mean over the batch, x100 (the tutorial's scale)."""
    return 100.0 * tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits))


def main(argv=None):
    args = parse_args(__file__, __doc__, lr=0.003, argv=argv)
    set_seed(args.seed)
    model = FiveLayersReLU()
    optimizer = Adam(learning_rate=args.lr)
    # XLA compiles this network's whole training step into one program: about 1.6x
    # faster here (on dropout and on the convolutional networks it is slower).
    run_training(model, loss_fn, optimizer, args, jit_compile=True)


if __name__ == "__main__":
    main()

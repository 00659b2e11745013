"""Gradient descent and Adam as the tutorial's TensorFlow 1 computed them, one fused op per variable.

``tf.keras.optimizers.SGD`` and ``Adam`` would train these networks just as
well, but they spell each update out in a dozen small ops per variable, and
with networks this small those ops cost as much as the network itself. The
fused kernels (``ResourceApplyGradientDescent``, ``ResourceApplyAdam``) are the
ones ``tf.compat.v1.train.GradientDescentOptimizer`` and ``AdamOptimizer`` call,
so the updates are those of the original tutorial, epsilon included.

Both are ``tf.Module``s: a ``tf.train.Checkpoint`` saves their state (Adam's
moments and step count) with the network, which is what ``--resume`` needs.
"""

import tensorflow as tf


class GradientDescent(tf.Module):
    """w <- w - learning_rate * gradient."""

    def __init__(self, learning_rate, name="GradientDescent"):
        super().__init__(name=name)
        self.learning_rate = float(learning_rate)

    def build(self, variables):
        """Nothing to create: plain gradient descent keeps no state."""

    def apply_gradients(self, grads_and_vars):
        for gradient, variable in grads_and_vars:
            tf.raw_ops.ResourceApplyGradientDescent(
                var=variable.handle, alpha=tf.constant(self.learning_rate, variable.dtype), delta=gradient
            )


class Adam(tf.Module):
    """Adam (Kingma and Ba, 2014): a step per weight scaled by running averages of its gradients.

    m <- beta_1 m + (1 - beta_1) g,   v <- beta_2 v + (1 - beta_2) g^2,
    w <- w - learning_rate * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8, name="Adam"):
        super().__init__(name=name)
        self.learning_rate = float(learning_rate)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.iterations = tf.Variable(0, dtype=tf.int64, trainable=False, name="iterations")
        # Each variable's (m, v), by its name: names make checkpoint keys that match across runs.
        self.moments = {}

    def build(self, variables):
        """Create the moment accumulators, once, before the first compiled step."""
        if self.moments:
            return
        names = [variable.name for variable in variables]
        if len(set(names)) != len(names):
            raise ValueError(f"Adam needs variables with distinct names, got {names}")
        for variable in variables:
            m = tf.Variable(tf.zeros_like(variable), trainable=False, name="m")
            v = tf.Variable(tf.zeros_like(variable), trainable=False, name="v")
            self.moments[variable.name] = (m, v)

    def apply_gradients(self, grads_and_vars):
        grads_and_vars = list(grads_and_vars)
        self.build([variable for _, variable in grads_and_vars])
        t = tf.cast(self.iterations + 1, tf.float32)
        beta_1_power = tf.pow(self.beta_1, t)
        beta_2_power = tf.pow(self.beta_2, t)
        for gradient, variable in grads_and_vars:
            m, v = self.moments[variable.name]
            tf.raw_ops.ResourceApplyAdam(
                var=variable.handle,
                m=m.handle,
                v=v.handle,
                beta1_power=beta_1_power,
                beta2_power=beta_2_power,
                lr=tf.constant(self.learning_rate),
                beta1=tf.constant(self.beta_1),
                beta2=tf.constant(self.beta_2),
                epsilon=tf.constant(self.epsilon),
                grad=gradient,
            )
        self.iterations.assign_add(1)

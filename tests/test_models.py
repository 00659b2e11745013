"""The six networks: their variables, their output, and one step of their own optimiser."""

from common.network import Network, set_seed

import numpy as np
import pytest
import tensorflow as tf
from conftest import SCRIPTS, load_script, synthetic_digits

DENSE_5 = {
    "W1": [784, 200],
    "b1": [200],
    "W2": [200, 100],
    "b2": [100],
    "W3": [100, 60],
    "b3": [60],
    "W4": [60, 30],
    "b4": [30],
    "W5": [30, 10],
    "b5": [10],
}
CONV = {
    "W1": [5, 5, 1, 4],
    "b1": [4],
    "W2": [3, 3, 4, 8],
    "b2": [8],
    "W3": [3, 3, 8, 16],
    "b3": [16],
    "W4": [784, 256],
    "b4": [256],
    "W5": [256, 10],
    "b5": [10],
}

GRADIENT_DESCENT = ("GradientDescent", "SGD")
ADAM = ("Adam",)

# script: (network class, optimiser (class names), default learning rate, variables, uses dropout)
EXPECTED = {
    "mnist_1.0_single_layer_nn.py": ("SingleLayerNN", GRADIENT_DESCENT, 0.005, {"W": [784, 10], "b": [10]}, False),
    "mnist_2.0_five_layers_sigmoid.py": ("FiveLayersSigmoid", GRADIENT_DESCENT, 0.005, DENSE_5, False),
    "mnist_2.1_five_layers_relu_adam.py": ("FiveLayersReLU", ADAM, 0.003, DENSE_5, False),
    "mnist_2.2_five_layers_relu_adam_dropout.py": ("FiveLayersReLUDropout", ADAM, 0.003, DENSE_5, True),
    "mnist_3.0_convnet.py": ("ConvNet", ADAM, 0.003, CONV, False),
    "mnist_3.1_convnet_dropout_relu.py": ("ConvNetReLUDropout", ADAM, 0.003, CONV, True),
}


def build(script, seed=0):
    module = load_script(script)
    set_seed(seed)
    return getattr(module, EXPECTED[script][0])()


def script_setup(script, monkeypatch):
    """What the script's own main() hands to the training loop: (model, loss_fn, optimizer, args)."""
    module = load_script(script)
    captured = {}

    def capture(model, loss_fn, optimizer, args, *rest, **kwargs):
        captured.update(model=model, loss_fn=loss_fn, optimizer=optimizer, args=args)

    monkeypatch.setattr(module, "run_training", capture)
    module.main([])
    assert captured, f"{script}: main() did not call run_training"
    return captured["model"], captured["loss_fn"], captured["optimizer"], captured["args"]


def fixed_batch(size=100, seed=3):
    images, labels = synthetic_digits(size, seed)
    x = tf.constant(images[..., np.newaxis].astype(np.float32) / 255.0)
    y = tf.one_hot(labels.astype(np.int32), 10)
    return x, y


def test_the_table_covers_every_script():
    assert sorted(EXPECTED) == sorted(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_network_class(script):
    module = load_script(script)
    classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, Network) and value.__module__ == module.__name__
    ]
    assert [cls.__name__ for cls in classes] == [EXPECTED[script][0]]


@pytest.mark.parametrize("script", SCRIPTS)
def test_variable_shapes(script):
    model = build(script)
    expected = EXPECTED[script][3]
    for name, shape in expected.items():
        variable = getattr(model, name)
        assert variable.trainable, name
        assert variable.dtype == tf.float32, name
        assert variable.shape.as_list() == shape, name
    # Nothing trainable besides the expected variables.
    assert sorted(v.shape.as_list() for v in model.trainable_variables) == sorted(expected.values())
    assert len(model.weights) == len([s for s in expected.values() if len(s) >= 2])
    assert len(model.biases) == len([s for s in expected.values() if len(s) == 1])


@pytest.mark.parametrize("batch", [1, 7])
@pytest.mark.parametrize("script", SCRIPTS)
def test_output_shape(script, batch):
    model = build(script)
    x, _ = fixed_batch(batch)
    assert x.shape == (batch, 28, 28, 1)
    assert float(tf.reduce_min(x)) >= 0.0 and float(tf.reduce_max(x)) <= 1.0
    for training in (False, True):
        logits = model(x, training=training)
        assert logits.shape == (batch, 10)
        assert logits.dtype == tf.float32
        assert np.all(np.isfinite(logits.numpy()))


@pytest.mark.parametrize("script", SCRIPTS)
def test_same_seed_same_weights(script):
    first = [v.numpy() for v in build(script, seed=1).trainable_variables]
    second = [v.numpy() for v in build(script, seed=1).trainable_variables]
    other = [v.numpy() for v in build(script, seed=2).trainable_variables]
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, c) for a, c in zip(first, other, strict=True))


@pytest.mark.parametrize("script", SCRIPTS)
def test_dropout_only_while_training(script):
    model = build(script)
    x, _ = fixed_batch(20)
    testing = model(x, training=False).numpy()
    np.testing.assert_array_equal(testing, model(x, training=False).numpy())
    training = model(x, training=True).numpy()
    uses_dropout = EXPECTED[script][4]
    if uses_dropout:
        assert not np.allclose(training, testing)
    else:
        np.testing.assert_allclose(training, testing, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("script", SCRIPTS)
def test_optimiser_and_default_lr(script, monkeypatch):
    _, _, optimizer, args = script_setup(script, monkeypatch)
    assert type(optimizer).__name__ in EXPECTED[script][1]
    assert args.lr == pytest.approx(EXPECTED[script][2])
    learning_rate = optimizer.learning_rate
    learning_rate = learning_rate.numpy() if hasattr(learning_rate, "numpy") else learning_rate
    assert float(learning_rate) == pytest.approx(EXPECTED[script][2])


def train_on(model, loss_fn, optimizer, x, y, steps):
    """``steps`` updates on one batch; returns the test-mode loss before and after."""
    before = float(loss_fn(model(x, training=False), y))
    variables = model.trainable_variables
    optimizer.build(variables)  # as the training loop does, before its compiled step
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = loss_fn(model(x, training=True), y)
        gradients = tape.gradient(loss, variables)
        assert all(g is not None for g in gradients), "a variable gets no gradient"
        optimizer.apply_gradients(zip(gradients, variables, strict=True))
    after = float(loss_fn(model(x, training=False), y))
    assert np.isfinite(before) and np.isfinite(after)
    return before, after


# Adam's first update moves every weight by about the learning rate, in the
# direction of its gradient's sign. On the sigmoid convnet (3.0) at lr 0.003
# that first step overshoots: the loss on the batch rises, then falls from the
# third step on (see test_a_few_steps_lower_the_loss).
@pytest.mark.parametrize("script", SCRIPTS)
def test_one_step_lowers_the_loss(script, monkeypatch):
    model, loss_fn, optimizer, _ = script_setup(script, monkeypatch)
    assert type(model).__name__ == EXPECTED[script][0]
    # A tenth of the default rate: small enough for one step to go downhill on every network
    # (at the full rate, Adam's first step overshoots on 3.0's sigmoid convnet).
    optimizer.learning_rate /= 10
    x, y = fixed_batch(100)
    weights_before = [v.numpy() for v in model.trainable_variables]
    before, after = train_on(model, loss_fn, optimizer, x, y, steps=1)
    assert all(not np.array_equal(w, v.numpy()) for w, v in zip(weights_before, model.trainable_variables, strict=True))
    assert after < before, f"{script}: loss {before:.4f} -> {after:.4f}"


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_few_steps_lower_the_loss(script, monkeypatch):
    model, loss_fn, optimizer, _ = script_setup(script, monkeypatch)
    x, y = fixed_batch(100)
    before, after = train_on(model, loss_fn, optimizer, x, y, steps=5)
    assert after < before, f"{script}: loss {before:.4f} -> {after:.4f} after 5 steps"


@pytest.mark.parametrize("script", SCRIPTS)
def test_loss_is_cross_entropy_times_100(script):
    loss_fn = load_script(script).loss_fn
    logits = tf.constant([[2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0] * 10])
    labels = tf.one_hot([0, 3], 10)
    expected = 100.0 * np.mean([-np.log(np.exp(2.0) / (np.exp(2.0) + 9.0)), np.log(10.0)])
    assert float(loss_fn(logits, labels)) == pytest.approx(expected, rel=1e-5)

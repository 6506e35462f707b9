"""Every derivation in the lecture notes, with numbers worked by hand.

Each test states the notes' equation, the numbers we chose, and the result we
worked out on paper; the framework must reproduce it through its public API.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.testing import assert_allclose

from layers import Linear, Sequential, Sigmoid, Softmax
from losses import CrossEntropyLoss, MSELoss, SoftmaxCrossEntropyLoss


def linear_with(W: list[list[float]]) -> Linear:
    """A bias-free ``Linear`` holding the given ``W`` (shape (M, D))."""
    W_arr = np.array(W, dtype=np.float64)
    layer = Linear(W_arr.shape[1], W_arr.shape[0], bias=False, rng=0)
    layer.W.value = W_arr
    return layer


def test_partial_derivative_of_x2_cos_xy() -> None:
    # ∂/∂x x² cos(xy) = 2x cos(xy) − x² sin(xy) y.  At (x, y) = (2, π/4):
    # 2·2·cos(π/2) − 4·sin(π/2)·π/4 = 0 − π = −π.
    def f(x: float, y: float) -> float:
        return x**2 * math.cos(x * y)

    x, y = 2.0, math.pi / 4
    analytic = 2 * x * math.cos(x * y) - x**2 * math.sin(x * y) * y
    assert_allclose(analytic, -math.pi, rtol=1e-12)
    h = 1e-5  # the notes' limit, taken as a central difference
    numeric = (f(x + h, y) - f(x - h, y)) / (2 * h)
    assert_allclose(numeric, -math.pi, rtol=1e-8)


def test_directional_derivative_is_gradient_dot_u() -> None:
    # f(x, y) = x² + 3y at (1, 2): ∇f = [2, 3]; u = [0.6, 0.8] (unit):
    # D_u f = ∇f · u = 1.2 + 2.4 = 3.6.
    def f(p: np.ndarray) -> float:
        return float(p[0] ** 2 + 3 * p[1])

    p0, u = np.array([1.0, 2.0]), np.array([0.6, 0.8])
    h = 1e-6
    limit = (f(p0 + h * u) - f(p0 - h * u)) / (2 * h)
    assert_allclose(limit, 3.6, rtol=1e-8)
    assert_allclose(np.array([2.0, 3.0]) @ u, 3.6, rtol=1e-15)


def test_linear_regression_gradient_is_2_residual_x() -> None:
    # y = wᵀx, L = (y − t)²  ⇒  ∇_w L = 2(y − t) x.
    # w = [1, 2, 3], x = [0.5, −1, 2], t = 1: y = 0.5 − 2 + 6 = 4.5,
    # ∇_w L = 2·3.5·x = [3.5, −7, 14].
    layer = linear_with([[1.0, 2.0, 3.0]])
    loss = MSELoss(reduction="sum")
    y = layer.forward(np.array([0.5, -1.0, 2.0]))
    assert_allclose(y, [4.5])
    assert loss.forward(y, np.array([1.0])) == 3.5**2
    layer.backward(loss.backward())
    assert_allclose(layer.W.grad, [[3.5, -7.0, 14.0]], rtol=1e-15)


def test_identity_grad_of_wTx_is_x() -> None:
    # (1) ∇_w wᵀx = x: backward with ∂L/∂y = 1 gives W.grad = xᵀ.
    layer = linear_with([[0.3, -0.7, 1.1]])
    x = np.array([2.0, -5.0, 0.25])
    layer.forward(x)
    layer.backward(np.array([1.0]))
    assert_allclose(layer.W.grad, [[2.0, -5.0, 0.25]], rtol=0)


def test_identity_grad_of_vTAu_is_v_uT() -> None:
    # (2) ∇_A vᵀAu = v uᵀ.  v = [1, −2], u = [3, 0, 1]:
    # v uᵀ = [[3, 0, 1], [−6, 0, −2]].
    layer = linear_with([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])  # A: any values
    layer.forward(np.array([3.0, 0.0, 1.0]))  # u
    layer.backward(np.array([1.0, -2.0]))  # v = ∂(vᵀy)/∂y
    assert_allclose(layer.W.grad, [[3.0, 0.0, 1.0], [-6.0, 0.0, -2.0]], rtol=0)


def test_multi_output_gradient_is_2_residual_xT() -> None:
    # y = W x, L = ‖y − t‖²  ⇒  ∇_W L = 2(y − t) xᵀ.
    # W = [[1, 0, −1], [2, 1, 0]], x = [1, 2, 3]: y = [−2, 4]; t = [0, 1]:
    # 2(y − t) = [−4, 6]; ∇_W L = [[−4, −8, −12], [6, 12, 18]]; L = 4 + 9 = 13.
    layer = linear_with([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    loss = MSELoss()
    y = layer.forward(np.array([1.0, 2.0, 3.0]))
    assert_allclose(y, [-2.0, 4.0])
    assert loss.forward(y, np.array([0.0, 1.0])) == 13.0
    assert_allclose(loss.backward(), [-4.0, 6.0], rtol=0)
    layer.backward(loss.backward())
    assert_allclose(layer.W.grad, [[-4.0, -8.0, -12.0], [6.0, 12.0, 18.0]], rtol=0)


def test_cross_entropy_of_one_hot_target() -> None:
    # L_CE = −Σ_k T_k log p_k with T one-hot at k = 0, p = [0.7, 0.2, 0.1]:
    # L = −log 0.7 = 0.356674943938732...; ∂L/∂p = [−1/0.7, 0, 0].
    loss = CrossEntropyLoss()
    p = np.array([0.7, 0.2, 0.1])
    for target in (np.array(0), np.array([1.0, 0.0, 0.0])):
        assert_allclose(loss.forward(p, target), 0.35667494393873245, rtol=1e-15)
        assert_allclose(loss.backward(), [-1 / 0.7, 0.0, 0.0], rtol=1e-15)


def test_cross_entropy_over_a_batch_sums_log_probabilities() -> None:
    # The notes' L_CE = −Σ_i Σ_k T_ik log p_ik over N = 2 samples:
    # labels [0, 2], p_0,0 = 0.5, p_1,2 = 0.25 ⇒ L = log 2 + log 4 = 3 log 2.
    p = np.array([[0.5, 0.25, 0.25], [0.5, 0.25, 0.25]])
    labels = np.array([0, 2])
    assert_allclose(CrossEntropyLoss(reduction="sum").forward(p, labels), 3 * math.log(2))
    assert_allclose(CrossEntropyLoss().forward(p, labels), 1.5 * math.log(2))


def test_softmax_then_cross_entropy_gradient_is_p_minus_T() -> None:
    # z = [0, log 3]: p = [1/4, 3/4]; T = [0, 1]:
    # L = −log(3/4); ∇_z L = p − T = [1/4, −1/4], through either path.
    z = np.array([0.0, math.log(3.0)])
    fused = SoftmaxCrossEntropyLoss()
    assert_allclose(fused.forward(z, np.array(1)), -math.log(0.75), rtol=1e-15)
    assert_allclose(fused.backward(), [0.25, -0.25], rtol=1e-14)
    softmax, ce = Softmax(), CrossEntropyLoss()
    ce.forward(softmax.forward(z), np.array(1))
    assert_allclose(softmax.backward(ce.backward()), [0.25, -0.25], rtol=1e-14)


def test_one_hidden_layer_net_backward_line_by_line() -> None:
    # Forward: z = W1 x, h = σ(z), y = W2 h, L = ‖y − t‖².
    # x = [1, −1], W1 = [[1, 1], [2, 2]] ⇒ z = [0, 0], h = [½, ½], σ'(z) = [¼, ¼];
    # W2 = [[2, −1]] ⇒ y = [½]; t = [3/2] ⇒ L = 1.
    # Backward, the notes' five lines:
    #   ∇_y L  = 2(y − t)              = [−2]
    #   ∇_h L  = ((∇_y L)ᵀ W2)ᵀ        = [−4, 2]
    #   ∇_W2 L = (∇_y L) hᵀ            = [[−1, −1]]
    #   ∇_z L  = (∇_h L) ∘ σ'(z)       = [−1, ½]
    #   ∇_W1 L = (∇_z L) xᵀ            = [[−1, 1], [½, −½]]
    W1, W2 = linear_with([[1.0, 1.0], [2.0, 2.0]]), linear_with([[2.0, -1.0]])
    sigma = Sigmoid()
    net, loss = Sequential(W1, sigma, W2), MSELoss()
    x, t = np.array([1.0, -1.0]), np.array([1.5])

    z = W1.forward(x)
    h = sigma.forward(z)
    y = W2.forward(h)
    assert_allclose(z, [0.0, 0.0])
    assert_allclose(h, [0.5, 0.5])
    assert_allclose(y, [0.5])
    assert loss.forward(y, t) == 1.0

    grad_y = loss.backward()
    assert_allclose(grad_y, [-2.0], rtol=0)
    grad_h = W2.backward(grad_y)
    assert_allclose(grad_h, [-4.0, 2.0], rtol=0)
    assert_allclose(W2.W.grad, [[-1.0, -1.0]], rtol=0)
    grad_z = sigma.backward(grad_h)
    assert_allclose(grad_z, [-1.0, 0.5], rtol=0)
    W1.backward(grad_z)
    assert_allclose(W1.W.grad, [[-1.0, 1.0], [0.5, -0.5]], rtol=0)

    # The container runs the same chain and must give the same numbers.
    for p in net.parameters():
        p.zero_grad()
    assert loss.forward(net.forward(x), t) == 1.0
    net.backward(loss.backward())
    assert_allclose(W2.W.grad, [[-1.0, -1.0]], rtol=0)
    assert_allclose(W1.W.grad, [[-1.0, 1.0], [0.5, -0.5]], rtol=0)


def test_one_hidden_layer_net_matches_the_notes_formulas_at_general_values() -> None:
    # The same five lines, written with NumPy from the notes, at random values.
    rng = np.random.default_rng(7)
    D, H, M = 4, 3, 2
    x, t = rng.normal(size=D), rng.normal(size=M)
    W1, W2 = Linear(D, H, bias=False, rng=1), Linear(H, M, bias=False, rng=2)
    net, loss = Sequential(W1, Sigmoid(), W2), MSELoss()
    loss.forward(net.forward(x), t)
    net.backward(loss.backward())

    z = W1.W.value @ x
    h = 1 / (1 + np.exp(-z))
    y = W2.W.value @ h
    grad_y = 2 * (y - t)
    grad_h = (grad_y.T @ W2.W.value).T
    grad_W2 = np.outer(grad_y, h)
    grad_z = grad_h * h * (1 - h)
    grad_W1 = np.outer(grad_z, x)
    assert_allclose(W2.W.grad, grad_W2, rtol=1e-13)
    assert_allclose(W1.W.grad, grad_W1, rtol=1e-13)


def test_sgd_moves_along_the_negative_gradient_and_lowers_the_loss() -> None:
    # "we move in the opposite direction of the gradient": w ← w − η ∇_w L.
    # Linear regression: w = [1, 2, 3], x = [0.5, −1, 2], t = 1: ∇ = [3.5, −7, 14];
    # η = 0.01 ⇒ w = [0.965, 2.07, 2.86].
    from optim import SGD

    layer = linear_with([[1.0, 2.0, 3.0]])
    loss = MSELoss()
    x, t = np.array([0.5, -1.0, 2.0]), np.array([1.0])
    before = loss.forward(layer.forward(x), t)
    layer.backward(loss.backward())
    SGD(layer.parameters(), lr=0.01).step()
    assert_allclose(layer.W.value, [[0.965, 2.07, 2.86]], rtol=1e-15)
    assert loss.forward(layer.forward(x), t) < before

"""The notes' linear regression: one output (y = wᵀx), then several (y = W x).

For one output with ``L = (y − t)²`` the notes derive ``∇_w L = 2(y − t) x``;
for several outputs with ``L = ‖y − t‖²``, ``∇_W L = 2(y − t) xᵀ``. We check
both formulas against the framework's ``backward`` on one sample, then fit
each model by gradient descent.

Run from the repository root:  python examples/linear_regression.py
"""

import numpy as np

import chainrule
from layers import Linear
from losses import MSELoss
from optim import SGD

# 1. One output: the diabetes data set (10 features → disease progression).
data = chainrule.load_dataset("diabetes", seed=0)
model = Linear(data.n_features, 1, bias=False, rng=0)  # y = wᵀx  (W is w as a 1×D row)
loss_fn = MSELoss()

x, t = data.X_train[0], data.y_train[0]  # one sample
y = model.forward(x)
loss_fn.forward(y, t)
model.backward(loss_fn.backward())
by_hand = 2 * (y - t) * x  # ∇_w L = 2(y − t) x
print("one output: ∇_w L matches 2(y − t)x:", np.allclose(model.W.grad[0], by_hand))

opt = SGD(model.parameters(), lr=0.01)
chainrule.fit(model, data.X_train, data.y_train, loss=loss_fn, optimizer=opt, epochs=50,
              progress=False)  # fmt: skip
print(f"one output: test R² = {chainrule.evaluate(model, data.X_test, data.y_test)['r2']:.3f}")

# 2. Several outputs: recover a known 3×5 matrix W from noisy samples of y = W x.
rng = np.random.default_rng(0)
W_true = rng.normal(size=(3, 5))
X = rng.normal(size=(500, 5))
Y = X @ W_true.T + 0.01 * rng.normal(size=(500, 3))

model = Linear(5, 3, bias=False, rng=0)
x, t = X[0], Y[0]
y = model.forward(x)
loss_fn.forward(y, t)
model.backward(loss_fn.backward())
by_hand = 2 * np.outer(y - t, x)  # ∇_W L = 2(y − t) xᵀ
print("several outputs: ∇_W L matches 2(y − t)xᵀ:", np.allclose(model.W.grad, by_hand))

opt = SGD(model.parameters(), lr=0.05)
chainrule.fit(model, X, Y, loss=loss_fn, optimizer=opt, epochs=30, progress=False)
print(f"several outputs: max |W − W_true| = {np.abs(model.W.value - W_true).max():.4f}")

"""Three interleaved spirals and the decision regions a 1-hidden-layer net learns.

No straight line separates the arms; a hidden layer of ReLUs bends the
boundary. Writes ``spirals.png`` (or the path given as the first argument).

Run from the repository root:  python examples/spirals.py [out.png]
"""

import sys

import numpy as np

import chainrule
from chainrule.plots import plot_decision_boundary
from optim import Adam

data = chainrule.load_dataset("spirals", seed=0, standardize=False)
net = chainrule.mlp(2, 100, data.n_outputs, "relu", rng=0)
opt = Adam(net.parameters(), lr=0.01)
history = chainrule.fit(net, data.X_train, data.y_train, optimizer=opt, epochs=200,
                        batch_size=32, progress=False)  # fmt: skip
score = chainrule.evaluate(net, data.X_test, data.y_test)["accuracy"]
print(f"spirals: train accuracy {history.accuracy[-1]:.2%}, test accuracy {score:.2%}")

X = np.concatenate([data.X_train, data.X_test])
y = np.concatenate([data.y_train, data.y_test])
path = sys.argv[1] if len(sys.argv) > 1 else "spirals.png"
plot_decision_boundary(net, X, y, path, title=f"spirals: 100 ReLUs, test accuracy {score:.1%}")
print(f"wrote {path}")

"""chainrule: train, evaluate and inspect nets built from hand-derived layers.

The application around the core packages ``layers``, ``losses`` and ``optim``:
data sets, the training loop, metrics, checkpoints, plots, the worked-example
trace, the step-by-step page of backprop (``explain``) and the command line
(``chainrule train``).

>>> import chainrule
>>> data = chainrule.load_dataset("xor", seed=0)
>>> net = chainrule.mlp(data.n_features, 16, data.n_outputs, rng=0)
>>> history = chainrule.fit(net, data.X_train, data.y_train, epochs=3, progress=False)
>>> len(history.loss)
3

Importing chainrule loads NumPy and the core only: scikit-learn, mnist1d,
tqdm and matplotlib are imported when a data set, progress bar or plot
needs them.
"""

from chainrule.checkpoint import Checkpoint, load, load_checkpoint, save
from chainrule.data import Dataset, Standardizer, load_dataset, minibatches
from chainrule.errors import CheckpointError, DataError, DivergenceError
from chainrule.evaluate import evaluate, predict, predict_proba
from chainrule.explainer import explain
from chainrule.fit import fit
from chainrule.history import History, StopTraining
from chainrule.metrics import accuracy, confusion_matrix, mean_squared_error, r2_score
from chainrule.model import mlp
from chainrule.trace import trace, trace_markdown
from chainrule.tracer import Trace, trace_net

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "DataError",
    "Dataset",
    "DivergenceError",
    "History",
    "Standardizer",
    "StopTraining",
    "Trace",
    "accuracy",
    "confusion_matrix",
    "evaluate",
    "explain",
    "fit",
    "load",
    "load_checkpoint",
    "load_dataset",
    "mean_squared_error",
    "minibatches",
    "mlp",
    "predict",
    "predict_proba",
    "r2_score",
    "save",
    "trace",
    "trace_markdown",
    "trace_net",
]

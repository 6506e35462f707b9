"""Data: built-in sets, toy 2-D sets, user files, splits, standardisation, minibatches."""

from chainrule.data.batches import minibatches, n_batches
from chainrule.data.dataset import BUILTIN, Dataset, load_dataset
from chainrule.data.split import Standardizer, split_indices

__all__ = [
    "BUILTIN",
    "Dataset",
    "Standardizer",
    "load_dataset",
    "minibatches",
    "n_batches",
    "split_indices",
]

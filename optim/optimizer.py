"""``Optimizer``: the base class of optimizers; it knows only ``Parameter``."""

from __future__ import annotations

from collections.abc import Iterable

from layers.errors import HyperparameterError
from layers.parameter import Parameter


class Optimizer:
    """Base class of optimizers: holds the parameters, steps them, zeroes their grads.

    Parameters
    ----------
    params : iterable of Parameter
        Usually ``net.parameters()``. ``None`` entries (a ``Linear`` built
        with ``bias=False`` has no ``b``) are skipped.
    """

    def __init__(self, params: Iterable[Parameter | None]) -> None:
        if hasattr(params, "parameters") and callable(params.parameters):
            raise HyperparameterError(
                f"{type(self).__name__}: params must be an iterable of Parameter, got "
                f"{type(params).__name__}; pass its .parameters(), e.g. "
                f"{type(self).__name__}(net.parameters(), lr=0.1)"
            )
        if isinstance(params, Parameter):
            raise HyperparameterError(
                f"{type(self).__name__}: params must be an iterable of Parameter "
                f"(e.g. net.parameters()), got a single Parameter; wrap it in a list"
            )
        checked: list[Parameter] = []
        for i, p in enumerate(params):
            if p is None:
                continue
            if not isinstance(p, Parameter):
                raise HyperparameterError(
                    f"{type(self).__name__}: params[{i}] must be a Parameter, "
                    f"got {type(p).__name__}"
                )
            if any(p is q for q in checked):
                raise HyperparameterError(
                    f"{type(self).__name__}: parameter {p.name!r} appears twice in params"
                )
            checked.append(p)
        if not checked:
            raise HyperparameterError(
                f"{type(self).__name__}: got an empty parameter list; "
                f"pass net.parameters() of a net that has parameters"
            )

        # A tuple: optimizers keep per-parameter state (velocities, moments) by
        # position, so the list must not change under them.
        self.params: tuple[Parameter, ...] = tuple(checked)

    def step(self) -> None:
        """Update every parameter from its ``grad``."""
        raise NotImplementedError(f"{type(self).__name__} must implement step()")

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to zero."""
        for p in self.params:
            p.zero_grad()

"""Name every parameter the way a user reaches it: ``W``, ``layers[2].b``, ``fc1.W``."""

from __future__ import annotations

from typing import Any

from layers.parameter import Parameter


def _walk(obj: Any, prefix: str, names: dict[int, str], seen: set[int]) -> None:
    if id(obj) in seen:
        return
    seen.add(id(obj))
    try:
        attributes = vars(obj)
    except TypeError:  # no __dict__ (a number, an array): nothing to find inside
        return
    for attr, value in attributes.items():
        if isinstance(value, Parameter):
            names.setdefault(id(value), f"{prefix}{attr}")
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if isinstance(item, Parameter):
                    names.setdefault(id(item), f"{prefix}{attr}[{i}]")
                elif hasattr(item, "backward"):
                    _walk(item, f"{prefix}{attr}[{i}].", names, seen)
        elif hasattr(value, "backward") and hasattr(value, "forward"):
            _walk(value, f"{prefix}{attr}.", names, seen)


def unlisted_parameters(layer: Any) -> list[str]:
    """Paths of Parameters reachable from ``layer``'s attributes that ``parameters()`` omits.

    An optimizer built from ``layer.parameters()`` would never update them,
    and no gradient check would look at them: usually a custom block that
    forgot to override ``parameters()`` to include its sub-layers'.
    """
    getter = getattr(layer, "parameters", None)
    listed = {id(p) for p in (getter() if callable(getter) else []) if p is not None}
    paths: dict[int, str] = {}
    _walk(layer, "", paths, set())
    return [path for pid, path in paths.items() if pid not in listed]


def named_parameters(layer: Any) -> list[tuple[str, Parameter]]:
    """``(name, parameter)`` for each entry of ``layer.parameters()``, names unique.

    The name is the attribute path from the layer (``layers[0].W`` in a
    ``Sequential``), falling back to ``Parameter.name``; a repeated name gets
    ``#2``, ``#3``, … appended. A layer without ``parameters()`` has none.
    """
    getter = getattr(layer, "parameters", None)
    params = [p for p in (getter() if callable(getter) else []) if p is not None]
    paths: dict[int, str] = {}
    _walk(layer, "", paths, set())
    named: list[tuple[str, Parameter]] = []
    used: dict[str, int] = {}
    for p in params:
        name = paths.get(id(p), getattr(p, "name", "param"))
        used[name] = used.get(name, 0) + 1
        named.append((name if used[name] == 1 else f"{name}#{used[name]}", p))
    return named

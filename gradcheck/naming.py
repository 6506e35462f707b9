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
    listed = {id(p) for p in _listed(layer)}
    paths: dict[int, str] = {}
    _walk(layer, "", paths, set())
    return [path for pid, path in paths.items() if pid not in listed]


def _listed(layer: Any) -> list[Parameter]:
    getter = getattr(layer, "parameters", None)
    return [p for p in (getter() if callable(getter) else []) if p is not None]


def _numbered(params: list[Parameter], names: list[str]) -> list[tuple[str, Parameter]]:
    """Pair each parameter with its name, a repeated name getting ``#2``, ``#3``, …"""
    named: list[tuple[str, Parameter]] = []
    used: dict[str, int] = {}
    for name, p in zip(names, params, strict=True):
        used[name] = used.get(name, 0) + 1
        named.append((name if used[name] == 1 else f"{name}#{used[name]}", p))
    return named


def named_parameters(layer: Any) -> list[tuple[str, Parameter]]:
    """``(name, parameter)`` for each entry of ``layer.parameters()``, names unique.

    The name is the attribute path from the layer (``layers[0].W`` in a
    ``Sequential``), falling back to ``Parameter.name``; a repeated name gets
    ``#2``, ``#3``, … appended. A layer without ``parameters()`` has none.
    """
    params = _listed(layer)
    paths: dict[int, str] = {}
    _walk(layer, "", paths, set())
    return _numbered(params, [paths.get(id(p), getattr(p, "name", "param")) for p in params])


def names_by_position(layer: Any, names: list[str]) -> list[tuple[str, Parameter]]:
    """``layer.parameters()`` named by position from ``names`` (those of a reference).

    Only ``parameters()`` is called: ``layer`` may be a proxy whose attributes
    are not the object's. Parameters past the end of ``names`` keep their own
    ``name``.
    """
    params = _listed(layer)
    extra = [str(getattr(p, "name", "param")) for p in params[len(names) :]]
    return _numbered(params, [*names[: len(params)], *extra])

"""Objects that live in the other process, used as if they were here.

Both ends of the grading wire (:mod:`chainrule.assignment.wire`) hold an
:class:`Endpoint`. An object that is not plain data crosses as a *handle*;
the receiving side sees a :class:`Proxy`, whose attribute reads, calls,
indexing and ``len`` are requests to the owner. So an instructor's test can
write ``layer = student.Linear(5, 3, rng=0); layer.backward(G); layer.W.grad``
and a student's ``train_step`` can call ``net.forward(X)`` on the test's own
net, while no object ever moves between the processes.

A proxy's class derives from the framework classes its object derives from
(``layers.Layer``, ``layers.Parameter``, ``optim.Optimizer``...), so
``isinstance`` checks of the core still hold on either side. An array read
from an attribute (``layer.W.value``) is a copy, but a :class:`LinkedArray`:
index assignment and in-place operators on it are written back.

The trusted side serves the worker under a strict policy: public names only,
data only in assignments, no method replaced, no import.
"""

from __future__ import annotations

import builtins
import copy
import itertools
import socket
import traceback
import types
from collections.abc import Callable
from pathlib import Path
from types import FunctionType
from typing import Any

import numpy as np

from chainrule.assignment.wire import (
    ChannelClosedError,
    Codec,
    ProtocolError,
    recv_frame,
    send_frame,
)

MAX_NESTING = 32  # calls back and forth inside one call
MAX_HANDLES = 200_000
MAX_TEXT = 4000  # characters of an error message or a repr that cross

# The framework classes a proxy may take as bases, and the errors it re-raises as themselves.
_FRAMEWORK_PACKAGES = ("layers.", "losses.", "optim.")
_BUILTIN_ERRORS = {
    name: cls
    for name, cls in vars(builtins).items()
    if isinstance(cls, type) and issubclass(cls, Exception) and not issubclass(cls, StopIteration)
}


class RemoteError(RuntimeError):
    """An exception of a type that has no namesake here (``type: message``)."""


class WorkerError(RuntimeError):
    """The other process died, hung or answered something that is not a message."""


_REMOTE_ERRORS: dict[str, type[RemoteError]] = {}


def _remote_error(name: str) -> type[RemoteError]:
    """A RemoteError subclass named like the other side's exception (``NotAllowedError``)."""
    name = name if name.isidentifier() else "RemoteError"
    if name not in _REMOTE_ERRORS and len(_REMOTE_ERRORS) < 100:
        _REMOTE_ERRORS[name] = type(name, (RemoteError,), {"__module__": "remote"})
    return _REMOTE_ERRORS.get(name, RemoteError)


def _framework_errors() -> dict[str, type[Exception]]:
    import layers.errors

    return {
        name: cls
        for name, cls in vars(layers.errors).items()
        if isinstance(cls, type) and issubclass(cls, Exception)
    }


def _short(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[:limit] + f" … cut ({len(text) - limit} more)"


class LinkedArray(np.ndarray[Any, Any]):
    """A copy of an array attribute of a remote object that writes changes back.

    ``a[i] = v``, ``a += v`` and ufuncs with ``out=a`` update the copy, then
    send it to the owner (``obj.attr[...] = a``). Results of arithmetic are
    plain arrays, and views of it (``a[0]``) are not linked.
    """

    _link: tuple[Proxy, str] | None = None

    def __array_finalize__(self, obj: Any) -> None:
        self._link = None

    def _push(self) -> None:
        if self._link is not None:
            owner, name = self._link
            _endpoint(owner).request("setattr_item", owner, name, Ellipsis, self.view(np.ndarray))

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self._push()

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        plain = [i.view(np.ndarray) if isinstance(i, LinkedArray) else i for i in inputs]
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(o.view(np.ndarray) if isinstance(o, LinkedArray) else o
                                  for o in out)  # fmt: skip
        result = getattr(ufunc, method)(*plain, **kwargs)
        if out is not None:
            for o in out:
                if isinstance(o, LinkedArray):
                    o._push()
            return out[0] if len(out) == 1 else out
        return result


def link(value: Any, owner: Proxy, name: str) -> Any:
    if type(value) is not np.ndarray:
        return value
    linked = value.view(LinkedArray)
    linked._link = (owner, name)
    return linked


def _endpoint(proxy: Proxy) -> Endpoint:
    ep: Endpoint = object.__getattribute__(proxy, "_cr_ep")
    return ep


class RemoteMethod:
    """A method of a remote object: calling it is one request."""

    __slots__ = ("_name", "_owner")

    def __init__(self, owner: Proxy, name: str) -> None:
        self._owner, self._name = owner, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _endpoint(self._owner).request("callmethod", self._owner, self._name, args, kwargs)

    def __repr__(self) -> str:
        return f"<remote method {self._name} of {self._owner!r}>"


class Proxy:
    """Stands for an object of the other process; every access is a request."""

    def __getattribute__(self, name: str) -> Any:
        if name == "__class__":
            return type(self)
        if name == "__dict__":
            return {}  # nothing of the object lives here (vars(proxy) finds no Parameter)
        if name.startswith("_cr_"):
            return object.__getattribute__(self, name)
        if name.startswith("__") and name.endswith("__"):
            # Protocols (NumPy's __array_interface__ holds a raw memory address!)
            # are never taken from the other side.
            raise AttributeError(f"{name} of a remote object is not available")
        if name in object.__getattribute__(self, "_cr_methods"):
            return RemoteMethod(self, name)
        return link(_endpoint(self).request("getattr", self, name), self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        _endpoint(self).request("setattr", self, name, value)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        ep = _endpoint(self)
        result = ep.request("call", self, args, kwargs)
        if ep.strict and isinstance(result, Proxy) and not _holds_handles([args, kwargs]):
            # Made from plain data: the grader can make the reference's twin the same way.
            origin = ("call", self, copy.deepcopy((args, kwargs)))
            object.__setattr__(result, "_cr_origin", origin)
        return result

    def __getitem__(self, key: Any) -> Any:
        return _endpoint(self).request("getitem", self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        _endpoint(self).request("setitem", self, key, value)

    def __len__(self) -> int:
        n = _endpoint(self).request("len", self)
        if type(n) is not int or n < 0:
            raise WorkerError(f"len() of a remote object answered {n!r}")
        return n

    def __iter__(self) -> Any:
        items = _endpoint(self).request("list", self)
        if type(items) is not list:
            raise WorkerError("iterating a remote object did not give a list")
        return iter(items)

    def __bool__(self) -> bool:
        return bool(_endpoint(self).request("bool", self) is True)

    def __repr__(self) -> str:
        text = _endpoint(self).request("repr", self)
        return _short(text, 300) if isinstance(text, str) else "<remote object>"

    __str__ = __repr__

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


def _public_methods(cls: type) -> list[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass is object:
            continue
        names.update(n for n, v in vars(klass).items()
                     if isinstance(v, FunctionType) and not n.startswith("_"))  # fmt: skip
    return sorted(names)[:500]


class Endpoint:
    """One end of the wire: sends requests, serves the other side's, keeps the handles.

    ``strict`` is the trusted side's policy towards the worker. ``where`` turns
    an exception raised while serving into the frames worth showing (the
    worker shows the student's files), and ``on_broken`` is called once the
    other side is gone or spoke garbage (the owner of the process kills it).
    """

    def __init__(
        self,
        sock: socket.socket,
        *,
        strict: bool,
        where: Callable[[BaseException], list[Any]] | None = None,
        on_broken: Callable[[str], str] | None = None,
    ) -> None:
        self.sock = sock
        self.strict = strict
        self._where = where or (lambda exc: [])
        self._on_broken = on_broken or (lambda why: why)
        self._objects: dict[int, Any] = {}
        self._handles: dict[int, int] = {}  # id(obj) -> handle
        self._proxies: dict[int, Proxy] = {}
        self._proxy_types: dict[tuple[str, ...], type] = {}
        self._seq = itertools.count(1)
        self._nesting = 0
        self.broken: str | None = None
        self.codec = Codec(self._export, self._own, self._proxy_for, self._handle_of)
        # Requests about the process rather than an object ("import", "warnings"): the worker's.
        self.process_ops: dict[str, Callable[..., Any]] = {}

    # -- handles ---------------------------------------------------------
    def _export(self, obj: Any) -> dict[str, Any]:
        if self.strict and not _exportable(obj):
            # The worker may reach only framework objects the grader handed it (a test's
            # net, its parameters, their methods): nothing that leads anywhere else.
            raise ProtocolError(
                f"a {type(obj).__name__} of the grader cannot be handed to the student's code "
                f"(only objects of layers, losses and optim)"
            )
        handle = self._handles.get(id(obj))
        if handle is None:
            if len(self._objects) >= MAX_HANDLES:
                raise ProtocolError(f"more than {MAX_HANDLES} objects handed out")
            handle = len(self._objects) + 1
            self._objects[handle] = obj
            self._handles[id(obj)] = handle
        cls = type(obj)
        return {
            "id": handle,
            "cls": [f"{k.__module__}.{k.__qualname__}" for k in cls.__mro__][:50],
            "name": cls.__name__,
            "methods": [] if isinstance(obj, type) else _public_methods(cls),
        }

    def _own(self, handle: int) -> Any:
        if handle not in self._objects:
            raise ProtocolError(f"no object with handle {handle}")
        return self._objects[handle]

    def _handle_of(self, value: Any) -> int | None:
        if isinstance(value, Proxy) and _endpoint(value) is self:
            handle: int = object.__getattribute__(value, "_cr_id")
            return handle
        return None

    def _proxy_for(self, desc: dict[str, Any]) -> Proxy:
        handle = desc.get("id")
        if type(handle) is not int:
            raise ProtocolError("a handle without an id")
        if handle in self._proxies:
            return self._proxies[handle]
        names = desc.get("cls", [])
        methods = desc.get("methods", [])
        if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            raise ProtocolError("a handle's class names are not strings")
        if not (isinstance(methods, list) and all(isinstance(m, str) and m.isidentifier()
                                                  for m in methods)):  # fmt: skip
            raise ProtocolError("a handle's method names are not names")
        proxy: Proxy = object.__new__(self._proxy_type(names, str(desc.get("name", "object"))))
        object.__setattr__(proxy, "_cr_ep", self)
        object.__setattr__(proxy, "_cr_id", handle)
        object.__setattr__(proxy, "_cr_methods", frozenset(methods))
        object.__setattr__(proxy, "_cr_origin", None)
        self._proxies[handle] = proxy
        return proxy

    def _proxy_type(self, names: list[str], display: str) -> type:
        """A Proxy subclass with the framework classes among ``names`` as bases."""
        bases = tuple(c for c in (_framework_class(n) for n in names) if c is not None)
        key = (display[:80], *(f"{b.__module__}.{b.__qualname__}" for b in bases))
        if key not in self._proxy_types:
            # Most derived first, without a class whose subclass is already there.
            kept = [b for b in bases if not any(o is not b and issubclass(o, b) for o in bases)]
            name = "".join(ch for ch in display[:80] if ch.isalnum() or ch == "_") or "Remote"
            self._proxy_types[key] = type(name, (Proxy, *kept), {"__module__": "remote"})
        return self._proxy_types[key]

    # -- requests --------------------------------------------------------
    def request(self, op: str, *args: Any) -> Any:
        """Ask the other side to do ``op`` and return its answer (serving it meanwhile)."""
        if self.broken is not None:
            raise WorkerError(self.broken)
        if self._nesting >= MAX_NESTING:
            raise WorkerError(f"calls nested more than {MAX_NESTING} deep between the processes")
        seq = next(self._seq)
        blobs: list[bytes] = []
        header = {"k": "req", "n": seq, "op": op, "a": self.codec.encode(list(args), blobs)}
        self._nesting += 1
        try:
            self._send(header, blobs)
            while True:
                msg, got = self._receive()
                if msg.get("k") == "req":
                    self._serve(msg, got)
                    continue
                if msg.get("n") != seq:
                    self._break("answered a request it was not asked")
                if msg.get("k") == "ok":
                    return self._decode(msg.get("v"), got)
                if msg.get("k") == "err":
                    raise self._error(msg)
                self._break("sent a message of unknown kind")
        finally:
            self._nesting -= 1

    def serve_forever(self) -> None:
        """Answer requests until the other side closes the wire (the worker's main loop)."""
        while True:
            try:
                msg, got = recv_frame(self.sock)
            except ChannelClosedError:
                return
            if msg.get("k") != "req":
                raise ProtocolError("expected a request")
            self._serve(msg, got)

    def _send(self, header: dict[str, Any], blobs: list[bytes]) -> None:
        try:
            send_frame(self.sock, header, blobs)
        except OSError as exc:
            self._break(f"cannot be reached ({exc})")

    def _receive(self) -> tuple[dict[str, Any], list[bytes]]:
        try:
            return recv_frame(self.sock)
        except ChannelClosedError:
            self._break("ended")
        except ProtocolError as exc:
            self._break(f"answered with something that is not a message ({exc})")
        except OSError as exc:
            self._break(f"cannot be reached ({exc})")
        raise AssertionError("unreachable")

    def _decode(self, value: Any, blobs: list[bytes]) -> Any:
        try:
            return self.codec.decode(value, blobs)
        except (ProtocolError, ValueError, TypeError, RecursionError) as exc:
            self._break(f"answered with something that is not plain data ({exc})")

    def _break(self, why: str) -> Any:
        self.broken = self._on_broken(why)
        raise WorkerError(self.broken)

    def _error(self, msg: dict[str, Any]) -> BaseException:
        name = str(msg.get("type", "Exception"))[:100]
        text = _short(str(msg.get("msg", "")))
        cls = _BUILTIN_ERRORS.get(name) or _framework_errors().get(name) or _remote_error(name)
        try:
            exc: BaseException = cls(text)
        except Exception:  # a constructor with other arguments (UnicodeError...)
            exc = _remote_error(name)(text)
        exc.remote_frames = _frames(msg.get("where"))  # type: ignore[attr-defined]
        exc.remote_type = name  # type: ignore[attr-defined]
        return exc

    # -- serving ---------------------------------------------------------
    def _serve(self, msg: dict[str, Any], blobs: list[bytes]) -> None:
        seq = msg.get("n")
        try:
            op = str(msg.get("op"))
            raw = msg.get("a")
            if op not in self.process_ops or self.strict:
                # The target must be an object this side handed out, never a value the
                # other side made up (a str's format() reaches any attribute).
                target = raw.get("L", [None])[0] if isinstance(raw, dict) else None
                if not (isinstance(target, dict) and set(target) == {"Y"}):
                    raise ProtocolError(f"{op}: the target is not an object of this side")
            args = self._decode(raw, blobs)
            if not isinstance(args, list):
                raise ProtocolError("request arguments are not a list")
            value = self._perform(op, args)
            out: list[bytes] = []
            reply = {"k": "ok", "n": seq, "v": self.codec.encode(value, out)}
        except WorkerError:
            raise
        except BaseException as exc:
            out = []
            reply = {
                "k": "err", "n": seq, "type": str(type(exc).__name__)[:100],
                "msg": _short(_message(exc)), "where": self._where(exc),
            }  # fmt: skip
        self._send(reply, out)

    def _check_name(self, name: Any) -> str:
        if not isinstance(name, str) or not name.isidentifier():
            raise AttributeError(f"not an attribute name: {name!r}")
        if self.strict and name.startswith("_"):
            raise AttributeError(f"{name!r}: only public attributes of the grader's objects")
        return name

    def _check_data(self, value: Any) -> Any:
        if self.strict and _holds_handles(value):
            raise TypeError("only plain data can be stored in the grader's objects")
        return value

    def _perform(self, op: str, args: list[Any]) -> Any:
        if op in self.process_ops and not self.strict:
            return self.process_ops[op](*args)
        if not args or isinstance(args[0], Proxy):
            raise ProtocolError(f"{op}: the target is not an object of this side")
        obj = args[0]
        if op == "getattr":
            return getattr(obj, self._check_name(args[1]))
        if op == "setattr":
            name = self._check_name(args[1])
            if self.strict and callable(getattr(type(obj), name, None)):
                raise AttributeError(f"{name!r} is a method of the grader's object")
            setattr(obj, name, self._check_data(args[2]))
            return None
        if op == "callmethod":
            return getattr(obj, self._check_name(args[1]))(*args[2], **args[3])
        if op == "call":
            return obj(*args[1], **args[2])
        if op == "getitem":
            return obj[args[1]]
        if op == "setitem":
            obj[args[1]] = self._check_data(args[2])
            return None
        if op == "setattr_item":
            getattr(obj, self._check_name(args[1]))[args[2]] = self._check_data(args[3])
            return None
        if op == "len":
            return len(obj)
        if op == "list":
            return list(itertools.islice(obj, 100_000))
        if op == "bool":
            return bool(obj)
        if op == "repr":
            return _short(repr(obj), 300)
        raise ProtocolError(f"unknown request {op!r}")


def _exportable(obj: Any) -> bool:
    """A framework object (layers, losses, optim), or a method bound to one."""
    if isinstance(obj, types.MethodType):
        return _exportable(obj.__self__)
    module = type(obj).__module__
    return isinstance(module, str) and module.startswith(_FRAMEWORK_PACKAGES)


def _message(exc: BaseException) -> str:
    """``str(exc)``, even when the exception's own ``__str__`` raises or lies."""
    if isinstance(exc, RecursionError):
        return "maximum recursion depth exceeded"
    try:
        text = str(exc)
    except Exception:
        return "(the exception's message could not be read)"
    return text if type(text) is str else "(the exception's message is not text)"


def _holds_handles(value: Any) -> bool:
    if isinstance(value, Proxy):
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_handles(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_handles(v) for v in value.values())
    return not (value is None or isinstance(value, (bool, int, float, complex, str, bytes,
                                                    np.ndarray, np.generic, slice))
                or value is Ellipsis)  # fmt: skip


def _framework_class(name: str) -> type | None:
    """The class ``module.qualname`` of the core (layers, losses, optim), if it is one."""
    if not name.startswith(_FRAMEWORK_PACKAGES):
        return None
    import importlib
    import sys

    module_name, _, qualname = name.rpartition(".")
    module = sys.modules.get(module_name)
    if module is None:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return None
    cls = getattr(module, qualname, None)
    return cls if isinstance(cls, type) and cls.__module__ == module_name else None


def student_frames(exc: BaseException, root: Path) -> list[list[Any]]:
    """``[file, line, function, source]`` of each frame of ``exc`` in a file under ``root``."""
    found: list[list[Any]] = []
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith("<"):  # <frozen importlib._bootstrap>, <string>
            continue
        try:
            rel = Path(frame.filename).resolve().relative_to(root)
        except (ValueError, OSError):
            continue
        found.append([rel.as_posix(), frame.lineno, frame.name, (frame.line or "").strip()])
    return found[-10:]


def _frames(where: Any) -> list[traceback.FrameSummary]:
    """The other side's frames, as traceback records (anything malformed is dropped)."""
    frames = []
    for item in where[:10] if isinstance(where, list) else []:
        if (isinstance(item, list) and len(item) == 4 and isinstance(item[0], str)
                and type(item[1]) is int and isinstance(item[2], str)
                and isinstance(item[3], str)):  # fmt: skip
            frames.append(traceback.FrameSummary(
                _short(item[0], 200), item[1], _short(item[2], 100),
                lookup_line=False, line=_short(item[3], 300),
            ))  # fmt: skip
    return frames


def format_frames(frames: list[traceback.FrameSummary]) -> str:
    """Frames as Python prints them, the file relative to the student's folder."""
    return "\n".join(
        f'  File "{f.filename}", line {f.lineno}, in {f.name}'
        + (f"\n    {f.line}" if f.line else "")
        for f in frames
    )

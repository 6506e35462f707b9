"""The worker: the only process that imports and runs a student's code.

Started by the trusted test process (:mod:`chainrule.assignment.sandbox`)
with one end of a socket pair as file descriptor ``CHAINRULE_WORKER_FD``. It
reads its orders as the first message (plain data), then, before any
student code runs:

1. hides the grader's files (a tmpfs over them, in its own mount namespace
   when it has one) and gets a fresh ``/tmp`` of its own; imports NumPy,
   the framework and common standard modules while it still can read them;
2. replaces the framework functions the assignment forbids with stubs that
   raise :class:`NotAllowedError`, and refuses the forbidden imports;
3. sets its resource limits and, when started as root, drops to the
   grading slot's unprivileged user for good;

then answers requests (import a module, call, get an attribute...) until the
grader closes the wire. Anything it sends back is data or a handle; the
verdict is never decided here.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import importlib.abc
import os
import resource
import signal
import socket
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import FunctionType
from typing import Any

WORKER_FD_ENV = "CHAINRULE_WORKER_FD"
SETUP_FAILED = 70  # exit status when the sandbox could not be set up (EX_SOFTWARE)

# Imported before the privileges go: afterwards the interpreter's own files
# may be unreadable (a Python under /root, say), and a student may still
# import these. Anything else the student imports must be readable by then.
PRELOAD = (
    "numpy", "numpy.linalg", "numpy.random", "numpy.typing", "numpy.fft",
    "layers", "losses", "optim", "gradcheck",
    "abc", "array", "atexit", "bisect", "collections", "collections.abc", "contextlib", "copy",
    "ctypes", "dataclasses", "decimal", "enum", "fractions", "functools", "glob", "heapq",
    "inspect", "io", "itertools", "json", "math", "numbers", "operator", "pathlib", "pickle",
    "random", "re", "shutil", "signal", "statistics", "string", "struct", "subprocess",
    "tempfile", "textwrap", "threading", "time", "traceback", "types", "typing", "unittest",
    "warnings", "weakref",
)  # fmt: skip

_PR_SET_PDEATHSIG = 1


_WARNINGS: list[str] = []  # what the student's code warned, for the test's report


def _record_warnings(home: Path) -> None:
    """Keep every warning (10 distinct at most), with the student's file and line."""
    import warnings

    def keep(message: Any, category: type, filename: str, lineno: int, file: Any = None,
             line: Any = None) -> None:  # fmt: skip
        text = f"{category.__name__}: {message}"
        with contextlib.suppress(ValueError, OSError):
            text += f" ({Path(filename).resolve().relative_to(home).as_posix()}, line {lineno})"
        if text not in _WARNINGS and len(_WARNINGS) < 10:
            _WARNINGS.append(text[:500])

    warnings.simplefilter("always")
    warnings.showwarning = keep


class NotAllowedError(RuntimeError):
    """A framework function or a module the assignment forbids was used."""


def _forbid(path: str) -> None:
    """Make ``module.Class``, ``module.Class.method`` or ``module.function`` raise when used.

    A class loses every function it defines (its constructor too); a method is
    replaced on its class (even when inherited there) and on every subclass that
    defines it again. Other modules' ``from module import function`` copies are
    not reached: name classes and methods where you can.
    """
    parts = path.split(".")
    owner: Any = None
    for cut in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:-1]:
            owner = getattr(owner, name)
        break
    target = getattr(owner, parts[-1], None) if owner is not None else None
    if target is None:
        raise ValueError(f"forbid: cannot find {path}")

    def stub(*args: Any, **kwargs: Any) -> Any:
        raise NotAllowedError(
            f"{path} is not allowed in this assignment: write this computation yourself"
        )

    if isinstance(target, type):
        for cls in [target, *_subclasses(target)]:
            for name, value in list(vars(cls).items()):
                if isinstance(value, FunctionType):
                    setattr(cls, name, stub)
    elif isinstance(owner, type):
        setattr(owner, parts[-1], stub)
        for cls in _subclasses(owner):
            if parts[-1] in vars(cls):
                setattr(cls, parts[-1], stub)
    else:
        setattr(owner, parts[-1], stub)


def _subclasses(cls: type) -> list[type]:
    found: list[type] = []
    children: list[type] = type.__subclasses__(cls)
    for child in children:
        found += [child, *_subclasses(child)]
    return found


class _ForbiddenImports(importlib.abc.MetaPathFinder):
    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if any(fullname == n or fullname.startswith(n + ".") for n in self.names):
            raise NotAllowedError(f"importing {fullname} is not allowed in this assignment")
        return None


def _hide(paths: Sequence[str]) -> None:
    """Mount an empty tmpfs over each path (only inside our own mount namespace)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for path in paths:
        if os.path.isdir(path):
            ok = libc.mount(b"none", path.encode(), b"tmpfs", 1, b"size=4k,mode=000")  # MS_RDONLY
            if ok != 0:
                raise OSError(ctypes.get_errno(), f"cannot hide {path}")


_SCRATCH = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")  # world-writable: emptied per test
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_REMOUNT, _MS_BIND = 1, 2, 4, 32, 4096


def _private_scratch(home: Path) -> None:
    """Fresh, empty ``/tmp`` (and the like) of its own, with only its folder and Python in it.

    Nothing one test's code leaves in a shared folder reaches another's, and
    the machine's other temporary files are out of sight. The worker's folder,
    and the interpreter and framework when they live there (a virtual
    environment in /tmp), are bound back at their own paths, those read-only.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    needed = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, *sys.path) if p}
    needed = {p for p in needed if os.path.isdir(p) and not p.startswith(str(home))}
    for scratch in _SCRATCH:
        if not os.path.isdir(scratch):
            continue
        inside = sorted(p for p in needed | {str(home)} if p.startswith(scratch + "/"))
        inside = [p for p in inside if not any(p.startswith(q + "/") for q in inside)]
        kept = [(p, os.open(p, os.O_RDONLY | os.O_DIRECTORY)) for p in inside]
        flags = _MS_NOSUID | _MS_NODEV
        if libc.mount(b"tmpfs", scratch.encode(), b"tmpfs", flags, b"size=64m,mode=1777") != 0:
            raise OSError(ctypes.get_errno(), f"cannot mount a fresh {scratch}")
        for path, fd in kept:
            os.makedirs(path, mode=0o755, exist_ok=True)
            source = f"/proc/self/fd/{fd}".encode()
            if libc.mount(source, path.encode(), None, _MS_BIND, None) != 0:
                raise OSError(ctypes.get_errno(), f"cannot bind {path}")
            if path != str(home):
                remount = _MS_BIND | _MS_REMOUNT | _MS_RDONLY
                libc.mount(None, path.encode(), None, remount, None)
            os.close(fd)


def _limit(limits: dict[str, int], memory: int | None) -> None:
    for name, value in limits.items():
        resource.setrlimit(getattr(resource, name), (value, value))
    if memory is not None:  # on top of what the interpreter, NumPy and the framework map
        with open("/proc/self/status", encoding="ascii") as f:
            size = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
        resource.setrlimit(resource.RLIMIT_AS, (size + memory, size + memory))


def _drop_privileges(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise OSError("the worker could not drop its privileges")


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1 and os.getpid() != 1:  # the parent is already gone
        os._exit(1)


def prepare(orders: dict[str, Any]) -> Path:
    """Everything before student code: hide, preload, forbid, limit, drop. Return its folder."""
    from chainrule.assignment.wire import ProtocolError  # noqa: F401 - loaded while readable

    home = Path(orders["home"])
    if orders.get("hide"):  # only in a mount namespace of our own
        _private_scratch(home)
        _hide(orders["hide"])
    forbidden_imports = list(orders.get("forbid_imports", []))
    for name in PRELOAD:
        if not any(name == n or name.startswith(n + ".") for n in forbidden_imports):
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
    import chainrule.assignment.remote  # noqa: F401

    for path in orders.get("forbid", []):
        _forbid(path)
    for name in forbidden_imports:
        for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[loaded]
    sys.meta_path.insert(0, _ForbiddenImports(forbidden_imports))

    os.chdir(home)
    sys.path[:] = [str(home), *(p for p in sys.path if p and not p.startswith(str(home)))]
    sys.dont_write_bytecode = True
    for key in list(os.environ):
        if key.startswith("CHAINRULE_"):
            del os.environ[key]
    os.environ["HOME"] = str(home)
    # RLIMIT_NPROC binds once we are not root.
    _limit(orders.get("limits", {}), orders.get("memory"))
    if orders.get("uid") is not None:
        _drop_privileges(int(orders["uid"]), int(orders["gid"]))
    _die_with_parent()
    return home


def main() -> None:
    """Read the orders, prepare, then serve the grader's requests until it hangs up."""
    from chainrule.assignment.remote import Endpoint, student_frames
    from chainrule.assignment.wire import recv_frame

    sock = socket.socket(fileno=int(os.environ[WORKER_FD_ENV]))
    orders, _ = recv_frame(sock)
    try:
        home = prepare(orders)
    except BaseException:  # the sandbox, not the student: the grader must say so
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(SETUP_FAILED)
    ep = Endpoint(sock, strict=False, where=lambda exc: student_frames(exc, home.resolve()))
    _record_warnings(home.resolve())
    ep.process_ops = {"import": importlib.import_module, "warnings": lambda: list(_WARNINGS)}
    sys.stdout.flush()
    ep.serve_forever()
    sys.stdout.flush()
    os._exit(0)  # no atexit handler of the student's runs after the grader hung up


if __name__ == "__main__":
    main()

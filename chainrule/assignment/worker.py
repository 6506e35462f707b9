"""The worker: the only process that imports and runs a student's code.

Forked from the trusted test process (:mod:`chainrule.assignment.sandbox`)
before that process knows anything of the grading, with one end of a socket
pair. It takes its log file and its orders (plain data) from the socket,
then, before any student code runs:

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


SHARED_SCRATCH = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")  # world-writable: fresh per test
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_REMOUNT, _MS_BIND = 1, 2, 4, 32, 4096


def _private_scratch(home: Path) -> None:
    """Fresh, empty ``/tmp`` (and the like) of its own, with only its folder and Python in it.

    Nothing one test's code leaves in a shared folder reaches another's, and
    the machine's other temporary files are out of sight. The worker's folder,
    and the interpreter and framework when they live there (a virtual
    environment in /tmp), are bound back at their own paths, those read-only.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    needed = {os.path.realpath(p) for p in _python_paths()}
    for scratch in SHARED_SCRATCH:
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


def _python_paths() -> list[str]:
    """Folders the worker reads code from: Python's own, NumPy's and the framework's."""
    roots = [sys.prefix, sys.base_prefix]
    for name in ("numpy", "layers", "losses", "optim", "gradcheck", "chainrule"):
        module = sys.modules.get(name)
        if module is not None and module.__file__:
            roots.append(str(Path(module.__file__).resolve().parents[1]))
    return [r for r in roots if os.path.isdir(r)]


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
    # The student's folder first, then only where Python and the framework live (not
    # the trusted process's working folder, which the worker was forked in).
    roots = [os.path.realpath(r) for r in _python_paths()]
    kept = [p for p in sys.path if p and any(os.path.realpath(p).startswith(r) for r in roots)]
    sys.path[:] = [str(home), *kept]
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


def serve(sock: socket.socket) -> None:
    """Take the log and the orders, prepare, then answer the grader until it hangs up.

    Runs in the child forked from the trusted test process (see
    :class:`chainrule.assignment.sandbox.WorkerProcess`); it never returns.
    """
    from chainrule.assignment.remote import Endpoint, student_frames
    from chainrule.assignment.wire import recv_frame, send_frame

    try:
        # Nothing of the trusted process stays open here but this socket: not its
        # verdict pipe, not its orders on stdin.
        os.closerange(3, sock.fileno())
        os.closerange(sock.fileno() + 1, 65536)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        _, fds, _, _ = socket.recv_fds(sock, 16, 1)
        for fd in (1, 2):
            os.dup2(fds[0], fd)
        os.close(fds[0])
        orders, _ = recv_frame(sock)
        home = prepare(orders)
    except BaseException:  # the sandbox, not the student: the grader must say so
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(SETUP_FAILED)
    ep = Endpoint(sock, strict=False, where=lambda exc: student_frames(exc, home.resolve()))
    _record_warnings(home.resolve())
    ep.process_ops = {"import": importlib.import_module, "warnings": lambda: list(_WARNINGS)}
    # Said once, before any student code has run: from here on, whatever happens
    # to this process is the student's code's doing.
    send_frame(sock, {"k": "ready"}, [])
    try:
        ep.serve_forever()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(0)  # no atexit handler of the student's runs after the grader hung up

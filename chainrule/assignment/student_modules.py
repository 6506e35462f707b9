"""The student's modules, as the trusted test process sees them: stand-ins for the worker's.

An instructor's test writes ``from backprop.linear import Linear`` as it
would anywhere. In the trusted process that import finds no file: the
finder below, last on ``sys.meta_path``, answers for the student's
top-level names only (and never for a name the grader itself can import),
with a :class:`StudentModule` whose attributes are read from the module the
worker imported.

The same process may load the *reference* (the starter's given code, or
the instructor's solution) under other names: ``twin(proxy)`` rebuilds an
object the test made from the student's code (``student.Linear(5, 3,
rng=0)``) from the reference instead, so gradcheck can take its numeric
derivatives from a forward pass the student cannot change.
"""

from __future__ import annotations

import copy
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from chainrule.assignment.remote import Endpoint, Proxy


def top_level_names(root: Path) -> set[str]:
    """Modules and packages at the top of ``root`` (``backprop``, ``calc``, ``solution``...)."""
    names = {p.stem for p in root.glob("*.py")} | {
        p.name for p in root.iterdir() if p.is_dir() and any(p.rglob("*.py"))
    }
    return {n for n in names if n.isidentifier()}


class StudentModule(ModuleType):
    """A module of the student's, living in the worker; attributes come from there."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        remote: Proxy = self.__dict__["_cr_remote"]
        value = getattr(remote, name)
        if isinstance(value, Proxy):
            object.__setattr__(value, "_cr_origin", ("attr", self.__name__, name))
        return value


class StudentFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``name`` and ``name.*`` for the student's top-level names, in the worker."""

    def __init__(self, names: set[str], endpoint: Any) -> None:
        self.names = names
        self.endpoint = endpoint  # a callable giving the worker's Endpoint (started lazily)
        self.failure: BaseException | None = None

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname.split(".")[0] not in self.names:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        ep: Endpoint = self.endpoint()
        try:
            remote = ep.request("import", spec.name)
        except BaseException as exc:
            self.failure = exc
            raise
        module = StudentModule(spec.name)
        module.__dict__["_cr_remote"] = remote
        module.__path__ = []  # a package: its submodules are found here too
        return module

    def exec_module(self, module: ModuleType) -> None:
        pass


def install_finder(names: set[str], endpoint: Any) -> StudentFinder:
    """Put the finder last on ``sys.meta_path``, for names the grader cannot import itself."""
    own = {n for n in names if n in sys.modules or importlib.util.find_spec(n) is not None}
    finder = StudentFinder(names - own, endpoint)
    sys.meta_path.append(finder)
    return finder


class Reference:
    """The reference code (starter or solution), loaded under private module names."""

    def __init__(self, root: Path | None, names: set[str]) -> None:
        self.modules: dict[str, ModuleType] = {}
        if root is None or not root.is_dir():
            return
        saved = {k: v for k, v in sys.modules.items() if k.split(".")[0] in names}
        for k in saved:
            del sys.modules[k]
        sys.path.insert(0, str(root))
        try:
            for path in sorted(root.rglob("*.py")):
                parts = list(path.relative_to(root).with_suffix("").parts)
                if parts[-1] == "__init__":
                    parts.pop()
                if parts and parts[0] in names and all(p.isidentifier() for p in parts):
                    try:
                        importlib.import_module(".".join(parts))
                    except Exception:
                        continue
        finally:
            sys.path.remove(str(root))
            for k in [k for k in sys.modules if k.split(".")[0] in names]:
                self.modules[k] = sys.modules.pop(k)
            sys.modules.update(saved)

    def twin(self, proxy: Any) -> Any | None:
        """The reference's version of an object the test built from the student's code."""
        origin = object.__getattribute__(proxy, "_cr_origin") if isinstance(proxy, Proxy) else None
        if not origin or origin[0] != "call":
            return None
        _, callee, (args, kwargs) = origin
        where = object.__getattribute__(callee, "_cr_origin")
        if not where or where[0] != "attr" or where[1] not in self.modules:
            return None
        made = getattr(self.modules[where[1]], where[2], None)
        if made is None or not callable(made):
            return None
        try:
            return made(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        except Exception:
            return None

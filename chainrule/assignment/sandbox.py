"""The box a student's code runs in: its user, its folder, its limits, and the sweep.

Run as root (Gradescope runs the autograder as root), each grading slot
(tests that run side by side get different slots) has a user of its own, a
numeric uid with no login (``SLOT_UID_BASE + k``), held by a lock for the
whole grading so that two gradings never share one. The worker

- is forked from the trusted test process before that process reads its
  orders, so its memory holds nothing of the grading;
- enters new PID and mount namespaces when the kernel allows it
  (``unshare(2)``): it sees no other process, an empty tmpfs lies over every
  folder of the grader (tests, starter, reference solution, results, the
  framework's source tree around its packages), ``/tmp`` and the other
  world-writable folders are fresh and empty, and killing its first process
  ends every process it started;
- otherwise the grader's folders lose their "other" permissions for the
  grading (and get them back after);
- drops to the slot's uid (no groups) before any student code runs, with
  limits on memory, CPU seconds, processes, file size and open files;
- works in a copy of the submission of its own (``/tmp/chainrule-worker-*``,
  mode 700), made afresh for every test;
- gets its orders (plain data) and its log file over its socket, nothing else:
  every other descriptor of the trusted process is closed.

After every test every process of the slot's uid is killed. Without root
none of this is possible: the worker runs as the grader's user in a session
of its own, dies with its parent, and what it leaves behind is killed by
session and by descent; the grader says once that isolation is weaker.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import os
import pwd
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from chainrule.assignment.wire import ProtocolError, recv_frame, send_frame
from chainrule.assignment.worker import SETUP_FAILED, SHARED_SCRATCH, serve

_PR_SET_PDEATHSIG = 1
SLOT_UID_BASE = 64100
SLOT_COUNT = 64
MEMORY_LIMIT = 2 * 2**30  # bytes the worker may map beyond what it has at start
FILE_SIZE_LIMIT = 64 * 2**20
PROCESS_LIMIT = 64
OPEN_FILES_LIMIT = 256
WEAKER_ISOLATION = (
    "note: the grader is not running as root, so the student's code runs as your own "
    "user: it cannot change the verdict (that is decided in another process), but it "
    "could read your files. Grade as root (Gradescope does) for the full sandbox."
)


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


_CLONE_NEWNS, _CLONE_NEWUTS, _CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
_CLONE_NEWPID, _CLONE_NEWNET = 0x20000000, 0x40000000
_NAMESPACES = _CLONE_NEWNS | _CLONE_NEWUTS | _CLONE_NEWIPC | _CLONE_NEWPID | _CLONE_NEWNET
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REC, _MS_PRIVATE = 2, 4, 8, 16384, 1 << 18


def enter_namespaces() -> None:
    """Move into new namespaces, as their first process, with a /proc of its own.

    PID and mount (see below), and IPC, network and host name: no SysV queue or
    shared memory, abstract socket or localhost port joins two tests' workers, and
    the student's code has no network at all.

    ``unshare(CLONE_NEWPID)`` places the *children* in the new namespace, so
    this forks once more: the parent stays behind, waits, and exits with the
    child's status (or dies with it). The child is PID 1 there: when it dies,
    the kernel kills every process of the namespace.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_NAMESPACES) != 0:
        raise OSError(ctypes.get_errno(), "unshare(NEWNS | NEWUTS | NEWIPC | NEWPID | NEWNET)")
    pid = os.fork()
    if pid:  # the one left outside: a shell around the namespace
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        os._exit(code if code >= 0 else 128 - code)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "cannot make the mounts private")
    flags = _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
    if libc.mount(b"proc", b"/proc", b"proc", flags, None) != 0:
        raise OSError(ctypes.get_errno(), "cannot mount /proc")


@functools.lru_cache(maxsize=1)
def namespaces_work() -> bool:
    """True when the worker can have PID and mount namespaces of its own (root, and a kernel
    that allows it)."""
    if not is_root() or os.environ.get("CHAINRULE_SANDBOX_NAMESPACES") == "0":
        return False  # the variable rehearses a container that forbids namespaces
    pid = os.fork()
    if pid == 0:
        try:
            enter_namespaces()
            os._exit(0 if os.getpid() == 1 else 1)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


# -- processes ---------------------------------------------------------------
def processes_of(uid: int) -> list[int]:
    """Living PIDs whose real or effective uid is ``uid`` (zombies are already dead)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status", encoding="ascii", errors="replace") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            if fields["State"].split()[0] in ("Z", "X"):
                continue
            if uid in [int(v) for v in fields["Uid"].split()[:2]]:
                found.append(int(entry.name))
        except (OSError, ValueError, KeyError, IndexError):
            continue
    return found


def sweep_uid(uid: int) -> int:
    """Kill every process of ``uid``, again until none is left; return how many."""
    killed = 0
    for _ in range(200):
        pids = processes_of(uid)
        if not pids:
            return killed
        for pid in pids:  # stop them all first, so none can fork while others die
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGSTOP)
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
        time.sleep(0.005)
    return killed


def sweep_files(uid: int) -> None:
    """Delete what ``uid`` left at the top of the shared temporary folders.

    Where the worker has no ``/tmp`` of its own (no namespaces), this keeps one
    test's code from leaving anything there for a later test's code to read.
    """
    for folder in SHARED_SCRATCH:
        with contextlib.suppress(OSError):
            for entry in os.scandir(folder):
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_uid != uid:
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path, ignore_errors=True)
                    else:
                        os.unlink(entry.path)


_IPC_RMID = 0


def sweep_ipc(uid: int) -> None:
    """Remove the SysV message queues, semaphores and shared memory ``uid`` created.

    Where the worker has no IPC namespace of its own, such an object outlives the
    test that made it, and a later test's code could read it.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    removers: dict[str, tuple[str, Callable[[int], Any]]] = {
        "msg": ("msqid", lambda i: libc.msgctl(i, _IPC_RMID, None)),
        "sem": ("semid", lambda i: libc.semctl(i, 0, _IPC_RMID)),
        "shm": ("shmid", lambda i: libc.shmctl(i, _IPC_RMID, None)),
    }
    for kind, (id_column, remove) in removers.items():
        with contextlib.suppress(OSError, ValueError, IndexError, KeyError):
            lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
            columns = lines[0].split()
            for line in lines[1:]:
                row = dict(zip(columns, line.split(), strict=False))
                if uid in (int(row["uid"]), int(row["cuid"])):
                    remove(int(row[id_column]))


def children_of(pid: int) -> list[int]:
    kids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_text(errors="replace")
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    kids.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return kids


def sweep_descendants(pid: int, keep: frozenset[int] = frozenset()) -> None:
    """Kill every descendant of ``pid`` (but the subtrees of ``keep``), deepest last."""
    for _ in range(50):
        todo = [k for k in children_of(pid) if k not in keep]
        if not todo:
            return
        while todo:
            kid = todo.pop()
            todo += children_of(kid)
            with contextlib.suppress(OSError):
                os.kill(kid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        time.sleep(0.005)


def become_subreaper() -> None:
    """Orphans of our descendants become our children, so we can find and kill them."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER


# -- slots -------------------------------------------------------------------
def _lock_dir() -> Path:
    for base in (Path("/run"), Path(tempfile.gettempdir())):
        path = base / "chainrule-grader-slots"
        with contextlib.suppress(OSError):
            path.mkdir(mode=0o700, exist_ok=True)
            st = path.stat()
            if st.st_uid == 0 and st.st_mode & 0o077 == 0:
                return path
    raise OSError("no private folder for the grader's slot locks")


def _uid_in_use(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        return False


@dataclass
class Slot:
    """A grading slot: under root, a uid of its own, held by a lock."""

    uid: int | None
    lock: IO[bytes] | None = None

    @classmethod
    def acquire(cls, taken: set[int] | None = None) -> Slot:
        if not is_root():
            return cls(None)
        locks = _lock_dir()
        for k in range(SLOT_COUNT):
            uid = SLOT_UID_BASE + k
            if (taken and uid in taken) or _uid_in_use(uid):
                continue
            f = open(locks / f"{uid}.lock", "wb")  # noqa: SIM115 - held while grading
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                f.close()
                continue
            sweep_uid(uid)  # whatever an earlier, interrupted grading left
            return cls(uid, f)
        raise OSError(f"all {SLOT_COUNT} grading slots are in use")

    def release(self) -> None:
        if self.uid is not None:
            sweep_uid(self.uid)
        if self.lock is not None:
            self.lock.close()
            self.lock = None


# -- the worker ----------------------------------------------------------------
@dataclass
class WorkerSpec:
    """What the trusted test process needs to start a worker (plain data, from the grader)."""

    submission: str  # the pristine copy of the student's files
    uid: int | None
    hide: list[str] = field(default_factory=list)
    forbid: list[str] = field(default_factory=list)
    forbid_imports: list[str] = field(default_factory=list)
    cpu_seconds: int = 60
    namespaces: bool = False


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


_SIGNAL_CAUSES = {
    "SIGKILL": "killed: it used too much memory, or ran out of time",
    "SIGXCPU": "stopped: it used up its CPU time",
    "SIGSEGV": "crashed (segmentation fault)",
    "SIGABRT": "aborted",
}


class WorkerProcess:
    """The student's process, seen from the trusted test process.

    It is forked from the trusted process first thing, before that process
    has read its orders: the child's memory holds NumPy and the framework,
    loaded once for both, and nothing of the grading (no test's name, no
    path). It then waits for its own orders on its end of a socket pair.
    """

    def __init__(self, namespaces: bool) -> None:
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:  # the worker-to-be
            ours.close()
            try:
                os.setsid()  # a session and process group of its own
                if namespaces:
                    enter_namespaces()
                serve(theirs)
            except BaseException:
                os._exit(SETUP_FAILED)
            os._exit(SETUP_FAILED)
        theirs.close()
        self.pid, self.sock = pid, ours
        self.returncode: int | None = None
        self.ready: bool | None = None  # None: not asked yet
        self.setup_error: str | None = None
        self.home: Path | None = None
        self.log_path: Path | None = None
        self.uid: int | None = None

    def start(self, spec: WorkerSpec, private: Path) -> None:
        """Give the worker its folder (a fresh copy of the submission), its log and its orders."""
        self.uid = spec.uid
        self.home = Path(tempfile.mkdtemp(prefix="chainrule-worker-"))
        shutil.copytree(spec.submission, self.home, dirs_exist_ok=True)
        if spec.uid is not None:
            for path in [self.home, *self.home.rglob("*")]:
                os.chown(path, spec.uid, spec.uid, follow_symlinks=False)
        self.log_path = private / "worker.log"
        with open(self.log_path, "wb") as log:  # the worker prints here, and only here
            socket.send_fds(self.sock, [b"log"], [log.fileno()])
        orders: dict[str, Any] = {
            "home": str(self.home),
            "uid": spec.uid,
            "gid": spec.uid,
            "hide": spec.hide if spec.namespaces else [],
            "forbid": spec.forbid,
            "forbid_imports": spec.forbid_imports,
            "memory": MEMORY_LIMIT,
            "limits": {
                "RLIMIT_CPU": spec.cpu_seconds,
                "RLIMIT_FSIZE": FILE_SIZE_LIMIT,
                "RLIMIT_NOFILE": OPEN_FILES_LIMIT,
                "RLIMIT_CORE": 0,
                **({"RLIMIT_NPROC": PROCESS_LIMIT} if spec.uid is not None else {}),
            },
        }
        send_frame(self.sock, orders, [])

    def poll(self) -> int | None:
        """The worker's exit status once it ended (negative: killed by that signal)."""
        if self.returncode is None:
            with contextlib.suppress(ChildProcessError):
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if pid == self.pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.returncode

    def why_broken(self, what: str) -> str:
        """A student-facing sentence for a worker that stopped answering."""
        code = self.wait(timeout=2)
        if code is None:
            self.stop()
            return f"The process running your code {what}; it was stopped."
        if code < 0 or code > 128:
            name = _signal_name(-code if code < 0 else code - 128)
            cause = _SIGNAL_CAUSES.get(name, f"killed by {name}")
            return f"The process running your code was {cause}."
        return (
            f"The process running your code exited (code {code}) in the middle of the test: "
            f"a call to exit() or os._exit(), or a crash."
        )

    def wait_ready(self) -> bool:
        """Read the worker's "ready" (sent once its sandbox is set up, before any student code).

        Without it, the sandbox failed: the grader's fault, never the student's, and
        nothing the student's code does can fake that (it runs only after "ready").
        """
        if self.ready is None:
            try:
                header, _ = recv_frame(self.sock)
                self.ready = header.get("k") == "ready"
            except (ProtocolError, OSError):
                self.ready = False
            if not self.ready:
                self.wait(timeout=2)
                self.setup_error = self.output(3000) or f"the worker ended ({self.poll()})"
        return self.ready

    def setup_failed(self) -> str | None:
        """What the worker printed when it could not set up its sandbox (for the staff)."""
        return self.setup_error

    def stop(self) -> None:
        """Kill the worker and everything it started."""
        with contextlib.suppress(OSError):
            os.killpg(self.pid, signal.SIGKILL)  # its session; with namespaces, all inside
        if self.uid is not None:
            sweep_uid(self.uid)
        else:
            sweep_descendants(os.getpid())
        self.wait(timeout=5)
        self.sock.close()
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)

    def output(self, limit: int = 2000) -> str:
        """The end of what the worker printed (capped: a student may print megabytes)."""
        if self.log_path is None:
            return ""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - limit))
                text = f.read().decode("utf-8", errors="replace")
        except OSError:
            return ""
        return ("… cut …\n" if size > limit else "") + text

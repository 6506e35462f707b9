"""Reading ``.npz`` archives from elsewhere within a memory budget, before trusting them.

An ``.npz`` file is a zip archive of ``.npy`` members. ``numpy.load`` decompresses
a member before anything is checked, so a 200 KB file can ask for 200 MB (a
compression bomb) and an 8-byte member can declare the shape ``(10¹²,)``. Here
every step is checked before the next costs anything:

1. the zip directory: plain, unique member names ending in ``.npy``, stored or
   deflated, not encrypted;
2. a member's ``.npy`` header (parsed by NumPy's header reader, which never
   evaluates code): a numeric dtype (or text, where the caller allows it), a shape
   of non-negative ints, and ``prod(shape) × itemsize`` equal to the bytes the
   zip directory says the member holds;
3. the budget: the bytes read from one archive may total at most
   ``max(FLOOR, RATIO × file size)``. A file stored plainly never exceeds it; a
   deflated one may expand ``RATIO``-fold, no more;
4. only then the array is allocated once and filled chunk by chunk (no second
   copy), and the zip's CRC is checked as the last chunk arrives.

Errors are built by the caller's ``refuse(why)``, so a checkpoint raises
``CheckpointError`` and a data file ``DataError``, each naming the file.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from chainrule.npy import NpyHeaderError, read_header
from layers.errors import ChainruleError

FLOOR = 16 * 2**20  # bytes any archive may expand to: small files are never in the way
RATIO = 32  # beyond FLOOR, an archive may expand to RATIO × its size on disk
MAX_MEMBERS = 4096
CHUNK = 2**20  # read members in 1 MiB chunks: the only transient copy
# Anything NumPy's header parser or zipfile raises on bytes from elsewhere means
# "unreadable": a crafted header makes ``ast.literal_eval`` raise SyntaxError,
# then NumPy's fallback tokenizer raise tokenize.TokenError (a bare Exception).
_READ_ERRORS = (Exception,)

Refuse = Callable[[str], ChainruleError]


def size_text(n: int) -> str:
    """``2048`` as ``2 KiB``: a byte count a person reads at a glance."""
    value = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{n} bytes" if unit == "bytes" else f"{value:.3g} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Member:
    """One ``.npy`` member as its headers describe it (nothing of its data read yet)."""

    key: str  # the name without ``.npy``, as ``numpy.savez`` was given it
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    fortran_order: bool
    nbytes: int


def _plain_name(name: str) -> bool:
    """A member name that is a bare file name: no folders, no ``..``, nothing unprintable."""
    key = name.removesuffix(".npy")
    return (
        name.endswith(".npy")
        and bool(key)
        and not key.startswith(".")
        and "/" not in key
        and "\\" not in key
        and key.isprintable()
    )


class NpzArchive:
    """An ``.npz`` file opened for checked reading (use it as a context manager).

    Opening reads only the zip directory; :meth:`member` reads one ``.npy``
    header; :meth:`read` reads one array, charged against the archive's budget.
    """

    def __init__(self, path: Path, refuse: Refuse) -> None:
        self.path, self._refuse = path, refuse
        if not path.is_file():
            raise refuse("no such file")
        with path.open("rb") as f:
            magic = f.read(6)
        if magic == b"\x93NUMPY":
            raise refuse("a single array (.npy), not an .npz archive of named arrays")
        if magic[:4] != b"PK\x03\x04":
            raise refuse("not an .npz archive (it is not a zip file)")
        self.budget = max(FLOOR, RATIO * path.stat().st_size)
        self.spent = 0
        try:
            self._zip = zipfile.ZipFile(path)
        except _READ_ERRORS as exc:
            raise refuse(f"not a readable archive ({exc})") from exc
        try:
            self._infos = self._check_directory()
        except ChainruleError:
            self._zip.close()
            raise

    def _check_directory(self) -> dict[str, zipfile.ZipInfo]:
        infos = self._zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise self._refuse(f"{len(infos)} members; at most {MAX_MEMBERS} are read")
        by_key: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if not _plain_name(info.filename):
                raise self._refuse(
                    f"member {info.filename!r} is not a plain '<name>.npy' array "
                    f"(no folders, '..' or hidden names)"
                )
            key = info.filename.removesuffix(".npy")
            if key in by_key:
                raise self._refuse(f"the member {info.filename!r} appears twice")
            if info.flag_bits & 0x1:
                raise self._refuse(f"member {info.filename!r} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise self._refuse(f"member {info.filename!r} uses an unsupported compression")
            by_key[key] = info
        return by_key

    def __enter__(self) -> NpzArchive:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._zip.close()

    @property
    def keys(self) -> list[str]:
        """The array names, in the archive's order."""
        return list(self._infos)

    def member(self, key: str, kinds: Collection[str] = "biuf") -> Member:
        """Parse and check the ``.npy`` header of ``key``; read none of its data."""
        info = self._infos[key]
        try:
            with self._zip.open(info) as fp:
                member = self._header(key, info, fp, kinds)
        except ChainruleError:
            raise
        except _READ_ERRORS as exc:
            raise self._refuse(f"member {key!r} cannot be read ({exc})") from exc
        return member

    def _header(
        self, key: str, info: zipfile.ZipInfo, fp: IO[bytes], kinds: Collection[str]
    ) -> Member:
        try:
            header = read_header(fp, kinds)
        except NpyHeaderError as exc:
            raise self._refuse(f"member {key!r} {exc}") from None
        holds = info.file_size - header.offset
        if header.nbytes != holds:
            raise self._refuse(
                f"member {key!r} declares shape {header.shape} of {header.dtype} "
                f"({size_text(header.nbytes)}) but holds {size_text(max(holds, 0))}"
            )
        return Member(key, header.shape, header.dtype, header.fortran_order, header.nbytes)

    def read(self, key: str, kinds: Collection[str] = "biuf") -> npt.NDArray[Any]:
        """The array ``key`` in native byte order, read within the archive's budget."""
        info = self._infos[key]
        try:
            with self._zip.open(info) as fp:
                member = self._header(key, info, fp, kinds)
                self._charge(member)
                flat = np.empty(member.nbytes // member.dtype.itemsize, member.dtype)
                view = memoryview(flat.data).cast("B")
                filled = 0
                while filled < member.nbytes:
                    chunk = fp.read(min(CHUNK, member.nbytes - filled))
                    if not chunk:
                        raise self._refuse(f"member {key!r} is truncated")
                    view[filled : filled + len(chunk)] = chunk
                    filled += len(chunk)
                if fp.read(1):  # also makes zipfile check the CRC of the last chunk
                    raise self._refuse(f"member {key!r} holds more data than its header says")
        except ChainruleError:
            raise
        except MemoryError as exc:
            raise self._refuse(f"member {key!r} does not fit in memory") from exc
        except _READ_ERRORS as exc:
            raise self._refuse(f"member {key!r} cannot be read ({exc})") from exc
        if not member.dtype.isnative and member.dtype.itemsize > 1:
            flat = flat.byteswap(inplace=True).view(member.dtype.newbyteorder("="))
        shaped: npt.NDArray[Any] = flat.reshape(
            member.shape, order="F" if member.fortran_order else "C"
        )
        return shaped

    def _charge(self, member: Member) -> None:
        if self.spent + member.nbytes > self.budget:
            raise self._refuse(
                f"member {member.key!r} would expand to {size_text(member.nbytes)} from a file "
                f"of {size_text(self.path.stat().st_size)}; an archive is read only up to "
                f"{size_text(self.budget)} (save it with numpy.savez, uncompressed, if it "
                f"really is this large)"
            )
        self.spent += member.nbytes

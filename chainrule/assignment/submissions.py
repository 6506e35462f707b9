"""A class's submissions: Gradescope's export, or a folder of folders or zips.

Everything here reads student material, so it is treated as hostile data:

- Gradescope's ``submission_metadata.yml`` is read with ``yaml.safe_load``
  (no object construction), at most :data:`MAX_METADATA` bytes, and only its
  keys that name a folder actually present count (a key is never joined into
  a path unchecked).
- A zip is unpacked member by member, refusing the whole zip on an absolute
  path, a ``..`` part, a backslash or drive letter, more than
  :data:`MAX_MEMBERS` members, a member larger than :data:`MAX_MEMBER` bytes
  or more than :data:`MAX_UNPACKED` bytes in all (counted while reading, not
  taken from the zip's own headers, so a zip bomb stops at the cap).
  Symbolic links inside the zip are skipped; nothing is executed.
- Symbolic links in the submissions folder are not followed.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import shutil
import stat
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from chainrule.assignment.errors import AssignmentError

GRADESCOPE_METADATA = "submission_metadata.yml"
MAX_METADATA = 8 * 2**20  # bytes of submission_metadata.yml
MAX_MEMBERS = 2000  # members of one submitted zip
MAX_MEMBER = 16 * 2**20  # bytes of one unpacked member
MAX_UNPACKED = 64 * 2**20  # bytes of one unpacked zip
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,199}$")  # a folder or zip name we accept


@dataclass(frozen=True)
class Submission:
    """One student's (or group's) submission."""

    id: str  # the folder or zip name (Gradescope: ``submission_123``), or one made safe from it
    path: Path  # a folder, or a .zip file to unpack
    names: str = ""  # the submitters' names (Gradescope's metadata), "; "-separated
    emails: str = ""
    sids: str = ""
    folder: str = ""  # the folder or zip name as submitted (may hold spaces, accents...)

    @property
    def is_zip(self) -> bool:
        return self.path.suffix.lower() == ".zip"


def safe_id(name: str) -> str:
    """``name`` as a safe file name, for a folder or zip name that is not one already.

    Names such as Moodle's ``Jane Doe_123_assignsubmission_file_`` or ``josé``
    keep their letters (accents dropped: ``jose``), with any other run of
    characters made ``_``, and a short hash of the full name appended so two
    names that differ only in what was replaced stay apart.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9_.@+-]+", "_", ascii_name).strip("_.-+@")[:150]
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{slug or 'submission'}-{digest}"


def _submitters(entry: Any) -> tuple[str, str, str]:
    """Names, emails and student ids of one metadata entry ("" where absent or malformed)."""
    people = entry.get(":submitters") if isinstance(entry, dict) else None
    if not isinstance(people, list):
        return "", "", ""

    def field_of(key: str) -> str:
        values = [p.get(key) for p in people[:20] if isinstance(p, dict)]
        return "; ".join(str(v)[:200] for v in values if isinstance(v, (str, int)))

    return field_of(":name"), field_of(":email"), field_of(":sid")


def _read_metadata(path: Path) -> dict[str, Any]:
    # The course extra: only an instructor's machine needs PyYAML (typed loosely: its
    # stubs are a separate package).
    yaml: Any = importlib.import_module("yaml")

    if path.is_symlink() or path.stat().st_size > MAX_METADATA:
        raise AssignmentError(f"{path}: not a regular file of at most {MAX_METADATA} bytes")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8", errors="replace"))
    except yaml.YAMLError as exc:
        raise AssignmentError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise AssignmentError(
            f"{path}: expected a mapping of submission folders to their submitters, "
            f"got {type(data).__name__}"
        )
    return {str(k): v for k, v in data.items()}


def find_submissions(root: Path) -> tuple[list[Submission], list[str]]:
    """The submissions under ``root``, sorted by id, and notes on what was passed over.

    With a ``submission_metadata.yml`` (Gradescope's "Export Submissions"),
    each of its folders is one submission, with the submitters' names; a
    folder the metadata does not list is graded too, without names. Otherwise
    every folder and every ``.zip`` at the top of ``root`` is a submission.
    Each gets an id safe as a file name: its own name when it is one, else
    :func:`safe_id` of it (the name as submitted stays in ``folder``).
    """
    if not root.is_dir():
        raise AssignmentError(f"submissions folder {root} does not exist")
    metadata: dict[str, Any] = {}
    if (root / GRADESCOPE_METADATA).exists():
        metadata = _read_metadata(root / GRADESCOPE_METADATA)
    found, notes = [], []
    for entry in sorted(root.iterdir()):
        name = entry.name
        if name == GRADESCOPE_METADATA or name.startswith("."):
            continue
        if entry.is_symlink():
            notes.append(f"{name}: a symbolic link, not followed")
            continue
        is_zip = entry.is_file() and name.lower().endswith(".zip")
        if not (entry.is_dir() or is_zip):
            notes.append(f"{name}: neither a folder nor a .zip, passed over")
            continue
        ident = name[:-4] if is_zip else name
        if not _ID.match(ident):
            ident = safe_id(ident)
            notes.append(f"{name!r}: graded as {ident} (its name is not a safe file name)")
        names, emails, sids = _submitters(metadata.get(name))
        found.append(Submission(ident, entry, names, emails, sids, folder=name))
    ids = [s.id for s in found]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise AssignmentError(f"both a folder and a zip are named {twice[0]!r} in {root}")
    listed = [k for k in metadata if k not in ids]
    if listed:
        notes.append(f"{len(listed)} submission(s) in {GRADESCOPE_METADATA} have no folder")
    return found, notes


def _unsafe_name(name: str) -> str | None:
    """Why a zip member's name may not be unpacked (None: it may)."""
    if "\\" in name or "\x00" in name or re.match(r"^[A-Za-z]:", name):
        return "a backslash, NUL or drive letter in its name"
    path = PurePosixPath(name)
    if path.is_absolute():
        return "an absolute path"
    if ".." in path.parts:
        return "a '..' in its path"
    return None


def unpack_zip(zip_path: Path, dest: Path) -> list[str]:
    """Unpack ``zip_path`` into the new folder ``dest`` within the caps; return notes.

    Raises :class:`AssignmentError` (and leaves ``dest`` removed) for a zip
    that is not one, or that breaks a rule of the module docstring.
    """
    notes: list[str] = []
    dest.mkdir(parents=True)
    try:
        with zipfile.ZipFile(zip_path) as zf:
            members = zf.infolist()
            if len(members) > MAX_MEMBERS:
                raise AssignmentError(
                    f"the zip holds {len(members)} members (at most {MAX_MEMBERS})"
                )
            total = 0
            for info in members:
                why = _unsafe_name(info.filename)
                if why:
                    raise AssignmentError(f"zip member {info.filename[:200]!r} has {why}")
                if stat.S_ISLNK(info.external_attr >> 16):
                    notes.append(f"{info.filename[:200]}: a symbolic link in the zip, skipped")
                    continue
                target = dest / PurePosixPath(info.filename)
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                size = 0
                with zf.open(info) as src, open(target, "wb") as out:
                    while chunk := src.read(1 << 16):
                        size += len(chunk)
                        total += len(chunk)
                        if size > MAX_MEMBER or total > MAX_UNPACKED:
                            raise AssignmentError(
                                f"the zip unpacks to more than {MAX_MEMBER} bytes in one file "
                                f"or {MAX_UNPACKED} in all"
                            )
                        out.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
            EOFError, OSError) as exc:  # fmt: skip
        shutil.rmtree(dest, ignore_errors=True)
        raise AssignmentError(f"the zip could not be read: {type(exc).__name__}: {exc}") from exc
    except AssignmentError:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return notes


def is_empty(folder: Path) -> bool:
    """True when ``folder`` holds no regular file (caches and dot-files aside)."""
    for dirpath, dirnames, filenames in os.walk(folder):  # symbolic links are not followed
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "__pycache__"]
        for name in filenames:
            path = Path(dirpath, name)
            if not name.startswith(".") and path.is_file() and not path.is_symlink():
                return False
    return True

"""Notebook assignments: a Jupyter notebook whose code cells are the modules the tests import.

A code cell belongs to a module when its first line says so::

    # chainrule: module backprop/linear.py

(a visible line, so it survives copying a cell; the grader drops it, so line
numbers in feedback are those of the module). A cell an instructor keeps to
themselves (a demo of the solution, a check) has the metadata
``{"chainrule": {"hidden": true}}``. The solution markers
(``# BEGIN SOLUTION`` ... ``# END SOLUTION``, ``# SOLUTION``) work inside code
cells as in ``.py`` files.

- ``make`` writes the student's notebook: solutions stubbed, outputs and
  execution counts cleared, hidden cells removed (:func:`student_notebook`).
- ``grade`` turns the student's notebook back into the modules, in the
  grader, before any student code runs (:func:`expand_notebooks`): each
  module is the source of its cells, in order. From there on a notebook is
  graded exactly as ``.py`` files are: imported only by the sandboxed worker,
  under each test's time limit. Cells without a module (the student's
  experiments) are not run. A cell that parses as Python is Python, whatever
  its lines start with (``!= b`` continuing a line, ``% x`` formatting, a
  docstring line). A module with a cell that does not parse is not run: if
  the failing line is IPython syntax (a line starting with ``%``, ``%%`` or
  ``!``, or ``x = !cmd`` / ``x = %magic``) the reason says magics and shell
  escapes are not run, else it is the ``SyntaxError``; a cell calling
  ``get_ipython()`` is refused too. Importing a refused module raises an
  ``ImportError`` that says which cell and line, so every test that needs it
  fails with that message.
- In Jupyter, :func:`enable_in_jupyter` (the notebook's first cell) makes a
  marked cell, when run, define its module, so cells import each other
  (``from backprop.linear import Linear``) as the grader's modules do.
- :func:`notebook_edition` makes the notebook edition of a ``.py``
  assignment from the very same marked sources, so the two cannot drift.

The grader reads a notebook as JSON data (at most :data:`MAX_NOTEBOOK` bytes,
structure checked), never through Jupyter, and executes nothing.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import re
import shutil
import sys
import types
from pathlib import Path, PurePosixPath
from typing import Any

from chainrule.assignment.errors import AssignmentError

KEY = "chainrule"  # the cell metadata key (hidden cells)
INSTALL_MARK = "<!-- chainrule:install -->"  # where make writes the install section
MAX_NOTEBOOK = 16 * 2**20  # bytes
MODULE_LINE = "# chainrule: module "  # a code cell's first line: which module it is
_MODULE = re.compile(r"^[A-Za-z_]\w*(/[A-Za-z_]\w*)*\.py$")
# IPython syntax on a line that does not parse: a magic or shell escape as the
# line's first token, or its output assigned (``files = !ls``, ``x = %env``).
_IPYTHON_LINE = re.compile(r"^\s*(?:[%!]|[A-Za-z_][\w.,\s]*=\s*[%!])")


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        return "".join(source)
    if isinstance(source, str):
        return source
    raise AssignmentError("a notebook cell's source must be text or a list of lines")


def read_cells(path: Path) -> list[dict[str, Any]]:
    """The cells of the notebook at ``path`` (plain JSON data, structure checked)."""
    if path.is_symlink() or path.stat().st_size > MAX_NOTEBOOK:
        raise AssignmentError(f"{path.name}: not a regular file of at most {MAX_NOTEBOOK} bytes")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise AssignmentError(f"{path.name} is not a Jupyter notebook (not JSON: {exc})") from exc
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise AssignmentError(f"{path.name} is not a Jupyter notebook (no list of cells)")
    for cell in cells:
        _source(cell)
        if not isinstance(cell.get("metadata", {}), dict):
            raise AssignmentError(f"{path.name}: a cell's metadata must be a mapping")
    return cells


def split_module(source: str) -> tuple[str | None, str]:
    """``(module, the cell's code without its marker line)``; ``(None, source)`` if unmarked.

    The module must be a plain relative path (``pkg/mod.py``); any other marker
    line leaves the cell unmarked.
    """
    first, newline, rest = source.partition("\n")
    if not first.startswith(MODULE_LINE):
        return None, source
    module = first[len(MODULE_LINE) :].strip()
    if not _MODULE.match(module) or len(module) > 200:
        return None, source
    return module, rest if newline else ""


def is_hidden(cell: dict[str, Any]) -> bool:
    mark = cell.get("metadata", {}).get(KEY)
    return isinstance(mark, dict) and mark.get("hidden") is True


def _refusal(source: str) -> tuple[int, str, str] | None:
    """Why a cell cannot be run as Python: ``(line, the line, reason)``, or None if it can.

    The cell is parsed first: valid Python is never refused for how its lines
    start. Only a cell that does not parse is searched for IPython syntax, on
    the line where parsing failed.
    """
    lines = source.splitlines()
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        number = min(max(exc.lineno or 1, 1), max(len(lines), 1))
        line = lines[number - 1] if lines else ""
        if _IPYTHON_LINE.match(line):
            return number, line.strip()[:80], MAGIC_REASON
        return number, line.strip()[:80], f"SyntaxError: {exc.msg}"
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "get_ipython"
        ):
            return node.lineno, lines[node.lineno - 1].strip()[:80], MAGIC_REASON
    return None


MAGIC_REASON = (
    "IPython magics and shell escapes (%magic, %%magic, !cmd, x = !cmd, get_ipython()) "
    "are not run by the grader"
)


def notebook_modules(path: Path) -> tuple[dict[str, str], list[str]]:
    """The modules the notebook's cells make (path → source), and notes for the student."""
    cells = read_cells(path)
    modules: dict[str, list[str]] = {}
    refused: dict[str, str] = {}
    loose = 0
    for index, cell in enumerate(cells, 1):
        if cell.get("cell_type") != "code":
            continue
        module, source = split_module(_source(cell))
        if module is None:
            loose += bool(source.strip()) and source.strip() != SETUP_CELL
            continue
        refusal = _refusal(source)
        if refusal is not None and module not in refused:
            number, line, reason = refusal
            fix = "remove them" if reason == MAGIC_REASON else "fix it"
            refused[module] = (
                f"{path.name}, cell {index}, line {number} ({line!r}): {reason}; "
                f"{fix} in the cells of {module}"
            )
        modules.setdefault(module, []).append(source.rstrip("\n") + "\n")
    notes = [f"{refused[m]}." for m in refused]
    if loose:
        notes.append(
            f"{path.name}: {loose} code cell(s) without a module are not run by the grader."
        )
    out = {}
    for module, parts in modules.items():
        if module in refused:
            out[module] = f"raise ImportError({refused[module]!r})\n"
        else:
            out[module] = "\n\n".join(parts)
    return out, notes


def expand_notebooks(folder: Path) -> list[str]:
    """Write the modules of every notebook in ``folder`` beside it; return notes."""
    notes = []
    for dirpath, _, filenames in os.walk(folder):
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if not name.endswith(".ipynb") or path.is_symlink():
                continue
            try:
                modules, found = notebook_modules(path)
            except AssignmentError as exc:
                notes.append(f"{exc}; its code was not graded.")
                continue
            notes += found
            for module, text in modules.items():
                target = folder / PurePosixPath(module)
                target.parent.mkdir(parents=True, exist_ok=True)
                for package in target.relative_to(folder).parents:
                    init = folder / package / "__init__.py"
                    if package != Path(".") and not init.exists():
                        init.write_text("", encoding="utf-8")
                target.write_text(text, encoding="utf-8")
    return notes


def _nbformat() -> Any:
    """nbformat (the course extra: only ``make`` needs it; the grader reads JSON)."""
    importlib.import_module("nbformat.v4")
    return importlib.import_module("nbformat")


def student_notebook(path: Path, dest: Path, strip: Any) -> int:
    """Write the student's copy of the notebook at ``path`` to ``dest``; return solutions stubbed.

    ``strip(text, where)`` is :func:`chainrule.assignment.markers.strip_solutions`.
    """
    nbformat = _nbformat()
    nb = nbformat.read(str(path), as_version=4)
    nb.cells = [c for c in nb.cells if not is_hidden(c)]
    count = 0
    for index, cell in enumerate(nb.cells, 1):
        if cell.cell_type != "code":
            continue
        text, solutions = strip(cell.source, f"{path.name}, cell {index}")
        cell.source = text.rstrip("\n")
        count += len(solutions)
        cell.outputs = []
        cell.execution_count = None
    nbformat.validate(nb)
    nbformat.write(nb, str(dest))
    return count


INTRO = (
    "Each code cell whose first line is `# chainrule: module <file>` is that file of the "
    "package: write your code where it raises `NotImplementedError`, and keep the forward "
    "passes, signatures and docstrings. Run the first code cell, then the module cells in "
    "order, to try your code here. The grader runs only the module cells (each module's cells "
    "in order) with the same tests as the `.py` edition, and refuses IPython magics and shell "
    "escapes (`%`, `!`) in them. Cells you add without that first line are yours: the grader "
    "does not run them. To run the visible tests as the grader does, from this folder: "
    "`python -m chainrule.assignment grade . --tests tests --results results.json`."
)
SETUP_CELL = (
    "# Lets the module cells below import each other (from backprop.linear import Linear),\n"
    "# as they do when graded. The grader does not run this cell.\n"
    "from chainrule.assignment.notebook import enable_in_jupyter\n"
    "\n"
    "enable_in_jupyter()"
)


def define_module(path: str, source: str, namespace: dict[str, Any]) -> None:
    """Run ``source`` as the module file ``path`` and copy its public names into ``namespace``.

    What a marked cell does in Jupyter once :func:`enable_in_jupyter` ran: the
    module (and its packages) enter ``sys.modules``, so later cells import it.
    """
    name = path.removesuffix(".py").replace("/", ".")
    parts = name.split(".")
    for depth in range(1, len(parts)):
        package = ".".join(parts[:depth])
        if package not in sys.modules:
            made = types.ModuleType(package)
            made.__path__ = []
            sys.modules[package] = made
    module = types.ModuleType(name)
    module.__file__ = path
    sys.modules[name] = module
    if len(parts) > 1:
        setattr(sys.modules[".".join(parts[:-1])], parts[-1], module)
    exec(compile(source, path, "exec"), module.__dict__)  # the student's own cell, in Jupyter
    namespace.update({k: v for k, v in vars(module).items() if not k.startswith("_")})


def _as_module(lines: list[str]) -> list[str]:
    """IPython input transformer: a marked cell becomes a call of :func:`define_module`."""
    module, code = split_module("".join(lines))
    if module is None:
        return lines
    call = "__import__('chainrule.assignment.notebook', fromlist=['_']).define_module"
    return [f"{call}({module!r}, {code!r}, globals())\n"]


def enable_in_jupyter() -> None:
    """Make marked cells define their modules when run in this IPython kernel."""
    shell = importlib.import_module("IPython").get_ipython()
    if shell is None:
        raise RuntimeError("enable_in_jupyter works in a Jupyter notebook (an IPython kernel)")
    if _as_module not in shell.input_transformers_post:
        shell.input_transformers_post.append(_as_module)


def notebook_edition(src: Path, dest: Path) -> Path:
    """The notebook edition of the ``.py`` assignment ``src``, written as a source dir ``dest``.

    One notebook, named after the package, with the README as its first cell
    and one code cell per module (solution markers kept), in the order the
    modules import each other (a module's cell comes after those it imports).
    The tests and ``grading.json`` are copied unchanged.
    """
    nbformat = _nbformat()
    new_code_cell, new_markdown_cell = nbformat.v4.new_code_cell, nbformat.v4.new_markdown_cell
    packages = sorted(p.parent for p in src.glob("*/__init__.py"))
    if len(packages) != 1:
        raise AssignmentError(
            f"{src}: a notebook edition needs exactly one package, found {len(packages)}"
        )
    package = packages[0]
    modules = sorted(p for p in package.glob("*.py") if p.name != "__init__.py")
    order = _import_order(package.name, modules)
    cells = []
    readme = src / "README.md"
    if readme.is_file():
        cells.append(new_markdown_cell(readme.read_text(encoding="utf-8").strip()))
    cells += [new_markdown_cell(INTRO), new_code_cell(SETUP_CELL)]
    for module in order:
        rel = f"{package.name}/{module.name}"
        cells.append(new_markdown_cell(f"### `{rel}`"))
        text = module.read_text(encoding="utf-8").rstrip("\n")
        cells.append(new_code_cell(f"{MODULE_LINE}{rel}\n{text}"))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}  # fmt: skip
    nbformat.validate(nb)
    dest.mkdir(parents=True)
    nbformat.write(nb, str(dest / f"{package.name}.ipynb"))
    title = "# Assignment"
    if readme.is_file():
        title = readme.read_text(encoding="utf-8").partition("\n")[0] or title
    (dest / "README.md").write_text(
        f"{title} (notebook edition)\n\n{INSTALL_MARK}\n\n## Work\n\n"
        f"Open `{package.name}.ipynb` in Jupyter (with chainrule installed in the kernel's "
        f"environment, as above) and follow it. Its first cell says which cells are graded.\n\n"
        f"## Check your work\n\nThe visible tests, run as the grader runs them:\n\n"
        f"    python -m chainrule.assignment grade . --tests tests --results results.json\n\n"
        f"## Submit\n\nUpload `{package.name}.ipynb`.\n",
        encoding="utf-8",
    )
    shutil.copytree(src / "tests", dest / "tests",
                    ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))  # fmt: skip
    return dest


def _import_order(package: str, modules: list[Path]) -> list[Path]:
    """``modules`` with each after the package's modules it imports (else by name)."""
    names = {m.stem: m for m in modules}
    needs = {
        m.stem: set(re.findall(rf"^from {package}\.(\w+) import", m.read_text(), re.MULTILINE))
        & set(names)
        for m in modules
    }
    done: list[str] = []
    while len(done) < len(names):
        ready = sorted(n for n in names if n not in done and needs[n] <= set(done))
        if not ready:  # an import cycle: keep the name order for the rest
            ready = sorted(n for n in names if n not in done)
        done.append(ready[0])
    return [names[n] for n in done]

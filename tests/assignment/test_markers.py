"""Solution markers and @points: what the student sees, and clear errors for bad input."""

import textwrap
from pathlib import Path

import pytest

from chainrule.assignment.errors import AssignmentError, MarkerError
from chainrule.assignment.markers import strip_solutions
from chainrule.assignment.testfiles import GradedTest, discover, strip_hidden

SOURCE = textwrap.dedent('''\
    """A module. The text # SOLUTION in a docstring is not a marker."""
    RATE = 0.1  # SOLUTION


    class Linear:
        def backward(self, g):
            """Docstring the student keeps."""
            x = g + 1
            # BEGIN SOLUTION fill W.grad, return grad x
            self.W = x
            return x * 2
            # END SOLUTION

        def sigma_prime(self, h):
            return h * (1 - h)  # SOLUTION

        def step(self, w):
            v = w * 3  # SOLUTION
            return v


    def helper():
        # BEGIN SOLUTION
        return 42
        # END SOLUTION
''')


def test_student_version_keeps_signatures_and_docstrings_and_stubs_the_rest() -> None:
    student, solutions = strip_solutions(SOURCE, "mod.py")
    assert [s.owner for s in solutions] == [
        "<module>",
        "Linear.backward",
        "Linear.sigma_prime",
        "Linear.step",
        "helper",
    ]
    assert student == textwrap.dedent('''\
        """A module. The text # SOLUTION in a docstring is not a marker."""
        RATE = ...  # your answer here


        class Linear:
            def backward(self, g):
                """Docstring the student keeps."""
                x = g + 1
                raise NotImplementedError("Linear.backward: fill W.grad, return grad x")

            def sigma_prime(self, h):
                raise NotImplementedError("Linear.sigma_prime: return the result")

            def step(self, w):
                raise NotImplementedError("Linear.step: compute v")
                return v


        def helper():
            raise NotImplementedError("helper: your code here")
    ''')


def test_stubs_raise_not_implemented_with_a_pointer() -> None:
    student, _ = strip_solutions(SOURCE, "mod.py")
    namespace: dict[str, object] = {}
    exec(compile(student, "mod.py", "exec"), namespace)  # the student version imports
    linear = namespace["Linear"]()  # type: ignore[operator]
    with pytest.raises(NotImplementedError, match=r"Linear\.backward: fill W\.grad"):
        linear.backward(1.0)
    with pytest.raises(NotImplementedError, match="helper"):
        namespace["helper"]()  # type: ignore[operator]


def test_a_file_without_markers_is_unchanged() -> None:
    text = "def f(x):\n    return x  # a comment\n"
    assert strip_solutions(text, "plain.py") == (text, [])


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "def f():\n    # BEGIN SOLUTION\n    x = 1\n    # BEGIN SOLUTION\n    y = 2\n"
            "    # END SOLUTION\n",
            r"bad\.py:4: nested BEGIN SOLUTION; the block opened at line 2",
        ),
        (
            "def f():\n    # BEGIN SOLUTION\n    x = 1\n",
            r"bad\.py:2: BEGIN SOLUTION is never closed",
        ),
        ("def f():\n    return 1\n# END SOLUTION\n", r"bad\.py:3: END SOLUTION without a BEGIN"),
        (
            "def f():\n    # BEGIN SOLUTION\n    x = 1  # SOLUTION\n    # END SOLUTION\n",
            r"bad\.py:3: '# SOLUTION' inside the BEGIN SOLUTION block opened at line 2",
        ),
        (
            "def f():\n    # BEGIN SOLUTION\n    # END SOLUTION\n    return 1\n",
            r"bad\.py:2: .*no code",
        ),
        ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", r"bad\.py:1: .*inside a function"),
        (
            "x = f(\n    1)  # SOLUTION\n",
            r"bad\.py:2: the solution cuts the statement on lines 1-2",
        ),
        ("f(1)  # SOLUTION\n", r"bad\.py:1: .*module level must assign a name"),
        ("def f():\n    x = 1  # BEGIN SOLUTION\n", r"bad\.py:2: .*on a line of its own"),
        ("def f(:\n    pass\n", r"bad\.py:1: not valid Python"),
    ],
    ids=[
        "nested",
        "unclosed",
        "stray-end",
        "line-in-block",
        "empty",
        "module-block",
        "multiline-statement",
        "module-expression",
        "inline-begin",
        "syntax",
    ],
)
def test_malformed_markers_name_the_file_and_line(source: str, message: str) -> None:
    with pytest.raises(MarkerError, match=message):
        strip_solutions(source, "bad.py")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def test_a():\n    pass\n", r"t/test_x\.py:1: test_a has no @points"),
        ("@points(2, hidden=1)\ndef test_a():\n    pass\n", r"hidden must be True or False"),
        ("@points(n)\ndef test_a():\n    pass\n", r"must be literals .* got 'n'"),
        ("@points(1, weight=2)\ndef test_a():\n    pass\n", r"unknown argument\(s\) \['weight'\]"),
        ("class TestA:\n    def test_a(self):\n        pass\n", r"test classes are not graded"),
    ],
    ids=["no-points", "bad-hidden", "not-literal", "unknown-option", "class"],
)
def test_malformed_test_files_name_the_file_and_line(
    tmp_path: Path, source: str, message: str
) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "test_x.py").write_text(source)
    with pytest.raises(AssignmentError, match=message):
        discover(tmp_path)


def test_hidden_tests_are_stripped_with_their_decorators_and_comments() -> None:
    source = textwrap.dedent('''\
        import x


        @points(1)
        def test_a():
            pass


        # about b
        @points(2, hidden=True)
        @settings(max_examples=3)
        def test_b():
            """Secret."""
            assert x.secret()


        @points(1)
        def test_c():
            pass
    ''')
    specs = [
        GradedTest("t.py", "test_a", 1.0, False, None, "", 4, 6, False),
        GradedTest("t.py", "test_b", 2.0, True, None, "Secret.", 10, 14, False),
    ]
    stripped = strip_hidden(source, specs)
    assert "test_b" not in stripped and "about b" not in stripped and "settings" not in stripped
    assert stripped.count("\n\n\n") == 2 and "def test_c" in stripped

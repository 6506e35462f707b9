"""Course assignments: student skeletons from marked solutions, and a Gradescope grader.

- ``chainrule assignment make SRC --out DIST`` turns marked solutions into a
  student version and an autograder (with a ready Gradescope zip);
- ``chainrule assignment grade SUBMISSION --tests DIR --results results.json``
  runs each test in its own subprocess and writes Gradescope's results.

Test files mark their points with :func:`points`. See ``docs/assignments.md``.
"""

from chainrule.assignment.points import points

__all__ = ["points"]

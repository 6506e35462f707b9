"""``python -m chainrule.assignment make|grade ...``."""

import sys

from chainrule.assignment.cli import main

sys.exit(main())

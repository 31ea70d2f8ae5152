"""``python -m harness`` is the same as the ``mmrepro`` command."""

import sys

from harness.cli import main

sys.exit(main())

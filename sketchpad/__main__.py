"""`python -m sketchpad` behaves exactly like the `sketchpad` command."""

import sys

from sketchpad.cli import main

if __name__ == "__main__":
    sys.exit(main())

"""Entry script for the frozen executables (both run the same command table; no command opens the window)."""

import sys

from lhn_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())

"""Entry script for the frozen executables (both run the same command table; no command opens the window)."""

import multiprocessing
import sys

from lhn_desktop.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a second process (the EHR import's validation) starts here when frozen
    sys.exit(main())

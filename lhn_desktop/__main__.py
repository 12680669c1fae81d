"""``python -m lhn_desktop``: the same entry point as the ``lhn-desktop`` command."""

from __future__ import annotations

import sys

from lhn_desktop.cli import main

if __name__ == "__main__":
    if getattr(sys, "frozen", False):  # from source there is nothing to answer, and the import costs a start 20 ms
        import multiprocessing

        multiprocessing.freeze_support()  # a second process (the EHR import's validation) starts here when frozen
    sys.exit(main())

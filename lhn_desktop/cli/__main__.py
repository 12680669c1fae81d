"""``python -m lhn_desktop.cli``: the console entry point (also the frozen ``lhn-desktop-cli``)."""

from __future__ import annotations

import sys

from lhn_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())

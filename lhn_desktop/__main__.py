"""``python -m lhn_desktop``: the same entry point as the ``lhn-desktop`` command."""

from __future__ import annotations

import sys

from lhn_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())

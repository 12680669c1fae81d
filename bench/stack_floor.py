"""The stack floor for start-up: the bare window of ``bench/bare_window.py`` that first imports SQLAlchemy's ORM,
opens the center database file the way the program does (SQLCipher with its key when it is encrypted, the same
connection settings) and reads a row through an ORM session. Nothing of LHN Desktop's models, services or pages.

Usage: ``python bench/stack_floor.py DATABASE [--imports-unwatched]`` (with the same ``LHN_DESKTOP_HOME`` as the
program, for the key). Prints ``FLOOR OK t=<seconds since the epoch>`` when the window is painted.
``--imports-unwatched``: the imports run with the cyclic garbage collector paused and their objects frozen after, as
the program's own start does (lhn_desktop/startup.py): the floor a program gets from that change alone.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
UNWATCHED = "--imports-unwatched" in sys.argv
if UNWATCHED:
    gc.disable()

# SQLAlchemy's ORM before PySide6, as the program imports its Qt-free core first (lhn_desktop/cli/gui.py): PySide6
# reads the source of every module imported after it, and the floor is the cheapest arrangement of the stack
import sqlalchemy.orm  # noqa: E402, F401
from bare_window import main  # noqa: E402  (bench/bare_window.py, beside this file)

if UNWATCHED:
    gc.freeze()
    gc.enable()


def open_and_read() -> str:
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from lhn_desktop.store.engine import create_db_engine  # the key lookup and connection settings, no models

    engine = create_db_engine(Path(sys.argv[1]))
    with Session(engine) as session:
        name = session.execute(text("SELECT name FROM site LIMIT 1")).scalar_one()
    return f"stack floor: {name}"


if __name__ == "__main__":
    sys.exit(main(open_and_read, "FLOOR"))

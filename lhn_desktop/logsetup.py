"""Logging for the entry points: a rotating file in the log folder, and the console when asked.

Only entry points call :func:`configure_logging`; library modules just use
``logging.getLogger(__name__)``. Log lines never carry patient data: services log counts, file
names and record ids, never names, MRNs or dates of birth; and a logged exception's traceback keeps
its frames but not its message (``errors.safe_traceback``), which may quote the data it failed on.
"""

from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_FILENAME = "lhn-desktop.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class SafeFormatter(logging.Formatter):
    """Log lines as usual; an exception's traceback without the words of its message."""

    def format(self, record: logging.LogRecord) -> str:
        # not the traceback text another handler may have cached on the record with the usual formatter
        cached = record.exc_text
        record.exc_text = self.formatException(record.exc_info) if record.exc_info else None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatException(self, ei) -> str:
        from lhn_desktop.errors import safe_traceback

        return safe_traceback(ei[1]).rstrip("\n") if ei and ei[1] is not None else ""


def configure_logging(log_dir: Path, *, verbose: bool = False) -> Path | None:
    """Install the handlers; returns the log file, or ``None`` when it could not be opened."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in list(root.handlers):
        if getattr(handler, "_lhn", False):
            root.removeHandler(handler)
            handler.close()
    log_file = log_dir / LOG_FILENAME
    path: Path | None = log_file
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        file_handler = RotatingFileHandler(log_file, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
        file_handler.setFormatter(SafeFormatter(_FORMAT))
        file_handler._lhn = True  # type: ignore[attr-defined]
        root.addHandler(file_handler)
    except OSError as exc:
        print(f"warning: the log file cannot be written in {log_dir} ({exc.strerror or exc})", file=sys.stderr)  # noqa: T201
        path = None
    if verbose:
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(SafeFormatter(_FORMAT))
        console._lhn = True  # type: ignore[attr-defined]
        root.addHandler(console)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    return path

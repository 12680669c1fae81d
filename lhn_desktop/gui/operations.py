"""One shape for work started from the window (in the spirit of Anki's ``CollectionOp`` and ``QueryOp``).

- :func:`run_op` runs a change off the window thread through the window's one :class:`TaskRunner` (a progress
  dialog with Cancel after half a second when it has a label), reports a failure through the one error
  presenter, and on success announces what changed on the window's :class:`ChangeBus`, so that every page that
  shows that data refreshes itself; the caller's ``done`` then does only what is particular to it (a word in the
  status bar, the next row chosen). Writes run one at a time.
- :func:`run_query` reads off the window thread (several at once) and hands the result to ``done``; it changes
  nothing, so it announces nothing.
- :func:`reported` is the same presenter for the few steps that must stay on the window thread (a print dialog,
  a form being built): ``with reported(self) as step: ...``, then ``if not step.ok: return``.

The life of an operation: the page calls ``run_op(self, work, changes=Changed.VISITS, done=...)`` → the runner
runs ``work()`` on its writer thread → back on the window thread, a failure goes to ``show_error`` and stops there;
a success emits ``ChangeBus.changed(Changed.VISITS)`` → the window calls ``data_changed`` on each page whose
``shows`` overlaps (the page on screen reloads at once, keeping its selection; the others reload when next
shown) → then ``done(result)``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from lhn_desktop.errors import LhnError
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.tasks import TaskRunner
from lhn_desktop.progress import CancelToken

T = TypeVar("T")


class Changed(enum.Flag):
    """Kinds of data an operation changes and a page shows."""

    NOTHING = 0
    PATIENTS = enum.auto()  # the registry: who the center's patients are, their details and status
    VISITS = enum.auto()  # the schedule and what was recorded at visits (values, medicines, events)
    PLANS = enum.auto()  # pre-visit plans, the family's agenda, patient goals and tasks
    IMPROVEMENT = enum.auto()  # 90-day goals, driver diagrams and PDSA cycles
    MEASURES = enum.auto()  # measure definitions, monthly values, chart notes, phases and baselines
    COMMONS = enum.auto()  # shared resources, adoptions and adaptations
    TEAM = enum.auto()  # the team and the center's details
    SYNC = enum.auto()  # trusted keys, imported bundles, conflicts
    EVERYTHING = PATIENTS | VISITS | PLANS | IMPROVEMENT | MEASURES | COMMONS | TEAM | SYNC


class ChangeBus(QObject):
    """The window's one announcement of changed data: pages listen, operations speak."""

    changed = Signal(object)  # a Changed


_detached_bus: ChangeBus | None = None


def _window_attribute(widget: QWidget, name: str, kind: type) -> Any:
    """``name`` of the main window the widget belongs to: its own window, or for a dialog the window of the widget
    that opened it (a dialog is a window of its own)."""
    current: QWidget | None = widget
    while current is not None:
        window = current.window()
        found = getattr(window, name, None)
        if isinstance(found, kind):
            return found
        current = window.parentWidget()
    return None


def bus_of(widget: QWidget) -> ChangeBus:
    """The bus of the window the widget belongs to; a widget shown on its own (a test, a dialog opened before the
    window) shares one bus of its own."""
    global _detached_bus
    bus = _window_attribute(widget, "changes", ChangeBus)
    if bus is not None:
        return bus
    if _detached_bus is None:
        _detached_bus = ChangeBus()
    return _detached_bus


def announce(widget: QWidget, changes: Changed) -> None:
    """Tell the window that ``changes`` happened (a form saved on the window thread does this once it is saved)."""
    if changes:
        bus_of(widget).changed.emit(changes)


def runner_of(widget: QWidget) -> TaskRunner:
    """The window's one runner; a widget on its own gets one of its own (with the same error presenter)."""
    runner = _window_attribute(widget, "runner", TaskRunner)
    if runner is not None:
        return runner
    own = getattr(widget, "_own_runner", None)
    if not isinstance(own, TaskRunner):
        own = TaskRunner(widget, on_error=lambda exc: show_error(widget, exc))
        widget._own_runner = own  # type: ignore[attr-defined]
    return own


def _presented(owner: QWidget, failed: Callable[[BaseException], None] | None) -> Callable[[BaseException], None]:
    """A failure shown by the one presenter, then the caller's own ``failed`` (to put a button back, say)."""

    def report(exc: BaseException) -> None:
        show_error(owner, exc)
        if failed is not None:
            failed(exc)

    return report


def run_op(
    owner: QWidget,
    work: Callable[[], T] | None = None,
    *,
    job: Callable[[Callable[[int, int | None, str], None], CancelToken], T] | None = None,
    changes: Changed = Changed.NOTHING,
    done: Callable[[T], None] | None = None,
    failed: Callable[[BaseException], None] | None = None,
    label: str | None = None,
    cancellable: bool = False,
) -> CancelToken:
    """Change something off the window thread; see the module's docstring. ``work()`` takes nothing; ``job(progress,
    cancel)`` takes the runner's progress sink and cancel token. ``failed`` runs after the presenter has shown a
    failure (to put a button back, say)."""
    if (work is None) == (job is None):
        raise TypeError("run_op takes work or job, not both")
    task = job if job is not None else (lambda _progress, _cancel: work())  # type: ignore[misc]

    def succeeded(result: Any) -> None:
        announce(owner, changes)
        if done is not None:
            done(result)

    return runner_of(owner).submit(task, on_success=succeeded, on_error=_presented(owner, failed), label=label,
                                   cancellable=cancellable, writes=True)  # fmt: skip


def run_query(
    owner: QWidget,
    read: Callable[[], T] | None = None,
    *,
    done: Callable[[T], None],
    job: Callable[[Callable[[int, int | None, str], None], CancelToken], T] | None = None,
    failed: Callable[[BaseException], None] | None = None,
    label: str | None = None,
    cancellable: bool = False,
) -> CancelToken:
    """Read off the window thread and give the result to ``done``; a failure goes to the presenter."""
    if (read is None) == (job is None):
        raise TypeError("run_query takes read or job, not both")
    task = job if job is not None else (lambda _progress, _cancel: read())  # type: ignore[misc]

    return runner_of(owner).submit(task, on_success=done, on_error=_presented(owner, failed), label=label,
                                   cancellable=cancellable, writes=False)  # fmt: skip


class Outcome:
    """What a :func:`reported` block came to: ``ok`` is False when the presenter showed a refusal."""

    ok = True


@contextmanager
def reported(owner: QWidget) -> Iterator[Outcome]:
    """Steps that must stay on the window thread: a refusal from the services is shown by the one presenter and
    ends the block; ``with reported(self) as step: ...`` then ``if not step.ok: return``."""
    outcome = Outcome()
    try:
        yield outcome
    except LhnError as exc:
        outcome.ok = False
        show_error(owner, exc)

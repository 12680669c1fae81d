"""Statistical process control: run and control chart analysis as qicharts2 0.8.1 does it (SPC.md).

Pure functions only (no Qt, no database): :func:`analyze` takes an :class:`SpcInput` and returns an
:class:`SpcResult`; :mod:`lhn_desktop.spc.contract` reads and writes the JSON of
``lhn-desktop chart analyze``.
"""

from lhn_desktop.spc.analysis import analyze
from lhn_desktop.spc.model import (
    CHART_NAMES,
    CHART_TYPES,
    SpcInput,
    SpcInputError,
    SpcOptions,
    SpcPoint,
    SpcResult,
)

__all__ = ["CHART_NAMES", "CHART_TYPES", "SpcInput", "SpcInputError", "SpcOptions", "SpcPoint", "SpcResult", "analyze"]

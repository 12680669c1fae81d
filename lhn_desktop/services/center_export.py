"""The center's own data export: its patients and their record as CSV files and, if asked, one XLSX workbook.

A care center may want its own data for its own analysis (a registry audit, a research question, a report
the program does not make). Everything here is protected health information, so the export is refused to
patient and parent partners, must be confirmed by the person exporting, is audited (counts and the folder
name only, never a value), and goes into a new folder of its own: nothing is ever overwritten, and a
failed or cancelled export leaves nothing behind.

Formula injection: a spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and some run one
that starts with a tab or a carriage return) as a formula, so a name typed as ``=HYPERLINK(...)`` could run
when the file is opened. Every text cell goes through :func:`safe_cell`, which puts a single quote in front
of such text. In the workbook, text cells are also forced to the string type, so they can never be stored
as formulas, and measured numbers are written as numbers.
"""

from __future__ import annotations

import csv
import logging
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from lhn_desktop.access import Actor, require_patient_access
from lhn_desktop.errors import LhnError, NeedsConfirmation, NotFound, ValidationError
from lhn_desktop.models.patients import ClinicalEvent, Correction, Medication, Observation, Patient, Visit
from lhn_desktop.models.team import Site
from lhn_desktop.progress import CancelToken, ProgressSink, no_progress
from lhn_desktop.services.words import center as words
from lhn_desktop.store.capture import record_audit
from lhn_desktop.store.database import Database

logger = logging.getLogger(__name__)

#: The tables in order, each as (file and sheet name, column headers).
TABLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("patients", ("mrn", "given_name", "family_name", "birth_date", "sex", "diagnosis", "diagnosis_date",
                  "disease_classification", "paris_location", "paris_upper_gi", "paris_behaviour", "paris_perianal",
                  "paris_growth", "uc_extent", "uc_severity", "phone", "email", "preferred_language", "status",
                  "status_date")),
    ("visits", ("mrn", "visit_date", "visit_time", "visit_type", "clinician", "status")),
    ("observations", ("mrn", "observed_on", "code", "name", "value", "unit", "original_value", "original_unit",
                      "source", "items_or_source", "visit_date", "entered_in_error")),
    ("growth", ("mrn", "observed_on", "weight_kg", "height_cm", "bmi", "weight_z", "weight_percentile", "height_z",
                "height_percentile", "bmi_z", "bmi_percentile")),
    ("medications", ("mrn", "drug", "drug_class", "dose", "start_date", "stop_date", "stop_reason",
                     "entered_in_error")),
    ("events", ("mrn", "event_date", "kind", "code", "result", "entered_in_error")),
    ("corrections", ("mrn", "corrected_at", "corrected_by", "record", "field", "action", "old_value", "new_value",
                     "reason")),
)  # fmt: skip
#: Columns whose plain decimal text the workbook writes as numbers.
NUMERIC_COLUMNS = frozenset({"value", "weight_kg", "height_cm", "bmi", "weight_z", "weight_percentile", "height_z",
                             "height_percentile", "bmi_z", "bmi_percentile"})  # fmt: skip
WORKBOOK = "center-data.xlsx"
LABEL = "Exporting the center's data"
CONFIRM = ("These files hold patient data (names, MRNs, birth dates, results). Confirm that you will keep them as "
           "protected health information, then export again.")  # fmt: skip

_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?", re.ASCII)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Characters XML 1.0 cannot hold; openpyxl refuses them, so the workbook leaves them out.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_cell(text: str) -> str:
    """A text cell that no spreadsheet will run as a formula.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a single quote in front
    (the OWASP advice against CSV injection). A plain number (``-1.23``, ``+0.50``, ``12``) is left alone on
    purpose: spreadsheets read it as a number and never run it, and z-scores must stay numbers for analysis.
    """
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


@dataclass(frozen=True, slots=True)
class ExportResult:
    folder: Path
    files: tuple[Path, ...]
    #: table name -> rows written (the header not counted)
    rows: dict[str, int]


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return safe_cell(str(value))


def _by_key(items: list[tuple[tuple, tuple]]) -> list[tuple]:
    """The rows of (sort key, row) pairs, in key order."""
    return [row for _, row in sorted(items, key=lambda item: item[0])]


class CenterExportService:
    def __init__(
        self, db: Database, *, today: Callable[[], date] = date.today, now: Callable[[], datetime] = datetime.now
    ) -> None:
        self.db = db
        self.today = today
        self.now = now

    def export(
        self,
        actor: Actor,
        out_dir: str | Path,
        *,
        xlsx: bool = False,
        confirm_patient_data: bool = False,
        progress: ProgressSink = no_progress,
        cancel: CancelToken | None = None,
    ) -> ExportResult:
        """Write every table as CSV (and, with ``xlsx``, one workbook) into a new subfolder of ``out_dir``.

        Raises:
            PermissionDenied: the actor is a patient or parent partner.
            NeedsConfirmation: ``confirm_patient_data`` was not given; nothing was written.
            NotFound: ``out_dir`` does not exist. ValidationError: it is a file.
            Cancelled: cancelled between tables; what was written is removed.
            LhnError: the files could not be written; what was written is removed.
        """
        require_patient_access(actor)
        if not confirm_patient_data:
            raise NeedsConfirmation(CONFIRM, field="confirm")
        base = Path(out_dir).expanduser()
        if not base.exists():
            raise NotFound(f"There is no folder {base}. Choose an existing folder for the export.")
        if not base.is_dir():
            raise ValidationError(f"{base} is a file, not a folder. Choose a folder for the export.", field="folder")
        cancel = cancel or CancelToken()
        site_code = self.db.local_node().site_code
        with self.db.read() as s:
            center = s.scalar(select(Site.name).where(Site.code == site_code)) or site_code
            tables = _read_tables(s)
        counts = {name: len(tables[name]) for name, _ in TABLES}
        when = self.now().replace(microsecond=0)
        folder: Path | None = None
        try:
            folder = new_export_folder(base, f"lhn-export-{site_code}-{when:%Y%m%d-%H%M%S}")
            about = (center, site_code, when, actor.name, counts)
            files = _write_files(folder, tables, about if xlsx else None, progress, cancel)
            with self.db.write(actor) as s:
                record_audit(s, "export", "center_data", None, words.export_audit(counts, folder.name, xlsx))
        except BaseException as exc:  # cancelled, refused, failed: leave nothing behind
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            if not isinstance(exc, OSError):
                raise
            raise LhnError(
                f"The export could not be written to {base} ({exc.strerror or 'the system refused'}); nothing was "
                "left there. Check that the folder is still there, that you may write to it and that the drive has "
                "free space, or choose another folder; then export again.",
                detail=f"{type(exc).__name__}: {exc}",
            ) from exc
        logger.info("Center data exported to %s (%s rows)", folder, sum(counts.values()))
        return ExportResult(folder, files, counts)


def _read_tables(s) -> dict[str, list[tuple]]:
    """Every table's rows as plain values (text, dates, booleans, None), sorted by MRN then date."""
    from lhn_desktop.clinical.observations import label
    from lhn_desktop.services.corrections import _detail_text
    from lhn_desktop.services.patients import growth_rows

    patients = s.scalars(select(Patient)).all()
    mrn = {p.id: (p.mrn, p.id) for p in patients}
    visits = s.scalars(select(Visit)).all()
    visit_day = {v.id: v.visit_date for v in visits}
    observations = s.scalars(select(Observation)).all()
    by_patient: dict[str, list[Observation]] = {}
    for o in observations:
        by_patient.setdefault(o.patient_id, []).append(o)
    growth = []
    for p in patients:
        for g in growth_rows(p.sex, p.birth_date, by_patient.get(p.id, [])):
            scores = [x for m in ("weight", "height", "bmi") for x in g.scores.get(m, (None, None))]
            growth.append(((mrn[p.id], g.observed_on), (p.mrn, g.observed_on, g.weight, g.height, g.bmi, *scores)))
    return {
        "patients": _by_key([(mrn[p.id], (
            p.mrn, p.given_name, p.family_name, p.birth_date, p.sex, p.diagnosis, p.diagnosis_date,
            p.disease_classification, p.paris_location, p.paris_upper_gi, p.paris_behaviour, p.paris_perianal,
            p.paris_growth, p.uc_extent, p.uc_severity, p.phone, p.email, p.preferred_language, p.status,
            p.status_date)) for p in patients]),
        "visits": _by_key([((mrn[v.patient_id], v.visit_date, v.visit_time or "", v.id), (
            mrn[v.patient_id][0], v.visit_date, v.visit_time, v.visit_type, v.clinician, v.status)) for v in visits]),
        "observations": _by_key([((mrn[o.patient_id], o.observed_on, o.code, o.value, o.id), (
            mrn[o.patient_id][0], o.observed_on, o.code, label(o.code), o.value, o.unit, o.original_value,
            o.original_unit, o.source, _detail_text(o), visit_day.get(o.visit_id), o.entered_in_error))
            for o in observations]),
        "growth": _by_key(growth),
        "medications": _by_key([((mrn[m.patient_id], m.start_date, m.drug, m.id), (
            mrn[m.patient_id][0], m.drug, m.drug_class, m.dose, m.start_date, m.stop_date, m.stop_reason,
            m.entered_in_error)) for m in s.scalars(select(Medication))]),
        "events": _by_key([((mrn[e.patient_id], e.event_date, e.kind, e.code, e.id), (
            mrn[e.patient_id][0], e.event_date, e.kind, e.code, e.result, e.entered_in_error))
            for e in s.scalars(select(ClinicalEvent))]),
        "corrections": _by_key([((mrn[c.patient_id], c.corrected_at, c.entity, c.record_id, c.field, c.id), (
            mrn[c.patient_id][0], c.corrected_at, c.corrected_by, c.entity, c.field, c.action, c.old_value,
            c.new_value, c.reason)) for c in s.scalars(select(Correction))]),
    }  # fmt: skip


def new_export_folder(base: Path, name: str) -> Path:
    """Create and return a new folder ``name`` (or ``name-2``, ``name-3``, ...): never one that exists."""
    for n in range(1, 1000):
        folder = base / (name if n == 1 else f"{name}-{n}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise LhnError(f"{base} already holds many exports made at the same time; choose another folder.")


def _write_files(folder: Path, tables: dict[str, list[tuple]], about: tuple | None, progress: ProgressSink,
                 cancel: CancelToken) -> tuple[Path, ...]:  # fmt: skip
    """Write each table under a temporary name, then give every file its name once all are complete."""
    book = _Workbook(about) if about is not None else None
    total = len(TABLES) + (1 if book else 0)
    written: list[tuple[Path, Path]] = []
    try:
        for done, (name, headers) in enumerate(TABLES, 1):
            cancel.raise_if_cancelled()
            final = folder / f"{name}.csv"
            part = folder / f"{final.name}.part"
            with part.open("w", encoding="utf-8-sig", newline="") as f:
                writer = csv.writer(f, lineterminator="\n")
                writer.writerow(headers)
                writer.writerows([_csv_text(v) for v in row] for row in tables[name])
            written.append((part, final))
            if book is not None:
                book.add(name, headers, tables[name])
            progress(done, total, LABEL)
        cancel.raise_if_cancelled()
        if book is not None:
            book.book.save(folder / f"{WORKBOOK}.part")
            written.append((folder / f"{WORKBOOK}.part", folder / WORKBOOK))
            progress(total, total, LABEL)
    except BaseException:
        if book is not None:
            book.discard()
        raise
    for part, final in written:
        part.replace(final)
    return tuple(final for _, final in written)


class _Workbook:
    """A streamed (write-only) openpyxl workbook: the "about" sheet first, then one sheet per table."""

    def __init__(self, about: tuple) -> None:
        from openpyxl import Workbook

        center, site_code, when, by, counts = about
        self.book = Workbook(write_only=True)
        rows = [("LHN Desktop: the center's own data",), ("center", center), ("site code", site_code),
                ("exported at", when), ("exported by", by), (), ("table", "rows"), *counts.items(), (),
                ("This file holds protected health information (names, MRNs, birth dates, results): keep it "
                 "only where your center keeps patient records, and share it only with those who may see them.",),
                ("Text that a spreadsheet would run as a formula (starting with = + - or @) starts with a single "
                 "quote ('), so that it stays text.",)]  # fmt: skip
        self.add("about", (), rows)

    def add(self, name: str, headers: tuple[str, ...], rows: list[tuple]) -> None:
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        ws = self.book.create_sheet(name)
        sample = [headers, *rows[:50]]
        for i in range(max((len(r) for r in sample), default=0)):
            longest = max((len(_csv_text(r[i])) for r in sample if i < len(r)), default=0)
            ws.column_dimensions[get_column_letter(i + 1)].width = min(max(longest + 2, 8), 60)
        if headers:
            ws.freeze_panes = "A2"
            ws.append([self._cell(ws, h, False, Font(bold=True)) for h in headers])
        numeric = [h in NUMERIC_COLUMNS for h in headers]
        for row in rows:
            ws.append([self._cell(ws, v, i < len(numeric) and numeric[i]) for i, v in enumerate(row)])

    @staticmethod
    def _cell(ws, value: object, numeric: bool, font=None):
        from openpyxl.cell import WriteOnlyCell

        if value is None or value == "":
            return None
        cell = WriteOnlyCell(ws)
        if isinstance(value, bool | int):
            cell.value = value
        elif isinstance(value, datetime):
            cell.value, cell.number_format = value, "yyyy-mm-dd hh:mm:ss"
        elif isinstance(value, date):
            cell.value, cell.number_format = value, "yyyy-mm-dd"
        elif numeric and _PLAIN_NUMBER.fullmatch(number := str(value)):
            cell.value = Decimal(number) if "." in number else int(number)
        else:
            cell.value = safe_cell(_NOT_XML.sub("", str(value)))
            cell.data_type = "s"  # never a formula or an error code, whatever the text
        if font is not None:
            cell.font = font
        return cell

    def discard(self) -> None:
        """Remove the scratch files openpyxl streams unsaved sheets to (in the system's temporary folder)."""
        for ws in self.book.worksheets:
            try:
                if not ws.closed:
                    ws.close()  # ends the sheet's stream, so nothing writes to its file after it is removed
                ws._writer.cleanup()  # type: ignore[attr-defined]  # openpyxl's private sheet writer, not in its stubs
            except Exception:  # best effort: openpyxl also removes them when the program exits
                logger.debug("openpyxl scratch file not removed", exc_info=True)

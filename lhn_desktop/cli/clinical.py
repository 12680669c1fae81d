"""``patient``, ``visit`` and ``export``: the clinical record from the command line, for scripts and tests.

Every command goes through the same services as the window. Bad input exits 2 with the option named
(``--birth-date: The birth date cannot be in the future.``); values that deserve a second look are
listed and nothing is saved without ``--accept-warnings``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lhn_desktop.cli.output import TextProgress, emit, emit_json, error
from lhn_desktop.errors import NeedsConfirmation, ValidationError
from lhn_desktop.localization import counted, format_date

#: Patient options -> PatientInput fields.
PATIENT_OPTIONS = {
    "mrn": "mrn", "given": "given_name", "family": "family_name", "birth_date": "birth_date", "sex": "sex",
    "diagnosis": "diagnosis", "diagnosis_date": "diagnosis_date", "paris_location": "paris_location",
    "paris_upper_gi": "paris_upper_gi", "paris_behaviour": "paris_behaviour", "perianal": "paris_perianal",
    "paris_growth": "paris_growth", "uc_extent": "uc_extent", "uc_severity": "uc_severity", "phone": "phone",
    "email": "email", "language": "preferred_language", "status": "status", "status_date": "status_date",
}  # fmt: skip
DATE_FIELDS = ("birth_date", "diagnosis_date", "status_date")


def _context(args: argparse.Namespace):
    from lhn_desktop.cli.center import _context as open_center

    return open_center(args)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-01.",
                              field=option) from None  # fmt: skip


def _given(args: argparse.Namespace) -> dict:
    """The patient fields given as options (only those given), as PatientInput fields."""
    out = {}
    for option, name in PATIENT_OPTIONS.items():
        value = getattr(args, option, None)
        if value is None:
            continue
        if name in DATE_FIELDS:
            value = _day(value, name)
        if name == "paris_upper_gi" and value == "none":
            value = None
        out[name] = value
    return out


# -- patient ----------------------------------------------------------------------------------------------------


def patient_add(args: argparse.Namespace) -> int:
    from lhn_desktop.services.registry import PatientInput

    ctx = _context(args)
    try:
        entry = PatientInput(**_given(args))
        check = ctx.registry.check(ctx.actor, entry)
        _warn(check.warnings)
        saved = ctx.registry.add(ctx.actor, entry, accept_warnings=args.allow_same_name)
        detail = ctx.patients.get(ctx.actor, saved.patient_id)
    except NeedsConfirmation as exc:
        raise NeedsConfirmation(f"{exc.message} (Add --allow-same-name to register this patient.)",
                                field=exc.field) from None  # fmt: skip
    finally:
        ctx.close()
    if args.json:
        emit_json({"patient_id": saved.patient_id, "mrn": detail.summary.mrn, "name": detail.summary.name,
                   "classification": detail.disease_classification, "warnings": list(check.warnings)})  # fmt: skip
    else:
        emit(f"Registered {detail.summary.name} (MRN {detail.summary.mrn}).")
        if detail.disease_classification:
            emit(f"Classification: {detail.disease_classification}")
    return 0


def patient_edit(args: argparse.Namespace) -> int:
    ctx = _context(args)
    try:
        pid = ctx.registry.find_mrn(ctx.actor, args.current_mrn)
        entry = replace(ctx.registry.form(ctx.actor, pid), **_given(args))
        check = ctx.registry.check(ctx.actor, entry, pid)
        _warn(check.warnings)
        saved = ctx.registry.edit(ctx.actor, pid, entry, reason=args.reason, accept_warnings=args.allow_same_name)
    except NeedsConfirmation as exc:
        raise NeedsConfirmation(f"{exc.message} (Add --allow-same-name to keep the change.)",
                                field=exc.field) from None  # fmt: skip
    finally:
        ctx.close()
    if args.json:
        emit_json({"patient_id": saved.patient_id, "changed": list(saved.changed)})
    elif saved.changed:
        emit(f"Changed {', '.join(saved.changed)}; the history keeps the earlier values.")
    else:
        emit("Nothing changed.")
    return 0


def patient_show(args: argparse.Namespace) -> int:
    ctx = _context(args)
    try:
        pid = ctx.registry.find_mrn(ctx.actor, args.mrn)
        d = ctx.patients.get(ctx.actor, pid)
    finally:
        ctx.close()
    if args.json:
        emit_json(d)
        return 0
    s = d.summary
    emit(f"{s.name}   MRN {s.mrn}   born {format_date(s.birth_date)} (age {d.age_years})   {s.sex}")
    dx = s.diagnosis or "no diagnosis recorded"
    emit(f"Diagnosis: {dx}" + (f", diagnosed {format_date(d.diagnosis_date)}" if d.diagnosis_date else ""))
    emit(f"Classification: {d.disease_classification or 'not complete'}")
    from lhn_desktop.services.registry import STATUSES

    status = STATUSES.get(d.status, d.status)
    emit(f"Status: {status}" + (f" since {format_date(d.status_date)}" if d.status_date else ""))
    emit(f"Visits: last {format_date(s.last_visit, empty='none yet')}; "
         f"next {format_date(s.next_visit, empty='none scheduled')}")  # fmt: skip
    if d.results:
        latest = d.results[0]
        values = ", ".join(_named(code, value) for code, value in sorted(latest.values.items()))
        emit(f"Latest results ({format_date(latest.observed_on)}): {values}")
    for g in d.growth[:1]:
        scores = _scores(g.scores)
        on = format_date(g.observed_on)
        emit(f"Growth ({on}): weight {g.weight or '-'} kg, height {g.height or '-'} cm, BMI {g.bmi or '-'}"
             + (f"; {scores}" if scores else ""))  # fmt: skip
    current = [m for m in d.medications if not m.entered_in_error and m.stop_date is None]
    emit("Medicines: " + ("; ".join(f"{m.drug} {m.dose or ''}".strip() for m in current) or "none recorded"))
    return 0


def patient_list(args: argparse.Namespace) -> int:
    ctx = _context(args)
    try:
        rows = ctx.patients.search(ctx.actor, args.search, limit=100_000)
    finally:
        ctx.close()
    if args.json:
        emit_json(rows)
        return 0
    from lhn_desktop.services.registry import STATUSES

    for r in rows:
        status = "" if r.status == "active" else f"  ({STATUSES.get(r.status, r.status).lower()})"
        emit(f"{r.mrn:14} {r.name:32} {format_date(r.birth_date):12} {r.diagnosis or '-':20} "
             f"last visit {format_date(r.last_visit, empty='-')}{status}")  # fmt: skip
    if not rows:
        emit("No patient matches." if args.search else "No patients yet. Register one with 'lhn-desktop patient add'.")
    return 0


def _count(n: int, one: str, many: str | None = None) -> str:
    """ "3 values", "1 medicine started"; empty for none."""
    if not n:
        return ""
    return counted(n, one, many or (one.replace("medicine ", "medicines ") if one.startswith("medicine ") else None))


def _named(code: str, value: str) -> str:
    """A result as a clinic team says it: "Weight 40 kg", "PGA mild" (the codes are for --set and the JSON)."""
    from lhn_desktop.clinical.observations import get_spec

    spec = get_spec(code)
    return f"{spec.label} {value}" + (f" {spec.unit}" if spec.unit else "")


def _scores(scores: dict[str, tuple[str, str]]) -> str:
    """Growth z-scores with percentiles: "weight z -1.26 (percentile 10.4), height z ..."."""
    order = ("weight", "height", "bmi")
    return ", ".join(
        f"{'BMI' if m == 'bmi' else m} z {scores[m][0]} (percentile {scores[m][1]})" for m in order if m in scores
    )


def _warn(warnings) -> None:
    for w in warnings:
        error(f"check: {w}")


# -- visit ------------------------------------------------------------------------------------------------------


def visit_schedule(args: argparse.Namespace) -> int:
    day = _day(args.date, "date")
    ctx = _context(args)
    try:
        pid = ctx.registry.find_mrn(ctx.actor, args.mrn)
        visit_id = ctx.schedule.add_visit(ctx.actor, pid, day, args.time, args.clinician, args.visit_type)
    finally:
        ctx.close()
    if args.json:
        emit_json({"visit_id": visit_id, "date": day, "time": args.time})
    else:
        at = f" at {args.time}" if args.time else ""
        emit(f"Scheduled a {args.visit_type} visit on {format_date(day)}{at}.")
    return 0


def _split(text: str, sep: str, option: str, *, parts: int = 2) -> list[str]:
    pieces = [p.strip() for p in text.split(sep, parts - 1)]
    if len(pieces) < 2 or not all(pieces[:2]):
        raise ValidationError(f"Write {option} as shown in 'lhn-desktop visit record --help' (got {text!r}).",
                              field=option)  # fmt: skip
    return pieces


def _index_levels(code: str, points: dict[str, str]) -> dict[str, int]:
    """Index items given as points (``abdominal_pain=10``) -> level numbers."""
    from lhn_desktop.clinical.indices import get_index

    index = get_index(code)
    levels = {}
    for key, text in points.items():
        try:
            item = index.item(key)
        except KeyError:
            keys = ", ".join(i.key for i in index.items)
            raise ValidationError(f"The {index.short} has no item {key!r}. Items: {keys}.", field=code) from None
        try:
            wanted = Decimal(str(text).strip())
        except InvalidOperation:
            wanted = None
        match = [n for n, level in enumerate(item.levels) if level.points == wanted]
        if not match:
            allowed = ", ".join(format(level.points.normalize(), "f") for level in item.levels)
            raise ValidationError(f"The {index.short} item {key!r} scores one of {allowed} points.", field=code)
        levels[key] = match[0]
    return levels


def _visit_data(args: argparse.Namespace) -> dict:
    """The visit from --from FILE.json, then the options on top."""
    data: dict = {}
    if args.from_file:
        try:
            data = json.loads(Path(args.from_file).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ValidationError(f"The file {args.from_file} cannot be read: {exc.strerror or exc}.",
                                  field="from") from None  # fmt: skip
        except json.JSONDecodeError as exc:
            raise ValidationError(f"The file {args.from_file} is not valid JSON (line {exc.lineno}): {exc.msg}.",
                                  field="from") from None  # fmt: skip
        if not isinstance(data, dict):
            raise ValidationError("The --from file holds one JSON object; see docs/clinical.md.", field="from")
    values = dict(data.get("values", {}))
    index = dict(data.get("index", {}))
    for item in args.values:
        code, value = _split(item, "=", "set")
        if "." in code:
            name, key = code.split(".", 1)
            index.setdefault(name.upper(), {})[key] = value
        else:
            values[code.upper()] = value
    if args.index_total is not None:
        codes = list(index) or [None]
        index[codes[0] or "?"] = {"total": args.index_total, "source": args.index_source}
    data["values"], data["index"] = values, index
    for key, option in (("start", "start"), ("change_dose", "change_dose"), ("stop", "stop"),
                        ("immunizations", "immunization"), ("screenings", "screening")):  # fmt: skip
        data[key] = list(data.get(key, [])) + list(getattr(args, option))
    for key in ("clinician", "visit_type"):
        if getattr(args, key):
            data[key] = getattr(args, key)
    return data


def _visit_input(ctx, pid: str, day: date, data: dict):
    from lhn_desktop.services.visits import (
        DoseChange,
        EventInput,
        IndexInput,
        MedicationStart,
        MedicationStop,
        ValueInput,
        VisitInput,
        index_code_for,
    )

    detail = ctx.patients.get(ctx.actor, pid)
    index = None
    for code, given in data["index"].items():
        if index is not None:
            raise ValidationError("Give one disease-activity index per visit.", field=code)
        code = index_code_for(detail.summary.diagnosis) if code == "?" else code
        if code is None:
            raise ValidationError("This diagnosis has no disease-activity index; leave --index-total out.",
                                  field="index_total")  # fmt: skip
        if isinstance(given, dict) and "total" in given:
            index = IndexInput(code, outside_total=str(given["total"]), outside_source=given.get("source"))
        elif isinstance(given, dict):
            index = IndexInput(code, _index_levels(code, given))
        else:
            raise ValidationError(f"Give the {code} as its items (points per item), or a total with its source.",
                                  field=code)  # fmt: skip
    current = {}
    for m in detail.medications:
        if not m.entered_in_error and (m.stop_date is None or m.stop_date > day) and m.start_date <= day:
            current.setdefault(m.drug.lower(), m.id)

    def med(name: str, option: str) -> str:
        found = current.get(name.strip().lower())
        if found is None:
            raise ValidationError(f"{name.strip()} is not among this patient's current medicines on that date.",
                                  field=option)  # fmt: skip
        return found

    def pieces(entry, option: str, keys: tuple[str, ...]) -> list:
        if isinstance(entry, dict):
            return [entry.get(k) for k in keys]
        return _split(str(entry), ":", option, parts=len(keys)) + [None] * (len(keys) - 2)

    starts = tuple(MedicationStart(d, dose, drug_class=cls) for d, dose, cls in
                   (pieces(e, "start", ("drug", "dose", "class"))[:3] for e in data["start"]))  # fmt: skip
    changes = tuple(DoseChange(med(d, "change_dose"), dose) for d, dose in
                    (pieces(e, "change_dose", ("drug", "dose"))[:2] for e in data["change_dose"]))  # fmt: skip
    stops = tuple(MedicationStop(med(d, "stop"), why) for d, why in
                  (pieces(e, "stop", ("drug", "reason"))[:2] for e in data["stop"]))  # fmt: skip
    events = [EventInput("immunization", str(name)) for name in data["immunizations"]]
    for entry in data["screenings"]:
        if isinstance(entry, dict):
            events.append(EventInput("screening", str(entry.get("name", "")), entry.get("result")))
        else:
            name, _, result = str(entry).partition("=")
            events.append(EventInput("screening", name, result or None))
    return VisitInput(
        patient_id=pid, day=day, clinician=data.get("clinician"), visit_type=data.get("visit_type"),
        values=tuple(ValueInput(code.upper(), str(v)) for code, v in data["values"].items()), index=index,
        starts=starts, dose_changes=changes, stops=stops, events=tuple(events),
    )  # fmt: skip


def _check_json(check) -> dict:
    return {
        "values": [{"code": r.code, "value": r.value, "unit": r.unit,
                    "original": f"{r.original_value} {r.original_unit}" if r.original_value else None}
                   for r in check.readings],
        "index": asdict(check.index) if check.index else None,
        "growth": asdict(check.growth) if check.growth else None,
        "warnings": list(check.warnings),
    }  # fmt: skip


def visit_record(args: argparse.Namespace) -> int:
    day = _day(args.date, "date")
    data = _visit_data(args)
    ctx = _context(args)
    try:
        pid = ctx.registry.find_mrn(ctx.actor, args.mrn)
        entry = _visit_input(ctx, pid, day, data)
        check = ctx.visits.check(ctx.actor, entry)
        if args.check:
            saved = None
        else:
            _warn(check.warnings)
            try:
                saved = ctx.visits.record(ctx.actor, entry, accept_warnings=args.accept_warnings)
            except NeedsConfirmation as exc:
                raise NeedsConfirmation(f"{exc.message} Nothing was saved; add --accept-warnings to keep them.",
                                        field=exc.field) from None  # fmt: skip
    finally:
        ctx.close()
    out = _check_json(check)
    if args.json:
        emit_json({**out, "saved": saved is not None, "visit": saved})
        return 0
    for r in out["values"]:
        emit(
            f"  {r['code']:12} {r['value']} {r['unit'] or ''}"
            + (f"   (typed {r['original']})" if r["original"] else "")
        )
    if check.index:
        ix = check.index
        emit(
            f"  {ix.short:12} {ix.total} ({ix.category})" + (f", from {ix.outside_source}" if ix.outside_source else "")
        )
    if check.growth:
        g = check.growth
        scores = _scores(g.scores)
        emit(f"  {'BMI':12} {g.bmi or '-'}" + (f"; {scores}" if scores else "") + (f". {g.note}" if g.note else ""))
    if saved is None:
        for w in check.warnings:
            emit(f"  check: {w}")
        emit("Checked; nothing was saved (--check).")
    else:
        done = [_count(saved.observations, "value"), _count(saved.medications_started, "medicine started"),
                _count(saved.dose_changes, "dose change"), _count(saved.medications_stopped, "medicine stopped"),
                _count(saved.events, "immunization or screening", "immunizations or screenings")]  # fmt: skip
        emit(f"Recorded the visit of {format_date(day)}: {', '.join(d for d in done if d) or 'nothing new'}.")
    return 0


def visit_missed(args: argparse.Namespace) -> int:
    day = _day(args.date, "date")
    ctx = _context(args)
    try:
        pid = ctx.registry.find_mrn(ctx.actor, args.mrn)
        form = ctx.visits.form(ctx.actor, pid, day)
        if form.visit_id is None:
            raise ValidationError("There is no visit for this patient on that date.", field="date")
        ctx.visits.mark_missed(ctx.actor, form.visit_id)
    finally:
        ctx.close()
    if args.json:
        emit_json({"visit_id": form.visit_id, "status": "no_show"})
    else:
        emit(f"Recorded the visit of {format_date(day)} as missed.")
    return 0


# -- export -----------------------------------------------------------------------------------------------------


def export(args: argparse.Namespace) -> int:
    confirmed = args.yes
    if not confirmed and sys.stdin.isatty() and not args.json:
        answer = input("These files hold patient data (names, MRNs, birth dates, results). Keep them as protected "
                       "health information. Export? [y/N] ")  # fmt: skip
        confirmed = answer.strip().lower() in ("y", "yes")
        if not confirmed:
            emit("Nothing was exported.")
            return 1
    if not confirmed:
        raise ValidationError("The export holds patient data: confirm with --yes that you will keep the files as "
                              "protected health information.", field="yes")  # fmt: skip
    ctx = _context(args)
    try:
        progress = TextProgress(quiet=args.json)
        folder = Path(args.out).expanduser()
        result = ctx.center_export.export(
            ctx.actor, folder, xlsx=args.xlsx, confirm_patient_data=True, progress=progress
        )
    finally:
        ctx.close()
    if args.json:
        emit_json(result)
    else:
        emit(f"Exported to {result.folder}: " + ", ".join(f"{n} {t}" for t, n in result.rows.items()) + ".")
        emit("The files hold patient data: keep them on this center's protected storage.")
    return 0

"""The pre-visit checklist's reasons: why an item is due, done or not applicable, in the clinic's words.

Every reason is one sentence ending in a full stop, with the dates the locale's way and observations by the
names clinicians use ("weight", "PGA", never the code). ``services/checklist.py`` decides which reason
applies; this module is the only place that writes one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from lhn_desktop.services.words import day, either, listed


def observation_name(code: str) -> str:
    """An observation as clinicians name it ("weight", "PGA"), from the observation catalog."""
    from lhn_desktop.clinical.observations import short_label

    return short_label(code)


def reading(code: str, value: str) -> str:
    """A recorded value as a sentence names it: "vitamin D 90 nmol/L", "TPMT normal" (never the code "VITD")."""
    from lhn_desktop.clinical.observations import load_catalog

    spec = load_catalog().get(code)
    unit = f" {spec.unit}" if spec is not None and spec.unit and value[-1:].isdigit() else ""
    return f"{observation_name(code)} {value}{unit}".strip()


# -- when a rule does not apply ---------------------------------------------------------------------------------


def applies_for_diagnoses(diagnoses: Iterable[str]) -> str:
    return f"Applies for {either(diagnoses)}."


def applies_from_age(years: int, age: int) -> str:
    return f"Applies from age {years} (now {age})."


def applies_up_to_age(years: int, age: int) -> str:
    return f"Applies up to age {years} (now {age})."


def applies_while_taking(drug_classes: Iterable[str]) -> str:
    return f"Applies only while taking {either(drug_classes)}."


def applies_if_ever_taken(drug_classes: Iterable[str]) -> str:
    return f"Applies only with {either(drug_classes)}."


# -- a field of the patient's record ----------------------------------------------------------------------------


def field_recorded(value: object) -> str:
    return f"Recorded: {value}."


def field_missing(field: str, diagnosed: date | None) -> str:
    name = field.replace("_", " ").capitalize()
    if diagnosed is None:
        return f"{name} not recorded."
    return f"{name} not recorded; diagnosed {day(diagnosed)}."


# -- recorded at every visit ------------------------------------------------------------------------------------


def last_reading(code: str, value: str, on: date) -> str:
    return f"last {reading(code, value)} on {day(on)}"


def none_yet(codes: Iterable[str]) -> str:
    return f"no {either(observation_name(c) for c in codes)} yet"


def one_of(codes: Iterable[str]) -> str:
    """An item satisfied by either of a pair ("wPCDAI or PUCAI")."""
    return either(observation_name(c) for c in codes)


def recorded_at_visit(codes: Iterable[str]) -> str:
    return f"Recorded at this visit ({listed(observation_name(c) for c in codes)})."


def record_at_visit(missing: Iterable[str], lasts: Iterable[str]) -> str:
    """``missing``: what to record, by name; ``lasts``: for each, its last reading or that there is none yet."""
    return f"Record {listed(missing)} at this visit; {'; '.join(lasts)}."


# -- repeated every so often ------------------------------------------------------------------------------------


def done_today(label: str, on: date) -> str:
    return f"{label} on {day(on)}."


def last_done(what: str | None, label: str, on: date, due: date, overdue: bool) -> str:
    """``what`` names the item when the label alone would not ("Influenza vaccine: Influenza (inactivated)")."""
    last = label if what is None else f"{what}: {label}"
    return f"Last {last} on {day(on)}; {'was due' if overdue else 'due'} {day(due)}."


def never_done(what: str, due_since: date | None) -> str:
    if due_since is None:
        return f"No {what} recorded."
    return f"No {what} recorded; due since {day(due_since)}."


# -- before a medication starts ---------------------------------------------------------------------------------


def _started(drug: str, start: date, today: date) -> str:
    return f"{drug} {'starts' if start > today else 'started'} {day(start)}"


def missing_before_medication(what: str, drug: str, start: date, today: date) -> str:
    return f"{what} not recorded; {_started(drug, start, today)}."


def done_before_medication(label: str, on: date, drug: str, start: date) -> str:
    return f"{label} on {day(on)}, before {drug} ({day(start)})."


def done_after_medication(what: str, on: date, drug: str, start: date, today: date) -> str:
    return f"{what} recorded {day(on)}, after {_started(drug, start, today)}."


# -- never while taking a medication ----------------------------------------------------------------------------


def given_while_taking(code: str, what: str, on: date, drug: str) -> str:
    return f"{code} ({what}) given {day(on)} while taking {drug}; review with the team."


def none_while_taking(what: str, drugs: Iterable[str]) -> str:
    return f"No {what} recorded while immunosuppressed; taking {', '.join(drugs)}."


# -- the thiopurine dose for the TPMT status --------------------------------------------------------------------


def no_dose_limits(drug: str) -> str:
    return f"No TPMT dose limits for {drug} in this pack; check the dose by hand."


def no_tpmt(drug: str, dose: str | None) -> str:
    return f"TPMT not recorded; check the {drug} dose ({dose or 'no dose'})."


def unknown_tpmt(result: str, known: Iterable[str]) -> str:
    return f"TPMT result {result!r} is not one of {', '.join(known)}; check by hand."


def dose_unreadable(drug: str, dose: str | None, has_weight: bool) -> str:
    why = f"dose {dose!r} is not in mg daily" if has_weight else "no weight recorded"
    return f"Cannot check the {drug} dose: {why}."


def _dose(drug: str, dose: str | None, per_kg: float, kg: float, tpmt: str) -> str:
    return f"{drug} {dose} = {per_kg:.2f} mg/kg/day at {kg:g} kg; TPMT {tpmt}"


def advised_against(drug: str, dose: str | None, per_kg: float, kg: float, tpmt: str) -> str:
    return f"{_dose(drug, dose, per_kg, kg, tpmt)}: this pack advises against {drug}; review."


def dose_above(drug: str, dose: str | None, per_kg: float, kg: float, tpmt: str, limit: float) -> str:
    return f"{_dose(drug, dose, per_kg, kg, tpmt)}: above {limit:g} mg/kg/day; review the dose."


def dose_within(drug: str, dose: str | None, per_kg: float, kg: float, tpmt: str, limit: float) -> str:
    return f"{_dose(drug, dose, per_kg, kg, tpmt)}: within {limit:g} mg/kg/day."


# -- visits -----------------------------------------------------------------------------------------------------


def no_visit_before() -> str:
    return "No completed visit before this date."


def last_visit(on: date, gap_days: int, due: date) -> str:
    return f"Last completed visit {day(on)} ({gap_days} days before); due by {day(due)}."


def visits_in_window(count: int, wanted: int | None, window_days: int) -> str:
    """``wanted`` None: the count is enough."""
    if wanted is None:
        return f"{count} visits in the last {window_days} days."
    return f"{count} of {wanted} visits in the last {window_days} days."

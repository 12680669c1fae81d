"""The network measures counted by the measure engine from the simulated record, before it is written."""

from __future__ import annotations

from datetime import date

from lhn_desktop.models.goals import CollaborateResponse
from lhn_desktop.models.measures import MeasureDefinition, MeasureValue
from lhn_desktop.models.patients import Medication, Observation, Visit
from lhn_desktop.models.planning import PrevisitPlan
from lhn_desktop.services.demo.dates import last_months
from lhn_desktop.services.demo.patients import CenterSimulator, PatientHistory
from lhn_desktop.services.facts import PatientFacts, fill, inactive_from
from lhn_desktop.services.measure_library import (
    ClinicalData,
    MeasureSpec,
    build_clinical_data,
    count_month,
    definition_id,
    load_library,
    value_id,
)

#: the demo center's patients have IBD: its measures are the IBD pack's and those of every center
DEMO_PACK = "ibd"


def demo_measures() -> list[MeasureSpec]:
    """The library's measures that count the demo's patients (another network's, such as CF, count nobody here)."""
    return [spec for spec in load_library().measures if spec.pack in (None, DEMO_PACK)]


def measure_definitions(gen: CenterSimulator, existing: dict[str, MeasureDefinition]) -> list[MeasureDefinition]:
    """The shipped library's measures; definitions the database already holds are reused, not duplicated."""
    out = []
    for spec in demo_measures():
        gen.new_id()  # drawn as before, so the random stream (and the whole demo) stays the same
        out.append(existing.get(spec.code) or MeasureDefinition(
            id=definition_id(spec.code), code=spec.code, title=spec.title, kind=spec.kind, chart_type=spec.chart,
            numerator=spec.numerator_text, denominator=spec.denominator_text, lookback_days=spec.lookback_days,
            direction=spec.direction, target=None if spec.target is None else f"{spec.target:g}", owner="network",
            version=spec.version, unit=spec.unit,
        ))  # fmt: skip
    return out


def clinical_data(histories: list[PatientHistory]) -> ClinicalData:
    """The measure engine's view of the simulated records, before they are written."""
    patients, visits, observations, medications = [], [], [], []
    for h in histories:
        p = h.patient
        patients.append(PatientFacts(p.id, p.birth_date, p.diagnosis, p.diagnosis_date, p.disease_classification,
                                     inactive_from(p.status, p.status_date), sex=p.sex))  # fmt: skip
        for r in h.records:
            if type(r) is Visit and r.status == "completed":
                visits.append((r.id, p.id, r.visit_date))
            elif type(r) is Observation:
                observations.append((p.id, r.visit_id, r.code, r.value, r.observed_on))
            elif type(r) is Medication:
                medications.append((p.id, r.drug, r.drug_class, r.dose, r.start_date, r.stop_date))
    facts = fill(patients, visits=visits, observations=observations, medications=medications)
    planned = [r.visit_id for h in histories for r in h.records if type(r) is PrevisitPlan and r.status == "done"]
    collaborate = [(r.answered_on, (r.item1, r.item2, r.item3)) for h in histories for r in h.records
                   if type(r) is CollaborateResponse]  # fmt: skip
    return build_clinical_data(facts, planned, collaborate)


def measure_values(
    histories: list[PatientHistory], definitions: list[MeasureDefinition], site: str, today: date
) -> tuple[list[MeasureValue], dict[tuple[str, str], int]]:
    """Values for the 24 complete months before today, counted by the measure engine from the simulated record,
    and each value as a whole percentage by (code, month)."""
    by_code = {m.code: m for m in definitions}
    data = clinical_data(histories)
    values, percent = [], {}
    for month, first, last in last_months(today):
        for spec in demo_measures():
            num, den = count_month(spec, data, first, last)
            values.append(MeasureValue(id=value_id(site, spec.code, month), measure_id=by_code[spec.code].id,
                                       site_code=site, month=month, numerator=num, denominator=den,
                                       source="computed"))  # fmt: skip
            percent[spec.code, month] = round(100 * num / den) if den else 0
    return values, percent

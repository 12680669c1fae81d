"""What each bundle scope may carry (SYNC.md 2.3 step 1, 3.1): the reviewed allowlist of the network scope.

A network bundle carries no patient-level data: only the entities and fields listed here leave a
center, and a receiving workstation refuses a network bundle holding anything else. Fields that
point at records which never travel (a team member, a patient) are left out, so nothing arrives
pointing at a record the receiver cannot have.
"""

from __future__ import annotations

import re

DELETED_FIELD = "_deleted"  # the delete marker every entity carries (store.capture)

#: Entity -> the fields a network bundle may carry (plus the delete marker).
# fmt: off
NETWORK_FIELDS: dict[str, frozenset[str]] = {
    "site": frozenset({"code", "name", "network", "named_in_network"}),
    "resource": frozenset({
        "title", "kind", "summary", "body", "tags", "disease", "audience", "contributing_site", "contributor_role",
        "licence", "version", "published_on", "supersedes_id", "adapted_from_id", "attachment_name",
        "attachment_sha256", "attachment_bytes",
    }),
    "usage_event": frozenset({"resource_id", "kind", "at", "note"}),
    "measure_value": frozenset({"measure_id", "site_code", "month", "numerator", "denominator", "value", "source"}),
    "measure_definition": frozenset({
        "code", "title", "kind", "chart_type", "numerator", "denominator", "lookback_days", "direction",
        "target", "owner", "version", "unit",
    }),
    "network_value": frozenset({
        "measure_id", "month", "center", "numerator", "denominator", "rate", "median", "q1", "q3", "centers",
    }),
}
# fmt: on

#: Known entities a network bundle must never carry, and known fields of shared entities that stay home.
#: A receiver refuses them. Entities and fields it does not know at all are kept unread only when the
#: bundle comes from a newer minor sync schema (SYNC.md 2.4); a test keeps these lists equal to the models.
# fmt: off
PATIENT_ENTITIES = frozenset({
    "patient", "visit", "observation", "medication", "clinical_event", "patient_goal", "goal_follow_up", "task",
    "collaborate_response", "previsit_plan", "plan_item", "agenda_item", "correction",
})
NETWORK_REFUSED_ENTITIES = PATIENT_ENTITIES | {
    "team_member", "improvement_goal", "improvement_goal_measure", "driver_node", "pdsa_cycle", "progress_score",
    "chart_annotation", "checklist_rule", "measure_setting", "center_code",
}
# fmt: on
NETWORK_REFUSED_FIELDS: dict[str, frozenset[str]] = {
    "usage_event": frozenset({"member_id"}),
    "site": frozenset({"clinic_phone"}),  # for the center's own families; the network has no use for it
    "network_value": frozenset({"about_site"}),  # which center a coded row is about stays at the coordinator
}

#: Entities only the network coordinating center may author (SYNC.md 0.6).
NCC_ONLY = frozenset({"measure_definition", "network_value"})

#: Every field that leaves in a network bundle is either scanned by the free-text gate and listed in the export
#: review (NETWORK_TEXT), or holds a structured value of a shape the export checks (NETWORK_STRUCTURED: an id, a
#: hash, a date, a month, a number, a site code, one of a few fixed words); a structured field holding anything else
#: is scanned and listed too (SYNC.md 2.3 step 2).
#: A test keeps the two lists together equal to NETWORK_FIELDS.
# fmt: off
NETWORK_TEXT: dict[str, tuple[str, ...]] = {
    "site": ("name", "network", "code"),
    "resource": ("title", "summary", "body", "tags", "licence", "attachment_name", "disease", "audience", "kind",
                 "contributing_site", "contributor_role"),
    "usage_event": ("note",),
    "measure_value": (),
    "measure_definition": ("code", "title", "numerator", "denominator", "kind", "chart_type", "direction", "target",
                           "owner", "unit"),
    "network_value": ("center",),
}
NETWORK_STRUCTURED: dict[str, dict[str, str]] = {
    "site": {"named_in_network": "flag"},
    "resource": {"version": "number", "published_on": "date", "supersedes_id": "id", "adapted_from_id": "id",
                 "attachment_sha256": "sha256", "attachment_bytes": "number"},
    "usage_event": {"resource_id": "id", "at": "datetime", "kind": "usage"},
    "measure_value": {"measure_id": "id", "month": "month", "numerator": "number", "denominator": "number",
                      "value": "decimal", "site_code": "site", "source": "source"},
    "measure_definition": {"lookback_days": "number", "version": "number"},
    "network_value": {"measure_id": "id", "month": "month", "numerator": "number", "denominator": "number",
                      "rate": "decimal", "median": "decimal", "q1": "decimal", "q3": "decimal", "centers": "number"},
}
# fmt: on

_SHAPES = {
    "id": re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    "sha256": re.compile(r"[0-9a-f]{64}"),
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "datetime": re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?"),
    "month": re.compile(r"\d{4}-\d{2}"),
    "site": re.compile(r"[a-z0-9][a-z0-9-]{0,39}"),
    "usage": re.compile(r"viewed|adopted|adapted"),
    "source": re.compile(r"computed|entered|network|adjusted"),
    "flag": re.compile(r"true|false"),
    "decimal": re.compile(r"-?\d{1,6}(?:\.\d{1,4})?"),
}


def network_value_structured(entity: str, field: str, value: object) -> bool:
    """Whether a value leaving in a network bundle is of its field's structured shape (then the free-text gate
    need not read it); a text, or a structured field holding anything else, is scanned and listed."""
    if value is None or isinstance(value, bool) or field == DELETED_FIELD:
        return True
    shape = NETWORK_STRUCTURED.get(entity, {}).get(field)
    if shape is None:
        return False
    if shape == "number":
        return isinstance(value, int | float)
    return isinstance(value, str) and _SHAPES[shape].fullmatch(value) is not None


#: Counts a center submits; below this denominator the export review warns (SYNC.md 3.2).
SMALL_CELL = 11


def network_field_allowed(entity: str, field: str) -> bool:
    allowed = NETWORK_FIELDS.get(entity)
    return allowed is not None and (field in allowed or field == DELETED_FIELD)


def network_refused(entity: str, field: str | None, *, newer_minor: bool) -> bool:
    """Whether a receiver refuses this entity (``field`` None) or field in a network bundle."""
    if entity in NETWORK_REFUSED_ENTITIES:
        return True
    if entity not in NETWORK_FIELDS:
        return not newer_minor  # an entity this version does not know
    if field is None or network_field_allowed(entity, field):
        return False
    if field in NETWORK_REFUSED_FIELDS.get(entity, ()):
        return True
    return not newer_minor  # a field this version does not know

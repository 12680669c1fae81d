"""The huddle's words: a patient's flags, the day's summary, and the lines of tasks, goals and medicines.

``services/planning.py`` counts and decides; this module is the only place that writes those facts as
the team reads them on the board and the printed huddle sheet.
"""

from __future__ import annotations

from datetime import date

from lhn_desktop.services.words import counted, day

PLAN_STATUSES = {"not_started": "Not started", "in_progress": "In progress", "done": "Done"}
#: a visit's status as the team says it, on the Huddle's board and on the patient's Visits tab alike
VISIT_STATES = {"scheduled": "Booked", "completed": "Seen", "no_show": "Missed", "cancelled": "Cancelled"}
AGENDA_KINDS = {"matters_most": "What matters most", "concern": "Concern", "question": "Question"}
#: The patient lists (outreach), by the code the command line and the window use.
POPULATIONS = {
    "no_visit_200": "No visit in 200 days",
    "not_in_remission": "Not in remission",
    "on_steroids": "On systemic steroids",
    "overdue": "With overdue checklist items",
}


def flags(
    *, latest_pga: str | None, in_remission: bool | None, wants_pga: bool, overdue_items: int, overdue_tasks: int,
    open_tasks: int, new_agenda: int, goals_due: int,
) -> tuple[str, ...]:  # fmt: skip
    """What the huddle should notice about one patient, most clinical first."""
    out = []
    if in_remission is False:
        out.append(f"not in remission (PGA {latest_pga})")
    elif in_remission is None and wants_pga:
        out.append("no PGA on record")
    if overdue_items:
        out.append(f"{overdue_items} overdue")
    if overdue_tasks:
        out.append(f"{counted(overdue_tasks, 'overdue task')}")
    elif open_tasks:
        out.append(f"{counted(open_tasks, 'open task')}")
    if new_agenda:
        out.append(counted(new_agenda, "agenda item"))
    if goals_due:
        out.append("goal review due")
    return tuple(out)


def summary(
    patients: int, *, not_in_remission: int, overdue_items: int, overdue_tasks: int, agenda: int, planned: int
) -> str:
    """One line for the day: "12 patients · 3 not in remission · 2 planned" (only the counts that are not zero)."""
    if not patients:
        return "No patients scheduled."
    parts = [counted(patients, "patient")]
    for count, words in (
        (not_in_remission, "not in remission"),
        (overdue_items, "with overdue items"),
        (overdue_tasks, "with overdue tasks"),
        (agenda, "with agenda items"),
        (planned, "planned"),
    ):
        if count:
            parts.append(f"{count} {words}")
    return " · ".join(parts)


def goal_line(text: str, review: date | None) -> str:
    return f"{text} (review due {day(review)})" if review else text


def task_line(what: str, who: str, due: date | None, today: date) -> str:
    """ "Keep a symptom diary (family, due 3 Mar 2026, overdue)"."""
    details = [who]
    if due is not None:
        details.append(f"due {day(due)}")
        if due < today:
            details.append("overdue")
    return f"{what} ({', '.join(details)})"


def medicine(drug: str, dose: str | None) -> str:
    return f"{drug} {dose}" if dose else drug


def activity_index(name: str, value: str, on: date) -> str:
    """The latest disease-activity index: "wPCDAI 35 on 5 Mar 2026"."""
    return f"{name} {value} on {day(on)}"

"""The commons' words: a resource adapted from another center's, and a PDSA cycle or change idea written up
to share.
"""

from __future__ import annotations


def adapted_title(title: str) -> str:
    return f"{title} (adapted)"


def adapted_summary(summary: str, change: str) -> str:
    return f"{summary}\n\nAdapted: {change}"


def pdsa_title(title: str) -> str:
    return f"PDSA: {title}"


def pdsa_summary(scale_n: int | None, unit: str | None) -> str:
    scale = f"{scale_n or '?'} {unit or ''}".strip()
    return f"A PDSA cycle at the scale of {scale}."


def pdsa_body(
    objective: str | None, plan: str | None, who: str | None, study: str | None, decision: str | None,
    next_step: str | None,
) -> str:  # fmt: skip
    """The write-up of a cycle: objective, plan, study and act, one line each ("-" where empty)."""
    return "\n".join((
        f"Objective: {objective or '-'}",
        f"Plan: {plan or '-'} (who: {who or '-'})",
        f"Study: {study or '-'}",
        f"Act: {decision or 'not decided'}. {next_step or ''}",
    ))  # fmt: skip


#: the four levels of engagement as the team reads them, lowest first
LEVEL_NAMES = {
    "awareness": "Aware",
    "participation": "Taking part",
    "contribution": "Contributing",
    "ownership": "Owning",
}
ENGAGEMENT_TITLE = "People at each level of engagement, by month"
PEOPLE = "people"

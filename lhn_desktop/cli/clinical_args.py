"""The command table of ``patient``, ``visit`` and ``export`` (argparse only: ``--help`` stays fast)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

Option = Callable[[argparse.ArgumentParser], None]

SET_HELP = (
    "a value, as CODE=VALUE with an optional unit: PGA=quiescent, WEIGHT=32.5kg, WEIGHT=71.5lb, CRP=1.2mg/dL, "
    "TPMT=normal; an index item as INDEX.ITEM=POINTS: WPCDAI.abdominal_pain=10, PUCAI.rectal_bleeding=0 (items "
    "not given that come from a lab, the wPCDAI's esr and albumin, are taken from this visit's ESR and albumin)"
)


def _patient_fields(q: argparse.ArgumentParser, *, editing: bool) -> None:
    required = not editing
    q.add_argument("--mrn", required=required and True, metavar="MRN", help="as the hospital writes it")
    q.add_argument("--given", required=required, metavar="NAME", help="given name")
    q.add_argument("--family", required=required, metavar="NAME", help="family name")
    q.add_argument("--birth-date", required=required, metavar="YYYY-MM-DD")
    q.add_argument("--sex", required=required, choices=("female", "male", "other"))
    q.add_argument("--diagnosis", required=required, metavar="TEXT",
                   help="Crohn disease, Ulcerative colitis, IBD unclassified or Cystic fibrosis")  # fmt: skip
    q.add_argument("--diagnosis-date", metavar="YYYY-MM-DD")
    q.add_argument("--paris-location", choices=("L1", "L2", "L3"), help="Crohn disease: location")
    q.add_argument("--paris-upper-gi", choices=("none", "L4a", "L4b", "L4a L4b"), help="Crohn disease: upper GI")
    q.add_argument("--paris-behaviour", choices=("B1", "B2", "B3", "B2B3"), help="Crohn disease: behaviour")
    q.add_argument("--perianal", action=argparse.BooleanOptionalAction, default=None,
                   help="Crohn disease: perianal disease (p)")  # fmt: skip
    q.add_argument("--paris-growth", choices=("G0", "G1"), help="Crohn disease: growth")
    q.add_argument("--uc-extent", choices=("E1", "E2", "E3", "E4"), help="UC and IBD-U: extent")
    q.add_argument("--uc-severity", choices=("S0", "S1"), help="UC and IBD-U: ever severe")
    q.add_argument("--phone", metavar="PHONE")
    q.add_argument("--email", metavar="ADDRESS")
    q.add_argument("--language", metavar="LANGUAGE", help="preferred language")
    statuses = ("active", "transferred", "adult_care", "deceased", "inactive")
    q.add_argument(
        "--status", choices=statuses, help="active (the default for a new patient), " + ", ".join(statuses[1:])
    )
    q.add_argument("--status-date", metavar="YYYY-MM-DD", help="the date the status took effect")
    q.add_argument("--allow-same-name", action="store_true",
                   help="register (or keep) a patient with the same name and birth date as another")  # fmt: skip


def add_clinical_commands(sub, db_option: Option, json_option: Option) -> None:
    """Add ``patient``, ``visit`` and ``export`` to the command table."""
    p = sub.add_parser("patient", help="register, edit, show or list the center's patients")
    patient = p.add_subparsers(dest="patient_command", metavar="ACTION", required=True)
    q = patient.add_parser("add", help="register a patient")
    _patient_fields(q, editing=False)
    db_option(q)
    json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.clinical:patient_add")
    q = patient.add_parser("edit", help="change a patient's record (each change kept in its history)")
    q.add_argument("current_mrn", metavar="MRN", help="the patient's MRN now")
    _patient_fields(q, editing=True)
    q.add_argument("--reason", metavar="TEXT", help="why (kept with the history; default: edited in the registry)")
    db_option(q)
    json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.clinical:patient_edit")
    q = patient.add_parser("show", help="a patient's record: details, visits, latest values, medicines")
    q.add_argument("mrn", metavar="MRN")
    db_option(q)
    json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.clinical:patient_show")
    q = patient.add_parser("list", help="the center's patients (name or MRN search with --search)")
    q.add_argument("--search", metavar="TEXT", default="", help="words of the name or MRN")
    db_option(q)
    json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.clinical:patient_list")

    p = sub.add_parser("visit", help="schedule or record a visit, or record a missed one")
    visit = p.add_subparsers(dest="visit_command", metavar="ACTION", required=True)
    q = visit.add_parser("schedule", help="put a visit on the clinic schedule")
    q.add_argument("--mrn", required=True, metavar="MRN")
    q.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    q.add_argument("--time", metavar="HH:MM")
    q.add_argument("--clinician", metavar="NAME")
    q.add_argument("--type", dest="visit_type", default="Follow-up", metavar="TYPE", help="default Follow-up")
    db_option(q)
    json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.clinical:visit_schedule")
    q = visit.add_parser(
        "record",
        help="record what was done at a visit (completes the scheduled visit that day, or adds one)",
        description="Values are checked as the visit form checks them. Values that deserve a second look are "
        "listed and nothing is saved unless --accept-warnings is given. --check shows what would be saved.",
    )
    q.add_argument("--mrn", required=True, metavar="MRN")
    q.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    q.add_argument("--set", dest="values", action="append", default=[], metavar="CODE=VALUE[UNIT]", help=SET_HELP)
    q.add_argument("--from", dest="from_file", metavar="FILE.json",
                   help="the visit as JSON (the same keys as the options; see docs/clinical.md)")  # fmt: skip
    q.add_argument("--index-total", metavar="N", help="the index total from an outside source (with --index-source)")
    q.add_argument("--index-source", metavar="TEXT", help="where that total comes from")
    q.add_argument("--start", action="append", default=[], metavar="DRUG:DOSE[:CLASS]",
                   help="start a medicine (the class only for one the disease pack does not list)")  # fmt: skip
    q.add_argument("--change-dose", action="append", default=[], metavar="DRUG:NEW DOSE")
    q.add_argument("--stop", action="append", default=[], metavar="DRUG:REASON")
    q.add_argument("--immunization", action="append", default=[], metavar="NAME")
    q.add_argument("--screening", action="append", default=[], metavar="NAME[=RESULT]")
    q.add_argument("--clinician", metavar="NAME")
    q.add_argument("--type", dest="visit_type", metavar="TYPE", help="visit type (an unscheduled visit: Unscheduled)")
    q.add_argument("--check", action="store_true", help="show what would be saved, with warnings; save nothing")
    q.add_argument("--accept-warnings", action="store_true", help="save values that deserve a second look")
    db_option(q)
    json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.clinical:visit_record")
    q = visit.add_parser("missed", help="record that the family did not come (no-show)")
    q.add_argument("--mrn", required=True, metavar="MRN")
    q.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    db_option(q)
    json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.clinical:visit_missed")

    p = sub.add_parser(
        "export",
        help="the center's own data (patients, visits, results, medicines) as CSV files, and XLSX with --xlsx",
        description="The files hold patient data. On a terminal the command asks you to confirm; elsewhere give "
        "--yes. Every export is recorded in the audit log.",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="an existing folder; a new subfolder is made in it")
    p.add_argument("--xlsx", action="store_true", help="also write one XLSX workbook")
    p.add_argument("--yes", action="store_true", help="confirm that the files hold patient data (no question)")
    db_option(p)
    json_option(p)
    p.set_defaults(handler="lhn_desktop.cli.clinical:export")

"""The ``lhn-desktop`` command line (DESIGN.md section 5): a stable contract for scripts and checks.

Exit codes: 0 ok, 1 error, 2 bad input. Every message says what to do. The command table imports
command modules lazily, and nothing here imports Qt unless the window is opened.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from lhn_desktop import __version__
from lhn_desktop.cli.output import error
from lhn_desktop.errors import Cancelled, LhnError
from lhn_desktop.startup import imports_without_collection

logger = logging.getLogger(__name__)

EPILOG = """examples:
  lhn-desktop demo --replace --open      build the demo center and open it
  lhn-desktop init --site ctr-042 --name "Riverside Children's IBD Center"
  lhn-desktop db check --json
  lhn-desktop db backup --out /media/usb/center-backup.sqlite3
  echo '{"chart": "run", "y": [12, 15, 9, 14]}' | lhn-desktop chart analyze -
"""


def _encryption_options(p: argparse.ArgumentParser, *, passphrase: bool) -> None:
    p.add_argument("--plain", action="store_true", help="do not encrypt the database (it is encrypted by default)")
    p.add_argument("--encrypt", action="store_true", help=argparse.SUPPRESS)  # the default; kept for old scripts
    if passphrase:
        p.add_argument("--passphrase", action="store_true", help="wrap the key under the center passphrase too "
                       "(asked at the terminal, or LHN_CENTER_PASSPHRASE)")  # fmt: skip


def _db_option(p: argparse.ArgumentParser, *, top: bool = False) -> None:
    # SUPPRESS on sub-commands: otherwise their default would overwrite a --db given before the command.
    p.add_argument(
        "--db",
        metavar="PATH",
        default=None if top else argparse.SUPPRESS,
        help="the center database file (default: the one in your data folder)",
    )


def _json_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON instead of text")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lhn-desktop",
        description="LHN Desktop: pre-visit planning, shared goals, improvement work and run charts for a care "
        "center, offline. With no command, opens the window.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"lhn-desktop {__version__}")
    parser.add_argument("--verbose", action="store_true", help="also write the log to the terminal")
    _db_option(parser, top=True)
    parser.add_argument(  # its own dest: "bundle ... --key-file" names the center key, another thing entirely
        "--key-file", dest="database_key_file", metavar="FILE",
        help="the key file of an encrypted database (or LHN_DESKTOP_KEY_FILE)",
    )  # fmt: skip
    parser.add_argument("--smoke", action="store_true", help="open the window, visit every page, exit 0")
    parser.add_argument("--screenshots", metavar="DIR", help="with --smoke: save a picture of every page in DIR")
    # For bench/startup.py: sign in as --smoke does, print "FIRST PAGE READY t=<epoch seconds>" once the first
    # page is shown, filled and idle, and exit. Hidden: no one needs it but the benchmark.
    parser.add_argument("--first-page-ready", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("gui", help="open the window (the default)")
    _db_option(p)
    p.add_argument(
        "--smoke", action="store_true", default=argparse.SUPPRESS, help="open the window, visit every page, exit 0"
    )
    p.add_argument(
        "--screenshots",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="with --smoke: save a picture of every page in DIR",
    )
    p.add_argument("--first-page-ready", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    p.set_defaults(handler="lhn_desktop.cli.gui:run")

    p = sub.add_parser("init", help="create a center database (with this workstation's keys)")
    p.add_argument("--site", metavar="CODE", help="the site code your network assigned, e.g. ctr-042")
    p.add_argument("--name", required=True, metavar="NAME", help="the center's name")
    p.add_argument("--network", metavar="NAME", help="the learning network, e.g. ImproveCareNow")
    p.add_argument(
        "--network-center", action="store_true", help="set up the network coordinating center (site code ncc)"
    )
    _encryption_options(p, passphrase=True)
    _db_option(p)
    _json_option(p)
    p.set_defaults(handler="lhn_desktop.cli.center:init")

    p = sub.add_parser("demo", help="create the demo center: synthetic patients, visits, goals, measures")
    p.add_argument("--patients", type=int, default=300, metavar="N", help="how many patients (default 300)")
    p.add_argument("--seed", type=int, default=20240501, metavar="S", help="random seed (same seed, same center)")
    p.add_argument("--today", metavar="YYYY-MM-DD", help="the date the demo treats as today (default: today)")
    p.add_argument("--replace", action="store_true", help="rebuild an existing demo center at the same path")
    p.add_argument("--open", action="store_true", help="open the window on the demo center when it is ready")
    p.add_argument(
        "--smoke", action="store_true", default=argparse.SUPPRESS, help="with --open: visit every page and exit 0"
    )
    _encryption_options(p, passphrase=False)
    _db_option(p)
    _json_option(p)
    p.set_defaults(handler="lhn_desktop.cli.center:demo")

    p = sub.add_parser("team", help="list or add team members")
    team = p.add_subparsers(dest="team_command", metavar="ACTION", required=True)
    q = team.add_parser("list", help="list the team")
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.center:team_list")
    q = team.add_parser("add", help="add a team member")
    q.add_argument("--name", required=True)
    q.add_argument(
        "--role",
        required=True,
        help="physician, nurse, qi_lead, data_manager, dietitian, "
        "psychologist, social_worker, patient_partner or parent_partner",
    )
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.center:team_add")
    q = team.add_parser("reset-pin", help="reset a team member's forgotten PIN; they set a new one at sign-in")
    q.add_argument("--name", required=True, help="the team member, as the team list names them")
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.center:team_reset_pin")

    p = sub.add_parser("center", help="this center's details: its name, site code and the clinic's phone number")
    center = p.add_subparsers(dest="center_command", metavar="ACTION", required=True)
    q = center.add_parser("show", help="the center's name, site code, network and clinic phone number")
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.center:center_show")
    q = center.add_parser("set", help="change the center's details")
    q.add_argument("--clinic-phone", metavar="NUMBER",
                   help="the number families call between visits, on the visit summary ('' clears it)")  # fmt: skip
    q.add_argument(
        "--named-in-network",
        choices=("yes", "no"),
        help="show this center's name to the other centers in network comparisons (default: a code)",
    )
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.center:center_set")

    p = sub.add_parser("db", help="check, back up, restore or upgrade the database")
    db = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    q = db.add_parser("check", help="integrity and foreign-key check, connection settings, schema")
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.db:check")
    q = db.add_parser("backup", help="online backup (to the backups folder, or --out FILE)")
    q.add_argument("--out", metavar="FILE", help="where to write the backup (a new file or a folder)")
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.db:backup")
    q = db.add_parser("upgrade", help="bring the database schema up to this version (backs up first)")
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.db:upgrade")
    q = db.add_parser("unlock", help="open an encrypted database whose key this workstation lost, with its recovery "
                      "key or the center passphrase, and keep its key here again")  # fmt: skip
    q.add_argument("--recovery-key", metavar="KEY", help="the recovery key shown when the database was made "
                   "(else asked at the terminal)")  # fmt: skip
    q.add_argument(
        "--passphrase", action="store_true",
        help="use the center passphrase instead (asked at the terminal, or LHN_CENTER_PASSPHRASE)",
    )  # fmt: skip
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.db:unlock")
    q = db.add_parser("encrypt", help="encrypt a plain database and its backups (no plain copy is left)")
    q.add_argument("--passphrase", action="store_true", help="wrap the key under the center passphrase too")
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.db:encrypt")
    q = db.add_parser("rekey", help="put an encrypted database and its backups under a new key (a new recovery key)")
    q.add_argument("--passphrase", action="store_true", help="wrap the new key under the center passphrase too")
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.db:rekey")
    q = db.add_parser("passphrase", help="set or change the center passphrase that can also unlock the database")
    q.add_argument("--remove", action="store_true", help="remove the passphrase (the recovery key still unlocks)")
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.db:passphrase")
    q = db.add_parser("restore", help="replace a damaged database with its latest backup (keeps the damaged file)")
    q.add_argument("--from", dest="source", metavar="FILE", help="the backup to restore (default: the newest)")
    q.add_argument("--force", action="store_true", help="restore even though the database is not damaged")
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.db:restore")

    p = sub.add_parser("huddle", help="the clinic day's patients with their pre-visit checklist, flags and agenda")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="the clinic date (default: today)")
    p.add_argument("--pdf", metavar="FILE.pdf", help="write the huddle sheet (summary page, then two patients a page)")
    _db_option(p)
    _json_option(p)
    p.set_defaults(handler="lhn_desktop.cli.huddle:huddle")

    from lhn_desktop.cli.clinical_args import add_clinical_commands

    add_clinical_commands(sub, _db_option, _json_option)
    from lhn_desktop.cli.ehr import add_ehr_commands

    add_ehr_commands(sub, _db_option, _json_option)

    p = sub.add_parser("schedule", help="import the clinic schedule exported from the EHR (CSV)")
    schedule = p.add_subparsers(dest="schedule_command", metavar="ACTION", required=True)
    q = schedule.add_parser(
        "import",
        help="preview a schedule CSV exported from the EHR; --apply imports it (as 'ehr import --kind appointments')",
        description="Reads the CSV and shows what would change; nothing is written without --apply, and nothing "
        "at all while any row has a problem. Columns are found by their common names (Appt Date, Time, MRN, "
        "Provider, Visit Type, Status) or given with --map, and kept under --source for the next report. A "
        "Canceled or No Show status cancels or marks that day's visit. Patients are matched by MRN: unknown MRNs "
        "are listed, never created (import the patients first).",
    )
    q.add_argument("file", metavar="FILE.csv")
    q.add_argument("--apply", action="store_true", help="import the rows (after a clean preview)")
    q.add_argument("--source", metavar="NAME", help="the name the column mapping is saved under and reused by")
    q.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                   help="the column holding a field, e.g. date='Appt Date' (fields: mrn, date, time, clinician, "
                   "visit_type, status)")  # fmt: skip
    q.add_argument("--date-order", choices=("month/day/year", "day/month/year"),
                   help="how dates written with slashes are to be read")  # fmt: skip
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.schedule:import_schedule")

    p = sub.add_parser("bundle", help="sync bundles for this center's workstations and the network")
    bundle = p.add_subparsers(dest="bundle_command", metavar="ACTION", required=True)

    def key_option(q: argparse.ArgumentParser) -> None:
        q.add_argument("--key-file", metavar="FILE", help="the center key file (else the center passphrase)")

    q = bundle.add_parser(
        "export", help="write a bundle into a folder (the shared folder, a USB drive): what its receivers lack"
    )
    q.add_argument(
        "--scope", choices=("center", "network"), default="center",
        help="center: everything, for this center's workstations; network: no patient data",
    )  # fmt: skip
    q.add_argument("--out", required=True, metavar="DIR")
    q.add_argument("--to", metavar="SITE", help="network scope at the coordinating center: the receiving center")
    q.add_argument(
        "--to-every-center",
        action="store_true",
        help="network scope at the coordinating center: a bundle for every center, read and reviewed once",
    )
    q.add_argument(
        "--full",
        action="store_true",
        help="carry everything, not only what the receivers lack (for a new workstation, or when one asks for it)",
    )
    q.add_argument("--review", action="store_true", help="show what would leave (counts and free text); write nothing")
    q.add_argument(
        "--attest", metavar="TEXT", help="network scope: why flagged free text identifies no patient (audited)"
    )
    key_option(q)
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.bundle:export")
    q = bundle.add_parser("import", help="verify and merge one or more bundles (each in one transaction)")
    q.add_argument("files", nargs="+", metavar="FILE")
    key_option(q)
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.bundle:import_")
    q = bundle.add_parser("verify", help="run every check on a bundle and change nothing")
    q.add_argument("file", metavar="FILE")
    key_option(q)
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.bundle:verify")
    q = bundle.add_parser("make-key", help="create a new random center key file (once per center)")
    q.add_argument("--out", required=True, metavar="FILE")
    q.set_defaults(handler="lhn_desktop.cli.bundle:make_key")

    p = sub.add_parser("keys", help="this workstation's signing key: show it, or export its key card")
    keys = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    q = keys.add_parser("show", help="site, workstation, key id and the fingerprint to read to a peer")
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.keys:show")
    q = keys.add_parser("export", help="write this workstation's key card for a peer to trust")
    q.add_argument("--out", required=True, metavar="FILE")
    _db_option(q)
    q.set_defaults(handler="lhn_desktop.cli.keys:export")

    p = sub.add_parser("trust", help="the peers whose bundles this workstation accepts")
    trust = p.add_subparsers(dest="trust_command", metavar="ACTION", required=True)
    q = trust.add_parser("add", help="trust a peer's key card after checking its fingerprint")
    q.add_argument("file", metavar="CARD")
    q.add_argument("--fingerprint", required=True, help="the fingerprint as read on the peer's screen")
    q.add_argument("--role", default="node", choices=("node", "ncc"), help="a workstation, or the network")
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.keys:trust_add")
    q = trust.add_parser("list", help="trusted and revoked keys")
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.keys:trust_list")
    q = trust.add_parser("revoke", help="stop accepting bundles signed with a key")
    q.add_argument("key_id", metavar="KEY_ID")
    _db_option(q)
    q.set_defaults(handler="lhn_desktop.cli.keys:trust_revoke")

    p = sub.add_parser("chart", help="analyse a run or control chart (qicharts2 semantics)")
    chart = p.add_subparsers(dest="chart_command", metavar="ACTION", required=True)
    q = chart.add_parser(
        "analyze",
        help="read a chart request (JSON) and print centre line, limits and signals as JSON",
        description="Reads the JSON of SPC.md section 9 from FILE (or - for standard input) and writes the "
        "analysis as JSON. Exit code 2 when the request cannot be analysed.",
    )
    q.add_argument("request", metavar="FILE", help="the request file, or - to read standard input")
    q.add_argument("--out", metavar="FILE", help="write the result to FILE instead of standard output")
    q.set_defaults(handler="lhn_desktop.cli.chart:analyze")
    q = chart.add_parser("render", help="draw a measure's chart (or a page of all measures) to PNG, SVG or PDF")
    q.add_argument("--measure", metavar="CODE", help="the measure (see 'lhn-desktop measures list')")
    q.add_argument("--all", action="store_true", help="every measure as small multiples on one page")
    q.add_argument("--out", required=True, metavar="FILE", help="FILE.png, FILE.svg or FILE.pdf")
    q.add_argument("--csv", metavar="FILE", help="also write the data behind the chart as CSV")
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.measures:render")

    p = sub.add_parser("network", help="compare the centers of the network (at the coordinating center or a center)")
    network = p.add_subparsers(dest="network_command", metavar="ACTION", required=True)
    q = network.add_parser(
        "compare",
        help="each center against the network for one measure, with funnel plot limits",
        description="At the coordinating center: every center's values. At a center: its own values beside what the "
        "coordinating center sent back (other centers under a code, small counts hidden). Without --from and --to, "
        "the latest month.",
    )
    q.add_argument("--measure", required=True, metavar="CODE", help="the measure (see 'lhn-desktop measures list')")
    q.add_argument("--from", dest="first", metavar="YYYY-MM", help="the period's first month")
    q.add_argument("--to", dest="last", metavar="YYYY-MM", help="the period's last month")
    q.add_argument("--funnel", metavar="FILE", help="also draw the funnel plot to FILE.png, .svg or .pdf")
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.network:compare")
    q = network.add_parser("report", help="the monthly network report (PDF), at the coordinating center")
    q.add_argument("--month", required=True, metavar="YYYY-MM")
    q.add_argument("--pdf", required=True, metavar="FILE")
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.network:report")

    p = sub.add_parser("measures", help="compute, list or enter monthly measure values")
    measures = p.add_subparsers(dest="measures_command", metavar="ACTION", required=True)
    q = measures.add_parser("compute", help="monthly values for every measure, counted from this center's records")
    q.add_argument("--months", type=int, default=24, metavar="N", help="how many complete months (default 24)")
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.measures:compute")
    q = measures.add_parser("list", help="the measures and their latest month")
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.measures:list_measures")
    q = measures.add_parser("enter", help="enter a month's values by hand (kept when measures are recomputed)")
    q.add_argument("measure", metavar="CODE")
    q.add_argument("month", metavar="YYYY-MM")
    q.add_argument("numerator", type=int, help="the count; for a median or mean, how many patients it covers")
    q.add_argument("denominator", type=int, nargs="?")
    q.add_argument("--value", type=float, metavar="X", help="a continuous measure's median or mean for the month")
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.measures:enter")
    q = measures.add_parser(
        "threshold",
        help="show or set a threshold a center may set for itself",
        description="With CODE alone, lists the measure's thresholds a center may set. With NAME VALUE --reason, "
        "sets this center's own; with NAME --default, returns to the library's. Compute the measures again to "
        "count with it.",
    )
    q.add_argument("measure", metavar="CODE")
    q.add_argument("name", metavar="NAME", nargs="?")
    q.add_argument("value", metavar="VALUE", type=float, nargs="?")
    q.add_argument("--reason", default="", help="why the center counts with its own threshold")
    q.add_argument("--default", action="store_true", help="return NAME to the library's default")
    _db_option(q)
    _json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.measures:threshold")
    return parser


def _resolve(handler: str):
    import importlib

    module, _, func = handler.partition(":")
    return getattr(importlib.import_module(module), func)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args.handler = "lhn_desktop.cli.gui:run"
    from lhn_desktop.logsetup import configure_logging
    from lhn_desktop.paths import app_dirs, configure_frozen_runtime

    configure_frozen_runtime()
    configure_logging(app_dirs().logs, verbose=args.verbose)
    if getattr(args, "database_key_file", None):
        from lhn_desktop.app import use_key_file

        use_key_file(args.database_key_file)
    try:
        with imports_without_collection():  # the command's modules: see lhn_desktop/startup.py
            command = _resolve(args.handler)
        return int(command(args) or 0)
    except LhnError as exc:
        logger.info("Command failed: %s", type(exc).__name__)
        if exc.detail and args.verbose:
            error(f"details: {exc.detail}")
        field = getattr(exc, "field", None)
        return _fail(args, f"{option_name(field)}: {exc.message}" if field else exc.message, exc.exit_code, field)
    except Cancelled:
        return _fail(args, "cancelled; nothing was changed.", 1)
    except KeyboardInterrupt:
        return _fail(args, "interrupted.", 130)
    except BrokenPipeError:
        # the reader went away (``| head``): stop quietly, and keep Python from complaining at exit
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        from lhn_desktop.app import damaged_database

        damage = damaged_database(exc, getattr(args, "db", None))
        if damage is not None:
            logger.error("Command %s stopped: the database file is damaged", args.command)
            return _fail(args, damage.message, 1)
        logger.exception("Unexpected error in command %s", args.command)
        from lhn_desktop.paths import app_dirs

        return _fail(
            args,
            "an unexpected error stopped the command. The details are in the log file in "
            f"{app_dirs().logs}; please send it to your support contact.",
            1,
        )


def option_name(field: str) -> str:
    """The option that gives a service's field: ``birth_date`` -> ``--birth-date``, ``WEIGHT`` -> ``--set WEIGHT``."""
    options = {"given_name": "--given", "family_name": "--family", "preferred_language": "--language",
               "paris_perianal": "--perianal", "day": "--date", "drug": "--start", "drug_class": "--start",
               "dose": "--start", "medication": "--stop", "stop_reason": "--stop", "event": "--screening",
               "index_total": "--index-total", "from": "--from", "confirm": "--yes"}  # fmt: skip
    if field in options:
        return options[field]
    if field.isupper():
        return f"--set {field}"
    return "--" + field.replace("_", "-")


def _fail(args: argparse.Namespace, message: str, code: int, field: str | None = None) -> int:
    """Report a failure: on stderr, and also as JSON on stdout when --json was asked for."""
    error(message)
    if getattr(args, "json", False):
        from lhn_desktop.cli.output import emit_json

        emit_json({"error": message, "exit_code": code} | ({"field": field} if field else {}))
    return code


if __name__ == "__main__":
    sys.exit(main())

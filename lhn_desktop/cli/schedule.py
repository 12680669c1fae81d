"""``schedule import FILE [--apply]``: the EHR import of a CSV report taken as the clinic schedule.

The same as ``ehr import FILE --kind appointments``: the columns are the ones saved for a report with this
header, else worked out from common names (Appt Date, Provider, MRN, Status, ...); ``--map`` and
``--source`` as there.
"""

from __future__ import annotations

import argparse


def import_schedule(args: argparse.Namespace) -> int:
    from lhn_desktop.cli.ehr import ehr_import

    as_ehr = argparse.Namespace(**vars(args), paths=[args.file], kind="appointments", codes=None, mrn_system=None)
    return ehr_import(as_ehr)

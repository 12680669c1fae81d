"""A large FHIR export is validated in a second process while the import maps and writes: the same report, the
same records, and a resource that is not valid still named by file and line with nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lhn_desktop.ehr import background
from lhn_desktop.ehr.background import BackgroundValidation, count_invalid
from lhn_desktop.services.ehr import EhrService
from lhn_desktop.store.database import Database
from tests.conftest import DEMO_TODAY
from tests.unit.test_ehr import content, fresh, hospital, out, row_counts, write_ndjson  # noqa: F401  (fixtures)

INVALID = {"resourceType": "Observation", "id": "o-bad", "status": "final", "code": {"text": "CRP"},
           "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2026-13-45"}  # fmt: skip


def service(db: Database) -> EhrService:
    return EhrService(db, today=lambda: DEMO_TODAY)


@pytest.fixture
def started(monkeypatch) -> list:
    """Every import validates beside itself (however small its files); the processes started are listed."""
    seen: list = []
    real = BackgroundValidation.start.__func__

    def start(cls, paths):
        job = real(cls, paths)
        seen.append(job)
        return job

    monkeypatch.setattr(background, "FROM_BYTES", 0)
    monkeypatch.setattr(BackgroundValidation, "start", classmethod(start))
    return seen


def summary(report) -> tuple:
    return (report.applied, report.resources, {k: vars(c) for k, c in report.counts.items()}, report.skipped,
            report.problems, report.clashes)  # fmt: skip


def test_small_files_are_validated_as_they_are_read(tmp_path) -> None:
    path = write_ndjson(tmp_path / "small.ndjson", hospital())
    assert BackgroundValidation.start([path]) is None


def test_the_second_process_counts_what_is_not_valid(tmp_path) -> None:
    path = write_ndjson(tmp_path / "h.ndjson", [*hospital(), INVALID, {"resourceType": "Spaceship", "id": "s"}])
    assert count_invalid([str(path)]) == 2
    assert count_invalid([str(write_ndjson(tmp_path / "ok.ndjson", hospital()))]) == 0


def test_validated_beside_the_import_it_gives_the_same_report_and_records(center_template, demo_db, admin, tmp_path,
                                                                          started):  # fmt: skip
    exported = service(demo_db).export_fhir(admin, _folder(tmp_path), confirm_patient_data=True).folder
    (tmp_path / "beside").mkdir()
    shutil.copyfile(center_template, tmp_path / "beside" / "center.sqlite3")  # two new centers, each its own file
    db = Database.open(tmp_path / "beside" / "center.sqlite3", tmp_path / "beside" / "backups")
    plain_db = _copy_of(db, tmp_path / "plain")
    try:
        background.FROM_BYTES = 10**15  # this one the plain way
        plain = service(plain_db).import_files(admin, [exported], apply=True)
        background.FROM_BYTES = 0
        assert started == [None]
        beside = service(db).import_files(admin, [exported], apply=True)
        assert started[-1] is not None and beside.applied
        assert summary(beside) == summary(plain)
        assert content(db) == content(plain_db) == content(demo_db)
    finally:
        plain_db.close()
        db.close()


def test_a_resource_that_is_not_valid_is_named_the_plain_way_and_nothing_is_written(db, admin, tmp_path, started):
    path = write_ndjson(tmp_path / "h.ndjson", [*hospital(), INVALID])
    report = service(db).import_files(admin, [path], apply=True)
    assert started and started[0] is not None
    assert not report.applied and row_counts(db) == (0, 0, 0, 0, 0)
    (problem,) = report.problems
    assert problem[0] == f"h.ndjson line {len(hospital()) + 1} (Observation/o-bad)"
    assert problem[1].startswith("not valid FHIR: effectiveDateTime")


def test_when_the_second_process_fails_the_import_validates_itself(db, admin, tmp_path, started, monkeypatch):
    monkeypatch.setattr(BackgroundValidation, "invalid", lambda self, cancel: None)
    path = write_ndjson(tmp_path / "h.ndjson", [*hospital(), INVALID])
    report = service(db).import_files(admin, [path], apply=True)
    assert not report.applied and report.problems[0][1].startswith("not valid FHIR")
    ok = service(db).import_files(admin, [write_ndjson(tmp_path / "ok.ndjson", hospital())], apply=True)
    assert ok.applied and row_counts(db)[0] == 1


def test_cancel_while_waiting_for_the_second_process_writes_nothing(db, admin, tmp_path, started) -> None:
    from lhn_desktop.errors import Cancelled
    from lhn_desktop.progress import CancelToken

    token = CancelToken()

    def progress(done: int, total: int | None, label: str) -> None:
        if label.startswith("Checking the last resources"):
            token.cancel()

    path = write_ndjson(tmp_path / "h.ndjson", hospital())
    with pytest.raises(Cancelled):
        service(db).import_files(admin, [path], apply=True, progress=progress, cancel=token)
    assert row_counts(db) == (0, 0, 0, 0, 0)
    assert started[0]._stopped


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    return folder


def _copy_of(db: Database, folder: Path) -> Database:
    import sqlite3

    folder.mkdir()
    source, target = sqlite3.connect(db.path), sqlite3.connect(folder / "center.sqlite3")
    try:
        source.backup(target)  # a consistent copy with what is still in the log (the open database keeps one)
    finally:
        source.close()
        target.close()
    return Database.open(folder / "center.sqlite3", folder / "backups")

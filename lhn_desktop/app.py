"""The composition root: settings, folders, the open database and the services built on it.

The GUI and the command line both start here; neither opens database sessions itself.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from lhn_desktop.access import Actor
from lhn_desktop.paths import AppDirs, app_dirs
from lhn_desktop.settings import Settings, load_settings, save_settings
from lhn_desktop.store.database import Database
from lhn_desktop.store.engine import is_server_url
from lhn_desktop.store.location import check_database_path, ensure_writable_dir
from lhn_desktop.store.lock import DatabaseLock

if TYPE_CHECKING:
    from lhn_desktop.services.center_export import CenterExportService
    from lhn_desktop.services.commons import CommonsService
    from lhn_desktop.services.corrections import CorrectionService
    from lhn_desktop.services.dto import CenterInfo
    from lhn_desktop.services.ehr import EhrService
    from lhn_desktop.services.goals import GoalService
    from lhn_desktop.services.improvement import ImprovementService
    from lhn_desktop.services.maintenance import MaintenanceService
    from lhn_desktop.services.measures import MeasureService
    from lhn_desktop.services.network import NetworkService
    from lhn_desktop.services.overview import OverviewService
    from lhn_desktop.services.patients import PatientService
    from lhn_desktop.services.planning import PlanningService
    from lhn_desktop.services.registry import RegistryService
    from lhn_desktop.services.schedule import ScheduleService
    from lhn_desktop.services.sync import SyncService
    from lhn_desktop.services.sync_review import SyncReviewService
    from lhn_desktop.services.team import TeamService
    from lhn_desktop.services.trust import TrustService
    from lhn_desktop.services.visits import VisitService

logger = logging.getLogger(__name__)

T = TypeVar("T")
_building = threading.RLock()


class _service(Generic[T]):  # lower case: used as a decorator, like functools.cached_property
    """A service of the context, built (and its module imported) the first time it is asked for: a window starts
    with only what its first page needs. Kept on the context from then on; built once even when two threads ask
    at once (a page's work runs on the runner's threads)."""

    def __init__(self, build: Callable[[Any], T]) -> None:
        self.build = build
        self.name = build.__name__
        self.__doc__ = build.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, ctx: None, owner: type | None = None) -> _service[T]: ...
    @overload
    def __get__(self, ctx: object, owner: type | None = None) -> T: ...
    def __get__(self, ctx: object | None, owner: type | None = None) -> T | _service[T]:
        if ctx is None:
            return self
        with _building:
            found = ctx.__dict__.get(self.name)
            if found is None:
                found = ctx.__dict__[self.name] = self.build(ctx)
        return found


def resolve_db_path(db_arg: str | None, dirs: AppDirs, settings: Settings) -> Path:
    """``--db`` if given; else the default file; else the database opened last."""
    if db_arg is not None:
        return Path(db_arg).expanduser()
    if not dirs.default_db.exists() and settings.last_db and Path(settings.last_db).exists():
        return Path(settings.last_db)
    return dirs.default_db


#: what SQLite says when it reads a damaged page (or a file that is no database)
_DAMAGE_WORDS = ("database disk image is malformed", "file is not a database")


def damaged_database(exc: BaseException, db_arg: str | None) -> Exception | None:
    """The clinic team's message when ``exc`` came from a damaged page of the database file, else ``None``.

    Commands open the database without checking the whole file (the window checks it in the background,
    ``db check`` on demand), so a damaged page is found when a command reads it; this turns SQLite's words
    into the same message the check gives, with the latest backup to restore.
    """
    from lhn_desktop.store.database import corrupt_message

    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    if not any(word in str(item) for item in seen for word in _DAMAGE_WORDS):
        return None
    dirs = app_dirs()
    return corrupt_message(resolve_db_path(db_arg, dirs, load_settings(dirs.config)), dirs.backups)


def remember_database(path: str | Path, dirs: AppDirs | None = None) -> None:
    """Make ``path`` the database the program opens next when no ``--db`` is given (after init or demo)."""
    dirs = dirs or app_dirs()
    settings = load_settings(dirs.config)
    settings.last_db = str(Path(path))
    try:
        save_settings(dirs.config, settings)
    except OSError as exc:
        logger.warning("Settings could not be saved: %s", exc)


@dataclass
class AppContext:
    dirs: AppDirs
    settings: Settings
    db: Database
    today: Callable[[], date] = date.today
    actor: Actor = field(default_factory=Actor.workstation)

    def __post_init__(self) -> None:
        self.lock: DatabaseLock | None = None
        #: said once to the person when opening gave the database a new workstation id (a copy)
        self.identity_notice: str | None = None

    # -- the services, each built when first used -------------------------------------------------------------
    @_service
    def team(self) -> TeamService:
        from lhn_desktop.services.team import TeamService

        return TeamService(self.db)

    @_service
    def patients(self) -> PatientService:
        from lhn_desktop.services.patients import PatientService

        return PatientService(self.db, today=self.today)

    @_service
    def registry(self) -> RegistryService:
        from lhn_desktop.services.registry import RegistryService

        return RegistryService(self.db, today=self.today)

    @_service
    def visits(self) -> VisitService:
        from lhn_desktop.services.visits import VisitService

        return VisitService(self.db, today=self.today)

    @_service
    def corrections(self) -> CorrectionService:
        from lhn_desktop.services.corrections import CorrectionService

        return CorrectionService(self.db, today=self.today)

    @_service
    def center_export(self) -> CenterExportService:
        from lhn_desktop.services.center_export import CenterExportService

        return CenterExportService(self.db, today=self.today)

    @_service
    def ehr(self) -> EhrService:
        from lhn_desktop.services.ehr import EhrService

        return EhrService(self.db, today=self.today, mappings_file=self.dirs.config / "csv_mappings.json")

    @_service
    def overview(self) -> OverviewService:
        from lhn_desktop.services.overview import OverviewService

        return OverviewService(self.db, today=self.today)

    @_service
    def measures(self) -> MeasureService:
        from lhn_desktop.services.measures import MeasureService

        return MeasureService(self.db, today=self.today)

    @_service
    def network(self) -> NetworkService:
        from lhn_desktop.services.network import NetworkService

        return NetworkService(self.db, today=self.today)

    @_service
    def planning(self) -> PlanningService:
        from lhn_desktop.services.planning import PlanningService

        return PlanningService(self.db, today=self.today)

    @_service
    def schedule(self) -> ScheduleService:
        from lhn_desktop.services.schedule import ScheduleService

        return ScheduleService(self.db, today=self.today)

    @_service
    def goals(self) -> GoalService:
        from lhn_desktop.services.goals import GoalService

        return GoalService(self.db, today=self.today)

    @_service
    def improvement(self) -> ImprovementService:
        from lhn_desktop.services.improvement import ImprovementService

        return ImprovementService(self.db, today=self.today)

    @_service
    def trust(self) -> TrustService:
        from lhn_desktop.services.trust import TrustService

        return TrustService(self.db)

    @_service
    def commons(self) -> CommonsService:
        from lhn_desktop.services.commons import CommonsService, attachments_folder

        return CommonsService(self.db, attachments_folder(self.db.path), today=self.today)

    @_service
    def sync(self) -> SyncService:
        from lhn_desktop.services.commons import attachments_folder
        from lhn_desktop.services.sync import SyncService

        return SyncService(self.db, attachments_folder(self.db.path))

    @_service
    def sync_review(self) -> SyncReviewService:
        from lhn_desktop.services.sync_review import SyncReviewService

        return SyncReviewService(self.db)

    @_service
    def maintenance(self) -> MaintenanceService:
        from lhn_desktop.services.maintenance import MaintenanceService

        return MaintenanceService(self.db, keep=lambda: self.settings.backups_to_keep)

    @classmethod
    def open(
        cls,
        db_arg: str | None = None,
        *,
        dirs: AppDirs | None = None,
        create: bool = False,
        exclusive: bool = False,
        full_check: bool = True,
        today: Callable[[], date] = date.today,
    ) -> AppContext:
        """Open the center database; with ``exclusive`` (the window), hold its one-window lock."""
        dirs = dirs or app_dirs()
        settings = load_settings(dirs.config)
        if is_server_url(db_arg):
            return cls._open_server(str(db_arg), dirs, settings, create=create, today=today)
        if db_arg is None:
            ensure_writable_dir(dirs.data, "database")
        path = check_database_path(resolve_db_path(db_arg, dirs, settings), must_exist=not create)
        lock = DatabaseLock(path) if exclusive else None
        if lock is not None:
            lock.acquire()
        try:
            db = Database.open(path, dirs.backups, create=create, full_check=full_check)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        renewed = None
        try:
            from lhn_desktop.services.node_guard import check_on_open, notice

            renewed = notice(check_on_open(db, dirs.config))
        except OSError as exc:  # the guard's own file; the database itself is fine
            logger.warning("The workstation-id check could not run: %s", exc)
        ctx = cls(dirs=dirs, settings=settings, db=db, today=today)
        ctx.lock = lock
        ctx.identity_notice = renewed
        if settings.last_db != str(db.path):
            settings.last_db = str(db.path)
            ctx.save_settings()
        return ctx

    @classmethod
    def _open_server(
        cls, url: str, dirs: AppDirs, settings: Settings, *, create: bool, today: Callable[[], date]
    ) -> AppContext:
        """The coordinating center's database on a PostgreSQL server (decision 48). Several staff use it at once,
        so there is no one-window lock, and it is no file that could be copied, so no workstation-id check; the
        URL is not remembered as the database to open next (it may carry a password)."""
        ensure_writable_dir(dirs.data, "server database's attachments")
        db = Database.open(url, dirs.backups, create=create)
        return cls(dirs=dirs, settings=settings, db=db, today=today)

    def save_settings(self) -> None:
        try:
            save_settings(self.dirs.config, self.settings)
        except OSError as exc:
            logger.warning("Settings could not be saved: %s", exc)

    def sign_in(self, member_id: str, os_user: str, secret: str | None = None) -> Actor:
        """Act as a team member from now on (with their PIN or passphrase, once they have set one), and remember
        the choice for this operating-system user."""
        self.team.check_secret(member_id, secret)
        self.actor = self.team.actor_for(member_id)
        self.team.record_sign_in(self.actor)
        site = self.db.local_node().site_code
        self.settings.remember_user(os_user, site, member_id)
        self.save_settings()
        return self.actor

    def remembered_member(self, os_user: str) -> str | None:
        return self.settings.remembered_user(os_user, self.db.local_node().site_code)

    def center(self) -> CenterInfo:
        from lhn_desktop.services.center import center_info

        return center_info(self.db)

    def set_clinic_phone(self, phone: str | None) -> CenterInfo:
        """The clinic's phone number for families, printed on the visit summary (empty clears it)."""
        from lhn_desktop.services.center import set_clinic_phone

        return set_clinic_phone(self.db, self.actor, phone)

    def set_named_in_network(self, named: bool) -> CenterInfo:
        """Whether the other centers see this center's name in network comparisons (otherwise a stable code)."""
        from lhn_desktop.services.center import set_named_in_network

        return set_named_in_network(self.db, self.actor, named)

    def close(self) -> None:
        self.db.close()
        if self.lock is not None:
            self.lock.release()


def use_key_file(path: str | Path) -> None:
    """The key file of an encrypted database, for every connection this process opens (``--key-file``)."""
    from lhn_desktop.store.cipher import KEY_ENV

    os.environ[KEY_ENV] = str(Path(path).expanduser())

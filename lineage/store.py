"""A store of crawl snapshots with history, in SQLite (one file) or PostgreSQL (a team server).

Each `save()` adds a snapshot (time, source, crawl report). A record is stored once per run of
snapshots in which it did not change, and the row's `first_snapshot` and `last_snapshot` give
that range. A record that disappears or changes ends its row, and a changed record starts a new
one. So "which records existed at snapshot N" is one range query, and the versions of one
resource are its rows in order. SageMaker keeps no history of, for example, which endpoint config
an endpoint served before an update; these ranges are that history.

Both backends share one schema and one set of SQL statements, written with `?` parameters; the
PostgreSQL backend rewrites them to psycopg's `%s`. The schema is versioned in the `meta` table
and `MIGRATIONS` upgrades an older store when it is opened.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from lineage.crawl.cloudtrail import event_endpoint
from lineage.crawl.result import RECORD_META, CrawlReport, CrawlResult, RecordKind
from lineage.errors import StoreError
from lineage.identity import arn_key, is_arn, name_from_arn
from lineage.recording import decode_timestamps, encode_json

logger = logging.getLogger(__name__)

APP_DIR = "sagemaker-lineage"
DEFAULT_FILE = "lineage.sqlite"
MEMORY = ":memory:"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")

# Key of the PostgreSQL advisory lock that writers take (any constant unique to this program).
WRITE_LOCK_ID = 0x5A6E_11E0

# A snapshot is named by its id, by a time (the newest snapshot taken at or before it) or, with
# None, the newest snapshot.
AsOf = datetime | int | None


def default_path() -> Path:
    """Return the default store file: `$XDG_DATA_HOME/sagemaker-lineage/lineage.sqlite`.

    Without XDG_DATA_HOME (or with a relative one, which the XDG spec says to ignore) the data
    home is `~/.local/share`.
    """
    data_home = os.environ.get("XDG_DATA_HOME", "")
    base = Path(data_home) if data_home and Path(data_home).is_absolute() else (
        Path.home() / ".local" / "share"
    )
    return base / APP_DIR / DEFAULT_FILE


# --- Data returned to callers ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """One saved crawl: its id, when it was taken (UTC), what it read and its records per kind."""

    id: int
    taken_at: datetime
    source: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def records(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "taken_at": self.taken_at.isoformat(), "source": self.source,
                "records": self.records, "counts": dict(self.counts)}


@dataclass
class Snapshot:
    """A snapshot read back as a CrawlResult, with the store it came from."""

    path: Path | str
    id: int
    taken_at: datetime
    source: str
    result: CrawlResult

    def info(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for kind, items in self.result.records.items():
            counts[RecordKind(kind).value] = len(items)
        return SnapshotInfo(self.id, self.taken_at, self.source, counts).to_dict()


RecordVersion = tuple[SnapshotInfo, SnapshotInfo, dict[str, Any]]


def record_key(kind: RecordKind, record: dict[str, Any]) -> str:
    """Return the identity of a record within its kind: its ARN (name part lower-cased), else
    its name lower-cased, else a hash of its content.

    SageMaker names are unique without regard to case, so `Churn-XGB` and `churn-xgb` are one
    resource across snapshots. A CloudTrail event is identified by its EventId.
    """
    if kind is RecordKind.CLOUDTRAIL_EVENT and isinstance(record.get("EventId"), str):
        return "event:" + record["EventId"]
    arn = record.get(f"{kind.value}Arn")
    if isinstance(arn, str) and is_arn(arn):
        return arn_key(arn)
    name = record.get(f"{kind.value}Name")
    if isinstance(name, str) and name:
        return "name:" + name.lower()
    content = {key: value for key, value in record.items() if key != RECORD_META}
    digest = hashlib.sha256(_dumps(content).encode("utf-8")).hexdigest()
    return "sha256:" + digest


def record_name(kind: RecordKind, record: dict[str, Any]) -> str | None:
    """Return the lower-cased resource name of a record, from its name field or its ARN.

    For a CloudTrail event, the name of the endpoint it deployed, so that `record_history`
    finds an endpoint's events by its name.
    """
    if kind is RecordKind.CLOUDTRAIL_EVENT:
        endpoint = event_endpoint(record)
        return endpoint.lower() if endpoint else None
    arn = record.get(f"{kind.value}Arn")
    if isinstance(arn, str) and is_arn(arn):
        return name_from_arn(arn).lower()
    name = record.get(f"{kind.value}Name")
    if isinstance(name, str) and name:
        return name.lower()
    return None


def parse_as_of(text: str) -> datetime | int:
    """Parse a snapshot reference typed by a person: an id (`3`), an ISO time or a date.

    A date alone means the end of that day in UTC, so `2024-06-12` selects the last snapshot
    taken that day. Times without an offset are UTC. Raises StoreError for anything else.
    """
    value = text.strip()
    if value.isdigit():
        return int(value)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = date.fromisoformat(value)
            return datetime.combine(day, time.max, tzinfo=timezone.utc)
        return _utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise StoreError(
            f"invalid snapshot reference {text!r}: give a snapshot id such as 3, a date such as "
            "2024-06-12 or a time such as 2024-06-12T06:00:00Z"
        ) from None


# --- Backends ----------------------------------------------------------------------------------


class Connection(Protocol):
    """The part of a DB-API connection the store uses (sqlite3 and psycopg 3 both have it)."""

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...

    def cursor(self) -> Any: ...

    def close(self) -> None: ...


class Backend:
    """Connection, type names and parameter style of one database engine."""

    name = ""
    # DDL for the snapshot id column and for columns that refer to it.
    id_column = ""
    id_type = ""
    errors: tuple[type[Exception], ...] = ()
    location = ""
    path: Path | str = ""

    def connect(self, create: bool) -> Connection:
        raise NotImplementedError

    def sql(self, statement: str) -> str:
        return statement

    def begin(self, connection: Connection, write: bool) -> None:
        raise NotImplementedError

    def tables(self, connection: Connection) -> set[str]:
        raise NotImplementedError


class SQLiteBackend(Backend):
    name = "sqlite"
    id_column = "INTEGER PRIMARY KEY AUTOINCREMENT"
    id_type = "INTEGER"
    errors = (sqlite3.Error,)

    def __init__(self, path: str | Path) -> None:
        self.memory = str(path) == MEMORY
        self.path = MEMORY if self.memory else Path(path).expanduser()
        self.location = str(self.path)

    def connect(self, create: bool) -> Connection:
        if not self.memory:
            assert isinstance(self.path, Path)
            if not create and not self.path.is_file():
                raise StoreError(
                    f"store {self.path} not found; run `lineage crawl --db {self.path}` to "
                    "create it or pass the path of an existing store"
                )
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # Autocommit mode: the store issues BEGIN and COMMIT itself, so that a save can
            # take the write lock before it reads the previous snapshot. One connection is
            # shared by the threads of a Streamlit app, behind the store's lock.
            return sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error as err:
            raise StoreError(f"cannot open store {self.path}: {err}; check the path and its "
                             "permissions") from err

    def begin(self, connection: Connection, write: bool) -> None:
        connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")

    def tables(self, connection: Connection) -> set[str]:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {str(row[0]) for row in rows.fetchall()} - {"sqlite_sequence"}


class PostgresBackend(Backend):
    name = "postgresql"
    id_column = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    id_type = "BIGINT"

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ModuleNotFoundError as err:
            raise StoreError(
                "a postgresql:// store needs the psycopg package; install it with "
                "`pip install 'sagemaker-lineage[postgres]'`"
            ) from err
        self._psycopg = psycopg
        self.errors = (psycopg.Error,)
        self.url = url
        self.location = redact_url(url)
        self.path = self.location

    def connect(self, create: bool) -> Connection:
        try:
            return self._psycopg.connect(self.url, autocommit=True)  # type: ignore[no-any-return]
        except self._psycopg.Error as err:
            raise StoreError(
                f"cannot connect to store {self.location}: {str(err).strip()}; check that the "
                "server runs, the database exists and the URL's user may connect"
            ) from err

    def sql(self, statement: str) -> str:
        return statement.replace("?", "%s")

    def begin(self, connection: Connection, write: bool) -> None:
        if write:
            connection.execute("BEGIN")
            # One writer at a time: a save reads the previous snapshot's rows to extend them,
            # so two concurrent saves would both extend from the same snapshot. An advisory
            # lock also works before the tables exist, which serialises migrations too.
            connection.execute("SELECT pg_advisory_xact_lock(%s)",
                               (WRITE_LOCK_ID,))
        else:
            # Several SELECTs of one read must see one state of the store.
            connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def tables(self, connection: Connection) -> set[str]:
        rows = connection.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema()"
        )
        return {str(row[0]) for row in rows.fetchall()}


def redact_url(url: str) -> str:
    """Return a database URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ""
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


class Transaction:
    """One open transaction: statements with `?` parameters, run through the backend."""

    def __init__(self, backend: Backend, connection: Connection) -> None:
        self.backend = backend
        self.connection = connection

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        return self.connection.execute(self.backend.sql(statement), tuple(params))

    def one(self, statement: str, params: Sequence[Any] = ()) -> Any:
        return self.execute(statement, params).fetchone()

    def all(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        return list(self.execute(statement, params).fetchall())

    def many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        cursor = self.connection.cursor()
        try:
            cursor.executemany(self.backend.sql(statement), [tuple(row) for row in rows])
        finally:
            cursor.close()


# --- Schema and migrations ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: after it runs, the store has schema version `version`."""

    version: int
    description: str
    apply: Callable[[Transaction], None]


def _create_tables(tx: Transaction) -> None:
    backend = tx.backend
    tx.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    tx.execute(
        "CREATE TABLE IF NOT EXISTS snapshots ("
        f" id {backend.id_column},"
        " taken_at TEXT NOT NULL,"
        " source TEXT NOT NULL,"
        " report TEXT NOT NULL)"
    )
    tx.execute(
        "CREATE TABLE IF NOT EXISTS records ("
        " kind TEXT NOT NULL,"
        " key TEXT NOT NULL,"
        " record TEXT NOT NULL,"
        f" first_snapshot {backend.id_type} NOT NULL REFERENCES snapshots(id),"
        f" last_snapshot {backend.id_type} NOT NULL REFERENCES snapshots(id),"
        " PRIMARY KEY (kind, key, first_snapshot))"
    )
    tx.execute("CREATE INDEX IF NOT EXISTS records_by_range ON records (last_snapshot, "
               "first_snapshot)")


def _add_counts_and_names(tx: Transaction) -> None:
    # Per-kind counts make listing snapshots cheap, and the lower-cased name lets a record's
    # history be found by name when its key is an ARN. Times are rewritten in one UTC form.
    tx.execute("ALTER TABLE snapshots ADD COLUMN counts TEXT")
    tx.execute("ALTER TABLE records ADD COLUMN name TEXT")

    names = []
    for kind, key, first, text in tx.all("SELECT kind, key, first_snapshot, record FROM records"):
        try:
            record = json.loads(text)
        except json.JSONDecodeError:
            record = {}
        try:
            name = record_name(RecordKind(kind), record) if isinstance(record, dict) else None
        except ValueError:
            name = None
        names.append((name, kind, key, first))
    tx.many("UPDATE records SET name = ? WHERE kind = ? AND key = ? AND first_snapshot = ?",
            names)

    snapshots = tx.all("SELECT id, taken_at FROM snapshots")
    counted: dict[int, dict[str, int]] = {int(row[0]): {} for row in snapshots}
    for snapshot, kind, count in tx.all(
        "SELECT s.id, r.kind, COUNT(*) FROM snapshots s JOIN records r "
        "ON r.first_snapshot <= s.id AND r.last_snapshot >= s.id GROUP BY s.id, r.kind"
    ):
        counted[int(snapshot)][str(kind)] = int(count)
    tx.many("UPDATE snapshots SET counts = ?, taken_at = ? WHERE id = ?", [
        (_dumps(counted[int(snapshot)]), _format_time(_read_time(taken_at)), int(snapshot))
        for snapshot, taken_at in snapshots
    ])
    tx.execute("CREATE INDEX IF NOT EXISTS records_by_name ON records (kind, name)")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "snapshots and records with snapshot ranges", _create_tables),
    Migration(2, "per-kind counts of snapshots, record names for history", _add_counts_and_names),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


# --- The store ---------------------------------------------------------------------------------


class Store:
    """Snapshots of crawls in SQLite or PostgreSQL; see `open_store()`.

    The store keeps one connection open until `close()`. Its methods may be called from several
    threads; they take turns on that connection.
    """

    def __init__(self, backend: Backend, create: bool = False) -> None:
        self.backend = backend
        self.location = backend.location
        self.path = backend.path
        self._lock = threading.RLock()
        self._connection: Connection | None = backend.connect(create)
        try:
            self._prepare_schema(create)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def __repr__(self) -> str:
        return f"Store({self.location!r})"

    @contextmanager
    def _transaction(self, write: bool = False) -> Iterator[Transaction]:
        """Run the block in one transaction: commit when it ends, roll back when it raises."""
        with self._lock:
            connection = self._connection
            if connection is None:
                raise StoreError(f"store {self.location} is closed; open it again")
            try:
                self.backend.begin(connection, write)
            except self.backend.errors as err:
                self._rollback(connection)
                raise self._damaged(err) from err
            try:
                yield Transaction(self.backend, connection)
            except BaseException:
                self._rollback(connection)
                raise
            try:
                connection.execute("COMMIT")
            except self.backend.errors as err:
                self._rollback(connection)
                raise self._damaged(err) from err

    def _rollback(self, connection: Connection) -> None:
        if not getattr(connection, "in_transaction", True):
            return
        try:
            connection.execute("ROLLBACK")
        except self.backend.errors as err:
            # A lost connection has already ended the transaction on the server.
            logger.warning("rolling back on store %s failed: %s", self.location, err)

    def _damaged(self, err: Exception) -> StoreError:
        if self.backend.name == "sqlite":
            return StoreError(
                f"store {self.location} is damaged or not a SQLite store ({err}); move it aside "
                "and crawl again with `lineage crawl --db PATH`"
            )
        return StoreError(f"store {self.location} failed: {str(err).strip()}")

    @contextmanager
    def _reading(self) -> Iterator[Transaction]:
        try:
            with self._transaction(write=False) as tx:
                yield tx
        except self.backend.errors as err:
            raise self._damaged(err) from err

    # --- schema -----------------------------------------------------------------------------

    def _prepare_schema(self, create: bool) -> None:
        # Read the version first, so that a current store opens without a write lock and
        # from a read-only file. Under the lock it is read again, because another process may
        # have migrated the store in between.
        try:
            with self._transaction(write=False) as tx:
                version = self._schema_version(tx, create)
            if version == SCHEMA_VERSION:
                return
            with self._transaction(write=True) as tx:
                version = self._schema_version(tx, create)
                if version < SCHEMA_VERSION:
                    self._migrate(tx, version)
        except self.backend.errors as err:
            raise self._damaged(err) from err

    def _schema_version(self, tx: Transaction, create: bool) -> int:
        tables = self.backend.tables(tx.connection)
        if "meta" not in tables:
            if tables or not create:
                raise StoreError(
                    f"{self.location} is not a lineage store (no schema version found); pass "
                    "another --db path or URL, or move the file aside"
                )
            return 0

        row = tx.one("SELECT value FROM meta WHERE key = 'schema_version'")
        version = _schema_version(row, self.location)
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"store {self.location} has schema version {version}, newer than version "
                f"{SCHEMA_VERSION} that this release reads; upgrade sagemaker-lineage or pass "
                "another --db path or URL"
            )
        return version

    def _migrate(self, tx: Transaction, version: int) -> None:
        # All steps run in the caller's transaction, so a failed step leaves the store at its
        # old version (both engines roll back DDL).
        for migration in MIGRATIONS:
            if migration.version <= version:
                continue
            logger.info("migrating store %s to schema version %d: %s", self.location,
                        migration.version, migration.description)
            try:
                migration.apply(tx)
            except self.backend.errors as err:
                raise StoreError(
                    f"migrating store {self.location} from schema version {version} to "
                    f"{migration.version} failed: {str(err).strip()}; the store was left "
                    "unchanged, so open it with write access or with the release that wrote it"
                ) from err
        if version == 0:
            tx.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)",
                       (str(SCHEMA_VERSION),))
        else:
            tx.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                       (str(SCHEMA_VERSION),))

    @property
    def schema_version(self) -> int:
        with self._reading() as tx:
            return _schema_version(tx.one("SELECT value FROM meta WHERE key = 'schema_version'"),
                                   self.location)

    # --- writing ----------------------------------------------------------------------------

    def save(self, result: CrawlResult, source: str = "crawl",
             taken_at: datetime | None = None) -> int:
        """Store `result` as a new snapshot in one transaction and return its id.

        `taken_at` defaults to the crawl report's finished time, else its started time, else
        now. For a recording, pass its `recorded_at`, so that the snapshot dates the account's
        state and not the replay. When the save fails part-way, nothing of it is stored.
        """
        report = result.report
        when = _utc(taken_at or report.finished or report.started or datetime.now(timezone.utc))
        records = _keyed_records(result)
        counts: dict[str, int] = {}
        for kind, _key in records:
            counts[kind] = counts.get(kind, 0) + 1

        try:
            with self._transaction(write=True) as tx:
                snapshot, extended = self._write_snapshot(tx, records, when, source, report,
                                                          counts)
        except self.backend.errors as err:
            raise StoreError(
                f"saving a snapshot to store {self.location} failed: {str(err).strip()}; the "
                "store still holds its previous snapshots"
            ) from err

        logger.info("saved snapshot %d (%s) to %s: %d records, %d unchanged since the previous "
                    "one", snapshot, when.isoformat(), self.location, len(records), extended)
        return snapshot

    def _write_snapshot(
        self, tx: Transaction, records: dict[tuple[str, str], tuple[str, str | None]],
        when: datetime, source: str, report: CrawlReport, counts: dict[str, int],
    ) -> tuple[int, int]:
        previous_row = tx.one("SELECT id, taken_at FROM snapshots ORDER BY id DESC LIMIT 1")
        if previous_row is not None and _read_time(previous_row[1]) > when:
            # Ranges run in id order; a snapshot dated before the previous one still gets
            # correct records, but a time-ordered history will interleave them.
            logger.warning("snapshot taken %s is older than the previous snapshot %s of %s",
                           when.isoformat(), previous_row[1], self.location)
        row = tx.one(
            "INSERT INTO snapshots (taken_at, source, report, counts) VALUES (?, ?, ?, ?) "
            "RETURNING id",
            (_format_time(when), source, _dumps(report.to_dict()), _dumps(counts)),
        )
        snapshot = int(row[0])

        current: dict[tuple[str, str], tuple[str, int]] = {}
        if previous_row is not None:
            for kind, key, text, first in tx.all(
                "SELECT kind, key, record, first_snapshot FROM records WHERE last_snapshot = ?",
                (int(previous_row[0]),),
            ):
                current[(str(kind), str(key))] = (str(text), int(first))

        extend: list[tuple[int, str, str, int]] = []
        insert: list[tuple[str, str, str | None, str, int, int]] = []
        for (kind, key), (text, name) in records.items():
            existing = current.get((kind, key))
            if existing is not None and existing[0] == text:
                extend.append((snapshot, kind, key, existing[1]))
            else:
                insert.append((kind, key, name, text, snapshot, snapshot))
        tx.many("UPDATE records SET last_snapshot = ? "
                "WHERE kind = ? AND key = ? AND first_snapshot = ?", extend)
        tx.many("INSERT INTO records (kind, key, name, record, first_snapshot, last_snapshot) "
                "VALUES (?, ?, ?, ?, ?, ?)", insert)
        return snapshot, len(extend)

    # --- snapshots --------------------------------------------------------------------------

    def snapshots(self) -> list[SnapshotInfo]:
        """Return every snapshot ordered by time taken (then id), with its counts per kind."""
        with self._reading() as tx:
            rows = tx.all("SELECT id, taken_at, source, counts FROM snapshots")
        infos = [self._info(row) for row in rows]
        return sorted(infos, key=lambda info: (info.taken_at, info.id))

    def _info(self, row: Sequence[Any]) -> SnapshotInfo:
        counts = _loads(row[3], self.location) if row[3] else {}
        return SnapshotInfo(int(row[0]), _read_time(row[1]), str(row[2]),
                            {str(k): int(v) for k, v in counts.items()})

    def resolve(self, as_of: AsOf = None) -> SnapshotInfo:
        """Return the snapshot that `as_of` names: an id, the newest one taken at or before a
        time, or the newest one for None. Raises StoreError when there is none."""
        return self._resolve(self.snapshots(), as_of)

    def _resolve(self, infos: list[SnapshotInfo], as_of: AsOf) -> SnapshotInfo:
        if not infos:
            raise StoreError(
                f"store {self.location} has no snapshot yet; run "
                f"`lineage crawl --db {self.location}` first"
            )
        if as_of is None:
            return infos[-1]
        if isinstance(as_of, bool) or not isinstance(as_of, (int, datetime)):
            raise StoreError(f"invalid snapshot reference {as_of!r}: give a snapshot id, a "
                             "datetime or None for the newest snapshot")
        if isinstance(as_of, int):
            for info in infos:
                if info.id == as_of:
                    return info
            ids = ", ".join(str(info.id) for info in infos)
            raise StoreError(f"store {self.location} has no snapshot {as_of}; its snapshots "
                             f"are {ids}")
        moment = _utc(as_of)
        earlier = [info for info in infos if info.taken_at <= moment]
        if not earlier:
            raise StoreError(
                f"store {self.location} has no snapshot taken at or before "
                f"{moment.isoformat()}; its first snapshot was taken "
                f"{infos[0].taken_at.isoformat()}"
            )
        return earlier[-1]

    def snapshot(self, snapshot_id: int) -> Snapshot:
        """Return the records that existed at snapshot `snapshot_id` as a Snapshot."""
        info = self.resolve(int(snapshot_id))
        return Snapshot(self.path, info.id, info.taken_at, info.source, self.result_at(info.id))

    def latest(self) -> Snapshot:
        """Return the newest snapshot; raise StoreError when the store has none."""
        info = self.resolve(None)
        return Snapshot(self.path, info.id, info.taken_at, info.source, self.result_at(info.id))

    def load_latest(self) -> CrawlResult:
        """Return the records and report of the newest snapshot."""
        return self.result_at(None)

    # --- reading records --------------------------------------------------------------------

    def result_at(self, as_of: AsOf = None) -> CrawlResult:
        """Return the records alive at one snapshot (see `resolve()`) with its crawl report."""
        info = self.resolve(as_of)
        with self._reading() as tx:
            report = tx.one("SELECT report FROM snapshots WHERE id = ?", (info.id,))
            rows = tx.all(
                "SELECT kind, record FROM records WHERE first_snapshot <= ? "
                "AND last_snapshot >= ? ORDER BY kind, key", (info.id, info.id),
            )
        return self._result(report[0], rows)

    def result_between(self, start: AsOf = None, end: AsOf = None) -> CrawlResult:
        """Return the records alive in any snapshot from `start` to `end`, newest version each.

        Each bound names a snapshot as in `resolve()`, except that a `start` time before the
        first snapshot means the first snapshot. The range includes both ends. The report is
        the `end` snapshot's. One graph built from this holds, for example, both the config an
        endpoint served at `start` and the one it serves at `end`.
        """
        infos = self.snapshots()
        last = self._resolve(infos, end)
        if isinstance(start, datetime) and infos and _utc(start) < infos[0].taken_at:
            first = infos[0]
        else:
            first = self._resolve(infos, start if start is not None else infos[0].id)
        order = {info.id: position for position, info in enumerate(infos)}
        if order[first.id] > order[last.id]:
            raise StoreError(
                f"snapshot range is empty: start snapshot {first.id} "
                f"({first.taken_at.isoformat()}) is after end snapshot {last.id} "
                f"({last.taken_at.isoformat()}); swap the bounds"
            )
        chosen = sorted(info.id for info in infos[order[first.id]:order[last.id] + 1])
        low, high = chosen[0], chosen[-1]
        if chosen == sorted(info.id for info in infos if low <= info.id <= high):
            # The usual case (snapshots saved in time order): one range overlap test.
            condition, params = "r.first_snapshot <= ? AND r.last_snapshot >= ?", [high, low]
        else:
            marks = ", ".join("?" for _ in chosen)
            condition = (f"EXISTS (SELECT 1 FROM snapshots s WHERE s.id IN ({marks}) "
                         "AND r.first_snapshot <= s.id AND r.last_snapshot >= s.id)")
            params = chosen

        with self._reading() as tx:
            report = tx.one("SELECT report FROM snapshots WHERE id = ?", (last.id,))
            rows = tx.all(
                "SELECT r.kind, r.key, r.first_snapshot, r.record FROM records r "
                f"WHERE {condition} ORDER BY r.kind, r.key, r.first_snapshot", params,
            )

        # Rows of one record never overlap, so the one that starts last is its newest version.
        newest: dict[tuple[str, str], str] = {}
        for kind, key, _first, text in rows:
            newest[(str(kind), str(key))] = str(text)
        return self._result(report[0], [(kind, text) for (kind, _), text in newest.items()])

    def record_history(self, kind: RecordKind, name_or_arn: str) -> list[RecordVersion]:
        """Return each stored version of one resource, oldest first, as (first snapshot seen,
        last snapshot seen, record).

        `name_or_arn` matches case-insensitively, by ARN or by name. A name shared by resources
        of several accounts or regions in one store returns the versions of all of them.
        A resource that vanished and came back unchanged has one version per run of snapshots.
        """
        kind = RecordKind(kind)
        text = name_or_arn.strip()
        key = arn_key(text) if is_arn(text) else "name:" + text.lower()
        name = name_from_arn(text).lower()
        infos = {info.id: info for info in self.snapshots()}
        with self._reading() as tx:
            rows = tx.all(
                "SELECT first_snapshot, last_snapshot, record FROM records "
                "WHERE kind = ? AND (key = ? OR name = ?)",
                (kind.value, key, name),
            )

        versions = []
        for first, last, record_text in rows:
            record = decode_timestamps(_loads(record_text, self.location))
            versions.append((infos[int(first)], infos[int(last)], record))
        versions.sort(key=lambda version: (version[0].taken_at, version[0].id))
        return versions

    def _result(self, report_text: str, rows: Sequence[Sequence[Any]]) -> CrawlResult:
        result = CrawlResult(report=CrawlReport.from_dict(_loads(report_text, self.location)))
        for kind, text in rows:
            result.add(_record_kind(str(kind), self.location),
                       decode_timestamps(_loads(text, self.location)))
        return result


# Name kept for callers written when the store had only the SQLite backend.
SQLiteStore = Store


def open_store(target: str | Path | None = None, create: bool = False) -> Store:
    """Open a store: a `postgresql://` URL, a SQLite file path, `:memory:`, or (None) the
    default file `default_path()`. `create` makes a missing file or an empty database a store.
    """
    if target is None:
        return Store(SQLiteBackend(default_path()), create=create)
    text = str(target)
    if text.startswith(POSTGRES_SCHEMES):
        return Store(PostgresBackend(text), create=create)
    return Store(SQLiteBackend(target), create=create)


def save(result: CrawlResult, path: str | Path | None = None, source: str = "crawl",
         taken_at: datetime | None = None) -> int:
    """Save `result` as a new snapshot of the store at `path`, creating it when missing."""
    with open_store(path, create=True) as store:
        return store.save(result, source, taken_at=taken_at)


def load_latest(path: str | Path | None = None) -> CrawlResult:
    """Return the newest snapshot of the store at `path` as a CrawlResult."""
    with open_store(path) as store:
        return store.load_latest()


# --- Helpers -----------------------------------------------------------------------------------


def _keyed_records(result: CrawlResult) -> dict[tuple[str, str], tuple[str, str | None]]:
    """Return (kind, key) -> (record JSON, lower-cased name) for every record of a crawl."""
    records: dict[tuple[str, str], tuple[str, str | None]] = {}
    for kind_value, items in result.records.items():
        kind = RecordKind(kind_value)
        for record in items:
            key = (kind.value, record_key(kind, record))
            text = _dumps(record)
            if key in records:
                # A full record and a placeholder for one resource: keep the longer, fuller one.
                logger.debug("record %s %s appears twice in one crawl", *key)
                if len(records[key][0]) >= len(text):
                    continue
            records[key] = (text, record_name(kind, record))
    return records


def _utc(moment: datetime) -> datetime:
    # Times without an offset are taken as UTC, which is what botocore and the recordings use.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _format_time(moment: datetime) -> str:
    return _utc(moment).isoformat(timespec="microseconds")


def _read_time(value: Any) -> datetime:
    try:
        return _utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        raise StoreError(f"store contains an invalid snapshot time {value!r}; move the store "
                         "aside and crawl again") from None


def _dumps(value: Any) -> str:
    return json.dumps(encode_json(value), sort_keys=True, separators=(",", ":"))


def _loads(text: str, location: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, json.JSONDecodeError) as err:
        raise StoreError(f"store {location} contains a damaged row ({err}); move it aside and "
                         "crawl again") from err


def _record_kind(value: str, location: str) -> RecordKind:
    try:
        return RecordKind(value)
    except ValueError:
        raise StoreError(
            f"store {location} contains records of unknown kind {value!r}; it was probably "
            "written by a newer release, so upgrade sagemaker-lineage"
        ) from None


def _schema_version(row: Any, location: str) -> int:
    try:
        return int(row[0])
    except (TypeError, ValueError, IndexError):
        raise StoreError(f"store {location} has an invalid schema version {row!r}; move it "
                         "aside and crawl again") from None


__all__ = [
    "MIGRATIONS", "SCHEMA_VERSION", "Migration", "RecordVersion", "Snapshot", "SnapshotInfo",
    "SQLiteStore", "Store", "default_path", "load_latest", "open_store", "parse_as_of",
    "record_key", "record_name", "redact_url", "save",
]

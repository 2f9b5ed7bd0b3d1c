"""A SQLite store of crawl snapshots.

Each `save()` adds a snapshot (time, source, crawl report). A record is stored once per run of
snapshots in which it did not change, and the row's `first_snapshot` and `last_snapshot` give
that range. A record that disappears or changes ends its row, and a changed record starts a new
one. That makes "which records existed at snapshot N" one range query, which is what later "as of"
queries need. The SQL sticks to types and statements PostgreSQL also accepts, apart from the
`?` parameter style.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lineage.crawl.result import RECORD_META, CrawlReport, CrawlResult, RecordKind
from lineage.errors import StoreError
from lineage.identity import arn_key, is_arn
from lineage.recording import decode_timestamps, encode_json

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
APP_DIR = "sagemaker-lineage"
DEFAULT_FILE = "lineage.sqlite"

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS snapshots ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " taken_at TEXT NOT NULL,"
    " source TEXT NOT NULL,"
    " report TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS records ("
    " kind TEXT NOT NULL,"
    " key TEXT NOT NULL,"
    " record TEXT NOT NULL,"
    " first_snapshot INTEGER NOT NULL REFERENCES snapshots(id),"
    " last_snapshot INTEGER NOT NULL REFERENCES snapshots(id),"
    " PRIMARY KEY (kind, key, first_snapshot))",
    "CREATE INDEX IF NOT EXISTS records_by_range ON records (last_snapshot, first_snapshot)",
)


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


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """One saved crawl: its id, when it was taken, what it read and how many records it has."""

    id: int
    taken_at: str
    source: str
    records: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "taken_at": self.taken_at, "source": self.source,
                "records": self.records}


@dataclass
class Snapshot:
    """A snapshot read back as a CrawlResult, with the file it came from."""

    path: Path
    id: int
    taken_at: str
    source: str
    result: CrawlResult

    def info(self) -> dict[str, Any]:
        records = sum(len(items) for items in self.result.records.values())
        return SnapshotInfo(self.id, self.taken_at, self.source, records).to_dict()


def record_key(kind: RecordKind, record: dict[str, Any]) -> str:
    """Return the identity of a record within its kind: its ARN (name part lower-cased), else
    its name lower-cased, else a hash of its content.

    SageMaker names are unique without regard to case, so `Churn-XGB` and `churn-xgb` are one
    resource across snapshots.
    """
    arn = record.get(f"{kind.value}Arn")
    if isinstance(arn, str) and is_arn(arn):
        return arn_key(arn)
    name = record.get(f"{kind.value}Name")
    if isinstance(name, str) and name:
        return "name:" + name.lower()
    content = {key: value for key, value in record.items() if key != RECORD_META}
    digest = hashlib.sha256(_dumps(content).encode("utf-8")).hexdigest()
    return "sha256:" + digest


class SQLiteStore:
    """Snapshots in one SQLite file. Opening a missing file for reading raises StoreError."""

    def __init__(self, path: str | Path, create: bool = False) -> None:
        self.path = Path(path).expanduser()
        if not create and not self.path.is_file():
            raise StoreError(
                f"store {self.path} not found; run `lineage crawl --db {self.path}` to create it "
                "or pass the path of an existing store"
            )
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._check_schema(create)

    # --- schema -----------------------------------------------------------------------------

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            connection = sqlite3.connect(self.path)
        except sqlite3.Error as err:
            raise StoreError(f"cannot open store {self.path}: {err}; check the path and its "
                             "permissions") from err
        try:
            with connection:
                yield connection
        except sqlite3.DatabaseError as err:
            raise StoreError(
                f"store {self.path} is damaged or not a SQLite store ({err}); move it aside and "
                "crawl again with `lineage crawl --db PATH`"
            ) from err
        finally:
            connection.close()

    def _check_schema(self, create: bool) -> None:
        with self._connect() as connection:
            tables = {row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            )}
            if "meta" not in tables:
                if tables or not create:
                    raise StoreError(
                        f"{self.path} is not a lineage store (no schema version found); pass "
                        "another --db path or move the file aside"
                    )
                for statement in _SCHEMA:
                    connection.execute(statement)
                connection.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)",
                                   (str(SCHEMA_VERSION),))
                return

            row = connection.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
        version = _schema_version(row, self.path)
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"store {self.path} has schema version {version}, newer than version "
                f"{SCHEMA_VERSION} that this release reads; upgrade sagemaker-lineage or pass "
                "another --db path"
            )

    # --- writing ----------------------------------------------------------------------------

    def save(self, result: CrawlResult, source: str = "crawl") -> int:
        """Store `result` as a new snapshot and return its id."""
        report = result.report
        taken_at = report.finished or report.started or datetime.now(timezone.utc)
        records = _keyed_records(result)

        with self._connect() as connection:
            previous = connection.execute("SELECT MAX(id) FROM snapshots").fetchone()[0]
            cursor = connection.execute(
                "INSERT INTO snapshots (taken_at, source, report) VALUES (?, ?, ?)",
                (taken_at.isoformat(), source, _dumps(report.to_dict())),
            )
            snapshot = int(cursor.lastrowid or 0)

            current = {}
            if previous is not None:
                current = {(kind, key): (record, first) for kind, key, record, first in
                           connection.execute(
                               "SELECT kind, key, record, first_snapshot FROM records "
                               "WHERE last_snapshot = ?", (previous,))}

            extended = 0
            for (kind, key), text in records.items():
                existing = current.get((kind, key))
                if existing is not None and existing[0] == text:
                    connection.execute(
                        "UPDATE records SET last_snapshot = ? "
                        "WHERE kind = ? AND key = ? AND first_snapshot = ?",
                        (snapshot, kind, key, existing[1]),
                    )
                    extended += 1
                else:
                    connection.execute(
                        "INSERT INTO records (kind, key, record, first_snapshot, last_snapshot) "
                        "VALUES (?, ?, ?, ?, ?)", (kind, key, text, snapshot, snapshot),
                    )

        logger.info("saved snapshot %d to %s: %d records, %d unchanged since the previous one",
                    snapshot, self.path, len(records), extended)
        return snapshot

    # --- reading ----------------------------------------------------------------------------

    def snapshots(self) -> list[SnapshotInfo]:
        """Return every snapshot, oldest first, with its record count."""
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT s.id, s.taken_at, s.source, COUNT(r.key) FROM snapshots s "
                "LEFT JOIN records r ON r.first_snapshot <= s.id AND r.last_snapshot >= s.id "
                "GROUP BY s.id, s.taken_at, s.source ORDER BY s.id"
            ).fetchall()
        return [SnapshotInfo(int(i), str(t), str(s), int(n)) for i, t, s, n in rows]

    def latest(self) -> Snapshot:
        """Return the newest snapshot; raise StoreError when the store has none."""
        with self._connect() as connection:
            row = connection.execute("SELECT MAX(id) FROM snapshots").fetchone()
        if row is None or row[0] is None:
            raise StoreError(
                f"store {self.path} has no snapshot yet; run `lineage crawl --db {self.path}` "
                "first"
            )
        return self.snapshot(int(row[0]))

    def snapshot(self, snapshot_id: int) -> Snapshot:
        """Return the records that existed at snapshot `snapshot_id` as a CrawlResult."""
        with self._connect() as connection:
            row = connection.execute(
                "SELECT taken_at, source, report FROM snapshots WHERE id = ?", (snapshot_id,)
            ).fetchone()
            if row is None:
                raise StoreError(f"store {self.path} has no snapshot {snapshot_id}; list them "
                                 "with SQLiteStore.snapshots()")
            rows = connection.execute(
                "SELECT kind, record FROM records WHERE first_snapshot <= ? AND last_snapshot >= ? "
                "ORDER BY kind, key", (snapshot_id, snapshot_id),
            ).fetchall()

        taken_at, source, report_text = row
        result = CrawlResult(report=CrawlReport.from_dict(_loads(report_text, self.path)))
        for kind, text in rows:
            result.add(_record_kind(kind, self.path), decode_timestamps(_loads(text, self.path)))
        return Snapshot(self.path, snapshot_id, str(taken_at), str(source), result)

    def load_latest(self) -> CrawlResult:
        """Return the records and report of the newest snapshot."""
        return self.latest().result


def open_store(path: str | Path | None = None, create: bool = False) -> SQLiteStore:
    """Open the store at `path` (default: `default_path()`); `create` makes a missing one."""
    return SQLiteStore(default_path() if path is None else path, create=create)


def save(result: CrawlResult, path: str | Path | None = None, source: str = "crawl") -> int:
    """Save `result` as a new snapshot of the store at `path`, creating it when missing."""
    return open_store(path, create=True).save(result, source)


def load_latest(path: str | Path | None = None) -> CrawlResult:
    """Return the newest snapshot of the store at `path` as a CrawlResult."""
    return open_store(path).load_latest()


def _keyed_records(result: CrawlResult) -> dict[tuple[str, str], str]:
    records: dict[tuple[str, str], str] = {}
    for kind, items in result.records.items():
        for record in items:
            key = (RecordKind(kind).value, record_key(RecordKind(kind), record))
            if key in records:
                # A full record and a placeholder for one resource: keep the longer, fuller one.
                logger.debug("record %s %s appears twice in one crawl", *key)
                if len(records[key]) >= len(_dumps(record)):
                    continue
            records[key] = _dumps(record)
    return records


def _dumps(value: Any) -> str:
    return json.dumps(encode_json(value), sort_keys=True, separators=(",", ":"))


def _loads(text: str, path: Path) -> Any:
    try:
        return json.loads(text)
    except (TypeError, json.JSONDecodeError) as err:
        raise StoreError(f"store {path} contains a damaged row ({err}); move it aside and crawl "
                         "again") from err


def _record_kind(value: str, path: Path) -> RecordKind:
    try:
        return RecordKind(value)
    except ValueError:
        raise StoreError(
            f"store {path} contains records of unknown kind {value!r}; it was probably written "
            "by a newer release, so upgrade sagemaker-lineage"
        ) from None


def _schema_version(row: Any, path: Path) -> int:
    try:
        return int(row[0])
    except (TypeError, ValueError, IndexError):
        raise StoreError(f"store {path} has an invalid schema version {row!r}; move it aside and "
                         "crawl again") from None

"""Crawl page: the store's snapshots, the crawl report of one, and a form to run a new crawl."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from lineage.crawl.calls import Budget
from lineage.crawl.multi import TargetOptions
from lineage.crawl.result import CrawlReport, CrawlResult
from lineage.errors import LineageError
from lineage.source import Loaded
from lineage.store import Store, open_store
from ui.views import common

logger = logging.getLogger(__name__)

RECORDING = "Recording file"
AWS = "AWS profile and region"
LOADED_STORE = "The loaded store"
NEW_STORE = "Another store (SQLite file or postgresql:// URL)"

# Key of the session state entry that keeps the last crawl's outcome across reruns.
LAST_CRAWL_KEY = "crawl_last_outcome"


@dataclass(frozen=True, slots=True)
class CrawlOutcome:
    """A finished crawl from this page: its report, the snapshot id and where it was saved."""

    report: dict[str, Any]
    snapshot: int
    store: str


def render(loaded: Loaded) -> None:
    """Draw the Crawl page: snapshots, the selected snapshot's report and the crawl form."""
    st.title("Crawl")
    st.write(
        "The snapshots of the loaded store and how each crawl went, and a form to crawl a "
        "recording or an AWS account into a store."
    )

    store = loaded.store
    if store is None:
        st.info("The loaded source is a single recording, not a store, so it has no "
                "snapshots. A crawl below can save into another store.")
    else:
        _show_snapshots(store)

    st.header("New crawl")
    _crawl_form(loaded)

    outcome = st.session_state.get(LAST_CRAWL_KEY)
    if isinstance(outcome, CrawlOutcome):
        st.header("Last crawl")
        st.text(f"Saved snapshot {outcome.snapshot} to {outcome.store}")
        show_report(CrawlReport.from_dict(outcome.report), key="crawl_last")


# --- Snapshots and reports ---------------------------------------------------------------------


def _show_snapshots(store: Store) -> None:
    try:
        snapshots = store.snapshots()
    except LineageError as err:
        common.show_lineage_error(err, "Check that the store is reachable and readable.")
        return

    st.header("Snapshots")
    if not snapshots:
        st.text(f"Store {store.location} has no snapshot yet.")
        return
    rows = [
        {"id": info.id, "taken at": info.taken_at.isoformat(), "source": info.source,
         "records": info.records,
         "counts": ", ".join(f"{kind} {count}" for kind, count in sorted(info.counts.items()))}
        for info in reversed(snapshots)
    ]
    common.show_table(rows)

    ids = [info.id for info in reversed(snapshots)]
    labels = {info.id: f"{info.id}: {info.taken_at.isoformat()} ({info.source})"
              for info in snapshots}
    chosen = st.selectbox("Snapshot", ids, format_func=lambda value: labels[value],
                          key="crawl_snapshot")
    try:
        report = store.result_at(int(chosen)).report
    except LineageError as err:
        common.show_lineage_error(err, "Pick another snapshot.")
        return
    st.subheader(f"Crawl report of snapshot {chosen}")
    show_report(report, key="crawl_snapshot_report")


def show_report(report: CrawlReport, *, key: str) -> None:
    """Show a crawl report: totals, records per kind, calls per operation and the problems."""
    totals = st.columns(4)
    totals[0].metric("Calls", report.total_calls)
    totals[1].metric("Retries", report.retries)
    totals[2].metric("Throttled", report.throttled)
    totals[3].metric("Warnings", len(report.warnings))
    if report.accounts or report.regions:
        st.text(f"Accounts: {', '.join(report.accounts) or 'unknown'}; regions: "
                f"{', '.join(report.regions) or 'unknown'}")

    left, right = st.columns(2)
    with left:
        st.subheader("Records per kind")
        common.show_table([{"kind": kind, "records": count}
                           for kind, count in sorted(report.counts.items())],
                          empty="No records.")
    with right:
        st.subheader("Calls per operation")
        common.show_table([{"operation": operation, "calls": count}
                           for operation, count in sorted(report.calls.items())],
                          empty="No calls.")

    if report.denied:
        st.subheader("Not crawled (access denied or unsupported)")
        common.show_table([{"kind": kind} for kind in report.denied])
    if report.partial:
        st.subheader("Partial")
        common.show_table([{"stopped": line} for line in report.partial])
    unresolved = [{"kind": kind, "name": name}
                  for kind, names in sorted(report.unresolved.items()) for name in names]
    if unresolved:
        st.subheader("Referenced but not readable")
        common.show_paged_table(unresolved, key=f"{key}_unresolved")
    if report.warnings:
        st.subheader(f"Warnings ({len(report.warnings)})")
        common.show_paged_table([{"warning": warning} for warning in report.warnings],
                                key=f"{key}_warnings")


# --- The crawl form ----------------------------------------------------------------------------


def _crawl_form(loaded: Loaded) -> None:
    source = st.radio("Crawl", [RECORDING, AWS], horizontal=True, key="crawl_source")
    targets = [LOADED_STORE, NEW_STORE] if loaded.store is not None else [NEW_STORE]

    with st.form("crawl_form"):
        if source == RECORDING:
            recording = st.text_input("Recording file", key="crawl_recording")
            profile = region = ""
        else:
            recording = ""
            profile = st.text_input("AWS profile (empty: default credentials)",
                                    key="crawl_profile")
            region = st.text_input("Region (empty: the profile's region)", key="crawl_region")
        target = st.radio("Save into", targets, key="crawl_target")
        store_path = st.text_input("Store for a new snapshot (SQLite file or postgresql:// URL)",
                                   key="crawl_store_path")
        cloudtrail = st.checkbox("Read CloudTrail deployment events", value=True,
                                 key="crawl_cloudtrail")
        submitted = st.form_submit_button("Crawl")

    if not submitted:
        return
    if source == RECORDING and not recording.strip():
        st.error("Enter the path of a recording file to crawl.")
        return
    if target == NEW_STORE and not store_path.strip():
        st.error("Enter a SQLite file path or a postgresql:// URL to save the snapshot into.")
        return

    options = TargetOptions(workers=1, budget=Budget(), kinds=_default_kinds(),
                            cloudtrail=cloudtrail)
    bars = ProgressBars(_expected_counts(loaded.store))
    try:
        if source == RECORDING:
            result, origin, taken_at = crawl_recording_file(recording.strip(), options,
                                                           bars.update)
        else:
            result, origin = crawl_account(profile.strip() or None, region.strip() or None,
                                           options, bars.update)
            taken_at = None
        outcome = _save(result, origin, taken_at, loaded.store if target == LOADED_STORE
                        else None, store_path.strip())
    except LineageError as err:
        logger.error("crawl from the Crawl page failed: %s", err)
        common.show_lineage_error(err, "Check the recording path, profile or region and the "
                                       "store, then crawl again.")
        return
    finally:
        bars.finish()

    st.session_state[LAST_CRAWL_KEY] = outcome
    st.rerun()


class ProgressBars:
    """One `st.progress` bar per record kind, fed by the crawl's progress callback.

    Listings do not say how many records remain, so a bar fills towards the kind's count in the
    store's newest snapshot when there is one, and otherwise shows half full until the crawl
    ends. It must be updated from the script thread, so the crawl runs with one worker.
    """

    def __init__(self, expected: dict[str, int]) -> None:
        self._expected = expected
        self._bars: dict[str, Any] = {}
        self._counts: dict[str, int] = {}
        self._area = st.container()

    def update(self, kind: str, count: int) -> None:
        self._counts[kind] = count
        if kind not in self._bars:
            self._bars[kind] = self._area.progress(0.0, text=kind)
        expected = self._expected.get(kind, 0)
        fraction = min(count / expected, 1.0) if expected else 0.5
        self._bars[kind].progress(fraction, text=f"{kind}: {count} records")

    def finish(self) -> None:
        for kind, bar in self._bars.items():
            bar.progress(1.0, text=f"{kind}: {self._counts.get(kind, 0)} records")


def crawl_recording_file(
    path_text: str, options: TargetOptions, progress: Callable[[str, int], None]
) -> tuple[CrawlResult, str, Any]:
    """Crawl a recording file; return the result, the snapshot source and its `recorded_at`."""
    from lineage.cli.crawl import crawl_recording, recorded_time
    from lineage.recording import RecordingClient, load_recording

    path = Path(path_text)
    document = load_recording(path)
    client = RecordingClient(document, source=str(path))
    result = crawl_recording(document, path, client, options, progress=progress)
    return result, f"recording {path}", recorded_time(document, path)


def crawl_account(
    profile: str | None, region: str | None, options: TargetOptions,
    progress: Callable[[str, int], None],
) -> tuple[CrawlResult, str]:
    """Crawl one account-region with a profile's credentials (boto3's defaults for None)."""
    from lineage.clients import make_client
    from lineage.crawl.cloudtrail import WithCloudTrail
    from lineage.crawl.multi import Target, crawl_targets

    def new_client(target: Target) -> Any:
        sagemaker = make_client(target.profile, target.region)
        if not options.cloudtrail:
            return sagemaker
        return WithCloudTrail(sagemaker, make_client(target.profile, target.region,
                                                     service="cloudtrail"))

    result = crawl_targets([Target(profile, region)], new_client, options=options,
                           progress=lambda scope, kind, count: progress(kind, count))
    return result, "aws " + ", ".join(sorted(result.report.by_account_region))


def _save(result: CrawlResult, origin: str, taken_at: Any, store: Store | None,
          store_path: str) -> CrawlOutcome:
    if store is not None:
        snapshot = store.save(result, source=origin, taken_at=taken_at)
        return CrawlOutcome(result.report.to_dict(), snapshot, store.location)
    with open_store(store_path, create=True) as other:
        snapshot = other.save(result, source=origin, taken_at=taken_at)
        return CrawlOutcome(result.report.to_dict(), snapshot, other.location)


def _expected_counts(store: Store | None) -> dict[str, int]:
    if store is None:
        return {}
    try:
        snapshots = store.snapshots()
    except LineageError:
        return {}
    return dict(snapshots[-1].counts) if snapshots else {}


def _default_kinds() -> frozenset[Any]:
    from lineage.cli.crawl import DEFAULT_KINDS

    return DEFAULT_KINDS

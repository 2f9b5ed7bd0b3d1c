"""Check whether any crawled job read an S3 dataset: the Search page's one-click verification."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from lineage.crawl.result import CrawlResult, RecordKind
from lineage.identity import match_s3, parse_s3_uri


@dataclass(frozen=True, slots=True)
class DatasetUse:
    """One job input that matches the queried location, and how it matched."""

    job_kind: str
    job_name: str
    channel: str
    uri: str
    data_type: str
    match: str


@dataclass(frozen=True, slots=True)
class DatasetCheck:
    """The uses found for one location and a statement of what the check covered."""

    location: str
    uses: tuple[DatasetUse, ...]
    coverage: str

    @property
    def summary(self) -> str:
        """Return one sentence: how many jobs read the location, or that none of them did."""
        if not self.uses:
            return f"No crawled job read {self.location}. Checked {self.coverage}."
        jobs = {(use.job_kind, use.job_name) for use in self.uses}
        return f"{len(jobs)} job(s) read {self.location}. Checked {self.coverage}."


def verify_dataset(
    result: CrawlResult, location: str, *, crawled_at: str | None = None
) -> DatasetCheck:
    """List training and processing job inputs under or covering an S3 location.

    Prefix inputs match as key-name prefixes (see `lineage.identity.match_s3`). `crawled_at`
    is the time stated as the crawl's, when it differs from the report's finish time: a replayed
    recording finishes when it is loaded but was crawled at its `recorded_at`. Raises
    InvalidURIError when `location` is not an S3 location.
    """
    query = parse_s3_uri(location)
    uses = []
    for job_kind, job_name, channel, uri, data_type in _inputs(result):
        try:
            recorded = parse_s3_uri(uri)
        except ValueError:
            continue
        match = match_s3(query, recorded, recorded_is_prefix=data_type == "S3Prefix")
        if match is not None:
            uses.append(DatasetUse(job_kind, job_name, channel, uri, data_type, match.value))
    return DatasetCheck(query.uri, tuple(uses), _coverage(result, crawled_at))


def _inputs(result: CrawlResult) -> Iterator[tuple[str, str, str, str, str]]:
    for job in result.of(RecordKind.TRAINING_JOB):
        for channel in job.get("InputDataConfig") or []:
            source = _get(channel, "DataSource", "S3DataSource")
            if source.get("S3Uri"):
                yield ("training job", str(job.get("TrainingJobName", "")),
                       str(channel.get("ChannelName", "")), source["S3Uri"],
                       str(source.get("S3DataType", "S3Prefix")))
    for job in result.of(RecordKind.PROCESSING_JOB):
        for processing_input in job.get("ProcessingInputs") or []:
            source = _get(processing_input, "S3Input")
            if source.get("S3Uri"):
                yield ("processing job", str(job.get("ProcessingJobName", "")),
                       str(processing_input.get("InputName", "")), source["S3Uri"],
                       str(source.get("S3DataType", "S3Prefix")))


def _get(value: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    for key in keys:
        child = value.get(key)
        value = child if isinstance(child, Mapping) else {}
    return value


def _coverage(result: CrawlResult, crawled_at: str | None) -> str:
    report = result.report
    training = len(result.of(RecordKind.TRAINING_JOB))
    processing = len(result.of(RecordKind.PROCESSING_JOB))
    text = f"{training} training and {processing} processing jobs"
    if report.accounts:
        text += f" in account(s) {', '.join(report.accounts)}"
    if report.regions:
        text += f", region(s) {', '.join(report.regions)}"
    if crawled_at:
        text += f", crawled {crawled_at}"
    elif report.finished:
        text += f", crawled {report.finished.isoformat()}"
    if report.denied:
        text += f"; not readable: {', '.join(report.denied)}"
    return text

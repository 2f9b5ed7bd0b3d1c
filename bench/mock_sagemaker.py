"""A SageMaker API mock on 127.0.0.1 with per-operation throttling and latency, for benchmarks.

The server speaks SageMaker's JSON protocol (awsJson1_1): `POST /` with the header
`X-Amz-Target: SageMaker.<Operation>` and a JSON body. Real boto3 clients talk to it with
`endpoint_url=http://127.0.0.1:PORT` and dummy credentials. It does not check signatures.

What it serves, from a set of resource records (see `bench.accounts`):
- `Search` on TrainingJob, Model, Endpoint, ModelPackage and HyperParameterTuningJob, without
  a SearchExpression; SortBy on a top-level field and SortOrder are honoured;
- `List*` and `Describe*` for training, processing, transform and tuning jobs, models,
  endpoints, endpoint configs, model packages and groups, inference components, and ListTags;
- an empty page for every other `List*` operation of the service model (DataHub's SageMaker
  source calls ListActions, ListArtifacts, ListContexts and ListAssociations unconditionally).

List filters other than `ModelPackageType` and `ModelPackageGroupName` are ignored. Pages hold
at most 100 items; `NextToken` is opaque and replays the same page when sent again.

Limits it enforces:
- a token bucket per operation (default 2 requests/s, burst 2). A request that finds the
  bucket empty gets an HTTP 400 `ThrottlingException` response;
- a seeded random latency per request (default 50-200 ms).
It counts calls, throttled requests and errors per operation, readable from `stats()` or
`GET /_stats`.

Fault injection: `MockConfig.faults` is a tuple of `Fault` rules, checked in order on every
request before the token bucket. A rule matches by operation (and, for Search, by Resource),
starts after `after_calls` matching requests and ends after `calls` injected faults or
`seconds` after its first one. Kinds:
- "throttle": HTTP 400 `ThrottlingException` (a throttling storm);
- "server_error": HTTP 500 `InternalFailure`, or 503 `ServiceUnavailable` with `status=503`;
- "timeout": the server waits `delay` seconds, then closes the connection without a response,
  so a client whose read timeout is shorter sees a read timeout;
- "reset": the server closes the connection with a TCP reset and sends nothing;
- "denied": HTTP 400 `AccessDeniedException`;
- "expired": HTTP 400 `ExpiredTokenException`; with `access_key`, only requests signed with
  that access key ID, so a client with new credentials gets through.
`probability` below 1 fails only that fraction of matching requests, drawn from a generator
seeded with `MockConfig.seed`. Injected faults are counted per kind in `faults_injected()`.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import functools
import ipaddress
import json
import logging
import random
import re
import signal
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 100
# NOTE: the API reference does not state the page size when a List or Search call sends no
# MaxResults; 10 is an assumption, and `MockConfig.default_page_size` changes it.
DEFAULT_PAGE_SIZE = 10
TARGET_PREFIX = "SageMaker."
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"

Records = dict[str, list[dict[str, Any]]]

FAULT_KINDS = ("throttle", "server_error", "timeout", "reset", "denied", "expired")
# Kinds a client retries. A rule of these kinds must end (calls or seconds), so that a client
# that keeps retrying gets through.
RETRIED_FAULT_KINDS = frozenset({"throttle", "server_error", "timeout", "reset"})
MAX_TIMEOUT_DELAY = 30.0
# SigV4: "Authorization: AWS4-HMAC-SHA256 Credential=<access key id>/<date>/<region>/...".
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


class ApiError(Exception):
    """An error response: HTTP 400 with `{"__type": code, "message": message}`."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class KindSpec:
    """Name keys and list/describe operations of one resource kind."""

    kind: str
    name_key: str
    arn_key: str
    list_operation: str
    describe_operation: str
    describe_argument: str
    searchable: bool = False


KINDS: tuple[KindSpec, ...] = (
    KindSpec("TrainingJob", "TrainingJobName", "TrainingJobArn", "ListTrainingJobs",
             "DescribeTrainingJob", "TrainingJobName", searchable=True),
    KindSpec("Model", "ModelName", "ModelArn", "ListModels", "DescribeModel", "ModelName",
             searchable=True),
    KindSpec("Endpoint", "EndpointName", "EndpointArn", "ListEndpoints", "DescribeEndpoint",
             "EndpointName", searchable=True),
    KindSpec("EndpointConfig", "EndpointConfigName", "EndpointConfigArn", "ListEndpointConfigs",
             "DescribeEndpointConfig", "EndpointConfigName"),
    KindSpec("ModelPackage", "ModelPackageArn", "ModelPackageArn", "ListModelPackages",
             "DescribeModelPackage", "ModelPackageName", searchable=True),
    KindSpec("ModelPackageGroup", "ModelPackageGroupName", "ModelPackageGroupArn",
             "ListModelPackageGroups", "DescribeModelPackageGroup", "ModelPackageGroupName"),
    KindSpec("ProcessingJob", "ProcessingJobName", "ProcessingJobArn", "ListProcessingJobs",
             "DescribeProcessingJob", "ProcessingJobName"),
    KindSpec("TransformJob", "TransformJobName", "TransformJobArn", "ListTransformJobs",
             "DescribeTransformJob", "TransformJobName"),
    KindSpec("HyperParameterTuningJob", "HyperParameterTuningJobName",
             "HyperParameterTuningJobArn", "ListHyperParameterTuningJobs",
             "DescribeHyperParameterTuningJob", "HyperParameterTuningJobName", searchable=True),
    KindSpec("InferenceComponent", "InferenceComponentName", "InferenceComponentArn",
             "ListInferenceComponents", "DescribeInferenceComponent", "InferenceComponentName"),
)
KINDS_BY_NAME = {spec.kind: spec for spec in KINDS}


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault injection rule; see the module docstring for the kinds.

    `operations` names API operations ("Search", "DescribeProcessingJob"); empty matches every
    operation. `resource` limits Search to one Resource ("Model"). The rule skips the first
    `after_calls` matching requests, then injects until it has injected `calls` faults or
    `seconds` have passed since its first one (None: no such end). `delay` is the wait of a
    "timeout" in seconds, `status` the HTTP status of a "server_error" (500 or 503).
    """

    kind: str
    operations: frozenset[str] = frozenset()
    resource: str | None = None
    after_calls: int = 0
    calls: int | None = None
    seconds: float | None = None
    probability: float = 1.0
    delay: float = 2.0
    status: int = 500
    access_key: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind is {self.kind!r}; use one of {', '.join(FAULT_KINDS)}")
        if self.kind in RETRIED_FAULT_KINDS and self.calls is None and self.seconds is None:
            raise ValueError(
                f"a {self.kind!r} fault without calls or seconds never ends, and clients retry "
                "it; give calls=N or seconds=S"
            )
        if self.calls is not None and self.calls < 1:
            raise ValueError(f"calls is {self.calls}; give at least 1 or None")
        if self.seconds is not None and self.seconds <= 0:
            raise ValueError(f"seconds is {self.seconds}; give a positive duration or None")
        if self.after_calls < 0:
            raise ValueError(f"after_calls is {self.after_calls}; give 0 or more")
        if not 0 < self.probability <= 1:
            raise ValueError(f"probability is {self.probability}; give a value in (0, 1]")
        if not 0 <= self.delay <= MAX_TIMEOUT_DELAY:
            raise ValueError(f"delay is {self.delay}; give 0 to {MAX_TIMEOUT_DELAY} seconds")
        if self.status not in (500, 503):
            raise ValueError(f"status is {self.status}; a server_error fault sends 500 or 503")

    def matches(self, operation: str, body: dict[str, Any], access_key: str | None) -> bool:
        if self.operations and operation not in self.operations:
            return False
        if self.resource is not None and (
            operation != "Search" or body.get("Resource") != self.resource
        ):
            return False
        return self.access_key is None or access_key == self.access_key


class ConnectionFault(Exception):
    """A dropped request: the handler closes the connection after `delay` seconds, unanswered."""

    def __init__(self, kind: str, delay: float) -> None:
        super().__init__(kind)
        self.kind = kind
        self.delay = delay


@dataclass
class _FaultState:
    """Progress of one Fault rule: matching requests seen, faults injected, first fault time."""

    seen: int = 0
    injected: int = 0
    started: float | None = None


@dataclass(frozen=True, slots=True)
class MockConfig:
    """Throttling, latency and paging of a mock server.

    `rate` is requests per second per operation (None disables throttling); `burst` is the
    bucket size, `rate` when None. `latency` is the (min, max) delay in seconds added to every
    request, drawn from a random generator seeded with `seed`. `faults` are the fault
    injection rules (see `Fault`); their draws use a second generator seeded with `seed`.
    """

    rate: float | None = 2.0
    burst: float | None = None
    latency: tuple[float, float] = (0.05, 0.2)
    seed: int = 0
    default_page_size: int = DEFAULT_PAGE_SIZE
    faults: tuple[Fault, ...] = ()

    def __post_init__(self) -> None:
        if self.rate is not None and self.rate <= 0:
            raise ValueError(f"rate is {self.rate}; give a positive number of requests/s or None")
        if self.burst is not None and self.burst < 1:
            raise ValueError(f"burst is {self.burst}; a bucket must hold at least 1 request")
        low, high = self.latency
        if low < 0 or high < low:
            raise ValueError(f"latency is {self.latency}; give (min, max) with 0 <= min <= max")
        if not 1 <= self.default_page_size <= MAX_PAGE_SIZE:
            raise ValueError(
                f"default_page_size is {self.default_page_size}; use 1 to {MAX_PAGE_SIZE}"
            )


class TokenBucket:
    """A token bucket: `rate` tokens a second up to `capacity`; not thread-safe by itself."""

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._tokens = capacity
        self._updated = clock()

    def take(self) -> bool:
        """Remove one token and return True, or return False when the bucket is empty."""
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False


@dataclass
class Stats:
    """Requests seen per operation; every HTTP request counts once, throttled ones included."""

    calls: dict[str, int] = field(default_factory=dict)
    throttled: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": dict(sorted(self.calls.items())),
            "throttled": dict(sorted(self.throttled.items())),
            "errors": dict(sorted(self.errors.items())),
            "total_calls": sum(self.calls.values()),
            "total_throttled": sum(self.throttled.values()),
            "total_errors": sum(self.errors.values()),
        }


@functools.lru_cache(maxsize=1)
def _service_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("sagemaker")


def _members(shape_name: str) -> frozenset[str]:
    return frozenset(_service_model().shape_for(shape_name).members)


@functools.cache
def _output_members(operation: str) -> frozenset[str]:
    return frozenset(_service_model().operation_model(operation).output_shape.members)


@functools.cache
def _list_key(operation: str) -> tuple[str, frozenset[str]]:
    """Return the result list's key of a List operation and the members of its items."""
    output = _service_model().operation_model(operation).output_shape
    for name, member in output.members.items():
        if member.type_name == "list":
            item = member.member
            members = frozenset(item.members) if item.type_name == "structure" else frozenset()
            return name, members
    raise ValueError(f"{operation} has no list member in its output shape")


@functools.cache
def _search_members(kind: str) -> frozenset[str]:
    shape = _service_model().shape_for("SearchRecord").members[kind]
    if kind == "Model":
        shape = shape.members["Model"]
    return frozenset(shape.members)


def _pick(record: dict[str, Any], keys: frozenset[str]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key in keys}


def _summary(spec: KindSpec, record: dict[str, Any], members: frozenset[str]) -> dict[str, Any]:
    summary = _pick(record, members)
    if spec.kind == "HyperParameterTuningJob":
        # The list summary lifts these two out of HyperParameterTuningJobConfig.
        config = record.get("HyperParameterTuningJobConfig", {})
        for key in ("Strategy", "ResourceLimits"):
            if key in config and key in members:
                summary[key] = config[key]
    return summary


class Account:
    """Read-only indexes over an account's records: by kind, by name and by ARN."""

    def __init__(self, records: Records) -> None:
        unknown = set(records) - set(KINDS_BY_NAME)
        if unknown:
            raise ValueError(
                f"unknown resource kinds {sorted(unknown)}; use {sorted(KINDS_BY_NAME)}"
            )
        self.records: Records = {spec.kind: list(records.get(spec.kind, [])) for spec in KINDS}
        self._by_name: dict[str, dict[str, dict[str, Any]]] = {}
        self._by_arn: dict[str, dict[str, Any]] = {}
        for spec in KINDS:
            index: dict[str, dict[str, Any]] = {}
            for record in self.records[spec.kind]:
                # SageMaker names are unique without regard to case.
                index.setdefault(str(record.get(spec.name_key, "")).lower(), record)
                if record.get(spec.arn_key):
                    self._by_arn.setdefault(str(record[spec.arn_key]).lower(), record)
            self._by_name[spec.kind] = index
        self._model_endpoints = self._endpoints_per_model()

    def counts(self) -> dict[str, int]:
        return {kind: len(items) for kind, items in self.records.items()}

    def find(self, kind: str, name_or_arn: str) -> dict[str, Any] | None:
        key = name_or_arn.lower()
        record = self._by_name[kind].get(key)
        if record is None and key.startswith("arn:"):
            record = self._by_arn.get(key)
            spec = KINDS_BY_NAME[kind]
            if record is not None and spec.arn_key not in record:
                return None
        if record is None and kind == "ModelPackage":
            # An unversioned package is described by its name.
            record = next((r for r in self.records[kind] if str(r.get("ModelPackageName", ""))
                           .lower() == key and "ModelPackageVersion" not in r), None)
        return record

    def find_arn(self, arn: str) -> dict[str, Any] | None:
        return self._by_arn.get(arn.lower())

    def endpoints_serving(self, model_name: str) -> list[dict[str, Any]]:
        return self._model_endpoints.get(model_name.lower(), [])

    def _endpoints_per_model(self) -> dict[str, list[dict[str, Any]]]:
        # Search on Model returns, with each model, the endpoints whose current config serves it.
        keys = _members("ModelDashboardEndpoint")
        serving: dict[str, list[dict[str, Any]]] = {}
        for endpoint in self.records["Endpoint"]:
            config = self._by_name["EndpointConfig"].get(
                str(endpoint.get("EndpointConfigName", "")).lower()
            )
            if config is None:
                continue
            variants = config.get("ProductionVariants", []) + config.get(
                "ShadowProductionVariants", []
            )
            for model in {str(v.get("ModelName", "")).lower() for v in variants}:
                serving.setdefault(model, []).append(_pick(endpoint, keys))
        return serving


class SageMakerApi:
    """Handler of SageMaker operations on an `Account`, without HTTP, throttling or latency."""

    def __init__(self, account: Account, default_page_size: int = DEFAULT_PAGE_SIZE) -> None:
        self.account = account
        self.default_page_size = default_page_size
        self._list_kinds = {spec.list_operation: spec for spec in KINDS}
        self._describe_kinds = {spec.describe_operation: spec for spec in KINDS}
        self._empty_lists = {
            name for name in _service_model().operation_names
            if name.startswith("List") and name not in self._list_kinds and name != "ListTags"
        }

    def handle(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        """Return the response of one operation; raise ApiError for an error response."""
        if operation == "Search":
            return self._search(body)
        if operation == "ListTags":
            return self._list_tags(body)
        if operation in self._list_kinds:
            return self._list(self._list_kinds[operation], operation, body)
        if operation in self._describe_kinds:
            return self._describe(self._describe_kinds[operation], operation, body)
        if operation in self._empty_lists:
            key, _ = _list_key(operation)
            return {key: []}
        raise ApiError("UnknownOperationException",
                       f"The operation {operation} is not supported by this mock.")

    def _page(
        self, operation: str, items: list[Any], body: dict[str, Any]
    ) -> tuple[list[Any], str | None]:
        size = body.get("MaxResults", self.default_page_size)
        if not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
            raise ApiError(
                "ValidationException",
                f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy "
                f"constraint: Member must have value less than or equal to {MAX_PAGE_SIZE}",
            )
        start = _decode_token(operation, body.get("NextToken"))
        end = start + size
        token = _encode_token(operation, end) if end < len(items) else None
        return items[start:end], token

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        resource = body.get("Resource")
        spec = KINDS_BY_NAME.get(str(resource))
        if spec is None or not spec.searchable:
            raise ApiError(
                "ValidationException",
                f"Search on Resource {resource!r} is not supported by this mock; use one of "
                + ", ".join(s.kind for s in KINDS if s.searchable),
            )
        if body.get("SearchExpression"):
            raise ApiError("ValidationException",
                           "This mock does not evaluate SearchExpression; omit it to read every "
                           "record.")

        records = _sorted(self.account.records[spec.kind], body.get("SortBy"),
                          body.get("SortOrder"))
        page, token = self._page(f"Search:{spec.kind}", records, body)
        members = _search_members(spec.kind)
        results = []
        for record in page:
            if spec.kind == "Model":
                inner = {"Model": _pick(record, members),
                         "Endpoints": self.account.endpoints_serving(record["ModelName"])}
            else:
                inner = _pick(record, members)
            results.append({spec.kind: inner})
        response: dict[str, Any] = {"Results": results}
        if token:
            response["NextToken"] = token
        return response

    def _list(self, spec: KindSpec, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        records = self.account.records[spec.kind]
        if spec.kind == "ModelPackage":
            records = _filter_packages(records, body)
        sort_key = {"CreationTime": "CreationTime", "Name": spec.name_key}.get(
            str(body.get("SortBy"))
        )
        records = _sorted(records, sort_key, body.get("SortOrder"))
        page, token = self._page(operation, records, body)
        key, members = _list_key(operation)
        response: dict[str, Any] = {key: [_summary(spec, record, members) for record in page]}
        if token:
            response["NextToken"] = token
        return response

    def _describe(self, spec: KindSpec, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        name = str(body.get(spec.describe_argument, ""))
        record = self.account.find(spec.kind, name)
        if record is None:
            raise ApiError("ValidationException", f"Could not find {spec.kind} \"{name}\".")
        return _pick(record, _output_members(operation))

    def _list_tags(self, body: dict[str, Any]) -> dict[str, Any]:
        arn = str(body.get("ResourceArn", ""))
        record = self.account.find_arn(arn)
        if record is None:
            raise ApiError("ValidationException", f"Could not find resource \"{arn}\".")
        page, token = self._page("ListTags", list(record.get("Tags", [])), body)
        response: dict[str, Any] = {"Tags": page}
        if token:
            response["NextToken"] = token
        return response


def _sorted(records: list[dict[str, Any]], sort_by: Any, sort_order: Any) -> list[dict[str, Any]]:
    # Records keep their stored order unless a top-level field is named; missing values go last.
    if sort_by:
        present = [r for r in records if r.get(sort_by) is not None]
        missing = [r for r in records if r.get(sort_by) is None]
        present = sorted(present, key=lambda r: r[sort_by],
                         reverse=sort_order == "Descending")
        return present + missing
    if sort_order == "Descending":
        return list(reversed(records))
    return records


def _filter_packages(records: list[dict[str, Any]], body: dict[str, Any]) -> list[dict[str, Any]]:
    # ListModelPackages returns only unversioned packages unless ModelPackageType requests others.
    package_type = body.get("ModelPackageType", "Unversioned")
    group = body.get("ModelPackageGroupName")
    kept = []
    for record in records:
        versioned = "ModelPackageVersion" in record
        if package_type == "Unversioned" and versioned:
            continue
        if package_type == "Versioned" and not versioned:
            continue
        if group and record.get("ModelPackageGroupName") != group:
            continue
        kept.append(record)
    return kept


def _encode_token(scope: str, offset: int) -> str:
    raw = json.dumps({"scope": scope, "offset": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_token(scope: str, token: Any) -> int:
    if token is None or token == "":
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(str(token).encode()))
        if data["scope"] == scope and isinstance(data["offset"], int) and data["offset"] >= 0:
            return int(data["offset"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        pass
    raise ApiError("ValidationException", f"Invalid pagination token {token!r} for {scope}.")


def _json_default(value: Any) -> Any:
    # awsJson1_1 sends timestamps as epoch seconds.
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes. With Nagle's algorithm on, the second write waits
    # for the client's delayed ACK, which measured about 40 ms a request here.
    disable_nagle_algorithm = True
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        target = self.headers.get("X-Amz-Target", "")
        if not target.startswith(TARGET_PREFIX):
            self._send(400, {"__type": "UnknownOperationException",
                             "message": f"missing or invalid X-Amz-Target header {target!r}"})
            return
        operation = target[len(TARGET_PREFIX):]
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError as err:
            self._send(400, {"__type": "SerializationException", "message": str(err)})
            return
        try:
            status, payload = self.server.mock.answer(operation, body,
                                                      _access_key(self.headers))
        except ConnectionFault as fault:
            self._drop_connection(fault)
            return
        self._send(status, payload)

    def _drop_connection(self, fault: ConnectionFault) -> None:
        # Waiting on the stop event lets stop() end a long "timeout" at once.
        if fault.delay:
            self.server.mock.stopping.wait(fault.delay)
        self.close_connection = True
        if fault.kind == "reset":
            # A zero linger time makes close() send a TCP reset instead of a FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        self.connection.close()

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/_stats":
            self._send(200, self.server.mock.stats())
        else:
            self._send(404, {"__type": "NotFound", "message": f"no such path {self.path!r}"})

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, default=_json_default).encode()
        self.send_response(status)
        self.send_header("Content-Type", JSON_CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)


def _access_key(headers: Any) -> str | None:
    match = _CREDENTIAL.search(headers.get("Authorization", ""))
    return match.group(1) if match else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    mock: MockSageMaker


class MockSageMaker:
    """The mock server: start it with `with MockSageMaker(records) as mock:` or `start()`.

    It listens on 127.0.0.1 only; `port=0` picks a free port. `endpoint_url` is the URL to
    give boto3.
    """

    def __init__(
        self,
        records: Records,
        config: MockConfig | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
    ) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"host {host!r} is not a loopback address; the mock serves 127.0.0.1")
        self.config = config or MockConfig()
        self.api = SageMakerApi(Account(records), self.config.default_page_size)
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {}
        self._stats = Stats()
        self._random = random.Random(self.config.seed)
        self._fault_random = random.Random(f"{self.config.seed}:faults")
        self._fault_states = [_FaultState() for _ in self.config.faults]
        self._injected: dict[str, int] = {}
        self.stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the mock server is not running; call start() first")
        host, port = self._server.server_address[:2]
        if isinstance(host, bytes):
            host = host.decode()
        return f"http://{host}:{port}"

    def start(self) -> MockSageMaker:
        server = _Server((self._host, self._port), _Handler)
        server.mock = self
        self._server = server
        self.stopping.clear()
        # A short poll interval lets stop() return quickly.
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,),
                                        name="mock-sagemaker", daemon=True)
        self._thread.start()
        logger.info("mock SageMaker listening on %s (%s)", self.endpoint_url,
                    self.api.account.counts())
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        logger.info("mock SageMaker stopped: %s", self.stats())
        self._server = None

    def __enter__(self) -> MockSageMaker:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return self._stats.to_dict()

    def faults_injected(self) -> dict[str, int]:
        """Return the number of injected faults per fault kind."""
        with self._lock:
            return dict(sorted(self._injected.items()))

    def reset_stats(self) -> None:
        """Zero the counts, refill every bucket and restart every fault rule, so each
        benchmark run starts alike."""
        with self._lock:
            self._stats = Stats()
            self._buckets.clear()
            self._fault_states = [_FaultState() for _ in self.config.faults]
            self._injected.clear()

    def answer(
        self, operation: str, body: dict[str, Any], access_key: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Count, throttle, delay and handle one request; return the HTTP status and body.

        `access_key` is the access key ID the request was signed with, for "expired" faults.
        Raises ConnectionFault when a "timeout" or "reset" fault drops the request.
        """
        with self._lock:
            stats = self._stats
            stats.calls[operation] = stats.calls.get(operation, 0) + 1
            fault = self._inject(operation, body, access_key)
            allowed = True
            if fault is None and self.config.rate:
                allowed = self._bucket(operation).take()
            if not allowed or (fault is not None and fault.kind == "throttle"):
                stats.throttled[operation] = stats.throttled.get(operation, 0) + 1
            elif fault is not None:
                stats.errors[operation] = stats.errors.get(operation, 0) + 1
            delay = self._random.uniform(*self.config.latency)

        if delay:
            time.sleep(delay)
        if fault is not None:
            logger.debug("%s: injected %s fault", operation, fault.kind)
            return _fault_response(fault, operation)
        if not allowed:
            return 400, {"__type": "ThrottlingException", "message": "Rate exceeded"}

        try:
            return 200, self.api.handle(operation, body)
        except ApiError as err:
            with self._lock:
                stats.errors[operation] = stats.errors.get(operation, 0) + 1
            logger.debug("%s failed: %s %s", operation, err.code, err.message)
            return err.status, {"__type": err.code, "message": err.message}

    def _inject(
        self, operation: str, body: dict[str, Any], access_key: str | None
    ) -> Fault | None:
        """Return the first fault rule that fails this request, or None; call under the lock."""
        now = time.monotonic()
        for fault, state in zip(self.config.faults, self._fault_states, strict=True):
            if not fault.matches(operation, body, access_key):
                continue
            state.seen += 1
            if state.seen <= fault.after_calls:
                continue
            if fault.calls is not None and state.injected >= fault.calls:
                continue
            if fault.seconds is not None and state.started is not None and (
                now - state.started >= fault.seconds
            ):
                continue
            if fault.probability < 1 and self._fault_random.random() >= fault.probability:
                continue
            if state.started is None:
                state.started = now
            state.injected += 1
            self._injected[fault.kind] = self._injected.get(fault.kind, 0) + 1
            return fault
        return None

    def _bucket(self, operation: str) -> TokenBucket:
        bucket = self._buckets.get(operation)
        if bucket is None:
            rate = float(self.config.rate or 0)
            capacity = float(self.config.burst if self.config.burst is not None else rate)
            bucket = TokenBucket(rate, max(capacity, 1.0), time.monotonic)
            self._buckets[operation] = bucket
        return bucket


def _fault_response(fault: Fault, operation: str) -> tuple[int, dict[str, Any]]:
    """Return the error response of a fault, or raise ConnectionFault for a dropped request."""
    if fault.kind in ("timeout", "reset"):
        raise ConnectionFault(fault.kind, fault.delay if fault.kind == "timeout" else 0.0)
    if fault.kind == "throttle":
        return 400, {"__type": "ThrottlingException", "message": "Rate exceeded"}
    if fault.kind == "server_error":
        if fault.status == 503:
            return 503, {"__type": "ServiceUnavailable",
                         "message": "The service is unavailable. Please try again later."}
        return 500, {"__type": "InternalFailure",
                     "message": "The request processing has failed because of an unknown "
                                "error, exception or failure."}
    if fault.kind == "denied":
        return 400, {"__type": "AccessDeniedException",
                     "message": f"User: arn:aws:iam::111122223333:user/mock is not authorized "
                                f"to perform: sagemaker:{operation}"}
    return 400, {"__type": "ExpiredTokenException",
                 "message": "The security token included in the request is expired"}


def records_for(account: str) -> Records:
    """Return the records of a named account size ("small", "large") or of a recording file."""
    from bench import accounts

    if account in accounts.SPECS:
        return accounts.load_records(accounts.SPECS[account])
    from lineage.recording import load_recording

    return accounts.records_from_recording(load_recording(account))


def load_faults(path: str) -> tuple[Fault, ...]:
    """Read fault rules from a JSON file holding a list of objects with Fault fields."""
    with open(path, encoding="utf-8") as file:
        rules = json.load(file)
    if not isinstance(rules, list) or not all(isinstance(rule, dict) for rule in rules):
        raise ValueError(f"{path} must hold a JSON list of objects with Fault fields")
    faults = []
    for rule in rules:
        fields = dict(rule)
        if "operations" in fields:
            fields["operations"] = frozenset(fields["operations"])
        faults.append(Fault(**fields))
    return tuple(faults)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.mock_sagemaker",
        description="Serve a synthetic SageMaker account on 127.0.0.1 with throttling.",
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: a free port)")
    parser.add_argument("--account", default="small",
                        help="account size 'small' or 'large', or a recording file to serve")
    parser.add_argument("--rate", type=float, default=2.0,
                        help="requests per second per operation; 0 disables throttling")
    parser.add_argument("--burst", type=float, default=None,
                        help="token bucket size in requests (default: the rate)")
    parser.add_argument("--latency-ms", type=float, nargs=2, default=(50.0, 200.0),
                        metavar=("MIN", "MAX"), help="latency range per request in milliseconds")
    parser.add_argument("--seed", type=int, default=0, help="seed of the latency generator")
    parser.add_argument("--max-seconds", type=float, default=3600.0,
                        help="stop after this many seconds (default: 3600)")
    parser.add_argument("--faults", metavar="FILE",
                        help="JSON file with a list of fault rules, each an object of Fault "
                             "fields, for example [{\"kind\": \"throttle\", \"seconds\": 5}]")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    config = MockConfig(
        rate=args.rate or None,
        burst=args.burst,
        latency=(args.latency_ms[0] / 1000, args.latency_ms[1] / 1000),
        seed=args.seed,
        faults=load_faults(args.faults) if args.faults else (),
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with MockSageMaker(records_for(args.account), config, port=args.port) as mock:
        # The URL goes to stdout alone so that a script can read it.
        print(mock.endpoint_url, flush=True)
        try:
            stop.wait(args.max_seconds)
        except KeyboardInterrupt:
            pass
        print(json.dumps(mock.stats(), indent=1), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

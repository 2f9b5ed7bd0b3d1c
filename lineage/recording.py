"""Replay and record SageMaker API responses as JSON files.

A recording is one JSON object whose `responses` maps a boto3 operation name (`search`,
`describe_model`, ...) to one of:

- a response dict, returned for any arguments;
- `{"pages": [...]}`: successive calls get successive elements (the last one repeats), so an
  `{"error": ...}` element models a failed attempt that a retry moves past;
- `{"by_args": [{"args": {...}, "response": ...}]}`: among the entries whose `args` are a subset
  of the call's arguments, the one with the most arguments is used (the first of equals). So an
  entry with `{}` is the fallback for calls no other entry matches. Its `response` may itself
  be any of these forms;
- `{"error": {"Code": ..., "Message": ...}}`: the call raises botocore's ClientError.

An operation the recording does not contain raises `AccessDeniedException`, as AWS does for a
role without that permission, so a recording behaves like a least-privilege account. ISO-8601
strings under timestamp keys (`...Time`, `...Date`, `Timestamp`) become datetimes, as botocore
returns them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from lineage.errors import RecordingError

logger = logging.getLogger(__name__)

_ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_TIMESTAMP_KEY = re.compile(r"(Time|Timestamp|Date|TimeAfter|TimeBefore)$")
_RESPONSE_FORMS = ("pages", "by_args", "error")


def client_error(code: str, message: str, operation: str, status: int = 400) -> ClientError:
    """Build the ClientError botocore raises for an error response with this code."""
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        operation,
    )


def _parse_timestamp(text: str) -> datetime | str:
    if not _ISO_DATETIME.match(text):
        return text
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text


# Strings up to this length are interned when records are decoded (see decode_timestamps).
_INTERNED_LENGTH = 64


def decode_timestamps(value: Any, key: str = "") -> Any:
    """Return a copy of a JSON value with ISO strings under timestamp keys turned into datetimes.

    Keys and short strings are interned, because every record repeats the same keys and values
    (statuses, instance types, channel names). Without one shared copy of each, the 108,000
    records of the benchmark's large account took 1.7 GB instead of 1.0 GB.
    """
    if isinstance(value, dict):
        return {sys.intern(k) if type(k) is str else k: decode_timestamps(v, k)
                for k, v in value.items()}
    if isinstance(value, list):
        return [decode_timestamps(item, key) for item in value]
    if isinstance(value, str):
        if _TIMESTAMP_KEY.search(key):
            return _parse_timestamp(value)
        if len(value) <= _INTERNED_LENGTH:
            return sys.intern(value)
    return value


def encode_json(value: Any) -> Any:
    """Return a copy of a response that `json.dumps` accepts (datetimes as ISO strings)."""
    if isinstance(value, dict):
        return {str(k): encode_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_json(item) for item in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def load_recording(path: str | Path) -> dict[str, Any]:
    """Read a recording file and check its shape.

    Raises RecordingError naming the file and the problem (missing, not JSON, wrong shape).
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecordingError(f"recording {file} not found; check the path") from None
    except (OSError, UnicodeDecodeError) as err:
        raise RecordingError(f"recording {file} cannot be read: {err}") from err
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise RecordingError(
            f"recording {file} is not valid JSON (line {err.lineno}, column {err.colno}: "
            f"{err.msg}); it may be truncated"
        ) from err
    validate_recording(document, str(file))
    return document


def validate_recording(document: Any, source: str = "recording") -> None:
    """Raise RecordingError unless `document` has the recording format."""
    if not isinstance(document, dict) or not isinstance(document.get("responses"), dict):
        raise RecordingError(
            f"{source} is not a recording: expected a JSON object with a \"responses\" object "
            "mapping operation names such as describe_model to responses"
        )
    for operation, response in document["responses"].items():
        _validate_response(response, f"{source}: responses.{operation}")


def _validate_response(response: Any, where: str) -> None:
    if not isinstance(response, dict):
        raise RecordingError(f"{where} must be an object, not {type(response).__name__}")
    if "pages" in response:
        if not isinstance(response["pages"], list) or not response["pages"]:
            raise RecordingError(f"{where}.pages must be a non-empty list")
        for index, page in enumerate(response["pages"]):
            _validate_response(page, f"{where}.pages[{index}]")
    elif "by_args" in response:
        entries = response["by_args"]
        if not isinstance(entries, list):
            raise RecordingError(f"{where}.by_args must be a list")
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or "response" not in entry:
                raise RecordingError(f"{where}.by_args[{index}] needs \"args\" and \"response\"")
            if not isinstance(entry.get("args", {}), dict):
                raise RecordingError(f"{where}.by_args[{index}].args must be an object")
            _validate_response(entry["response"], f"{where}.by_args[{index}].response")
    elif "error" in response:
        error = response["error"]
        if not isinstance(error, dict) or not isinstance(error.get("Code"), str):
            raise RecordingError(f"{where}.error must be an object with a string \"Code\"")


class RecordingClient:
    """A stand-in for a boto3 SageMaker client that replays responses from a recording.

    Page counters are per instance and per response list, so a new client replays from the
    start. Thread-safe: the crawler may call it from several threads.
    """

    def __init__(
        self,
        document: Mapping[str, Any],
        region: str = "us-east-1",
        source: str = "recording",
    ) -> None:
        validate_recording(document, source)
        self._responses: dict[str, Any] = dict(document["responses"])
        self._positions: dict[int, int] = {}
        self._lock = threading.Lock()
        self.source = source
        self.region = str(document.get("region", region))
        self.account = document.get("account")
        self.calls: list[tuple[str, dict[str, Any]]] = []

    @classmethod
    def from_file(cls, path: str | Path) -> RecordingClient:
        return cls(load_recording(path), source=str(path))

    def can_paginate(self, operation: str) -> bool:
        # Pagination is done by the crawler's own paginator, which works for any client.
        return False

    def __getattr__(self, operation: str) -> Callable[..., dict[str, Any]]:
        if operation.startswith("_"):
            raise AttributeError(operation)

        def call(**kwargs: Any) -> dict[str, Any]:
            return self._answer(operation, kwargs)

        call.__name__ = operation
        return call

    def _answer(self, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.calls.append((operation, dict(kwargs)))
            if operation not in self._responses:
                raise client_error(
                    "AccessDeniedException",
                    f"User is not authorized to perform: sagemaker:{_api_name(operation)} "
                    f"(the recording {self.source} contains no {operation} responses)",
                    _api_name(operation),
                )
            response = self._select(self._responses[operation], kwargs, operation)
        if "error" in response and len(response) == 1:
            error = response["error"]
            raise client_error(
                error["Code"], error.get("Message", ""), _api_name(operation),
                int(error.get("HTTPStatusCode", 400)),
            )
        return decode_timestamps(response)

    def _select(self, response: dict[str, Any], kwargs: dict[str, Any], operation: str) -> Any:
        if "pages" in response:
            pages = response["pages"]
            position = self._positions.get(id(pages), 0)
            self._positions[id(pages)] = position + 1
            return self._select(pages[min(position, len(pages) - 1)], kwargs, operation)
        if "by_args" in response:
            matching = [
                entry for entry in response["by_args"]
                if _is_subset(entry.get("args", {}), kwargs)
            ]
            if matching:
                best = max(matching, key=lambda entry: len(entry.get("args", {})))
                return self._select(best["response"], kwargs, operation)
            # No entry matches these arguments: for a describe call that is how SageMaker
            # responds to a name it does not know.
            name = next((str(v) for k, v in kwargs.items() if k.endswith("Name")), str(kwargs))
            return {"error": {
                "Code": "ValidationException",
                "Message": f"Could not find resource {name!r} (no recorded {operation} response "
                           "for these arguments).",
            }}
        return response


def _is_subset(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> bool:
    for key, value in expected.items():
        if key not in actual:
            return False
        if encode_json(actual[key]) != encode_json(value):
            return False
    return True


def _api_name(operation: str) -> str:
    return "".join(part.capitalize() for part in operation.split("_"))


class RecordingWriter:
    """Wraps a client and keeps every response (and error) of every call, in call order.

    `document()` returns them in the recording format: one `by_args` entry per distinct argument
    set, entries with more arguments first so that a later page's call (with NextToken) never
    matches the first page's entry, and repeated calls with the same arguments as `pages`.
    """

    def __init__(
        self,
        client: Any,
        scrub: Callable[[Any], Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self._client = client
        self._scrub = scrub or (lambda value: value)
        # Top-level keys written beside "responses": account, region, recorded_at, description.
        self.metadata: dict[str, Any] = dict(metadata or {})
        self._entries: dict[str, list[tuple[dict[str, Any], list[dict[str, Any]]]]] = {}
        self._lock = threading.Lock()

    def __getattr__(self, operation: str) -> Any:
        target = getattr(self._client, operation)
        if operation.startswith("_") or not callable(target) or operation in (
            "can_paginate", "get_paginator", "close",
        ):
            return target

        def call(**kwargs: Any) -> Any:
            try:
                response = target(**kwargs)
            except ClientError as err:
                error = err.response.get("Error", {})
                kept_error = {
                    "Code": error.get("Code", "Unknown"), "Message": error.get("Message", ""),
                }
                # Keep a status other than 400 so that a replayed server error is still a 5xx.
                status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                if status and status != 400:
                    kept_error["HTTPStatusCode"] = status
                self._keep(operation, kwargs, {"error": kept_error})
                raise
            kept = {k: v for k, v in response.items() if k != "ResponseMetadata"}
            self._keep(operation, kwargs, kept)
            return response

        return call

    def _keep(self, operation: str, kwargs: dict[str, Any], response: dict[str, Any]) -> None:
        args = encode_json(kwargs)
        with self._lock:
            entries = self._entries.setdefault(operation, [])
            for existing_args, responses in entries:
                if existing_args == args:
                    responses.append(encode_json(response))
                    return
            entries.append((args, [encode_json(response)]))

    def document(self) -> dict[str, Any]:
        responses: dict[str, Any] = {}
        with self._lock:
            for operation, entries in sorted(self._entries.items()):
                ordered = sorted(entries, key=lambda entry: -len(entry[0]))
                responses[operation] = {"by_args": [
                    {"args": args, "response": found[0] if len(found) == 1 else {"pages": found}}
                    for args, found in ordered
                ]}
        return self._scrub({**encode_json(self.metadata), "responses": responses})

    def write(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.document(), indent=1, sort_keys=False) + "\n")
        logger.info("wrote recording %s", path)

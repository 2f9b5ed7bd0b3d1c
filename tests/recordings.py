"""Read recordings in tests: all Search results, and checks against botocore's shapes."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ServiceModel
from botocore.validate import ParamValidator

from lineage.recording import decode_timestamps

# Operations a recording may hold that belong to another service than SageMaker.
OTHER_SERVICE_OPERATIONS = {"lookup_events": "cloudtrail"}


@cache
def service_model(service: str) -> ServiceModel:
    # The service model ships with botocore, so loading it reads local files only.
    return botocore.session.get_session().get_service_model(service)


def sagemaker_model() -> ServiceModel:
    return service_model("sagemaker")


def shape_problems(document: dict[str, Any]) -> list[str]:
    """Return one message per response that botocore's validator rejects for its operation.

    The validator reports unknown keys, missing required members and wrong types, as botocore's
    Stubber does for stubbed responses; it does not check enum values.
    """
    validator = ParamValidator()
    problems = []
    for operation, response in leaf_responses(document["responses"]):
        model = service_model(OTHER_SERVICE_OPERATIONS.get(operation, "sagemaker"))
        output_shape = model.operation_model(api_name(operation)).output_shape
        report = validator.validate(decode_timestamps(response), output_shape)
        if report.has_errors():
            problems.append(f"{operation}: {report.generate_report()}")
    return problems


def leaf_responses(responses: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (operation, response) for every plain response inside `by_args` and `pages`."""
    for operation, response in responses.items():
        yield from _leaves(operation, response)


def _leaves(operation: str, response: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    if "by_args" in response:
        for entry in response["by_args"]:
            yield from _leaves(operation, entry["response"])
    elif "pages" in response:
        for page in response["pages"]:
            yield from _leaves(operation, page)
    else:
        yield operation, response


def search_all(client: Any, resource: str) -> list[dict[str, Any]]:
    """Return every record Search returns for `resource`, following NextToken."""
    records: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"Resource": resource, "MaxResults": 100}
    while True:
        page = client.search(**kwargs)
        records.extend(result[resource] for result in page["Results"])
        if not page.get("NextToken"):
            return records
        kwargs["NextToken"] = page["NextToken"]


def api_name(operation: str) -> str:
    """Return the API name of a boto3 method name (describe_model -> DescribeModel)."""
    return "".join(part.capitalize() for part in operation.split("_"))

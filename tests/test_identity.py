"""Tables for the canonical identity functions: S3 locations, ARNs and hyperparameter values."""

from __future__ import annotations

import pytest

from lineage.errors import InvalidARNError, InvalidURIError
from lineage.identity import (
    MatchKind,
    S3Location,
    arn_key,
    artifact_uri,
    canonical_s3_uri,
    decode_hyperparameter,
    hyperparameter_number,
    is_framework_hyperparameter,
    match_s3,
    name_from_arn,
    parse_arn,
    parse_s3_uri,
    sagemaker_arn,
)

COVERS_QUERY = MatchKind.RECORDED_COVERS_QUERY
WITHIN_QUERY = MatchKind.QUERY_COVERS_RECORDED
SALES_KEY = "data/q1 sales+returns.csv"

# The five spellings of one object that users paste into a reverse query.
SALES_SPELLINGS = [
    "s3://example-bucket/data/q1 sales+returns.csv",
    "https://example-bucket.s3.amazonaws.com/data/q1%20sales%2Breturns.csv",
    "https://example-bucket.s3.us-east-1.amazonaws.com/data/q1%20sales%2Breturns.csv",
    "https://s3.us-east-1.amazonaws.com/example-bucket/data/q1%20sales%2Breturns.csv",
    "s3a://example-bucket/data/q1 sales+returns.csv",
]


@pytest.mark.parametrize("text", SALES_SPELLINGS)
def test_parse_s3_uri_five_spellings_one_object(text: str) -> None:
    location = parse_s3_uri(text)

    assert location.bucket == "example-bucket"
    assert location.key == SALES_KEY


@pytest.mark.parametrize(
    ("text", "bucket", "key"),
    [
        ("s3://b/data/train/", "b", "data/train/"),
        ("s3://b/data/train", "b", "data/train"),
        ("s3://b", "b", ""),
        ("s3://b/", "b", ""),
        ("S3://b/Key/Mixed", "b", "Key/Mixed"),
        ("s3n://b/x", "b", "x"),
        ("s3a://b/x/", "b", "x/"),
        # s3:// keys are verbatim: no percent-decoding and `+` stays a plus sign.
        ("s3://b/a%20b+c", "b", "a%20b+c"),
        # https keys are percent-decoded, but a literal `+` in a URL path is still a plus.
        ("https://b.s3.amazonaws.com/a+b", "b", "a+b"),
        ("https://b.s3.amazonaws.com/a%2Bb%20c", "b", "a+b c"),
        ("https://b.s3.eu-west-1.amazonaws.com/k", "b", "k"),
        ("https://b.s3-eu-west-1.amazonaws.com/k", "b", "k"),
        ("https://b.s3.dualstack.us-east-1.amazonaws.com/k", "b", "k"),
        ("https://s3.amazonaws.com/b/k/", "b", "k/"),
        ("https://s3.eu-west-1.amazonaws.com/b/k", "b", "k"),
        ("https://my.dotted.bucket.s3.amazonaws.com/k", "my.dotted.bucket", "k"),
        ("https://b.s3.cn-north-1.amazonaws.com.cn/k", "b", "k"),
        ("\ts3://b/k\n", "b", "k"),
        ("  s3://b/k", "b", "k"),
        # S3 keys may end with a space, so a trailing space is part of the key.
        ("s3://b/k ", "b", "k "),
    ],
)
def test_parse_s3_uri_forms(text: str, bucket: str, key: str) -> None:
    location = parse_s3_uri(text)

    assert location.bucket == bucket
    assert location.key == key


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("example-bucket/data", "expected s3://"),
        ("gs://bucket/key", "unsupported scheme"),
        ("file:///tmp/x", "unsupported scheme"),
        ("s3://", "bucket name is missing"),
        ("s3:///key", "bucket name is missing"),
        ("https://example.com/bucket/key", "not an S3 endpoint"),
        ("https://s3.amazonaws.com/", "bucket name is missing"),
    ],
)
def test_parse_s3_uri_rejects_invalid(text: str, fragment: str) -> None:
    with pytest.raises(InvalidURIError, match=fragment):
        parse_s3_uri(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("s3a://b/data/train/", "s3://b/data/train/"),
        ("s3://b/data/train", "s3://b/data/train"),
        ("https://b.s3.amazonaws.com/data/train/", "s3://b/data/train/"),
        ("https://s3.us-east-1.amazonaws.com/b/a%20b", "s3://b/a b"),
    ],
)
def test_canonical_s3_uri_keeps_trailing_slash(text: str, expected: str) -> None:
    assert canonical_s3_uri(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("s3://b/out/job/output/model/", "s3://b/out/job/output/model"),
        ("s3://b/out/job/output/model", "s3://b/out/job/output/model"),
        ("s3://b/out/job/output/model.tar.gz", "s3://b/out/job/output/model.tar.gz"),
        ("https://b.s3.amazonaws.com/out/model%2Ftar/", "s3://b/out/model/tar"),
        ("s3a://b/x//", "s3://b/x"),
    ],
)
def test_artifact_uri_strips_trailing_slash(text: str, expected: str) -> None:
    assert artifact_uri(text) == expected


def test_artifact_uri_rejects_invalid() -> None:
    with pytest.raises(InvalidURIError, match="not-a-uri"):
        artifact_uri("not-a-uri")


@pytest.mark.parametrize(
    ("query", "recorded", "recorded_is_prefix", "expected"),
    [
        # A prefix without a slash covers a sibling folder: SageMaker reads it that way.
        ("s3://b/data/train_v2/part-0.csv", "s3://b/data/train", True, COVERS_QUERY),
        ("s3://b/data/train_v2/part-0.csv", "s3://b/data/train/", True, None),
        ("s3://b/data/train/part-0.csv", "s3://b/data/train/", True, COVERS_QUERY),
        ("s3://b/data/train", "s3://b/data/train/", True, MatchKind.EXACT),
        ("s3://b/data/train/", "s3://b/data/train", True, MatchKind.EXACT),
        ("s3://b/events/", "s3://b/events/year=2024/month=01/", True, WITHIN_QUERY),
        # A single object never covers a longer key.
        ("s3://b/data/x.csv/extra", "s3://b/data/x.csv", False, None),
        ("s3://b/data/x.csv", "s3://b/data/x.csv", False, MatchKind.EXACT),
        ("s3://other/data/train/x", "s3://b/data/train", True, None),
        # Buckets and keys compare case-sensitively.
        ("s3://b/Data/train/x", "s3://b/data/train", True, None),
    ],
)
def test_match_s3_table(
    query: str, recorded: str, recorded_is_prefix: bool, expected: MatchKind | None
) -> None:
    assert match_s3(parse_s3_uri(query), parse_s3_uri(recorded), recorded_is_prefix) == expected


@pytest.mark.parametrize("text", SALES_SPELLINGS)
def test_match_s3_any_spelling_finds_channel(text: str) -> None:
    recorded = parse_s3_uri("s3://example-bucket/data/q1 sales+returns.csv")

    assert match_s3(parse_s3_uri(text), recorded, True) == MatchKind.EXACT


def test_s3_location_uri_and_slash() -> None:
    location = S3Location("b", "k/")

    assert location.uri == "s3://b/k/"
    assert str(location.without_trailing_slash()) == "s3://b/k"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "arn:aws:sagemaker:us-east-1:111122223333:training-job/Churn-XGB-0503",
            "arn:aws:sagemaker:us-east-1:111122223333:training-job/churn-xgb-0503",
        ),
        (
            "arn:aws:sagemaker:us-east-1:111122223333:model-package/Churn-Models/3",
            "arn:aws:sagemaker:us-east-1:111122223333:model-package/churn-models/3",
        ),
    ],
)
def test_arn_key_ignores_name_case(first: str, second: str) -> None:
    assert arn_key(first) == arn_key(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "arn:aws:sagemaker:us-east-1:111122223333:model/m",
            "arn:aws:sagemaker:us-east-1:444455556666:model/m",
        ),
        (
            "arn:aws:sagemaker:us-east-1:111122223333:model/m",
            "arn:aws:sagemaker:eu-west-1:111122223333:model/m",
        ),
        (
            "arn:aws:sagemaker:us-east-1:111122223333:model/m",
            "arn:aws:sagemaker:us-east-1:111122223333:endpoint/m",
        ),
    ],
)
def test_arn_key_keeps_account_region_type(first: str, second: str) -> None:
    assert arn_key(first) != arn_key(second)


@pytest.mark.parametrize(
    "text", ["", "model/m", "arn:aws:sagemaker:us-east-1", "urn:aws:sagemaker:r:a:model/m"]
)
def test_arn_key_rejects_invalid(text: str) -> None:
    with pytest.raises(InvalidARNError):
        arn_key(text)


def test_parse_arn_parts() -> None:
    arn = parse_arn("arn:aws:sagemaker:us-east-1:111122223333:model-package/churn-models/3")

    assert arn.account == "111122223333"
    assert arn.region == "us-east-1"
    assert arn.resource_type == "model-package"
    assert arn.resource_id == "churn-models/3"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("arn:aws:sagemaker:us-east-1:111122223333:training-job/20240115", "20240115"),
        ("arn:aws:sagemaker:us-east-1:111122223333:model-package/g/3", "g/3"),
        ("plain-name", "plain-name"),
    ],
)
def test_name_from_arn(text: str, expected: str) -> None:
    assert name_from_arn(text) == expected


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("us-east-1", "arn:aws:sagemaker:us-east-1:111122223333:model/m"),
        ("cn-north-1", "arn:aws-cn:sagemaker:cn-north-1:111122223333:model/m"),
    ],
)
def test_sagemaker_arn_partition(region: str, expected: str) -> None:
    assert sagemaker_arn("model", "m", region, "111122223333") == expected


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ('"binary:logistic"', "binary:logistic"),
        ("binary:logistic", "binary:logistic"),
        ('"[64, 128]"', "[64, 128]"),
        ("[64, 128]", "[64, 128]"),
        ('"0.1"', "0.1"),
        ("0.2", "0.2"),
        ('"A&B test <v2>"', "A&B test <v2>"),
        ('""', ""),
        # Not valid JSON: kept exactly as given.
        ('"unterminated', '"unterminated'),
        ('"a"b"', '"a"b"'),
        # Only one layer of quoting is removed.
        ('"\\"x\\""', '"x"'),
        ('"s3://example-bucket/code/sourcedir.tar.gz"', "s3://example-bucket/code/sourcedir.tar.gz"),
    ],
)
def test_decode_hyperparameter_table(raw: str, decoded: str) -> None:
    assert decode_hyperparameter(raw) == decoded


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0.2", 0.2),
        ('"0.1"', 0.1),
        ("6", 6.0),
        ('"8"', 8.0),
        ("1e-3", 0.001),
        ("binary:logistic", None),
        ('"[64, 128]"', None),
        ("nan", None),
        ("inf", None),
        ("", None),
        ("1_000", None),
    ],
)
def test_hyperparameter_number_table(raw: str, expected: float | None) -> None:
    assert hyperparameter_number(raw) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("sagemaker_program", True), ("_tuning_objective_metric", True), ("eta", False)],
)
def test_is_framework_hyperparameter(name: str, expected: bool) -> None:
    assert is_framework_hyperparameter(name) is expected

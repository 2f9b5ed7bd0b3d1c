"""Property tests of canonical identity: only documented errors, idempotent canonical forms."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage.errors import InvalidARNError, InvalidURIError
from lineage.identity import (
    MatchKind,
    S3Location,
    arn_key,
    artifact_uri,
    canonical_s3_uri,
    decode_hyperparameter,
    hyperparameter_number,
    match_s3,
    parse_arn,
    parse_s3_uri,
)

SCHEMES = st.sampled_from(["s3", "S3", "s3a", "s3n", "https", "http", "ftp", "", "arn"])
HOSTS = st.sampled_from([
    "", "bucket", "bucket.s3.amazonaws.com", "s3.amazonaws.com", "s3.us-east-1.amazonaws.com",
    "b.s3-eu-west-1.amazonaws.com", "b.s3.dualstack.us-east-1.amazonaws.com", "example.com",
    "[::1]", "user:pw@host:99999", "bucket.s3.amazonaws.com.cn",
])
# Text from anywhere: markup, controls, surrogate escapes, percent signs and slashes.
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
KEYS = st.text(alphabet=st.sampled_from("abc/%+ .:?#@[]\u202e\ufffd<>\"'\n"), max_size=30)


@st.composite
def s3_like(draw: st.DrawFn) -> str:
    """Return strings close to S3 URIs, so that parsing goes deep before it can fail."""
    if draw(st.booleans()):
        return draw(TEXT)
    return f"{draw(SCHEMES)}://{draw(HOSTS)}/{draw(KEYS)}"


@st.composite
def arn_like(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(TEXT)
    fields = draw(st.lists(st.text(alphabet="abc:/-1 X\u00e9", max_size=8), min_size=0,
                           max_size=8))
    return ":".join(["arn", *fields])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s3_like())
def test_parse_s3_uri_raises_only_invalid_uri(text: str) -> None:
    try:
        location = parse_s3_uri(text)
    except InvalidURIError:
        return
    assert isinstance(location, S3Location)
    assert location.bucket


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s3_like())
def test_canonical_s3_uri_is_idempotent(text: str) -> None:
    try:
        canonical = canonical_s3_uri(text)
    except InvalidURIError:
        return
    assert canonical_s3_uri(canonical) == canonical
    assert parse_s3_uri(canonical) == parse_s3_uri(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s3_like())
def test_artifact_uri_is_idempotent(text: str) -> None:
    try:
        artifact = artifact_uri(text)
    except InvalidURIError:
        return
    assert artifact_uri(artifact) == artifact
    assert not parse_s3_uri(artifact).key.endswith("/")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["b", "c"]), KEYS, st.sampled_from(["b", "c"]), KEYS, st.booleans())
def test_match_s3_returns_match_kind_or_none(
    query_bucket: str, query_key: str, recorded_bucket: str, recorded_key: str, is_prefix: bool
) -> None:
    query_location = parse_s3_uri(f"s3://{query_bucket}/{query_key}")
    recorded_location = parse_s3_uri(f"s3://{recorded_bucket}/{recorded_key}")

    match = match_s3(query_location, recorded_location, is_prefix)

    assert match is None or isinstance(match, MatchKind)
    assert match_s3(query_location, query_location, is_prefix) is MatchKind.EXACT


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arn_like())
def test_parse_arn_raises_only_invalid_arn(text: str) -> None:
    try:
        arn = parse_arn(text)
    except InvalidARNError:
        return
    assert arn.partition is not None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arn_like())
def test_arn_key_is_idempotent(text: str) -> None:
    try:
        key = arn_key(text)
    except InvalidARNError:
        return
    assert arn_key(key) == key


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(TEXT, TEXT.map(lambda text: '"' + text + '"'),
                 st.floats(allow_nan=True).map(str), st.integers().map(lambda n: f'"{n}"')))
def test_hyperparameter_functions_never_raise(raw: str) -> None:
    decoded = decode_hyperparameter(raw)
    number = hyperparameter_number(raw)

    assert isinstance(decoded, str)
    assert number is None or number == number
    assert number is None or abs(number) != float("inf")

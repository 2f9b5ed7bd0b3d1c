"""The CLI on recordings that describe nothing, unreadable resources in the crawl report,
multi-line errors, trace output, node listing and plural wording."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lineage.cli import main
from lineage.graph import NodeKind
from lineage.source import crawl_seeds, load
from tests.conftest import CASES_DIR, load_case


@pytest.fixture(autouse=True)
def offline_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def case_path(name: str) -> str:
    return str(CASES_DIR / f"{name}.json")


# A recording with only list responses is crawled in full.


def test_crawl_seeds_none_without_describes() -> None:
    assert crawl_seeds(load_case("C01")) is None
    assert crawl_seeds(load_case("C06"))


@pytest.mark.parametrize(("case", "job"), [("C01", "churn-xgb-2024-05-02"),
                                           ("C02", "fraud-lgbm-0602")])
def test_crawl_list_only_recording_finds_job(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str, job: str
) -> None:
    report_path = tmp_path / "report.json"
    code, out, _ = run(capsys, "crawl", "--recording", case_path(case), "--db",
                       str(tmp_path / "store.sqlite"), "--report", str(report_path))

    report = json.loads(report_path.read_text())
    listed = report["counts"].get("TrainingJob", 0) + sum(
        report["placeholders"].get("TrainingJob", {}).values())
    assert code == 0
    assert listed == 1
    assert any(job in warning for warning in report["warnings"])
    assert job in out


def test_trace_list_only_recording_finds_job(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "trace", "churn-xgb-2024-05-02", "--recording",
                         case_path("C01"))

    assert code == 0, err
    assert "churn-xgb-2024-05-02" in out


def test_load_list_only_recording_has_job() -> None:
    loaded = load(recording=case_path("C02"))

    assert loaded.graph.find("fraud-lgbm-0602") is not None


# Placeholders are counted apart from the records that were read.


def denied_model_recording(tmp_path: Path) -> str:
    """Write a recording whose endpoint serves a model that describe_model may not read."""
    document = {
        "account": "111122223333",
        "region": "us-east-1",
        "responses": {
            "describe_endpoint": {
                "EndpointName": "ep-a", "EndpointConfigName": "cfg-a",
                "EndpointArn": "arn:aws:sagemaker:us-east-1:111122223333:endpoint/ep-a",
                "EndpointStatus": "InService",
            },
            "describe_endpoint_config": {
                "EndpointConfigName": "cfg-a",
                "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "model-a",
                                        "InstanceType": "ml.m5.large",
                                        "InitialInstanceCount": 1}],
            },
            "describe_model": {"error": {
                "Code": "AccessDeniedException",
                "Message": "User is not authorized to perform: sagemaker:DescribeModel",
            }},
        },
    }
    path = tmp_path / "denied-model.json"
    path.write_text(json.dumps(document))
    return str(path)


def test_crawl_report_counts_denied_model_apart(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "crawl", "--recording", denied_model_recording(tmp_path),
                       "--db", str(tmp_path / "store.sqlite"), "--json")

    report = json.loads(out)["report"]
    assert code == 0
    assert "Model" not in report["counts"]
    assert report["counts"]["Endpoint"] == 1
    assert report["placeholders"] == {"Model": {"no permission": 1}}
    denied = [warning for warning in report["warnings"] if "model-a" in warning]
    assert len(denied) == 1
    assert "grant sagemaker:DescribeModel" in denied[0]


def test_crawl_prints_placeholders_per_kind(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "crawl", "--recording", case_path("C16"), "--db",
                       str(tmp_path / "store.sqlite"))

    model_row = next(line for line in out.splitlines() if line.startswith("Model "))
    assert code == 0
    assert model_row.split()[:2] == ["Model", "0"]
    assert "3 no permission" in model_row
    assert "3 placeholders" in out
    assert "grant sagemaker:DescribeModel" in out


def test_report_placeholders_survive_merge_and_json() -> None:
    from lineage.crawl.multi import _merge_report
    from lineage.crawl.result import CrawlReport

    part = CrawlReport(counts={"Model": 2}, placeholders={"Model": {"no permission": 1}})
    merged = CrawlReport()
    _merge_report(merged, part, "111122223333/us-east-1")
    _merge_report(merged, part, "444455556666/us-east-1")

    assert merged.placeholders == {"Model": {"no permission": 2}}
    assert merged.by_account_region["111122223333/us-east-1"]["placeholders"] == {
        "Model": {"no permission": 1}}
    assert CrawlReport.from_dict(merged.to_dict()).placeholders == merged.placeholders


# Multi-line error messages keep their line breaks.


def test_search_syntax_error_prints_caret_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "search", 'Metrics."validation:auc" >')

    lines = err.splitlines()
    assert code == 2
    assert "\\x0a" not in err
    assert len(lines) == 3
    assert lines[1].strip() == 'Metrics."validation:auc" >'
    # The caret points just past the text, where a value is missing.
    assert lines[2].index("^") == len(lines[1])


def test_visible_lines_escapes_other_controls() -> None:
    from lineage.cli.table import visible_lines

    assert visible_lines("one\ntwo\x1b[31m\rthree") == "one\ntwo\\x1b[31m\\x0dthree"


# Search tables show the properties a search filters and sorts on.


def test_search_shows_filtered_properties(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search",
                       'HyperParameters.eta exists and Metrics."validation:auc" > 0.5 '
                       'sort by Metrics."validation:auc" desc')

    header = out.splitlines()[1].split()
    assert code == 0
    assert "HyperParameters.eta" in header
    assert header.count("Metrics.validation:auc") == 1


def test_filtered_names_walks_nested_expressions() -> None:
    from lineage.cli.search import filtered_names

    expression = {
        "Filters": [{"Name": "Tags.Project", "Operator": "Equals", "Value": "churn"}],
        "NestedFilters": [{"NestedPropertyName": "InputDataConfig", "Filters": [
            {"Name": "InputDataConfig.ChannelName", "Operator": "Equals", "Value": "train"}]}],
        "SubExpressions": [{"Filters": [
            {"Name": "Tags.Project", "Operator": "Exists"},
            {"Name": "HyperParameters.eta", "Operator": "Exists"}]}],
    }

    assert filtered_names(expression) == [
        "Tags.Project", "InputDataConfig.ChannelName", "HyperParameters.eta"]
    assert filtered_names(None) == []


# `lineage list` prints the names that trace accepts.


def test_list_kind_prints_only_that_kind(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--kind", "endpoint", "--recording", case_path("C15"),
                       "--json")

    nodes = json.loads(out)["nodes"]
    assert code == 0
    assert {node["kind"] for node in nodes} == {"endpoint"}
    assert {"ep-failed", "ep-updating"} <= {node["label"] for node in nodes}


def test_list_ids_resolve_in_trace(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--recording", case_path("C06"), "--json")
    nodes = json.loads(out)["nodes"]
    graph = load(recording=case_path("C06")).graph

    assert code == 0
    assert len(nodes) == len(graph)
    for node in nodes:
        assert graph.find(node["id"]) == node["id"]


def test_list_table_and_empty_kind(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--recording", case_path("C06"))
    assert code == 0
    assert "llm-ft-0501-model" in out

    code, out, _ = run(capsys, "list", "--kind", "endpoint", "--recording", case_path("C06"))
    assert code == 1
    assert "No endpoint node" in out


def test_unknown_node_hint_names_list_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "trace", "no-such-node-zzz", "--recording", case_path("C06"))

    assert code == 2
    assert "`lineage list`" in err
    assert "trace --help" not in err


# Counts agree in number with their nouns.


@pytest.mark.parametrize(("count", "noun", "plural", "expected"), [
    (0, "record", None, "0 records"),
    (1, "record", None, "1 record"),
    (2, "record", None, "2 records"),
    (1, "retry", "retries", "1 retry"),
    (3, "retry", "retries", "3 retries"),
])
def test_counted_matches_number(count: int, noun: str, plural: str | None,
                                expected: str) -> None:
    from lineage.cli.common import counted

    assert counted(count, noun, plural) == expected


def test_crawl_summary_singular_counts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "crawl", "--recording", denied_model_recording(tmp_path),
                       "--db", str(tmp_path / "store.sqlite"))

    summary = out.splitlines()[0]
    assert code == 0
    assert "2 records, 1 placeholder (named but not described), 3 calls, 0 retries" in summary


def test_search_summary_singular(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "TrainingJobName = fraud-xgb-20240612-1400")

    assert code == 0
    assert "1 of 1 matching TrainingJob record shown." in out


# Trace output states what --json has: statuses, errors, digests, approval and notes.


def test_trace_endpoint_without_variants_prints_no_rows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "trace", "ep-failed", "--recording", case_path("C15"))

    endpoint_part = out[out.index("Endpoint ep-failed"):]
    assert code == 0
    assert "(unknown)" not in out
    assert "Last failure: The primary container" in endpoint_part
    assert "variant  role" not in endpoint_part
    assert "Variant " not in endpoint_part


def test_trace_pending_config_unread_names_variant(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "trace", "ep-updating", "--recording", case_path("C15"))

    assert code == 0
    assert "(unknown)" not in out
    assert "AllTraffic  production (pending)  cfg-b" in out
    assert "the model is unknown" in out


def test_endpoint_trace_names_pending_variants() -> None:
    from lineage.queries.trace import endpoint_trace

    graph = load(recording=case_path("C15")).graph
    endpoint_id = graph.resolve("ep-updating")

    pending = [variant for variant in endpoint_trace(graph, endpoint_id).variants
               if variant.pending]
    assert [variant.name for variant in pending] == ["AllTraffic"]
    assert graph.node(endpoint_id)["pending_variants"][0]["status"] == "Creating"


def test_trace_prints_deployed_image_digest(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "trace", "legacy-ep", "--recording", case_path("C14"))

    assert code == 0
    assert "deployed image 111122223333.dkr.ecr.us-east-1.amazonaws.com/legacy:3" in out
    assert "legacy@sha256:" in out


def test_trace_other_account_package_explained(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "trace", "vendor-sentiment", "--recording", case_path("C19"))

    assert code == 0
    assert "model package in account 444455556666" in out
    assert "made outside the crawled accounts" in out
    assert "does not exist." in out


def test_trace_config_notes_inference_components(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "trace", "cfg-ic", "--recording", case_path("C16"))

    assert code == 0
    assert "models via inference components" in out


def test_trace_model_package_approval_status() -> None:
    from lineage.queries.trace import node_notes

    graph = load().graph
    packages = [node_id for node_id in graph.nodes_of_kind(NodeKind.MODEL_PACKAGE)
                if graph.node(node_id).get("approval_status")]

    assert packages
    for node_id in packages:
        status = graph.node(node_id)["approval_status"]
        assert f"approval status {status}" in node_notes(graph, node_id)


def test_trace_depth_limits_variant_detail(capsys: pytest.CaptureFixture[str]) -> None:
    code, limited, _ = run(capsys, "trace", "churn-prod", "--depth", "1")
    code_full, full, _ = run(capsys, "trace", "churn-prod")

    assert code == 0
    assert code_full == 0
    assert "champion" in limited
    assert "Variant champion" not in limited
    assert "use --depth" in limited
    assert "Variant champion" in full

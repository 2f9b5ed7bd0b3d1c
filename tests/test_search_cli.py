"""The `lineage search` and `lineage suggest` commands over the bundled sample account."""

from __future__ import annotations

import json

from lineage.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_search_text_form_prints_table(capsys):
    code, out, _ = run(capsys, "search", "TrainingJobName contains churn-xgb-2024",
                       "--columns", "HyperParameters.eta")

    assert code == 0
    assert "TrainingJobName" in out
    assert "HyperParameters.eta" in out
    assert "churn-xgb-20240612-1130" in out
    assert "fraud-xgb" not in out


def test_search_json_is_boto3_shaped(capsys):
    code, out, _ = run(capsys, "search", "--json", "--max-results", "2",
                       "TrainingJobStatus = Completed sort by TrainingJobName asc")
    response = json.loads(out)

    assert code == 0
    assert len(response["Results"]) == 2
    assert set(response["Results"][0]) == {"TrainingJob"}
    assert response["TotalHits"]["Relation"] == "EqualTo"
    names = [item["TrainingJob"]["TrainingJobName"] for item in response["Results"]]
    assert names == sorted(names)
    assert "NextToken" in response


def test_search_next_token_continues(capsys):
    _, out, _ = run(capsys, "search", "--json", "--max-results", "1", "TrainingJobName exists",
                    "--sort-by", "TrainingJobName", "--sort-order", "asc")
    first = json.loads(out)
    _, out, _ = run(capsys, "search", "--json", "--max-results", "1", "TrainingJobName exists",
                    "--sort-by", "TrainingJobName", "--sort-order", "asc",
                    "--next-token", first["NextToken"])
    second = json.loads(out)

    first_name = first["Results"][0]["TrainingJob"]["TrainingJobName"]
    second_name = second["Results"][0]["TrainingJob"]["TrainingJobName"]
    assert first_name < second_name


def test_search_params_file(capsys, tmp_path):
    params = tmp_path / "params.json"
    params.write_text(json.dumps({
        "Resource": "TrainingJob",
        "SearchExpression": {"Filters": [{"Name": "TrainingJobName", "Operator": "Equals",
                                          "Value": "churn-xgb-20240612-1130"}]},
    }))

    code, out, _ = run(capsys, "search", "--params", str(params), "--json")

    assert code == 0
    assert json.loads(out)["TotalHits"]["Value"] == 1


def test_search_without_match_exits_one(capsys):
    code, out, _ = run(capsys, "search", "TrainingJobName = no-such-job")

    assert code == 1
    assert "0 of 0 matching TrainingJob records shown." in out


def test_search_syntax_error_exits_two_with_caret(capsys):
    code, _, err = run(capsys, "search", "Tags.Project churn")

    assert code == 2
    assert "expected an operator after 'Tags.Project'" in err
    assert "^" in err


def test_search_type_error_exits_two(capsys):
    code, _, err = run(capsys, "search", "TrainingJobName > a")

    assert code == 2
    assert "operator not supported for text property" in err


def test_search_other_resource(capsys):
    code, out, _ = run(capsys, "search", "--resource", "Endpoint", "--json")

    assert code == 0
    assert all(set(item) == {"Endpoint"} for item in json.loads(out)["Results"])


def test_suggest_lists_metric_names(capsys):
    code, out, _ = run(capsys, "suggest", "metrics.validation:a")

    assert code == 0
    assert out.splitlines() == ["Metrics.validation:accuracy", "Metrics.validation:auc"]


def test_suggest_json_and_no_match(capsys):
    code, out, _ = run(capsys, "suggest", "Tags.", "--json")
    missing_code, missing_out, _ = run(capsys, "suggest", "zzz")

    assert code == 0
    assert all(item["PropertyName"].startswith("Tags.")
               for item in json.loads(out)["PropertyNameSuggestions"])
    assert missing_code == 1
    assert "No TrainingJob property name starts with 'zzz'." in missing_out

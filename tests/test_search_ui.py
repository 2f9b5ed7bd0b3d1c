"""The Search page, run with Streamlit's AppTest over the bundled sample account."""

from __future__ import annotations

import pytest

pytest.importorskip("streamlit")

from streamlit.testing.v1 import AppTest  # noqa: E402


def _page() -> None:
    from lineage.source import load
    from ui.views import search

    search.render(load())


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_function(_page, default_timeout=60)
    at.run()
    assert not at.exception
    return at


def test_text_form_filters_results(app):
    app.radio(key="search_mode").set_value("Text").run()
    app.text_input(key="search_text").input("TrainingJobName contains churn-xgb-2024").run()

    assert not app.exception
    summary = [t.value for t in app.text if "matching TrainingJob records" in t.value]
    assert summary and not summary[0].startswith("0 ")
    names = list(app.dataframe[0].value["TrainingJobName"])
    assert names
    assert all("churn-xgb-2024" in name for name in names)


def test_syntax_error_is_shown_with_caret(app):
    app.radio(key="search_mode").set_value("Text").run()
    app.text_input(key="search_text").input("Tags.Project churn").run()

    assert not app.exception
    assert any("expected an operator" in block.value and "^" in block.value
               for block in app.code)


def test_criteria_row_offers_operators_by_type(app):
    app.selectbox(key="search_property_0").set_value("TrainingJobName").run()

    operators = app.selectbox(key="search_operator_0").options
    assert "Contains" in operators
    assert "GreaterThan" not in operators

    app.selectbox(key="search_property_0").set_value("Metrics.validation:auc").run()
    operators = app.selectbox(key="search_operator_0").options
    assert "GreaterThan" in operators
    assert "Contains" not in operators


def test_criteria_search_with_metric(app):
    app.selectbox(key="search_property_0").set_value("Metrics.validation:auc").run()
    app.selectbox(key="search_operator_0").set_value("GreaterThan").run()
    app.text_input(key="search_value_0").input("0.5").run()
    app.multiselect(key="search_columns").set_value(["Metrics.validation:auc"]).run()

    assert not app.exception
    values = [float(v) for v in app.dataframe[0].value["Metrics.validation:auc"]]
    assert values
    assert all(value > 0.5 for value in values)


def test_verify_dataset_without_use_says_so(app):
    app.text_input(key="search_dataset").input("s3://no-such-bucket/holdout/").run()

    assert not app.exception
    assert any(t.value.startswith("No crawled job read s3://no-such-bucket/holdout/.")
               for t in app.text)


def test_verify_dataset_lists_jobs(app):
    app.text_input(key="search_dataset").input("s3://example-ml-data/fraud/").run()

    assert not app.exception
    assert any("job(s) read s3://example-ml-data/fraud/" in t.value for t in app.text)
    uses = app.dataframe[-1].value
    assert len(uses) > 0
    assert all(uri.startswith("s3://example-ml-data/fraud/") for uri in uses["input"])

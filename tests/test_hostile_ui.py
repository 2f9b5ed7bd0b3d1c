"""Hostile strings through every page of the app (AppTest): shown as text, never as markup.

Streamlit renders the body of markdown, captions, alerts and titles as Markdown, so data may
reach them only escaped. Tables, code blocks, JSON and plain text show strings as typed.
"""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from tests import hostile_account as hostile

PAGE_TIMEOUT_S = 120
HOSTILE_JOB = hostile.arn("training-job", hostile.JOB_AFTER)

# Raw fragments that mean data reached a Markdown body unescaped.
MARKUP_FRAGMENTS = ("<script", "<img", "</script", "**bold**", "](javascript:", ":red[", "<b>")


def _run_page(page: str, folder: str) -> None:
    # Runs inside AppTest's script thread, so every name it uses is imported here.
    from pathlib import Path

    import streamlit as st

    from lineage.source import load, load_sample
    from ui.views import explore, impact, regression, search, trace

    @st.cache_resource
    def loaded_for(page: str, folder: str):
        if page == "regression":
            return load_sample(Path(folder))
        return load(recording=Path(folder) / "hostile-after.json")

    pages = {
        "explore": explore.render,
        "trace": trace.render,
        "impact": impact.render,
        "search": search.render,
        "regression": regression.render,
    }
    pages[page](loaded_for(page, folder))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("hostile")
    hostile.write_account(path)
    return str(path)


def _page(page: str, folder: str) -> AppTest:
    return AppTest.from_function(_run_page, args=(page, folder), default_timeout=PAGE_TIMEOUT_S)


def _markdown_bodies(at: AppTest) -> list[str]:
    """Return the body of every element Streamlit renders as Markdown."""
    bodies: list[str] = []
    for elements in (at.markdown, at.caption, at.title, at.header, at.subheader, at.info,
                     at.warning, at.error, at.success):
        bodies += [str(element.value) for element in elements]
    return bodies


def _html_allowed(at: AppTest) -> list[str]:
    """Return the bodies of markdown elements that may render raw HTML."""
    return [str(element.value) for element in at.markdown if element.proto.allow_html]


def _plain_texts(at: AppTest) -> str:
    parts = [str(element.value) for element in at.text]
    parts += [str(element.value) for element in at.code]
    parts += [str(element.value) for element in at.json]
    for frame in at.dataframe:
        for column in frame.value.columns:
            parts.append(str(column))
            parts += [str(value) for value in frame.value[column]]
    return "\n".join(parts)


def _assert_no_markup(at: AppTest) -> None:
    assert not at.exception
    assert _html_allowed(at) == []
    assert list(at.get("html")) == []
    for body in _markdown_bodies(at):
        # A backslash makes the next character literal in Markdown, so escaped pairs go first.
        unescaped = re.sub(r"\\.", "", body)
        for fragment in MARKUP_FRAGMENTS:
            assert fragment not in unescaped, f"{fragment!r} unescaped in {body[:200]!r}"


def test_explore_details_show_hostile_text(folder: str) -> None:
    at = _page("explore", folder).run()
    at.selectbox(key="explore_kind").set_value("training_job").run()
    at.selectbox(key="explore_node").set_value(HOSTILE_JOB).run()

    _assert_no_markup(at)
    shown = _plain_texts(at)
    assert hostile.SCRIPT in shown
    assert hostile.IMG in shown
    assert hostile.HOSTILE_FAILURE in shown


def test_explore_hostile_dataset_as_focus(folder: str) -> None:
    at = _page("explore", folder).run()
    at.selectbox(key="explore_kind").set_value("dataset").run()
    at.selectbox(key="explore_node").set_value(hostile.HOSTILE_TRAIN_URI).run()

    _assert_no_markup(at)
    assert hostile.HOSTILE_TRAIN_URI in _plain_texts(at)
    assert len(at.get("iframe")) == 1


def test_trace_page_escapes_hostile_text(folder: str) -> None:
    at = _page("trace", folder).run()

    _assert_no_markup(at)
    assert hostile.HOSTILE_TRAIN_URI in _plain_texts(at)


def test_impact_page_escapes_hostile_text(folder: str) -> None:
    at = _page("impact", folder).run()
    at.text_input(key="impact_uri").input(f"s3://{hostile.BUCKET}/").run()

    _assert_no_markup(at)
    assert hostile.HOSTILE_TRAIN_URI in _plain_texts(at)


def test_search_page_text_query(folder: str) -> None:
    at = _page("search", folder).run()
    at.selectbox(key="search_resource").set_value("TrainingJob").run()
    at.radio(key="search_mode").set_value("Text").run()
    at.text_input(key="search_text").input(f"TrainingJobName = {hostile.JOB_AFTER}").run()

    _assert_no_markup(at)
    assert hostile.JOB_AFTER in _plain_texts(at)


def test_search_page_hostile_property_name(folder: str) -> None:
    at = _page("search", folder).run()
    at.selectbox(key="search_resource").set_value("TrainingJob").run()
    at.selectbox(key="search_property_0").set_value(hostile.HOSTILE_METRIC_PROPERTY).run()
    at.selectbox(key="search_operator_0").set_value("GreaterThan").run()
    at.text_input(key="search_value_0").input("0.5").run()

    _assert_no_markup(at)
    captions = [str(caption.value) for caption in at.caption]
    assert any(caption.startswith("As text:") for caption in captions)
    assert hostile.JOB_AFTER in _plain_texts(at)


def test_search_page_dataset_check(folder: str) -> None:
    at = _page("search", folder).run()
    at.text_input(key="search_dataset").input(hostile.HOSTILE_TRAIN_URI).run()

    _assert_no_markup(at)
    assert hostile.JOB_AFTER in _plain_texts(at)


def test_regression_page_escapes_hostile_text(folder: str) -> None:
    at = _page("regression", folder).run()

    _assert_no_markup(at)
    shown = _plain_texts(at)
    assert hostile.SCRIPT in shown
    assert len(at.get("iframe")) >= 1

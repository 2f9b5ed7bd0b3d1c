"""Streamlit AppTest runs of the Regression page on the sample account's two snapshots."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from sample_data import generate as sample

PAGE_TIMEOUT_S = 120


def _run_page(recording: str | None) -> None:
    # Runs inside AppTest's script thread, so every name it uses is imported here.
    from lineage.source import load
    from ui.views import regression

    regression.render(load(recording=recording))


def _page(recording: str | None = None) -> AppTest:
    return AppTest.from_function(_run_page, args=(recording,), default_timeout=PAGE_TIMEOUT_S)


def _cells(frame) -> list[str]:
    data = frame.value
    return [str(cell) for column in data.columns for cell in data[column]]


def test_page_defaults_to_latest_two() -> None:
    at = _page().run()

    assert not at.exception
    assert at.selectbox(key="regression_endpoint").value.endswith(f"endpoint/{sample.ENDPOINT}")
    assert at.selectbox(key="regression_before").value == 0
    assert at.selectbox(key="regression_after").value == 1


def test_page_top_suspect_is_dataset() -> None:
    at = _page().run()
    texts = [element.value for element in at.text]

    assert any(text.startswith("Most likely cause: Channel 'train'") for text in texts)
    suspects = at.dataframe[1]
    first = suspects.value.iloc[0]
    assert (first["kind"], first["name"]) == ("dataset", "train")
    assert "eta" in list(suspects.value["name"])
    # Only the first row's cells carry the highlight style.
    styles = suspects.proto.arrow_data.styler.styles
    assert "_row0_col0" in styles
    assert "background-color: #fff1c2" in styles
    assert "_row1_" not in styles


def test_page_states_metric_direction() -> None:
    at = _page().run()
    texts = [element.value for element in at.text]

    assert any(text.startswith("Direction: higher is better") for text in texts)
    assert "0.84" in sum((_cells(frame) for frame in at.dataframe), [])
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    spec = charts[0].proto.spec
    assert "validation:auc" in spec
    assert '"#d62728"' in spec


def test_page_diff_toggle_shows_equal_rows() -> None:
    at = _page().run()
    changed_rows = len(_diff_frame(at).value)

    at.toggle(key="regression_diff_only").set_value(False).run()

    assert len(_diff_frame(at).value) > changed_rows


def test_page_draws_two_highlighted_graphs() -> None:
    at = _page().run()
    frames = at.get("iframe")

    assert len(frames) == 2
    for frame in frames:
        assert "#d62728" in frame.proto.srcdoc


def test_page_offers_export_download() -> None:
    at = _page().run()

    assert at.radio(key="regression_export_format").value == "html"
    assert len(at.get("download_button")) == 1


def test_page_single_endpoint_explains() -> None:
    at = _page().run()
    at.selectbox(key="regression_endpoint").set_value(
        next(
            option
            for option in at.selectbox(key="regression_endpoint").options
            if option == sample.STAGING_ENDPOINT
        )
    ).run()

    assert not at.exception
    assert any("one recorded deployment" in element.value for element in at.info)
    assert len(at.get("iframe")) == 1


def test_page_recording_has_no_history() -> None:
    from tests.conftest import REPO_ROOT

    at = _page(str(REPO_ROOT / "sample_data" / sample.AFTER_FILE)).run()

    assert not at.exception
    assert any("single recording has no history" in element.value for element in at.info)


def _diff_frame(at: AppTest):
    # The diff table follows the "Diff" subheader.
    titles = [element.value for element in at.subheader]
    assert "Diff" in titles
    return at.dataframe[3]

"""Streamlit app of the SageMaker lineage explorer.

Run it with `streamlit run ui/app.py --server.address 127.0.0.1 -- [--recording FILE | --db PATH]`;
without a source it opens the bundled sample account. Each page lives in `ui/views/` and exposes
`render(loaded)`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import streamlit as st

# `streamlit run ui/app.py` puts ui/ on sys.path, not the repository root that contains `lineage`.
_REPO_ROOT = str(Path(__file__).resolve().parent.parent)
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from lineage.source import Loaded  # noqa: E402
from ui.views import common, crawl, explore, impact, regression, search, trace  # noqa: E402

# (title, URL path, page function); the first page opens by default. Pages have no icons
# because Streamlit loads a Material icon used as favicon from fonts.gstatic.com.
PAGES: list[tuple[str, str, Callable[[Loaded], None]]] = [
    ("Explore", "explore", explore.render),
    ("Trace", "trace", trace.render),
    ("Dataset impact", "impact", impact.render),
    ("Search", "search", search.render),
    ("Regression", "regression", regression.render),
    ("Crawl", "crawl", crawl.render),
]


def _page_function(render: Callable[[Loaded], None], loaded: Loaded) -> Callable[[], None]:
    def page() -> None:
        render(loaded)

    page.__name__ = render.__module__.rsplit(".", 1)[-1]
    return page


def main(argv: list[str] | None = None) -> None:
    """Load the graph named by the script arguments and run the selected page."""
    st.set_page_config(page_title="SageMaker lineage", layout="wide")
    options = common.parse_source_args(sys.argv[1:] if argv is None else argv)

    loaded = common.load_or_report(options)
    if loaded is None:
        return

    pages = [
        st.Page(
            _page_function(render, loaded), title=title, url_path=url_path, default=position == 0
        )
        for position, (title, url_path, render) in enumerate(PAGES)
    ]
    navigation = st.navigation(pages)

    st.sidebar.text(f"Source: {loaded.description}")
    navigation.run()


if __name__ == "__main__":
    main()

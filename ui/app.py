"""Streamlit app of the SageMaker lineage explorer.

Run it with `streamlit run ui/app.py --server.address 127.0.0.1 -- [--recording FILE | --db PATH]`;
without a source it opens the bundled sample account. Each page lives in `ui/views/` and exposes
`render(loaded)`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path

import streamlit as st

# `streamlit run ui/app.py` puts ui/ on sys.path, not the repository root that contains `lineage`.
_REPO_ROOT = str(Path(__file__).resolve().parent.parent)
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from lineage.source import Loaded  # noqa: E402
from ui.views import common  # noqa: E402

# (title, URL path, module of the page); the first page opens by default. Pages have no icons
# because Streamlit loads a Material icon used as favicon from fonts.gstatic.com.
PAGES: list[tuple[str, str, str]] = [
    ("Explore", "explore", "ui.views.explore"),
    ("Trace", "trace", "ui.views.trace"),
    ("Dataset impact", "impact", "ui.views.impact"),
    ("Search", "search", "ui.views.search"),
    ("Regression", "regression", "ui.views.regression"),
    ("Crawl", "crawl", "ui.views.crawl"),
]


def _page_function(module_name: str, loaded: Loaded) -> Callable[[], None]:
    """Return a page that imports `module_name` when first shown and calls its `render`.

    The import waits until the page is shown: importing every page module took 1.9 s of the
    cold start (`python -X importtime`, 2 CPUs), 1.0 s of it the Regression page's pandas and
    altair.
    """

    def page() -> None:
        importlib.import_module(module_name).render(loaded)

    # Streamlit names a page's URL and label after its function when none is given.
    page.__name__ = module_name.rsplit(".", 1)[-1]
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
            _page_function(module_name, loaded),
            title=title,
            url_path=url_path,
            default=position == 0,
        )
        for position, (title, url_path, module_name) in enumerate(PAGES)
    ]
    navigation = st.navigation(pages)

    st.sidebar.text(f"Source: {loaded.description}")
    navigation.run()


if __name__ == "__main__":
    main()

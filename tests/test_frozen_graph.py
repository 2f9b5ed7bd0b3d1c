"""A frozen lineage graph reads like the networkx graph it was made from, in memory and cached.

Each account is compared in three forms built from one SQLite store. The reference is the
networkx-backed `LineageGraph` (the builder with freezing turned off). The two others are the
frozen graph that `build_graph` returns and the frozen graph read back from the store's graph
cache, whose node attributes stay in the cache file. The last tests check that the cache keeps
only the most recently used snapshots.
"""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lineage import build, graphcache, store, synthetic
from lineage.errors import NodeNotFoundError
from lineage.frozen import FrozenLineageGraph
from lineage.graph import BRIEF_ATTRIBUTES, LineageGraph, NodeKind, Relation
from lineage.identity import is_arn
from lineage.queries.impact import impact
from lineage.queries.trace import TRACE_KIND_ORDER, endpoint_trace, trace
from lineage.source import SAMPLE_DIR, Loaded, load
from tests.graph_cache_support import assert_same_graph, cache_files, load_counting_writes

SAMPLE = SAMPLE_DIR / "account-after.json"

# A few hundred training jobs, a hub dataset that a fifth of them read, and every other
# resource kind the generator makes: about 1,000 nodes.
GENERATED = synthetic.AccountSpec(
    training_jobs=300, models=30, endpoints=6, datasets=30, processing_jobs=20, tuning_jobs=5,
    children_per_tuning_job=8, transform_jobs=3, model_packages=6, hub_dataset_share=0.2,
)

FORMS = ("memory", "cached")

# The default passed to attribute(), so that a missing attribute differs from a stored None.
MISSING = object()


@dataclass
class Forms:
    """One account as the networkx reference and its two frozen forms."""

    account: str
    reference: LineageGraph
    memory: FrozenLineageGraph
    cached: FrozenLineageGraph


@pytest.fixture(scope="module", params=["sample", "generated"])
def forms(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Forms]:
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "sample":
        recording = SAMPLE
    else:
        recording = folder / "generated.json"
        synthetic.write_recording(GENERATED, recording)
    path = folder / "lineage.sqlite"
    store.save(load(recording=recording).result, path, source=f"recording {recording.name}")

    reference = _load_uncached(path, frozen=False)
    memory = _load_uncached(path, frozen=True)
    load_counting_writes(path)
    cached, writes = load_counting_writes(path)
    assert writes == 0, "the second load should read the graph cache, not write it"

    yield Forms(request.param, reference.graph, memory.graph, cached.graph)

    for loaded in (reference, memory, cached):
        assert loaded.store is not None
        loaded.store.close()


@pytest.fixture(scope="module")
def misspelt(forms: Forms) -> dict[str, list[str]]:
    """Names no node has, each with the suggestions of the reference graph.

    suggest() compares the text with every name of the graph, so the reference's suggestions
    are computed once per account.
    """
    return {text: forms.reference.suggest(text) for text in _misspelt_names(forms.reference)}


@pytest.fixture(params=FORMS)
def pair(forms: Forms, request: pytest.FixtureRequest) -> tuple[LineageGraph, LineageGraph]:
    """(reference, frozen form) of one account."""
    return forms.reference, getattr(forms, request.param)


# --- the three forms ----------------------------------------------------------------------------


def test_forms_have_expected_types(forms):
    assert type(forms.reference) is LineageGraph
    assert type(forms.memory) is FrozenLineageGraph
    assert type(forms.cached) is FrozenLineageGraph
    assert len(forms.reference) > 200


def test_cached_form_reads_attributes_from_file(forms):
    """A cached graph has no attribute dicts in memory, so its node() builds a new dict."""
    node_id = next(forms.cached.nodes_of_kind(NodeKind.TRAINING_JOB))

    first = forms.cached.node(node_id)
    first["label"] = "changed"

    assert forms.cached.node(node_id) == forms.reference.node(node_id)


# --- nodes ---------------------------------------------------------------------------------------


def test_node_ids_len_and_membership(pair):
    reference, frozen = pair
    ids = list(reference.nx)

    assert len(frozen) == len(reference)
    assert list(frozen.nodes_of_kind(*NodeKind)) == ids
    for node_id in ids:
        assert node_id in frozen, node_id
    assert "s3://no-such-bucket/key" not in frozen
    assert 42 not in frozen
    assert None not in frozen


def test_node_attributes_equal(pair):
    reference, frozen = pair

    for node_id in reference.nx:
        assert frozen.node(node_id) == reference.node(node_id), node_id


def test_kind_agrees_with_node(pair):
    reference, frozen = pair

    for node_id in reference.nx:
        kind = frozen.kind(node_id)
        assert type(kind) is NodeKind, node_id
        assert kind == NodeKind(reference.node(node_id)["kind"]), node_id


def test_attribute_agrees_with_node(pair):
    reference, frozen = pair

    for node_id in reference.nx:
        attrs = reference.node(node_id)
        for name, value in attrs.items():
            assert frozen.attribute(node_id, name, MISSING) == value, (node_id, name)
        for name in BRIEF_ATTRIBUTES:
            if name not in attrs:
                assert frozen.attribute(node_id, name, MISSING) is MISSING, (node_id, name)
        assert frozen.attribute(node_id, "no_such_attribute") is None, node_id
        assert frozen.attribute(node_id, "no_such_attribute", MISSING) is MISSING, node_id


def test_brief_agrees_with_node(pair):
    reference, frozen = pair

    for node_id in reference.nx:
        attrs = reference.node(node_id)
        brief = frozen.brief(node_id)
        for name in ("kind", "label", *BRIEF_ATTRIBUTES):
            assert brief.get(name) == attrs.get(name), (node_id, name)


def test_counts_and_kinds_equal(pair):
    reference, frozen = pair

    assert frozen.counts() == reference.counts()
    for kind in NodeKind:
        assert list(frozen.nodes_of_kind(kind)) == list(reference.nodes_of_kind(kind)), kind
    kinds = (NodeKind.MODEL, NodeKind.ENDPOINT, NodeKind.DATASET)
    assert list(frozen.nodes_of_kind(*kinds)) == list(reference.nodes_of_kind(*kinds))


def test_meta_and_skipped_loops_equal(pair):
    reference, frozen = pair

    assert frozen.meta == reference.meta
    assert frozen.skipped_self_loops == reference.skipped_self_loops


# --- edges ---------------------------------------------------------------------------------------


def test_all_edges_equal_in_order(pair):
    reference, frozen = pair

    assert frozen.number_of_edges() == reference.number_of_edges()
    assert list(frozen.edges()) == list(reference.edges())


def test_edges_of_each_node_equal_in_order(pair):
    reference, frozen = pair

    for node_id in reference.nx:
        assert list(frozen.out_edges(node_id)) == list(reference.out_edges(node_id)), node_id
        assert list(frozen.in_edges(node_id)) == list(reference.in_edges(node_id)), node_id


def test_neighbours_equal_in_order(pair):
    reference, frozen = pair

    for node_id in reference.nx:
        assert frozen.successors(node_id) == reference.successors(node_id), node_id
        assert frozen.predecessors(node_id) == reference.predecessors(node_id), node_id


def test_edge_data_equal(pair):
    reference, frozen = pair

    for node_id in reference.nx:
        for target in reference.successors(node_id):
            expected = reference.edge_data(node_id, target)
            assert expected
            assert frozen.edge_data(node_id, target) == expected, (node_id, target)
        for source in reference.predecessors(node_id):
            expected = reference.edge_data(node_id, source)
            assert frozen.edge_data(node_id, source) == expected, (node_id, source)
        assert frozen.edge_data(node_id, "s3://no-such-bucket/key") == []
        assert frozen.edge_data("s3://no-such-bucket/key", node_id) == []


def test_edges_among_equal(pair):
    reference, frozen = pair
    ids = list(reference.nx)

    for node_id in _spread(ids, 60):
        members = list(reference.neighbourhood(node_id, 2))
        # The result is ordered by source id, whatever order the ids come in, and unknown
        # ids are ignored.
        for order in (members, members[::-1], [*members, "s3://no-such-bucket/key"]):
            assert list(frozen.edges_among(order)) == list(reference.edges_among(order)), node_id
    assert list(frozen.edges_among(ids)) == list(reference.edges_among(ids))
    assert list(frozen.edges_among([])) == []


# --- traversal -----------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [None, 0, 1, 2])
def test_upstream_downstream_equal_in_order(pair, depth):
    reference, frozen = pair

    for node_id in reference.nx:
        expected_up = list(reference.upstream(node_id, depth).items())
        expected_down = list(reference.downstream(node_id, depth).items())
        assert list(frozen.upstream(node_id, depth).items()) == expected_up, node_id
        assert list(frozen.downstream(node_id, depth).items()) == expected_down, node_id


@pytest.mark.parametrize("direction", ["up", "down", "both"])
@pytest.mark.parametrize("depth", [None, 1])
def test_neighbourhood_equal_in_order(pair, direction, depth):
    reference, frozen = pair

    for node_id in reference.nx:
        expected = list(reference.neighbourhood(node_id, depth, direction).items())
        assert list(frozen.neighbourhood(node_id, depth, direction).items()) == expected, node_id


def test_walks_reach_far(pair):
    """The account is deep enough for the walk comparisons to mean something."""
    reference, frozen = pair

    longest = max(max(frozen.upstream(node_id).values()) for node_id in reference.nx)

    assert longest >= 4


def test_subgraph_content_equal(pair):
    reference, frozen = pair
    ids = list(reference.nx)

    for node_id in _spread(ids, 40):
        members = list(reference.neighbourhood(node_id, 2))
        assert_same_graph(frozen.subgraph(members), reference.subgraph(members))

    whole = frozen.subgraph(ids)
    assert type(whole) is LineageGraph
    assert_same_graph(whole, reference)
    assert list(whole.nx) == ids
    for node_id in ids:
        assert list(whole.out_edges(node_id)) == list(reference.out_edges(node_id)), node_id


def test_subgraph_is_changeable_copy(pair):
    reference, frozen = pair
    node_id = next(iter(reference.nx))

    view = frozen.subgraph([node_id])
    view.add_node("s3://extra-bucket/key", NodeKind.DATASET, "key")
    view.add_edge(node_id, "s3://extra-bucket/key", Relation.REFERS_TO)

    assert "s3://extra-bucket/key" not in frozen
    assert frozen.number_of_edges() == reference.number_of_edges()


# --- lookup by id, ARN and name ------------------------------------------------------------------


def test_find_by_id_and_label_equal(pair):
    reference, frozen = pair
    orders: list[list[NodeKind] | None] = [None, list(TRACE_KIND_ORDER), list(NodeKind)[::-1]]

    for node_id in reference.nx:
        label = str(reference.node(node_id)["label"])
        assert frozen.find(node_id) == node_id
        for kinds in orders:
            assert frozen.find(label, kinds) == reference.find(label, kinds), (label, kinds)
        for text in (label.upper(), label.swapcase()):
            assert frozen.find(text) == reference.find(text), text


def test_find_arn_in_other_case_equal(pair):
    reference, frozen = pair
    arns = [node_id for node_id in reference.nx if is_arn(node_id)]
    assert arns

    for arn in arns:
        prefix, _, name = arn.rpartition("/")
        for text in (arn.upper(), arn.swapcase(), f"{prefix}/{name.upper()}"):
            assert reference.find(text) == arn, text
            assert frozen.find(text) == arn, text
        # The resource name alone finds the node too (or a same-named node ranked before it).
        assert frozen.find(name.upper()) == reference.find(name.upper()), name


def test_suggest_for_misspelt_names_equal(pair, misspelt):
    _, frozen = pair

    for text, expected in misspelt.items():
        assert frozen.suggest(text) == expected, text
    for text, expected in list(misspelt.items())[:4]:
        assert frozen.suggest(text, limit=2) == expected[:2], text

    assert sum(bool(expected) for expected in misspelt.values()) > 5


def test_suggest_for_name_parts_equal(pair):
    reference, frozen = pair

    for text in ("churn", "xgboost", "train", "config", "arn:aws:sagemaker", "s3://"):
        assert frozen.suggest(text) == reference.suggest(text), text


def test_unknown_name_raises_with_same_suggestions(pair, misspelt):
    reference, frozen = pair

    for text, expected in list(misspelt.items())[::3]:
        with pytest.raises(NodeNotFoundError) as raised:
            frozen.resolve(text)
        assert raised.value.query == text
        assert raised.value.suggestions == expected, text
        assert str(raised.value) == str(NodeNotFoundError(text, expected))

    text = next(iter(misspelt))
    with pytest.raises(NodeNotFoundError) as raised:
        reference.resolve(text)
    assert raised.value.suggestions == misspelt[text]


@pytest.mark.parametrize("read", ["node", "attribute", "upstream", "downstream"])
def test_unknown_node_raises_node_not_found(pair, read):
    reference, frozen = pair
    text = _misspelt_names(reference)[0]
    calls = {
        "node": lambda graph: graph.node(text),
        "attribute": lambda graph: graph.attribute(text, "status"),
        "upstream": lambda graph: graph.upstream(text),
        "downstream": lambda graph: graph.downstream(text),
    }

    with pytest.raises(NodeNotFoundError) as expected:
        calls[read](reference)
    with pytest.raises(NodeNotFoundError) as raised:
        calls[read](frozen)

    assert raised.value.suggestions == expected.value.suggestions
    assert raised.value.suggestions


# --- read-only -----------------------------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
def test_frozen_graph_rejects_changes(forms, form):
    frozen = getattr(forms, form)
    node_id = next(iter(forms.reference.nx))
    other = list(forms.reference.nx)[1]
    size, edges = len(frozen), frozen.number_of_edges()

    with pytest.raises(TypeError, match="read-only"):
        frozen.add_node("s3://extra-bucket/key", NodeKind.DATASET, "key")
    with pytest.raises(TypeError, match="read-only"):
        frozen.add_node(node_id, forms.reference.kind(node_id), "renamed")
    with pytest.raises(TypeError, match="read-only"):
        frozen.add_edge(node_id, other, Relation.REFERS_TO)
    with pytest.raises(TypeError, match="read-only"):
        frozen.add_edges([(node_id, other, Relation.REFERS_TO, {})])

    assert len(frozen) == size
    assert frozen.number_of_edges() == edges
    assert frozen.node(node_id)["label"] == forms.reference.node(node_id)["label"]


# --- queries -------------------------------------------------------------------------------------


@pytest.mark.parametrize("direction", ["up", "down", "both"])
@pytest.mark.parametrize("depth", [None, 1])
def test_trace_equal_on_three_forms(forms, direction, depth):
    ids = list(forms.reference.nx)

    for node_id in _spread(ids, 80):
        expected = trace(forms.reference, node_id, direction, depth).to_dict()
        for form in FORMS:
            result = trace(getattr(forms, form), node_id, direction, depth).to_dict()
            assert result == expected, (form, node_id)


def test_trace_by_name_equal_on_three_forms(forms):
    for node_id in _spread(list(forms.reference.nx), 40):
        label = str(forms.reference.node(node_id)["label"]).upper()
        expected = trace(forms.reference, label).to_dict()
        for form in FORMS:
            assert trace(getattr(forms, form), label).to_dict() == expected, (form, label)


def test_endpoint_trace_equal_on_three_forms(forms):
    endpoints = list(forms.reference.nodes_of_kind(NodeKind.ENDPOINT))
    assert endpoints

    for endpoint in endpoints:
        expected = endpoint_trace(forms.reference, endpoint).to_dict()
        for form in FORMS:
            assert endpoint_trace(getattr(forms, form), endpoint).to_dict() == expected, form


def test_impact_equal_on_three_forms(forms):
    uris = _impact_queries(forms.reference)
    found = 0

    for uri in uris:
        expected = impact(forms.reference, uri).to_dict()
        found += bool(expected["hits"])
        for form in FORMS:
            assert impact(getattr(forms, form), uri).to_dict() == expected, (form, uri)

    assert found > len(uris) // 2


# --- pickling ------------------------------------------------------------------------------------


def test_pickled_frozen_graph_equal(forms):
    original = forms.memory

    copy = pickle.loads(pickle.dumps(original, protocol=pickle.HIGHEST_PROTOCOL))

    assert type(copy) is FrozenLineageGraph
    assert copy is not original
    assert len(copy) == len(original)
    assert list(copy.nodes_of_kind(*NodeKind)) == list(original.nodes_of_kind(*NodeKind))
    assert list(copy.edges()) == list(original.edges())
    assert copy.meta == original.meta
    assert copy.skipped_self_loops == original.skipped_self_loops
    assert copy.counts() == original.counts()
    for node_id in original.nodes_of_kind(*NodeKind):
        label = str(original.node(node_id)["label"])
        assert copy.node(node_id) == original.node(node_id), node_id
        assert dict(copy.brief(node_id)) == dict(original.brief(node_id)), node_id
        assert list(copy.in_edges(node_id)) == list(original.in_edges(node_id)), node_id
        assert copy.upstream(node_id) == original.upstream(node_id), node_id
        assert list(copy.downstream(node_id).items()) == list(original.downstream(node_id).items())
        assert copy.find(label.upper()) == original.find(label.upper()), label


# --- cache pruning -------------------------------------------------------------------------------


@pytest.fixture()
def three_snapshots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A SQLite store with snapshots 1 to 3, and room for two cached graphs."""
    monkeypatch.setattr(graphcache, "MAX_CACHED_SNAPSHOTS", 2)
    path = tmp_path / "lineage.sqlite"
    for name in ("account-before.json", "account-after.json", "account-before.json"):
        store.save(load(recording=SAMPLE_DIR / name).result, path, source=f"recording {name}")
    return path


def test_prune_keeps_two_latest_caches(three_snapshots):
    path = three_snapshots

    _close(load(db=path, as_of=1))
    _set_ages(path, {1: 120})
    _close(load(db=path, as_of=2))
    assert cache_files(path) == [graphcache.cache_path(path, 1), graphcache.cache_path(path, 2)]
    _set_ages(path, {1: 120, 2: 60})
    _close(load(db=path, as_of=3))

    assert cache_files(path) == [graphcache.cache_path(path, 2), graphcache.cache_path(path, 3)]


def test_reading_cache_keeps_it_from_pruning(three_snapshots):
    path = three_snapshots
    _close(load(db=path, as_of=1))
    _close(load(db=path, as_of=2))
    _set_ages(path, {1: 120, 2: 60})
    first = graphcache.cache_path(path, 1)
    old_time = first.stat().st_mtime

    # Snapshot 1 is read from its cache, which makes it the most recently used.
    again, writes = load_counting_writes(path, as_of=1)
    _close(again)
    assert writes == 0
    assert first.stat().st_mtime > old_time
    _close(load(db=path, as_of=3))

    assert cache_files(path) == [first, graphcache.cache_path(path, 3)]


def test_pruned_snapshot_builds_again(three_snapshots):
    path = three_snapshots
    _close(load(db=path, as_of=1))
    _close(load(db=path, as_of=2))
    _set_ages(path, {1: 120, 2: 60})
    _close(load(db=path, as_of=3))
    assert not graphcache.cache_path(path, 1).exists()
    _set_ages(path, {2: 120, 3: 60})

    again, writes = load_counting_writes(path, as_of=1)
    _close(again)

    assert writes == 1
    assert cache_files(path) == [graphcache.cache_path(path, 1), graphcache.cache_path(path, 3)]


# --- helpers -------------------------------------------------------------------------------------


def _load_uncached(path: Path, frozen: bool) -> Loaded:
    """Load the newest snapshot with the graph cache off, frozen or as built in networkx."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(graphcache, "read_graph", lambda *args: None)
        patch.setattr(graphcache, "write_graph", lambda *args: None)
        if not frozen:
            patch.setattr(build, "freeze", lambda graph: graph)
        return load(db=path)


def _close(loaded: Loaded) -> None:
    assert loaded.store is not None
    loaded.store.close()


def _set_ages(path: Path, ages: dict[int, int]) -> None:
    """Set the modification time of each snapshot's cache to `ages[id]` seconds ago.

    Loads a few milliseconds apart can leave two caches with the same file time, so the
    tests set the order of use explicitly.
    """
    now = time.time()
    for snapshot_id, age in ages.items():
        os.utime(graphcache.cache_path(path, snapshot_id), (now - age, now - age))


def _spread(items: list[str], count: int) -> list[str]:
    """Return about `count` items spread evenly over `items`, first and last included."""
    if len(items) <= count:
        return list(items)
    step = (len(items) - 1) / (count - 1)
    return list(dict.fromkeys(items[round(index * step)] for index in range(count)))


def _misspelt_names(graph: LineageGraph) -> list[str]:
    """Return names one edit away from node labels and ARNs, none of which names a node."""
    labels = [str(graph.node(node_id)["label"]) for node_id in graph.nx]
    arns = [node_id for node_id in graph.nx if is_arn(node_id)]
    texts = []
    for name in _spread(labels, 5) + _spread(arns, 2):
        middle = len(name) // 2
        texts.append(name[:middle] + name[middle + 1:])
        texts.append(name[:-1] + ("x" if name[-1] != "x" else "y"))
    texts.append("completely-unrelated-name")
    return [text for text in dict.fromkeys(texts) if graph.find(text) is None]


def _impact_queries(graph: LineageGraph) -> list[str]:
    """Return S3 locations to query: node URIs spread over the graph, and their buckets."""
    uris = []
    for node_id in graph.nodes_of_kind(NodeKind.DATASET, NodeKind.ARTIFACT):
        uri = graph.attribute(node_id, "uri") or node_id
        if isinstance(uri, str) and uri.startswith("s3://"):
            uris.append(uri)
    buckets = sorted({"s3://" + uri[len("s3://"):].split("/", 1)[0] + "/" for uri in uris})
    return _spread(sorted(set(uris)), 40) + buckets

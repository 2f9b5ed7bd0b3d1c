"""SageMaker lineage explorer: crawl an account, build a lineage graph, query and render it."""

__version__ = "0.1.0"

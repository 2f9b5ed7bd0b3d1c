"""SageMaker Search semantics over crawled records, a text form for it, and suggestions.

`search(source, request)` answers the same dict a user passes to boto3's `sagemaker.search()`
and returns a dict shaped like its response. Rules that the API reference leaves open are
fixed here:

- A property with several values (a path through a list) matches when one value matches;
  NotEquals holds when no value equals the filter's Value, so records without the property
  match NotEquals.
- Exists holds when the path reaches a value that is not null, an empty list or an empty map,
  so `Tags` does not exist on a job with `Tags: []`. A filter with neither Operator nor Value
  means Exists; a Value without an Operator means Equals.
- Equals, Contains and In compare text case-sensitively. In splits its Value on commas and
  trims spaces around each item.
- Hyperparameters compare as numbers when both sides are numbers (after removing the JSON
  quoting the SageMaker SDK adds); when the filter's Value is an integer, a decimal
  hyperparameter is truncated toward zero first, as the API reference describes.
- Timestamps compare with ISO 8601 values (UTC unless an offset is given) or POSIX seconds.
- SortBy accepts any property; records without it come last in either order. A list property
  sorts by its smallest value ascending and its largest descending. Ties keep crawl order.
- NextToken encodes the offset and a fingerprint of Resource, SearchExpression, SortBy and
  SortOrder; a token from another search is rejected.
"""

from lineage.search.engine import SearchIndex, search
from lineage.search.expression import Operator
from lineage.search.parser import ParsedQuery, SearchSyntaxError, format_expression, parse_query
from lineage.search.properties import RESOURCE_KINDS, PropertyType
from lineage.search.suggest import get_search_suggestions, suggest

__all__ = [
    "RESOURCE_KINDS",
    "Operator",
    "ParsedQuery",
    "PropertyType",
    "SearchIndex",
    "SearchSyntaxError",
    "format_expression",
    "get_search_suggestions",
    "parse_query",
    "search",
    "suggest",
]

"""Parameters shared by the API's routes: the label's scheme, and every integer (index, tree size, version, limit).

``LabelScheme`` is the ``scheme`` query parameter of every route taking a label id: label ids are unique per
scheme only, so an id held by two or more schemes without it is a 409 ``label.ambiguous`` naming them.

An integer: a route declares one as ``Annotated[int, Query(), Bounded(1, 100)]`` (or ``Path()``). The value is parsed by
:func:`ledger.tables.bounded_int` — ASCII digits only, ``0 <= n < 2**63`` unless narrower — the parser the
pages and the CLI use too, before the route runs: a number no 64-bit column holds never reaches a query. A value
that is not such a number is a 422 ``request.invalid`` naming the parameter in ``field`` (``path/index``,
``query/size``), like any other malformed parameter; a number in range the log does not hold is the route's own
404 (``log.no_such_entry``, ``log.no_such_size``, ``dataset.unknown_version``, …).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

from mapping.errors import InputError

from ..tables import INT64_MAX, bounded_int

__all__ = ["INT64_MAX", "Bounded", "BundleVersion", "LabelScheme"]

LabelScheme = Annotated[
    str | None,
    Query(
        description="The label's scheme. Label ids are unique per scheme only: an id held by two or more schemes "
        "needs it (409 label.ambiguous otherwise), and with it only that scheme's label is ever answered."
    ),
]


@dataclass(frozen=True)
class Bounded:
    """Annotation metadata: an integer parameter in ``[minimum, maximum]`` (default ``0 <= n < 2**63``)."""

    minimum: int = 0
    maximum: int = INT64_MAX

    def __post_init__(self) -> None:
        assert 0 <= self.minimum <= self.maximum <= INT64_MAX  # a route's annotation, in the source: never sent

    def parse(self, value: object) -> Any:
        if value is None:  # an optional parameter's None (never sent by a client: query values are strings)
            return None
        try:
            return bounded_int(value, minimum=self.minimum, maximum=self.maximum)
        except InputError as e:
            raise PydanticCustomError(e.code, e.message) from None

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        # The parser decides; what follows it (the int schema of ``source``) only sees ints it accepted.
        return core_schema.no_info_before_validator_function(self.parse, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> Any:
        out = handler(schema)
        target = handler.resolve_ref_schema(out)
        for option in target.get("anyOf", [target]):  # ``int | None``: the integer branch
            if option.get("type") == "integer":
                option.update(minimum=self.minimum, maximum=self.maximum)
        return out


BundleVersion = Annotated[
    int | None,
    Query(
        description="The bundle version: 1 (entries and inclusion proofs) or 2 (with status map proofs); "
        "default the log's (ledger.bundles.DEFAULT_BUNDLE_VERSION)"
    ),
    Bounded(1, 2),
]

"""Label records for the mapping tests, built from the realistic Midea record (helpers; no tests here)."""

from __future__ import annotations

import copy
from typing import Any

from .helpers import midea_label


def with_footprint(**changes: Any) -> dict[str, Any]:
    """The Midea label with footprint members replaced (None deletes a member)."""
    label = copy.deepcopy(midea_label())
    for key, value in changes.items():
        if value is None:
            label["footprint"].pop(key, None)
        else:
            label["footprint"][key] = value
    return label


def simple_label(
    total: str,
    stages: dict[str, Any] | None,
    *,
    boundary: str = "cradle-to-grave",
    gwp: list[str] | None = None,
    unit: str = "piece",
    mass: str | None = "1",
    electricity: list[dict[str, Any]] | None = None,
    including: str | None = None,
) -> dict[str, Any]:
    """A label with the given total and stage breakdown (other fields from the Midea record)."""
    changes: dict[str, Any] = {
        "pcf": {"value": total, "unit": "kgCO2e"},
        "pcfExcludingBiogenicUptake": total,
        "pcfIncludingBiogenicUptake": including if including is not None else total,
        "boundary": boundary,
        "ipccCharacterizationFactors": gwp or ["AR5"],
        "declaredUnitOfMeasurement": unit,
        "declaredUnitAmount": "1",
        "productMassPerDeclaredUnit": mass,
        "stages": stages,
        "electricity": electricity,
    }
    return with_footprint(**changes)

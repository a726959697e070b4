"""mapping.diff: the same dimensions both ways, classes from the taxonomy, unspecified never identical, and the
asymmetric cases of schemes.md §4 (grave → gate is a trim; gate → grave is not)."""

from __future__ import annotations

import itertools
import json

import pytest

import mapping
from mapping import DimensionDiff
from mapping.differ import CLASSES
from mapping.profiles import DIMENSIONS, get_profile, list_profiles

IDS = sorted({p.id for p in list_profiles()})
PAIRS = list(itertools.combinations(IDS, 2))


def _by_dim(a: str, b: str) -> dict[str, DimensionDiff]:
    return {d.dimension: d for d in mapping.diff(get_profile(a), get_profile(b))}


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_same_dimensions_both_ways_and_valid_classes(a: str, b: str) -> None:
    ab, ba = mapping.diff(a, b), mapping.diff(b, a)
    assert [d.dimension for d in ab] == [d.dimension for d in ba] == list(DIMENSIONS)
    pa, pb = get_profile(a), get_profile(b)
    for d in ab + ba:
        assert d.cls in CLASSES and d.reason and "\n" not in d.reason
        out = d.to_dict()
        assert list(out) == ["dimension", "class", "reason", "a", "b", "conversion", "needs"]
        if d.cls == "convertible":
            assert d.conversion is not None and d.needs
    for d in ab:
        va, vb = pa.dimension(d.dimension).value, pb.dimension(d.dimension).value
        assert (d.a, d.b) == (va, vb)
        if "unspecified" in (va, vb):
            assert d.cls != "identical"


@pytest.mark.parametrize("pid", IDS)
def test_a_profile_against_itself(pid: str) -> None:
    p = get_profile(pid)
    for d in mapping.diff(p, p):
        if "unspecified" in json.dumps(p.dimension(d.dimension).value):  # also a nested unspecified level
            assert d.cls == "needs_agreement"
        else:
            assert d.cls == "identical", (pid, d)


def test_grave_to_gate_is_a_trim_and_gate_to_grave_is_not() -> None:
    there = _by_dim("gd-carbon-label", "pact-v3")["boundary"]
    assert (there.cls, there.conversion) == ("convertible", "boundary-trim")
    assert "/footprint/stages" in there.needs
    back = _by_dim("pact-v3", "gd-carbon-label")["boundary"]
    assert back.cls == "needs_agreement" and back.conversion == "boundary-extend"


def test_gwp_sets() -> None:
    d = _by_dim("gd-carbon-label", "pact-v3")["gwp_sets"]
    assert d.cls == "needs_agreement" and "unspecified" in d.reason
    # ISO 14067's "latest IPCC values" depends on the footprint's date (issue 20): not identical to a fixed AR6
    iso = _by_dim("iso14067-2018", "pact-v3")["gwp_sets"]
    assert iso.cls == "convertible" and "/issued_at" in iso.needs
    ef = _by_dim("pact-v3", "eu-pef-ef31")["gwp_sets"]
    assert ef.cls == "needs_agreement" and "EF" in ef.reason


def test_classes_that_depend_on_direction() -> None:
    # PEF's CFF is normative: ISO labels carry no inventory to re-allocate; the other way round needs agreement
    assert _by_dim("iso14067-2018", "eu-pef-ef31")["allocation"].cls == "incompatible"
    assert _by_dim("eu-pef-ef31", "iso14067-2018")["allocation"].cls == "needs_agreement"
    # validity: Carbon Trust 2 years from issue into PACT 3 years from reference end
    v = _by_dim("iso14067-2018", "pact-v3")["validity"]
    assert (v.cls, v.conversion) == ("convertible", "validity-cap")
    assert _by_dim("pact-v3", "iso14067-2018")["validity"].cls == "identical"
    # piece labels into a kg-only unit are convertible given the mass; battery kWh implies performance
    assert _by_dim("pact-v3", "eu-battery-cfb")["declared_unit"].cls == "needs_agreement"
    # claim types: Carbon Trust reduction and neutral claims are not footprint numbers
    assert _by_dim("carbontrust-label", "pact-v3")["claim_types"].cls == "needs_agreement"
    assert _by_dim("pact-v3", "carbontrust-label")["claim_types"].cls == "identical"


def test_mapping_is_pure_and_exports_honestly() -> None:
    import subprocess
    import sys

    code = (
        "import sys, mapping, mapping.conversions, mapping.planner, mapping.differ, mapping.profiles, mapping.gwp;"
        "mapping.diff('pact-v3', 'gd-carbon-label');"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('verifier', 'ledger', 'cli')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"
    assert mapping.__all__ == ["DimensionDiff", "diff"]
    assert all(callable(getattr(mapping, n)) for n in mapping.__all__)

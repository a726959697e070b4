"""A label record as a WBCSD PACT v3 ``ProductFootprint`` (pure: the log's facts arrive in :class:`Hosting`).

The mapping is the table of ``docs/pact-mapping.md``. Numbers are never derived: a value PACT requires
(``fossilGhgEmissions``, ``fossilCarbonContent``, ``biogenicCarbonContent``, ``productMassPerDeclaredUnit``,
``exemptedEmissionsPercent``) that the label does not state refuses the export, naming every such field at
once. Names and identifiers are derived only where the label states them exactly (a GTIN becomes
``urn:gtin:…``, a UN CPC category ``urn:pact:productclassification:un-cpc:…``, ``ISO 14067:2018`` becomes
``ISO14067``). A GWP set PACT cannot name (AR5 with climate-carbon feedback, EF 3.0, EF 3.1) refuses: PACT's
``AR5`` would be read as AR5 without feedback, which is another set of values.

Every member written is one PACT v3's schema defines (tests/test_pact_members.py walks each export against
it), with one exception kept for now: ``version`` (always 1), which a draft of v3 deprecated and v3 as released
no longer defines. Label fields v3 has no member for are not written (:data:`~mapping.pact_members.LABEL_ONLY_PCF`:
``uncertifiedLandManagementCO2Removals`` and ``biogenicAccountingMethodology``, members of the v3 draft only;
``otherOperatorName`` goes into the one ``Other`` rule that names no operator); the draft's ``ccuOrigin`` is
written under its v3 name, ``technologicalCO2CaptureOrigin``. The v3 members an import carried in the label's
members extension go back into ``pcf`` (checked, never as an extension).

Beyond PACT, the footprint carries the label's ledger proof as a data model extension (:func:`proof_extension`);
a client that ignores ``extensions`` still holds a valid footprint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .pact_fields import (
    GEOGRAPHY_FIELDS,
    PACT_GWP_SETS,
    PROOF_EXTENSION_SPEC_VERSION,
    SPEC_VERSION,
    day_end_instant,
    day_instant,
    footprint_id,
    refuse,
    urn_part,
)
from .pact_members import CARRIED_DECIMALS, CARRIED_TEXTS, DQI_KEYS, EXTENSION_CARRIED, MEMBERS_EXTENSION_SCHEMA
from .pact_values import boolean, decimal, pointer, text

__all__ = ["PROOF_EXTENSION_NAME", "Hosting", "ProofLinks", "export_footprint", "proof_extension"]

PROOF_EXTENSION_NAME = "carbonledger-proof"

# The label's own DQR names (schemes' data quality ratings) and the PACT name each is.
_DQI_NAMES = {"technological": "technologicalDQR", "temporal": "temporalDQR", "geographical": "geographicalDQR"}
# methodology.standards texts naming a standard of PACT's enumeration exactly (prefix, then PACT's name).
_STANDARD_PREFIXES = (
    ("ISO 14067", "ISO14067"),
    ("ISO 14083", "ISO14083"),
    ("ISO 14040", "ISO14040-44"),
    ("ISO 14044", "ISO14040-44"),
    ("GHG Protocol Product", "GHGP-Product"),
    ("PACT Methodology 3", "PACT-3.0"),
    ("PACT Methodology 2", "PACT-2.0"),
    ("PACT Methodology 1", "PACT-1.0"),
)
# Where a version 1 label put a value PACT names at the footprint's top level (label v2 puts it there).
_BIOGENIC_PLACES = {
    "biogenicCarbonContent": "biogenicCarbonContent",
    "landUseChangeGhgEmissions": "dlucGhgEmissions",
    "landCarbonLeakage": "ilucGhgEmissions",
    "landManagementFossilGhgEmissions": "landManagementFossilGhgEmissions",
    "landManagementBiogenicCO2Emissions": "landManagementBiogenicCO2Emissions",
    "landManagementBiogenicCO2Removals": "landManagementBiogenicCO2Removals",
    "biogenicNonCO2Emissions": "biogenicNonCO2Emissions",
    "biogenicCO2Uptake": "biogenicCO2Uptake",
}
_REQUIRED_DECIMALS = ("fossilGhgEmissions", "fossilCarbonContent", "biogenicCarbonContent")


@dataclass(frozen=True)
class ProofLinks:
    """Where the label sits in the log and where a client fetches its proof (absolute URLs)."""

    origin: str
    index: int
    tree_size: int
    checkpoint: str
    bundle_url: str
    status_url: str
    schema_url: str
    label_id: str
    scheme: str


@dataclass(frozen=True)
class Hosting:
    """What the log knows of a label: its entry id, when it was logged, whether it is still the current one."""

    entry_id: str
    created: str
    deprecated: bool = False
    preceding_entry_ids: tuple[str, ...] = ()
    proof: ProofLinks | None = None


def proof_extension(entry_id: str, links: ProofLinks) -> dict[str, Any]:
    """Requires the label's entry id and its links. The PACT data model extension holding the ledger proof."""
    return {
        "specVersion": PROOF_EXTENSION_SPEC_VERSION,
        "dataSchema": links.schema_url,
        "data": {
            "entryId": entry_id,
            "labelId": links.label_id,
            "scheme": links.scheme,
            "logOrigin": links.origin,
            "logIndex": links.index,
            "treeSize": links.tree_size,
            "checkpoint": links.checkpoint,
            "bundle": links.bundle_url,
            "status": links.status_url,
        },
    }


def export_footprint(label: dict[str, Any], hosting: Hosting) -> dict[str, Any]:
    """Requires a schema-valid label record. Its PACT v3 ProductFootprint (``pact.*`` errors name the field)."""
    product, fp, meth = label["product"], label["footprint"], label["methodology"]
    maker = product["manufacturer"]
    missing: list[str] = []
    out: dict[str, Any] = {
        "id": footprint_id(hosting.entry_id),
        "specVersion": SPEC_VERSION,
        # Not a v3 member (the draft deprecated it, "MUST be 1"; v3 as released dropped it): still written for
        # now, as tests/pact_schema.py requires it. Every change makes a new id, so it stays 1.
        "version": 1,
        "created": hosting.created,
        "status": "Deprecated" if hosting.deprecated else "Active",
    }
    if hosting.preceding_entry_ids:
        out["precedingPfIds"] = [footprint_id(e) for e in hosting.preceding_entry_ids]
    out["validityPeriodStart"] = label.get("validityPeriodStart") or day_instant(label["issued_at"])
    out["validityPeriodEnd"] = label.get("validityPeriodEnd") or day_end_instant(label["valid_until"])
    out["companyName"] = maker["name"]
    out["companyIds"] = maker.get("companyIds") or _company_urns(label)
    out["productDescription"] = product.get("description", "")
    out["productIds"] = product.get("productIds") or _product_urns(label)
    classes = product.get("productClassifications") or _classification_urns(product["category"])
    if classes:
        out["productClassifications"] = classes
    out["productNameCompany"] = product["name"]
    if "comment" in label:
        out["comment"] = label["comment"]
    out["pcf"] = _pcf(label, fp, meth, missing)
    _restore_members(out["pcf"], label)
    if missing:
        raise refuse(
            missing[0],
            "PACT requires " + ", ".join(missing) + ", which the label does not state (no number is derived)",
            "pact.missing_field",
        )
    extensions = [e for e in label.get("pactExtensions", []) if e["dataSchema"] != MEMBERS_EXTENSION_SCHEMA]
    if hosting.proof is not None:
        extensions.append(proof_extension(hosting.entry_id, hosting.proof))
    if extensions:
        out["extensions"] = extensions
    return out


def _pcf(label: dict[str, Any], fp: dict[str, Any], meth: dict[str, Any], missing: list[str]) -> dict[str, Any]:
    bio = fp.get("biogenic", {})
    pcf: dict[str, Any] = {"declaredUnitOfMeasurement": fp["declaredUnitOfMeasurement"]}
    if fp["declaredUnitAmount"].strip("0.") == "":
        raise refuse("/footprint/declaredUnitAmount", "PACT's declaredUnitAmount must be greater than 0")
    pcf["declaredUnitAmount"] = fp["declaredUnitAmount"]
    _take(pcf, fp, "productMassPerDeclaredUnit", missing)
    pcf["referencePeriodStart"] = day_instant(fp["referencePeriodStart"])
    pcf["referencePeriodEnd"] = day_end_instant(fp["referencePeriodEnd"])
    geography = {k: fp[k] for k in GEOGRAPHY_FIELDS if k in fp}
    site = label["product"].get("production_site")
    if not geography and site:  # the label's production country is the footprint's geography
        geography = {"geographyCountry": site["country"]}
    pcf.update(geography)
    # PACT v3 names the totals as the label does (CarbonFootprint.required; not the draft's "...CO2Withdrawal").
    pcf["pcfExcludingBiogenicUptake"] = fp["pcfExcludingBiogenicUptake"]
    pcf["pcfIncludingBiogenicUptake"] = fp["pcfIncludingBiogenicUptake"]
    for name in CARRIED_DECIMALS:
        value = _value(fp, bio, name, name)
        if value is not None:
            pcf[name] = value
        elif name in _REQUIRED_DECIMALS:
            missing.append(f"/footprint/{name}")
    uptake = _value(fp, bio, "biogenicCO2Uptake", "biogenicCO2Uptake")
    if uptake is not None:
        pcf["biogenicCO2Uptake"] = uptake
    if "packagingEmissionsIncluded" in fp:
        pcf["packagingEmissionsIncluded"] = fp["packagingEmissionsIncluded"]
    pcf["ipccCharacterizationFactors"] = _gwp_sets(fp["ipccCharacterizationFactors"])
    standards = meth.get("crossSectoralStandards") or _standards(meth["standards"])
    if standards:
        pcf["crossSectoralStandards"] = standards
    else:  # no text of methodology.standards names one of PACT's standards exactly
        missing.append("/methodology/crossSectoralStandards")
    rules = meth.get("productOrSectorSpecificRules")
    if rules is None and "pcr" in meth:
        rules = [{"operator": "Other", "ruleNames": [meth["pcr"]]}]
    if rules:
        pcf["productOrSectorSpecificRules"] = _with_operator_name(rules, fp.get("otherOperatorName"))
    for name in CARRIED_TEXTS:
        if name in fp:
            pcf[name] = fp[name]
    if "ccuOrigin" in fp:  # the draft's name of v3's technologicalCO2CaptureOrigin (DRAFT_NAMES)
        pcf["technologicalCO2CaptureOrigin"] = fp["ccuOrigin"]
    if "allocationRulesDescription" not in pcf and "description" in fp.get("allocation", {}):
        pcf["allocationRulesDescription"] = fp["allocation"]["description"]
    if "secondaryEmissionFactorSources" in fp:
        pcf["secondaryEmissionFactorSources"] = fp["secondaryEmissionFactorSources"]
    _take(pcf, fp, "exemptedEmissionsPercent", missing)
    if "primaryDataShare" in fp:
        pcf["primaryDataShare"] = fp["primaryDataShare"]
    if "dqi" in fp:
        pcf["dqi"] = _dqi(fp["dqi"])
    verification = _verification(label["verification"])
    if verification is not None:
        pcf["verification"] = verification
    return pcf


def _with_operator_name(rules: list[dict[str, Any]], name: str | None) -> list[dict[str, Any]]:
    """The rules, with a label's ``footprint.otherOperatorName`` (where the spec's example footprints put it) in
    the one ``Other`` rule that names no operator, v3's place for it; with no such rule, or several, v3 has no
    place for it and it is not written."""
    out = [dict(r) for r in rules]
    unnamed = [r for r in out if r["operator"] == "Other" and "otherOperatorName" not in r]
    if name is not None and len(unnamed) == 1:
        unnamed[0]["otherOperatorName"] = name
    return out


def _restore_members(pcf: dict[str, Any], label: dict[str, Any]) -> None:
    """Puts the v3 members the label holds in its members extension back into ``pcf``, checked: only
    :data:`EXTENSION_CARRIED` members, each a valid v3 value, none stated twice."""
    for i, ext in enumerate(label.get("pactExtensions", [])):
        if ext["dataSchema"] != MEMBERS_EXTENSION_SCHEMA:
            continue
        at = f"/pactExtensions/{i}/data"
        members = ext["data"].get("pcf")
        if set(ext["data"]) != {"pcf"} or not isinstance(members, dict):
            raise refuse(at, "a members extension holds one object, pcf, of v3 CarbonFootprint members")
        for name in members:
            if name not in EXTENSION_CARRIED or name in pcf:
                why = "is stated twice" if name in pcf else "is no member the members extension holds"
                raise refuse(pointer(f"{at}/pcf", name), f"{name} {why}")
            pcf[name] = _member(members, name, f"{at}/pcf")


def _member(members: dict[str, Any], name: str, at: str) -> Any:
    if name == "ccsTechnologicalCO2CaptureIncluded":
        return boolean(members, name, at)
    if name == "technologicalCO2CaptureOrigin":
        return text(members, name, at, empty=True)
    return decimal(members, name, at, "nonpos" if name == "ccsTechnologicalCO2Capture" else "nonneg")


def _take(pcf: dict[str, Any], fp: dict[str, Any], name: str, missing: list[str]) -> None:
    if name in fp:
        pcf[name] = fp[name]
    else:
        missing.append(f"/footprint/{name}")


def _value(fp: dict[str, Any], bio: dict[str, Any], name: str, pact: str) -> str | None:
    """The label's value of PACT's ``pact``: at /footprint/<name> (v2) or its v1 place in /footprint/biogenic."""
    top, old = fp.get(name), bio.get(_BIOGENIC_PLACES.get(name, ""))
    if top is not None and old is not None and top != old:
        raise refuse(f"/footprint/{name}", f"states {top} but /footprint/biogenic states {old} for PACT's {pact}")
    value = top if top is not None else old
    return None if value is None else str(value)


def _gwp_sets(sets: list[str]) -> list[str]:
    for i, s in enumerate(sets):
        if s not in PACT_GWP_SETS:
            raise refuse(
                f"/footprint/ipccCharacterizationFactors/{i}",
                f"PACT names IPCC reports only (AR<n>); {s} has no exact PACT equivalent "
                "(AR5 with climate-carbon feedback and the EF 3.x factors differ from AR5's values), "
                "so it is refused rather than reported as another set",
                "pact.gwp_set",
            )
    return list(sets)


def _standards(standards: list[str]) -> list[str]:
    found: list[str] = []
    for stated in standards:
        for prefix, name in _STANDARD_PREFIXES:
            if stated.startswith(prefix) and name not in found:
                found.append(name)
    return found


def _dqi(dqi: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in dqi.items():
        name = _DQI_NAMES.get(key, key)
        if name not in DQI_KEYS:
            raise refuse(f"/footprint/dqi/{key}", f"PACT's dqi has no rating {key!r} (it has {', '.join(DQI_KEYS)})")
        out[name] = value
    absent = [k for k in DQI_KEYS if k not in out]
    if absent:
        raise refuse("/footprint/dqi", f"PACT's dqi needs all three ratings; missing {', '.join(absent)}")
    return out


def _verification(v: dict[str, Any]) -> dict[str, Any] | None:
    if "pact" in v:
        return dict(v["pact"])
    if v["level"] == "none":
        return None
    out: dict[str, Any] = {}
    if "body" in v:
        out["providerName"] = v["body"]["name"]
    if "date" in v:
        out["completedAt"] = day_instant(v["date"])
    if "standard" in v:
        out["standardName"] = v["standard"]
    return out or None


def _company_urns(label: dict[str, Any]) -> list[str]:
    maker = label["product"]["manufacturer"]
    reg = maker.get("registry_id")
    if reg is not None:
        return [f"urn:carbonledger:company-id:{urn_part(reg['system'])}:{urn_part(reg['value'])}"]
    return [f"urn:carbonledger:company:{urn_part(label['scheme'])}:{urn_part(maker['name'])}"]


def _product_urns(label: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for pid in label["product"].get("ids", []):
        if pid["system"] == "gtin":
            out.append(f"urn:gtin:{urn_part(pid['value'])}")
        else:
            out.append(f"urn:carbonledger:product-id:{urn_part(pid['system'])}:{urn_part(pid['value'])}")
    return out or [f"urn:carbonledger:label:{urn_part(label['scheme'])}:{urn_part(label['label_id'])}"]


def _classification_urns(category: dict[str, str]) -> list[str]:
    if category["system"] == "cpc":
        return [f"urn:pact:productclassification:un-cpc:{urn_part(category['code'])}"]
    if category["system"] == "other" and category["code"].lower().startswith("urn:"):
        return [category["code"]]
    return [f"urn:carbonledger:productclassification:{category['system']}:{urn_part(category['code'])}"]

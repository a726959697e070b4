"""Issue 20: "Tiangong-style database releases published as release-digest datasets that labels cite
(``secondaryEmissionFactorSources``)". The demo publishes two illustrative TianGong releases, each a version of the
dataset ``tiangong-lca-data`` listing its files' SHA-256 (ledger/data/datasets/tiangong-lca-data-v*.json); the
Huzhou label names the newest in ``secondaryEmissionFactorSources`` and cites it by its signed entry. The offline
verifier matches that citation, flags a label dated before the release it cites, and is not fooled by a release
digest or a cited entry id with one hex digit changed."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ledger.demo_records import HUZHOU_ID, TIANGONG_DATASET, DatasetEntries, huzhou_record, midea_record
from ledger.home import load_settings, open_log
from ledger.reference_data import REFERENCE_PUBLISHER, shipped_datasets, shipped_releases
from mapping.errors import SchemaError
from verifier import citations, datasets, schemas
from verifier.citations_published import PUBLISHED_AFTER_ISSUE, earliest_publication

from .helpers import Cli
from .test_datasets_reference import _payload

CN, GD, HK = "cn-cnca-cfp-label", "gd-carbon-label", "hk-cma-carbon-label"
RELEASE_FILE = "tiangong-lca-data-2025-tidas-json.zip"


def _one_digit_changed(hex_text: str) -> str:
    return hex_text[:-1] + ("0" if hex_text[-1] != "0" else "1")


def _held_entries(home: Path) -> DatasetEntries:
    """dataset id -> (version, entry id) of the newest version the demo home's log holds, for every shipped one."""
    log = open_log(load_settings(home), precheck_workers=False)
    try:
        ids = {b["id"] for b in [*shipped_datasets(), *shipped_releases()]}
        return {i: (rows[-1].version, rows[-1].entry_id) for i in ids if (rows := log.store.dataset_rows(i))}
    finally:
        log.store.close()


def _verify(cli: Cli, bundle: Path, trust: Path, target: str, *, ok: bool = True) -> dict[str, Any]:
    cp = cli.run("verify", str(bundle), "--trust", str(trust), "--to", target, "--json", ok=ok)
    return json.loads(cp.stdout)


# ---- the shipped release digests ------------------------------------------------------------------------------


def test_the_shipped_releases_are_versions_of_one_dataset_and_say_they_are_illustrative() -> None:
    releases = shipped_releases()
    assert [(b["id"], b["version"]) for b in releases] == [(TIANGONG_DATASET, 1), (TIANGONG_DATASET, 2)]
    assert TIANGONG_DATASET not in {b["id"] for b in shipped_datasets()}  # factor tables only there
    for body in releases:
        schemas.validate("dataset.publish", _payload(body))
        datasets.check_dataset(_payload(body))
        assert "values" not in body and body["release"]["name"] == "Tiangong LCA Data"
        assert "illustrative" in body["title"] and "illustrative" in body["release"]["version"]
        assert body["published"]["source"].startswith("illustrative") and body["published"]["date"] == "unspecified"
        assert "[S55]" in body["description"]  # the one sourced fact: TianGong LCA and its TIDAS / eILCD format
        for f in body["release"]["files"]:
            # the digests cannot pass for a real file's: each is the hash of a sentence saying so
            text = f"illustrative, not a TianGong release file: {f['name']}"
            assert f["sha256"] == hashlib.sha256(text.encode()).hexdigest(), f["name"]


def test_the_huzhou_label_names_the_release_it_cites_and_was_issued_after_it() -> None:
    entries = {b["id"]: (b["version"], f"{i:064x}") for i, b in enumerate([*shipped_datasets(), *shipped_releases()])}
    label = huzhou_record(entries, date(2026, 12, 2))
    [release_cite] = [c for c in label["cites"] if c["dataset"] == TIANGONG_DATASET]
    newest = shipped_releases()[-1]
    assert (release_cite["version"], release_cite["key"]) == (newest["version"], RELEASE_FILE)
    assert label["footprint"]["secondaryEmissionFactorSources"] == [
        {"name": newest["release"]["name"], "version": newest["release"]["version"]}
    ]
    earliest = earliest_publication(newest["published"])
    assert earliest is not None and earliest <= date.fromisoformat(label["issued_at"])
    payload = {"publisher": REFERENCE_PUBLISHER, "dataset": newest}
    result = citations.check_citation(release_cite, payload, "current", label, entry_id=release_cite["entry"])
    assert (result.status, result.value, result.findings) == ("matched", None, ())


# ---- the demo's citation, offline -----------------------------------------------------------------------------


def test_the_demos_tiangong_citation_is_matched_by_the_offline_verifier(tmp_path: Path, copy_demo_home: Any) -> None:
    home = copy_demo_home(tmp_path / "home")
    cli, out = Cli(home), home / "demo-out"
    report = _verify(cli, out / f"{HUZHOU_ID}.bundle.json", out / "trust-cn-buyer.json", CN)
    assert (report["verdict"], report["exit_code"]) == ("authentic_and_valid", 0)
    [release] = [c for c in report["citations"] if c["dataset"] == TIANGONG_DATASET]
    assert (release["status"], release["version"], release["key"]) == ("matched", 2, RELEASE_FILE)
    assert (release["publisher"], release["findings"]) == (REFERENCE_PUBLISHER, [])
    steps = {s["step"]: s for s in report["steps"]}
    assert "citations: 2 matched" in steps[8]["detail"]
    # the log serves the release as published: the file digests a buyer checks a download against
    shown = cli.json("dataset", "show", TIANGONG_DATASET)
    assert shown["release"] == shipped_releases()[-1]["release"]


def test_a_label_citing_a_release_published_after_its_issue_date_is_flagged(
    tmp_path: Path, copy_demo_home: Any
) -> None:
    """The 2024 Midea label (issued 2024-06-28) naming and citing the 2025 release: admission and the verifier flag
    citation.published_after_issue on that citation only, and refuse nothing."""
    home = copy_demo_home(tmp_path / "home")
    cli = Cli(home)
    entries = _held_entries(home)
    label = midea_record(entries)
    label.update(label_id="GD-CL-2024-0004", valid_until="2027-06-27")
    version, entry = entries[TIANGONG_DATASET]
    label["cites"].append({"dataset": TIANGONG_DATASET, "version": version, "entry": entry, "key": RELEASE_FILE})
    sources = [{"name": "Tiangong LCA Data", "version": "2025 (illustrative)"}]
    label["footprint"]["secondaryEmissionFactorSources"] = sources
    path = tmp_path / "backdated.json"
    path.write_text(json.dumps(label, ensure_ascii=False), encoding="utf-8")
    receipt = cli.json("label", "issue", str(path), "--key", str(home / "demo-keys" / "cqc-guangzhou.pem"))
    assert [(f["code"], f["field"]) for f in receipt["findings"]] == [(PUBLISHED_AFTER_ISSUE, "/cites/1")]
    bundle, trust = tmp_path / "b.json", tmp_path / "t.json"
    cli.run("bundle", "GD-CL-2024-0004", "--to", HK, "--out", str(bundle))
    cli.run("trust", "export", "--buyer-scheme", HK, "--out", str(trust))
    report = _verify(cli, bundle, trust, HK, ok=False)
    by_dataset = {c["dataset"]: c for c in report["citations"]}
    assert by_dataset["cn-grid-co2"]["findings"] == []  # the 2021 factor was out (2024-04-12)
    release = by_dataset[TIANGONG_DATASET]
    assert release["status"] == "matched"  # a flag, not a refusal
    assert [f["code"] for f in release["findings"]] == [PUBLISHED_AFTER_ISSUE]
    assert release["findings"][0]["published"]["year"] == 2025
    assert report["verdict"] != "not_authentic"
    assert "1 flagged citation.published_after_issue" in {s["step"]: s for s in report["steps"]}[8]["detail"]


# ---- forged digests -----------------------------------------------------------------------------------------


def test_a_citation_of_a_release_entry_with_one_hex_digit_changed_is_refused(
    tmp_path: Path, copy_demo_home: Any
) -> None:
    home = copy_demo_home(tmp_path / "home")
    entries = _held_entries(home)
    label = huzhou_record(entries, date.today())
    label["label_id"] = "HZ-CL-2025-0002"
    i = next(i for i, c in enumerate(label["cites"]) if c["dataset"] == TIANGONG_DATASET)
    real = label["cites"][i]["entry"]
    label["cites"][i]["entry"] = _one_digit_changed(real)
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(label, ensure_ascii=False), encoding="utf-8")
    cp = Cli(home).run("label", "issue", str(path), "--key", str(home / "demo-keys" / "huzhou-certification.pem"),
                       "--json", ok=False)  # fmt: skip
    assert cp.returncode != 0
    error = json.loads(cp.stdout)["error"]
    assert (error["code"], error["field"]) == ("dataset.citation_missing", f"/label/cites/{i}/entry")
    # and the verifier's own check, handed the real entry under the forged id, refuses the mismatch
    payload = {"publisher": REFERENCE_PUBLISHER, "dataset": shipped_releases()[-1]}
    with pytest.raises(SchemaError) as e:
        citations.check_citation(label["cites"][i], payload, "current", label, entry_id=real)
    assert (e.value.code, e.value.field) == ("dataset.citation_mismatch", f"/cites/{i}/entry")


def test_a_bundle_whose_release_digest_has_one_hex_digit_changed_is_not_authentic(
    tmp_path: Path, copy_demo_home: Any
) -> None:
    home = copy_demo_home(tmp_path / "home")
    out = home / "demo-out"
    bundle = json.loads((out / f"{HUZHOU_ID}.bundle.json").read_text(encoding="utf-8"))
    digest = shipped_releases()[-1]["release"]["files"][0]["sha256"].encode()
    forged_at = []
    for item in bundle["entries"]:
        envelope = json.loads(base64.b64decode(item["envelope"]))
        payload = base64.b64decode(envelope["payload"])
        if digest in payload:
            forged_payload = payload.replace(digest, _one_digit_changed(digest.decode()).encode())
            envelope["payload"] = base64.b64encode(forged_payload).decode()
            item["envelope"] = base64.b64encode(json.dumps(envelope, separators=(",", ":")).encode()).decode()
            forged_at.append(item["index"])
    assert len(forged_at) == 1
    forged = tmp_path / "forged.bundle.json"
    forged.write_text(json.dumps(copy.deepcopy(bundle)), encoding="utf-8")
    report = _verify(Cli(home), forged, out / "trust-cn-buyer.json", CN, ok=False)
    assert (report["verdict"], report["exit_code"]) == ("not_authentic", 3)
    steps = {s["step"]: s for s in report["steps"]}
    assert steps[5]["status"] == "failed" and f"dataset.publish at index {forged_at[0]}" in steps[5]["detail"]
    assert not any(c["status"] == "matched" and c["dataset"] == TIANGONG_DATASET for c in report["citations"])

"""The demo's story, told on one home's log (``carbonledger demo``), idempotent on that home.

1. label schemes and a reference-data publisher register their root keys (through the allow-list);
2. reference data: grid-factor datasets, the IPCC GWP table, the release digests of a TianGong-style background
   database (illustrative), standard and scheme methodology profiles;
3. certification bodies are authorized (CQC Guangzhou for Guangdong, CMA Testing for Hong Kong, an illustrative
   body for Huzhou);
4. labels are issued — a Midea inverter air conditioner label of 2024 citing China's 2021 CO2 factor, a current
   label citing China's 2024 electricity footprint factor, a Hong Kong label of an electric kettle citing the
   Southern grid's and CLP's factors, a Huzhou label of an office chair carrying its green-product and
   low-carbon certificates and citing a TianGong release by its signed digest, and a bulk batch (with progress
   reported) — each citing only values published before its issue date, each adding up from its own stages
   (ledger/demo_records.py);
5. Guangdong and Hong Kong negotiate mutual recognition (propose, counter, accept), Guangdong agrees
   a one-way recognition into Carbon Trust terms after AR6 re-characterization, and the national label adopts
   (采信) Huzhou labels one way under stated conditions (ledger/demo_huzhou.py);
6. one label is revoked;
7. a foreign buyer verifies offline from a bundle and a trust file, and asks for equivalence under their
   own scheme; a national-label buyer does the same for the Huzhou label.

Every run reuses what the home already holds, so running it twice changes nothing the second time.
The agreements and several labels are illustrative (marked so in their data): the schemes' own
recognition rules are not public yet (shared/domain/schemes.md). What the story says goes to ``say``
(rich markup), and the bulk batch's progress to ``bulk_progress``: the command line decides how to show them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from mapping.profiles import get_profile
from verifier.envelope import public_key_to_b64
from verifier.keys import SigningKey
from verifier.verify import verify_bundle

from .agreements_service import equivalence, propose_fields, terms_hash_of
from .bundles import build_bundle
from .demo_buyer import equivalence_words, verify_offline
from .demo_huzhou import HZ, adopt_huzhou_labels, huzhou_buyer
from .demo_records import (
    CURRENT_ID,
    HK_ID,
    HUZHOU_ID,
    MIDEA_ID,
    DatasetEntries,
    bulk_record,
    current_record,
    hk_record,
    huzhou_record,
    midea_record,
    shipped_terms,
)
from .demo_witnesses import start_demo_witnesses
from .home import CONFIG_FILE, Settings, init_home, load_settings, read_key_file, write_json_atomic, write_key_file
from .importer import import_labels
from .log import Log, Receipt
from .reference_data import (
    GWP_DATASET_ID,
    REFERENCE_PUBLISHER,
    gwp_dataset_from_csv,
    shipped_datasets,
    shipped_releases,
)
from .signing import Signer

__all__ = [
    "CURRENT_ID",
    "DEMO_SCHEMES",
    "DEMO_TRADITIONAL",
    "HK",
    "HK_ID",
    "HUZHOU_ID",
    "MIDEA_ID",
    "BulkProgress",
    "DemoStory",
    "Say",
    "init_demo_home",
]

Say = Callable[..., None]
# total -> a context whose value is called with the number of entries done so far
BulkProgress = Callable[[int], AbstractContextManager[Callable[[int], None]]]

GD, HK, CN, CT, JP, KR, EPD = (
    "gd-carbon-label",
    "hk-cma-carbon-label",
    "cn-cnca-cfp-label",
    "carbontrust-label",
    "jp-sumpo-cfp",
    "kr-keiti-cfp",
    "epd-intl-en15804a2",
)
# (id, name, name_zh, country); DEMO_TRADITIONAL gives each name_zh's character-for-character Traditional form
# (shared/domain/schemes.md gives no official Traditional name for these four).
DEMO_SCHEMES = [
    (GD, "Guangdong carbon label", "广东碳标签", "CN"),
    (HK, "Hong Kong CMA Testing carbon label", "香港中华厂商联合会检定中心碳标签", "HK"),
    (CN, "China national product carbon footprint label", "全国统一产品碳足迹标识", "CN"),
    (CT, "Carbon Trust product carbon footprint label", None, "GB"),
    (JP, "SuMPO EPD Japan / CFP", None, "JP"),
    (KR, "Korea KEITI carbon footprint label", None, "KR"),
    (EPD, "EPD International (EN 15804+A2)", None, "SE"),
    (HZ, "Huzhou carbon label pilot", "湖州碳标签", "CN"),
]
DEMO_TRADITIONAL = {
    "广东碳标签": "廣東碳標籤",
    "香港中华厂商联合会检定中心碳标签": "香港中華廠商聯合會檢定中心碳標籤",
    "全国统一产品碳足迹标识": "全國統一產品碳足跡標識",
    "湖州碳标签": "湖州碳標籤",
}
STANDARD_PROFILES = ["iso14067-2018", "gbt24067-2024", "pas2050-2011", "pact-v3"]
BULK = 120


def _key(home: Path, name: str) -> SigningKey:
    path = home / "demo-keys" / f"{name}.pem"
    if not path.exists():
        write_key_file(path, SigningKey.generate())
    return read_key_file(path)


DEMO_BASE_URL = "http://127.0.0.1:8000"


def _b64(key: SigningKey) -> str:
    return public_key_to_b64(key.public_key)


def init_demo_home(home: Path) -> Settings:
    """Initialize ``home`` (if it is not yet) with a log that admits the demo's schemes and data publisher; its
    pages' address is where ``carbonledger serve`` listens by default (a local trial: ``label qr`` warns). A demo
    home an earlier version made admits the schemes this version's story adds too (its allow-list is extended)."""
    wanted = [s[0] for s in DEMO_SCHEMES] + [REFERENCE_PUBLISHER]
    settings = init_home(home, allowed_schemes=wanted, base_url=DEMO_BASE_URL)
    config_path = home / CONFIG_FILE
    config = json.loads(config_path.read_text(encoding="utf-8"))
    allowed = config.get("allowed_schemes")
    if isinstance(allowed, list) and not config.get("allow_any_scheme") and set(wanted) - set(allowed):
        write_json_atomic(config_path, {**config, "allowed_schemes": sorted(set(allowed) | set(wanted))})
        settings = load_settings(home)
    return settings


def _no_progress(_total: int) -> AbstractContextManager[Callable[[int], None]]:
    return nullcontext(lambda _done: None)


class DemoStory:
    """The story on ``log`` (the log of ``home``, which keeps the demo's keys and chain book)."""

    def __init__(self, home: Path, log: Log, say: Say, bulk_progress: BulkProgress = _no_progress) -> None:
        self.home, self.log, self.say, self.bulk_progress = home, log, say, bulk_progress
        self.signer = Signer(home, log, log.clock)
        self.roots = {s[0]: _key(home, f"{s[0]}-root") for s in DEMO_SCHEMES}
        self.ref = _key(home, "reference-data-root")
        self.cqc, self.cma = _key(home, "cqc-guangzhou"), _key(home, "cma-testing")
        self.huzhou_body = _key(home, "huzhou-certification")
        self.today = log.clock().date()

    def tell(self) -> dict[str, Any]:
        """Every step, in order, each headed by a line to ``say``; the summary the command prints."""
        log, say = self.log, self.say
        say(f"[bold]carbonledger demo[/] — home {self.home}, log {log.origin}, tree size {log.size}")
        self.witnesses = start_demo_witnesses(self.home, log, _key)
        say("[bold]0. Guangdong's and Hong Kong's schemes run witnesses; the log needs both cosignatures[/]")
        for vkey in self.witnesses.vkeys:
            say(f"  witness {vkey.split('+', 1)[0]}")
        try:
            return self._tell()
        finally:
            self.witnesses.close()

    def _tell(self) -> dict[str, Any]:
        log, say = self.log, self.say
        say("[bold]1. Schemes and a data publisher register their root keys[/]")
        self.register()
        say("[bold]2. Reference data: grid factors, the IPCC GWP table, database release digests, profiles[/]")
        entries = self.publish_reference_data()
        say("[bold]3. Certification bodies are authorized[/]")
        self.authorize()
        say("[bold]4. Labels are issued[/]")
        self.issue(entries)
        say("[bold]5. Schemes negotiate recognition[/]")
        self.negotiate()
        say("[bold]6. A label is revoked[/]")
        revoked = self.revoke()
        say("[bold]7. A foreign buyer verifies, offline, under their own scheme[/]")
        buyer = self.buyer()
        huzhou = huzhou_buyer(self, buyer["out"])
        return {
            "home": str(self.home),
            "tree_size": log.size,
            "vkey": log.vkey,
            "checkpoint": log.checkpoint(),
            "witnesses": {"threshold": self.witnesses.policy.threshold, "vkeys": list(self.witnesses.vkeys)},
            "labels": [MIDEA_ID, CURRENT_ID, HK_ID, HUZHOU_ID],
            "revoked_label": revoked,
            "verify": buyer["report"],
            "equivalence": buyer["equivalence"],
            "files": buyer["out"],
            "huzhou": huzhou,
        }

    def submit(self, kind: str, fields: dict[str, Any], key: SigningKey) -> Receipt:
        return self.signer.submit(kind, fields, key)

    def label(self, label_id: str) -> Any:
        rows = self.log.store.labels_by_ids([label_id])
        return rows[0] if rows else None

    # 1 ------------------------------------------------------------------------------------------------
    def register(self) -> None:
        for scheme_id, name, name_zh, country in DEMO_SCHEMES:
            if self.log.scheme(scheme_id) is not None:
                continue
            info: dict[str, Any] = {"id": scheme_id, "name": name, "role": "scheme", "country": country}
            if name_zh:  # a scheme registered by an earlier demo keeps its names as registered (skipped above)
                info["name_zh"], info["name_zh_hant"] = name_zh, DEMO_TRADITIONAL[name_zh]
            r = self.submit("scheme.register", {"scheme": info, "public_key": _b64(self.roots[scheme_id])},
                            self.roots[scheme_id])  # fmt: skip
            self.say(f"  scheme [cyan]{scheme_id}[/] registered its root key at index {r.index}")
        if self.log.scheme(REFERENCE_PUBLISHER) is None:
            info = {"id": REFERENCE_PUBLISHER, "name": "carbonledger reference data (transcribed)",
                    "role": "data-publisher"}  # fmt: skip
            r = self.submit("scheme.register", {"scheme": info, "public_key": _b64(self.ref)}, self.ref)
            self.say(f"  data publisher [cyan]{REFERENCE_PUBLISHER}[/] registered at index {r.index}")

    # 2 ------------------------------------------------------------------------------------------------
    def publish_reference_data(self) -> dict[str, tuple[int, str]]:
        """Publish each shipped dataset once; return dataset id -> (version, entry id) of its newest version."""
        bodies = [*shipped_datasets(), gwp_dataset_from_csv(_gwp_csv_text())]
        entries: dict[str, tuple[int, str]] = {}
        for body in bodies:
            rows = self.log.store.dataset_rows(body["id"])
            if rows:
                entries[body["id"]] = (rows[-1].version, rows[-1].entry_id)
                continue
            r = self.submit("dataset.publish", {"publisher": REFERENCE_PUBLISHER, "dataset": body}, self.ref)
            entries[body["id"]] = (body["version"], r.entry_id)
            self.say(f"  dataset [cyan]{body['id']}[/] v{body['version']} ({len(body['values'])} values) at {r.index}")
        for body in shipped_releases():  # each release a version, published in order (illustrative digests)
            held = {row.version: row.entry_id for row in self.log.store.dataset_rows(body["id"])}
            if body["version"] not in held:
                r = self.submit("dataset.publish", {"publisher": REFERENCE_PUBLISHER, "dataset": body}, self.ref)
                held[body["version"]] = r.entry_id
                files = len(body["release"]["files"])
                self.say(f"  release digest [cyan]{body['id']}[/] v{body['version']} ({files} files) at {r.index}")
            entries[body["id"]] = max(held.items())
        for pid in STANDARD_PROFILES:
            self._publish_profile(REFERENCE_PUBLISHER, pid, self.ref)
        for scheme_id in (GD, HK, CN, CT, HZ):
            self._publish_profile(scheme_id, scheme_id, self.roots[scheme_id])
        return entries

    def _publish_profile(self, publisher: str, profile_id: str, key: SigningKey) -> None:
        if self.log.store.find_entries(["profile.publish"], publisher, profile_id):
            return
        profile = get_profile(profile_id).to_dict()
        r = self.submit("profile.publish", {"scheme": publisher, "profile": profile}, key)
        self.say(f"  profile [cyan]{profile_id}[/] v{profile['version']} published by {publisher} at {r.index}")

    # 3 ------------------------------------------------------------------------------------------------
    def authorize(self) -> None:
        for scheme_id, key, holder in (
            (GD, self.cqc, {"name": "CQC Guangzhou", "name_zh": "中国质量认证中心广州分中心", "country": "CN"}),
            (HK, self.cma, {"name": "CMA Testing and Certification Laboratories", "country": "HK"}),
            (HZ, self.huzhou_body, {"name": "Huzhou product certification centre (illustrative)", "country": "CN"}),
        ):
            if self.log.key(key.key_id) is not None:
                continue
            fields = {
                "scheme": scheme_id,
                "public_key": _b64(key),
                "kinds": ["label.issue", "label.revoke", "label.supersede"],
                "holder": {**holder, "role": "certification-body"},
            }
            r = self.submit("key.authorize", fields, self.roots[scheme_id])
            self.say(f"  {scheme_id} authorized {holder['name']} to issue labels (index {r.index})")

    # 4 ------------------------------------------------------------------------------------------------
    def issue(self, entries: DatasetEntries) -> None:
        for record, key in (
            (midea_record(entries), self.cqc),
            (current_record(entries, self.today), self.cqc),
            (hk_record(entries, self.today), self.cma),
            (huzhou_record(entries, self.today), self.huzhou_body),
        ):
            if self.label(record["label_id"]) is None:
                r = self.submit("label.issue", {"label": record}, key)
                self.say(f"  label [bold]{record['label_id']}[/] ({record['product']['model']}) at index {r.index}")
        bulk = [bulk_record(i) for i in range(BULK)]
        missing = {r.label_id for r in self.log.store.labels_by_ids([r["label_id"] for r in bulk])}
        todo = [r for r in bulk if r["label_id"] not in missing]
        if todo:
            with self.bulk_progress(len(todo)) as done:
                result = import_labels(self.log, self.cqc, self.signer.book, todo, self.log.clock, batch=40,
                                       on_progress=done)  # fmt: skip
            self.say(f"  {result.stored} more Guangdong labels issued in batches (indexes {result.first_index}.."
                     f"{result.last_index})")  # fmt: skip

    # 5 ------------------------------------------------------------------------------------------------
    def negotiate(self) -> None:
        states = {(e.agreement_id, e.version, e.kind) for e in self.log.agreement_events()}
        mutual = shipped_terms("gd-hk-mutual", self.today)
        if ("gd-hk-mutual", 1, "propose") not in states:
            r = self.submit("agreement.propose", propose_fields(GD, mutual), self.roots[GD])
            self.say(f"  Guangdong proposed mutual recognition gd-hk-mutual v1 at index {r.index}")
        if ("gd-hk-mutual", 2, "propose") not in states:
            counter = dict(mutual, version=2, tolerance="0.02")
            answers = {"version": 1, "terms_hash": terms_hash_of(self.log, "gd-hk-mutual", 1)}
            r = self.submit("agreement.propose", propose_fields(HK, counter, answers), self.roots[HK])
            self.say(f"  Hong Kong counter-proposed v2 (tolerance 2%) at index {r.index}")
        if ("gd-hk-mutual", 2, "accept") not in states:
            ref = {"id": "gd-hk-mutual", "version": 2, "terms_hash": terms_hash_of(self.log, "gd-hk-mutual", 2)}
            r = self.submit("agreement.accept", {"scheme": GD, "agreement": ref}, self.roots[GD])
            self.say(f"  Guangdong accepted v2: [green]in force[/] from index {r.index}")
        if ("gd-to-carbontrust-ar6", 1, "propose") not in states:
            # The AR6 re-characterization reads its GWP values from the table this log published (step 2),
            # pinned by entry id, so the converted value's trail names the signed registry entry.
            one_way = shipped_terms("gd-to-carbontrust-ar6", self.today)
            gwp_entry = self.log.store.dataset_rows(GWP_DATASET_ID)[-1]
            pin = {"dataset": GWP_DATASET_ID, "version": gwp_entry.version, "entry": gwp_entry.entry_id, "key": "*"}
            one_way["datasets"] = [*one_way.get("datasets", []), pin]
            r = self.submit("agreement.propose", propose_fields(GD, one_way), self.roots[GD])
            self.say(f"  Guangdong proposed gd-to-carbontrust-ar6 v1 pinning {GWP_DATASET_ID} v{gwp_entry.version} "
                     f"(entry {gwp_entry.entry_id[:12]}…) at index {r.index}")  # fmt: skip
        if ("gd-to-carbontrust-ar6", 1, "accept") not in states:
            h = terms_hash_of(self.log, "gd-to-carbontrust-ar6", 1)
            ref = {"id": "gd-to-carbontrust-ar6", "version": 1, "terms_hash": h}
            r = self.submit("agreement.accept", {"scheme": CT, "agreement": ref}, self.roots[CT])
            self.say(f"  Carbon Trust accepted one-way recognition of Guangdong labels after AR6 (index {r.index})")
        adopt_huzhou_labels(self, states)

    # 6 ------------------------------------------------------------------------------------------------
    def revoke(self) -> str:
        revoked = f"GD-CL-2025-{1000 + BULK - 1:04d}"
        row = self.label(revoked)
        if row is not None and row.status == "active":
            fields = {"scheme": GD, "label_id": revoked, "label_entry": row.entry_id, "reason": "product discontinued"}
            r = self.submit("label.revoke", fields, self.cqc)
            self.say(f"  label {revoked} revoked by its issuer at index {r.index}")
        return revoked

    # 7 ------------------------------------------------------------------------------------------------
    def buyer(self) -> dict[str, Any]:
        out = self.home / "demo-out"
        out.mkdir(exist_ok=True)
        # the buyer demands both schemes' witnesses
        report, trust = verify_offline(self.log, out, self.witnesses.vkeys, (CURRENT_ID, GD), HK, "trust-hk-buyer.json")
        today = self.log.clock().date()
        self.say(
            f"  Hong Kong buyer verified {CURRENT_ID} offline: [bold]{report.verdict()}[/] (exit {report.exit_code()})"
        )
        for step in report.to_dict()["steps"]:
            self.say(f"    {step['step']:>2}. {step['name']}: {step['status']} — {step['detail']}", markup=False)
        old = verify_bundle(
            build_bundle(self.log, MIDEA_ID, GD, None), trust, at=date(2025, 1, 1), now=self.log.clock()
        )
        expired = verify_bundle(build_bundle(self.log, MIDEA_ID, GD, None), trust, at=today, now=self.log.clock())
        self.say(
            f"  the 2024 Midea label: on 2025-01-01 {old.verdict()}; today {expired.verdict()} (its validity ended)"
        )
        verdicts = {}
        for target in (HK, CT, JP):
            verdicts[target] = v = equivalence(self.log, CURRENT_ID, target, today, GD)
            self.say(f"  equivalence under {target}: {equivalence_words(v)}")
        return {"report": report.to_dict(), "equivalence": verdicts, "out": str(out)}


def _gwp_csv_text() -> str:
    return (resources.files("mapping") / "data" / "gwp.csv").read_text(encoding="utf-8")

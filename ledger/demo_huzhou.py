"""The demo's Huzhou chapter: what adoption (采信) of a Huzhou label by a buyer's scheme means, on the demo's log.

Issue 20: "Huzhou's demo label carries its several certifications and shows what adoption (a buyer's scheme
accepting it) means". Huzhou merges green-product, low-carbon and carbon-label certification (schemes.md §2.13
[S15]); the label (ledger/demo_records.py, ``huzhou_record``) carries the other two certificates in
``certifications``. Adoption here is a one-way recognition agreement, ``huzhou-to-cn-adoption``
(mapping/data/agreements/): the national product carbon-footprint label (``cn-cnca-cfp-label``) proposes the
conditions under which it accepts Huzhou labels and Huzhou accepts them, so a national-label buyer's
``equivalence`` or offline ``verify --to cn-cnca-cfp-label`` says ``recognized`` and names the agreement. No source
read describes any scheme adopting Huzhou labels (schemes.md §1b: Huzhou's known recognition is [?]), so the
agreement and its conditions are illustrative and say so; each condition names what it rests on. The steps reuse
what the log holds, like the rest of the story (:class:`ledger.demo_story.DemoStory`, which calls them).
"""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from verifier.keys import SigningKey
from verifier.verify import verify_bundle

from .agreements_service import equivalence, propose_fields, terms_hash_of
from .bundles import build_bundle, export_trust
from .demo_records import HUZHOU_ID, HZ, in_force_around
from .home import write_json_atomic
from .log import Log, Receipt


class DemoStory(Protocol):
    """What these steps use of the story telling them (:class:`ledger.demo_story.DemoStory`)."""

    log: Log
    today: date
    roots: dict[str, SigningKey]
    witnesses: Any  # the demo's witnesses: ``vkeys``

    def say(self, text: str, *, markup: bool = True) -> None: ...

    def submit(self, kind: str, fields: dict[str, Any], key: SigningKey) -> Receipt: ...


__all__ = ["ADOPTION", "CN", "HZ", "adopt_huzhou_labels", "huzhou_buyer"]

CN = "cn-cnca-cfp-label"
ADOPTION = "huzhou-to-cn-adoption"


def _terms() -> dict[str, Any]:
    path = resources.files("mapping") / "data" / "agreements" / f"{ADOPTION}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def adopt_huzhou_labels(story: DemoStory, states: set[tuple[str, int, str]]) -> None:
    """The national label proposes the adoption terms (what it accepts, and on which conditions); Huzhou accepts.
    ``states`` holds the (agreement id, version, kind) of every agreement event already in the log."""
    if (ADOPTION, 1, "propose") not in states:
        terms = in_force_around(_terms(), story.today)
        r = story.submit("agreement.propose", propose_fields(CN, terms), story.roots[CN])
        story.say(f"  the national label proposed {ADOPTION} v1 (adopting Huzhou labels, one way) at index {r.index}")
    if (ADOPTION, 1, "accept") not in states:
        ref = {"id": ADOPTION, "version": 1, "terms_hash": terms_hash_of(story.log, ADOPTION, 1)}
        r = story.submit("agreement.accept", {"scheme": HZ, "agreement": ref}, story.roots[HZ])
        story.say(f"  Huzhou accepted: the national label adopts Huzhou labels from index {r.index}")


def huzhou_buyer(story: DemoStory, out: str) -> dict[str, Any]:
    """A buyer under the national label verifies the Huzhou label offline (bundle and trust file in ``out``) and
    asks for its equivalence; the summary of what they learn."""
    log = story.log
    vkeys = story.witnesses.vkeys
    trust = export_trust(log, buyer_scheme=CN, witness_vkeys=vkeys, threshold=len(vkeys))
    write_json_atomic(Path(out) / "trust-cn-buyer.json", trust.to_dict())
    bundle = build_bundle(log, HUZHOU_ID, HZ, CN)
    (Path(out) / f"{HUZHOU_ID}.bundle.json").write_bytes(bundle)
    today = log.clock().date()
    report = verify_bundle(bundle, trust, at=today, now=log.clock(), target_scheme=CN).to_dict()
    story.say(f"  a national-label buyer verified {HUZHOU_ID} offline: [bold]{report['verdict']}[/]")
    for c in report["citations"]:
        story.say(f"    cites {c['dataset']} v{c['version']} {c['key']}: {c['status']}", markup=False)
    v = equivalence(log, HUZHOU_ID, CN, today, HZ)
    via = f" by {v['agreement']['id']} v{v['agreement']['version']}" if v.get("agreement") else ""
    story.say(f"  equivalence under {CN}: [bold]{v['verdict']}[/]{via}")
    return {"label": HUZHOU_ID, "verify": report, "equivalence": v}

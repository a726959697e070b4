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

from datetime import date
from pathlib import Path
from typing import Any, Protocol

from verifier.keys import SigningKey

from .agreements_service import equivalence, propose_fields, terms_hash_of
from .demo_buyer import equivalence_words, verify_offline
from .demo_records import HUZHOU_ID, HZ, shipped_terms
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


def adopt_huzhou_labels(story: DemoStory, states: set[tuple[str, int, str]]) -> None:
    """The national label proposes the adoption terms (what it accepts, and on which conditions); Huzhou accepts.
    ``states`` holds the (agreement id, version, kind) of every agreement event already in the log."""
    if (ADOPTION, 1, "propose") not in states:
        terms = shipped_terms(ADOPTION, story.today)
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
    verified, _ = verify_offline(log, Path(out), story.witnesses.vkeys, (HUZHOU_ID, HZ), CN, "trust-cn-buyer.json")
    report = verified.to_dict()
    story.say(f"  a national-label buyer verified {HUZHOU_ID} offline: [bold]{report['verdict']}[/]")
    for c in report["citations"]:
        story.say(f"    cites {c['dataset']} v{c['version']} {c['key']}: {c['status']}", markup=False)
    v = equivalence(log, HUZHOU_ID, CN, log.clock().date(), HZ)
    story.say(f"  equivalence under {CN}: {equivalence_words(v)}")
    return {"label": HUZHOU_ID, "verify": report, "equivalence": v}

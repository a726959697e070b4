"""What a bundle shows about the agreements between a label's scheme and the target scheme (DESIGN §6 step 10).

Step 10 judges equivalence from the agreement entries a bundle holds; this module says whether those are all
there is, so that a report never claims more than its bundle shows:

- a bundle v2 proves it (:mod:`verifier.bundle_status`): the ``pair`` record of the two schemes lists their
  agreements (no record, or none listed: ``proven_absent``, the verdict ``no_agreement`` with the words
  "proven: no agreement between A and B as of tree size N"); each listed agreement's record lists its entries,
  and the bundle must hold every one of them, folded by the rule book (``proven``), else ``missing``;
- a bundle v1 shows what it holds (``entries``): its agreement entries, or — when it holds none naming the
  target and was not built for it — ``missing``.

``missing`` is the verdict ``no_evidence`` (exit 4), whose detail says how to get the evidence; it is never
"no agreement was proposed". Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .bundle import Bundle
from .memory_state import MemoryState
from .status_commit import ProvenStatus
from .status_records import pair_object_id

__all__ = [
    "MISSING",
    "PROVEN",
    "PROVEN_ABSENT",
    "SHOWN",
    "Evidence",
    "agreement_evidence",
    "how_to_get",
]

PROVEN, PROVEN_ABSENT, SHOWN, MISSING = "proven", "proven_absent", "entries", "missing"


@dataclass(frozen=True, slots=True)
class Evidence:
    kind: str  # PROVEN, PROVEN_ABSENT, SHOWN or MISSING
    detail: str = ""  # what is missing, or the proven absence
    agreements: tuple[str, ...] = ()  # the agreements the pair record lists (PROVEN)
    events: frozenset[int] = frozenset()  # the indexes of their entries the agreement records list (PROVEN)


def how_to_get(target: str) -> str:
    return (
        f"get it with `carbonledger bundle refresh BUNDLE --server URL --to {target} --out FILE`, or verify online "
        f"with `carbonledger verify BUNDLE --trust TRUST --server URL --to {target}`"
    )


def _built(b: Bundle) -> str:
    return "without a target scheme" if b.target_scheme is None else f"for target {b.target_scheme}"


def agreement_evidence(
    b: Bundle, state: MemoryState, scheme: str, target: str, proven: ProvenStatus | None
) -> Evidence:
    """What the bundle shows about the agreements between ``scheme`` and ``target`` (module docstring)."""
    if proven is None:
        names = any(
            a.event.terms is not None and {scheme, target} <= set(a.event.terms.parties) for a in state.agreements
        )
        if names or b.target_scheme == target:
            return Evidence(SHOWN)
        return Evidence(
            MISSING,
            f"no evidence: the bundle (v1, built {_built(b)}) holds no agreement entries between {scheme} and "
            f"{target}, and a log proves inclusion, not absence; {how_to_get(target)}",
        )
    size = proven.size
    has, pair = proven.get("pair", pair_object_id(scheme, target))
    if not has:
        return Evidence(
            MISSING,
            f"no evidence: the bundle (built {_built(b)}) carries no status proof for the agreements between "
            f"{scheme} and {target}; {how_to_get(target)}",
        )
    listed = [] if pair is None else pair.get("agreements")
    if not isinstance(listed, list) or not all(isinstance(a, str) for a in listed):
        return Evidence(MISSING, f"no evidence: the status map's record of the pair ({scheme}, {target}) is unreadable")
    if not listed:
        return Evidence(PROVEN_ABSENT, f"proven: no agreement between {scheme} and {target} as of tree size {size}")
    held = {e.index: e.entry.entry_id for e in b.entries}
    folded = {a.event.index for a in state.agreements}
    gaps: list[str] = []
    indexes: set[int] = set()
    for agreement in listed:
        has, record = proven.get("agreement", agreement)
        events = None if record is None else record.get("events")
        if not has or not isinstance(events, list):
            gaps.append(f"no status proof for agreement {agreement}")
            continue
        for ev in events:
            gap = _event_gap(agreement, ev, held, folded)
            if gap:
                gaps.append(gap)
            else:
                indexes.add(ev["index"])
    if gaps:
        more = f" (and {len(gaps) - 2} more)" if len(gaps) > 2 else ""
        return Evidence(
            MISSING,
            f"no evidence: the status map lists {len(listed)} agreement(s) between {scheme} and {target} as of "
            f"tree size {size}, but {'; '.join(gaps[:2])}{more}; {how_to_get(target)}",
        )
    return Evidence(PROVEN, agreements=tuple(listed), events=frozenset(indexes))


def _event_gap(agreement: str, ev: Any, held: dict[int, str], folded: set[int]) -> str | None:
    """Why one event an agreement's record lists is not usable from the bundle, or None."""
    if not isinstance(ev, dict) or type(ev.get("index")) is not int or not isinstance(ev.get("entry"), str):
        return f"agreement {agreement}'s record lists an unreadable event"
    index, entry, kind = ev["index"], ev["entry"], f"agreement.{ev.get('kind')}"
    if held.get(index) != entry:
        return f"the {kind} of agreement {agreement} at index {index} (entry {entry[:16]}…) is not in the bundle"
    if index not in folded:
        return (
            f"the {kind} of agreement {agreement} at index {index} is in the bundle, its signer not established there"
        )
    return None

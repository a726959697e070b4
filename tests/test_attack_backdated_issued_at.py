"""Security review, hole 7: the report presented the issuer's ``issued_at`` as if it were evidence.

A label claiming 2015 "is valid on 2016-06-01" though its key was authorized in 2026: the report must say
which dates are the issuer's statement and what the log shows (the label's index and its entry's
``signed_at``), and flag a date asked before the label entered the log.
"""

from __future__ import annotations

from datetime import date

from .test_verify_equivalence import World, current_label, run
from .test_verify_equivalence import world as world


def test_backdated_issued_at_is_reported_as_the_issuers_claim_not_evidence(world: World) -> None:
    label = current_label("GD-BACKDATED-1")
    label["issued_at"], label["valid_until"] = "2015-01-01", "2030-12-31"
    receipt = world.issue("GD-BACKDATED-1", label)
    r = run(world.bundle("GD-BACKDATED-1"), world.trust(), at=date(2016, 6, 1))
    detail = r.steps[9].detail
    assert "the issuer states it valid from 2015-01-01" in detail
    assert f"index {receipt.index}" in detail and "signed at 2026-11-24T12:00:00Z" in detail
    assert "before the label entered the log (2026-11-24)" in detail and "issuer's word alone" in detail
    # and the key's authorization is shown by log order, not by the label's claimed date
    assert "authorized for label.issue at index" in r.steps[3].detail and "before the label" in r.steps[3].detail


def test_a_date_asked_after_logging_carries_no_warning(world: World) -> None:
    world.issue("GD-CURRENT-1")
    r = run(world.bundle("GD-CURRENT-1"), world.trust(), at=date(2026, 12, 1))
    assert r.exit_code() == 0 and "issuer's word alone" not in r.steps[9].detail

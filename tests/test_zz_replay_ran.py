"""The rule-book replay of every log (tests/replay_check.py) really ran: a check that can fail."""

from __future__ import annotations

from tests import replay_check
from tests.helpers import NOW, Signer


def test_a_log_with_a_forged_entry_fails_the_replay(tmp_path) -> None:
    """The replay is the verifier's: an entry the rules refuse (here a label by an unauthorized key, written
    into the store behind the log's back) makes it raise, naming the index and the rule."""
    import pytest

    from ledger.log import Log
    from ledger.store import Store
    from mapping.errors import RuleError
    from verifier.envelope import parse_entry
    from verifier.keys import SigningKey
    from verifier.ledger_state import Policy
    from verifier.memory_state import replay

    log = Log(
        Store(f"sqlite:///{tmp_path / 'l.db'}"),
        SigningKey.generate(),
        "test.example/log",
        Policy(allow_any_scheme=True),
        clock=lambda: NOW,
    )
    root = Signer()
    log.submit(root.register("gd-carbon-label"))
    stranger = Signer()
    entries = [(0, parse_entry(bytes(log.store.entry(0).envelope)))]
    forged = parse_entry(stranger.register("gd-carbon-label"))  # a second root for a bound scheme id
    with pytest.raises(RuleError) as e:
        replay([*entries, (1, forged)])
    assert e.value.code == "scheme.already_bound" and "entry 1" in e.value.message
    replay_check.OPENED.clear()


def test_the_suite_replayed_logs() -> None:
    """Runs last (file name): earlier tests' logs were replayed through the rule book."""
    assert replay_check.REPLAYED[0] > 0

"""A home's config.json turns on what the log does after each batch: static tiles kept current (``tiles_dir``)
and witnesses asked for cosignatures (``witnesses``, ``witness_threshold``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.home import init_home, load_settings, open_log, update_config
from ledger.tiles_source import TilesSource
from mapping.errors import ConfigError
from verifier.keys import SigningKey
from verifier.note import encode_vkey

from .helpers import Signer

GD = "gd-carbon-label"


def test_a_configured_tiles_dir_is_current_after_every_batch(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init_home(home, allowed_schemes=[GD])
    update_config(home, tiles_dir="tiles")
    log = open_log(load_settings(home), precheck_workers=False)
    try:
        gd, now = Signer(), log.clock()
        envelopes = [gd.register(GD, now=now), gd.authorize(GD, Signer(), now=now)]
        for env in envelopes:
            log.submit(env)
            source = TilesSource(home / "tiles")
            assert source.checkpoint() == log.checkpoint()  # readers of the tiles see the newest checkpoint
        assert source.entries(0, 2) == envelopes
    finally:
        log.store.close()


@pytest.mark.parametrize("value", ["", 3, ["tiles"]])
def test_a_bad_tiles_dir_is_a_config_error(tmp_path: Path, value: object) -> None:
    init_home(tmp_path)
    update_config(tmp_path, tiles_dir=value)
    with pytest.raises(ConfigError) as e:
        load_settings(tmp_path)
    assert e.value.field == "tiles_dir"


def test_configured_witnesses_become_the_logs_policy(tmp_path: Path) -> None:
    init_home(tmp_path)
    vkey = encode_vkey("witness.example", SigningKey.generate().public_key, 0x04)
    update_config(tmp_path, witnesses=[{"url": "https://witness.example/", "vkey": vkey}], witness_threshold=1)
    settings = load_settings(tmp_path)
    assert settings.witness_policy is not None and settings.witness_policy.vkeys == (vkey,)
    log = open_log(settings, precheck_workers=False)
    try:
        assert log.witnessing is not None and log.witnessing.policy.threshold == 1
    finally:
        log.store.close()
    update_config(tmp_path, witnesses=[{"url": "https://witness.example/", "vkey": vkey}], witness_threshold=2)
    with pytest.raises(ConfigError) as e:
        load_settings(tmp_path)
    assert e.value.field == "witness_threshold"
    assert json.loads((tmp_path / "config.json").read_text())["witness_threshold"] == 2  # nothing rewritten

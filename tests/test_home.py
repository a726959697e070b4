"""ledger/home.py: settings are validated once, and only JSON of the right type is accepted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.home import init_home, load_settings
from mapping.errors import ConfigError


def _home_with(tmp_path: Path, **config: Any) -> Path:
    home = tmp_path / "home"
    init_home(home)
    path = home / "config.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw.update(config)
    path.write_text(json.dumps(raw), encoding="utf-8")
    return home


@pytest.mark.parametrize("value", [True, False])
def test_allow_any_scheme_takes_json_booleans(tmp_path: Path, value: bool) -> None:
    assert load_settings(_home_with(tmp_path, allow_any_scheme=value)).policy.allow_any_scheme is value


def test_allow_any_scheme_defaults_to_false(tmp_path: Path) -> None:
    home = _home_with(tmp_path)
    path = home / "config.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    del raw["allow_any_scheme"]
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert load_settings(home).policy.allow_any_scheme is False


@pytest.mark.parametrize("value", ["false", "true", "no", 0, 1, None, []])
def test_allow_any_scheme_refuses_everything_else(tmp_path: Path, value: Any) -> None:
    """The string "false" is not false (it used to open the log to every scheme)."""
    with pytest.raises(ConfigError) as e:
        load_settings(_home_with(tmp_path, allow_any_scheme=value))
    assert (e.value.code, e.value.field) == ("config.invalid", "allow_any_scheme")


@pytest.mark.parametrize("value", [True, "300", 0, 86401])
def test_clock_skew_refuses_what_is_no_number_of_seconds(tmp_path: Path, value: Any) -> None:
    with pytest.raises(ConfigError) as e:
        load_settings(_home_with(tmp_path, max_clock_skew_s=value))
    assert (e.value.code, e.value.field) == ("config.invalid", "max_clock_skew_s")


def test_two_logs_initialized_alike_get_different_origins(tmp_path: Path) -> None:
    """Issue 19 item 7: every log was `carbonledger.local/log`, so a buyer's kept checkpoints of two logs
    collided; `init` now derives a unique origin from the host name and a random suffix."""
    a, b = init_home(tmp_path / "a").origin, init_home(tmp_path / "b").origin
    assert a != b and "carbonledger.local/log" not in (a, b)
    assert all(" " not in o and "+" not in o and "/" in o for o in (a, b))  # C2SP: no spaces or plus
    assert init_home(tmp_path / "a").origin == a  # an existing home keeps its origin


def test_unique_origin_cleans_the_host_name() -> None:
    from ledger.home import unique_origin

    assert unique_origin("My Host+1.Example", "ab12") == "my-host-1.example/carbonledger-ab12"
    assert unique_origin("", "ab12") == "carbonledger/carbonledger-ab12"


@pytest.mark.parametrize(
    "value", ["ftp://x.example", "labels.example", "https://x.example/?q=1", "https://u:p@x.example", 7, ""]
)
def test_base_url_refuses_what_a_phone_cannot_open(tmp_path: Path, value: Any) -> None:
    with pytest.raises(ConfigError) as e:
        load_settings(_home_with(tmp_path, base_url=value))
    assert e.value.code == "config.invalid" and e.value.field == "base_url"


def test_base_url_is_kept_without_its_trailing_slash(tmp_path: Path) -> None:
    assert load_settings(_home_with(tmp_path, base_url="https://labels.example/cl/")).base_url == (
        "https://labels.example/cl"
    )

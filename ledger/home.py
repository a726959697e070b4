"""The data directory (``--home`` or ``CARBONLEDGER_HOME``): typed settings, validated once.

Layout::

    config.json     origin, database URL, scheme allow-list, clock-skew limit, ``base_url`` (the public
                    address of the pages, for QR codes and GS1 Digital Link), the log's witnesses
                    (``witnesses``: [{url, vkey}], ``witness_threshold``, ``witness_timeout_s``), and
                    ``tiles_dir`` (relative to the home, or absolute): static tiles kept current
    log-key.pem     the log's Ed25519 checkpoint key (PKCS#8; encrypted when
                    CARBONLEDGER_LOG_KEY_PASSPHRASE is set)
    ledger.db       the SQLite store, unless config.json names another database
    chains.json     next seq/prev of each key this home signs with (issuer side)

``CARBONLEDGER_DATABASE_URL`` overrides the configured database for one run.
Nothing here is created at import: :func:`init_home` writes, :func:`load_settings` reads, :func:`open_log`
opens the log the settings describe.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mapping.errors import CarbonLedgerError, ConfigError
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .log import Log, utc_now
from .public_url import parse_base_url
from .store import Store
from .witnessing import DEFAULT_TIMEOUT_S, WitnessPolicy, policy_from_config

CONFIG_FILE = "config.json"
LOG_KEY_FILE = "log-key.pem"
CHAINS_FILE = "chains.json"
DEFAULT_ORIGIN = "carbonledger.local/log"
DEFAULT_HOME = Path.home() / ".carbonledger"


@dataclass(frozen=True)
class Settings:
    home: Path
    origin: str
    database_url: str
    policy: Policy = field(default_factory=Policy)
    witness_policy: WitnessPolicy | None = None  # config.json's witnesses and witness_threshold
    tiles_dir: Path | None = None  # config.json's tiles_dir: kept current after every batch (C2SP tlog-tiles)
    base_url: str | None = None  # config.json's base_url: where buyers open the pages (QR codes, /01/{gtin})

    @property
    def log_key_path(self) -> Path:
        return self.home / LOG_KEY_FILE


def resolve_home(home: str | Path | None) -> Path:
    if home is not None:
        return Path(home).expanduser()
    env = os.environ.get("CARBONLEDGER_HOME")
    return Path(env).expanduser() if env else DEFAULT_HOME


def default_database_url(home: Path) -> str:
    return f"sqlite:///{(home / 'ledger.db').resolve()}"


def unique_origin(host: str | None = None, suffix: str | None = None) -> str:
    """A log origin no other log is likely to have: the operator's host name and a random suffix.

    C2SP tlog-checkpoint: the origin "should be a schema-less URL containing neither Unicode spaces nor plus"
    and is unique to the log; two logs with one origin would make a buyer's kept checkpoints collide."""
    name = (host if host is not None else socket.getfqdn() or socket.gethostname()).lower()
    name = re.sub(r"[^a-z0-9.-]+", "-", name).strip(".-") or "carbonledger"
    return f"{name}/carbonledger-{suffix if suffix is not None else secrets.token_hex(4)}"


def init_home(
    home: Path,
    *,
    origin: str | None = None,
    allowed_schemes: list[str] | None = None,
    allow_any_scheme: bool = False,
    database_url: str | None = None,
    max_clock_skew_s: int = 300,
    base_url: str | None = None,
) -> Settings:
    """Create ``home`` with a config and a fresh log key; an existing home is left as it is and loaded.

    Without ``origin`` the log gets a unique one (:func:`unique_origin`)."""
    home.mkdir(parents=True, exist_ok=True)
    config_path = home / CONFIG_FILE
    if not config_path.exists():
        write_json_atomic(
            config_path,
            {
                "origin": origin or unique_origin(),
                "database_url": database_url,
                **({"base_url": parse_base_url(base_url)} if base_url else {}),
                "allowed_schemes": sorted(set(allowed_schemes or [])),
                "allow_any_scheme": allow_any_scheme,
                "max_clock_skew_s": max_clock_skew_s,
            },
        )
    key_path = home / LOG_KEY_FILE
    if not key_path.exists():
        write_private_file(key_path, SigningKey.generate().to_pem(_passphrase("CARBONLEDGER_LOG_KEY_PASSPHRASE")))
    return load_settings(home)


def load_settings(home: Path) -> Settings:
    config_path = home / CONFIG_FILE
    if not config_path.exists():
        raise ConfigError(
            f"{home} is not a carbonledger home (no {CONFIG_FILE}); run `carbonledger init` first",
            code="config.no_home",
        )
    try:
        raw: dict[str, Any] = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read {config_path}: {e}", code="config.unreadable") from e
    allowed = raw.get("allowed_schemes", [])
    skew = raw.get("max_clock_skew_s", 300)
    if not isinstance(allowed, list) or not all(isinstance(s, str) for s in allowed):
        raise ConfigError(
            "allowed_schemes must be a list of scheme ids", code="config.invalid", field="allowed_schemes"
        )
    if not isinstance(skew, int) or isinstance(skew, bool) or not 0 < skew <= 86400:
        raise ConfigError(
            "max_clock_skew_s must be an integer from 1 to 86400", code="config.invalid", field="max_clock_skew_s"
        )
    origin = raw.get("origin", DEFAULT_ORIGIN)
    if not isinstance(origin, str) or not origin:
        raise ConfigError("origin must be a non-empty string", code="config.invalid", field="origin")
    allow_any = raw.get("allow_any_scheme", False)
    if not isinstance(allow_any, bool):  # JSON true or false only: the string "false" is not false
        raise ConfigError(
            f"allow_any_scheme must be true or false (a JSON boolean), got {allow_any!r}",
            code="config.invalid",
            field="allow_any_scheme",
        )
    url = os.environ.get("CARBONLEDGER_DATABASE_URL") or raw.get("database_url") or default_database_url(home)
    policy = Policy(frozenset(allowed), allow_any, skew)
    witnesses = policy_from_config(
        raw.get("witnesses"), raw.get("witness_threshold"), raw.get("witness_timeout_s", DEFAULT_TIMEOUT_S)
    )
    tiles = raw.get("tiles_dir")
    if tiles is not None and (not isinstance(tiles, str) or not tiles):
        raise ConfigError("tiles_dir must be a directory path", code="config.invalid", field="tiles_dir")
    tiles_dir = None if tiles is None else home / Path(tiles).expanduser()
    base = raw.get("base_url")
    if base is not None and not isinstance(base, str):
        raise ConfigError("base_url must be an http(s) URL", code="config.invalid", field="base_url")
    try:
        base_url = None if base is None else parse_base_url(base)
    except CarbonLedgerError as e:
        raise ConfigError(e.message, code="config.invalid", field="base_url") from e
    return Settings(
        home=home,
        origin=origin,
        database_url=url,
        policy=policy,
        witness_policy=witnesses,
        tiles_dir=tiles_dir,
        base_url=base_url,
    )


def open_log(settings: Settings, clock: Callable[[], datetime] = utc_now, *, precheck_workers: bool = True) -> Log:
    """The log of ``settings``: its store (created on demand), its log key and its policy."""
    store = Store(settings.database_url)
    log = Log(store, load_log_key(settings), settings.origin, settings.policy, clock, precheck_workers=precheck_workers)
    if settings.witness_policy is not None:
        log.enable_witnessing(settings.witness_policy)
    if settings.tiles_dir is not None:
        from .tiles_export import TilesExporter

        log.on_publish.append(TilesExporter(settings.tiles_dir))
    return log


def update_config(home: Path, **changes: Any) -> None:
    path = home / CONFIG_FILE
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw.update(changes)
    write_json_atomic(path, raw)


def load_log_key(settings: Settings) -> SigningKey:
    return read_key_file(settings.log_key_path, "CARBONLEDGER_LOG_KEY_PASSPHRASE")


def read_key_file(path: Path, passphrase_env: str = "CARBONLEDGER_KEY_PASSPHRASE") -> SigningKey:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"cannot read key file {path}: {e.strerror}", code="key.unreadable") from e
    try:
        return SigningKey.from_pem(data, _passphrase(passphrase_env))
    except ConfigError as e:
        raise ConfigError(f"{path}: {e.message}", code=e.code) from e


def write_key_file(path: Path, key: SigningKey, passphrase_env: str = "CARBONLEDGER_KEY_PASSPHRASE") -> None:
    if path.exists():
        raise ConfigError(f"{path} exists; refusing to overwrite a key file", code="key.exists")
    write_private_file(path, key.to_pem(_passphrase(passphrase_env)))


def _passphrase(env: str) -> bytes | None:
    value = os.environ.get(env)
    return value.encode("utf-8") if value else None


def write_private_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def write_json_atomic(path: Path, value: Any) -> None:
    """Write JSON to a temporary file, fsync it, then rename over ``path``: readers see old or new, never half."""
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync it, then rename over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise

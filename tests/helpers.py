"""Test helpers: build and sign entries the way an issuer would."""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger.issuer import build_and_sign
from verifier.envelope import ZERO_ENTRY_ID
from verifier.keys import SigningKey

NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
DATA = Path(__file__).parent / "data"


def midea_label() -> dict[str, Any]:
    return json.loads((DATA / "label_gd_midea.json").read_text(encoding="utf-8"))


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


class Signer:
    """A key that keeps its own hash chain, like a careful issuer."""

    def __init__(self, key: SigningKey | None = None) -> None:
        self.key = key or SigningKey.generate()
        self.seq = 0
        self.prev = ZERO_ENTRY_ID

    @property
    def key_id(self) -> str:
        return self.key.key_id

    @property
    def public_b64(self) -> str:
        return b64(self.key.public_key)

    def sign(
        self,
        kind: str,
        fields: dict[str, Any],
        *,
        now: datetime = NOW,
        seq: int | None = None,
        prev: str | None = None,
        advance: bool = True,
    ) -> bytes:
        s = self.seq if seq is None else seq
        p = self.prev if prev is None else prev
        envelope, eid = build_and_sign(kind, fields, self.key, s, p, now)
        if advance:
            self.seq, self.prev = s + 1, eid
        return envelope

    def register(self, scheme_id: str, **kw: Any) -> bytes:
        return self.sign(
            "scheme.register",
            {
                "scheme": {"id": scheme_id, "name": scheme_id.replace("-", " ").title(), "role": "scheme"},
                "public_key": self.public_b64,
            },
            **kw,
        )

    def authorize(self, scheme_id: str, other: Signer, kinds: list[str] | None = None, **kw: Any) -> bytes:
        fields: dict[str, Any] = {
            "scheme": scheme_id,
            "public_key": other.public_b64,
            "kinds": kinds or ["label.issue"],
            "holder": {"name": "CQC Guangzhou", "role": "certification-body"},
        }
        fields.update(kw.pop("extra", {}))
        return self.sign("key.authorize", fields, **kw)

    def issue(self, label: dict[str, Any], **kw: Any) -> bytes:
        return self.sign("label.issue", {"label": copy.deepcopy(label)}, **kw)


def label_for(scheme_id: str, label_id: str) -> dict[str, Any]:
    label = midea_label()
    label["scheme"] = scheme_id
    label["label_id"] = label_id
    return label


class Cli:
    """The `carbonledger` command as a user runs it: a real process with its own home, no colour."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.env = {**os.environ, "CARBONLEDGER_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "200"}
        self.env.pop("CARBONLEDGER_DATABASE_URL", None)

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        cp = subprocess.run(
            [sys.executable, "-c", "from cli.main import main; main()", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=Path(__file__).parent.parent,
        )
        if ok:
            assert cp.returncode == 0, f"{args}: rc {cp.returncode}\n{cp.stdout}\n{cp.stderr}"
        return cp

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

"""`carbonledger demo`: the story so far, on an embedded SQLite store, idempotent on its home.

Schemes register their root keys, a certification body is authorized, labels are
issued (the first Guangdong batch's Midea air conditioner among them), one is
revoked, and a buyer checks inclusion and consistency proofs against the signed
checkpoint with the verifier alone.
"""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.bench import realistic_label
from ledger.home import init_home, read_key_file, write_key_file
from ledger.issuer import ChainBook, build_and_sign
from ledger.log import Log, utc_now
from ledger.runtime import open_log
from verifier.keys import SigningKey
from verifier.merkle import leaf_hash, verify_consistency, verify_inclusion
from verifier.note import verify_note

from .output import console, emit

DEMO_SCHEMES = [
    ("gd-carbon-label", "Guangdong carbon label", "广东碳标签", "CN"),
    ("hk-cma-carbon-label", "Hong Kong CMA Testing carbon label", "香港中华厂商联合会检定中心碳标签", "HK"),
    ("cn-cnca-cfp-label", "China national product carbon footprint label", "全国产品碳足迹标识", "CN"),
    ("carbontrust-label", "Carbon Trust product carbon footprint label", None, "GB"),
    ("jp-sumpo-cfp", "SuMPO EPD Japan (CFP)", None, "JP"),
    ("kr-keiti-cfp", "Korea KEITI carbon footprint label", None, "KR"),
]

MIDEA = {
    "label_id": "GD-CL-2022-0003",
    "product": {
        "name": "Inverter split air conditioner, 2.6 kW cooling",
        "name_zh": "变频分体式空调器",
        "model": "KFR-26GW/BDN8Y-XT100(1)A",
        "category": {"system": "cpc", "code": "44821", "name": "Air-conditioning machines"},
        "manufacturer": {
            "name": "GD Midea Air-Conditioning Equipment Co., Ltd.",
            "name_zh": "广东美的制冷设备有限公司",
            "country": "CN",
        },
        "production_site": {"name": "Shunde, Foshan", "country": "CN", "region": "CN-GD", "grid_region": "CN-South"},
    },
    "issued_at": "2022-06-28",
    "valid_until": "2025-06-27",
}


def _key(home: Path, name: str) -> SigningKey:
    path = home / "demo-keys" / f"{name}.pem"
    if not path.exists():
        write_key_file(path, SigningKey.generate())
    return read_key_file(path)


class _Demo:
    def __init__(self, home: Path, log: Log) -> None:
        self.home, self.log, self.book = home, log, ChainBook(home)

    def sign_submit(self, kind: str, fields: dict[str, Any], key: SigningKey) -> Any:
        rec = self.log._keys.get(key.key_id)
        head = (rec.head_seq, rec.head_id) if rec is not None and rec.head_seq >= 0 else None
        seq, prev = self.book.next_position(key.key_id, head)
        env, eid = build_and_sign(kind, fields, key, seq, prev, utc_now())
        receipt = self.log.submit(env)
        self.book.advance(key.key_id, seq, eid)
        return receipt


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """Run the story on an embedded SQLite store in the home (idempotent)."""
        from .main import ctx

        home = ctx().home
        settings = init_home(home, allowed_schemes=[s[0] for s in DEMO_SCHEMES])
        log = open_log(settings)
        d = _Demo(home, log)
        say = (lambda *a: None) if as_json else console.print
        say(f"[bold]carbonledger demo[/] — home {home}, log {log.origin}, tree size {log.size}")
        roots = {}
        for scheme_id, name, name_zh, country in DEMO_SCHEMES:
            roots[scheme_id] = _key(home, f"{scheme_id}-root")
            if scheme_id in log._schemes:
                say(f"  scheme {scheme_id} already registered")
                continue
            info: dict[str, Any] = {"id": scheme_id, "name": name, "role": "scheme", "country": country}
            if name_zh:
                info["name_zh"] = name_zh
            r = d.sign_submit(
                "scheme.register",
                {"scheme": info, "public_key": base64.b64encode(roots[scheme_id].public_key).decode()},
                roots[scheme_id],
            )
            say(f"  1. scheme [cyan]{scheme_id}[/] registered its root key at index {r.index}")
        cqc = _key(home, "cqc-guangzhou")
        if cqc.key_id not in log._keys:
            r = d.sign_submit(
                "key.authorize",
                {
                    "scheme": "gd-carbon-label",
                    "public_key": base64.b64encode(cqc.public_key).decode(),
                    "kinds": ["label.issue", "label.revoke"],
                    "holder": {
                        "name": "CQC Guangzhou",
                        "name_zh": "中国质量认证中心广州分中心",
                        "role": "certification-body",
                    },
                },
                roots["gd-carbon-label"],
            )
            say(f"  2. gd-carbon-label authorized CQC Guangzhou's key for label.issue at index {r.index}")
        labels = []
        for i in range(5):
            label = realistic_label(i)
            label["scheme"] = "gd-carbon-label"
            label["label_id"] = f"GD-CL-2022-{i + 10:04d}"
            if i == 0:
                label.update(copy.deepcopy(MIDEA))
            labels.append(label)
        receipts = []
        for label in labels:
            existing = log.store.labels_by_ids([label["label_id"]])
            if existing:
                continue
            receipts.append(d.sign_submit("label.issue", {"label": label}, cqc))
            say(f"  3. label {label['label_id']} ({label['product']['model']}) issued at index {receipts[-1].index}")
        revoked = labels[-1]["label_id"]
        row = log.store.labels_by_ids([revoked])[0]
        if row.status == "active":
            r = d.sign_submit(
                "label.revoke",
                {
                    "scheme": "gd-carbon-label",
                    "label_id": revoked,
                    "label_entry": row.entry_id,
                    "reason": "product discontinued",
                },
                cqc,
            )
            say(f"  4. label {revoked} revoked by its issuer at index {r.index}")
        # The buyer's side: only the verifier and the log's public key.
        note = log.checkpoint()
        signers = verify_note(note, [log.vkey])
        size = log.size
        midea = log.store.labels_by_ids([MIDEA["label_id"]])[0]
        envelope = log.entry(midea.idx).envelope
        root = log.root(size)
        verify_inclusion(leaf_hash(envelope), midea.idx, size, log.inclusion_proof(midea.idx, size), root)
        half = max(1, size // 2)
        verify_consistency(half, size, log.consistency_proof(half, size), log.root(half), root)
        say(
            f"  5. buyer verified the checkpoint (signed by {', '.join(signers)}), the Midea label's inclusion "
            f"at index {midea.idx} of {size}, and consistency from size {half} to {size}"
        )
        emit(
            {
                "home": str(home),
                "tree_size": size,
                "vkey": log.vkey,
                "checkpoint": note,
                "midea_label_index": midea.idx,
                "revoked_label": revoked,
            },
            as_json,
            lambda v: console.print(f"[green]done[/]: tree size {v['tree_size']}; checkpoint:\n{v['checkpoint']}"),
        )

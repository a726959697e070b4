"""The rule book's table: which rule judges each entry kind (the rules: rules_keys, rules_labels, rules_records)."""

from __future__ import annotations

from collections.abc import Callable

from .envelope import Entry
from .ledger_state import AuthorityView, Change, KeyRecord, Policy
from .rules_keys import key_authorize, key_revoke, profile_publish, scheme_register, scheme_rotate
from .rules_labels import label_issue, label_revoke, label_supersede
from .rules_records import agreement, dataset_publish, dataset_retire

__all__ = ["RULES", "Rule"]

Rule = Callable[[Entry, dict, KeyRecord, int, AuthorityView, Policy | None], list[Change]]

RULES: dict[str, Rule] = {
    "scheme.register": scheme_register,
    "scheme.rotate": scheme_rotate,
    "key.authorize": key_authorize,
    "key.revoke": key_revoke,
    "label.issue": label_issue,
    "label.revoke": label_revoke,
    "label.supersede": label_supersede,
    "profile.publish": profile_publish,
    "dataset.publish": dataset_publish,
    "agreement.propose": agreement,
    "agreement.accept": agreement,
    "agreement.withdraw": agreement,
    "dataset.retire": dataset_retire,
}

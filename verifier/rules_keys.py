"""The rule book's rules for schemes, keys and profiles (DESIGN §3): ``scheme.register``, ``scheme.rotate``,
``key.authorize``, ``key.revoke``, ``profile.publish``. Each takes (entry, payload, signer's key record, index,
state before, policy) and returns the changes or raises a :class:`~mapping.errors.RuleError` naming the rule.
"""

from __future__ import annotations

from mapping.errors import AuthorityError, CarbonLedgerError, ConflictError, RuleError
from mapping.profiles import validate_profile

from .envelope import Entry, public_key_from_b64
from .keys import VerifyingKey
from .ledger_state import (
    DELEGATE,
    ROOT,
    AddKey,
    AddProfile,
    AddScheme,
    AuthorityView,
    Change,
    KeyRecord,
    Policy,
    RevokeKey,
    RotateRoot,
    SchemeRecord,
)
from .rules_common import absent, current_root, parse_time, require_own_scheme, root_kinds, rule_error, scheme_of


def scheme_register(
    entry: Entry, body: dict, key: KeyRecord, index: int, view: AuthorityView, policy: Policy | None
) -> list[Change]:
    info = body["scheme"]
    scheme_id = info["id"]
    if view.scheme(scheme_id) is not None:
        raise ConflictError(
            f"scheme id {scheme_id!r} is already bound to its first root key; only a "
            f"scheme.rotate signed by the current root can change it",
            code="scheme.already_bound",
            field="/scheme/id",
        )
    if policy is not None and not policy.allow_any_scheme and scheme_id not in policy.allowed_schemes:
        raise AuthorityError(
            f"scheme id {scheme_id!r} is not on the operator's allow-list",
            code="scheme.not_allowed",
            field="/scheme/id",
        )
    record = KeyRecord(key.key_id, key.verifying_key, scheme_id, ROOT, root_kinds(info["role"]), authorized_index=index)
    return [AddScheme(SchemeRecord(scheme_id, key.key_id, info["role"], info["name"], index)), AddKey(record)]


def _new_key(text: str, field: str, view: AuthorityView) -> VerifyingKey:
    vk = public_key_from_b64(text, field)
    existing = view.key(vk.key_id)
    if existing is not None:
        raise ConflictError(
            f"key {vk.key_id} is already bound to scheme {existing.scheme!r}", code="key.already_bound", field=field
        )
    return vk


def scheme_rotate(
    entry: Entry, body: dict, key: KeyRecord, index: int, view: AuthorityView, policy: Policy | None
) -> list[Change]:
    scheme_id = body["scheme"]
    current_root(key, scheme_id, view, "/scheme")
    vk = _new_key(body["new_public_key"], "/new_public_key", view)
    role = scheme_of(view, scheme_id).role
    new_root = KeyRecord(vk.key_id, vk, scheme_id, ROOT, root_kinds(role), authorized_index=index)
    return [AddKey(new_root), RevokeKey(key.key_id, index, index + 1), RotateRoot(scheme_id, vk.key_id)]


def key_authorize(
    entry: Entry, body: dict, key: KeyRecord, index: int, view: AuthorityView, policy: Policy | None
) -> list[Change]:
    scheme_id = body["scheme"]
    current_root(key, scheme_id, view, "/scheme")
    vk = _new_key(body["public_key"], "/public_key", view)
    not_after = parse_time(body["not_after"]) if "not_after" in body else None
    record = KeyRecord(
        vk.key_id,
        vk,
        scheme_id,
        DELEGATE,
        frozenset(body["kinds"]),
        authorized_index=index,
        not_after=not_after,
        holder=body["holder"]["name"],
    )
    return [AddKey(record)]


def key_revoke(
    entry: Entry, body: dict, key: KeyRecord, index: int, view: AuthorityView, policy: Policy | None
) -> list[Change]:
    scheme_id, target_id = body["scheme"], body["key_id"]
    target = view.key(target_id)
    if target is None:
        raise absent(view, f"key {target_id} is not a key of scheme {scheme_id!r}", code="key.unknown", field="/key_id")
    if target.scheme != scheme_id:
        raise RuleError(f"key {target_id} is not a key of scheme {scheme_id!r}", code="key.unknown", field="/key_id")
    if target_id != key.key_id:  # a key may always revoke itself; otherwise only the current root
        current_root(key, scheme_id, view, "/scheme")
    if target.role == ROOT and target_id == key.key_id:
        raise RuleError(
            "a root key cannot revoke itself; rotate it with scheme.rotate",
            code="key.root_self_revoke",
            field="/key_id",
        )
    if target.revoked_index is not None:
        raise ConflictError(
            f"key {target_id} is already revoked at index {target.revoked_index}",
            code="key.already_revoked",
            field="/key_id",
        )
    effective = body.get("effective_from_index", index)
    if effective > index:
        raise RuleError(
            f"effective_from_index {effective} is after this revocation's index {index}",
            code="key.bad_effective_index",
            field="/effective_from_index",
        )
    return [RevokeKey(target_id, index, effective)]


def profile_publish(
    entry: Entry, body: dict, key: KeyRecord, index: int, view: AuthorityView, policy: Policy | None
) -> list[Change]:
    """profile.publish: "scheme profiles signed by the scheme's root key; standard profiles by the operator's
    reference-data key" (issue: mapping layer). A version of a profile is published once."""
    publisher = body["scheme"]
    require_own_scheme(key, publisher, "/scheme")
    current_root(key, publisher, view, "/scheme")
    profile = body["profile"]
    try:
        validate_profile(profile)
    except CarbonLedgerError as e:
        raise rule_error(e, field="/profile" + (e.field or "")) from e
    role = scheme_of(view, publisher).role
    if profile["kind"] == "scheme" and profile["id"] != publisher:
        raise AuthorityError(
            f"a scheme profile is published by its own scheme: {profile['id']!r} is not {publisher!r}",
            code="profile.wrong_scheme",
            field="/profile/id",
        )
    if profile["kind"] == "standard" and role != "data-publisher":
        raise AuthorityError(
            "standard profiles are reference data: publish them with a data publisher's key",
            code="profile.not_reference_publisher",
            field="/scheme",
        )
    if profile["version"] in view.profile_versions(publisher, profile["id"]):
        raise ConflictError(
            f"profile {profile['id']!r} version {profile['version']!r} is already in the log",
            code="profile.duplicate_version",
            field="/profile/version",
        )
    return [AddProfile(publisher, profile["id"], profile["version"])]

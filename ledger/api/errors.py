"""The one place errors become HTTP statuses. Bodies: ``{"error": {"code", "message", "field"?}}``."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from mapping.errors import (
    AdmissionError,
    BackPressureError,
    CarbonLedgerError,
    ConfigError,
    InputError,
    NotFoundError,
    ProofError,
    SchemaError,
    SignatureError,
)

# Code prefixes that refine the class-based default (longest prefix wins).
_BY_CODE = {
    "input.oversized": 413,
    "input.content_type": 415,
    "entry.unknown_signer": 403,
    "authority.": 403,
    "scheme.not_allowed": 403,
    "scheme.not_self_signed": 403,
    "chain.": 409,
    "entry.duplicate": 409,
    "scheme.already_bound": 409,
    "key.already_bound": 409,
    "key.already_revoked": 409,
    "label.duplicate_id": 409,
    "label.not_active": 409,
    "label.unknown": 404,
    "label.ambiguous": 409,
    "mapping.unknown_profile": 404,
    "mapping.unknown_profile_version": 404,
    "input.date": 422,
    "label.replacement_unknown": 422,
    "clock.skew": 422,
    "agreement.not_party": 403,
    "agreement.not_root": 403,
    "agreement.self_accept": 403,
    "agreement.replayed": 409,
    "agreement.duplicate_version": 409,
    "agreement.stale_version": 409,
    "agreement.overlap_in_force": 409,
    "dataset.publisher_unknown": 403,
    "dataset.wrong_publisher": 403,
    "dataset.version_not_increasing": 409,
    "dataset.already_retired": 409,
    "profile.wrong_scheme": 403,
    "profile.not_reference_publisher": 403,
    "profile.duplicate_version": 409,
}
_BY_CLASS: list[tuple[type[CarbonLedgerError], int]] = [
    (BackPressureError, 503),
    (NotFoundError, 404),
    (SignatureError, 401),
    (SchemaError, 422),
    (InputError, 400),
    (ProofError, 400),
    (AdmissionError, 422),
    (ConfigError, 500),
]


def status_for(error: CarbonLedgerError) -> int:
    best = max(
        (p for p in _BY_CODE if error.code == p or (p.endswith(".") and error.code.startswith(p))),
        key=len,
        default=None,
    )
    if best is not None:
        return _BY_CODE[best]
    for cls, status in _BY_CLASS:
        if isinstance(error, cls):
            return status
    return 400


async def carbonledger_error_handler(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, CarbonLedgerError)
    headers = {}
    if isinstance(error, BackPressureError):
        headers["Retry-After"] = str(error.retry_after_s)
    return JSONResponse({"error": error.to_dict()}, status_code=status_for(error), headers=headers)

"""The project's one error hierarchy.

It lives in the lowest layer so every layer above can raise and catch it:

    CarbonLedgerError            every error carbonledger raises on purpose
    ├── MappingError             mapping/: units, quantities, profiles, conversions
    ├── InputError               malformed, oversized or non-canonical bytes (verifier/)
    ├── ProofError               a Merkle proof does not hold (verifier/merkle.py)
    ├── NoteError                a signed note or checkpoint does not verify (verifier/note.py)
    ├── SignatureError           a signature does not verify (verifier/keys.py)
    ├── SchemaError              a document breaks its JSON Schema (verifier/schemas.py)
    ├── AdmissionError           the log refuses an entry (ledger/)
    │   ├── RuleError            the entry breaks a rule of the rule book (verifier/rules.py)
    │   │   └── Unestablished    a bundle does not hold what would establish the entry's signer
    │   └── BackPressureError    the log is busy; retry later
    ├── NotFoundError            an id, index or size the store does not hold
    └── ConfigError              settings, home directory or key files are unusable

Every error carries a stable ``code`` (dotted, lower case, never renamed once
published) and, where one field is to blame, a ``field`` (a JSON Pointer or a
parameter name). Codes are translated to HTTP statuses in one place
(``ledger/api``) and to exit codes in one place (``cli/errors.py``).
"""

from __future__ import annotations

from typing import Any


class CarbonLedgerError(Exception):
    """Base of every error carbonledger raises on purpose."""

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        return out

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class MappingError(CarbonLedgerError):
    code = "mapping.invalid"


class InputError(CarbonLedgerError):
    code = "input.invalid"


class ProofError(CarbonLedgerError):
    code = "proof.invalid"


class NoteError(CarbonLedgerError):
    code = "note.invalid"


class SignatureError(CarbonLedgerError):
    code = "signature.invalid"


class SchemaError(CarbonLedgerError):
    code = "schema.invalid"


class AdmissionError(CarbonLedgerError):
    code = "admission.refused"


class RuleError(AdmissionError):
    """An entry breaks a rule of the rule book; ``code`` names the rule (the log refuses it, a buyer's
    verifier refuses a bundle holding it)."""

    code = "rule.broken"


class Unestablished(RuleError):
    """A partial view (a bundle) does not hold the entries that would establish what an entry needs: it is left
    out, neither admitted nor proven wrong."""

    code = "rule.unestablished"


class BackPressureError(AdmissionError):
    code = "log.busy"

    def __init__(self, message: str, *, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class NotFoundError(CarbonLedgerError):
    code = "not_found"


class ConfigError(CarbonLedgerError):
    code = "config.invalid"

"""The project's error tree: every error carbonledger raises on purpose, each class knowing its HTTP status and
its command-line exit code.

It lives in the lowest layer so every layer above can raise and catch it. The HTTP edge
(``ledger/api/errors.py``) answers ``error.http_status`` and the CLI edge (``cli/errors.py``) exits with
``error.exit_code``: each translates in one place, by class, with no table of codes. A class never disagrees
with its codes: a test reads every ``raise`` in the sources and checks the pairs (tests/test_error_tree.py).

    CarbonLedgerError              400 / 1   every error carbonledger raises on purpose
    ├── MappingError               400 / 1   mapping/: units, quantities, profiles, conversions
    │   ├── UnknownProfileError    404 / 1   a profile or profile version that is not known
    │   ├── AgreementConflictError 409 / 1   agreement events conflicting with the history
    │   └── AgreementForbiddenError 403 / 1  an agreement event its signer may not make
    ├── InputError                 400 / 1   malformed or non-canonical bytes (verifier/)
    │   ├── UsageError             400 / 2   a command line or request missing or garbling what it must name
    │   ├── InvalidParameterError  422 / 1   a request parameter that is no value of its type
    │   ├── OversizedError         413 / 1   a body, document or entry over its limit
    │   ├── UnreadableFileError    400 / 1   a file named on the command line that cannot be read
    │   │   └── UnreadableEvidenceError 400 / 5  a bundle or trust file ``verify`` cannot read: unusable input
    │   └── MediaTypeError         415 / 1   a request body of the wrong content type
    ├── ProofError                 400 / 1   a Merkle proof does not hold (verifier/merkle.py)
    ├── NoteError                  400 / 1   a signed note or checkpoint does not verify (verifier/note.py)
    ├── SignatureError             422 / 1   a signature does not verify (verifier/keys.py) — not HTTP 401,
    │                                        which is about HTTP authentication
    ├── SchemaError                422 / 1   a document breaks its JSON Schema (verifier/schemas.py)
    ├── AdmissionError             422 / 1   the log refuses an entry (ledger/)
    │   ├── RuleError              422 / 1   the entry breaks a rule of the rule book (verifier/rules.py)
    │   │   ├── AuthorityError     403 / 1   its signer may not do this (authority by log order)
    │   │   ├── ConflictError      409 / 1   it conflicts with what the log holds (a replay, a fork, a duplicate)
    │   │   ├── UnknownEntryError  404 / 1   it names an entry the log does not hold
    │   │   └── Unestablished      422 / 1   a bundle does not hold what would establish the entry
    │   └── BackPressureError      503 / 1   the log is busy; retry later (Retry-After)
    ├── NotFoundError              404 / 1   an id, index or size the store does not hold
    │   └── AmbiguousError         409 / 1   an id that names several things (say which)
    ├── UnavailableError           503 / 1   the store cannot be used now; retry later (Retry-After)
    └── ConfigError                500 / 1   settings, home directory or key files are unusable

Every error carries a stable ``code`` (dotted, lower case, never renamed once published) and, where one field
is to blame, a ``field`` (a JSON Pointer or a parameter name). The buyer's verification verdicts (exit codes
3-8 of ``carbonledger verify``) are reports, not errors: see ``verifier/report.py``; the one error that exits
with a verdict's code is :class:`UnreadableEvidenceError`, a file ``verify`` cannot even read (unusable input, 5).
"""

from __future__ import annotations

from typing import Any


class CarbonLedgerError(Exception):
    """Base of every error carbonledger raises on purpose."""

    code: str = "error"
    http_status: int = 400
    exit_code: int = 1

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field
        self.errors = errors or []  # every problem found, when there are several (each: field, message, …)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.errors:
            out["errors"] = self.errors
        return out

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class MappingError(CarbonLedgerError):
    code = "mapping.invalid"


class UnknownProfileError(MappingError):
    """A methodology profile (or a version of it) that is not known."""

    code = "mapping.unknown_profile"
    http_status = 404


class AgreementConflictError(MappingError):
    """Agreement events that conflict with the history: a replay, a duplicate or stale version, an overlap."""

    code = "agreement.conflict"
    http_status = 409


class AgreementForbiddenError(MappingError):
    """An agreement event its signer may not make: not a party, not a root, accepting its own proposal."""

    code = "agreement.forbidden"
    http_status = 403


class InputError(CarbonLedgerError):
    code = "input.invalid"


class UsageError(InputError):
    """A command line (or request) that lacks or garbles what it must name: exit 2, like Click's own."""

    code = "input.missing"
    exit_code = 2


class InvalidParameterError(InputError):
    """A request parameter that is no value of its type (a date that is not YYYY-MM-DD)."""

    code = "input.invalid_parameter"
    http_status = 422


class UnreadableFileError(InputError):
    """A file named on the command line that cannot be read: missing, a directory, not permitted."""

    code = "input.unreadable"


class UnreadableEvidenceError(UnreadableFileError):
    """A bundle or trust file ``verify`` cannot read: its documented "unusable input" (exit 5)."""

    exit_code = 5


class OversizedError(InputError):
    code = "input.oversized"
    http_status = 413


class MediaTypeError(InputError):
    code = "input.content_type"
    http_status = 415


class ProofError(CarbonLedgerError):
    code = "proof.invalid"


class NoteError(CarbonLedgerError):
    code = "note.invalid"


class SignatureError(CarbonLedgerError):
    code = "signature.invalid"
    http_status = 422


class SchemaError(CarbonLedgerError):
    """A document its schema refuses; ``errors`` lists every failing field (``field``, ``message``)."""

    code = "schema.invalid"
    http_status = 422


class AdmissionError(CarbonLedgerError):
    code = "admission.refused"
    http_status = 422


class RuleError(AdmissionError):
    """An entry breaks a rule of the rule book; ``code`` names the rule (the log refuses it, a buyer's
    verifier refuses a bundle holding it)."""

    code = "rule.broken"


class AuthorityError(RuleError):
    """The entry's signer may not do what it does: not authorized (by log order), not a party, not the root."""

    code = "authority.unauthorized"
    http_status = 403


class ConflictError(RuleError):
    """The entry conflicts with what the log already holds: a replay, a fork, a duplicate, a stale version."""

    code = "entry.conflict"
    http_status = 409


class UnknownEntryError(RuleError):
    """The entry names a label, key or entry the log does not hold."""

    code = "entry.unknown"
    http_status = 404


class Unestablished(RuleError):
    """A partial view (a bundle) does not hold the entries that would establish what an entry needs: it is left
    out, neither admitted nor proven wrong."""

    code = "rule.unestablished"


class BackPressureError(AdmissionError):
    code = "log.busy"
    http_status = 503

    def __init__(self, message: str, *, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class NotFoundError(CarbonLedgerError):
    code = "not_found"
    http_status = 404


class AmbiguousError(NotFoundError):
    """An id that names several things (a label id two schemes use): the caller must say which."""

    code = "label.ambiguous"
    http_status = 409


class UnavailableError(CarbonLedgerError):
    """The store cannot be used now (disk full, read-only, locked, unreachable); nothing was changed."""

    code = "store.unavailable"
    http_status = 503

    def __init__(self, message: str, *, code: str | None = None, retry_after_s: int = 1) -> None:
        super().__init__(message, code=code)
        self.retry_after_s = retry_after_s


class ConfigError(CarbonLedgerError):
    code = "config.invalid"
    http_status = 500


class MissingExtraError(ConfigError):
    """A command needs a part of carbonledger the install left out (the log service, PostgreSQL support)."""

    code = "install.missing_extra"

    def __init__(self, extra: str, what: str, missing: ImportError) -> None:
        super().__init__(
            f"{what} needs the {extra!r} extra, which this install lacks ({missing}); "
            f"install it with: pip install 'carbonledger[{extra}]'"
        )


class AuthenticationError(CarbonLedgerError):
    """HTTP authentication failed: a client's credentials or an access token the service does not accept now
    (an expired token, wrong client credentials). HTTP 401, as RFC 6749 §5.2 and RFC 6750 §3.1 ask."""

    code = "auth.failed"
    http_status = 401


class ForbiddenError(CarbonLedgerError):
    """A request without the access it needs (no access token, or one the service never issued)."""

    code = "auth.denied"
    http_status = 403


class UriTooLongError(InputError):
    """A request whose URL (path and query) is longer than the service reads. HTTP 414 (RFC 9110 §15.5.15)."""

    code = "input.uri_too_long"
    http_status = 414

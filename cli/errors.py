"""Exit codes: the one place errors become process exit statuses.

0  success
1  refused or invalid (any carbonledger error: bad input, admission refusal, not found, config)
2  usage error (wrong command or options; Typer/Click's own code)
3-7 are the buyer's verification verdicts (see `carbonledger verify`)
"""

from __future__ import annotations

from collections.abc import Callable

from ledger.tables import INT64_MAX, bounded_int
from mapping.errors import CarbonLedgerError

EXIT_OK = 0
EXIT_ERROR = 1


def exit_code_for(error: CarbonLedgerError) -> int:
    """The exit status of a carbonledger error: its class's (a :class:`~mapping.errors.UsageError` — an option
    or argument missing, text where a number belongs — exits 2, like Click's own usage errors)."""
    return error.exit_code


def number(name: str, *, minimum: int = 0, maximum: int = INT64_MAX) -> Callable[[str], int]:
    """A Typer ``parser=`` for an index, tree size or version argument: :func:`ledger.tables.bounded_int`, so
    text that is no number is ``input.integer`` (exit 2) and a number outside ``[minimum, maximum]`` — by default
    ``0 <= n < 2**63``, all a log can hold — ``input.out_of_range`` (exit 1): one line each, never a traceback."""

    def parse(text: str) -> int:
        return bounded_int(text, name, minimum=minimum, maximum=maximum)

    return parse

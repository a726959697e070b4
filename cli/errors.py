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
EXIT_USAGE = 2


# A required option or argument missing from the command line, or text where a number belongs, is a usage
# error, like Click's own.
_USAGE_CODES = frozenset({"input.missing", "input.integer", "usage"})


def exit_code_for(error: CarbonLedgerError) -> int:
    return EXIT_USAGE if error.code in _USAGE_CODES else EXIT_ERROR


def number(name: str, *, minimum: int = 0, maximum: int = INT64_MAX) -> Callable[[str], int]:
    """A Typer ``parser=`` for an index, tree size or version argument: :func:`ledger.tables.bounded_int`, so
    text that is no number is ``input.integer`` (exit 2) and a number outside ``[minimum, maximum]`` — by default
    ``0 <= n < 2**63``, all a log can hold — ``input.out_of_range`` (exit 1): one line each, never a traceback."""

    def parse(text: str) -> int:
        return bounded_int(text, name, minimum=minimum, maximum=maximum)

    return parse

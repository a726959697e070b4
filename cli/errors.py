"""Exit codes: the one place errors become process exit statuses.

0  success
1  refused or invalid (any carbonledger error: bad input, admission refusal, not found, config)
2  usage error (wrong command or options; Typer/Click's own code)
3-7 are the buyer's verification verdicts (see `carbonledger verify`)
"""

from __future__ import annotations

from mapping.errors import CarbonLedgerError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


# A required option or argument missing from the command line is a usage error, like Click's own.
_USAGE_CODES = frozenset({"input.missing"})


def exit_code_for(error: CarbonLedgerError) -> int:
    return EXIT_USAGE if error.code in _USAGE_CODES else EXIT_ERROR

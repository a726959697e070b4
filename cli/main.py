"""`carbonledger`: the command line's entry point. :func:`main` runs one command line and returns its exit
status — as the console script (which exits with it) or in a test's own process.

Thin: the commands (:mod:`cli.app` and the ``*_cmds`` modules) parse options, call ledger/verifier/mapping
and print; here errors become one line (or one JSON object) and an exit status (:mod:`cli.errors`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import httpx
import typer

from mapping.errors import CarbonLedgerError

from .app import app
from .context import Injected
from .errors import EXIT_ERROR, exit_code_for
from .output import emit_error

__all__ = ["app", "main"]


def main(argv: Sequence[str] | None = None, *, http_client: httpx.Client | None = None) -> int:
    """Run the command line ``argv`` (default: this process's arguments); return its exit status.

    ``http_client`` is the HTTP client of online mode (``verify --server``): a test passes one bound to a
    service in its own process."""
    args = sys.argv[1:] if argv is None else list(argv)
    as_json = "--json" in args
    try:
        rc = app(args=args, prog_name="carbonledger", standalone_mode=False, obj=Injected(http_client))
    except CarbonLedgerError as e:
        emit_error(e.to_dict(), as_json)
        return exit_code_for(e)
    except typer.Exit as e:
        return e.exit_code
    except typer.Abort:
        return 1
    except OSError as e:
        # A file the command had to write (or read) and could not: one line naming it, never a traceback.
        message = f"{e.filename}: {e.strerror}" if e.filename and e.strerror else str(e)
        emit_error({"code": "io.failed", "message": message}, as_json)
        return EXIT_ERROR
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            return e.code or 0
        print(e.code, file=sys.stderr)
        return 1
    except Exception as e:
        # Usage errors come from the Click that Typer bundles: one line with the code "usage" (exit 2), as every
        # other error; a group called without a command still shows its help the Click way.
        exit_code = getattr(e, "exit_code", None)
        if not hasattr(e, "show") or not isinstance(exit_code, int):
            raise
        if type(e).__name__ == "NoArgsIsHelpError" or not hasattr(e, "format_message"):
            e.show()
        else:
            command = getattr(getattr(e, "ctx", None), "command_path", None)
            hint = f" (see '{command} --help')" if command else ""
            emit_error({"code": "usage", "message": e.format_message() + hint}, as_json)
        return exit_code
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":
    sys.exit(main())

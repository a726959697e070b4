"""carbonledger's command line: commands for every user; nothing imports cli.

:func:`cli.main.main` runs one command line and returns its exit status; :mod:`cli.app` is the command tree.
"""

__all__ = ["app", "main"]

"""The trust kernel and the buyer's verifier. Pure: no I/O beyond what it is handed; clock passed in."""

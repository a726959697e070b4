"""The trust kernel and the buyer's verifier. Pure: no I/O beyond what it is handed; clock passed in (but for
shipment_workers.py, which spreads a shipment over worker processes).

Plain Python: importing it runs no hook and checks nothing; a buyer who only verifies needs only the default
install (see README, Install).
"""

# What a buyer uses: the verification (verify.verify_bundle / verify_shipment), the trust file, the rule book
# and its replay, and the trust kernel's modules.
__all__ = [
    "bundle",
    "bundle_refresh",
    "canonical",
    "envelope",
    "keys",
    "memory_state",
    "merkle",
    "note",
    "report",
    "rules",
    "shipment_workers",
    "status_commit",
    "status_map",
    "status_map_proof",
    "status_records",
    "status_replay",
    "trust",
    "verify",
]

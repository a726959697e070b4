"""The log: Merkle tree and proofs, storage, sequencing, checkpoints, admission."""

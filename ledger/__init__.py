"""The log: Merkle tree and proofs, storage, sequencing, checkpoints, admission, the HTTP service and pages.

Its rooms, by what each holds:

- the log and its write path: ``log`` (:class:`~ledger.log.Log`, its public read API), ``precheck`` (the
  stateless checks), ``batch_view`` (the state a batch's next entry sees), ``admission``, ``sequencer``;
- the Merkle tree: ``proof_plan`` (the one subtree decomposition, proof ranges), ``compact_range`` (the
  writer's right edge), ``stored_tree`` (proofs read from the store), ``tree`` (the in-memory tree);
- storage: ``store`` (and its contract), ``tables``, ``rows`` (records to rows and back);
- the status map: ``status_log`` (updated per batch, proved at any checkpoint, rebuilt for an older store),
  ``status_store`` (its nodes, records and roots in the store);
- reading: ``reads`` (what the API and the pages show), ``bundles``, ``agreements_service``,
  ``datasets_service``;
- the HTTP edge: ``http_inputs`` (bodies and uploads under limits), ``api`` (the composition root and the
  routes), ``web`` (the pages);
- a home and its issuer: ``home`` (settings, key files, :func:`~ledger.home.open_log`), ``issuer``,
  ``signing`` (chain positions, signing and submitting), ``label_files``, ``kept_checkpoints`` (a buyer's
  kept checkpoints), ``importer``, ``dataset_import``, ``dataset_tables`` (factor tables to dataset fields),
  ``reference_data``, ``demo_story``;
- operations: ``bench`` (and ``bench_status``), ``startup_heap``.
"""

__all__ = [
    "admission",
    "agreements_service",
    "api",
    "batch_view",
    "bench",
    "bench_status",
    "bundles",
    "compact_range",
    "dataset_import",
    "dataset_tables",
    "datasets_service",
    "demo_story",
    "home",
    "http_inputs",
    "importer",
    "issuer",
    "kept_checkpoints",
    "label_files",
    "log",
    "precheck",
    "proof_plan",
    "reads",
    "reference_data",
    "rows",
    "sequencer",
    "signing",
    "startup_heap",
    "status_log",
    "status_store",
    "store",
    "stored_tree",
    "tables",
    "tree",
    "web",
]

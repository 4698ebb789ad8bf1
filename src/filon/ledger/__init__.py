"""Tamper-evident chain of custody for lots, samples and assays.

Custody events (a lot created at a right, split, merged, transferred, processed, sampled,
assayed, declared for export, seized) are signed by their custodian's Ed25519 key and appended
to a Merkle-tree log hashed exactly as RFC 9162 (Certificate Transparency 2.0). The operator
signs tree heads; anyone holding a head can check, offline, that an event is in the log
(inclusion proof) and that a later log extends an earlier one (consistency proof). Personal
fields travel only as salted commitments, so erasing a person never breaks a proof.

Modules: `canonical` (bytes that hash the same everywhere), `merkle` (RFC 9162 hashes and
proofs), `events` (the custody vocabulary), `keys` (registry and signing), `store` (the
append-only file), `personal` (the erasable store), `verify`, `bundle` (evidence for one lot),
`massbalance` (alerts), `load` (from a workspace), `epcis` (GS1 EPCIS 2.0 interchange).
"""

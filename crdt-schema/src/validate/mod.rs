//! Validation of incoming updates against the schema and the role rules of SPEC §6.3.

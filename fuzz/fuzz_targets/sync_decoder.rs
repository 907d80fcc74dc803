#![no_main]
//! See `folio_fuzz_harness::fuzz` and the module of the harness that `run` names for "sync_decoder".

libfuzzer_sys::fuzz_target!(|data: &[u8]| folio_fuzz_harness::fuzz("sync_decoder", data));

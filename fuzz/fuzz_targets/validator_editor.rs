#![no_main]
//! See `folio_fuzz_harness::run` and the module of the harness it names.

libfuzzer_sys::fuzz_target!(|data: &[u8]| folio_fuzz_harness::run("validator_editor", data));

//! What each fuzz target of `fuzz/` runs (SPEC §15 "Fuzzing"). The cargo-fuzz targets in
//! `fuzz/fuzz_targets/` are one line each over these functions, and the stable regression
//! replay (`tests/rust/fuzz_regressions.rs`) runs the same functions over every file of
//! `fuzz/regressions/<target>/` and `fuzz/corpus/<target>/`, so a crash found once stays a
//! test without nightly.
//!
//! Each function takes arbitrary bytes and panics only on a bug: a panic in the code under
//! test, or a broken invariant asserted here.

pub mod api;
pub mod book;
pub mod photo;
pub mod seeds;
pub mod sync;
pub mod validator;

use std::backtrace::Backtrace;
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use crdt_schema::validate::Level;

/// Every fuzz target, by the name of its `fuzz_targets/<name>.rs` and corpus folder.
pub const TARGETS: [&str; 6] = [
    "sync_decoder",
    "validator_contributor",
    "validator_editor",
    "validator_system",
    "photo_decoder",
    "api_json",
];

/// Runs the target named `target` on `data`.
pub fn run(target: &str, data: &[u8]) {
    match target {
        "sync_decoder" => sync::sync_decoder(data),
        "validator_contributor" => validator::validator(Level::Contributor, data),
        "validator_editor" => validator::validator(Level::Editor, data),
        "validator_system" => validator::validator(Level::System, data),
        "photo_decoder" => photo::photo_decoder(data),
        "api_json" => api::api_json(data),
        other => panic!("no fuzz target named {other}"),
    }
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// What the cargo-fuzz targets call: `run`, where only a panic that escapes the code under
/// test is a crash. The server catches some panics on purpose (yrs' debug assertions inside
/// the frame decoder, a decoder panic inside `photos::decode`, the EXIF parser), and so
/// answers an error; libfuzzer-sys's own panic hook would abort on those too. A panic that
/// escapes is printed (with a backtrace under `RUST_BACKTRACE=1`) and aborts, which
/// libFuzzer reports as a crash.
pub fn fuzz(target: &str, data: &[u8]) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let report = format!("{info}\n{}", Backtrace::capture());
            LAST_PANIC.with(|last| *last.borrow_mut() = Some(report));
        }))
    });
    if catch_unwind(AssertUnwindSafe(|| run(target, data))).is_err() {
        let report = LAST_PANIC
            .with(|last| last.borrow_mut().take())
            .unwrap_or_default();
        eprintln!("\nthread panicked in fuzz target {target}: {report}");
        std::process::abort();
    }
    LAST_PANIC.with(|last| last.borrow_mut().take());
}

//! The fuzz targets' inputs replayed on stable (SPEC §15 "Fuzzing"): every file of
//! `fuzz/regressions/<target>/` (inputs that once crashed a target) and of
//! `fuzz/corpus/<target>/` (the seed corpus) goes through the very function the cargo-fuzz
//! target runs (`folio_fuzz_harness::run`), so a crash found once stays a test even where
//! nightly and cargo-fuzz are not installed. `scripts/fuzz` runs the fuzzers themselves.
//!
//! A crash whose fix belongs to another part of the code base is listed in `OPEN` and gets
//! its own ignored test below, until it is fixed; then it moves out of `OPEN`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use folio_fuzz_harness::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// Crash inputs whose fix is pending elsewhere, by `target/file`: each has its own test.
const OPEN: &[&str] = &[];

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file() && !is_note(p))
        .collect();
    files.sort();
    files
}

/// `README.md` and other notes beside the inputs are not inputs.
fn is_note(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "md" || e == "txt")
}

/// Runs every file of `fuzz/<kind>/<target>/` through its target; the failures, named.
fn replay(kind: &str, skip_open: bool) -> (usize, Vec<String>) {
    let mut ran = 0;
    let mut failed = Vec::new();
    for target in TARGETS {
        for file in files(&fuzz_dir().join(kind).join(target)) {
            let name = format!("{target}/{}", file.file_name().unwrap().to_string_lossy());
            if skip_open && OPEN.contains(&name.as_str()) {
                continue;
            }
            let data =
                std::fs::read(&file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
            ran += 1;
            if catch_unwind(AssertUnwindSafe(|| folio_fuzz_harness::run(target, &data))).is_err() {
                failed.push(format!("{kind}/{name}"));
            }
        }
    }
    (ran, failed)
}

fn replay_one(name: &str) {
    let (target, file) = name.split_once('/').expect("target/file");
    let data = std::fs::read(fuzz_dir().join("regressions").join(target).join(file))
        .expect("the regression input exists");
    folio_fuzz_harness::run(target, &data);
}

#[test]
fn every_regression_input_runs_clean() {
    let (_, failed) = replay("regressions", true);
    assert!(
        failed.is_empty(),
        "these fuzz regression inputs panic again (the panic messages are above): {failed:?}"
    );
}

#[test]
fn every_seed_input_runs_clean() {
    let (ran, failed) = replay("corpus", false);
    assert!(
        ran >= TARGETS.len(),
        "the seed corpus is missing: only {ran} files under fuzz/corpus"
    );
    for target in TARGETS {
        assert!(
            !files(&fuzz_dir().join("corpus").join(target)).is_empty(),
            "fuzz/corpus/{target} has no seed"
        );
    }
    assert!(
        failed.is_empty(),
        "these seed inputs panic (the panic messages are above): {failed:?}"
    );
}

/// Rewrites `fuzz/corpus/` from `folio_fuzz_harness::seeds` (`scripts/fuzz seeds` runs it).
#[test]
#[ignore = "writes fuzz/corpus; run by scripts/fuzz seeds after changing the seeds"]
fn write_seed_corpus() {
    let n = folio_fuzz_harness::seeds::write_corpus(&fuzz_dir().join("corpus"))
        .expect("writing fuzz/corpus");
    println!("wrote {n} seed files under fuzz/corpus");
}

#[test]
fn open_regressions_are_still_listed_files() {
    for name in OPEN {
        let (target, file) = name.split_once('/').expect("target/file");
        assert!(
            fuzz_dir()
                .join("regressions")
                .join(target)
                .join(file)
                .is_file(),
            "{name} is listed as open but missing"
        );
    }
}

// The validator (crdt-schema/src/validate) used to accept these updates, after which the
// book no longer read with `crdt_schema::model::read_book`, so automix, print and every
// other reader of the book failed on it for everyone. Found by the validator fuzz targets;
// the validator now types `style` as the model reads it and keeps every meta field.

/// A contributor restyles their own item with `style.align` set to something that is not an
/// alignment: "field `style.align` should be left, center, right or justify".
#[test]
fn validator_refuses_a_style_align_that_is_not_an_alignment() {
    replay_one("validator_contributor/style-align-not-an-alignment.bin");
}

/// An editor writes a `style.border` without its `width`: "required field `style.border.width`
/// is missing".
#[test]
fn validator_refuses_a_style_border_without_width() {
    replay_one("validator_editor/style-border-without-width.bin");
}

/// An update checked at the system level deletes `meta.title` without a new value: "meta:
/// required field `title` is missing".
#[test]
fn validator_refuses_deleting_the_meta_title() {
    replay_one("validator_system/meta-title-deleted.bin");
}

//! The shared fixtures (SPEC §6.4): every update made by client-web's TypeScript model, and
//! every one made by the Rust model, reads here exactly as recorded beside it.

#[path = "../examples/gen_fixtures/scenario.rs"]
#[allow(dead_code)]
mod scenario;

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The `NAME`s of `dir/NAME.update.bin`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_suffix(".update.bin")
                .map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}

fn recorded_book(dir: &Path, name: &str) -> Value {
    let path = dir.join(format!("{name}.book.json"));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    scenario::normalise(
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
}

fn read_as_json(bytes: &[u8]) -> Result<Value, String> {
    let (book, _) = scenario::read_update(bytes)?;
    Ok(scenario::normalise(serde_json::to_value(book).unwrap()))
}

/// Reads every update of `side` and compares it with its recorded book.
fn check_side(side: &str) -> usize {
    let dir = fixtures().join(side);
    let names = names(&dir);
    let mut failures = Vec::new();
    for name in &names {
        let bytes = fs::read(dir.join(format!("{name}.update.bin"))).unwrap();
        match read_as_json(&bytes) {
            Ok(actual) if actual == recorded_book(&dir, name) => {}
            Ok(actual) => failures.push(format!(
                "{side}/{name}: read differs:\n{}",
                serde_json::to_string_pretty(&actual).unwrap()
            )),
            Err(e) => failures.push(format!("{side}/{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    names.len()
}

#[test]
fn typescript_updates_read_as_recorded() {
    assert!(
        check_side("ts") >= 3,
        "fixtures/ts holds fewer than 3 scenarios: run `npm run gen-fixtures` in client-web"
    );
}

#[test]
fn rust_updates_read_as_recorded() {
    assert!(
        check_side("rust") >= 3,
        "fixtures/rust holds fewer than 3 scenarios: run the gen_fixtures example"
    );
}

/// Both generators replay the same scripts, so both sides' books must be the same book.
#[test]
fn both_sides_record_the_same_books() {
    let (rust, ts) = (fixtures().join("rust"), fixtures().join("ts"));
    assert_eq!(
        names(&rust),
        names(&ts),
        "both sides hold the same scenarios"
    );
    for name in names(&rust) {
        assert_eq!(
            recorded_book(&rust, &name),
            recorded_book(&ts, &name),
            "scenario {name}"
        );
    }
}

/// Replaying the scripts today gives the recorded books: an edit that changed behaviour
/// shows up here even before anyone regenerates the fixtures.
#[test]
fn scenarios_replay_to_the_recorded_books() {
    let text = fs::read_to_string(fixtures().join("scenarios.json")).unwrap();
    let scenarios = scenario::load(&text);
    assert_eq!(
        scenarios.keys().cloned().collect::<Vec<_>>(),
        names(&fixtures().join("rust"))
    );
    for (name, scenario) in &scenarios {
        let bytes = scenario::run(scenario).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            read_as_json(&bytes).unwrap(),
            recorded_book(&fixtures().join("rust"), name),
            "scenario {name}"
        );
    }
}

/// The recorded JSON is canonical (what the generators write), so a hand edit or a
/// formatting drift is caught as well.
#[test]
fn recorded_books_are_canonical() {
    for side in ["rust", "ts"] {
        let dir = fixtures().join(side);
        for name in names(&dir) {
            let text = fs::read_to_string(dir.join(format!("{name}.book.json"))).unwrap();
            let book: crdt_schema::model::Book = serde_json::from_str(&text).unwrap();
            assert_eq!(
                scenario::canonical_json(&book),
                text,
                "{side}/{name}.book.json"
            );
        }
    }
}

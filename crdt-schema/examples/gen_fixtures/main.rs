//! Writes `fixtures/rust/NAME.update.bin` and `NAME.book.json` for every scenario of
//! `fixtures/scenarios.json`, made with the Rust typed edit API.
//!
//! `cargo run -p crdt-schema --example gen_fixtures [-- --force]`
//!
//! yrs encodes a JSON object from a hash map, so the order of its keys (and so the bytes of
//! an update) changes from run to run. An existing `.update.bin` that reads as the same
//! book with the same state vector is therefore kept, so regenerating leaves git clean;
//! `--force` rewrites every file.

mod scenario;

use std::fs;
use std::path::Path;

fn main() {
    let force = std::env::args().any(|a| a == "--force");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let out = fixtures.join("rust");
    fs::create_dir_all(&out).expect("create fixtures/rust");
    let scenarios = scenario::load(
        &fs::read_to_string(fixtures.join("scenarios.json")).expect("read scenarios.json"),
    );

    for (name, scenario) in &scenarios {
        let bytes = scenario::run(scenario).unwrap_or_else(|e| panic!("scenario {name}: {e}"));
        let (book, sv) =
            scenario::read_update(&bytes).unwrap_or_else(|e| panic!("scenario {name}: {e}"));
        let bin = out.join(format!("{name}.update.bin"));
        let same = !force
            && fs::read(&bin)
                .ok()
                .and_then(|old| scenario::read_update(&old).ok())
                .is_some_and(|old| old == (book.clone(), sv));
        if !same {
            fs::write(&bin, &bytes).expect("write update");
        }
        fs::write(
            out.join(format!("{name}.book.json")),
            scenario::canonical_json(&book),
        )
        .expect("write book");
        println!(
            "{name}: {} bytes{}",
            bytes.len(),
            if same { " (kept the equal file)" } else { "" }
        );
    }

    // Drop the files of scenarios that no longer exist.
    for entry in fs::read_dir(&out).expect("list fixtures/rust") {
        let path = entry.expect("entry").path();
        let file = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default();
        let name = file
            .trim_end_matches(".update.bin")
            .trim_end_matches(".book.json");
        if name != file && !scenarios.contains_key(name) {
            fs::remove_file(&path).expect("remove stale fixture");
            println!("removed {file}");
        }
    }
}

//! The seed corpora of `fuzz/corpus/<target>/`, made here and committed (regenerate them
//! with `scripts/fuzz seeds`). Updates are made by crdt-schema's typed model edits on the
//! base book of `book.rs`, as client-web and the server make them; pictures are tiny files
//! encoded by `image`, some with hand-built EXIF; bodies are the API's documented shapes.
//!
//! yrs writes a JSON object's keys in hash order, so regenerated updates may differ in bytes
//! from the committed ones while meaning the same; there is no need to regenerate for that.

mod bodies;
mod frames;
mod pictures;
mod updates;

use crdt_schema::validate::Level;

use bodies::api_seeds;
use frames::sync_seeds;
use pictures::photo_seeds;
use updates::update_seeds;

/// The seeds of one target, each a file name and its bytes.
pub fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    match target {
        "sync_decoder" => sync_seeds(),
        "validator_contributor" => update_seeds(Level::Contributor),
        "validator_editor" => update_seeds(Level::Editor),
        "validator_system" => update_seeds(Level::System),
        "photo_decoder" => photo_seeds(),
        "api_json" => api_seeds(),
        other => panic!("no fuzz target named {other}"),
    }
}

/// Writes every target's seeds under `corpus_dir/<target>/`, replacing what was there.
pub fn write_corpus(corpus_dir: &std::path::Path) -> std::io::Result<usize> {
    let mut n = 0;
    for target in crate::TARGETS {
        let dir = corpus_dir.join(target);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        for (name, bytes) in seeds(target) {
            std::fs::write(dir.join(name), bytes)?;
            n += 1;
        }
    }
    Ok(n)
}

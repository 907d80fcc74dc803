//! The store crate's invariant (ARCHITECTURE.md): no HTTP. It depends on no web crate and
//! names no status code; `StoreError` is mapped to statuses in one place outside it.

use std::path::Path;

const WEB_CRATES: [&str; 5] = ["axum", "http", "hyper", "tower", "tower-http"];

#[test]
fn the_store_depends_on_no_web_crate() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .expect("read Cargo.toml");
    for line in manifest.lines() {
        let name = line.split(['=', '.']).next().unwrap_or_default().trim();
        assert!(
            !WEB_CRATES.contains(&name),
            "folio-store depends on {name}: {line}"
        );
    }
}

#[test]
fn the_store_names_no_status_code() {
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read source");
                assert!(
                    !text.contains("StatusCode"),
                    "{} names a status code",
                    path.display()
                );
            }
        }
    }
}

//! The house rules ARCHITECTURE.md states, checked on the real tree: which crate may depend
//! on what (through `cargo metadata`, so transitive dependencies count too), and how long a
//! source file may grow.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The workspace as cargo resolves it for this platform: each package's name, and its
/// normal (non-dev, non-build) dependencies by package id.
struct Graph {
    names: HashMap<String, String>,
    deps: HashMap<String, Vec<String>>,
    members: Vec<String>,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn graph() -> Graph {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--filter-platform"])
        .arg(host_triple())
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata is JSON");
    let names = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_owned(),
                p["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let deps = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let normal = n["deps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| {
                    d["dep_kinds"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|k| k["kind"].is_null())
                })
                .map(|d| d["pkg"].as_str().unwrap().to_owned())
                .collect();
            (n["id"].as_str().unwrap().to_owned(), normal)
        })
        .collect();
    let members = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    Graph {
        names,
        deps,
        members,
    }
}

fn host_triple() -> String {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_owned()
}

impl Graph {
    fn id(&self, name: &str) -> &str {
        self.members
            .iter()
            .find(|id| self.names[*id] == name)
            .unwrap_or_else(|| panic!("{name} is not a workspace member"))
    }

    /// Every package `name` depends on at run time, directly or not.
    fn reaches(&self, name: &str) -> HashSet<&str> {
        let mut seen = HashSet::new();
        let mut todo = vec![self.id(name)];
        while let Some(id) = todo.pop() {
            for dep in &self.deps[id] {
                if seen.insert(self.names[dep].as_str()) {
                    todo.push(dep);
                }
            }
        }
        seen
    }

    fn exists(&self, name: &str) -> bool {
        self.members.iter().any(|id| self.names[id] == name)
    }
}

/// Asserts that `krate` reaches none of `forbidden`, naming each one it does reach.
fn forbid(g: &Graph, krate: &str, forbidden: &[&str], why: &str) {
    if !g.exists(krate) {
        return;
    }
    let reached = g.reaches(krate);
    let bad: Vec<_> = forbidden.iter().filter(|f| reached.contains(*f)).collect();
    assert!(
        bad.is_empty(),
        "{krate} depends on {bad:?}, but {why} (ARCHITECTURE.md)"
    );
}

/// IO runtimes and servers a pure crate must not pull in.
const IO: &[&str] = &[
    "tokio",
    "axum",
    "hyper",
    "sqlx",
    "rusqlite",
    "redis",
    "aws-sdk-s3",
    "reqwest",
];

#[test]
fn pure_crates_do_no_io() {
    let g = graph();
    for krate in [
        "crdt-schema",
        "folio-domain",
        "folio-media",
        "folio-layouts",
        "folio-automix",
        "folio-print",
    ] {
        forbid(&g, krate, IO, "it is pure: data in, data out");
    }
}

#[test]
fn infrastructure_crates_know_no_http_server() {
    let g = graph();
    for krate in [
        "folio-store",
        "folio-blob",
        "folio-fanout",
        "folio-sync",
        "folio-jobs",
    ] {
        forbid(
            &g,
            krate,
            &["axum"],
            "only folio-http speaks HTTP to clients",
        );
    }
    forbid(
        &g,
        "folio-store",
        &[
            "folio-sync",
            "folio-jobs",
            "folio-http",
            "folio-blob",
            "folio-fanout",
        ],
        "the store is the bottom of the server: SQL only",
    );
}

#[test]
fn jobs_and_sync_do_not_know_each_other() {
    let g = graph();
    forbid(
        &g,
        "folio-jobs",
        &["folio-sync", "folio-http"],
        "jobs write books through the DocWriter port",
    );
    forbid(
        &g,
        "folio-sync",
        &["folio-jobs", "folio-http", "folio-automix", "folio-print"],
        "rooms hand the moments jobs care about to the node's wiring",
    );
}

#[test]
fn the_loadtest_speaks_the_wire_protocol_only() {
    let g = graph();
    let server_crates: Vec<&str> = g
        .members
        .iter()
        .map(|id| g.names[id].as_str())
        .filter(|n| n.starts_with("folio-") && *n != "folio-tests")
        .collect();
    forbid(
        &g,
        "loadtest",
        &server_crates,
        "it drives a server the way a real client does",
    );
}

/// Longest a source file may be, in lines after rustfmt (issue #19).
const MAX_FILE_LINES: usize = 700;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !matches!(name.as_ref(), "target" | "node_modules" | ".git" | "corpus") {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_source_file_is_longer_than_700_lines_and_each_says_what_it_is_for() {
    let root = root();
    let mut files = Vec::new();
    for dir in [
        "crates",
        "server",
        "crdt-schema",
        "loadtest",
        "tests",
        "fuzz",
    ] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 100, "found only {} Rust files", files.len());
    let mut long = Vec::new();
    let mut undocumented = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if text.lines().count() > MAX_FILE_LINES {
            long.push(format!("{rel} ({} lines)", text.lines().count()));
        }
        if !text.trim_start().starts_with("//!") && !text.trim_start().starts_with("#![") {
            undocumented.push(rel);
        }
    }
    assert!(long.is_empty(), "split these by responsibility: {long:#?}");
    assert!(
        undocumented.is_empty(),
        "start each file with a //! line saying what it is for: {undocumented:#?}"
    );
}

//! The camera files of shared/testdata/exif-samples and what exiftool says about them, for
//! the photo suites (photo_meta checks the pure metadata code, photos the HTTP API).
//!
//! Test data is `../../shared/testdata` from the tests crate, or `FOLIO_TESTDATA`.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{FixedOffset, NaiveDateTime, SecondsFormat};
use serde_json::Value;

pub fn testdata() -> PathBuf {
    let dir = match std::env::var_os("FOLIO_TESTDATA") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata"),
    };
    assert!(
        dir.join("exif-samples").is_dir(),
        "no test data at {} (set FOLIO_TESTDATA)",
        dir.display()
    );
    dir
}

/// A folder (or file) under exif-samples.
pub fn samples(sub: &str) -> PathBuf {
    testdata().join("exif-samples").join(sub)
}

/// Every file under `dir` except READMEs and the folders named in `skip`, sorted.
pub fn files_under(dir: &Path, skip: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in
            std::fs::read_dir(&d).unwrap_or_else(|e| panic!("reading {}: {e}", d.display()))
        {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !(d == dir && skip.contains(&name.as_str())) {
                    stack.push(path);
                }
            } else if name != "README" && !name.ends_with(".md") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// `exiftool -j -n -G1` for `files`, or None (a notice) when exiftool is not installed;
/// under `CI=true` a missing exiftool fails (scripts/test installs it). The group names let
/// the test compare EXIF's own tags (IFD0, ExifIFD, GPS), which is what the server reads.
pub fn exiftool(files: &[PathBuf]) -> Option<Vec<Value>> {
    let version = Command::new("exiftool").arg("-ver").output();
    if !matches!(&version, Ok(o) if o.status.success()) {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "exiftool is not installed; scripts/test installs it (CI=true makes this fatal)"
            );
        }
        eprintln!("skipping the exiftool comparison: exiftool is not installed (apt-get install libimage-exiftool-perl)");
        return None;
    }
    let out = Command::new("exiftool")
        .args(["-j", "-n", "-G1", "-charset", "filename=utf8"])
        .args(files)
        .output()
        .expect("running exiftool");
    assert!(
        !out.stdout.is_empty(),
        "exiftool printed nothing: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: Vec<Value> = serde_json::from_slice(&out.stdout).expect("exiftool JSON");
    assert_eq!(
        parsed.len(),
        files.len(),
        "exiftool answered for {} of {} files",
        parsed.len(),
        files.len()
    );
    Some(parsed)
}

pub fn tag<'a>(entry: &'a Value, key: &str) -> Option<&'a Value> {
    entry.get(key).filter(|v| !v.is_null())
}

/// A tag as text; `-n` prints digit-only strings such as SubSecTimeOriginal `550` as numbers.
pub fn tag_text(entry: &Value, key: &str) -> Option<String> {
    match tag(entry, key)? {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub fn tag_f64(entry: &Value, key: &str) -> Option<f64> {
    tag(entry, key)?.as_f64()
}

/// SPEC §4 `taken_at` and `taken_at_offset` from exiftool's raw tags, worked out here on its
/// own: DateTimeOriginal; SubSecTimeOriginal as a fraction; OffsetTimeOriginal, else
/// OffsetTime; UTC when an offset is known, local time otherwise.
pub fn expected_capture(entry: &Value) -> Option<(String, Option<String>)> {
    let dt = tag_text(entry, "ExifIFD:DateTimeOriginal")?;
    let mut local = NaiveDateTime::parse_from_str(&dt, "%Y:%m:%d %H:%M:%S").ok()?;
    if let Some(sub) = tag_text(entry, "ExifIFD:SubSecTimeOriginal")
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
    {
        let digits = &sub[..sub.len().min(9)];
        let nanos = digits.parse::<u32>().unwrap() * 10u32.pow(9 - digits.len() as u32);
        local += chrono::Duration::nanoseconds(nanos as i64);
    }
    let offset = ["ExifIFD:OffsetTimeOriginal", "ExifIFD:OffsetTime"]
        .iter()
        .filter_map(|k| tag_text(entry, k))
        .find_map(|o| {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let (h, m) = o.get(1..)?.split_once(':')?;
            FixedOffset::east_opt(
                sign * (h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60),
            )
            .map(|f| (o.clone(), f))
        });
    Some(match offset {
        Some((text, fixed)) => (
            (local - fixed)
                .and_utc()
                .to_rfc3339_opts(SecondsFormat::AutoSi, true),
            Some(text),
        ),
        None => (local.format("%Y-%m-%dT%H:%M:%S%.f").to_string(), None),
    })
}

/// EXIF orientation (1..8) as exiftool reads it; 1 when absent or out of range.
pub fn orientation(entry: &Value) -> u64 {
    tag(entry, "IFD0:Orientation")
        .and_then(Value::as_u64)
        .filter(|o| (1..=8).contains(o))
        .unwrap_or(1)
}

/// The stored pixel size from exiftool, before orientation.
pub fn stored_size(entry: &Value) -> (u32, u32) {
    let side = |k: &str| {
        tag(entry, k)
            .and_then(Value::as_u64)
            .unwrap_or_else(|| panic!("exiftool has no {k}: {entry}")) as u32
    };
    (side("File:ImageWidth"), side("File:ImageHeight"))
}

/// GPS latitude and longitude from exiftool's composite tags, when both are there.
pub fn gps(entry: &Value) -> Option<(f64, f64)> {
    Some((
        tag_f64(entry, "Composite:GPSLatitude")?,
        tag_f64(entry, "Composite:GPSLongitude")?,
    ))
}

//! The distribution's PDF tools (qpdf and poppler-utils, which `scripts/test` installs), as the
//! print suites use them. A missing tool skips its check with a notice, except under
//! `CI=true`, where it fails.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

/// Whether `tool` runs; without it the check is skipped, unless under CI=true.
pub fn have(tool: &str) -> bool {
    let runs = Command::new(tool).arg("-v").output().is_ok()
        || Command::new(tool).arg("--version").output().is_ok();
    if !runs {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{tool} is not installed; scripts/test installs qpdf and poppler-utils (CI=true makes this fatal)");
        }
        eprintln!("skipping the {tool} check: {tool} is not installed (apt-get install qpdf poppler-utils)");
    }
    runs
}

/// `tool args… pdf`: its standard output, after checking it succeeded.
pub fn run(tool: &str, args: &[&str], pdf: &Path) -> String {
    let out = Command::new(tool)
        .args(args)
        .arg(pdf)
        .output()
        .unwrap_or_else(|e| panic!("running {tool}: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{tool} {args:?} failed ({}): {text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// `qpdf --check` finds nothing wrong (when qpdf is there).
pub fn qpdf_clean(path: &Path) {
    if have("qpdf") {
        let out = Command::new("qpdf")
            .arg("--check")
            .arg(path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "qpdf --check {}: {text}{}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("No syntax or stream encoding errors found"),
            "{text}"
        );
    }
}

/// `pdfinfo -box` lines for page `n` as `name -> [x0, y0, x1, y1]`.
pub fn boxes(info: &str, n: usize) -> HashMap<String, [f64; 4]> {
    let prefix = format!("Page {n:>4} ");
    info.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter_map(|l| {
            let (name, nums) = l.split_once(':')?;
            let nums: Vec<f64> = nums
                .split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect();
            Some((name.trim().to_owned(), nums.try_into().ok()?))
        })
        .collect()
}

/// The same box to a hundredth of a point.
pub fn close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 0.01)
}

/// The `Pages:` count of `pdfinfo` output.
pub fn page_count(info: &str) -> Option<usize> {
    info.lines()
        .find(|l| l.starts_with("Pages:"))
        .and_then(|l| l.split_whitespace().last()?.parse().ok())
}

/// The rows of `pdfimages -list` / `pdffonts`, split on whitespace, past the two header lines.
pub fn table(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip(2)
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .collect()
}

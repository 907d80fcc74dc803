//! Photo metadata (SPEC §9, issue #6) on real camera files from shared/testdata: capture
//! time, GPS and orientation agree with exiftool; the orientation samples come out the right
//! way up; broken files fail with a clear error and never panic or hang; HEIC is refused;
//! a decompression bomb is refused from its header alone; dominant colours are sane.
//!
//! Test data is `../../shared/testdata` from this crate, or `FOLIO_TESTDATA`.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use folio_server::photos::colors::{
    ciede2000, dominant_colors, merge_near_duplicates, DominantColor, MERGE_DELTA_E,
};
use folio_server::photos::decode::{decode, orient};
use folio_server::photos::exif_tags::{camera_name, read_exif, Orientation};
use folio_server::photos::meta::{read_photo, MetaError, MetaLimits, Shape};
use folio_server::photos::probe::{check_pixels, probe, PhotoFormat};
use folio_tests::samples::{
    exiftool, expected_capture, files_under, read, samples, tag, tag_f64, tag_text,
};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use serde_json::Value;

const LIMITS: MetaLimits = MetaLimits {
    max_pixels: 100_000_000,
    max_alloc_bytes: 1 << 30,
    max_colors: 5,
};
/// Per file; generous because tests run unoptimised and the largest sample is 12 MP.
const FILE_TIMEOUT: Duration = Duration::from_secs(60);

fn name(path: &Path) -> String {
    path.strip_prefix(samples(""))
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Runs `f` on its own thread and gives up after `limit`: a decoder that loops forever fails
/// the test instead of hanging it.
fn within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what} took longer than {limit:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what} panicked"),
    }
}

/// Counts panics anywhere in this test process, including ones the photo code catches: a
/// caught decoder panic still fails the "nothing panics" tests. Nextest runs each test in its
/// own process, so the hook sees only this test's panics.
fn count_panics() -> &'static AtomicUsize {
    static PANICS: AtomicUsize = AtomicUsize::new(0);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        previous(info);
    }));
    &PANICS
}

fn assert_clear(e: &MetaError, what: &str) {
    let message = e.to_string();
    assert!(message.len() > 10, "{what}: unclear error {message:?}");
    assert!(
        !message.contains("panicked"),
        "{what}: a decoder panicked: {message}"
    );
}

// ---- exiftool (its helpers are in folio_tests::samples, shared with the photos suite) ---

/// Non-EXIF places exiftool found a capture time in (XMP, maker notes, CIFF), for the notes.
fn other_capture_sources(entry: &Value) -> Vec<String> {
    entry
        .as_object()
        .map(|o| {
            o.keys()
                .filter(|k| k.ends_with(":DateTimeOriginal") && !k.starts_with("ExifIFD:"))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn camera_files_agree_with_exiftool() {
    let files = files_under(&samples("jpg"), &["invalid", "tests"]);
    assert!(
        files.len() >= 60,
        "expected the exif-samples camera set, found {} files",
        files.len()
    );
    let Some(exiftool) = exiftool(&files) else {
        return;
    };
    let (mut with_time, mut with_offset, mut with_gps, mut decoded) = (0, 0, 0, 0);
    let mut notes = Vec::new();
    for (path, entry) in files.iter().zip(&exiftool) {
        let what = name(path);
        assert!(
            entry["SourceFile"]
                .as_str()
                .is_some_and(|s| Path::new(s) == path),
            "exiftool's order differs at {what}"
        );
        let bytes = read(path);

        // Header and EXIF, without decoding.
        let probe = probe(&bytes).unwrap_or_else(|e| panic!("{what}: probe failed: {e}"));
        assert_eq!(probe.format, PhotoFormat::Jpeg, "{what}");
        let exif = read_exif(&bytes);

        let orientation = tag(entry, "IFD0:Orientation")
            .and_then(Value::as_u64)
            .filter(|o| (1..=8).contains(o))
            .unwrap_or(1);
        assert_eq!(
            exif.orientation.value() as u64,
            orientation,
            "{what}: orientation"
        );

        let expected = expected_capture(entry);
        let got = exif.taken_at.map(|t| (t.taken_at(), t.taken_at_offset()));
        assert_eq!(got, expected, "{what}: capture time (exiftool: {entry})");
        with_time += expected.is_some() as usize;
        with_offset += expected.as_ref().is_some_and(|e| e.1.is_some()) as usize;
        let others = other_capture_sources(entry);
        if !others.is_empty() {
            notes.push(format!(
                "{what}: also has {} (not EXIF; not read)",
                others.join(", ")
            ));
        }

        match (
            tag_f64(entry, "Composite:GPSLatitude"),
            tag_f64(entry, "Composite:GPSLongitude"),
        ) {
            (Some(lat), Some(lon)) => {
                let gps = exif
                    .gps
                    .unwrap_or_else(|| panic!("{what}: GPS {lat},{lon} not read"));
                assert!(
                    (gps.lat - lat).abs() < 1e-6 && (gps.lon - lon).abs() < 1e-6,
                    "{what}: GPS {gps:?}, exiftool {lat},{lon}"
                );
                with_gps += 1;
            }
            _ => assert_eq!(exif.gps, None, "{what}: GPS where exiftool has none"),
        }

        let make = tag_text(entry, "IFD0:Make");
        let model = tag_text(entry, "IFD0:Model");
        assert_eq!(
            exif.camera,
            camera_name(make.as_deref(), model.as_deref()),
            "{what}: camera"
        );

        // The full read: oriented size, shape, colours.
        let size = (
            tag(entry, "File:ImageWidth")
                .and_then(Value::as_u64)
                .unwrap() as u32,
            tag(entry, "File:ImageHeight")
                .and_then(Value::as_u64)
                .unwrap() as u32,
        );
        assert_eq!((probe.width, probe.height), size, "{what}: stored size");
        let owned = bytes.clone();
        match within(FILE_TIMEOUT, &what, move || read_photo(&owned, &LIMITS)) {
            Ok(photo) => {
                let meta = photo.meta;
                let oriented = if orientation >= 5 {
                    (size.1, size.0)
                } else {
                    size
                };
                assert_eq!((meta.width, meta.height), oriented, "{what}: oriented size");
                assert_eq!(meta.shape, Shape::of(oriented.0, oriented.1));
                assert_eq!(meta.taken_at, exif.taken_at);
                check_colours(&meta.dominant_colors, &what);
                decoded += 1;
            }
            Err(e) => {
                assert_clear(&e, &what);
                notes.push(format!("{what}: not decoded: {e}"));
            }
        }
    }
    eprintln!("{} camera files: {with_time} with a capture time ({with_offset} with an offset), {with_gps} with GPS, {decoded} decoded", files.len());
    for n in &notes {
        eprintln!("  {n}");
    }
    assert!(
        with_time >= 40 && with_gps >= 10 && with_offset >= 1,
        "the sample set should exercise times, offsets and GPS"
    );
    // Only the file named corrupted.jpg may fail to decode.
    assert!(decoded + 1 >= files.len(), "{notes:#?}");
}

fn check_colours(colors: &[DominantColor], what: &str) {
    assert!(
        !colors.is_empty() && colors.len() <= LIMITS.max_colors,
        "{what}: {colors:?}"
    );
    let sum: f64 = colors.iter().map(|c| c.share).sum();
    assert!((sum - 1.0).abs() <= 1e-6, "{what}: shares sum to {sum}");
    assert!(
        colors.windows(2).all(|w| w[0].share >= w[1].share),
        "{what}: not sorted by share: {colors:?}"
    );
    for c in colors {
        assert!(
            (0.0..=100.01).contains(&c.lab[0]) && c.share > 0.0,
            "{what}: {c:?}"
        );
    }
    for (i, a) in colors.iter().enumerate() {
        for b in &colors[i + 1..] {
            assert!(
                ciede2000(a.lab, b.lab) >= MERGE_DELTA_E - 0.05,
                "{what}: near-duplicates left: {a:?} {b:?}"
            );
        }
    }
}

// ---- orientation ----------------------------------------------------------------------

/// A 32×24 grey thumbnail, to compare pictures across JPEG re-encodes.
fn grey_thumb(img: &DynamicImage) -> Vec<i32> {
    img.resize_exact(32, 24, image::imageops::FilterType::Triangle)
        .to_luma8()
        .pixels()
        .map(|p| p.0[0] as i32)
        .collect()
}

#[test]
fn orientation_samples_come_out_upright() {
    for kind in ["landscape", "portrait"] {
        let upright = |n: u8| samples("jpg/orientation").join(format!("{kind}_{n}.jpg"));
        let reference = read_photo(&read(&upright(1)), &LIMITS).unwrap();
        let reference_thumb = grey_thumb(&reference.pixels);
        let expected = if kind == "landscape" {
            (600, 450)
        } else {
            (450, 600)
        };
        for n in 1..=8u8 {
            let what = format!("{kind}_{n}");
            let photo =
                read_photo(&read(&upright(n)), &LIMITS).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(photo.meta.orientation.value(), n, "{what}");
            assert_eq!(
                (photo.meta.width, photo.meta.height),
                expected,
                "{what}: oriented size"
            );
            assert_eq!(
                photo.meta.shape,
                if kind == "landscape" {
                    Shape::L
                } else {
                    Shape::P
                },
                "{what}"
            );
            // Turned by its orientation it looks like the upright one, more than when turned
            // any other way. (Each sample has its number drawn on it, so none is identical.)
            let turned = orient(photo.pixels.clone(), photo.meta.orientation);
            assert_eq!(
                (turned.width(), turned.height()),
                expected,
                "{what}: oriented pixels"
            );
            let diffs: Vec<(u8, i32)> = (1..=8u8)
                .map(|m| {
                    (
                        m,
                        orient(photo.pixels.clone(), Orientation::from_exif(m as u32)),
                    )
                })
                .filter(|(_, img)| (img.width(), img.height()) == expected)
                .map(|(m, img)| {
                    (
                        m,
                        grey_thumb(&img)
                            .iter()
                            .zip(&reference_thumb)
                            .map(|(a, b)| (a - b).abs())
                            .sum::<i32>()
                            / reference_thumb.len() as i32,
                    )
                })
                .collect();
            let best = diffs.iter().min_by_key(|d| d.1).unwrap();
            assert_eq!(best.0, n, "{what}: the picture looks upright when turned by {} (grey-level differences {diffs:?})", best.0);
        }
    }
}

// ---- broken, odd and unsupported files ------------------------------------------------

#[test]
fn invalid_and_odd_files_fail_cleanly() {
    let panics = count_panics();
    let mut files = files_under(&samples("jpg/invalid"), &[]);
    files.extend(files_under(&samples("jpg/tests"), &[]));
    assert!(files.len() >= 15, "found {} files", files.len());
    let mut report = Vec::new();
    for path in &files {
        let what = name(path);
        let bytes = read(path);
        let started = Instant::now();
        let outcome = within(FILE_TIMEOUT, &what, move || {
            let exif = read_exif(&bytes);
            (read_photo(&bytes, &LIMITS).map(|p| p.meta), exif)
        });
        match &outcome.0 {
            Ok(meta) => {
                check_colours(&meta.dominant_colors, &what);
                report.push(format!(
                    "{what}: read, {}×{} {:?} ({:?})",
                    meta.width,
                    meta.height,
                    meta.format,
                    started.elapsed()
                ));
            }
            Err(e) => {
                assert_clear(e, &what);
                report.push(format!(
                    "{what}: {e} [{}] ({:?})",
                    e.code(),
                    started.elapsed()
                ));
            }
        }
    }
    eprintln!("{}", report.join("\n"));
    assert_eq!(
        panics.load(Ordering::SeqCst),
        0,
        "something panicked (even if caught)"
    );
}

#[test]
fn heic_is_recognised_and_refused() {
    let files = files_under(&samples("heic"), &[]);
    assert!(files.len() >= 5, "found {} HEIC files", files.len());
    for path in &files {
        let bytes = read(path);
        let unsupported = MetaError::Unsupported {
            format: "HEIC".into(),
        };
        assert_eq!(probe(&bytes), Err(unsupported.clone()), "{}", name(path));
        let e = read_photo(&bytes, &LIMITS).err().unwrap();
        assert_eq!(e, unsupported);
        assert_eq!(e.code(), "unsupported_image_format");
    }
}

#[test]
fn decompression_bomb_is_refused_from_its_header() {
    let bomb = folio_tests::pictures::png_declaring(100_000, 100_000);
    assert!(bomb.len() < 100);
    let started = Instant::now();
    let p = probe(&bomb).unwrap();
    assert_eq!(
        (p.format, p.width, p.height),
        (PhotoFormat::Png, 100_000, 100_000)
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "probe took {:?}",
        started.elapsed()
    );
    let refused = MetaError::TooManyPixels {
        width: 100_000,
        height: 100_000,
        max_pixels: LIMITS.max_pixels,
    };
    assert_eq!(check_pixels(&p, LIMITS.max_pixels), Err(refused.clone()));
    // read_photo stops at the header check: the decoder's own limit would have said TooLarge.
    assert_eq!(read_photo(&bomb, &LIMITS).err(), Some(refused));
    // Second line of defence: decoding anyway is stopped by image::Limits, not by memory.
    assert_eq!(
        decode(&bomb, &p, 64 << 20).err(),
        Some(MetaError::TooLarge {
            format: PhotoFormat::Png
        })
    );
    // A normal PNG of the same shape passes.
    let small = folio_tests::pictures::png_declaring(10, 10);
    assert!(check_pixels(&probe(&small).unwrap(), LIMITS.max_pixels).is_ok());
}

// ---- fuzz-ish: truncations and bit flips ----------------------------------------------

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

#[test]
fn truncated_and_flipped_files_never_panic() {
    let panics = count_panics();
    let jpeg = read(&samples("jpg/Canon_40D.jpg"));
    let picture = two_colours(120, 80, 0.7);
    let png = encode(&picture, ImageFormat::Png);
    let webp = encode(&picture, ImageFormat::WebP);
    // A cheap deterministic generator; no need for a random crate's guarantees.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    for (label, original) in [("jpeg", &jpeg), ("png", &png), ("webp", &webp)] {
        for i in 0..40 {
            let len = original.len() * i / 40;
            cases.push((format!("{label} cut at {len}"), original[..len].to_vec()));
        }
        for _ in 0..150 {
            let mut bytes = original.clone();
            let at = next(bytes.len());
            bytes[at] ^= 1 << next(8);
            cases.push((format!("{label} bit flip at {at}"), bytes));
        }
    }
    let total = cases.len();
    let (ok, failed) = within(Duration::from_secs(300), "fuzz cases", move || {
        let (mut ok, mut failed) = (0, Vec::new());
        for (what, bytes) in &cases {
            match read_photo(bytes, &LIMITS) {
                Ok(photo) => {
                    check_colours(&photo.meta.dominant_colors, what);
                    ok += 1;
                }
                Err(e) => {
                    assert_clear(&e, what);
                    failed.push((what.clone(), e));
                }
            }
        }
        (ok, failed)
    });
    eprintln!("{total} cases: {ok} read, {} refused", failed.len());
    // Every cut JPEG is refused, and one cut in its pixel data says so in words.
    let read_whole: Vec<String> = (0..40)
        .map(|i| format!("jpeg cut at {}", jpeg.len() * i / 40))
        .filter(|what| !failed.iter().any(|(w, _)| w == what))
        .collect();
    assert!(
        read_whole.is_empty(),
        "cut JPEGs read as whole: {read_whole:?}"
    );
    for (bytes, format) in [(&jpeg, "JPEG"), (&png, "PNG")] {
        let e = read_photo(&bytes[..bytes.len() * 2 / 3], &LIMITS)
            .err()
            .unwrap_or_else(|| panic!("two thirds of a {format} were read"));
        assert_eq!(
            e.to_string(),
            format!("the {format} data ends early; the file is truncated")
        );
    }
    assert_eq!(
        panics.load(Ordering::SeqCst),
        0,
        "something panicked (even if caught)"
    );
}

// ---- dominant colours -----------------------------------------------------------------

const RED: [u8; 3] = [255, 0, 0];
const BLUE: [u8; 3] = [0, 0, 255];
/// CIELAB (D65) of sRGB red and blue.
const RED_LAB: [f32; 3] = [53.24, 80.09, 67.20];
const BLUE_LAB: [f32; 3] = [32.30, 79.19, -107.86];

/// `red_share` of the columns red, the rest blue.
fn two_colours(width: u32, height: u32, red_share: f64) -> DynamicImage {
    let edge = (width as f64 * red_share).round() as u32;
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, _| {
        Rgb(if x < edge { RED } else { BLUE })
    }))
}

fn near(a: [f32; 3], b: [f32; 3], tolerance: f32) -> bool {
    a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tolerance)
}

#[test]
fn two_flat_colours_give_two_shares() {
    // Larger than the 128 px sample, so the downscale (and its blended edge column) is in play.
    for img in [two_colours(1000, 500, 0.7), two_colours(100, 50, 0.7)] {
        let colors = dominant_colors(&img, 5);
        assert_eq!(colors.len(), 2, "{colors:?}");
        assert!(
            (colors[0].share - 0.7).abs() < 0.02 && (colors[1].share - 0.3).abs() < 0.02,
            "{colors:?}"
        );
        assert!(
            near(colors[0].lab, RED_LAB, 1.0) && near(colors[1].lab, BLUE_LAB, 1.0),
            "{colors:?}"
        );
        assert!((colors[0].share + colors[1].share - 1.0).abs() <= 1e-6);
    }
    // The same through the whole pipeline, from PNG and WebP files.
    for format in [ImageFormat::Png, ImageFormat::WebP] {
        let photo = read_photo(&encode(&two_colours(300, 200, 0.7), format), &LIMITS).unwrap();
        assert_eq!(
            photo.meta.format,
            if format == ImageFormat::Png {
                PhotoFormat::Png
            } else {
                PhotoFormat::WebP
            }
        );
        assert_eq!(
            (photo.meta.width, photo.meta.height, photo.meta.shape),
            (300, 200, Shape::L)
        );
        assert_eq!(photo.meta.dominant_colors.len(), 2, "{format:?}");
        let json = serde_json::to_value(&photo.meta).unwrap();
        assert_eq!(json["taken_at"], Value::Null);
        assert_eq!(json["taken_at_offset"], Value::Null);
        assert_eq!(json["gps"], Value::Null);
        assert_eq!(json["shape"], "L");
        assert!(
            json["dominant_colors"][0]["lab"]
                .as_array()
                .is_some_and(|l| l.len() == 3),
            "{json}"
        );
        assert!(
            json["dominant_colors"][0]["share"]
                .as_f64()
                .is_some_and(|s| (s - 0.7).abs() < 0.02),
            "{json}"
        );
    }
}

#[test]
fn near_duplicate_centroids_are_merged() {
    let (red_a, red_b) = ([200u8, 30, 30], [204u8, 32, 30]);
    let lab = |c: [u8; 3]| {
        let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(1, 1, Rgb(c)));
        dominant_colors(&img, 1)[0].lab
    };
    let d = ciede2000(lab(red_a), lab(red_b));
    assert!(
        d > 0.5 && d < MERGE_DELTA_E,
        "the two reds should be near-duplicates, ΔE00 = {d}"
    );
    // 40 % one red, 30 % the other, 30 % blue: k-means sees three colours, the list two.
    let img = DynamicImage::ImageRgb8(RgbImage::from_fn(100, 20, |x, _| {
        Rgb(if x < 40 {
            red_a
        } else if x < 70 {
            red_b
        } else {
            BLUE
        })
    }));
    let colors = dominant_colors(&img, 5);
    assert_eq!(colors.len(), 2, "{colors:?}");
    assert!(
        (colors[0].share - 0.7).abs() < 1e-9 && (colors[1].share - 0.3).abs() < 1e-9,
        "{colors:?}"
    );
    // The merged colour lies between the two reds.
    let (a, b) = (lab(red_a), lab(red_b));
    assert!(
        colors[0].lab[0] > a[0].min(b[0]) - 0.01 && colors[0].lab[0] < a[0].max(b[0]) + 0.01,
        "{colors:?}"
    );
    // And the merge on its own: only pairs below the threshold.
    let merged = merge_near_duplicates(
        vec![
            DominantColor {
                lab: [50.0, 0.0, 0.0],
                share: 0.5,
            },
            DominantColor {
                lab: [51.0, 0.0, 0.0],
                share: 0.25,
            },
            DominantColor {
                lab: [70.0, 0.0, 0.0],
                share: 0.25,
            },
        ],
        MERGE_DELTA_E,
    );
    assert_eq!(merged.len(), 2);
}

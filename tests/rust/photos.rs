//! The photo library over HTTP (SPEC §4 and §9): multipart upload of the real camera files,
//! whose metadata must agree with exiftool; broken, unsupported and oversized files answered
//! per file with nothing of them kept; a decompression bomb refused without the memory to
//! decode it; who may see a photo; the size array and the file endpoint (local folder and
//! S3); albums, tags and the group event log; remote photos; bad requests.
//!
//! Test data is `../../shared/testdata` from this crate, or `FOLIO_TESTDATA`.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crdt_schema::geometry::{choose_size, needed_pixels, PixelSize};
use crdt_schema::model::{self, Background, ItemKind, NewItem, NewPage, PageKind, PhotoRef, Style};
use folio_server::photos::decode::orient;
use folio_server::photos::exif_tags::{camera_name, Orientation};
use folio_server::photos::meta::Shape;
use folio_tests::db::postgres_requested;
use folio_tests::http::Account;
use folio_tests::s3::S3Server;
use folio_tests::samples::{
    exiftool, expected_capture, files_under, gps, orientation, read, samples, stored_size, tag_text,
};
use folio_tests::{eventually, Api, BinServer, PgDatabase, TestServer, YClient};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use yrs::Transact;

const WAIT: Duration = Duration::from_secs(15);
/// A guard against a request that never ends, generous for unoptimised CI builds: not a
/// performance bound.
const HANG_GUARD: Duration = Duration::from_secs(120);
/// The same for the whole camera set (16 MB, 69 files, six requests).
const CAMERA_SET_HANG_GUARD: Duration = Duration::from_secs(300);
const CACHE_CONTROL: &str = "private, max-age=31536000, immutable";

// ---- pictures ---------------------------------------------------------------------------

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encode");
    out.into_inner()
}

fn jpeg(img: &DynamicImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .expect("encode JPEG");
    out
}

/// A smooth two-way gradient, so that every size has real content to resize.
fn gradient(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            (x * 255 / width) as u8,
            (y * 255 / height) as u8,
            ((x + y) * 127 / (width + height)) as u8 + 64,
        ])
    }))
}

/// Pixel noise from a fixed seed: a JPEG of it stays large whatever the quality.
fn noise(width: u32, height: u32, seed: u64) -> DynamicImage {
    let mut state = seed | 1;
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |_, _| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        Rgb([state as u8, (state >> 8) as u8, (state >> 16) as u8])
    }))
}

fn decoded(bytes: &[u8], what: &str) -> DynamicImage {
    image::load_from_memory(bytes)
        .unwrap_or_else(|e| panic!("{what}: the served file does not decode: {e}"))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("a file")
        .to_string_lossy()
        .into_owned()
}

fn named(path: &Path) -> (String, Vec<u8>) {
    (file_name(path), read(path))
}

// ---- the API --------------------------------------------------------------------------

/// An answer to `POST /api/photos`, checked against the contract's shape.
struct Uploaded {
    status: StatusCode,
    photos: Vec<Value>,
    /// Per file: (file name, code, status).
    errors: Vec<(String, String, u16)>,
    group_id: Option<String>,
    body: Value,
}

impl Uploaded {
    fn ids(&self) -> Vec<String> {
        self.photos.iter().map(id_of).collect()
    }

    fn error_for(&self, file: &str) -> Option<(String, u16)> {
        self.errors
            .iter()
            .find(|e| e.0 == file)
            .map(|e| (e.1.clone(), e.2))
    }
}

fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

/// The status the contract gives each per-file error code.
fn status_of_code(code: &str) -> Option<u16> {
    match code {
        "unsupported_image_format" | "unrecognised_image" => Some(415),
        "too_many_pixels" | "image_too_large" | "file_too_large" => Some(413),
        "corrupt_image" => Some(422),
        _ => None,
    }
}

fn assert_error(status: StatusCode, body: &Value, expected: StatusCode, code: &str, what: &str) {
    assert_eq!(status, expected, "{what}: {body}");
    assert_eq!(body["error"]["code"], code, "{what}: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.trim().is_empty()),
        "{what}: an error without a message: {body}"
    );
}

/// Uploads `files` in one request and checks the answer's shape: each file is either a photo
/// (in upload order, named after its file) or a per-file error with a known code, a message
/// and the code's status; a request where every file failed has their common status (422
/// when they differ), a top-level error and no group.
async fn upload(
    api: &Api,
    token: &str,
    files: &[(String, Vec<u8>)],
    album: Option<&str>,
) -> Uploaded {
    let parts: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let (status, body) = api.upload(token, &parts, album).await;
    let what = format!(
        "upload of {:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    let photos = body["photos"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: no photos list ({status}): {body}"))
        .clone();
    let errors: Vec<(String, String, u16)> = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: no errors list ({status}): {body}"))
        .iter()
        .map(|e| {
            let file = e["file"]
                .as_str()
                .unwrap_or_else(|| panic!("{what}: an error without its file: {e}"))
                .to_owned();
            let code = e["error"]["code"].as_str().unwrap_or_default().to_owned();
            let message = e["error"]["message"].as_str().unwrap_or_default();
            let file_status = e["error"]["status"]
                .as_u64()
                .unwrap_or_else(|| panic!("{what}: {file}: no status: {e}"))
                as u16;
            assert!(
                !message.trim().is_empty(),
                "{what}: {file}: an error without a message: {e}"
            );
            let expected = status_of_code(&code).unwrap_or_else(|| {
                panic!("{what}: {file}: {code:?} is not a per-file code of the contract: {e}")
            });
            assert_eq!(
                file_status, expected,
                "{what}: {file}: {code} has status {expected}: {e}"
            );
            (file, code, file_status)
        })
        .collect();
    // Every file exactly once, photos in upload order.
    let failed: Vec<&str> = errors.iter().map(|e| e.0.as_str()).collect();
    let expected_photos: Vec<&str> = files
        .iter()
        .map(|f| f.0.as_str())
        .filter(|n| !failed.contains(n))
        .collect();
    let got_photos: Vec<&str> = photos
        .iter()
        .map(|p| p["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        got_photos, expected_photos,
        "{what}: the photos are the files without an error, in upload order: {body}"
    );
    assert_eq!(
        photos.len() + errors.len(),
        files.len(),
        "{what}: each file once: {body}"
    );
    let group_id = body["group_id"].as_str().map(str::to_owned);
    if photos.is_empty() {
        let statuses: BTreeSet<u16> = errors.iter().map(|e| e.2).collect();
        let common = if statuses.len() == 1 {
            *statuses.first().unwrap()
        } else {
            422
        };
        assert_eq!(
            status.as_u16(),
            common,
            "{what}: every file failed, so the request has their common status: {body}"
        );
        assert!(
            body["error"]["code"]
                .as_str()
                .is_some_and(|c| !c.is_empty()),
            "{what}: no top-level error: {body}"
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.trim().is_empty()),
            "{what}: no top-level message: {body}"
        );
        assert_eq!(
            body["group_id"],
            Value::Null,
            "{what}: nothing was ingested, so there is no batch group: {body}"
        );
    } else {
        assert_eq!(status, StatusCode::OK, "{what}: {body}");
        assert!(
            group_id.is_some(),
            "{what}: an upload batch has a group: {body}"
        );
    }
    for p in &photos {
        check_upload_photo(p);
    }
    Uploaded {
        status,
        photos,
        errors,
        group_id,
        body,
    }
}

async fn get(api: &Api, token: &str, path: &str) -> Value {
    let (status, body) = api.call(Method::GET, path, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    body
}

async fn send(
    api: &Api,
    token: &str,
    method: Method,
    path: &str,
    body: Value,
    expected: StatusCode,
) -> Value {
    let (status, answer) = api
        .call(method.clone(), path, Some(token), Some(body.clone()))
        .await;
    assert_eq!(status, expected, "{method} {path} {body}: {answer}");
    answer
}

async fn list_ids(api: &Api, token: &str, query: &str) -> Vec<String> {
    let list = get(api, token, &format!("/api/photos{query}")).await;
    list.as_array()
        .unwrap_or_else(|| panic!("GET /api/photos{query} is not a list: {list}"))
        .iter()
        .map(photo_of)
        .map(id_of)
        .collect()
}

/// A list entry: SPEC §4 writes `[{photo}]`; accept the photo itself or wrapped.
fn photo_of(v: &Value) -> &Value {
    if v.get("photo").is_some_and(Value::is_object) {
        &v["photo"]
    } else {
        v
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The status and JSON of `GET /api/photos/{id}` for `token`.
async fn photo_status(api: &Api, token: &str, id: &str) -> (StatusCode, Value) {
    api.call(Method::GET, &format!("/api/photos/{id}"), Some(token), None)
        .await
}

// ---- the photo JSON ---------------------------------------------------------------------

fn dims(v: &Value) -> (u32, u32) {
    (
        v["w"].as_u64().unwrap_or_else(|| panic!("no w in {v}")) as u32,
        v["h"].as_u64().unwrap_or_else(|| panic!("no h in {v}")) as u32,
    )
}

fn wh(photo: &Value) -> (u32, u32) {
    (
        photo["width"].as_u64().expect("width") as u32,
        photo["height"].as_u64().expect("height") as u32,
    )
}

fn sizes_of(photo: &Value) -> Vec<(u32, u32)> {
    photo["sizes"]
        .as_array()
        .unwrap_or_else(|| panic!("no sizes: {photo}"))
        .iter()
        .map(dims)
        .collect()
}

/// `(w, h)` has the aspect ratio of `width`×`height` to within a pixel of rounding.
fn same_aspect(size: (u32, u32), width: u32, height: u32) -> bool {
    let (w, h) = (size.0 as f64, size.1 as f64);
    let (ow, oh) = (width as f64, height as f64);
    (w * oh / ow - h).abs() <= 1.0 || (h * ow / oh - w).abs() <= 1.0
}

/// The fields every uploaded photo has, and sizes as the contract plans them: 256, 1024 and
/// 2048 px on the long edge where smaller than the original, then the original, all with
/// its oriented aspect ratio, each served from its own URL.
fn check_upload_photo(photo: &Value) {
    let name = photo["name"].as_str().unwrap_or_default().to_owned();
    let id = id_of(photo);
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{name}: id {id:?}");
    assert!(
        photo["owner_id"].is_string() && photo["created_at"].is_string(),
        "{name}: {photo}"
    );
    assert!(
        ["jpeg", "png", "webp"].contains(&photo["format"].as_str().unwrap_or_default()),
        "{name}: format: {photo}"
    );
    assert_eq!(photo["remote"], false, "{name}");
    assert!(
        photo["bytes"].as_u64().is_some_and(|b| b > 0),
        "{name}: bytes: {photo}"
    );
    assert!(
        photo["orientation"]
            .as_u64()
            .is_some_and(|o| (1..=8).contains(&o)),
        "{name}: orientation: {photo}"
    );
    for key in ["taken_at", "taken_at_offset", "gps", "camera"] {
        assert!(
            photo.get(key).is_some(),
            "{name}: no {key:?} (null when unknown): {photo}"
        );
    }
    assert!(photo["tags"].is_array(), "{name}: tags: {photo}");
    let (width, height) = wh(photo);
    assert_eq!(
        photo["shape"],
        serde_json::to_value(Shape::of(width, height)).unwrap(),
        "{name}: shape of {width}×{height}"
    );
    let sizes = sizes_of(photo);
    let long = width.max(height);
    let planned: Vec<u32> = [256, 1024, 2048]
        .into_iter()
        .filter(|&e| e < long)
        .chain([long])
        .collect();
    assert_eq!(
        sizes.iter().map(|s| s.0.max(s.1)).collect::<Vec<_>>(),
        planned,
        "{name}: long edges of the sizes of a {width}×{height} photo: {photo}"
    );
    assert_eq!(
        sizes.last(),
        Some(&(width, height)),
        "{name}: the last size is the original, oriented"
    );
    for (i, s) in sizes.iter().enumerate() {
        assert!(
            same_aspect(*s, width, height),
            "{name}: size {s:?} has not the aspect ratio of {width}×{height}"
        );
        assert_eq!(
            photo["sizes"][i]["url"],
            format!("/api/photos/{id}/file?size={i}"),
            "{name}: url of size {i}"
        );
    }
    let colors = photo["dominant_colors"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}: dominant_colors: {photo}"));
    assert!(!colors.is_empty(), "{name}: no dominant colours");
    let sum: f64 = colors
        .iter()
        .map(|c| c["share"].as_f64().unwrap_or(-1.0))
        .sum();
    assert!(
        (sum - 1.0).abs() < 1e-3,
        "{name}: colour shares sum to {sum}"
    );
    assert!(
        colors
            .iter()
            .all(|c| c["lab"].as_array().is_some_and(|l| l.len() == 3)),
        "{name}: {colors:?}"
    );
}

// ---- storage ----------------------------------------------------------------------------

/// Every file in a local-folder server's blob store, relative to it.
fn blob_files(server: &TestServer) -> Vec<PathBuf> {
    let root = server.data_dir.join("blobs");
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("read blob folder").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(&root).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// The blob store holds files for exactly the photos in `ids` (blob keys are
/// `kind/<id>/<part>`), and nothing else: no leftovers of refused files, no temporary files.
fn assert_blobs_only_for(server: &TestServer, ids: &[String], what: &str) {
    let files = blob_files(server);
    let mut owners = BTreeSet::new();
    for f in &files {
        let parts: Vec<String> = f.iter().map(|c| c.to_string_lossy().into_owned()).collect();
        assert!(
            parts.len() == 3 && ids.contains(&parts[1]),
            "{what}: a blob that belongs to no ingested photo: {} (photos: {ids:?})",
            f.display()
        );
        assert!(
            !parts[2].contains("tmp"),
            "{what}: a temporary file was left behind: {}",
            f.display()
        );
        owners.insert(parts[1].clone());
    }
    let missing: Vec<&String> = ids.iter().filter(|id| !owners.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "{what}: photos without any stored file: {missing:?} (blobs: {files:?})"
    );
}

// ---- 1. camera files --------------------------------------------------------------------

/// Batches of at most `max_files` files and about `max_bytes` bytes, in order.
fn batches(files: &[PathBuf], max_files: usize, max_bytes: u64) -> Vec<Vec<PathBuf>> {
    let mut out: Vec<Vec<PathBuf>> = vec![Vec::new()];
    let mut bytes = 0;
    for f in files {
        let len = std::fs::metadata(f).expect("stat").len();
        let last = out.last_mut().unwrap();
        if !last.is_empty() && (last.len() >= max_files || bytes + len > max_bytes) {
            out.push(Vec::new());
            bytes = 0;
        }
        out.last_mut().unwrap().push(f.clone());
        bytes += len;
    }
    out
}

#[tokio::test]
async fn camera_files_upload_in_batches_and_agree_with_exiftool() {
    let files = files_under(&samples("jpg"), &["invalid", "tests"]);
    assert!(
        files.len() >= 60,
        "expected the exif-samples camera set, found {} files",
        files.len()
    );
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;

    let batches = batches(&files, 12, 4 << 20);
    assert!(
        batches.len() >= 3 && batches.iter().filter(|b| b.len() > 1).count() >= 3,
        "several files per request, several requests"
    );
    let mut photos: HashMap<String, Value> = HashMap::new();
    let mut groups = BTreeSet::new();
    let uploads = async {
        for batch in &batches {
            let named: Vec<(String, Vec<u8>)> = batch.iter().map(|p| named(p)).collect();
            let up = upload(&api, &owner.token, &named, None).await;
            for (file, code, _) in &up.errors {
                // photo_meta: only the file named corrupted.jpg may fail to decode.
                assert_eq!(
                    file, "corrupted.jpg",
                    "a camera file was refused with {code}: {}",
                    up.body
                );
            }
            assert!(
                groups.insert(up.group_id.clone().unwrap()),
                "each batch its own group"
            );
            for p in up.photos {
                photos.insert(p["name"].as_str().unwrap().to_owned(), p);
            }
        }
    };
    tokio::time::timeout(CAMERA_SET_HANG_GUARD, uploads)
        .await
        .expect("the camera files were not all answered within the hang guard");
    assert!(
        photos.len() + 1 >= files.len(),
        "{} of {} camera files ingested",
        photos.len(),
        files.len()
    );

    // Listed, and one upload group per request.
    let ids: Vec<String> = photos.values().map(id_of).collect();
    assert_eq!(
        sorted(list_ids(&api, &owner.token, "").await),
        sorted(ids.clone())
    );
    let upload_groups: BTreeSet<String> = get(&api, &owner.token, "/api/groups?source=upload")
        .await
        .as_array()
        .expect("groups")
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(upload_groups, groups);

    let Some(exiftool) = exiftool(&files) else {
        return;
    };
    let (mut with_time, mut with_offset, mut with_gps, mut rotated) = (0, 0, 0, 0);
    for (path, entry) in files.iter().zip(&exiftool) {
        let what = path
            .strip_prefix(samples(""))
            .unwrap()
            .display()
            .to_string();
        let Some(photo) = photos.get(&file_name(path)) else {
            continue;
        };
        assert_eq!(photo["format"], "jpeg", "{what}");
        assert_eq!(
            photo["bytes"].as_u64(),
            Some(std::fs::metadata(path).unwrap().len()),
            "{what}: bytes"
        );

        let expected = expected_capture(entry);
        let got = photo["taken_at"].as_str().map(|t| {
            (
                t.to_owned(),
                photo["taken_at_offset"].as_str().map(str::to_owned),
            )
        });
        assert_eq!(got, expected, "{what}: capture time (exiftool: {entry})");
        assert!(
            expected.is_some() || photo["taken_at_offset"].is_null(),
            "{what}: an offset without a time"
        );
        with_time += expected.is_some() as usize;
        with_offset += expected.as_ref().is_some_and(|e| e.1.is_some()) as usize;

        match gps(entry) {
            Some((lat, lon)) => {
                let (got_lat, got_lon) =
                    (photo["gps"]["lat"].as_f64(), photo["gps"]["lon"].as_f64());
                assert!(
                    got_lat.is_some_and(|v| (v - lat).abs() < 1e-6)
                        && got_lon.is_some_and(|v| (v - lon).abs() < 1e-6),
                    "{what}: GPS {}, exiftool {lat},{lon}",
                    photo["gps"]
                );
                with_gps += 1;
            }
            None => assert_eq!(
                photo["gps"],
                Value::Null,
                "{what}: GPS where exiftool has none"
            ),
        }

        let o = orientation(entry);
        assert_eq!(
            photo["orientation"].as_u64(),
            Some(o),
            "{what}: orientation"
        );
        let (w, h) = stored_size(entry);
        let oriented = if o >= 5 { (h, w) } else { (w, h) };
        assert_eq!(
            wh(photo),
            oriented,
            "{what}: width and height after orientation {o}"
        );
        rotated += (o >= 5) as usize;

        let camera = camera_name(
            tag_text(entry, "IFD0:Make").as_deref(),
            tag_text(entry, "IFD0:Model").as_deref(),
        );
        assert_eq!(photo["camera"], json!(camera), "{what}: camera");
    }
    eprintln!("{} camera files over HTTP: {with_time} with a capture time ({with_offset} with an offset), {with_gps} with GPS, {rotated} turned", photos.len());
    assert!(
        with_time >= 40 && with_gps >= 10 && with_offset >= 1 && rotated >= 4,
        "the sample set should exercise times, offsets, GPS and turns"
    );
}

// ---- 2. orientation -------------------------------------------------------------------

/// A 32×24 grey thumbnail, to compare pictures across JPEG re-encodes.
fn grey_thumb(img: &DynamicImage) -> Vec<i32> {
    img.resize_exact(32, 24, image::imageops::FilterType::Triangle)
        .to_luma8()
        .pixels()
        .map(|p| p.0[0] as i32)
        .collect()
}

fn grey_distance(a: &[i32], b: &[i32]) -> i32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<i32>() / a.len() as i32
}

#[tokio::test]
async fn orientation_samples_come_out_upright_in_every_size() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    for kind in ["landscape", "portrait"] {
        let files: Vec<(String, Vec<u8>)> = (1..=8)
            .map(|n| named(&samples("jpg/orientation").join(format!("{kind}_{n}.jpg"))))
            .collect();
        let up = upload(&api, &owner.token, &files, None).await;
        assert!(up.errors.is_empty(), "{}", up.body);
        let expected = if kind == "landscape" {
            (600, 450)
        } else {
            (450, 600)
        };
        let mut reference: Option<Vec<i32>> = None;
        for (n, photo) in (1..=8u64).zip(&up.photos) {
            let what = format!("{kind}_{n}");
            assert_eq!(photo["orientation"].as_u64(), Some(n), "{what}");
            assert_eq!(wh(photo), expected, "{what}: width and height");
            assert_eq!(
                photo["shape"],
                if kind == "landscape" { "L" } else { "P" },
                "{what}"
            );
            let id = id_of(photo);
            let (status, headers, bytes) = api
                .get_raw(
                    &format!("/api/photos/{id}/file?size=0"),
                    Some(&owner.token),
                    &[],
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{what}: size 0");
            assert_eq!(
                headers[reqwest::header::CONTENT_TYPE],
                "image/jpeg",
                "{what}"
            );
            let img = decoded(&bytes, &what);
            assert_eq!(
                (img.width(), img.height()),
                dims(&photo["sizes"][0]),
                "{what}: size 0 is the size its entry says"
            );
            assert!(
                same_aspect((img.width(), img.height()), expected.0, expected.1),
                "{what}: size 0 is {}×{}, not {expected:?}'s shape",
                img.width(),
                img.height()
            );
            // The pixels are turned, not only the numbers: of the ways to turn size 0 that
            // keep its shape, leaving it alone looks most like the upright sample's.
            let thumb = grey_thumb(&img);
            let reference = reference.get_or_insert_with(|| thumb.clone());
            let diffs: Vec<(u8, i32)> = (1..=8u8)
                .map(|m| (m, orient(img.clone(), Orientation::from_exif(m as u32))))
                .filter(|(_, t)| (t.width(), t.height()) == (img.width(), img.height()))
                .map(|(m, t)| (m, grey_distance(&grey_thumb(&t), reference)))
                .collect();
            let best = diffs.iter().min_by_key(|d| d.1).unwrap();
            assert_eq!(
                best.0, 1,
                "{what}: size 0 is not upright (grey-level differences when turned: {diffs:?})"
            );
        }
    }
}

// ---- 3. broken files ------------------------------------------------------------------

#[tokio::test]
async fn broken_and_odd_files_ingest_or_fail_cleanly_and_leave_nothing() {
    let mut paths = files_under(&samples("jpg/invalid"), &[]);
    paths.extend(files_under(&samples("jpg/tests"), &[]));
    assert!(paths.len() >= 15, "found {} files", paths.len());
    let mut files: Vec<(String, Vec<u8>)> = paths.iter().map(|p| named(p)).collect();
    // Two files that must fail, so the request surely mixes ingests and refusals.
    let whole = read(&samples("jpg/Canon_40D.jpg"));
    files.push((
        "truncated.jpg".into(),
        whole[..whole.len() * 2 / 3].to_vec(),
    ));
    files.push((
        "junk.jpg".into(),
        b"this is not a picture at all, just some text".repeat(20),
    ));
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;

    let up = tokio::time::timeout(HANG_GUARD, upload(&api, &owner.token, &files, None))
        .await
        .expect("the broken files hung the upload");
    assert_eq!(
        up.error_for("truncated.jpg"),
        Some(("corrupt_image".into(), 422)),
        "{}",
        up.body
    );
    assert_eq!(
        up.error_for("junk.jpg"),
        Some(("unrecognised_image".into(), 415)),
        "{}",
        up.body
    );
    let truncated = up.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["file"] == "truncated.jpg")
        .unwrap();
    assert!(
        truncated["error"]["message"]
            .as_str()
            .unwrap()
            .contains("truncated"),
        "the message names the problem: {truncated}"
    );
    for (file, code, status) in &up.errors {
        eprintln!("{file}: {code} ({status})");
    }
    for p in &up.photos {
        eprintln!("{}: ingested, {}×{}", p["name"], p["width"], p["height"]);
    }
    let ids = up.ids();
    assert_eq!(
        sorted(list_ids(&api, &owner.token, "").await),
        sorted(ids.clone()),
        "the list holds exactly the ingested files"
    );
    assert_blobs_only_for(&server, &ids, "broken files");
    // The server is still well.
    let (status, body) = api
        .upload(
            &owner.token,
            &[("after.png", &encode(&gradient(64, 48), ImageFormat::Png))],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

// ---- 4. HEIC --------------------------------------------------------------------------

#[tokio::test]
async fn heic_is_refused_with_415_alone_and_beside_a_good_jpeg() {
    let heic: Vec<(String, Vec<u8>)> = files_under(&samples("heic"), &[])
        .iter()
        .map(|p| named(p))
        .collect();
    assert!(heic.len() >= 5, "found {} HEIC files", heic.len());
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;

    let up = upload(&api, &owner.token, &heic, None).await;
    assert_eq!(up.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", up.body);
    for (file, _) in &heic {
        assert_eq!(
            up.error_for(file),
            Some(("unsupported_image_format".into(), 415)),
            "{file}: {}",
            up.body
        );
    }
    let (status, body) = api
        .upload(
            &owner.token,
            &[(heic[0].0.as_str(), heic[0].1.as_slice())],
            None,
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_image_format",
        "one HEIC alone",
    );

    let good = named(&samples("jpg/Canon_40D.jpg"));
    let mixed = vec![good.clone(), heic[0].clone()];
    let up = upload(&api, &owner.token, &mixed, None).await;
    assert_eq!(up.status, StatusCode::OK, "{}", up.body);
    assert_eq!(up.photos.len(), 1);
    assert_eq!(up.photos[0]["name"], good.0);
    assert_eq!(
        up.error_for(&heic[0].0),
        Some(("unsupported_image_format".into(), 415)),
        "{}",
        up.body
    );
    assert_eq!(list_ids(&api, &owner.token, "").await, up.ids());
    assert_blobs_only_for(&server, &up.ids(), "HEIC");
}

// ---- 5. decompression bomb --------------------------------------------------------------

/// VmRSS and VmHWM (peak) of a process, in bytes.
fn memory_of(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
            * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[tokio::test]
async fn decompression_bomb_is_refused_and_memory_stays_flat() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The real binary in its own process, so its memory is its own.
    let pg = if postgres_requested() {
        Some(
            PgDatabase::create()
                .await
                .expect("FOLIO_TEST_DB=postgres, but PostgreSQL is not reachable"),
        )
    } else {
        None
    };
    let env: Vec<(&str, &str)> = pg
        .iter()
        .map(|db| ("DATABASE_URL", db.url.as_str()))
        .collect();
    let server = BinServer::start_env(dir.path(), &env).await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;

    // Warm up: decoders, pools and the store have done one real photo.
    let warm = jpeg(&gradient(1200, 800), 90);
    let (status, body) = api.upload(&owner.token, &[("warm.jpg", &warm)], None).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let bomb = folio_tests::pictures::png_declaring(100_000, 100_000);
    assert!(bomb.len() < 100, "a bomb of {} bytes", bomb.len());
    let pid = server.pid();
    let (rss_before, peak_before) = memory_of(pid);
    for i in 0..5 {
        let name = format!("bomb-{i}.png");
        let (status, body) = api
            .upload(&owner.token, &[(name.as_str(), &bomb)], None)
            .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "bomb {i}: {body}");
        assert_eq!(body["errors"][0]["file"], name, "{body}");
        assert_eq!(
            body["errors"][0]["error"]["code"], "too_many_pixels",
            "{body}"
        );
        assert_eq!(body["errors"][0]["error"]["status"], 413, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }
    let (rss_after, peak_after) = memory_of(pid);
    const LIMIT: u64 = 64 << 20;
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    eprintln!(
        "RSS {:.1} → {:.1} MiB, peak {:.1} → {:.1} MiB",
        mib(rss_before),
        mib(rss_after),
        mib(peak_before),
        mib(peak_after)
    );
    assert!(
        rss_after < rss_before + LIMIT,
        "RSS grew by {:.1} MiB over five bombs",
        mib(rss_after - rss_before)
    );
    assert!(
        peak_after < peak_before + LIMIT,
        "peak RSS grew by {:.1} MiB over five bombs",
        mib(peak_after - peak_before)
    );
    assert_eq!(
        list_ids(&api, &owner.token, "").await.len(),
        1,
        "only the warm-up photo is kept"
    );
    drop(server);
}

// ---- 6. who may see a photo -------------------------------------------------------------

fn page_with_photo(user: &str, photo_id: &str) -> (NewPage, NewItem) {
    let page = NewPage {
        id: uuid::Uuid::new_v4().to_string(),
        kind: PageKind::Page,
        layout: None,
        background: Background::default(),
        created_by: user.to_owned(),
        auto: false,
    };
    let item = NewItem {
        id: uuid::Uuid::new_v4().to_string(),
        kind: ItemKind::Photo,
        bbox: [0.1, 0.1, 0.5, 0.5, 0.0],
        z: 1.0,
        created_by: user.to_owned(),
        photo: Some(PhotoRef {
            id: photo_id.to_owned(),
            pan: [0.0, 0.0],
            zoom: 1.0,
        }),
        text: None,
        style: Style::default(),
        slot: None,
    };
    (page, item)
}

/// The photo ids placed in a document's photo items.
fn placed(doc: &yrs::Doc) -> Vec<String> {
    let Ok(book) = model::read_book(&doc.transact()) else {
        return Vec::new();
    };
    book.pages
        .iter()
        .flat_map(|p| p.items.iter())
        .filter_map(|i| i.photo.as_ref().map(|p| p.id.clone()))
        .collect()
}

/// `user` places `photo_id` on a new page of `project` through a live client; returns once a
/// second client that joins afterwards sees it, so the server accepted and kept the edit.
async fn place_photo(server: &TestServer, project: &str, user: &Account, photo_id: &str) {
    let c = YClient::connect(&server.ws_url(), project, &user.token).await;
    c.wait_synced().await;
    let (page, item) = page_with_photo(&user.id, photo_id);
    c.edit(|txn| {
        let page_id = model::add_page(txn, 0, page).expect("add page");
        model::add_item(txn, &page_id, item).expect("add photo item");
    });
    let late = YClient::connect(&server.ws_url(), project, &user.token).await;
    let seen = eventually(WAIT, || placed(&late.doc).iter().any(|p| p == photo_id)).await;
    assert!(
        seen,
        "the server did not keep the photo item placed in {project}"
    );
    assert!(
        c.closed().is_none() && c.seen.lock().unwrap().denied.is_empty(),
        "the edit was refused: {:?}",
        c.seen.lock().unwrap()
    );
}

/// `user` tries to place `photo_id` on a new page of `project` through a live client; the
/// server must refuse it with PermissionDenied and keep nothing. Returns the reason.
async fn refused_placement(
    server: &TestServer,
    project: &str,
    user: &Account,
    photo_id: &str,
) -> String {
    let c = YClient::connect(&server.ws_url(), project, &user.token).await;
    c.wait_synced().await;
    let (page, item) = page_with_photo(&user.id, photo_id);
    let page_id = page.id.clone();
    c.edit(|txn| {
        let page_id = model::add_page(txn, 0, page).expect("add page");
        model::add_item(txn, &page_id, item).expect("add photo item");
    });
    let denied = eventually(WAIT, || !c.seen.lock().unwrap().denied.is_empty()).await;
    assert!(
        denied,
        "placing {photo_id} was not refused: {:?}",
        c.seen.lock().unwrap()
    );
    let late = YClient::connect(&server.ws_url(), project, &user.token).await;
    late.wait_synced().await;
    let kept = model::read_book(&late.doc.transact())
        .is_ok_and(|b| b.pages.iter().any(|p| p.id == page_id));
    assert!(!kept, "the refused page was kept");
    let reason = c.seen.lock().unwrap().denied.join("; ");
    reason
}

async fn assert_hidden(api: &Api, user: &Account, id: &str, what: &str) {
    let (status, body) = photo_status(api, &user.token, id).await;
    assert_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "photo_not_found",
        &format!("{what}: JSON"),
    );
    let (status, _, bytes) = api
        .get_raw(&format!("/api/photos/{id}/file"), Some(&user.token), &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{what}: file");
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    assert_eq!(
        body["error"]["code"], "photo_not_found",
        "{what}: file: {body}"
    );
    let (status, _, _) = api
        .get_raw(
            &format!("/api/photos/{id}/file?size=0"),
            Some(&user.token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{what}: file size 0");
}

async fn assert_visible(api: &Api, user: &Account, id: &str, original: &[u8], what: &str) {
    let (status, body) = photo_status(api, &user.token, id).await;
    assert_eq!(status, StatusCode::OK, "{what}: {body}");
    assert_eq!(id_of(&body["photo"]), id, "{what}: {body}");
    let (status, headers, bytes) = api
        .get_raw(&format!("/api/photos/{id}/file"), Some(&user.token), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{what}: file");
    assert_eq!(
        headers[reqwest::header::CONTENT_TYPE],
        "image/png",
        "{what}"
    );
    assert!(bytes == original, "{what}: the original's bytes");
    let (status, _, _) = api
        .get_raw(
            &format!("/api/photos/{id}/file?size=0"),
            Some(&user.token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{what}: file size 0");
}

#[tokio::test]
async fn photos_are_seen_by_their_owner_through_shared_books_and_shares_only() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let ann = api.signup("Ann").await;
    let ben = api.signup("Ben").await;
    let cat = api.signup("Cat").await;
    let png = encode(&gradient(300, 200), ImageFormat::Png);
    let up = upload(
        &api,
        &ann.token,
        &[
            ("placed.png".into(), png.clone()),
            ("shared.png".into(), png.clone()),
        ],
        None,
    )
    .await;
    let (placed_id, shared_id) = (up.ids()[0].clone(), up.ids()[1].clone());

    // Strangers see nothing, and cannot tell a hidden photo from a missing one.
    assert_visible(&api, &ann, &placed_id, &png, "the owner").await;
    assert_hidden(&api, &ben, &placed_id, "Ben before anything").await;
    assert!(
        list_ids(&api, &ben.token, "").await.is_empty(),
        "Ben's list shows someone else's photos"
    );
    let guessed = uuid::Uuid::new_v4().to_string();
    assert_hidden(&api, &ben, &guessed, "an unknown id").await;
    assert_hidden(
        &api,
        &ann,
        &guessed,
        "an unknown id, for a user with photos",
    )
    .await;
    let (status, _) = api
        .call(Method::GET, &format!("/api/photos/{placed_id}"), None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Ann's book, with Ben as a member: once Ann places the photo, Ben may see it.
    let book = api.create_project(&ann, "Ann and Ben").await;
    let (status, body) = api.set_role(&ann, &book, &ben, "viewer").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_hidden(&api, &ben, &placed_id, "Ben, a member, before it is placed").await;
    place_photo(&server, &book, &ann, &placed_id).await;
    let mut ok = false;
    for _ in 0..(WAIT.as_millis() / 100) {
        if photo_status(&api, &ben.token, &placed_id).await.0 == StatusCode::OK {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        ok,
        "Ben never saw the photo placed in a book he and Ann are members of"
    );
    assert_visible(&api, &ben, &placed_id, &png, "Ben, through the book").await;
    assert_hidden(&api, &ben, &shared_id, "Ben: the other photo is not placed").await;
    assert!(
        !list_ids(&api, &ben.token, "").await.contains(&placed_id),
        "Ben's own list holds only his photos"
    );

    // Cat cannot place Ann's photo id in a book of her own: the write is refused.
    let cats = api.create_project(&cat, "Cat's").await;
    let denied = refused_placement(&server, &cats, &cat, &placed_id).await;
    assert!(
        denied.contains(&format!("photo {placed_id} is not yours to place")),
        "{denied}"
    );
    assert_hidden(&api, &cat, &placed_id, "Cat, through her own book").await;

    // A share makes a photo visible to the project's members, and lists it under the project.
    let (status, body) = api
        .call(
            Method::POST,
            "/api/shares",
            Some(&ann.token),
            Some(json!({"photo_ids": [shared_id], "project_id": book})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["group"]["source"], "share");
    assert_eq!(body["group"]["project_id"], book.as_str());
    assert_visible(&api, &ben, &shared_id, &png, "Ben, through the share").await;
    assert_eq!(
        list_ids(&api, &ben.token, &format!("?project_id={book}")).await,
        vec![shared_id.clone()],
        "the project lists its shared photos"
    );
    assert_hidden(&api, &cat, &shared_id, "Cat, not a member").await;
    let (status, body) = api
        .call(
            Method::GET,
            &format!("/api/photos?project_id={book}"),
            Some(&cat.token),
            None,
        )
        .await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "Cat lists a project she is not in: {status} {body}"
    );
    assert!(body["error"]["code"].is_string(), "{body}");

    // Sharing needs a contributor, and one's own (or visible) photo.
    let bens = upload(&api, &ben.token, &[("ben.png".into(), png.clone())], None)
        .await
        .ids()[0]
        .clone();
    let (status, body) = api
        .call(
            Method::POST,
            "/api/shares",
            Some(&ben.token),
            Some(json!({"photo_ids": [bens], "project_id": book})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a viewer shares into the book: {body}"
    );
    assert_hidden(&api, &ann, &bens, "Ann: Ben's share was refused").await;
    let (status, body) = api
        .call(
            Method::POST,
            "/api/shares",
            Some(&cat.token),
            Some(json!({"photo_ids": [placed_id], "project_id": cats})),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "photo_not_found",
        "Cat shares Ann's photo",
    );
    assert_hidden(&api, &cat, &placed_id, "Cat, after sharing it to herself").await;
}

// ---- 7. sizes and file serving ----------------------------------------------------------

/// Uploads a 3000×2000 JPEG and a 200×100 PNG and checks their sizes and how each is served.
/// Returns the two photo ids.
async fn check_sizes_and_serving(server: &TestServer) -> Vec<String> {
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let stranger = api.signup("Stranger").await;
    let big = jpeg(&gradient(3000, 2000), 90);
    let small = encode(&gradient(200, 100), ImageFormat::Png);
    let up = upload(
        &api,
        &owner.token,
        &[
            ("big.jpg".into(), big.clone()),
            ("small.png".into(), small.clone()),
        ],
        None,
    )
    .await;
    assert!(up.errors.is_empty(), "{}", up.body);
    let (jpg, png) = (&up.photos[0], &up.photos[1]);

    assert_eq!(jpg["format"], "jpeg");
    assert_eq!(jpg["bytes"].as_u64(), Some(big.len() as u64));
    let expected = [(256, 171), (1024, 683), (2048, 1365), (3000, 2000)];
    let sizes = sizes_of(jpg);
    assert_eq!(sizes.len(), 4, "{jpg}");
    for (got, want) in sizes.iter().zip(expected) {
        assert!(
            got.0.abs_diff(want.0) <= 1 && got.1.abs_diff(want.1) <= 1,
            "sizes {sizes:?}, expected {expected:?}"
        );
    }
    let id = id_of(jpg);
    let mut etags = BTreeSet::new();
    for (i, size) in sizes.iter().enumerate() {
        let url = jpg["sizes"][i]["url"].as_str().unwrap();
        let (status, headers, bytes) = api.get_raw(url, Some(&owner.token), &[]).await;
        assert_eq!(status, StatusCode::OK, "size {i}");
        assert_eq!(
            headers[reqwest::header::CONTENT_TYPE],
            "image/jpeg",
            "size {i}"
        );
        assert_eq!(
            headers
                .get(reqwest::header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok()),
            Some(CACHE_CONTROL),
            "size {i}"
        );
        let img = decoded(&bytes, &format!("size {i}"));
        assert_eq!(
            (img.width(), img.height()),
            *size,
            "size {i} is as large as its entry says"
        );
        let etag = headers
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("size {i}: no ETag"))
            .to_owned();
        assert!(
            etags.insert(etag.clone()),
            "size {i} shares its ETag with another size"
        );
        let (status, headers, bytes) = api
            .get_raw(url, Some(&owner.token), &[("if-none-match", &etag)])
            .await;
        assert_eq!(
            status,
            StatusCode::NOT_MODIFIED,
            "size {i} with If-None-Match"
        );
        assert!(bytes.is_empty(), "a 304 has no body");
        assert_eq!(
            headers
                .get(reqwest::header::ETAG)
                .and_then(|v| v.to_str().ok()),
            Some(etag.as_str()),
            "size {i}: the 304 repeats the ETag"
        );
        let (status, _, _) = api
            .get_raw(
                url,
                Some(&owner.token),
                &[("if-none-match", "\"something-else\"")],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "size {i} with another ETag");
        // The ETag does not let a stranger in.
        let (status, _, _) = api
            .get_raw(url, Some(&stranger.token), &[("if-none-match", &etag)])
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "size {i} for a stranger");
    }
    // No size: the original, byte for byte.
    let (status, headers, bytes) = api
        .get_raw(&format!("/api/photos/{id}/file"), Some(&owner.token), &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[reqwest::header::CONTENT_TYPE], "image/jpeg");
    assert!(bytes == big, "the original is the uploaded file");
    for bad in ["4", "99"] {
        let (status, _, bytes) = api
            .get_raw(
                &format!("/api/photos/{id}/file?size={bad}"),
                Some(&owner.token),
                &[],
            )
            .await;
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        assert_error(
            status,
            &body,
            StatusCode::NOT_FOUND,
            "no_such_size",
            &format!("size={bad}"),
        );
    }

    // A picture smaller than the smallest size has only itself.
    assert_eq!(png["format"], "png");
    assert_eq!(sizes_of(png), vec![(200, 100)]);
    let pid = id_of(png);
    let (status, headers, bytes) = api
        .get_raw(
            &format!("/api/photos/{pid}/file?size=0"),
            Some(&owner.token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[reqwest::header::CONTENT_TYPE], "image/png");
    assert_eq!(
        headers
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok()),
        Some(CACHE_CONTROL)
    );
    assert!(bytes == small, "the PNG is served as uploaded");
    let (status, _, _) = api
        .get_raw(
            &format!("/api/photos/{pid}/file?size=1"),
            Some(&owner.token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    vec![id, pid]
}

#[tokio::test]
async fn sizes_and_file_serving_on_the_local_folder() {
    let server = TestServer::start().await;
    let ids = check_sizes_and_serving(&server).await;
    assert_blobs_only_for(&server, &ids, "local folder");
}

#[tokio::test]
async fn sizes_and_file_serving_on_s3() {
    let Some(s3) = S3Server::start().await else {
        return;
    };
    let server = TestServer::start_with(|cfg| s3.configure(cfg)).await;
    let ids = check_sizes_and_serving(&server).await;
    let objects = s3.objects_under("");
    for id in &ids {
        assert!(
            objects.iter().any(|k| k.contains(id.as_str())),
            "photo {id} has no object in the bucket: {objects:?}"
        );
    }
    let local: Vec<PathBuf> = blob_files(&server)
        .into_iter()
        .filter(|f| {
            ids.iter()
                .any(|id| f.to_string_lossy().contains(id.as_str()))
        })
        .collect();
    assert!(
        local.is_empty(),
        "an S3 server keeps photo files in its data folder: {local:?}"
    );
}

// ---- 8. albums, tags and groups ---------------------------------------------------------

/// An event as (kind, photo ids, detail, photo_count), after checking its fields.
fn event(e: &Value, group: &str) -> (String, Vec<String>, Option<String>, u64) {
    assert!(
        e["id"].is_i64() || e["id"].is_u64(),
        "an event id is an integer: {e}"
    );
    assert_eq!(e["group_id"], group, "{e}");
    assert!(e["created_at"].is_string(), "{e}");
    let ids = e["photo_ids"]
        .as_array()
        .unwrap_or_else(|| panic!("photo_ids: {e}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    (
        e["kind"].as_str().unwrap().to_owned(),
        ids,
        e["detail"].as_str().map(str::to_owned),
        e["photo_count"]
            .as_u64()
            .unwrap_or_else(|| panic!("photo_count: {e}")),
    )
}

async fn events(api: &Api, token: &str, group: &str, after: Option<i64>) -> Vec<Value> {
    let query = after.map(|a| format!("?after={a}")).unwrap_or_default();
    let list = get(api, token, &format!("/api/groups/{group}/events{query}")).await;
    let list = list
        .as_array()
        .unwrap_or_else(|| panic!("events: {list}"))
        .clone();
    let ids: Vec<i64> = list
        .iter()
        .map(|e| e["id"].as_i64().expect("event id"))
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "events in order of increasing id: {ids:?}"
    );
    list
}

async fn event_list(
    api: &Api,
    token: &str,
    group: &str,
) -> Vec<(String, Vec<String>, Option<String>, u64)> {
    events(api, token, group, None)
        .await
        .iter()
        .map(|e| event(e, group))
        .collect()
}

fn ev(
    kind: &str,
    ids: &[&String],
    detail: Option<&str>,
    count: u64,
) -> (String, Vec<String>, Option<String>, u64) {
    (
        kind.to_owned(),
        ids.iter().map(|s| s.to_string()).collect(),
        detail.map(str::to_owned),
        count,
    )
}

fn check_group(g: &Value, source: &str, owner: &Account) {
    assert_eq!(g["source"], source, "{g}");
    assert_eq!(g["owner_id"], owner.id.as_str(), "{g}");
    assert!(
        g["id"].is_string()
            && g["name"].is_string()
            && g["created_at"].is_string()
            && g["updated_at"].is_string(),
        "{g}"
    );
    assert!(
        g.get("project_id").is_some() && g["photo_count"].is_u64(),
        "{g}"
    );
}

async fn groups(api: &Api, token: &str, source: &str) -> Vec<Value> {
    get(api, token, &format!("/api/groups?source={source}"))
        .await
        .as_array()
        .expect("groups")
        .clone()
}

/// The group with this id from `GET /api/groups?source=`, and its photo ids from `GET /api/groups/{id}`.
async fn group(api: &Api, token: &str, source: &str, id: &str) -> (Value, Vec<String>) {
    let listed = groups(api, token, source)
        .await
        .into_iter()
        .find(|g| g["id"] == id)
        .unwrap_or_else(|| panic!("group {id} is not listed under {source}"));
    let one = get(api, token, &format!("/api/groups/{id}")).await;
    assert_eq!(one["group"]["id"], id);
    let ids = one["photo_ids"]
        .as_array()
        .expect("photo_ids")
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    (listed, ids)
}

async fn album(api: &Api, token: &str, id: &str) -> (Value, Vec<String>) {
    let body = get(api, token, &format!("/api/albums/{id}")).await;
    let photos = body["photos"]
        .as_array()
        .unwrap_or_else(|| panic!("album photos: {body}"))
        .iter()
        .map(|p| id_of(photo_of(p)))
        .collect();
    (body["album"].clone(), photos)
}

#[tokio::test]
async fn albums_tags_and_groups_record_their_events() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let ann = api.signup("Ann").await;
    let bob = api.signup("Bob").await;
    let png = |w, h| encode(&gradient(w, h), ImageFormat::Png);

    // An album, and a batch uploaded into it.
    let body = send(
        &api,
        &ann.token,
        Method::POST,
        "/api/albums",
        json!({"name": "Summer"}),
        StatusCode::CREATED,
    )
    .await;
    let al = body["album"].clone();
    let album_id = id_of(&al);
    assert_eq!(
        (
            al["name"].as_str(),
            al["owner_id"].as_str(),
            al["photo_count"].as_u64()
        ),
        (Some("Summer"), Some(ann.id.as_str()), Some(0)),
        "{al}"
    );
    assert_eq!(al["cover_photo_id"], Value::Null, "{al}");
    assert!(
        al["created_at"].is_string() && al["updated_at"].is_string(),
        "{al}"
    );
    let listed = get(&api, &ann.token, "/api/albums").await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == album_id.as_str() || a["album"]["id"] == album_id.as_str()),
        "{listed}"
    );

    let first = upload(
        &api,
        &ann.token,
        &[
            ("a.png".into(), png(120, 80)),
            ("b.png".into(), png(80, 120)),
        ],
        Some(&album_id),
    )
    .await;
    let (a, b) = (first.ids()[0].clone(), first.ids()[1].clone());
    let batch1 = first.group_id.clone().unwrap();
    let second = upload(&api, &ann.token, &[("c.png".into(), png(100, 100))], None).await;
    let c = second.ids()[0].clone();
    let batch2 = second.group_id.clone().unwrap();
    assert_ne!(batch1, batch2);
    let (al, photos) = album(&api, &ann.token, &album_id).await;
    assert_eq!(
        (al["photo_count"].as_u64(), photos.clone()),
        (Some(2), vec![a.clone(), b.clone()])
    );

    // Add and remove.
    let body = send(
        &api,
        &ann.token,
        Method::POST,
        &format!("/api/albums/{album_id}/photos"),
        json!({"photo_ids": [c]}),
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["album"]["photo_count"], 3, "{body}");
    let (status, body) = api
        .call(
            Method::DELETE,
            &format!("/api/albums/{album_id}/photos/{a}"),
            Some(&ann.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (al, photos) = album(&api, &ann.token, &album_id).await;
    assert_eq!(al["photo_count"], 2);
    assert_eq!(sorted(photos), sorted(vec![b.clone(), c.clone()]));
    assert_eq!(
        sorted(list_ids(&api, &ann.token, &format!("?album_id={album_id}")).await),
        sorted(vec![b.clone(), c.clone()])
    );

    // Tags: trimmed and lowercased; each makes (or grows) a tag group.
    let body = send(
        &api,
        &ann.token,
        Method::POST,
        &format!("/api/photos/{b}/tags"),
        json!({"tags": [" Beach "]}),
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["photo"]["tags"], json!(["beach"]), "{body}");
    send(
        &api,
        &ann.token,
        Method::POST,
        &format!("/api/photos/{c}/tags"),
        json!({"tags": ["beach"]}),
        StatusCode::OK,
    )
    .await;
    let body = send(
        &api,
        &ann.token,
        Method::POST,
        &format!("/api/photos/{b}/tags"),
        json!({"tags": ["SUNSET"]}),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        body["photo"]["tags"],
        json!(["beach", "sunset"]),
        "tags sorted: {body}"
    );
    assert_eq!(
        sorted(list_ids(&api, &ann.token, "?tag=beach").await),
        sorted(vec![b.clone(), c.clone()])
    );
    assert_eq!(
        list_ids(&api, &ann.token, "?tag=sunset").await,
        vec![b.clone()]
    );
    assert!(list_ids(&api, &ann.token, "?tag=mountains")
        .await
        .is_empty());
    let (status, body) = api
        .call(
            Method::DELETE,
            &format!("/api/photos/{c}/tags/beach"),
            Some(&ann.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["photo"]["tags"], json!([]), "{body}");
    assert_eq!(
        list_ids(&api, &ann.token, "?tag=beach").await,
        vec![b.clone()]
    );
    let (status, body) = api
        .call(
            Method::POST,
            &format!("/api/photos/{b}/tags"),
            Some(&bob.token),
            Some(json!({"tags": ["mine"]})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "Bob tags Ann's photo: {body}"
    );
    for bad in [json!({"tags": ["   "]}), json!({"tags": ["x".repeat(65)]})] {
        let (status, body) = api
            .call(
                Method::POST,
                &format!("/api/photos/{b}/tags"),
                Some(&ann.token),
                Some(bad.clone()),
            )
            .await;
        assert!(
            status.is_client_error() && body["error"]["code"].is_string(),
            "{bad}: {status} {body}"
        );
    }

    let tag_groups = groups(&api, &ann.token, "tag").await;
    let names: BTreeSet<&str> = tag_groups
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, BTreeSet::from(["beach", "sunset"]));
    let beach = tag_groups.iter().find(|g| g["name"] == "beach").unwrap();
    check_group(beach, "tag", &ann);
    let beach_id = id_of(beach);
    let beach_events = event_list(&api, &ann.token, &beach_id).await;
    assert_eq!(beach_events[0].0, "created", "{beach_events:?}");
    let added: Vec<_> = beach_events
        .iter()
        .filter(|e| e.0 == "photos_added")
        .cloned()
        .collect();
    assert_eq!(
        added,
        vec![
            ev("photos_added", &[&b], None, 1),
            ev("photos_added", &[&c], None, 2)
        ],
        "{beach_events:?}"
    );

    // Rename.
    let body = send(
        &api,
        &ann.token,
        Method::PATCH,
        &format!("/api/albums/{album_id}"),
        json!({"name": "Summer 2024"}),
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["album"]["name"], "Summer 2024", "{body}");

    // The album's log, in order. The contract leaves `created`'s detail open between null
    // and the name it was created with.
    let got = event_list(&api, &ann.token, &album_id).await;
    let created_detail = got.first().and_then(|e| e.2.clone());
    assert!(
        created_detail.is_none() || created_detail.as_deref() == Some("Summer"),
        "{got:?}"
    );
    let want = vec![
        ev("created", &[], created_detail.as_deref(), 0),
        ev("photos_added", &[&a, &b], None, 2),
        ev("photos_added", &[&c], None, 3),
        ev("photos_removed", &[&a], None, 2),
        ev("tag_added", &[&b], Some("beach"), 2),
        ev("tag_added", &[&c], Some("beach"), 2),
        ev("tag_added", &[&b], Some("sunset"), 2),
        ev("renamed", &[], Some("Summer 2024"), 2),
    ];
    assert_eq!(got, want, "the album's events");
    let all = events(&api, &ann.token, &album_id, None).await;
    let third = all[2]["id"].as_i64().unwrap();
    let rest: Vec<_> = events(&api, &ann.token, &album_id, Some(third))
        .await
        .iter()
        .map(|e| event(e, &album_id))
        .collect();
    assert_eq!(
        rest,
        want[3..].to_vec(),
        "?after= gives the later events only"
    );
    let (album_group, album_photos) = group(&api, &ann.token, "album", &album_id).await;
    check_group(&album_group, "album", &ann);
    assert_eq!(
        (
            album_group["name"].as_str(),
            album_group["photo_count"].as_u64()
        ),
        (Some("Summer 2024"), Some(2))
    );
    assert_eq!(sorted(album_photos), sorted(vec![b.clone(), c.clone()]));

    // The upload batches are groups too.
    let (g1, g1_photos) = group(&api, &ann.token, "upload", &batch1).await;
    check_group(&g1, "upload", &ann);
    assert_eq!(
        (g1["photo_count"].as_u64(), g1_photos),
        (Some(2), vec![a.clone(), b.clone()])
    );
    assert_eq!(
        list_ids(&api, &ann.token, &format!("?group_id={batch1}")).await,
        vec![a.clone(), b.clone()]
    );
    let (g2, _) = group(&api, &ann.token, "upload", &batch2).await;
    assert_eq!(g2["photo_count"], 1);
    let g1_events = event_list(&api, &ann.token, &batch1).await;
    assert_eq!(g1_events[0].0, "created", "{g1_events:?}");
    let mut ingested: Vec<String> = g1_events
        .iter()
        .filter(|e| e.0 == "created" || e.0 == "photos_added")
        .flat_map(|e| e.1.clone())
        .collect();
    ingested.sort();
    assert_eq!(
        ingested,
        sorted(vec![a.clone(), b.clone()]),
        "{g1_events:?}"
    );
    let tagged: Vec<_> = g1_events
        .iter()
        .filter(|e| e.0 != "created" && e.0 != "photos_added")
        .cloned()
        .collect();
    assert_eq!(
        tagged,
        vec![
            ev("tag_added", &[&b], Some("beach"), 2),
            ev("tag_added", &[&b], Some("sunset"), 2)
        ],
        "{g1_events:?}"
    );
    assert_eq!(g1_events.last().unwrap().3, 2);

    // Shares and print selections make groups.
    let project = api.create_project(&ann, "Summer book").await;
    let body = send(
        &api,
        &ann.token,
        Method::POST,
        "/api/shares",
        json!({"photo_ids": [b, c], "project_id": project}),
        StatusCode::CREATED,
    )
    .await;
    let share = body["group"].clone();
    check_group(&share, "share", &ann);
    assert_eq!(
        (share["project_id"].as_str(), share["photo_count"].as_u64()),
        (Some(project.as_str()), Some(2)),
        "{share}"
    );
    let (_, shared) = group(&api, &ann.token, "share", &id_of(&share)).await;
    assert_eq!(sorted(shared), sorted(vec![b.clone(), c.clone()]));
    assert_eq!(
        event_list(&api, &ann.token, &id_of(&share))
            .await
            .last()
            .unwrap()
            .3,
        2
    );
    let body = send(
        &api,
        &ann.token,
        Method::POST,
        "/api/print-selections",
        json!({"photo_ids": [a, c], "name": "Prints"}),
        StatusCode::CREATED,
    )
    .await;
    let print = body["group"].clone();
    check_group(&print, "print", &ann);
    assert_eq!(
        (
            print["name"].as_str(),
            print["photo_count"].as_u64(),
            &print["project_id"]
        ),
        (Some("Prints"), Some(2), &Value::Null),
        "{print}"
    );
    let (_, printed) = group(&api, &ann.token, "print", &id_of(&print)).await;
    assert_eq!(sorted(printed), sorted(vec![a.clone(), c.clone()]));

    // Someone else's photo cannot go into an album; nothing of the request is added.
    let bobs = upload(&api, &bob.token, &[("bob.png".into(), png(50, 50))], None)
        .await
        .ids()[0]
        .clone();
    for ids in [json!([bobs]), json!([a, bobs])] {
        let (status, body) = api
            .call(
                Method::POST,
                &format!("/api/albums/{album_id}/photos"),
                Some(&ann.token),
                Some(json!({"photo_ids": ids})),
            )
            .await;
        assert_error(
            status,
            &body,
            StatusCode::NOT_FOUND,
            "photo_not_found",
            &format!("adding {ids} to Ann's album"),
        );
    }
    let (al, photos) = album(&api, &ann.token, &album_id).await;
    assert_eq!(
        (al["photo_count"].as_u64(), sorted(photos)),
        (Some(2), sorted(vec![b.clone(), c.clone()]))
    );
    assert_eq!(
        event_list(&api, &ann.token, &album_id).await,
        want,
        "a refused add records nothing"
    );
    // Nor can Bob touch or read Ann's album and groups.
    let (status, body) = api
        .call(
            Method::POST,
            &format!("/api/albums/{album_id}/photos"),
            Some(&bob.token),
            Some(json!({"photo_ids": [bobs]})),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "album_not_found",
        "Bob adds to Ann's album",
    );
    let (status, _) = api
        .call(
            Method::GET,
            &format!("/api/albums/{album_id}"),
            Some(&bob.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(groups(&api, &bob.token, "album").await.is_empty());
    assert_eq!(
        groups(&api, &bob.token, "upload").await.len(),
        1,
        "Bob sees his own batch only"
    );
}

// ---- 9. remote photos -------------------------------------------------------------------

/// A "partner" that counts the connections made to it.
async fn partner() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(socket);
        }
    });
    (base, count)
}

#[tokio::test]
async fn remote_photos_are_registered_redirected_and_never_fetched() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let (base, connections) = partner().await;
    let url = |w: u32| format!("{base}/p/42/{w}.jpg");
    let body = json!({
        "name": "Lake",
        "sizes": [
            {"w": 2048, "h": 1365, "url": url(2048)},
            {"w": 256, "h": 171, "url": url(256)},
            {"w": 1024, "h": 683, "url": url(1024)},
        ],
        "taken_at": "2024-07-01T08:00:00Z",
        "taken_at_offset": "+02:00",
        "gps": {"lat": 46.5, "lon": 6.6},
        "camera": "Partner Cam",
    });
    let answer = send(
        &api,
        &owner.token,
        Method::POST,
        "/api/photos/remote",
        body,
        StatusCode::CREATED,
    )
    .await;
    let photo = answer["photo"].clone();
    assert_eq!(photo["remote"], true, "{photo}");
    assert_eq!(
        (
            photo["format"].as_str(),
            photo["orientation"].as_u64(),
            photo["bytes"].as_u64()
        ),
        (Some("remote"), Some(1), Some(0)),
        "{photo}"
    );
    assert_eq!(
        (wh(&photo), photo["shape"].as_str(), photo["name"].as_str()),
        ((2048, 1365), Some("L"), Some("Lake")),
        "{photo}"
    );
    assert_eq!(
        (
            photo["taken_at"].as_str(),
            photo["taken_at_offset"].as_str(),
            photo["camera"].as_str()
        ),
        (
            Some("2024-07-01T08:00:00Z"),
            Some("+02:00"),
            Some("Partner Cam")
        )
    );
    assert_eq!(
        (photo["gps"]["lat"].as_f64(), photo["gps"]["lon"].as_f64()),
        (Some(46.5), Some(6.6))
    );
    let sizes = sizes_of(&photo);
    assert_eq!(
        sizes,
        vec![(256, 171), (1024, 683), (2048, 1365)],
        "sorted ascending"
    );
    for (i, w) in [256, 1024, 2048].into_iter().enumerate() {
        assert_eq!(photo["sizes"][i]["url"], url(w), "{photo}");
    }
    let id = id_of(&photo);
    assert_eq!(
        id_of(&get(&api, &owner.token, &format!("/api/photos/{id}")).await["photo"]),
        id
    );
    assert_eq!(list_ids(&api, &owner.token, "").await, vec![id.clone()]);

    // The file endpoint sends the client to the partner.
    for (query, target) in [
        ("?size=0", url(256)),
        ("?size=2", url(2048)),
        ("", url(2048)),
    ] {
        let (status, headers, _) = api
            .get_raw(
                &format!("/api/photos/{id}/file{query}"),
                Some(&owner.token),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::TEMPORARY_REDIRECT, "file{query}");
        assert_eq!(
            headers
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok()),
            Some(target.as_str()),
            "file{query}"
        );
    }
    let (status, _, _) = api
        .get_raw(
            &format!("/api/photos/{id}/file?size=3"),
            Some(&owner.token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the server contacted the partner"
    );

    // An unroutable partner is fine too: nothing is fetched, so nothing fails.
    let unroutable = json!({"name": "Far", "sizes": [{"w": 640, "h": 480, "url": "http://partner.invalid/far/640.jpg"}]});
    let far = send(
        &api,
        &owner.token,
        Method::POST,
        "/api/photos/remote",
        unroutable,
        StatusCode::CREATED,
    )
    .await;
    let far_id = id_of(&far["photo"]);
    let (status, headers, _) = api
        .get_raw(
            &format!("/api/photos/{far_id}/file?size=0"),
            Some(&owner.token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(
        headers[reqwest::header::LOCATION],
        "http://partner.invalid/far/640.jpg"
    );
    assert_eq!(far["photo"]["taken_at"], Value::Null);

    // Picking the size for a slot (seed 004) from the array the API returned.
    let pixel_sizes: Vec<PixelSize> = sizes.iter().map(|&(w, h)| PixelSize::new(w, h)).collect();
    assert_eq!(choose_size(&pixel_sizes, [200.0, 120.0]), Some(0));
    assert_eq!(
        choose_size(&pixel_sizes, [300.0, 100.0]),
        Some(1),
        "the width limits"
    );
    assert_eq!(
        choose_size(&pixel_sizes, [300.0, 700.0]),
        Some(2),
        "the height limits"
    );
    assert_eq!(
        choose_size(&pixel_sizes, needed_pixels([4.0, 3.0], 300.0, 1.0)),
        Some(2),
        "a 4×3 in slot at 300 dpi"
    );
    assert_eq!(
        choose_size(&pixel_sizes, [9000.0, 6000.0]),
        Some(2),
        "nothing covers: the largest"
    );

    // Invalid size arrays.
    let same = |n: usize| {
        (0..n).map(|i| json!({"w": 300 + 3 * i, "h": 200 + 2 * i, "url": format!("https://p.example/{i}")})).collect::<Vec<_>>()
    };
    let invalid = [
        (
            "mixed aspect ratios",
            json!([{"w": 1000, "h": 500, "url": "https://p.example/a"}, {"w": 1000, "h": 1000, "url": "https://p.example/b"}]),
        ),
        (
            "an ftp url",
            json!([{"w": 100, "h": 100, "url": "ftp://p.example/a.jpg"}]),
        ),
        (
            "a file url",
            json!([{"w": 100, "h": 100, "url": "file:///etc/passwd"}]),
        ),
        (
            "a javascript url",
            json!([{"w": 100, "h": 100, "url": "javascript:alert(1)"}]),
        ),
        ("no sizes", json!([])),
        ("17 sizes", json!(same(17))),
    ];
    for (what, sizes) in invalid {
        let (status, body) = api
            .call(
                Method::POST,
                "/api/photos/remote",
                Some(&owner.token),
                Some(json!({"name": "Bad", "sizes": sizes})),
            )
            .await;
        assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_sizes",
            what,
        );
    }
    let sixteen = send(
        &api,
        &owner.token,
        Method::POST,
        "/api/photos/remote",
        json!({"name": "Many", "sizes": same(16)}),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(sizes_of(&sixteen["photo"]).len(), 16);
    assert_eq!(
        list_ids(&api, &owner.token, "").await.len(),
        3,
        "the refused arrays registered nothing"
    );
}

// ---- 10. bad requests -------------------------------------------------------------------

#[tokio::test]
async fn bad_upload_requests_are_refused_and_store_nothing() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let other = api.signup("Other").await;
    let png = encode(&gradient(64, 48), ImageFormat::Png);
    let album_id = id_of(
        &send(
            &api,
            &owner.token,
            Method::POST,
            "/api/albums",
            json!({"name": "Empty"}),
            StatusCode::CREATED,
        )
        .await["album"],
    );
    let others_album = id_of(
        &send(
            &api,
            &other.token,
            Method::POST,
            "/api/albums",
            json!({"name": "Theirs"}),
            StatusCode::CREATED,
        )
        .await["album"],
    );

    // Not multipart at all.
    let (status, body) = api
        .post_raw(
            "/api/photos",
            Some(&owner.token),
            "application/json",
            br#"{"file": "x"}"#.to_vec(),
        )
        .await;
    assert!(
        status == StatusCode::UNSUPPORTED_MEDIA_TYPE || status == StatusCode::BAD_REQUEST,
        "a JSON body: {status} {body}"
    );
    assert!(
        body["error"]["code"]
            .as_str()
            .is_some_and(|c| !c.is_empty())
            && body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    let (status, body) = api
        .post_raw(
            "/api/photos",
            Some(&owner.token),
            "multipart/form-data; boundary=x",
            b"not multipart".to_vec(),
        )
        .await;
    assert!(
        status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
        "a broken multipart body: {status} {body}"
    );
    assert!(body["error"]["code"].is_string(), "{body}");
    let (status, _) = api
        .post_raw("/api/photos", None, "image/png", png.clone())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // No file parts: what a browser sends for an empty FormData (a close delimiter alone),
    // and a form holding only an album_id. (An empty body is not multipart at all: any 400.)
    let (status, body) = api
        .post_raw(
            "/api/photos",
            Some(&owner.token),
            "multipart/form-data; boundary=folio-empty",
            b"--folio-empty--\r\n".to_vec(),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "no_files",
        "an empty form",
    );
    let (status, body) = api.upload_form(&owner.token, Form::new()).await;
    assert!(
        status == StatusCode::BAD_REQUEST && body["error"]["code"].is_string(),
        "an empty body: {status} {body}"
    );
    let (status, body) = api
        .upload_form(&owner.token, Form::new().text("album_id", album_id.clone()))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "no_files",
        "only an album_id",
    );

    // album_id after a file.
    let late = Form::new()
        .part("file", Part::bytes(png.clone()).file_name("a.png"))
        .text("album_id", album_id.clone());
    let (status, body) = api.upload_form(&owner.token, late).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "album_id after a file: {body}"
    );
    assert!(
        body["error"]["code"]
            .as_str()
            .is_some_and(|c| !c.is_empty()),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("album_id")),
        "the message names album_id: {body}"
    );

    // Unknown and foreign albums.
    for (what, album) in [
        ("an unknown album", uuid::Uuid::new_v4().to_string()),
        ("someone else's album", others_album.clone()),
    ] {
        let (status, body) = api
            .upload(&owner.token, &[("a.png", &png)], Some(&album))
            .await;
        assert_error(
            status,
            &body,
            StatusCode::NOT_FOUND,
            "album_not_found",
            what,
        );
    }

    // None of it stored anything.
    assert!(
        list_ids(&api, &owner.token, "").await.is_empty(),
        "photos were stored"
    );
    assert!(
        groups(&api, &owner.token, "upload").await.is_empty(),
        "an upload group was made"
    );
    assert_eq!(
        album(&api, &owner.token, &album_id).await.0["photo_count"],
        0
    );
    assert_eq!(
        album(&api, &other.token, &others_album).await.0["photo_count"],
        0
    );
    assert_blobs_only_for(&server, &[], "bad requests");
}

#[tokio::test]
async fn file_and_request_size_limits() {
    let mid = jpeg(&noise(600, 450, 7), 95);
    let big = jpeg(&noise(800, 600, 11), 95);
    let small = encode(&gradient(64, 48), ImageFormat::Png);
    let (m, b) = (mid.len() as u64, big.len() as u64);
    let file_limit = b - 1;
    let request_limit = m * 5 / 2;
    // [small, big] fits the request limit; [mid, mid, mid] does not; mid fits the file limit.
    assert!(
        m < file_limit && b + small.len() as u64 + 4096 < request_limit && 3 * m > request_limit,
        "test pictures: mid {m}, big {b}"
    );
    let server = TestServer::start_with(|cfg| {
        cfg.photo_max_file_bytes = file_limit;
        cfg.photo_max_request_bytes = request_limit;
    })
    .await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;

    let up = upload(
        &api,
        &owner.token,
        &[
            ("small.png".into(), small.clone()),
            ("big.jpg".into(), big.clone()),
        ],
        None,
    )
    .await;
    assert_eq!(up.status, StatusCode::OK);
    assert_eq!(up.photos.len(), 1);
    assert_eq!(
        up.error_for("big.jpg"),
        Some(("file_too_large".into(), 413)),
        "{}",
        up.body
    );
    let (status, body) = api.upload(&owner.token, &[("big.jpg", &big)], None).await;
    assert_error(
        status,
        &body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "file_too_large",
        "one file over the limit",
    );

    let (status, body) = api
        .upload(
            &owner.token,
            &[("m1.jpg", &mid), ("m2.jpg", &mid), ("m3.jpg", &mid)],
            None,
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "request_too_large",
        "a request over the limit",
    );
    assert_eq!(
        list_ids(&api, &owner.token, "").await,
        up.ids(),
        "only small.png is kept"
    );
    assert_eq!(groups(&api, &owner.token, "upload").await.len(), 1);
    assert_blobs_only_for(&server, &up.ids(), "size limits");
}

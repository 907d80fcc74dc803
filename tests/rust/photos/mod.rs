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

mod bad_requests;
mod bomb;
mod camera;
mod group_events;
mod orientation;
mod refused;
mod remote;
mod sizes;
mod visibility;

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

//! The print render job end to end (SPEC §4, §11, issue #8): books written through a live
//! client from really uploaded photos, rendered by the real job, and the interior PDF, the
//! cover PDF and the PNG previews fetched over HTTP and checked with qpdf and poppler
//! (pdfinfo, pdffonts, pdfimages, pdftoppm). A missing tool skips its check with a notice,
//! except under `CI=true`, where it fails.
//!
//! Expected boxes, spine widths and PPIs are worked out from the product catalogue and
//! crdt-schema's page geometry, not copied from the renderer.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crdt_schema::geometry::{PageFrame, PageSide, PhotoView, PixelSize, POINTS_PER_INCH};
use crdt_schema::model::{self, Background, ItemKind, NewItem, NewPage, PageKind, PhotoRef, Style};
use crdt_schema::Product;
use folio_tests::http::Account;
use folio_tests::pdf::{boxes, close, have, page_count, qpdf_clean, run, table};
use folio_tests::sse::open_events;
use folio_tests::{eventually, Api, TestServer, YClient};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use yrs::Transact;

/// A hang guard for the live document and for jobs, generous for unoptimised builds; never a
/// performance bound.
const WAIT: Duration = Duration::from_secs(180);
/// The preview's long edge (the job's default).
const PREVIEW_PX: u32 = 1024;
/// The paper of one leaf, and the thinnest spine (render/cover.rs, SPEC §11).
const LEAF_IN: f64 = 0.0045;
const MIN_SPINE_IN: f64 = 0.125;
/// The PPI photos are resampled down to when they would print finer.
const MAX_PPI: f64 = 450.0;

// ---- setup -------------------------------------------------------------------------------

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn create_project(api: &Api, owner: &Account, title: &str, product: &str) -> String {
    let (status, body) = api
        .call(
            Method::POST,
            "/api/projects",
            Some(&owner.token),
            Some(json!({ "title": title, "product": product })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "create project: {body}");
    assert_eq!(body["project"]["product"], product, "{body}");
    body["project"]["id"]
        .as_str()
        .expect("project id")
        .to_owned()
}

/// Uploads a gradient JPEG of `w`×`h` for `who`; its photo id.
async fn upload(api: &Api, who: &Account, w: u32, h: u32) -> String {
    let bytes = folio_tests::pictures::gradient_jpeg(w, h);
    let (status, body) = api
        .upload(&who.token, &[(&format!("{w}x{h}.jpg"), &bytes)], None)
        .await;
    assert_eq!(status, StatusCode::OK, "upload: {body}");
    let photo = &body["photos"][0];
    assert_eq!(
        (photo["width"].as_u64(), photo["height"].as_u64()),
        (Some(w as u64), Some(h as u64)),
        "{body}"
    );
    photo["id"].as_str().expect("photo id").to_owned()
}

fn item(user: &str, kind: ItemKind, bbox: [f64; 5]) -> NewItem {
    NewItem {
        id: new_id(),
        kind,
        bbox,
        z: 1.0,
        created_by: user.to_owned(),
        photo: None,
        text: None,
        style: Style::default(),
        slot: None,
    }
}

fn photo_item(user: &str, photo: &str, bbox: [f64; 5]) -> NewItem {
    NewItem {
        photo: Some(PhotoRef {
            id: photo.to_owned(),
            pan: [0.0, 0.0],
            zoom: 1.0,
        }),
        ..item(user, ItemKind::Photo, bbox)
    }
}

fn text_item(user: &str, text: &str, font: Option<&str>, bbox: [f64; 5]) -> NewItem {
    NewItem {
        text: Some(text.to_owned()),
        style: Style {
            font: font.map(str::to_owned),
            ..Style::default()
        },
        z: 2.0,
        ..item(user, ItemKind::Text, bbox)
    }
}

/// A caption inside the safe area, clear of the gutter.
fn caption(user: &str, text: &str) -> NewItem {
    text_item(user, text, None, [0.0, 0.3, 0.6, 0.1, 0.0])
}

/// One page to write: its kind, background colour and items.
struct PageSpec {
    kind: PageKind,
    color: Option<&'static str>,
    items: Vec<NewItem>,
}

fn inside(items: Vec<NewItem>) -> PageSpec {
    PageSpec {
        kind: PageKind::Page,
        color: None,
        items,
    }
}

/// `who` writes `pages` into the book in this order in one edit through a live client, and
/// waits until a client connected before the edit holds them all: the server relays an update
/// only once it is durable, so the render job reads them. The page ids, in order.
async fn add_pages(
    server: &TestServer,
    project: &str,
    who: &Account,
    pages: Vec<PageSpec>,
) -> Vec<String> {
    let witness = YClient::connect(&server.ws_url(), project, &who.token).await;
    witness.wait_synced().await;
    let editor = YClient::connect(&server.ws_url(), project, &who.token).await;
    editor.wait_synced().await;
    let expected: Vec<(String, usize)> = pages.iter().map(|p| (new_id(), p.items.len())).collect();
    editor.edit(|txn| {
        for (i, (spec, (id, _))) in pages.into_iter().zip(&expected).enumerate() {
            let background = Background {
                color: spec.color.map(str::to_owned),
                ..Background::default()
            };
            let page = NewPage {
                id: id.clone(),
                kind: spec.kind,
                layout: None,
                background,
                created_by: who.id.clone(),
                auto: false,
            };
            let id = model::add_page(txn, i as u32, page).expect("add page");
            for it in spec.items {
                model::add_item(txn, &id, it).expect("add item");
            }
        }
    });
    let arrived = eventually(WAIT, || {
        model::read_book(&witness.doc.transact()).is_ok_and(|b| {
            expected
                .iter()
                .all(|(id, n)| b.pages.iter().any(|p| &p.id == id && p.items.len() == *n))
        })
    })
    .await;
    let seen = editor.seen.lock().unwrap();
    assert!(
        arrived,
        "the pages never became durable; the editor saw {seen:?}"
    );
    assert!(
        seen.denied.is_empty() && seen.closed.is_none(),
        "the edit was refused: {seen:?}"
    );
    expected.into_iter().map(|(id, _)| id).collect()
}

// ---- jobs and downloads --------------------------------------------------------------------

async fn post_render(api: &Api, who: &Account, project: &str, body: Value) -> String {
    let (status, queued) = api
        .call(
            Method::POST,
            &format!("/api/projects/{project}/renders"),
            Some(&who.token),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    assert_eq!(queued["job"]["kind"], "render", "{queued}");
    queued["job"]["id"].as_str().expect("job id").to_owned()
}

/// Queues a render and waits for its job to end; the finished job.
async fn render(api: &Api, who: &Account, project: &str, body: Value) -> Value {
    let id = post_render(api, who, project, body).await;
    api.finished_job(&who.token, &id, WAIT).await
}

/// Queues a render that must succeed; its result.
async fn render_ok(api: &Api, who: &Account, project: &str, body: Value) -> Value {
    let job = render(api, who, project, body).await;
    assert_eq!(job["state"], "done", "{job}");
    job["result"].clone()
}

async fn get_ok(api: &Api, who: &Account, path: &str, content_type: &str) -> Vec<u8> {
    let (status, got, bytes) = api.get_bytes(path, Some(&who.token)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{path}: {}",
        String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
    );
    assert_eq!(got, content_type, "{path}");
    bytes
}

/// The interior and cover PDFs of a finished render, written into `dir`.
async fn download_pdfs(api: &Api, who: &Account, result: &Value, dir: &Path) -> (PathBuf, PathBuf) {
    let interior = get_ok(
        api,
        who,
        result["interior_url"].as_str().expect("interior url"),
        "application/pdf",
    )
    .await;
    let cover = get_ok(
        api,
        who,
        result["cover"]["url"].as_str().expect("cover url"),
        "application/pdf",
    )
    .await;
    assert!(interior.starts_with(b"%PDF-") && cover.starts_with(b"%PDF-"));
    let (ip, cp) = (dir.join("interior.pdf"), dir.join("cover.pdf"));
    std::fs::write(&ip, interior).unwrap();
    std::fs::write(&cp, cover).unwrap();
    (ip, cp)
}

// ---- tools --------------------------------------------------------------------------------

/// Page `n` (from 1) of `pdf` drawn by poppler with its long edge at `px`.
fn poppler_page(pdf: &Path, n: usize, px: u32) -> image::RgbImage {
    let out = pdf.with_file_name(format!(
        "{}-poppler-{n}",
        pdf.file_stem().unwrap().to_string_lossy()
    ));
    let n = n.to_string();
    let status = Command::new("pdftoppm")
        .args([
            "-scale-to",
            &px.to_string(),
            "-f",
            &n,
            "-l",
            &n,
            "-png",
            "-singlefile",
        ])
        .arg(pdf)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "pdftoppm");
    image::open(out.with_extension("png")).unwrap().to_rgb8()
}

/// Mean absolute difference (0–255, over channels) and the fraction of pixels whose largest
/// channel difference exceeds 48, over the area both images cover. Their sizes may differ by
/// a pixel of rounding.
fn difference(a: &image::RgbImage, b: &image::RgbImage) -> (f64, f64) {
    let (w, h) = (a.width().min(b.width()), a.height().min(b.height()));
    let (mut total, mut far) = (0u64, 0u64);
    for y in 0..h {
        for x in 0..w {
            let (p, q) = (a.get_pixel(x, y).0, b.get_pixel(x, y).0);
            let d: Vec<u32> = p
                .iter()
                .zip(q)
                .map(|(s, t)| (*s as i32 - t as i32).unsigned_abs())
                .collect();
            total += d.iter().sum::<u32>() as u64;
            far += (*d.iter().max().unwrap() > 48) as u64;
        }
    }
    let n = (w * h) as f64;
    (total as f64 / (3.0 * n), far as f64 / n)
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG signature");
    let img = image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
        .expect("a readable PNG");
    (img.width(), img.height())
}

/// The spine of a book of `pages` interior pages, in inches: a leaf per two pages, at least
/// the minimum.
fn spine_in(pages: usize) -> f64 {
    (pages.div_ceil(2) as f64 * LEAF_IN).max(MIN_SPINE_IN)
}

/// The effective PPI of `pixels` in `bbox` (no pan or zoom) on `product`'s `side` page, as
/// the page geometry computes it.
fn effective_ppi(product: &Product, side: PageSide, pixels: (u32, u32), bbox: [f64; 5]) -> f64 {
    let frame = PageFrame::new(product, side);
    let slot = crdt_schema::geometry::Box::try_from(bbox).expect("a valid box");
    frame
        .place_photo(
            PixelSize::new(pixels.0, pixels.1),
            &slot,
            PhotoView::clamped([0.0, 0.0], 1.0),
        )
        .expect("placed")
        .effective_ppi
}

// ---- tests --------------------------------------------------------------------------------

/// a. Every product's interior pages have its trim inside its bleed, and its cover sheet is
/// back, spine and front with the bleed all round.
#[tokio::test]
async fn every_product_prints_with_its_trim_and_bleed_boxes() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let dir = tempfile::tempdir().unwrap();
    assert!(crdt_schema::PRODUCTS.len() >= 7, "the catalogue");
    for product in crdt_schema::PRODUCTS {
        let project = create_project(&api, &owner, product.name, product.id).await;
        let u = owner.id.as_str();
        let pages = vec![
            inside(vec![caption(u, "First page")]),
            inside(vec![caption(u, "Second page")]),
            inside(vec![caption(u, "Third page")]),
        ];
        add_pages(&server, &project, &owner, pages).await;
        // The project's own product, by default.
        let result = render_ok(&api, &owner, &project, json!({})).await;
        let n = result["pages"].as_u64().expect("pages") as usize;
        assert_eq!(n, 3, "{result}");
        let spine = spine_in(n);
        assert!(
            (result["cover"]["spine_in"].as_f64().expect("spine") - spine).abs() < 1e-9,
            "{}: {result}",
            product.id
        );

        let sub = dir.path().join(product.id);
        std::fs::create_dir_all(&sub).unwrap();
        let (interior, cover) = download_pdfs(&api, &owner, &result, &sub).await;
        qpdf_clean(&interior);
        qpdf_clean(&cover);
        if !have("pdfinfo") {
            continue;
        }
        let k = POINTS_PER_INCH;
        let [tw, th] = product.trim_in;
        let b = product.bleed_in;
        let info = run(
            "pdfinfo",
            &["-box", "-f", "1", "-l", &n.to_string()],
            &interior,
        );
        assert_eq!(page_count(&info), Some(n), "{}: {info}", product.id);
        for page in 1..=n {
            let got = boxes(&info, page);
            let canvas = [0.0, 0.0, (tw + 2.0 * b) * k, (th + 2.0 * b) * k];
            let trim = [b * k, b * k, (b + tw) * k, (b + th) * k];
            assert!(
                close(&got["MediaBox"], &canvas),
                "{} page {page}: {got:?}",
                product.id
            );
            assert!(
                close(&got["BleedBox"], &canvas),
                "{} page {page}: {got:?}",
                product.id
            );
            assert!(
                close(&got["TrimBox"], &trim),
                "{} page {page}: {got:?}",
                product.id
            );
        }

        let info = run("pdfinfo", &["-box", "-f", "1", "-l", "1"], &cover);
        assert_eq!(page_count(&info), Some(1), "{}: {info}", product.id);
        let got = boxes(&info, 1);
        let sheet = [
            0.0,
            0.0,
            (2.0 * tw + spine + 2.0 * b) * k,
            (th + 2.0 * b) * k,
        ];
        let trim = [b * k, b * k, (b + 2.0 * tw + spine) * k, (b + th) * k];
        assert!(
            close(&got["MediaBox"], &sheet),
            "{} cover: {got:?}, expected sheet {sheet:?}",
            product.id
        );
        assert!(
            close(&got["BleedBox"], &sheet),
            "{} cover: {got:?}, expected sheet {sheet:?}",
            product.id
        );
        assert!(
            close(&got["TrimBox"], &trim),
            "{} cover: {got:?}, expected trim {trim:?}",
            product.id
        );
    }
}

/// b. Captions in two theme fonts: both families are in the PDF, and every font is embedded.
#[tokio::test]
async fn every_font_of_the_book_is_embedded() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = create_project(&api, &owner, "Fonts", "square-8x8").await;
    let u = owner.id.as_str();
    let bbox = [0.0, 0.0, 0.6, 0.15, 0.0];
    add_pages(
        &server,
        &project,
        &owner,
        vec![
            inside(vec![text_item(u, "A serif caption", Some("Lora"), bbox)]),
            inside(vec![text_item(
                u,
                "A script caption",
                Some("Pacifico"),
                bbox,
            )]),
            inside(vec![caption(u, "The theme's own body font")]),
        ],
    )
    .await;
    let result = render_ok(&api, &owner, &project, json!({})).await;
    assert_eq!(
        result["findings"].as_array().map(Vec::len),
        Some(0),
        "a clean book: {result}"
    );
    let dir = tempfile::tempdir().unwrap();
    let (interior, _) = download_pdfs(&api, &owner, &result, dir.path()).await;
    if !have("pdffonts") {
        return;
    }
    let fonts = run("pdffonts", &[], &interior);
    let rows = table(&fonts);
    assert!(rows.len() >= 2, "{fonts}");
    for row in &rows {
        // name type… emb sub uni object ID: emb is the fifth column from the end.
        assert_eq!(row[row.len() - 5], "yes", "every font is embedded: {fonts}");
    }
    for family in ["Lora", "Pacifico"] {
        assert!(
            rows.iter().any(|r| r[0].contains(family)),
            "{family} is used: {fonts}"
        );
    }
}

/// c. Photos print at the PPI the page geometry gives them: a photo within the cap passes
/// through as its own JPEG; a finer one is resampled down to the cap.
#[tokio::test]
async fn placed_photos_are_embedded_at_their_effective_ppi_capped() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let product = crdt_schema::product("square-8x8").unwrap();
    let project = create_project(&api, &owner, "Photos", product.id).await;
    let (small, large) = ((2400, 2400), (4000, 4000));
    let small_id = upload(&api, &owner, small.0, small.1).await;
    let large_id = upload(&api, &owner, large.0, large.1).await;
    let u = owner.id.as_str();
    let (small_box, large_box) = ([0.0, 0.0, 0.8, 0.8, 0.0], [0.0, 0.0, 0.5, 0.5, 0.0]);
    // Page 1 is a right-hand page, page 2 a left-hand one.
    add_pages(
        &server,
        &project,
        &owner,
        vec![
            inside(vec![photo_item(u, &small_id, small_box)]),
            inside(vec![photo_item(u, &large_id, large_box)]),
        ],
    )
    .await;

    let small_ppi = effective_ppi(product, PageSide::Right, small, small_box);
    let large_ppi = effective_ppi(product, PageSide::Left, large, large_box);
    // On the 8×8 the square page is 8 in wide: 2400 px over 6.4 in, 4000 px over 4 in.
    assert!(
        (small_ppi - 375.0).abs() < 0.01 && (large_ppi - 1000.0).abs() < 0.01,
        "{small_ppi} {large_ppi}"
    );
    assert!(small_ppi <= MAX_PPI && large_ppi > MAX_PPI);
    // Resampled to the cap: the photo's pixels scaled by cap / effective.
    let capped = (large.0 as f64 * MAX_PPI / large_ppi).round() as u64;

    let result = render_ok(&api, &owner, &project, json!({})).await;
    let dir = tempfile::tempdir().unwrap();
    let (interior, _) = download_pdfs(&api, &owner, &result, dir.path()).await;
    if !have("pdfimages") {
        return;
    }
    let list = run("pdfimages", &["-list"], &interior);
    // page num type width height color comp bpc enc interp object ID x-ppi y-ppi size ratio
    let rows = table(&list);
    let on = |page: &str| {
        rows.iter()
            .filter(|r| r[0] == page && r[2] == "image")
            .collect::<Vec<_>>()
    };
    let ppi = |r: &Vec<String>| (r[12].parse::<f64>().unwrap(), r[13].parse::<f64>().unwrap());
    let (p1, p2) = (on("1"), on("2"));
    assert_eq!(p1.len(), 1, "one image on page 1: {list}");
    assert_eq!(
        (p1[0][3].as_str(), p1[0][4].as_str(), p1[0][8].as_str()),
        ("2400", "2400", "jpeg"),
        "passed through: {list}"
    );
    let (x, y) = ppi(p1[0]);
    assert!(
        (x - small_ppi).abs() <= 1.0 && (y - small_ppi).abs() <= 1.0,
        "{small_ppi} PPI expected: {list}"
    );

    assert!(!p2.is_empty(), "the large photo is on page 2: {list}");
    // A raster may be embedded in bands; together they are the capped width and height.
    let height: u64 = p2.iter().map(|r| r[4].parse::<u64>().unwrap()).sum();
    assert!(
        p2.iter().all(|r| r[3].parse::<u64>().unwrap() == capped),
        "{capped} px wide: {list}"
    );
    assert_eq!(height, capped, "{capped} px high: {list}");
    for r in &p2 {
        let (x, y) = ppi(r);
        assert!(
            (x - MAX_PPI).abs() <= 1.0 && (y - MAX_PPI).abs() <= 1.0,
            "capped at {MAX_PPI}: {list}"
        );
    }
}

/// d. The PNG previews are the pages: poppler's drawing of each interior page and of the
/// cover at the preview's size differs from the preview by little more than anti-aliasing.
#[tokio::test]
async fn previews_match_what_poppler_draws_of_the_pdfs() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = create_project(&api, &owner, "Previews", "landscape-11x8.5").await;
    let photo = upload(&api, &owner, 1200, 900).await;
    let u = owner.id.as_str();
    add_pages(
        &server,
        &project,
        &owner,
        vec![
            PageSpec {
                kind: PageKind::FrontCover,
                color: Some("#f0e0c0"),
                items: vec![
                    photo_item(u, &photo, [0.0, 0.0, 0.6, 0.6, 0.0]),
                    caption(u, "Our year"),
                ],
            },
            PageSpec {
                kind: PageKind::Spine,
                color: Some("#204060"),
                items: vec![],
            },
            PageSpec {
                kind: PageKind::BackCover,
                color: Some("#c0d0e0"),
                items: vec![],
            },
            PageSpec {
                kind: PageKind::Page,
                color: Some("#ffeedd"),
                items: vec![
                    photo_item(u, &photo, [0.0, 0.0, 1.0, 1.0, 0.0]),
                    caption(u, "A caption over a photo"),
                ],
            },
            inside(vec![
                photo_item(u, &photo, [0.1, -0.1, 0.5, 0.5, 0.0]),
                caption(u, "Another page"),
            ]),
        ],
    )
    .await;
    let result = render_ok(&api, &owner, &project, json!({ "force": true })).await;
    let pages = result["pages"].as_u64().unwrap() as usize;
    assert_eq!(pages, 2, "{result}");
    let dir = tempfile::tempdir().unwrap();
    let (interior, cover) = download_pdfs(&api, &owner, &result, dir.path()).await;
    if !have("pdftoppm") {
        return;
    }
    let previews = result["previews"].as_array().expect("previews");
    assert_eq!(previews.len(), pages, "{result}");
    let mut compare = vec![];
    for p in previews {
        let n = p["index"].as_u64().unwrap() as usize;
        compare.push((
            format!("page {n}"),
            p["url"].as_str().unwrap().to_owned(),
            interior.clone(),
            n + 1,
        ));
    }
    compare.push((
        "the cover".into(),
        result["cover"]["preview_url"]
            .as_str()
            .expect("cover preview")
            .to_owned(),
        cover.clone(),
        1,
    ));
    for (what, url, pdf, n) in compare {
        let png = get_ok(&api, &owner, &url, "image/png").await;
        let (w, h) = png_size(&png);
        assert_eq!(w.max(h), PREVIEW_PX, "{what}: {w}×{h}");
        let preview = image::load_from_memory(&png).unwrap().to_rgb8();
        let poppler = poppler_page(&pdf, n, PREVIEW_PX);
        let (pw, ph) = poppler.dimensions();
        assert!(
            pw.abs_diff(w) <= 1 && ph.abs_diff(h) <= 1,
            "{what}: preview {w}×{h}, poppler {pw}×{ph}"
        );
        let (mean, far) = difference(&preview, &poppler);
        assert!(mean < 4.0, "{what}: mean difference {mean:.2}/255");
        assert!(
            far < 0.01,
            "{what}: {:.2}% of pixels differ by more than 48",
            far * 100.0
        );
    }
}

/// e. Preflight names a low-resolution photo (an error) and a caption pushed into the gutter
/// (a warning); the render is refused until forced, and then succeeds.
#[tokio::test]
async fn preflight_findings_refuse_a_render_until_it_is_forced() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let product = crdt_schema::product("square-8x8").unwrap();
    let project = create_project(&api, &owner, "Findings", product.id).await;
    let (w, h) = (400, 400);
    let small = upload(&api, &owner, w, h).await;
    let u = owner.id.as_str();
    let photo = photo_item(u, &small, [0.0, 0.0, 1.0, 1.0, 0.0]);
    // Across the binding edge of this right-hand page: x from -0.6 to -0.4 of the page.
    let note = text_item(
        u,
        "Pushed into the gutter",
        None,
        [-0.5, 0.3, 0.2, 0.1, 0.0],
    );
    let (photo_id, note_id) = (photo.id.clone(), note.id.clone());
    let page = add_pages(
        &server,
        &project,
        &owner,
        vec![
            inside(vec![photo, note]),
            inside(vec![caption(u, "A clean page")]),
        ],
    )
    .await;
    let ppi = effective_ppi(product, PageSide::Right, (w, h), [0.0, 0.0, 1.0, 1.0, 0.0]);
    assert!(ppi < 150.0, "{ppi}");

    let (status, report) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project}/preflight?product={}", product.id),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let has = |list: &Value, item: &str, rule: &str| {
        list.as_array().is_some_and(|l| {
            l.iter().any(|f| {
                f["item_id"] == item && f["rule"] == rule && f["page_id"] == page[0].as_str()
            })
        })
    };
    assert!(
        has(&report["errors"], &photo_id, "very_low_resolution"),
        "{report}"
    );
    assert!(
        has(&report["warnings"], &note_id, "crosses_gutter"),
        "{report}"
    );
    let low = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "very_low_resolution")
        .unwrap();
    assert!(
        low["ppi"].as_f64().is_some_and(|p| (p - ppi).abs() < 0.1),
        "{low} vs {ppi}"
    );
    assert!(
        !report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["item_id"] == note_id.as_str()),
        "the caption is only warned: {report}"
    );

    let refused = render(&api, &owner, &project, json!({ "product": product.id })).await;
    assert_eq!(refused["state"], "failed", "{refused}");
    assert!(refused["result"].is_null(), "{refused}");
    let error = refused["error"].as_str().expect("an error");
    assert!(
        error.contains("very_low_resolution")
            && error.contains(&photo_id)
            && error.contains("force"),
        "{error}"
    );

    let forced = render(
        &api,
        &owner,
        &project,
        json!({ "product": product.id, "force": true }),
    )
    .await;
    assert_eq!(forced["state"], "done", "{forced}");
    let findings = &forced["result"]["findings"];
    assert!(
        has(findings, &photo_id, "very_low_resolution")
            && has(findings, &note_id, "crosses_gutter"),
        "{forced}"
    );
    assert_eq!(forced["result"]["pages"].as_u64(), Some(2), "{forced}");
    let dir = tempfile::tempdir().unwrap();
    let (interior, cover) = download_pdfs(&api, &owner, &forced["result"], dir.path()).await;
    qpdf_clean(&interior);
    qpdf_clean(&cover);
}

/// f. A saved version renders to the same bytes every time, interior and cover.
#[tokio::test]
async fn a_version_renders_to_the_same_bytes_twice() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = create_project(&api, &owner, "Twice", "square-8x8").await;
    let photo = upload(&api, &owner, 1600, 1200).await;
    let u = owner.id.as_str();
    add_pages(
        &server,
        &project,
        &owner,
        vec![
            PageSpec {
                kind: PageKind::FrontCover,
                color: Some("#336699"),
                items: vec![text_item(
                    u,
                    "Twice",
                    Some("Lora"),
                    [0.0, 0.0, 0.6, 0.2, 0.0],
                )],
            },
            inside(vec![
                photo_item(u, &photo, [0.0, 0.0, 0.8, 0.6, 0.0]),
                caption(u, "Same every time"),
            ]),
            inside(vec![caption(u, "Page two")]),
        ],
    )
    .await;
    let (status, body) = api
        .call(
            Method::POST,
            &format!("/api/projects/{project}/versions"),
            Some(&owner.token),
            None,
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let version = body["version"]["id"]
        .as_str()
        .or(body["id"].as_str())
        .expect("version id")
        .to_owned();

    let first = render_ok(&api, &owner, &project, json!({ "version_id": version })).await;
    let second = render_ok(&api, &owner, &project, json!({ "version_id": version })).await;
    assert_ne!(first["render_id"], second["render_id"], "two renders");
    for part in ["interior", "cover"] {
        let url = |r: &Value| {
            format!(
                "/api/renders/{}/pdf?part={part}",
                r["render_id"].as_str().unwrap()
            )
        };
        let a = get_ok(&api, &owner, &url(&first), "application/pdf").await;
        let b = get_ok(&api, &owner, &url(&second), "application/pdf").await;
        assert!(a.len() > 1000, "{part}: {} bytes", a.len());
        assert!(
            a == b,
            "the {part} PDFs differ: {} and {} bytes, first difference at byte {:?}",
            a.len(),
            b.len(),
            a.iter().zip(&b).position(|(x, y)| x != y)
        );
    }
    for (a, b) in first["previews"]
        .as_array()
        .unwrap()
        .iter()
        .zip(second["previews"].as_array().unwrap())
    {
        let pa = get_ok(&api, &owner, a["url"].as_str().unwrap(), "image/png").await;
        let pb = get_ok(&api, &owner, b["url"].as_str().unwrap(), "image/png").await;
        assert!(pa == pb, "preview {} differs", a["index"]);
    }
}

/// g. A render's progress reaches the project's event stream: it rises page by page and
/// ends done.
#[tokio::test]
async fn render_progress_goes_out_on_the_event_stream() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let viewer = api.signup("Vera").await;
    let project = create_project(&api, &owner, "Progress", "square-8x8").await;
    let (status, body) = api.set_role(&owner, &project, &viewer, "viewer").await;
    assert!(status.is_success(), "{status} {body}");
    let u = owner.id.as_str();
    let pages = 10;
    add_pages(
        &server,
        &project,
        &owner,
        (0..pages)
            .map(|i| inside(vec![caption(u, &format!("Page {}", i + 1))]))
            .collect(),
    )
    .await;

    let mut events = open_events(&server.url, &project, &viewer.token)
        .await
        .unwrap_or_else(|(s, b)| panic!("events refused: {s} {b}"));
    let job = post_render(&api, &owner, &project, json!({})).await;
    let seen = events.job_until_done(&job, "render", &project, WAIT).await;
    let progress: Vec<f64> = seen
        .iter()
        .map(|j| j["progress"].as_f64().unwrap())
        .collect();
    assert!(
        progress.iter().any(|p| *p > 0.0 && *p < 1.0),
        "progress between 0 and 1: {progress:?}"
    );
    let last = seen.last().unwrap();
    assert_eq!(
        (last["state"].as_str(), last["progress"].as_f64()),
        (Some("done"), Some(1.0)),
        "{last}"
    );
    assert_eq!(
        last["result"]["pages"].as_u64(),
        Some(pages as u64),
        "{last}"
    );
    // Page by page: more distinct steps strictly inside (0.1, 0.85] than a couple of parts.
    let steps = progress.iter().filter(|p| **p > 0.1 && **p < 0.9).count();
    assert!(
        steps >= 2,
        "progress rises as pages are drawn: {progress:?}"
    );
}

/// h. The preview endpoint: PNGs for members, nothing for a stranger, bad and missing pages
/// told apart.
#[tokio::test]
async fn previews_are_served_to_members_only() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let viewer = api.signup("Vera").await;
    let stranger = api.signup("Stranger").await;
    let project = create_project(&api, &owner, "Shown", "portrait-8.5x11").await;
    let (status, body) = api.set_role(&owner, &project, &viewer, "viewer").await;
    assert!(status.is_success(), "{status} {body}");
    let u = owner.id.as_str();
    let page_ids = add_pages(
        &server,
        &project,
        &owner,
        vec![
            inside(vec![caption(u, "One")]),
            inside(vec![caption(u, "Two")]),
        ],
    )
    .await;
    let result = render_ok(&api, &owner, &project, json!({})).await;
    let render_id = result["render_id"].as_str().unwrap();
    let pages = result["pages"].as_u64().unwrap();
    assert_eq!(pages, 2, "{result}");
    let previews = result["previews"].as_array().expect("previews");
    let listed: Vec<(u64, &str)> = previews
        .iter()
        .map(|p| (p["index"].as_u64().unwrap(), p["page_id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        listed,
        vec![(0, page_ids[0].as_str()), (1, page_ids[1].as_str())],
        "{result}"
    );

    let product = crdt_schema::product("portrait-8.5x11").unwrap();
    let [cw, ch] = product.canvas_in();
    for who in [&owner, &viewer] {
        for n in 0..pages {
            let url = format!("/api/renders/{render_id}/preview?page={n}");
            assert_eq!(previews[n as usize]["url"], url.as_str());
            let (w, h) = png_size(&get_ok(&api, who, &url, "image/png").await);
            // Portrait: the canvas's height is the long edge.
            assert_eq!(h, PREVIEW_PX, "{w}×{h}");
            assert!(
                (w as f64 - PREVIEW_PX as f64 * cw / ch).abs() <= 1.0,
                "the canvas's shape: {w}×{h}"
            );
        }
        let cover_url = format!("/api/renders/{render_id}/preview?page=cover");
        assert_eq!(result["cover"]["preview_url"], cover_url.as_str());
        let (w, h) = png_size(&get_ok(&api, who, &cover_url, "image/png").await);
        let sheet_w = 2.0 * product.trim_in[0] + spine_in(pages as usize) + 2.0 * product.bleed_in;
        assert_eq!(w, PREVIEW_PX, "the sheet is wider than high: {w}×{h}");
        assert!(
            (h as f64 - PREVIEW_PX as f64 * ch / sheet_w).abs() <= 1.0,
            "the sheet's shape: {w}×{h}"
        );
    }

    let call = |who: &Account, query: &str| {
        let path = format!("/api/renders/{render_id}/preview{query}");
        let token = who.token.clone();
        let api = &api;
        async move { api.call(Method::GET, &path, Some(&token), None).await }
    };
    for query in ["?page=0", "?page=cover"] {
        let (status, body) = call(&stranger, query).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("render_not_found")),
            "{query}: {body}"
        );
    }
    for query in ["?page=x", "?page=-1", "?page=1.5", ""] {
        let (status, body) = call(&owner, query).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_page")),
            "{query}: {body}"
        );
    }
    for query in ["?page=2", "?page=999"] {
        let (status, body) = call(&viewer, query).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("no_such_page")),
            "{query}: {body}"
        );
    }
    // No token at all is not a member either.
    let (status, _, _) = api
        .get_bytes(&format!("/api/renders/{render_id}/preview?page=0"), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = api
        .call(
            Method::GET,
            &format!("/api/renders/{}/preview?page=0", new_id()),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("render_not_found")),
        "{body}"
    );
}

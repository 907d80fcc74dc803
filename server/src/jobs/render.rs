//! The `render` job (SPEC §4, §11): the IO around the pure [`crate::print::render`] engine.
//!
//! A run reads the book of one version (or the book as it durably is now), runs preflight on
//! it, and refuses to render a book with errors unless the render is forced. Otherwise it
//! renders the interior and the cover, fetching each photo's original from blob storage as
//! the page that shows it is drawn, stores the results, and records the render. The render's
//! id is the job's, so a retried job writes the same blobs and the same row.
//!
//! The render makes, as blobs under `renders/<render_id>/`: `interior` (the interior PDF),
//! `cover` (the cover PDF), `preview-<n>` (page n of the interior as PNG, from 0) and
//! `cover-preview`. The PDFs are written to temporary files as they are rendered and streamed
//! into blob storage, so memory stays bounded whatever the page count. Progress is reported
//! as each part of pages is written.
//!
//! A remote photo (one that lives at a partner) is not fetched: preflight reports it as a
//! `remote_photo` error, and a forced render leaves its slot empty, like a missing photo's.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use chrono::Utc;
use crdt_schema::model::{Book, PageKind};
use serde::{Deserialize, Serialize};
use serde_json::json;
use yrs::updates::decoder::Decode;
use yrs::{Doc, Transact, Update};

use crate::blob::BlobKey;
use crate::ids::{RenderId, VersionId};
use crate::jobs::versions;
use crate::jobs::{Progress, WorkerDeps};
use crate::photos::exif_tags::Orientation;
use crate::photos::Visibility;
use crate::print::preflight::{self, Finding, Input, PhotoPixels, PRINT_FONTS};
use crate::print::render::{
    render_cover_to, render_interior_to, CoverLayout, PhotoSource, PrintedPage, RenderError,
    RenderSettings, Source,
};
use crate::store::{Job, JobOutcome, PhotoRecord, Render, StoreError};

/// The job kind.
pub const RENDER: &str = "render";

/// Findings named in the error of a render refused by preflight.
const FINDINGS_IN_ERROR: usize = 3;

/// What a render job takes; the product and the version are checked when it is queued.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RenderJob {
    pub product: String,
    #[serde(default)]
    pub version_id: Option<VersionId>,
    /// Render even when preflight finds errors.
    #[serde(default)]
    pub force: bool,
}

/// Where a render's PDF lives: `renders/<id>/<part>`.
pub fn blob_key(id: RenderId, part: &'static str) -> BlobKey {
    BlobKey::new("renders", id.0, part)
}

pub async fn run(deps: &WorkerDeps, job: &Job, progress: &Progress) -> Result<JobOutcome, String> {
    let spec: RenderJob = match serde_json::from_value(job.payload.clone()) {
        Ok(spec) => spec,
        Err(e) => {
            return Ok(JobOutcome::Failed {
                error: format!("bad render job payload: {e}"),
            })
        }
    };
    let Some(project_id) = job.project_id else {
        return Ok(JobOutcome::Failed {
            error: "a render job needs a project".into(),
        });
    };
    let project = match deps.store.project(project_id).await {
        Ok(p) => p,
        Err(StoreError::NotFound) => {
            return Ok(JobOutcome::Failed {
                error: "the project no longer exists".into(),
            })
        }
        Err(e) => return Err(e.to_string()),
    };
    let Some(product) = crdt_schema::product(&spec.product) else {
        return Ok(JobOutcome::Failed {
            error: format!("unknown product {:?}", spec.product),
        });
    };
    let group = crdt_schema::product(&project.product).map_or(product.group, |p| p.group);

    let state = match spec.version_id {
        Some(id) => {
            let version = match deps.store.version(project_id, id).await {
                Ok(v) => v,
                Err(StoreError::NotFound) => {
                    return Ok(JobOutcome::Failed {
                        error: format!("version {id} of this project no longer exists"),
                    })
                }
                Err(e) => return Err(e.to_string()),
            };
            versions::fetch(&*deps.blobs, &version)
                .await
                .map_err(|e| e.to_string())?
                .to_vec()
        }
        None => {
            versions::durable_state(&*deps.store, project_id)
                .await
                .map_err(|e| e.to_string())?
                .0
        }
    };
    let book = match read_book(&state) {
        Ok(book) => book,
        Err(e) => {
            return Ok(JobOutcome::Failed {
                error: format!("the book cannot be read for printing: {e}"),
            })
        }
    };

    let records = Visibility::new(deps.store.clone())
        .usable_in(project_id, &book)
        .await
        .map_err(|e| e.to_string())?;
    let pixels: HashMap<String, PhotoPixels> = records
        .iter()
        .filter_map(|(id, r)| PhotoPixels::from_meta(&r.meta).map(|p| (id.clone(), p)))
        .collect();
    let report = preflight::preflight(&Input {
        book: &book,
        product,
        group,
        photos: &pixels,
        fonts: PRINT_FONTS,
    });
    if !report.can_print() && !spec.force {
        return Ok(JobOutcome::Failed {
            error: refusal(&report.errors),
        });
    }
    progress.set(0.1).await;

    // Originals are fetched one at a time as the pages that show them are drawn, so only the
    // current part's photos are in memory; the PDFs go to temporary files, not memory.
    let sources: HashMap<String, (BlobKey, Orientation)> = records
        .iter()
        .filter(|(id, _)| pixels.contains_key(*id))
        .filter_map(|(id, r)| original_key(r).map(|k| (id.clone(), (k, orientation(r)))))
        .collect();
    let id = RenderId(job.id.0);
    let pages = printed_pages(&book);
    if pages == 0 {
        return Ok(JobOutcome::Failed {
            error: RenderError::NoPages.to_string(),
        });
    }
    let settings = RenderSettings::DEFAULT;
    let blobs = deps.blobs.clone();
    let handle = tokio::runtime::Handle::current();
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<usize>();
    let book = Arc::new(book);
    let book_for_render = book.clone();
    let rendering = tokio::task::spawn_blocking(move || -> Result<Rendered, String> {
        let fetch = |id: &str| -> Option<PhotoSource> {
            let (key, orientation) = sources.get(id)?;
            let bytes = match handle.block_on(blobs.get(key)) {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(photo = id, error = %e, "a photo's original could not be read; it is left out of the render");
                    return None;
                }
            };
            let probe = crate::photos::probe::probe(&bytes).ok()?;
            Some(PhotoSource {
                bytes: Arc::new(bytes.to_vec()),
                probe,
                orientation: *orientation,
            })
        };
        let source = Source {
            book: &book_for_render,
            product,
            group,
            photos: &fetch,
        };
        let spool = |what: &str| {
            tempfile::NamedTempFile::new()
                .map_err(|e| format!("no temporary file for the {what}: {e}"))
        };
        let interior = spool("interior PDF")?;
        let mut previews = Vec::new();
        let mut on_page = |page: PrintedPage| -> Result<(), RenderError> {
            if let Some(png) = page.preview {
                handle
                    .block_on(blobs.put(
                        &BlobKey::numbered("renders", id.0, "preview", page.index),
                        Bytes::from(png),
                    ))
                    .map_err(|e| RenderError::Sink(format!("storing a preview: {e}")))?;
                previews.push(json!({ "index": page.index, "page_id": page.page_id, "url": preview_url(id, &page.index.to_string()) }));
            }
            let _ = done_tx.send(page.index + 1);
            Ok(())
        };
        let out = std::io::BufWriter::new(interior.reopen().map_err(|e| e.to_string())?);
        let out =
            render_interior_to(&source, &settings, out, &mut on_page).map_err(render_failed)?;
        out.into_inner()
            .map_err(|e| e.to_string())?
            .sync_all()
            .map_err(|e| e.to_string())?;
        let cover_file = spool("cover PDF")?;
        let out = std::io::BufWriter::new(cover_file.reopen().map_err(|e| e.to_string())?);
        let (out, cover) =
            render_cover_to(&source, &settings, pages, out).map_err(render_failed)?;
        out.into_inner()
            .map_err(|e| e.to_string())?
            .sync_all()
            .map_err(|e| e.to_string())?;
        if let Some(png) = cover.preview {
            handle
                .block_on(blobs.put(&blob_key(id, "cover-preview"), Bytes::from(png)))
                .map_err(|e| format!("storing the cover preview: {e}"))?;
        }
        Ok(Rendered {
            interior,
            cover_file,
            cover: cover.layout,
            previews,
        })
    });
    while let Some(done) = done_rx.recv().await {
        progress.set(0.1 + 0.75 * done as f64 / pages as f64).await;
    }
    let rendered = match rendering
        .await
        .map_err(|e| format!("the render task failed: {e}"))?
    {
        Ok(r) => r,
        Err(e) => return Ok(JobOutcome::Failed { error: e }),
    };
    progress.set(0.9).await;

    deps.blobs
        .put_file(&blob_key(id, "interior"), rendered.interior.path())
        .await
        .map_err(|e| e.to_string())?;
    deps.blobs
        .put_file(&blob_key(id, "cover"), rendered.cover_file.path())
        .await
        .map_err(|e| e.to_string())?;
    let render = Render {
        id,
        project_id,
        version_id: spec.version_id,
        product: product.id.to_owned(),
        pages: pages as i64,
        created_by: job.created_by,
        created_at: Utc::now(),
    };
    deps.store
        .insert_render(&render)
        .await
        .map_err(|e| e.to_string())?;
    metrics::counter!("folio_renders_total").increment(1);
    let findings: Vec<&Finding> = report.all().collect();
    Ok(JobOutcome::Done {
        result: json!({
            "render_id": id,
            "pages": pages,
            "findings": findings,
            "interior_url": format!("/api/renders/{id}/pdf?part=interior"),
            "cover": {
                "url": format!("/api/renders/{id}/pdf?part=cover"),
                "preview_url": preview_url(id, "cover"),
                "spine_in": rendered.cover.spine_in,
                "layout": rendered.cover,
            },
            "previews": rendered.previews,
        }),
        version: None,
    })
}

/// What the blocking part of a render leaves for the async part to store.
struct Rendered {
    interior: tempfile::NamedTempFile,
    cover_file: tempfile::NamedTempFile,
    cover: CoverLayout,
    previews: Vec<serde_json::Value>,
}

fn render_failed(e: RenderError) -> String {
    format!("the book could not be rendered: {e}")
}

/// Where a page's preview (`page` = its index) or the cover's (`cover`) is served.
pub fn preview_url(id: RenderId, page: &str) -> String {
    format!("/api/renders/{id}/preview?page={page}")
}

/// The error of a render preflight refused: how many errors, and the first few of them.
fn refusal(errors: &[Finding]) -> String {
    let listed: Vec<String> = errors
        .iter()
        .take(FINDINGS_IN_ERROR)
        .map(|f| {
            let rule = serde_json::to_value(f.rule)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let item = f
                .item_id
                .as_deref()
                .map(|i| format!(", item {i}"))
                .unwrap_or_default();
            format!("page {}{item}: {rule}: {}", f.page_index + 1, f.message)
        })
        .collect();
    let more = errors.len().saturating_sub(FINDINGS_IN_ERROR);
    let more = if more > 0 {
        format!("; and {more} more")
    } else {
        String::new()
    };
    format!(
        "preflight found {} error(s), so the book was not rendered; fix them, or render with force: true. {}{more}",
        errors.len(),
        listed.join("; ")
    )
}

fn read_book(state: &[u8]) -> Result<Book, String> {
    let doc = Doc::new();
    {
        let update = Update::decode_v1(state).map_err(|e| e.to_string())?;
        doc.transact_mut()
            .apply_update(update)
            .map_err(|e| e.to_string())?;
    }
    let book = crdt_schema::model::read_book(&doc.transact());
    book.map_err(|e| e.to_string())
}

/// The number of PDF pages: the book's pages of kind `page` that have a side.
fn printed_pages(book: &Book) -> usize {
    book.pages
        .iter()
        .zip(preflight::page_sides(book))
        .filter(|(p, side)| p.kind == PageKind::Page && side.is_some())
        .count()
}

/// The blob of an uploaded photo's original; `None` for a remote photo.
fn original_key(record: &PhotoRecord) -> Option<BlobKey> {
    if record.remote {
        return None;
    }
    let last = record.meta["sizes"].as_array()?.last()?;
    (last["part"].as_str() == Some("original"))
        .then(|| BlobKey::new("photos", record.id.0, "original"))
}

fn orientation(record: &PhotoRecord) -> Orientation {
    record.meta["orientation"]
        .as_u64()
        .map_or(Orientation::UPRIGHT, |v| Orientation::from_exif(v as u32))
}

/// The `render` job kind.
pub struct RenderKind;

#[async_trait::async_trait]
impl crate::jobs::JobKind for RenderKind {
    fn name(&self) -> &'static str {
        RENDER
    }

    async fn run(
        &self,
        deps: &WorkerDeps,
        job: &Job,
        progress: &Progress,
    ) -> Result<JobOutcome, String> {
        run(deps, job, progress).await
    }
}

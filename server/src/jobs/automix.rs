//! The automix job (SPEC §10): the IO around the pure `automix` engine.
//!
//! A run reads the photos' metadata, takes an `automix` version of the book first (so the
//! whole run can be undone by restoring it), plans, and writes the plan into the live book
//! as the system user, one page per edit, so open editors see pages appear while progress
//! goes out on the project's SSE stream. Pages a person changed (`auto: false`) are never
//! touched: only the `auto` pages of an earlier run are replaced, and new pages go after
//! the kept ones, and photos already on kept pages are not placed again. A remix (`page_id`)
//! gives one page a different layout for its photos and leaves its `auto` flag as it was.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::json;
use yrs::TransactionMut;

use crate::automix::{self, BookInput, Design, Options, Photo};
use crate::ids::{PhotoId, ProjectId, UserId};
use crate::jobs::versions;
use crate::jobs::{edit_doc, Progress, WorkerDeps};
use crate::layouts::Library;
use crate::store::{Job, JobOutcome, VersionReason};
use crdt_schema::model::{self, Background, ItemKind, NewItem, NewPage, PageKind, PhotoRef, Style};

/// The job kind.
pub const AUTOMIX: &str = "automix";

/// What an automix job takes; the photo list is resolved (and access-checked) when the
/// job is queued.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AutomixJob {
    pub photo_ids: Vec<PhotoId>,
    /// The album's name, for the cover title and the theme.
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub cover: Option<PhotoId>,
    /// Remix this one page instead of designing the book.
    #[serde(default)]
    pub page_id: Option<String>,
    #[serde(default)]
    pub seed: u64,
}

fn system() -> String {
    UserId::SYSTEM.to_string()
}

/// Items for one design: a photo item per placement, at the slot's box, cover-fitted.
fn photo_items(design: &Design) -> Vec<NewItem> {
    design
        .placements
        .iter()
        .enumerate()
        .map(|(z, p)| NewItem {
            id: uuid::Uuid::new_v4().to_string(),
            kind: ItemKind::Photo,
            bbox: p.frame.to_array(),
            z: z as f64,
            created_by: system(),
            photo: Some(PhotoRef {
                id: p.photo.to_string(),
                pan: p.view.pan(),
                zoom: p.view.zoom(),
            }),
            text: None,
            style: Style::default(),
            slot: Some(p.slot as u32),
        })
        .collect()
}

fn background(b: &crate::layouts::themes::Background) -> Background {
    Background {
        color: b.color.clone(),
        asset: b.asset.clone(),
        flip: b.flip,
    }
}

/// Adds one designed page at `index`, recording the first failure in `failed`.
fn add_designed_page(
    txn: &mut TransactionMut,
    index: u32,
    kind: PageKind,
    design: &Design,
    bg: Background,
    extra: Vec<NewItem>,
) -> Result<(), String> {
    let page_id = uuid::Uuid::new_v4().to_string();
    let page = NewPage {
        id: page_id.clone(),
        kind,
        layout: Some(design.layout.clone()),
        background: bg,
        created_by: system(),
        auto: true,
    };
    model::add_page(txn, index, page).map_err(|e| e.to_string())?;
    for item in photo_items(design).into_iter().chain(extra) {
        model::add_item(txn, &page_id, item).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Loads the job's photos as engine input, in the order given (the upload order).
async fn load_photos(deps: &WorkerDeps, ids: &[PhotoId]) -> Result<Vec<Photo>, String> {
    let mut out = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        match deps.store.photo(*id).await {
            Ok(r) => out.push(Photo::from_meta(r.id, &r.name, i as u64, None, &r.meta)),
            // Deleted since the job was queued: designed without it.
            Err(crate::store::StoreError::NotFound) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(out)
}

/// The photos on the pages a person touched (changed, or added an item to), as the book is
/// durably now.
async fn kept_photos(
    deps: &WorkerDeps,
    project: ProjectId,
) -> Result<std::collections::HashSet<PhotoId>, String> {
    let book = durable_book(deps, project).await?;
    Ok(book
        .pages
        .iter()
        .filter(|p| p.touched())
        .flat_map(|p| p.items.iter())
        .filter_map(|i| i.photo.as_ref().and_then(|r| r.id.parse().ok()))
        .collect())
}

async fn durable_book(deps: &WorkerDeps, project: ProjectId) -> Result<model::Book, String> {
    use yrs::updates::decoder::Decode;
    use yrs::Transact;
    let (state, _) = versions::durable_state(&*deps.store, project)
        .await
        .map_err(|e| e.to_string())?;
    let doc = yrs::Doc::new();
    {
        let mut txn = doc.transact_mut();
        txn.apply_update(yrs::Update::decode_v1(&state).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    let book = model::read_book(&doc.transact()).map_err(|e| e.to_string())?;
    Ok(book)
}

/// The book's aspect-ratio group, from its product.
async fn group_of(
    deps: &WorkerDeps,
    project: ProjectId,
) -> Result<crdt_schema::AspectGroup, String> {
    let p = deps
        .store
        .project(project)
        .await
        .map_err(|e| e.to_string())?;
    Ok(crdt_schema::product(&p.product)
        .map(|p| p.group)
        .unwrap_or(crdt_schema::AspectGroup::Square))
}

pub async fn run(deps: &WorkerDeps, job: &Job, progress: &Progress) -> Result<JobOutcome, String> {
    let spec: AutomixJob = match serde_json::from_value(job.payload.clone()) {
        Ok(s) => s,
        Err(e) => {
            return Ok(JobOutcome::Failed {
                error: format!("bad automix job payload: {e}"),
            })
        }
    };
    let Some(project) = job.project_id else {
        return Ok(JobOutcome::Failed {
            error: "an automix job needs a project".into(),
        });
    };
    if deps.store.project(project).await.is_err() {
        return Ok(JobOutcome::Failed {
            error: "the project no longer exists".into(),
        });
    }
    design_project(deps, project, &spec, job.created_by, progress).await
}

/// Designs (or, with `page_id`, remixes) a book: takes an `automix` version first, so
/// restoring it undoes the whole run, then plans and writes.
pub async fn design_project(
    deps: &WorkerDeps,
    project: ProjectId,
    spec: &AutomixJob,
    by: Option<UserId>,
    progress: &Progress,
) -> Result<JobOutcome, String> {
    let group = group_of(deps, project).await?;
    let lib = Library::get();
    // The photos were checked as ones the job may use, so their placements in this book count
    // and its members may place them again (`photos::visibility`).
    deps.store
        .record_placements(project, &spec.photo_ids, by, chrono::Utc::now())
        .await
        .map_err(|e| e.to_string())?;
    let version = versions::take(
        &*deps.store,
        &*deps.blobs,
        project,
        VersionReason::Automix,
        by,
    )
    .await
    .map_err(|e| e.to_string())?;
    progress.set(0.1).await;
    match &spec.page_id {
        Some(page) => {
            remix(
                deps, project, group, lib, page, spec.seed, version.id, progress,
            )
            .await
        }
        None => design_book(deps, project, group, lib, spec, version.id, progress).await,
    }
}

#[allow(clippy::too_many_arguments)]
async fn design_book(
    deps: &WorkerDeps,
    project: ProjectId,
    group: crdt_schema::AspectGroup,
    lib: &Library,
    spec: &AutomixJob,
    version: crate::ids::VersionId,
    progress: &Progress,
) -> Result<JobOutcome, String> {
    // Photos already on pages a person kept stay there and are not placed again.
    let kept = kept_photos(deps, project).await?;
    let ids: Vec<PhotoId> = spec
        .photo_ids
        .iter()
        .copied()
        .filter(|id| !kept.contains(id))
        .collect();
    let photos = load_photos(deps, &ids).await?;
    if photos.is_empty() && kept.is_empty() {
        return Ok(JobOutcome::Failed {
            error: "none of the photos exist any more".into(),
        });
    }
    let title = spec
        .title
        .clone()
        .unwrap_or_else(|| "My photo book".to_owned());
    let input = BookInput {
        photos,
        group,
        title: title.clone(),
        tags: spec.tags.clone(),
        cover: spec.cover,
        options: Options::DEFAULT,
    };
    let plan = automix::plan(&input, lib);
    progress.set(0.2).await;

    // One edit clears the earlier run's auto pages and places the cover; each page after is
    // its own edit, so editors watch the book fill.
    let failed: Arc<Mutex<Option<String>>> = Arc::default();
    let kept = Arc::new(Mutex::new(0u32));
    {
        let (failed, kept, cover, title) = (
            failed.clone(),
            kept.clone(),
            plan.cover.design.clone(),
            plan.cover.title.clone(),
        );
        let cover_bg = plan
            .pages
            .first()
            .map(|p| background(&p.background))
            .unwrap_or_default();
        edit_doc(
            deps,
            project,
            Box::new(move |txn| {
                let book = match model::read_book(&*txn) {
                    Ok(b) => b,
                    Err(e) => {
                        *failed.lock().unwrap() = Some(format!("the book does not read: {e}"));
                        return;
                    }
                };
                // Only pages nobody touched are redone: a page a person changed, or put an
                // item on, stays as it is with everything on it (SPEC §15).
                if let Err(e) = model::remove_untouched_pages(txn) {
                    *failed.lock().unwrap() = Some(e.to_string());
                    return;
                }
                let human_cover = book
                    .pages
                    .iter()
                    .any(|p| p.touched() && p.kind == PageKind::FrontCover);
                let remaining = book.pages.iter().filter(|p| p.touched()).count() as u32;
                let mut count = remaining;
                if let (Some(design), false) = (cover, human_cover) {
                    let title_item = NewItem {
                        id: uuid::Uuid::new_v4().to_string(),
                        kind: ItemKind::Text,
                        bbox: [0.0, -0.38, 0.8, 0.1, 0.0],
                        z: 100.0,
                        created_by: system(),
                        photo: None,
                        text: Some(title),
                        style: Style::default(),
                        slot: None,
                    };
                    if let Err(e) = add_designed_page(
                        txn,
                        0,
                        PageKind::FrontCover,
                        &design,
                        cover_bg,
                        vec![title_item],
                    ) {
                        *failed.lock().unwrap() = Some(e);
                        return;
                    }
                    count += 1;
                }
                *kept.lock().unwrap() = count;
            }),
        )
        .await?;
    }
    if let Some(e) = failed.lock().unwrap().take() {
        return Err(e);
    }
    let total = plan.pages.len().max(1) as f64;
    let first = *kept.lock().unwrap();
    for (n, page) in plan.pages.iter().enumerate() {
        let (failed2, design, bg) = (
            failed.clone(),
            page.design.clone(),
            background(&page.background),
        );
        let at = first + n as u32;
        edit_doc(
            deps,
            project,
            Box::new(move |txn| {
                // Pages appended by people meanwhile stay after ours.
                let len = model::read_book(&*txn)
                    .map(|b| b.pages.len() as u32)
                    .unwrap_or(at);
                if let Err(e) =
                    add_designed_page(txn, at.min(len), PageKind::Page, &design, bg, Vec::new())
                {
                    *failed2.lock().unwrap() = Some(e);
                }
            }),
        )
        .await?;
        if let Some(e) = failed.lock().unwrap().take() {
            return Err(e);
        }
        progress.set(0.2 + 0.8 * (n + 1) as f64 / total).await;
    }
    let result = json!({
        "project_id": project,
        "pages": plan.pages.len(),
        "theme": plan.theme,
        "version_id": version,
        "skipped": plan.skipped.len(),
        "stats": plan.stats,
    });
    Ok(JobOutcome::Done {
        result,
        version: None,
    })
}

#[allow(clippy::too_many_arguments)]
async fn remix(
    deps: &WorkerDeps,
    project: ProjectId,
    group: crdt_schema::AspectGroup,
    lib: &Library,
    page_id: &str,
    seed: u64,
    version: crate::ids::VersionId,
    progress: &Progress,
) -> Result<JobOutcome, String> {
    // The page as it is durably now: its layout and its photos, in slot order.
    let book = durable_book(deps, project).await?;
    let Some(page) = book.pages.iter().find(|p| p.id == page_id) else {
        return Ok(JobOutcome::Failed {
            error: format!("the book has no page {page_id}"),
        });
    };
    // Only the photos automix placed are laid out again; whatever a person put on the page
    // stays where they put it (SPEC §15).
    let mut items: Vec<_> = page
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::Photo && i.photo.is_some() && !i.made_by_person())
        .collect();
    items.sort_by_key(|i| (i.slot.unwrap_or(u32::MAX), i.id.clone()));
    let ids: Vec<PhotoId> = items
        .iter()
        .filter_map(|i| i.photo.as_ref().and_then(|p| p.id.parse().ok()))
        .collect();
    let photos = load_photos(deps, &ids).await?;
    if photos.is_empty() {
        return Ok(JobOutcome::Failed { error: "the page has no photos automix placed to remix; photos people placed stay where they are".into() });
    }
    let current = page.layout.clone().unwrap_or_default();
    let Some(design) = automix::remix(&photos, &current, group, lib, seed) else {
        return Ok(JobOutcome::Failed {
            error: "no other layout fits these photos".into(),
        });
    };
    progress.set(0.5).await;
    let failed: Arc<Mutex<Option<String>>> = Arc::default();
    {
        let (failed, page_id, design) = (failed.clone(), page_id.to_owned(), design.clone());
        let old: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
        edit_doc(
            deps,
            project,
            Box::new(move |txn| {
                let res = (|| -> Result<(), String> {
                    for id in &old {
                        model::remove_item(txn, &page_id, id).map_err(|e| e.to_string())?;
                    }
                    model::set_page_layout(txn, &page_id, Some(&design.layout))
                        .map_err(|e| e.to_string())?;
                    for item in photo_items(&design) {
                        model::add_item(txn, &page_id, item).map_err(|e| e.to_string())?;
                    }
                    Ok(())
                })();
                if let Err(e) = res {
                    *failed.lock().unwrap() = Some(e);
                }
            }),
        )
        .await?;
    }
    if let Some(e) = failed.lock().unwrap().take() {
        return Err(e);
    }
    let result = json!({ "project_id": project, "pages": 1, "page_id": page_id, "layout": design.layout, "version_id": version });
    Ok(JobOutcome::Done {
        result,
        version: None,
    })
}

/// The `automix` job kind.
pub struct AutomixKind;

#[async_trait::async_trait]
impl crate::jobs::JobKind for AutomixKind {
    fn name(&self) -> &'static str {
        AUTOMIX
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

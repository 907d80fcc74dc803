//! Proactive books (SPEC §10.8, seed 000): when a group of photos (an upload, album, tag,
//! share or print selection) grows into its size range, the server creates a book for the
//! group's owner and designs it, with no request; when the group changes later, the design
//! is redone (automix keeps the pages a person touched).
//!
//! Every group change queues a `proactive` job for the group, delayed by
//! `--proactive-delay-ms` and deduplicated per group, so a burst of changes is designed
//! once. The job reads the group's event log: `proactive_books.last_event_id` says how far
//! the book's design has taken it in, so a run with nothing new does nothing. A change that
//! arrives while a run is designing is picked up by the run's next round, or, after its
//! last, by `follow_up` once the run has finished and freed the group's dedupe key.
//! **Invariant:** a group has at most one proactive book (the `proactive_books` primary key;
//! a run that loses the race deletes the project it created).

use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::config::Config;
use crate::ids::{GroupId, JobId, NotificationId, ProjectId};
use crate::jobs::automix::{design_project, AutomixJob};
use crate::jobs::{Progress, Queue, WorkerDeps, DEFAULT_ATTEMPTS};
use crate::store::{
    Group, GroupSource, Job, JobOutcome, NewJob, Notification, OutboxMail, PhotoFilter, Project,
};

pub const PROACTIVE: &str = "proactive";

/// Rounds of "design, then look for newer events" one run makes at most.
const MAX_ROUNDS: usize = 3;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProactiveJob {
    pub group_id: GroupId,
}

/// The size range in which a group of `source` gets a book; `None` when turned off.
pub fn range(cfg: &Config, source: GroupSource) -> Option<(i64, i64)> {
    let min = match source {
        GroupSource::Print => cfg.proactive_min_print,
        _ => cfg.proactive_min,
    };
    (min > 0).then_some((min, cfg.proactive_max.max(min)))
}

/// Queues a (re)design for each changed group, once per group however many changes come
/// within the delay. Best effort: a failure is logged, and the next change queues again.
pub async fn groups_changed(cfg: &Config, jobs: &Queue, groups: &[GroupId]) {
    if cfg.proactive_min <= 0 && cfg.proactive_min_print <= 0 {
        return;
    }
    let delay = chrono::Duration::milliseconds(cfg.proactive_delay_ms as i64);
    for group in groups {
        let job = NewJob {
            id: JobId::new(),
            kind: PROACTIVE.into(),
            project_id: None,
            payload: json!({ "group_id": group }),
            created_by: None,
            dedupe_key: Some(format!("proactive:{group}")),
            max_attempts: DEFAULT_ATTEMPTS,
            run_after: Some(Utc::now() + delay),
        };
        if let Err(e) = jobs.enqueue(job).await {
            tracing::warn!(%group, error = %e, "could not queue a proactive design");
        }
    }
}

fn done(result: serde_json::Value) -> JobOutcome {
    JobOutcome::Done {
        result,
        version: None,
    }
}

/// The automix input for a group: its photos in upload order, its name, its photos' tags
/// and its cover.
async fn spec_for(deps: &WorkerDeps, group: &Group) -> Result<AutomixJob, String> {
    let photos = deps
        .store
        .photos(
            group.owner_id,
            &PhotoFilter {
                group: Some(group.id),
                tag: None,
            },
        )
        .await
        .map_err(|e| e.to_string())?;
    let mut tags: Vec<String> = photos.iter().flat_map(|p| p.tags.iter().cloned()).collect();
    tags.sort();
    tags.dedup();
    Ok(AutomixJob {
        photo_ids: photos.iter().map(|p| p.id).collect(),
        title: Some(group.name.clone()),
        tags,
        cover: group.cover_photo_id,
        page_id: None,
        seed: 0,
    })
}

/// Creates the group's book, or returns `None` when another run created one first.
async fn create_book(
    deps: &WorkerDeps,
    group: &Group,
    spec: &AutomixJob,
    last_event: i64,
) -> Result<Option<Project>, String> {
    let now = Utc::now();
    let keywords: Vec<&str> = std::iter::once(group.name.as_str())
        .chain(spec.tags.iter().map(String::as_str))
        .collect();
    let theme = crate::layouts::Library::get()
        .theme_for_keywords(&keywords)
        .id
        .clone();
    let project = Project {
        id: ProjectId::new(),
        title: group.name.chars().take(200).collect(),
        owner_id: group.owner_id,
        product: crdt_schema::DEFAULT_PRODUCT.to_owned(),
        theme,
        created_at: now,
        updated_at: now,
        origin: Some(json!({ "kind": "proactive", "source": group.source, "group_id": group.id })),
    };
    let client_id = rand::random::<u64>() & ((1 << 53) - 1) | 1;
    let initial =
        crdt_schema::new_book(client_id, &project.title, &project.product, &project.theme);
    deps.store
        .create_project(&project, &initial)
        .await
        .map_err(|e| e.to_string())?;
    if !deps
        .store
        .insert_proactive_book(group.id, project.id, last_event, now)
        .await
        .map_err(|e| e.to_string())?
    {
        // Another run created the group's book first; ours goes.
        let _ = deps.store.delete_project(project.id).await;
        return Ok(None);
    }
    Ok(Some(project))
}

/// Tells the owner: a notification (live on their streams) and a mail in the outbox.
async fn announce_book(deps: &WorkerDeps, group: &Group, project: &Project) {
    let now = Utc::now();
    let n = Notification {
        id: NotificationId::new(),
        user_id: group.owner_id,
        kind: "proactive_book".into(),
        data: json!({ "project_id": project.id, "project_title": project.title, "group_id": group.id, "source": group.source, "photos": group.photo_count }),
        created_at: now,
        read_at: None,
    };
    match deps.store.insert_notification(&n).await {
        Ok(()) => {
            let data = serde_json::to_string(&n).unwrap_or_default();
            let event = crate::fanout::Event::Activity {
                project: None,
                user: Some(n.user_id),
                kind: crate::fanout::ActivityKind::Notification,
                data: data.into(),
            };
            let _ = deps.fanout.publish(event);
        }
        Err(e) => tracing::warn!(error = %e, "could not record a proactive-book notification"),
    }
    if let Ok(owner) = deps.store.user(group.owner_id).await {
        let mail = OutboxMail {
            id: uuid::Uuid::new_v4(),
            to_email: owner.email,
            subject: format!("We made a photo book of \"{}\" for you", project.title),
            body: format!(
                "Hello {},\n\nYour {} \"{}\" has {} photos, so we designed a photo book from them. Open it to look it over, change anything, or order it: /projects/{}\n",
                owner.name,
                group.source.as_str(),
                group.name,
                group.photo_count,
                project.id
            ),
            created_at: now,
        };
        if let Err(e) = deps.store.queue_mail(&mail).await {
            tracing::warn!(error = %e, "could not queue a proactive-book mail");
        }
    }
}

pub async fn run(deps: &WorkerDeps, job: &Job, progress: &Progress) -> Result<JobOutcome, String> {
    let spec: ProactiveJob = match serde_json::from_value(job.payload.clone()) {
        Ok(s) => s,
        Err(e) => {
            return Ok(JobOutcome::Failed {
                error: format!("bad proactive job payload: {e}"),
            })
        }
    };
    let mut designed = 0;
    let mut book = deps
        .store
        .proactive_book(spec.group_id)
        .await
        .map_err(|e| e.to_string())?;
    for _ in 0..MAX_ROUNDS {
        let group = match deps.store.group(spec.group_id).await {
            Ok(g) => g,
            Err(crate::store::StoreError::NotFound) => {
                return Ok(done(
                    json!({ "group_id": spec.group_id, "skipped": "the group is gone" }),
                ))
            }
            Err(e) => return Err(e.to_string()),
        };
        let latest = deps
            .store
            .latest_group_event(group.id)
            .await
            .map_err(|e| e.to_string())?;
        let project = match book {
            Some((project, seen)) => {
                if latest <= seen {
                    break;
                }
                project
            }
            None => {
                let Some((min, max)) = range(&deps.cfg, group.source) else {
                    break;
                };
                if group.photo_count < min || group.photo_count > max {
                    return Ok(done(
                        json!({ "group_id": group.id, "skipped": "outside the size range", "photos": group.photo_count }),
                    ));
                }
                let automix = spec_for(deps, &group).await?;
                let Some(project) = create_book(deps, &group, &automix, 0).await? else {
                    break;
                };
                announce_book(deps, &group, &project).await;
                project.id
            }
        };
        // The owner asked for nothing: the design is theirs to keep or change.
        let automix = spec_for(deps, &group).await?;
        if automix.photo_ids.is_empty() {
            deps.store
                .set_proactive_event(group.id, latest)
                .await
                .map_err(|e| e.to_string())?;
            break;
        }
        match design_project(deps, project, &automix, None, progress).await? {
            JobOutcome::Done { .. } => {}
            other => return Ok(other),
        }
        deps.store
            .set_proactive_event(group.id, latest)
            .await
            .map_err(|e| e.to_string())?;
        designed += 1;
        book = Some((project, latest));
    }
    let project = book.map(|(p, _)| p);
    Ok(done(
        json!({ "group_id": spec.group_id, "project_id": project, "designs": designed }),
    ))
}

/// After a run has finished: a change that came in after its last look (while the run, which
/// absorbed the change's own enqueue, was still running) gets a run of its own now that this
/// one no longer holds the group's dedupe key.
pub async fn follow_up(deps: &WorkerDeps, job: &Job) {
    let Ok(spec) = serde_json::from_value::<ProactiveJob>(job.payload.clone()) else {
        return;
    };
    let Ok(Some((_, seen))) = deps.store.proactive_book(spec.group_id).await else {
        return;
    };
    let Ok(latest) = deps.store.latest_group_event(spec.group_id).await else {
        return;
    };
    if latest > seen {
        groups_changed(&deps.cfg, &Queue::new(deps.store.clone()), &[spec.group_id]).await;
    }
}

/// The `proactive` job kind.
pub struct ProactiveKind;

#[async_trait::async_trait]
impl crate::jobs::JobKind for ProactiveKind {
    fn name(&self) -> &'static str {
        PROACTIVE
    }

    async fn run(
        &self,
        deps: &WorkerDeps,
        job: &Job,
        progress: &Progress,
    ) -> Result<JobOutcome, String> {
        run(deps, job, progress).await
    }

    async fn finished(&self, deps: &WorkerDeps, job: &Job) {
        follow_up(deps, job).await
    }
}

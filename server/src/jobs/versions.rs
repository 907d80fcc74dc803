//! Versions of a book (SPEC §7): taken from the durable log, kept in blob storage under a key
//! made from the version's id, read back whole, and restored as a new change on top. The
//! `version` job kind takes them in the background (periodic versions, and before a run of
//! automix).

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use folio_domain::docs::{DocWriteError, DocWriter};
use serde::{Deserialize, Serialize};
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

use super::queue::{JobKind, Progress, Queue, WorkerDeps, DEFAULT_ATTEMPTS};
use crate::blob::{BlobError, BlobKey, BlobStore};
use crate::ids::{JobId, ProjectId, UserId, VersionId};
use crate::store::{Job, JobOutcome, NewJob, Store, StoreError, Version, VersionReason};

#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error("the stored document does not decode: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Write(#[from] DocWriteError),
}

/// Where a version's bytes live.
pub fn blob_key(id: VersionId) -> BlobKey {
    BlobKey::new("versions", id.0, "doc")
}

/// The whole document as the store holds it now, as one Yjs update v1, and the newest log
/// sequence number it includes. Only what is durable is in it: a version never holds an
/// edit that a crash could still take back.
pub async fn durable_state(
    store: &dyn Store,
    project: ProjectId,
) -> Result<(Vec<u8>, i64), VersionError> {
    let stored = store.load_doc(project).await?;
    let doc = Doc::new();
    {
        let mut txn = doc.transact_mut();
        for bytes in stored
            .snapshot
            .iter()
            .chain(stored.updates.iter().map(|(_, u)| u))
        {
            let update =
                Update::decode_v1(bytes).map_err(|e| VersionError::Corrupt(e.to_string()))?;
            txn.apply_update(update)
                .map_err(|e| VersionError::Corrupt(e.to_string()))?;
        }
    }
    let state = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    Ok((state, stored.last_seq()))
}

/// Writes a document state (from [`durable_state`]) to blob storage as version `id`, and
/// returns the row to record. Writing the same id again overwrites the same key, so a
/// retried job leaves no stray blob behind.
pub async fn write(
    blobs: &dyn BlobStore,
    project: ProjectId,
    id: VersionId,
    (state, seq): (Vec<u8>, i64),
    reason: VersionReason,
    created_by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<Version, VersionError> {
    let bytes = state.len() as i64;
    blobs.put(&blob_key(id), Bytes::from(state)).await?;
    Ok(Version {
        id,
        project_id: project,
        created_at: now,
        bytes,
        seq,
        reason,
        created_by,
    })
}

/// Takes a version now and records it.
pub async fn take(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    project: ProjectId,
    reason: VersionReason,
    created_by: Option<UserId>,
) -> Result<Version, VersionError> {
    let state = durable_state(store, project).await?;
    let version = write(
        blobs,
        project,
        VersionId::new(),
        state,
        reason,
        created_by,
        Utc::now(),
    )
    .await?;
    store.insert_version(&version).await?;
    metrics::counter!("folio_versions_taken_total", "reason" => reason.as_str()).increment(1);
    Ok(version)
}

/// A version's bytes: a Yjs update v1 of the whole document.
pub async fn fetch(blobs: &dyn BlobStore, version: &Version) -> Result<Bytes, VersionError> {
    Ok(blobs.get(&blob_key(version.id)).await?)
}

/// Restores `version` into the live document. A version of the current state is taken
/// first, so the restore can itself be undone; then the pages are edited, as the system
/// user, until they equal the version's, except that what people made stays as it is (SPEC
/// §15). The edit is one ordinary update: it is committed, reaches every open editor on
/// every node, and keeps the history. Returns the version taken before, and what was kept.
pub async fn restore(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    docs: &dyn DocWriter,
    version: &Version,
    by: UserId,
) -> Result<(Version, crdt_schema::restore::Kept), VersionError> {
    let bytes = fetch(blobs, version).await?;
    let target = Doc::new();
    {
        let update = Update::decode_v1(&bytes).map_err(|e| VersionError::Corrupt(e.to_string()))?;
        target
            .transact_mut()
            .apply_update(update)
            .map_err(|e| VersionError::Corrupt(e.to_string()))?;
    }
    let before = take(
        store,
        blobs,
        version.project_id,
        VersionReason::Restore,
        Some(by),
    )
    .await?;
    let kept = std::sync::Arc::new(std::sync::Mutex::new(crdt_schema::restore::Kept::default()));
    let out = kept.clone();
    docs.edit_as_system(
        version.project_id,
        Box::new(move |txn| {
            *out.lock().unwrap_or_else(|e| e.into_inner()) =
                crdt_schema::restore::restore_pages(txn, &target);
        }),
    )
    .await?;
    metrics::counter!("folio_version_restores_total").increment(1);
    let kept = std::mem::take(&mut *kept.lock().unwrap_or_else(|e| e.into_inner()));
    Ok((before, kept))
}

/// Takes a version of a project's document (SPEC §7).
pub const VERSION: &str = "version";

/// What a `version` job takes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionJob {
    pub reason: VersionReason,
    /// Skip when the newest version already holds every durable update (used for the
    /// periodic versions, so an idle book does not pile up copies).
    #[serde(default)]
    pub unless_unchanged: bool,
}

/// A `version` job for `project`. Only one periodic version job per project is queued at a
/// time, across all nodes.
pub fn version_job(
    project: ProjectId,
    job: VersionJob,
    by: Option<UserId>,
    delay: Duration,
) -> NewJob {
    let dedupe_key = job.unless_unchanged.then(|| format!("version:{project}"));
    NewJob {
        id: JobId::new(),
        kind: VERSION.into(),
        project_id: Some(project),
        payload: serde_json::to_value(&job).expect("a version job serialises"),
        created_by: by,
        dedupe_key,
        max_attempts: DEFAULT_ATTEMPTS,
        run_after: (!delay.is_zero())
            .then(|| Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default()),
    }
}

impl Queue {
    /// See [`version_job`]; the rooms' periodic versions are queued through this until they
    /// hand the moment to the node's wiring instead.
    pub fn version_job(
        project: ProjectId,
        job: VersionJob,
        by: Option<UserId>,
        delay: Duration,
    ) -> NewJob {
        version_job(project, job, by, delay)
    }
}

/// The `version` job kind.
pub struct VersionKind;

#[async_trait]
impl JobKind for VersionKind {
    fn name(&self) -> &'static str {
        VERSION
    }

    async fn run(
        &self,
        deps: &WorkerDeps,
        job: &Job,
        _progress: &Progress,
    ) -> Result<JobOutcome, String> {
        let spec: VersionJob = match serde_json::from_value(job.payload.clone()) {
            Ok(spec) => spec,
            Err(e) => {
                return Ok(JobOutcome::Failed {
                    error: format!("bad version job payload: {e}"),
                })
            }
        };
        let Some(project) = job.project_id else {
            return Ok(JobOutcome::Failed {
                error: "a version job needs a project".into(),
            });
        };
        let state = durable_state(&*deps.store, project)
            .await
            .map_err(|e| e.to_string())?;
        if spec.unless_unchanged {
            let newest = deps
                .store
                .versions(project)
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|v| v.seq)
                .max();
            if newest == Some(state.1) {
                return Ok(JobOutcome::Done {
                    result: serde_json::json!({ "project_id": project, "skipped": "unchanged" }),
                    version: None,
                });
            }
        }
        // The version's id is the job's: a second run of the same job writes the same blob
        // key, and the version row commits with the job's completion, under its lease.
        let id = VersionId(job.id.0);
        let version = write(
            &*deps.blobs,
            project,
            id,
            state,
            spec.reason,
            job.created_by,
            Utc::now(),
        )
        .await
        .map_err(|e| e.to_string())?;
        let result = serde_json::json!({ "project_id": project, "version": version });
        Ok(JobOutcome::Done {
            result,
            version: Some(version),
        })
    }
}

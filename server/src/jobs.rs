//! Background jobs: a queue in the SQL store, and workers that claim jobs under a lease.
//!
//! A worker holds a job for a lease it keeps renewing while it runs. If the worker dies,
//! the lease lapses and another worker takes the job over; the first worker's later writes
//! carry a lease token that no longer matches, so they are refused. A job's effect is
//! committed together with its completion, under that token, so a job takes effect once
//! however many workers started it.
//!
//! `folio serve` runs workers as tasks in its own process; `folio worker` runs only workers,
//! on any number of machines sharing the store.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::blob::BlobStore;
use crate::config::Config;
use crate::ids::{JobId, ProjectId, UserId, VersionId};
use crate::store::{Job, JobOutcome, Lease, NewJob, Store, StoreResult, VersionReason};
use crate::versions;

/// Takes a version of a project's document (SPEC §7).
pub const VERSION: &str = "version";
/// Every kind this build can run.
pub const KINDS: [&str; 4] = [
    VERSION,
    crate::automix_job::AUTOMIX,
    crate::proactive::PROACTIVE,
    crate::print::job::RENDER,
];

/// Runs allowed per job, counting runs whose worker died.
pub const DEFAULT_ATTEMPTS: i32 = 3;

/// What a `version` job takes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionJob {
    pub reason: VersionReason,
    /// Skip when the newest version already holds every durable update (used for the
    /// periodic versions, so an idle book does not pile up copies).
    #[serde(default)]
    pub unless_unchanged: bool,
}

/// The queue as request handlers and rooms see it: enqueueing also wakes this process's
/// workers, so a job does not wait for their next poll.
#[derive(Clone)]
pub struct Queue {
    store: Arc<dyn Store>,
    wake: Arc<Notify>,
}

impl Queue {
    pub fn new(store: Arc<dyn Store>) -> Queue {
        Queue {
            store,
            wake: Arc::new(Notify::new()),
        }
    }

    pub async fn enqueue(&self, job: NewJob) -> StoreResult<Job> {
        let job = self.store.enqueue_job(&job, Utc::now()).await?;
        self.wake.notify_waiters();
        Ok(job)
    }

    /// A `version` job for `project`. Only one periodic version job per project is queued
    /// at a time, across all nodes.
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
}

/// What a worker needs. A worker has no sockets and no rooms: it reads and writes through
/// the store and blob storage only.
#[derive(Clone)]
pub struct WorkerDeps {
    pub cfg: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub blobs: Arc<dyn BlobStore>,
    /// Job events for the project's SSE streams (SPEC §4 `job`).
    pub fanout: Arc<dyn crate::fanout::Fanout>,
    /// This process's live rooms, when it serves clients (`folio serve`); `folio worker` has
    /// none and writes documents through the durable log (see `edit_doc`).
    pub sync: Option<crate::sync::SyncService>,
}

/// Writes a system edit into a book, as the system user (SPEC §6.3 rule 5). In a serving
/// process it goes through the live room, which commits it, relays it to every open editor
/// and publishes it to the other nodes. A worker without rooms applies it to the durable
/// document, appends the difference to the log and publishes it; serving nodes apply it
/// from the fan-out, or from the log within their heal interval if they missed it.
pub async fn edit_doc(
    deps: &WorkerDeps,
    project: ProjectId,
    edit: crate::sync::SystemEdit,
) -> Result<(), String> {
    if let Some(sync) = &deps.sync {
        return sync
            .edit_as_system(project, edit)
            .await
            .map_err(|e| e.to_string());
    }
    use yrs::updates::decoder::Decode;
    use yrs::{Transact, Update};
    let stored = deps
        .store
        .load_doc(project)
        .await
        .map_err(|e| e.to_string())?;
    let doc = yrs::Doc::new();
    {
        let mut txn = doc.transact_mut();
        for bytes in stored
            .snapshot
            .iter()
            .chain(stored.updates.iter().map(|(_, u)| u))
        {
            let u = Update::decode_v1(bytes)
                .map_err(|e| format!("the stored book does not decode: {e}"))?;
            txn.apply_update(u)
                .map_err(|e| format!("the stored book does not apply: {e}"))?;
        }
    }
    let update = {
        let mut txn = doc.transact_mut();
        edit(&mut txn);
        txn.encode_update_v1()
    };
    if update.as_slice() == Update::EMPTY_V1 {
        return Ok(());
    }
    let seq = deps
        .store
        .append_updates(project, &[update.as_slice()], Utc::now())
        .await
        .map_err(|e| e.to_string())?;
    let event = crate::fanout::Event::DocUpdate {
        origin: uuid::Uuid::new_v4(),
        project,
        seq,
        update: update.into(),
    };
    if let Err(e) = deps.fanout.publish(event) {
        tracing::warn!(%project, error = %e, "could not publish a worker's edit; nodes pick it up from the log");
    }
    Ok(())
}

/// A running job's way to report how far it got (0 to 1): recorded under its lease and
/// announced on the project's SSE stream.
pub struct Progress {
    deps: WorkerDeps,
    lease: Lease,
}

impl Progress {
    pub async fn set(&self, fraction: f64) {
        let lease_for = self.deps.cfg.job_lease();
        match self
            .deps
            .store
            .renew_lease(
                &self.lease,
                Some(fraction.clamp(0.0, 1.0)),
                Utc::now(),
                lease_for,
            )
            .await
        {
            Ok(true) => announce(&self.deps, self.lease.job.id).await,
            Ok(false) => {
                tracing::warn!(job = %self.lease.job.id, "progress not recorded: the lease was lost")
            }
            Err(e) => {
                tracing::warn!(job = %self.lease.job.id, error = %e, "recording progress failed")
            }
        }
    }
}

/// Tells the job's project's live streams where the job stands, best effort.
async fn announce(deps: &WorkerDeps, id: crate::ids::JobId) {
    let Ok(job) = deps.store.job(id).await else {
        return;
    };
    let Some(project) = job.project_id else {
        return;
    };
    let data = serde_json::json!({ "job": job }).to_string();
    let event = crate::fanout::Event::Activity {
        project: Some(project),
        user: None,
        kind: crate::fanout::ActivityKind::Job,
        data: data.into(),
    };
    if let Err(e) = deps.fanout.publish(event) {
        tracing::debug!(error = %e, "could not announce a job");
    }
}

/// Starts `n` worker loops. They stop when the returned set is dropped or aborted.
pub fn spawn_workers(deps: WorkerDeps, queue: &Queue, n: usize) -> JoinSet<()> {
    let mut set = JoinSet::new();
    let process = format!(
        "{}-{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    for i in 0..n {
        let name = format!("worker-{process}-{i}");
        set.spawn(worker_loop(deps.clone(), queue.wake.clone(), name));
    }
    set
}

async fn worker_loop(deps: WorkerDeps, wake: Arc<Notify>, name: String) {
    let poll = Duration::from_millis(deps.cfg.job_poll_ms.max(10));
    let mut failures = 0u32;
    loop {
        // Register for a wake-up before looking, so an enqueue in between is not missed.
        let woken = wake.notified();
        match deps
            .store
            .claim_job(&name, &KINDS, Utc::now(), deps.cfg.job_lease())
            .await
        {
            Ok(Some(lease)) => {
                failures = 0;
                run_job(&deps, &name, lease).await;
            }
            Ok(None) => {
                failures = 0;
                let _ = tokio::time::timeout(poll, woken).await;
            }
            Err(e) => {
                failures += 1;
                let backoff = poll * failures.min(10);
                tracing::warn!(worker = %name, error = %e, "claiming a job failed; retrying in {backoff:?}");
                metrics::counter!("folio_job_claim_failures_total").increment(1);
                tokio::time::sleep(backoff).await;
            }
        }
    }
}

/// Runs one claimed job while renewing its lease, then records the outcome under the lease.
async fn run_job(deps: &WorkerDeps, worker: &str, lease: Lease) {
    let job = lease.job.clone();
    tracing::info!(worker, job = %job.id, kind = %job.kind, attempt = job.attempts, "job started");
    let lease_for = deps.cfg.job_lease();
    let renewer = {
        let (store, lease) = (deps.store.clone(), lease.clone());
        tokio::spawn(async move {
            let every = lease_for / 3;
            loop {
                tokio::time::sleep(every).await;
                match store.renew_lease(&lease, None, Utc::now(), lease_for).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(job = %lease.job.id, "lost the job's lease; another worker may take it over");
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(job = %lease.job.id, error = %e, "renewing a job lease failed")
                    }
                }
            }
        })
    };
    announce(deps, job.id).await;
    if deps.cfg.job_hold_ms > 0 {
        tokio::time::sleep(Duration::from_millis(deps.cfg.job_hold_ms)).await;
    }
    let progress = Progress {
        deps: deps.clone(),
        lease: lease.clone(),
    };
    let outcome = match execute(deps, &job, &progress).await {
        Ok(outcome) => outcome,
        Err(error) if job.attempts < job.max_attempts => {
            let backoff = chrono::Duration::seconds(1 << job.attempts.clamp(0, 6));
            tracing::warn!(job = %job.id, %error, "job failed; it will run again");
            JobOutcome::Retry {
                error,
                at: Utc::now() + backoff,
            }
        }
        Err(error) => {
            tracing::error!(job = %job.id, %error, "job failed for good");
            JobOutcome::Failed { error }
        }
    };
    renewer.abort();
    let state = match &outcome {
        JobOutcome::Done { .. } => "done",
        JobOutcome::Retry { .. } => "retry",
        JobOutcome::Failed { .. } => "failed",
    };
    match deps.store.finish_job(&lease, &outcome, Utc::now()).await {
        Ok(true) => {
            metrics::counter!("folio_jobs_total", "kind" => job.kind.clone(), "outcome" => state)
                .increment(1);
            tracing::info!(worker, job = %job.id, outcome = state, "job finished");
            announce(deps, job.id).await;
            if job.kind == crate::proactive::PROACTIVE {
                crate::proactive::follow_up(deps, &job).await;
            }
        }
        Ok(false) => {
            tracing::warn!(worker, job = %job.id, "the job was taken over by another worker; this run's result is dropped")
        }
        Err(e) => {
            tracing::error!(worker, job = %job.id, error = %e, "recording a job's outcome failed; its lease will lapse and it runs again")
        }
    }
}

/// Runs a job's body. Errors are messages for the job's `error` field.
async fn execute(deps: &WorkerDeps, job: &Job, progress: &Progress) -> Result<JobOutcome, String> {
    match job.kind.as_str() {
        VERSION => version_job(deps, job).await,
        crate::automix_job::AUTOMIX => crate::automix_job::run(deps, job, progress).await,
        crate::proactive::PROACTIVE => crate::proactive::run(deps, job, progress).await,
        crate::print::job::RENDER => crate::print::job::run(deps, job, progress).await,
        other => Ok(JobOutcome::Failed {
            error: format!("this worker does not know job kind {other:?}"),
        }),
    }
}

async fn version_job(deps: &WorkerDeps, job: &Job) -> Result<JobOutcome, String> {
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
    let state = versions::durable_state(&*deps.store, project)
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
    // The version's id is the job's: a second run of the same job writes the same blob key,
    // and the version row commits with the job's completion, under its lease.
    let id = VersionId(job.id.0);
    let version = versions::write(
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

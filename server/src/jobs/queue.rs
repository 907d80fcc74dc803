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
//!
//! The queue knows no job kind: each kind implements [`JobKind`] and the node registers the
//! kinds it runs in a [`Registry`]. A worker claims only jobs of registered kinds.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use folio_domain::docs::{DocWriter, SystemEdit};
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::blob::BlobStore;
use crate::config::Config;
use crate::ids::ProjectId;
use crate::store::{Job, JobOutcome, Lease, NewJob, Store, StoreResult};

/// Runs allowed per job, counting runs whose worker died.
pub const DEFAULT_ATTEMPTS: i32 = 3;

/// One kind of background job: its name in the queue, and how to run it.
#[async_trait]
pub trait JobKind: Send + Sync + 'static {
    /// The `kind` the queue stores for jobs of this kind.
    fn name(&self) -> &'static str;

    /// Runs one claimed job. An `Err` is a message for the job's `error` field; the queue
    /// runs the job again while it has attempts left.
    async fn run(
        &self,
        deps: &WorkerDeps,
        job: &Job,
        progress: &Progress,
    ) -> Result<JobOutcome, String>;

    /// Called once the job's outcome is recorded, whatever it was.
    async fn finished(&self, _deps: &WorkerDeps, _job: &Job) {}
}

/// The job kinds a node runs.
#[derive(Clone, Default)]
pub struct Registry {
    kinds: Vec<Arc<dyn JobKind>>,
}

impl Registry {
    /// Adds a kind. A second kind of the same name is a programming error.
    pub fn with(mut self, kind: impl JobKind) -> Registry {
        assert!(
            self.get(kind.name()).is_none(),
            "job kind {:?} registered twice",
            kind.name()
        );
        self.kinds.push(Arc::new(kind));
        self
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.kinds.iter().map(|k| k.name()).collect()
    }

    fn get(&self, name: &str) -> Option<&Arc<dyn JobKind>> {
        self.kinds.iter().find(|k| k.name() == name)
    }
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
    /// Where machine edits of books go: this process's live rooms when it serves clients
    /// (`folio serve`), the durable log in `folio worker` ([`super::LogWriter`]).
    pub docs: Arc<dyn DocWriter>,
}

/// Writes a system edit into a book, as the system user (SPEC §6.3 rule 5), through the
/// node's [`DocWriter`].
pub async fn edit_doc(
    deps: &WorkerDeps,
    project: ProjectId,
    edit: SystemEdit,
) -> Result<(), String> {
    deps.docs
        .edit_as_system(project, edit)
        .await
        .map_err(|e| e.to_string())
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

/// Starts `n` worker loops running the kinds in `kinds`. They stop when the returned set is
/// dropped or aborted.
pub fn spawn_workers(deps: WorkerDeps, kinds: Registry, queue: &Queue, n: usize) -> JoinSet<()> {
    let mut set = JoinSet::new();
    let process = format!(
        "{}-{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    for i in 0..n {
        let name = format!("worker-{process}-{i}");
        set.spawn(worker_loop(
            deps.clone(),
            kinds.clone(),
            queue.wake.clone(),
            name,
        ));
    }
    set
}

async fn worker_loop(deps: WorkerDeps, kinds: Registry, wake: Arc<Notify>, name: String) {
    let names = kinds.names();
    let poll = Duration::from_millis(deps.cfg.job_poll_ms.max(10));
    let mut failures = 0u32;
    loop {
        // Register for a wake-up before looking, so an enqueue in between is not missed.
        let woken = wake.notified();
        match deps
            .store
            .claim_job(&name, &names, Utc::now(), deps.cfg.job_lease())
            .await
        {
            Ok(Some(lease)) => {
                failures = 0;
                run_job(&deps, &kinds, &name, lease).await;
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
async fn run_job(deps: &WorkerDeps, kinds: &Registry, worker: &str, lease: Lease) {
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
    let kind = kinds.get(&job.kind);
    let ran = match kind {
        Some(kind) => kind.run(deps, &job, &progress).await,
        None => Ok(JobOutcome::Failed {
            error: format!("this worker does not know job kind {:?}", job.kind),
        }),
    };
    let outcome = match ran {
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
            if let Some(kind) = kind {
                kind.finished(deps, &job).await;
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

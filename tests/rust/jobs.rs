//! The SQL job queue and its workers: claims under a lease, take-over after a worker dies,
//! fencing of the late worker, retries, and the real `folio worker` process killed mid-job.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use folio_server::blob::{BlobStore, LocalBlobStore};
use folio_server::config::Durability;
use folio_server::ids::{JobId, ProjectId, VersionId};
use folio_server::jobs::{Queue, VersionJob};
use folio_server::store::{JobOutcome, JobState, PgStore, Project, Store, Version, VersionReason};
use folio_tests::worker::BinWorker;
use folio_tests::{test_both_dbs, PgDatabase};
use serde_json::json;
use yrs::updates::decoder::Decode;
use yrs::{Transact, Update};

const LEASE: Duration = Duration::from_secs(10);

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn later(t: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
    t + chrono::Duration::seconds(secs)
}

/// A user and a project with a real first document.
async fn project(store: &dyn Store, title: &str) -> ProjectId {
    let owner = store
        .create_user(&folio_tests::unique_email("owner"), "Owner", "hash", now())
        .await
        .unwrap();
    let p = Project {
        id: ProjectId::new(),
        title: title.into(),
        owner_id: owner.id,
        product: "square-8x8".into(),
        theme: "everyday".into(),
        created_at: now(),
        updated_at: now(),
        origin: None,
    };
    store
        .create_project(
            &p,
            &crdt_schema::new_book(42, title, "square-8x8", "everyday"),
        )
        .await
        .unwrap();
    p.id
}

fn version_job(project: ProjectId) -> folio_server::store::NewJob {
    Queue::version_job(
        project,
        VersionJob {
            reason: VersionReason::Manual,
            unless_unchanged: false,
        },
        None,
        Duration::ZERO,
    )
}

fn version_for(project: ProjectId, job: JobId) -> Version {
    Version {
        id: VersionId(job.0),
        project_id: project,
        created_at: now(),
        bytes: 3,
        seq: 1,
        reason: VersionReason::Manual,
        created_by: None,
    }
}

test_both_dbs!(
    a_lapsed_lease_moves_the_job_and_fences_the_first_worker,
    async |store| {
        let p = project(&*store, "Lease").await;
        let t0 = now();
        let job = store.enqueue_job(&version_job(p), t0).await.unwrap();
        assert_eq!((job.state, job.attempts), (JobState::Queued, 0));

        let first = store
            .claim_job("a", &["version"], t0, LEASE)
            .await
            .unwrap()
            .expect("a claims the job");
        assert_eq!(
            (first.job.id, first.job.state, first.job.attempts),
            (job.id, JobState::Running, 1)
        );
        assert!(
            store
                .claim_job("b", &["version"], t0, LEASE)
                .await
                .unwrap()
                .is_none(),
            "a held job is not claimed twice"
        );
        assert!(
            store
                .claim_job("b", &["other-kind"], later(t0, 60), LEASE)
                .await
                .unwrap()
                .is_none(),
            "kinds are respected"
        );

        // While `a` renews, the lease holds; once `a` stops, it lapses and `b` takes over.
        assert!(store
            .renew_lease(&first, Some(0.5), later(t0, 5), LEASE)
            .await
            .unwrap());
        assert!(
            store
                .claim_job("b", &["version"], later(t0, 12), LEASE)
                .await
                .unwrap()
                .is_none(),
            "a renewed lease holds"
        );
        assert_eq!(store.job(job.id).await.unwrap().progress, 0.5);
        let second = store
            .claim_job("b", &["version"], later(t0, 16), LEASE)
            .await
            .unwrap()
            .expect("b takes over the lapsed job");
        assert_eq!((second.job.id, second.job.attempts), (job.id, 2));

        // The first worker comes back: every write it tries is refused, and writes nothing.
        assert!(!store
            .renew_lease(&first, Some(0.9), later(t0, 17), LEASE)
            .await
            .unwrap());
        let done = JobOutcome::Done {
            result: json!({"by": "a"}),
            version: Some(version_for(p, job.id)),
        };
        assert!(
            !store
                .finish_job(&first, &done, later(t0, 17))
                .await
                .unwrap(),
            "a's late result is refused"
        );
        assert!(
            store.versions(p).await.unwrap().is_empty(),
            "a's version row was not written"
        );

        let done = JobOutcome::Done {
            result: json!({"by": "b"}),
            version: Some(version_for(p, job.id)),
        };
        assert!(store
            .finish_job(&second, &done, later(t0, 18))
            .await
            .unwrap());
        let finished = store.job(job.id).await.unwrap();
        assert_eq!(
            (finished.state, finished.progress, finished.result.clone()),
            (JobState::Done, 1.0, Some(json!({"by": "b"})))
        );
        assert_eq!(
            store.versions(p).await.unwrap().len(),
            1,
            "exactly one version, from the worker that held the lease"
        );
        assert!(
            !store
                .finish_job(&second, &done, later(t0, 19))
                .await
                .unwrap(),
            "a finished job cannot finish again"
        );
        assert!(
            store
                .claim_job("c", &["version"], later(t0, 600), LEASE)
                .await
                .unwrap()
                .is_none(),
            "a done job is never claimed"
        );
    }
);

test_both_dbs!(
    a_failed_run_is_retried_later_then_fails_for_good,
    async |store| {
        let p = project(&*store, "Retry").await;
        let t0 = now();
        let mut new = version_job(p);
        new.max_attempts = 2;
        let job = store.enqueue_job(&new, t0).await.unwrap();

        let run = store
            .claim_job("a", &["version"], t0, LEASE)
            .await
            .unwrap()
            .unwrap();
        let retry = JobOutcome::Retry {
            error: "blob storage timed out".into(),
            at: later(t0, 30),
        };
        assert!(store.finish_job(&run, &retry, later(t0, 1)).await.unwrap());
        let queued = store.job(job.id).await.unwrap();
        assert_eq!(
            (queued.state, queued.error.as_deref()),
            (JobState::Queued, Some("blob storage timed out"))
        );
        assert!(
            store
                .claim_job("a", &["version"], later(t0, 29), LEASE)
                .await
                .unwrap()
                .is_none(),
            "not before its retry time"
        );

        let run = store
            .claim_job("a", &["version"], later(t0, 31), LEASE)
            .await
            .unwrap()
            .expect("claimed again when due");
        assert_eq!(run.job.attempts, 2);
        assert!(store
            .finish_job(
                &run,
                &JobOutcome::Failed {
                    error: "the project's document is corrupt".into()
                },
                later(t0, 32)
            )
            .await
            .unwrap());
        let failed = store.job(job.id).await.unwrap();
        assert_eq!(
            (failed.state, failed.error.as_deref()),
            (JobState::Failed, Some("the project's document is corrupt"))
        );
        assert!(store
            .claim_job("a", &["version"], later(t0, 600), LEASE)
            .await
            .unwrap()
            .is_none());
    }
);

test_both_dbs!(
    a_job_whose_workers_keep_dying_fails_with_a_clear_error,
    async |store| {
        let p = project(&*store, "Doomed").await;
        let t0 = now();
        let mut new = version_job(p);
        new.max_attempts = 2;
        let job = store.enqueue_job(&new, t0).await.unwrap();
        assert!(store
            .claim_job("a", &["version"], t0, LEASE)
            .await
            .unwrap()
            .is_some());
        assert!(store
            .claim_job("b", &["version"], later(t0, 11), LEASE)
            .await
            .unwrap()
            .is_some());
        // The second worker dies too; at the next look the job has used its attempts.
        assert!(store
            .claim_job("c", &["version"], later(t0, 22), LEASE)
            .await
            .unwrap()
            .is_none());
        let failed = store.job(job.id).await.unwrap();
        assert_eq!(failed.state, JobState::Failed);
        let error = failed.error.unwrap_or_default();
        assert!(
            error.contains("worker stopped") && error.contains('2'),
            "{error}"
        );
    }
);

test_both_dbs!(an_active_dedupe_key_returns_the_same_job, async |store| {
    let p = project(&*store, "Periodic").await;
    let t0 = now();
    let periodic = || {
        Queue::version_job(
            p,
            VersionJob {
                reason: VersionReason::Auto,
                unless_unchanged: true,
            },
            None,
            Duration::from_secs(60),
        )
    };
    let first = store.enqueue_job(&periodic(), t0).await.unwrap();
    let again = store.enqueue_job(&periodic(), later(t0, 1)).await.unwrap();
    assert_eq!(
        again.id, first.id,
        "one periodic version job per book while one is waiting"
    );
    assert!(
        store
            .claim_job("a", &["version"], later(t0, 59), LEASE)
            .await
            .unwrap()
            .is_none(),
        "a delayed job waits for its time"
    );
    let run = store
        .claim_job("a", &["version"], later(t0, 61), LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .enqueue_job(&periodic(), later(t0, 62))
            .await
            .unwrap()
            .id,
        first.id,
        "still one while it runs"
    );
    assert!(store
        .finish_job(
            &run,
            &JobOutcome::Done {
                result: json!({}),
                version: None
            },
            later(t0, 63)
        )
        .await
        .unwrap());
    let next = store.enqueue_job(&periodic(), later(t0, 64)).await.unwrap();
    assert_ne!(next.id, first.id, "once it is done, the next one is queued");
    // A job for a project that does not exist is refused.
    let r = store.enqueue_job(&version_job(ProjectId::new()), t0).await;
    assert!(
        matches!(r, Err(folio_server::store::StoreError::NotFound)),
        "{r:?}"
    );
});

test_both_dbs!(concurrent_claims_never_share_a_job, async |store| {
    let p = project(&*store, "Crowd").await;
    let t0 = now();
    let mut ids = HashSet::new();
    for _ in 0..24 {
        ids.insert(store.enqueue_job(&version_job(p), t0).await.unwrap().id);
    }
    let mut claimers = tokio::task::JoinSet::new();
    for w in 0..4 {
        let store = store.clone();
        claimers.spawn(async move {
            let mut mine = Vec::new();
            while let Some(lease) = store
                .claim_job(&format!("w{w}"), &["version"], t0, LEASE)
                .await
                .unwrap()
            {
                mine.push(lease.job.id);
            }
            mine
        });
    }
    let mut claimed = Vec::new();
    while let Some(mine) = claimers.join_next().await {
        claimed.extend(mine.unwrap());
    }
    assert_eq!(claimed.len(), ids.len(), "every job claimed exactly once");
    assert_eq!(claimed.into_iter().collect::<HashSet<_>>(), ids);
});

/// Real processes: a `folio worker` dies (`kill -9`) holding a job's lease. Another worker
/// takes the job over after the lease lapses, and the job takes effect exactly once: one
/// version row, whose bytes are the book.
#[tokio::test]
async fn a_killed_worker_s_job_is_taken_over_and_takes_effect_once() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let store: Arc<dyn Store> = Arc::new(
        PgStore::open(&db.url, Durability::Process)
            .await
            .expect("open PostgreSQL"),
    );
    let data = tempfile::tempdir().expect("temp dir");
    let p = project(&*store, "Survivor").await;
    let job = store
        .enqueue_job(&version_job(p), Utc::now())
        .await
        .unwrap();

    // The first worker claims the job, then holds it far longer than the test runs.
    let lease = [("FOLIO_JOB_LEASE_S", "2"), ("FOLIO_JOB_POLL_MS", "50")];
    let stuck = BinWorker::start(
        &db.url,
        data.path(),
        &[lease[0], lease[1], ("FOLIO_JOB_HOLD_MS", "600000")],
    )
    .await;
    let mut running = None;
    for _ in 0..300 {
        let j = store.job(job.id).await.unwrap();
        if j.state == JobState::Running {
            running = Some(j);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let running = running.expect("the first worker claimed the job");
    assert_eq!(running.attempts, 1);
    stuck.kill9().await;

    let _rescuer = BinWorker::start(&db.url, data.path(), &lease).await;
    let mut finished = None;
    for _ in 0..400 {
        let j = store.job(job.id).await.unwrap();
        if matches!(j.state, JobState::Done | JobState::Failed) {
            finished = Some(j);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let finished = finished.expect("the job finished after its worker died");
    assert_eq!(finished.state, JobState::Done, "{:?}", finished.error);
    assert_eq!(
        finished.attempts, 2,
        "the second worker's run is the job's second attempt"
    );

    let versions = store.versions(p).await.unwrap();
    assert_eq!(versions.len(), 1, "the job took effect once");
    assert_eq!(versions[0].id, VersionId(job.id.0));
    assert_eq!(
        finished
            .result
            .as_ref()
            .and_then(|r| r["version"]["id"].as_str()),
        Some(job.id.to_string().as_str())
    );
    let blobs = LocalBlobStore::open(data.path().join("blobs"))
        .await
        .expect("blob folder");
    let bytes = blobs
        .get(&folio_server::versions::blob_key(versions[0].id))
        .await
        .expect("the version's bytes are stored");
    assert_eq!(bytes.len() as i64, versions[0].bytes);
    let doc = yrs::Doc::new();
    doc.transact_mut()
        .apply_update(Update::decode_v1(&bytes).unwrap())
        .unwrap();
    assert_eq!(
        crdt_schema::meta_title(&doc.transact()).as_deref(),
        Some("Survivor")
    );
}

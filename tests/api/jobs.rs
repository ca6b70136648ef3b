//! Singleton jobs: the purge runs in one instance at a time, once per interval between them,
//! across hand-overs (an instance stopped, its lock connection terminated), recorded in
//! `job_runs`.

use advocate::startup::Application;
use advocate::store::{JobRun, Store};
use advocate_test_support::{backend, test_settings};
use sqlx::Connection;
use std::time::{Duration, Instant};

/// The purge's interval in these tests, in seconds.
const INTERVAL: i64 = 2;

fn job_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("ADVOCATE__OUTBOX__PURGE_INTERVAL_SECS", "2"),
        ("ADVOCATE__JOBS__RETRY_SECS", "1"),
        ("ADVOCATE__JOBS__HEALTH_CHECK_SECS", "1"),
    ]
}

/// A running instance, with what stops it.
struct Instance {
    name: String,
    stop: actix_web::dev::ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start(settings: &advocate::config::Settings) -> (Instance, Store) {
    let app = Application::build(settings.clone())
        .await
        .expect("application builds");
    let store = app.store().clone();
    let instance = Instance {
        name: app.instance().to_string(),
        stop: app.stop_handle(),
        task: tokio::spawn(app.run_until_stopped()),
    };
    (instance, store)
}

impl Instance {
    /// Stops it as SIGTERM does, and waits until it has stopped.
    async fn stop(self) {
        self.stop.stop(true).await;
        let _ = tokio::time::timeout(Duration::from_secs(20), self.task).await;
    }
}

/// The purge's runs, oldest first.
async fn purge_runs(store: &Store) -> Vec<JobRun> {
    let mut runs = store.job_runs("purge", 1000).await.expect("runs");
    runs.reverse();
    runs
}

/// Every run started at least one interval after the one before.
fn assert_once_per_interval(runs: &[JobRun]) {
    for pair in runs.windows(2) {
        assert!(
            pair[1].started_at - pair[0].started_at >= INTERVAL,
            "two purges within one interval: {runs:#?}"
        );
    }
}

/// Waits until a purge run matches `want` (panics after `secs`); all runs then.
async fn wait_for_run(store: &Store, secs: u64, want: impl Fn(&JobRun) -> bool) -> Vec<JobRun> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let runs = purge_runs(store).await;
        if runs.iter().any(&want) {
            return runs;
        }
        assert!(
            Instant::now() < deadline,
            "no such purge run within {secs}s: {runs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_purge_runs_at_once_then_once_per_interval_and_records_each_run() {
    let (settings, _dir) = test_settings(&job_env()).await;
    let (instance, store) = start(&settings).await;
    let runs = wait_for_run(&store, 10, |_| true).await;
    assert_eq!(runs[0].instance, instance.name);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let runs = purge_runs(&store).await;
    assert!(runs.len() >= 2, "{runs:#?}");
    assert!(runs.len() <= 4, "{runs:#?}");
    assert_once_per_interval(&runs);
    for run in runs.iter().filter(|r| r.finished_at.is_some()) {
        assert!(
            run.outcome.as_deref().is_some_and(|o| o.starts_with("ok")),
            "{run:?}"
        );
        assert!(run.finished_at >= Some(run.started_at));
    }
    instance.stop().await;
}

#[tokio::test]
async fn a_new_instance_waits_until_the_last_run_is_one_interval_old() {
    let (settings, _dir) = test_settings(&[
        ("ADVOCATE__OUTBOX__PURGE_INTERVAL_SECS", "4"),
        ("ADVOCATE__JOBS__RETRY_SECS", "1"),
        ("ADVOCATE__JOBS__HEALTH_CHECK_SECS", "1"),
    ])
    .await;
    // A run by an instance that is gone, just now.
    let store = advocate::startup::open_store(&settings)
        .await
        .expect("store");
    let now = chrono::Utc::now().timestamp();
    let id = store
        .job_run_started("purge", "gone-1-000000", now)
        .await
        .expect("recorded");
    store
        .job_run_finished(id, now, "ok")
        .await
        .expect("recorded");
    let (instance, store) = start(&settings).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(purge_runs(&store).await.len(), 1, "ran before the interval");
    let runs = wait_for_run(&store, 10, |r| r.instance == instance.name).await;
    assert!(runs[1].started_at - runs[0].started_at >= 4, "{runs:#?}");
    instance.stop().await;
}

/// The PostgreSQL backend process holding the purge's advisory lock, if any.
async fn lock_holder(conn: &mut sqlx::PgConnection) -> Option<i32> {
    let key = advocate::jobs::Job::Purge.lock_key();
    sqlx::query_scalar(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         AND classid = ($1 >> 32)::oid AND objid = ($1 & 4294967295)::oid",
    )
    .bind(key)
    .fetch_optional(conn)
    .await
    .expect("pg_locks")
}

#[tokio::test]
async fn two_instances_on_postgresql_purge_once_per_interval_and_one_takes_over_when_the_other_stops(
) {
    if backend() != "postgres" {
        return;
    }
    let (settings, _dir) = test_settings(&job_env()).await;
    let (a, store) = start(&settings).await;
    let (b, _) = start(&settings).await;
    wait_for_run(&store, 15, |_| true).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let runs = purge_runs(&store).await;
    assert!(runs.len() >= 2, "{runs:#?}");
    assert_once_per_interval(&runs);
    let holder = runs[0].instance.clone();
    assert!(
        runs.iter().all(|r| r.instance == holder),
        "one instance holds the job: {runs:#?}"
    );
    let (stopped, other) = if holder == a.name { (a, b) } else { (b, a) };
    let other_name = other.name.clone();
    let stopped_at = Instant::now();
    stopped.stop().await;
    let runs = wait_for_run(&store, 30, |r| r.instance == other_name).await;
    assert!(
        stopped_at.elapsed() < Duration::from_secs(60),
        "taken over within a minute"
    );
    assert_once_per_interval(&runs);
    other.stop().await;
}

#[tokio::test]
async fn a_terminated_lock_connection_stops_the_job_and_an_instance_takes_it_again() {
    if backend() != "postgres" {
        return;
    }
    let (settings, _dir) = test_settings(&job_env()).await;
    let db_url = secrecy::ExposeSecret::expose_secret(&settings.database.url).to_string();
    let (a, store) = start(&settings).await;
    let (b, _) = start(&settings).await;
    wait_for_run(&store, 15, |_| true).await;
    let mut admin = sqlx::PgConnection::connect(&db_url).await.expect("connect");
    let pid = lock_holder(&mut admin).await.expect("a holder");
    let terminated: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .fetch_one(&mut admin)
        .await
        .expect("terminate");
    assert!(terminated);
    let cut = chrono::Utc::now().timestamp();
    // The lock is taken again on another connection, and the purge goes on.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match lock_holder(&mut admin).await {
            Some(now) if now != pid => break,
            _ => {
                assert!(Instant::now() < deadline, "nobody took the job again");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    let runs = wait_for_run(&store, 30, |r| r.started_at > cut).await;
    assert_once_per_interval(&runs);
    a.stop().await;
    b.stop().await;
}

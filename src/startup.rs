//! Building and running the HTTP server.

use crate::civic::Locator;
use crate::config::{redact_url, Settings};
use crate::jobs::{DirectoryGate, DirectorySync, Singleton};
use crate::outbox::{DeliveryCaps, Mailer, Outbox, Purger, Worker};
use crate::scorecard;
use crate::store::Store;
use crate::web::{self, AppState};
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{from_fn, DefaultHeaders, Next};
use actix_web::{App, HttpMessage, HttpServer};
use anyhow::Context;
use secrecy::ExposeSecret;
use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tracing_actix_web::{RequestId, TracingLogger};

/// A bound, ready-to-run server, with the tasks that run beside it (the singleton jobs — the
/// retention purge and the directory sync — and the delivery worker when one runs in process).
pub struct Application {
    port: u16,
    server: Server,
    store: Store,
    background: Vec<Background>,
    instance: Arc<str>,
}

/// A task running beside the server on its own tokio task until asked to stop.
pub struct Background {
    what: &'static str,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    /// How long to let it finish what it has in hand.
    grace: Duration,
}

impl Background {
    /// Starts `run` on its own task; the receiver it is given turns true when it should stop.
    pub fn spawn<F, Fut>(what: &'static str, grace: Duration, run: F) -> Background
    where
        F: FnOnce(watch::Receiver<bool>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(stopped));
        Background {
            what,
            stop,
            task,
            grace,
        }
    }

    /// The delivery worker, given `worker_grace` to finish the sends in hand.
    pub fn worker(worker: Worker, settings: &Settings) -> Background {
        Background::spawn("the delivery worker", worker_grace(settings), |stop| {
            worker.run(stop)
        })
    }

    /// The retention purge, every `outbox.purge_interval_secs`, in one instance at a time.
    pub fn purge(store: Store, settings: &Settings, instance: Arc<str>) -> Background {
        let purger = Arc::new(Purger::new(store.clone(), &settings.outbox));
        let job = Singleton::new(store, instance, &settings.jobs, purger);
        // A purge is a few statements: it stops at once or not at all.
        Background::spawn("the purge", Duration::from_secs(5), |stop| job.run(stop))
    }

    /// The directory sync (on an empty directory, every `directory.resync_days`, and when staff
    /// ask), in one instance at a time.
    pub fn directory_sync(store: Store, settings: &Settings, instance: Arc<str>) -> Background {
        let sync = Arc::new(DirectorySync::new(store.clone(), &settings.directory));
        let job = Singleton::new(store, instance, &settings.jobs, sync);
        // A sync stopped half way stores nothing (it is all or nothing).
        Background::spawn("the directory sync", Duration::from_secs(5), |stop| {
            job.run(stop)
        })
    }

    /// The poll of the campaigns' revisions that keeps in-memory copies fresh.
    pub fn fresh(versions: Arc<crate::fresh::Versions>, store: Store) -> Background {
        Background::spawn(
            "the revision poll",
            Duration::from_secs(2),
            |stop| async move { versions.watch(store, stop).await },
        )
    }

    /// Asks the task to stop and waits (bounded) for it to finish.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(self.grace, &mut task).await.is_err() {
            // A worker's claims expire and are taken again.
            tracing::warn!("{} did not stop in time and was stopped", self.what);
            task.abort();
        }
    }

    /// Stops every task in `tasks`, all at once.
    pub async fn shutdown_all(tasks: Vec<Background>) {
        futures_util::future::join_all(tasks.into_iter().map(Background::shutdown)).await;
    }
}

/// The delivery worker for `settings`, if sending is configured.
pub fn delivery_worker(
    settings: &Settings,
    store: Store,
    wake: Arc<Notify>,
) -> anyhow::Result<Option<Worker>> {
    let Some(mailer) =
        Mailer::from_settings(&settings.smtp).map_err(|e| anyhow::anyhow!("smtp.url: {e}"))?
    else {
        return Ok(None);
    };
    let from = settings
        .smtp
        .from_address
        .clone()
        .context("smtp.from_address: is required with smtp.url")?;
    Ok(Some(Worker::new(
        store,
        mailer,
        from,
        settings.outbox.clone(),
        DeliveryCaps::from_settings(&settings.limits),
        wake,
    )))
}

/// Time a stopping worker gets to finish the sends in hand.
pub fn worker_grace(settings: &Settings) -> Duration {
    Duration::from_secs(settings.smtp.timeout_secs + 5)
}

impl Application {
    /// Connects and migrates the database, seeds it when empty, and binds the listener
    /// (port 0 picks a free port, as tests do).
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        // The process's metrics recorder (one for every application in the process).
        crate::meters::handle();
        let store = open_store(&settings).await?;
        seed_if_empty(&store, &settings).await?;
        crate::messages::seed_templates(&store)
            .await
            .context("cannot seed the message templates")?;
        let listener = TcpListener::bind(settings.server.bind)
            .with_context(|| format!("cannot listen on {}", settings.server.bind))?;
        let port = listener.local_addr()?.port();
        let locator = Arc::new(Locator::new(&settings.civic, store.clone())?);
        let wake = Arc::new(Notify::new());
        let versions = Arc::new(crate::fresh::Versions::default());
        let instance: Arc<str> = crate::jobs::instance_id().into();
        if settings.directory.sync_on_start && store.directory_status().await?.is_none() {
            tracing::info!(
                "the legislator directory is empty: loading it in the background \
                 (lookups answer 503 until it is there)"
            );
        }
        let mut background = vec![
            Background::purge(store.clone(), &settings, instance.clone()),
            Background::directory_sync(store.clone(), &settings, instance.clone()),
            Background::fresh(versions.clone(), store.clone()),
        ];
        if settings.outbox.worker {
            if let Some(worker) = delivery_worker(&settings, store.clone(), wake.clone())? {
                background.push(Background::worker(worker, &settings));
            }
        }
        if !settings.smtp.enabled() {
            tracing::info!("smtp.url is empty: sending through the service is off (drafts only)");
        }
        let server = run(listener, store.clone(), locator, wake, versions, settings)?;
        Ok(Application {
            port,
            server,
            store,
            background,
            instance,
        })
    }

    /// This instance's name in `job_runs.instance`.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// A handle that stops the server (as SIGTERM does): `run_until_stopped` then stops the
    /// tasks beside it and returns.
    pub fn stop_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Serves until SIGINT/SIGTERM, then lets requests in flight finish, the worker finish the
    /// sends in hand, and the purge stop.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        Background::shutdown_all(self.background).await;
        served
    }
}

/// Connects to the configured database and applies migrations.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let url = settings.database.url.expose_secret();
    let store = Store::connect(&settings.database)
        .await
        .with_context(|| format!("cannot open database {}", redact_url(url)))?;
    store
        .migrate()
        .await
        .context("cannot migrate the database")?;
    tracing::info!(backend = store.backend(), "database ready");
    Ok(store)
}

/// Imports the seed campaign into an empty database; an existing database is left alone.
pub async fn seed_if_empty(store: &Store, settings: &Settings) -> anyhow::Result<()> {
    if store.has_campaigns().await? {
        return Ok(());
    }
    let doc =
        scorecard::seed(&settings.campaign.seed_file).context("cannot read the seed campaign")?;
    let report = match store
        .import_campaign_by(&doc, &crate::store::ImportBy::seed())
        .await
    {
        Ok(report) => report,
        // Several instances started at once on one empty database: one of them seeded it (the
        // import is all or nothing, so the losers wrote nothing).
        Err(err) if store.has_campaigns().await.unwrap_or(false) => {
            tracing::info!(error = %err, "another instance seeded the database meanwhile");
            return Ok(());
        }
        Err(err) => return Err(err.into()),
    };
    tracing::info!(
        campaign = %report.slug,
        states = report.states,
        bills = report.bills,
        "seeded an empty database"
    );
    Ok(())
}

fn run(
    listener: TcpListener,
    store: Store,
    locator: Arc<Locator>,
    wake: Arc<Notify>,
    versions: Arc<crate::fresh::Versions>,
    settings: Settings,
) -> anyhow::Result<Server> {
    let settings = Arc::new(settings);
    let limits = Arc::new(crate::limits::Limits::new(store.clone(), &settings));
    let outbox = Arc::new(Outbox::with_limits(
        store.clone(),
        settings.clone(),
        wake,
        limits.clone(),
    ));
    let max_body = settings.server.max_body_bytes;
    let shutdown = settings.server.shutdown_timeout_secs;
    let hsts = settings.server.public_url.scheme() == "https";
    let campaigns = Arc::new(scorecard::CampaignCache::new(versions.clone()));
    let templates = Arc::new(crate::messages::TemplateCache::new(versions));
    let caches = crate::messages::FlowCaches {
        campaigns: campaigns.clone(),
        templates: templates.clone(),
        directory: Arc::new(DirectoryGate::new(&settings.directory)),
    };
    let flow = crate::messages::Flow::new(
        store.clone(),
        locator.clone(),
        limits,
        outbox.clone(),
        caches,
    );
    let staff = crate::staff::Staff::new(store.clone(), &settings);
    let letters = crate::staff::Letters::from_settings(&settings).map_err(anyhow::Error::msg)?;
    let state = actix_web::web::Data::new(AppState {
        store,
        settings: settings.clone(),
        locator,
        campaigns,
        templates,
        outbox,
        flow,
        staff,
        letters,
    });
    let server = HttpServer::new(move || {
        let mut headers = DefaultHeaders::new()
            .add((
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; \
                 object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            ))
            .add(("X-Content-Type-Options", "nosniff"))
            .add(("X-Frame-Options", "DENY"))
            .add(("Referrer-Policy", "no-referrer"))
            .add(("Cross-Origin-Opener-Policy", "same-origin"))
            .add((
                "Permissions-Policy",
                "geolocation=(), camera=(), microphone=(), interest-cohort=()",
            ));
        if hsts {
            headers = headers.add(("Strict-Transport-Security", "max-age=31536000"));
        }
        App::new()
            .app_data(state.clone())
            .wrap(from_fn(web::metrics::track))
            .wrap(headers)
            .wrap(from_fn(request_id_header))
            .wrap(TracingLogger::<crate::telemetry::RouteSpan>::new())
            .configure(|cfg| web::configure(cfg, max_body))
    })
    .shutdown_timeout(shutdown)
    .listen(listener)?
    .run();
    Ok(server)
}

/// Echoes the request id that every log line of the request carries, so a supporter's report
/// can be matched to the logs.
async fn request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req.extensions().get::<RequestId>().copied();
    let mut res = next.call(req).await?;
    if let Some(id) = id {
        if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
            res.headers_mut()
                .insert(HeaderName::from_static("x-request-id"), value);
        }
    }
    Ok(res)
}

//! Building and running the HTTP server.

use crate::civic::Locator;
use crate::config::{redact_url, Settings};
use crate::outbox::{Mailer, Outbox, Worker};
use crate::routes::{self, AppState};
use crate::scorecard;
use crate::store::Store;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{from_fn, DefaultHeaders, Next};
use actix_web::{web, App, HttpMessage, HttpServer};
use anyhow::Context;
use secrecy::ExposeSecret;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tracing_actix_web::{RequestId, TracingLogger};

/// A bound, ready-to-run server, with its delivery worker when one runs in process.
pub struct Application {
    port: u16,
    server: Server,
    store: Store,
    worker: Option<RunningWorker>,
}

/// A delivery worker running on its own task.
pub struct RunningWorker {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    /// How long to let it finish the sends in hand.
    grace: Duration,
}

impl RunningWorker {
    /// Starts `worker` on its own task.
    pub fn spawn(worker: Worker, grace: Duration) -> RunningWorker {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(worker.run(stopped));
        RunningWorker { stop, task, grace }
    }

    /// Asks the worker to stop and waits (bounded) for the sends in hand to finish.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(self.grace, &mut task).await.is_err() {
            tracing::warn!("the delivery worker did not stop in time; its claims will expire");
            task.abort();
        }
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
    let from = crate::outbox::mail::check_from(&settings.smtp.from_address)
        .map_err(|e| anyhow::anyhow!("smtp.from_address: {e}"))?;
    Ok(Some(Worker::new(
        store,
        mailer,
        from,
        settings.outbox.clone(),
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
        let store = open_store(&settings).await?;
        seed_if_empty(&store, &settings).await?;
        crate::messages::seed_templates(&store)
            .await
            .context("cannot seed the message templates")?;
        let listener = TcpListener::bind(settings.bind_addr()?)
            .with_context(|| format!("cannot listen on {}", settings.server.bind))?;
        let port = listener.local_addr()?.port();
        let locator = Arc::new(Locator::new(&settings.civic, store.clone())?);
        let wake = Arc::new(Notify::new());
        let worker = if settings.outbox.worker {
            delivery_worker(&settings, store.clone(), wake.clone())?
                .map(|w| RunningWorker::spawn(w, worker_grace(&settings)))
        } else {
            None
        };
        if !settings.smtp.enabled() {
            tracing::info!("smtp.url is empty: sending through the service is off (drafts only)");
        }
        let server = run(listener, store.clone(), locator, wake, settings)?;
        Ok(Application {
            port,
            server,
            store,
            worker,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Serves until SIGINT/SIGTERM, then lets requests in flight finish and the worker finish
    /// the sends in hand.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        if let Some(worker) = self.worker {
            worker.shutdown().await;
        }
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
    let report = store.import_campaign(&doc).await?;
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
    settings: Settings,
) -> anyhow::Result<Server> {
    let settings = Arc::new(settings);
    let outbox = Arc::new(Outbox::new(store.clone(), settings.clone(), wake));
    let max_body = settings.server.max_body_bytes;
    let shutdown = settings.server.shutdown_timeout_secs;
    let hsts = settings.server.public_url.starts_with("https://");
    let state = web::Data::new(AppState {
        store,
        settings: settings.clone(),
        locator,
        limits: crate::limits::Limits::new(settings.limits.lookups_per_minute),
        campaigns: Default::default(),
        outbox,
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
            .app_data(web::PayloadConfig::new(max_body))
            // JSON bodies over `server.max_body_bytes` get 413 with a JSON error like every other
            // API error (actix answers in plain text by default); a content type other than JSON
            // gets 415; other JSON errors keep their status and also answer in JSON.
            .app_data(
                web::JsonConfig::default()
                    .limit(max_body)
                    .error_handler(move |err, _req| {
                        use actix_web::error::JsonPayloadError as E;
                        let status = match &err {
                            // actix says 400; a body that is not JSON at all is 415.
                            E::ContentType => actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                            other => actix_web::ResponseError::status_code(other),
                        };
                        let message = match &err {
                            E::Overflow { .. } | E::OverflowKnownLength { .. } => {
                                format!("the request body is larger than {max_body} bytes")
                            }
                            other => other.to_string(),
                        };
                        let res = crate::error::json_error(status, &message);
                        actix_web::error::InternalError::from_response(err, res).into()
                    }),
            )
            .app_data(web::FormConfig::default().limit(max_body))
            .wrap(headers)
            .wrap(from_fn(request_id_header))
            .wrap(TracingLogger::default())
            .configure(routes::configure)
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

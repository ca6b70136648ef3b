//! The legislator directory in the workspace:
//! - `GET /staff/directory` (any role): where the directory stands (ready, stale, loading,
//!   failed with the reason), the sync job's latest runs, and what the latest syncs changed
//!   (people added, people who left, seats moved);
//! - `POST /staff/directory/sync` (admin): asks for a sync now, run by whichever instance holds
//!   the sync job (all or nothing, like every sync); audited as `directory.sync_requested`.

use super::auth::{Admin, NeedsRole, Organiser, Signed};
use super::view::{self, render, Bar};
use crate::jobs::{directory_state, DirectoryState, Job};
use crate::staff::audit::{action, NewAudit};
use crate::staff::Role;
use crate::store::{DirectoryChange, JobRun};
use crate::web::error::PageError;
use crate::web::respond::see_other;
use crate::web::site::Site;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// Changes shown (the newest).
const CHANGES_SHOWN: u32 = 500;
/// Sync runs shown (the newest).
const RUNS_SHOWN: u32 = 10;

/// One run of the sync job, as the page shows it.
pub struct RunRow {
    pub started: String,
    pub finished: String,
    pub instance: String,
    pub outcome: String,
}

/// One change, as the page shows it.
pub struct ChangeRow {
    pub synced: String,
    pub kind: &'static str,
    pub name: String,
    pub state: String,
    pub chamber: String,
    pub from: String,
    pub to: String,
}

#[derive(Template)]
#[template(path = "staff/directory.html")]
pub struct DirectoryPage {
    pub site: Site,
    pub title: String,
    pub bar: Bar,
    /// ready, stale, loading, failed or empty.
    pub state: &'static str,
    /// One sentence on where the directory stands.
    pub summary: String,
    /// The failed sync's reason, when the directory is not there because of it.
    pub failure: Option<String>,
    pub can_sync: bool,
    /// When an admin's request waits for the job's holder.
    pub requested: Option<String>,
    /// The notice after a request.
    pub notice: Option<String>,
    pub runs: Vec<RunRow>,
    pub changes: Vec<ChangeRow>,
    pub added: usize,
    pub left: usize,
    pub moved: usize,
}

#[derive(Debug, Deserialize)]
pub struct DirectoryQuery {
    requested: Option<String>,
}

fn when(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "?".to_string())
}

fn run_row(run: JobRun) -> RunRow {
    RunRow {
        started: when(run.started_at),
        finished: run.finished_at.map(when).unwrap_or_else(|| "—".to_string()),
        instance: run.instance,
        outcome: run
            .outcome
            .unwrap_or_else(|| "running (or its instance stopped)".into()),
    }
}

fn change_row(c: DirectoryChange) -> ChangeRow {
    let kind = match c.kind.as_str() {
        "added" => "added",
        "left" => "left",
        _ => "moved",
    };
    let chamber = crate::directory::Chamber::parse(&c.chamber)
        .map(|ch| match ch {
            crate::directory::Chamber::StateUpper => "State Senate",
            crate::directory::Chamber::StateLower => "State House",
            crate::directory::Chamber::UsSenate => "U.S. Senate",
            crate::directory::Chamber::UsHouse => "U.S. House",
        })
        .unwrap_or("?")
        .to_string();
    ChangeRow {
        synced: when(c.synced_at),
        kind,
        name: c.name,
        state: c.state,
        chamber,
        from: c.old_district.unwrap_or_default(),
        to: c.new_district.unwrap_or_default(),
    }
}

async fn directory_page<R: NeedsRole>(
    app: &AppState,
    signed: &Signed<R>,
    notice: Option<String>,
) -> Result<HttpResponse, PageError> {
    let job = Job::DirectorySync.name();
    let state = directory_state(&app.store, &app.settings.directory).await?;
    let (summary, failure) = match &state {
        DirectoryState::Ready(s) | DirectoryState::Stale(s) => (
            format!(
                "{} legislators and {} ZIP rows, synced {} UTC from {}.{}",
                s.legislators,
                s.zips,
                s.synced_at.format("%Y-%m-%d %H:%M"),
                s.source,
                if matches!(state, DirectoryState::Stale(_)) {
                    format!(
                        " It is older than {} days (directory.max_age_days): supporters are told it may be out of date.",
                        app.settings.directory.max_age_days
                    )
                } else {
                    String::new()
                }
            ),
            None,
        ),
        DirectoryState::Loading => (
            "The legislator directory is loading: lookups answer \"loading\" until it is there."
                .to_string(),
            None,
        ),
        DirectoryState::Failed { reason, .. } => (
            "The directory could not be loaded; the sync is retried with backoff.".to_string(),
            Some(reason.clone()),
        ),
        DirectoryState::Empty => (
            "There is no legislator directory, and directory.sync_on_start is off: sync it now, \
             or run `advocate directory sync`."
                .to_string(),
            None,
        ),
    };
    let runs = app.store.job_runs(job, RUNS_SHOWN).await?;
    let requested = app.store.job_requested(job).await?.map(when);
    let changes: Vec<ChangeRow> = app
        .store
        .directory_changes(CHANGES_SHOWN)
        .await?
        .into_iter()
        .map(change_row)
        .collect();
    let count = |kind: &str| changes.iter().filter(|c| c.kind == kind).count();
    let view = DirectoryPage {
        site: view::site(app).await,
        title: "Legislator directory".to_string(),
        bar: Bar::of(signed),
        state: state.name(),
        summary,
        failure,
        can_sync: signed.person.role.allows(Role::Admin),
        requested,
        notice,
        runs: runs.into_iter().map(run_row).collect(),
        added: count("added"),
        left: count("left"),
        moved: count("moved"),
        changes,
    };
    Ok(render(StatusCode::OK, &view)?)
}

#[get("/directory")]
pub async fn page(
    app: web::Data<AppState>,
    signed: Signed<Organiser>,
    query: web::Query<DirectoryQuery>,
) -> Result<HttpResponse, PageError> {
    let notice = query.requested.as_deref().map(|_| {
        "A sync is requested: the instance holding the sync job starts it within a few seconds."
            .to_string()
    });
    directory_page(&app, &signed, notice).await
}

#[post("/directory/sync")]
pub async fn sync_now(
    app: web::Data<AppState>,
    signed: Signed<Admin>,
) -> Result<HttpResponse, PageError> {
    let audit = NewAudit::new(
        chrono::Utc::now(),
        signed.origin(),
        action::DIRECTORY_SYNC_REQUESTED,
        "directory",
        "directory sync requested",
    );
    app.store
        .request_job(Job::DirectorySync.name(), &audit)
        .await?;
    tracing::info!("directory sync requested from the workspace");
    Ok(see_other("/staff/directory?requested=1"))
}

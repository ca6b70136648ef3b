//! The staff workspace under `/staff`: its own scope and middleware ([`guard`]), apart from the
//! supporters' site, one file per page:
//! - [`login`]: `GET/POST /staff/login`; [`logout`]: `POST /staff/logout`,
//!   `POST /staff/logout/everywhere`; [`password`]: `GET/POST /staff/password/{token}`;
//! - [`home`]: `GET /staff` (any role);
//! - [`people`]: `GET/POST /staff/people`, `POST /staff/people/{id}/{role,disable,enable,
//!   password-link,totp/reset}`, `POST /staff/people/second-factor` (admin);
//! - [`tokens`]: `GET/POST /staff/tokens`, `POST /staff/tokens/{id}/revoke` (admin);
//! - [`audit`]: `GET /staff/audit` (admin);
//! - [`campaign_file`]: `GET/POST /staff/campaigns/{slug}/file`, `GET .../file/download`: the
//!   campaign file downloaded and uploaded (admin);
//! - [`scorecards`]: `/staff/campaigns/{slug}/scorecards[/{state}[/history]]` (any role reads;
//!   editors save, preview and restore);
//! - [`counter`]: `GET/POST /staff/campaigns/{slug}/counter`: the public counter, its badge
//!   and the campaign's goal (any role reads; editors set the goal);
//! - [`caps`]: `GET/POST /staff/campaigns/{slug}/caps`, `POST .../caps/remove`: the hourly
//!   delivery cap per office, the campaign's default and offices of their own (any role reads;
//!   editors set and remove);
//! - [`directory`]: `GET /staff/directory`: the legislator directory's state, its syncs and
//!   what they changed (any role); `POST /staff/directory/sync`: sync now (admin);
//! - [`totp`]: `GET /staff/totp`, `POST /staff/totp/begin`, `POST /staff/totp` (any role);
//! - [`templates`]: the message template editor under `/staff/campaigns/{slug}/templates`
//!   (any role reads, editors change);
//! - [`reach`]: `GET /staff/reach`, `GET /staff/campaigns/{slug}/reach` and
//!   `GET .../reach/legislators/{id}`: the reach dashboard and delivery health (any role).
//! - [`reach_export`]: `GET /staff/campaigns/{slug}/reach/{group}.csv` and
//!   `GET .../reach/health/{table}.csv`, the reach and delivery health tables as CSV (organisers
//!   and up).
//!
//! Who may do what is in each handler's signature ([`auth::Signed`]); the middleware finds the
//! session once per request and refuses every unsafe request that fails the [`csrf`] checks
//! before a handler runs. Every staff response is never cached, never indexed, never framed.

pub mod audit;
pub mod auth;
pub mod campaign_file;
pub mod caps;
pub mod counter;
pub mod csrf;
pub mod directory;
pub mod home;
pub mod login;
pub mod logout;
mod multipart;
pub mod password;
pub mod people;
pub mod reach;
pub mod reach_export;
pub mod scorecard_form;
pub mod scorecards;
pub mod templates;
pub mod tokens;
pub mod totp;
mod view;

use crate::web::error::{PageError, Problem};
use crate::web::respond::see_other;
use crate::web::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue, CACHE_CONTROL};
use actix_web::http::StatusCode;
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpMessage, HttpResponse, ResponseError};
use auth::{forbidden_page, Cookies, SignedIn};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/staff")
            .wrap(from_fn(guard))
            .service(campaign_file::resource())
            .service(campaign_file::download)
            .service(home::page)
            .service(login::page)
            .service(login::submit)
            .service(logout::here)
            .service(logout::everywhere)
            .service(password::page)
            .service(password::submit)
            .service(people::page)
            .service(people::invite)
            .service(people::require_totp)
            .service(people::set_role)
            .service(people::disable)
            .service(people::enable)
            .service(people::password_link)
            .service(people::reset_totp)
            .service(tokens::page)
            .service(tokens::create)
            .service(tokens::revoke)
            .service(audit::page)
            .service(reach_export::download)
            .service(reach_export::health)
            .service(scorecards::home)
            .service(scorecards::list)
            .service(scorecards::page)
            .service(scorecards::submit)
            .service(scorecards::history)
            .service(scorecards::restore)
            .service(counter::page)
            .service(counter::set_goal)
            .service(caps::page)
            .service(caps::set)
            .service(caps::remove)
            .service(directory::page)
            .service(directory::sync_now)
            .service(totp::page)
            .service(totp::begin)
            .service(totp::confirm)
            .service(reach::default_campaign)
            .service(reach::dashboard)
            .service(reach::legislator)
            .service(templates::default_campaign)
            .service(templates::list)
            .service(templates::edit::page)
            .service(templates::edit::submit)
            .service(templates::history::page)
            .service(templates::history::restore),
    );
}

/// The staff area's own middleware: finds the session (kept in the request for the
/// extractors), refuses unsafe requests that fail the CSRF checks, and marks every response
/// private to the person signed in.
async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(app) = req.app_data::<web::Data<AppState>>().cloned() else {
        let res = PageError::internal("no application state").error_response();
        return Ok(private(req.into_response(res)));
    };
    let cookies = Cookies::for_settings(&app.settings);
    let found = match req.cookie(cookies.session_name()) {
        Some(cookie) => match app.staff.authenticate_session(cookie.value()).await {
            Ok(found) => found.map(|(person, session)| SignedIn { person, session }),
            Err(err) => {
                let res = PageError::from(err).error_response();
                return Ok(private(req.into_response(res)));
            }
        },
        None => None,
    };
    req.extensions_mut().insert(found.clone());
    if csrf::is_unsafe(req.method()) {
        if let Some(refusal) = refuse_unsafe(&mut req, &app, cookies, found.as_ref()).await {
            return Ok(private(req.into_response(refusal)));
        }
    }
    let res = next.call(req).await?.map_into_boxed_body();
    Ok(private(res))
}

/// The answer to an unsafe request that must not go on, or `None` when it may.
async fn refuse_unsafe(
    req: &mut ServiceRequest,
    app: &AppState,
    cookies: Cookies,
    found: Option<&SignedIn>,
) -> Option<HttpResponse> {
    let origin = app
        .settings
        .server
        .public_url
        .origin()
        .ascii_serialization();
    if csrf::too_large(req.headers()) {
        let too_large = Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The upload is too large, so nothing was changed.",
        );
        return Some(PageError::from(too_large).error_response());
    }
    if !csrf::same_origin(req.headers(), &origin) {
        tracing::info!(reason = "origin", "staff request refused");
        return Some(csrf_refusal());
    }
    let expected = if csrf::is_pre_session(req.path()) {
        req.cookie(cookies.pre_session_name())
            .map(|c| c.value().to_string())
    } else {
        match found {
            Some(signed) => Some(signed.session.csrf_token.clone()),
            // Nothing to protect without a session: sign in first.
            None => return Some(see_other(auth::LOGIN_PATH)),
        }
    };
    let presented = csrf::presented(req).await;
    match (expected, presented) {
        (Some(e), Some(p)) if csrf::tokens_match(&e, &p) => None,
        _ => {
            tracing::info!(reason = "token", "staff request refused");
            Some(csrf_refusal())
        }
    }
}

fn csrf_refusal() -> HttpResponse {
    forbidden_page(
        "This form has expired or did not come from this site, so nothing was changed. \
         Go back, reload the page and try again.",
    )
    .error_response()
}

/// Marks a staff response private: never stored, never indexed.
fn private(mut res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let headers = res.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
    res
}

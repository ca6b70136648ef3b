//! The signed-in person's second factor: `GET /staff/totp` (its state, and a button to set one
//! up), `POST /staff/totp/begin` (a fresh secret, shown once, and the form for the app's code),
//! `POST /staff/totp` (confirms the code; from then on sign-in asks for one). When an admin
//! requires a second factor, a person without one is sent here from every other page.

use super::auth::{Organiser, Signed};
use super::view::{self, render, Bar};
use crate::web::error::{PageError, Problem};
use crate::web::respond::see_other;
use crate::web::site::Site;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use secrecy::ExposeSecret;
use serde::Deserialize;

/// Where a session that must enrol a second factor is sent.
pub const TOTP_PATH: &str = "/staff/totp";

#[derive(Template)]
#[template(path = "staff/totp.html")]
pub struct TotpPage {
    pub site: Site,
    pub title: String,
    pub bar: Bar,
    pub enabled: bool,
    /// An admin requires a second factor and this person has none yet.
    pub required: bool,
    /// The secret being set up (shown once, after "begin"), and its `otpauth://` URL.
    pub secret: Option<(String, String)>,
    /// Whether the code form shows (a setup is pending).
    pub pending: bool,
    pub error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

fn base(app_site: Site, signed: &Signed<Organiser>) -> TotpPage {
    TotpPage {
        site: app_site,
        title: "Second factor".to_string(),
        bar: Bar::of(signed),
        enabled: signed.person.totp_enabled,
        required: signed.session.must_enrol_totp,
        secret: None,
        pending: false,
        error: None,
    }
}

#[get("/totp")]
pub async fn page(
    app: web::Data<AppState>,
    signed: Signed<Organiser>,
) -> Result<HttpResponse, PageError> {
    let view = base(view::site(&app).await, &signed);
    Ok(render(StatusCode::OK, &view)?)
}

#[post("/totp/begin")]
pub async fn begin(
    app: web::Data<AppState>,
    signed: Signed<Organiser>,
) -> Result<HttpResponse, PageError> {
    let enrolment = app.staff.begin_totp(&signed.person).await?;
    let view = TotpPage {
        secret: Some((
            enrolment.secret_base32.expose_secret().to_string(),
            enrolment.otpauth_url.expose_secret().to_string(),
        )),
        pending: true,
        ..base(view::site(&app).await, &signed)
    };
    Ok(render(StatusCode::OK, &view)?)
}

#[post("/totp")]
pub async fn confirm(
    app: web::Data<AppState>,
    signed: Signed<Organiser>,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, PageError> {
    match app
        .staff
        .enable_totp(signed.client.0, signed.person.id, form.code.trim())
        .await
    {
        Ok(()) => Ok(see_other("/staff")),
        Err(err) => {
            let problem = Problem::from(err);
            if problem.status.is_server_error() {
                return Err(problem.into());
            }
            let view = TotpPage {
                pending: problem.status == StatusCode::UNPROCESSABLE_ENTITY,
                error: problem.message,
                ..base(view::site(&app).await, &signed)
            };
            Ok(render(problem.status, &view)?)
        }
    }
}

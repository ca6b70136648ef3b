//! `GET /staff/login`: the sign-in form (email, password, an optional authenticator code, the
//! pre-session CSRF token); `POST /staff/login`: signs in and starts a new session (any
//! session the browser held ends: no fixation), or answers with one generic message, asking
//! for the code when the account has a second factor, or saying when to retry when throttled.

use super::auth::{Cookies, SignedIn};
use super::csrf;
use super::view::{self, render, see_other_setting};
use crate::staff::LoginError;
use crate::web::error::PageError;
use crate::web::extract::ClientAddr;
use crate::web::site::Site;
use crate::web::AppState;
use actix_web::http::header::RETRY_AFTER;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "staff/login.html")]
pub struct LoginPage {
    pub site: Site,
    pub title: String,
    pub csrf_token: String,
    /// The email typed before (never the password).
    pub email: String,
    /// Show the authenticator code field as needed.
    pub ask_totp: bool,
    pub error: Option<String>,
}

/// The posted form. No `Debug`: it holds the password.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp: Option<String>,
}

#[get("/login")]
pub async fn page(app: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let cookies = Cookies::for_settings(&app.settings);
    let token = csrf::pre_session_token(&req, cookies);
    let view = LoginPage {
        site: view::site(&app).await,
        title: "Staff sign-in".to_string(),
        csrf_token: token.clone(),
        email: String::new(),
        ask_totp: false,
        error: None,
    };
    let mut res = render(StatusCode::OK, &view)?;
    res.add_cookie(&cookies.pre_session(&token))
        .map_err(|_| PageError::internal("cookie"))?;
    Ok(res)
}

#[post("/login")]
pub async fn submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    client: ClientAddr,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let cookies = Cookies::for_settings(&app.settings);
    let totp = form
        .totp
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let outcome = app
        .staff
        .login(
            form.email.trim(),
            SecretString::from(form.password),
            totp,
            client.0,
        )
        .await;
    let new = match outcome {
        Ok(new) => new,
        Err(err) => {
            let refusal = refusal(err, totp.is_some())?;
            return refused(&app, &req, cookies, &form.email, refusal).await;
        }
    };
    // The browser's old session (if any) ends: the new one replaces it.
    let old = req
        .extensions()
        .get::<Option<SignedIn>>()
        .cloned()
        .flatten();
    if let Some(old) = old {
        app.staff.sign_out(client.0, &old.session).await?;
    }
    let set = [
        cookies.session(new.token.expose()),
        cookies.end_pre_session(),
    ];
    Ok(see_other_setting("/staff", &set))
}

/// Why a sign-in failed, as the form shows it.
struct Refusal {
    status: StatusCode,
    message: String,
    ask_totp: bool,
    /// Seconds until a throttled client may try again.
    retry_after: Option<i64>,
}

/// One generic message for a wrong email, password or code; when to retry when throttled.
fn refusal(err: LoginError, totp_sent: bool) -> Result<Refusal, crate::store::StoreError> {
    let refusal = |status, message: String, ask_totp, retry_after| Refusal {
        status,
        message,
        ask_totp,
        retry_after,
    };
    Ok(match err {
        LoginError::Failed => refusal(StatusCode::UNAUTHORIZED, err.to_string(), totp_sent, None),
        LoginError::TotpRequired => refusal(StatusCode::UNAUTHORIZED, err.to_string(), true, None),
        LoginError::Throttled { until } => {
            let wait = (until - chrono::Utc::now()).num_seconds().max(1);
            let message = format!(
                "Too many failed attempts. Please try again after {} UTC.",
                until.format("%H:%M:%S")
            );
            refusal(StatusCode::TOO_MANY_REQUESTS, message, false, Some(wait))
        }
        LoginError::Store(e) => return Err(e),
    })
}

/// The sign-in form again, with why it failed.
async fn refused(
    app: &AppState,
    req: &HttpRequest,
    cookies: Cookies,
    email: &str,
    refusal: Refusal,
) -> Result<HttpResponse, PageError> {
    let view = LoginPage {
        site: view::site(app).await,
        title: "Staff sign-in".to_string(),
        csrf_token: csrf::pre_session_token(req, cookies),
        email: email.trim().chars().take(254).collect(),
        ask_totp: refusal.ask_totp,
        error: Some(refusal.message),
    };
    let mut res = render(refusal.status, &view)?;
    if let Some(wait) = refusal.retry_after {
        if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&wait.to_string()) {
            res.headers_mut().insert(RETRY_AFTER, v);
        }
    }
    Ok(res)
}

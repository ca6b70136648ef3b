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
    let (status, error, ask_totp, retry_after) = match outcome {
        Ok(new) => {
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
            return Ok(see_other_setting("/staff", &set));
        }
        Err(LoginError::Failed) => (
            StatusCode::UNAUTHORIZED,
            LoginError::Failed.to_string(),
            totp.is_some(),
            None,
        ),
        Err(e @ LoginError::TotpRequired) => (StatusCode::UNAUTHORIZED, e.to_string(), true, None),
        Err(LoginError::Throttled { until }) => {
            let wait = (until - chrono::Utc::now()).num_seconds().max(1);
            let message = format!(
                "Too many failed attempts. Please try again after {} UTC.",
                until.format("%H:%M:%S")
            );
            (StatusCode::TOO_MANY_REQUESTS, message, false, Some(wait))
        }
        Err(LoginError::Store(e)) => return Err(e.into()),
    };
    let view = LoginPage {
        site: view::site(&app).await,
        title: "Staff sign-in".to_string(),
        csrf_token: csrf::pre_session_token(&req, cookies),
        email: form.email.trim().chars().take(254).collect(),
        ask_totp,
        error: Some(error),
    };
    let mut res = render(status, &view)?;
    if let Some(wait) = retry_after {
        if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&wait.to_string()) {
            res.headers_mut().insert(RETRY_AFTER, v);
        }
    }
    Ok(res)
}

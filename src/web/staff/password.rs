//! `GET /staff/password/{token}`: the form that sets a password from a one-time link (made by
//! `advocate staff add` or an admin's invitation); `POST` sets it (policy errors shown on the
//! form) and uses the link up.

use super::auth::Cookies;
use super::csrf;
use super::view::{self, render};
use crate::staff::SetPasswordError;
use crate::web::error::PageError;
use crate::web::extract::ClientAddr;
use crate::web::site::Site;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "staff/password.html")]
pub struct PasswordPage {
    pub site: Site,
    pub title: String,
    pub email: String,
    pub action: String,
    pub csrf_token: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/password_set.html")]
pub struct PasswordSetPage {
    pub site: Site,
    pub title: String,
    pub email: String,
}

/// The posted form. No `Debug`: it holds the password.
#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

const TITLE: &str = "Set your password";

async fn form_page(
    app: &AppState,
    req: &HttpRequest,
    token: &str,
    status: StatusCode,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let person = app.staff.check_password_link(token).await?;
    let cookies = Cookies::for_settings(&app.settings);
    let csrf_token = csrf::pre_session_token(req, cookies);
    let view = PasswordPage {
        site: view::site(app).await,
        title: TITLE.to_string(),
        email: person.email,
        action: format!("/staff/password/{token}"),
        csrf_token: csrf_token.clone(),
        error,
    };
    let mut res = render(status, &view)?;
    res.add_cookie(&cookies.pre_session(&csrf_token))
        .map_err(|_| PageError::internal("cookie"))?;
    Ok(res)
}

#[get("/password/{token}")]
pub async fn page(
    app: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    form_page(&app, &req, &token, StatusCode::OK, None).await
}

#[post("/password/{token}")]
pub async fn submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    client: ClientAddr,
    token: web::Path<String>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    if form.password != form.confirm {
        let error = "The two passwords are not the same.".to_string();
        return form_page(
            &app,
            &req,
            &token,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(error),
        )
        .await;
    }
    match app
        .staff
        .set_password(client.0, &token, SecretString::from(form.password))
        .await
    {
        Ok(person) => {
            let view = PasswordSetPage {
                site: view::site(&app).await,
                title: "Password set".to_string(),
                email: person.email,
            };
            Ok(render(StatusCode::OK, &view)?)
        }
        Err(SetPasswordError::Policy(reason)) => {
            let error = Some(reason.to_string());
            form_page(&app, &req, &token, StatusCode::UNPROCESSABLE_ENTITY, error).await
        }
        Err(e) => Err(e.into()),
    }
}

//! API tokens for scripts (admins only): `GET /staff/tokens` lists every token with its
//! person, last use and state; `POST /staff/tokens` makes one for an enabled person and shows
//! it this once (only its hash is kept); `POST /staff/tokens/{id}/revoke` revokes one at once.
//! A token acts with its person's role (`Authorization: Bearer adv_...`).

use super::auth::{Admin, Signed};
use super::view::{self, render, Bar};
use crate::staff::{ApiToken, Person};
use crate::web::error::{PageError, Problem};
use crate::web::respond::see_other;
use crate::web::site::Site;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::HashMap;

/// One token in the list.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub created: String,
    pub last_used: String,
    pub revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/tokens.html")]
pub struct TokensPage {
    pub site: Site,
    pub title: String,
    pub bar: Bar,
    pub tokens: Vec<TokenRow>,
    /// Enabled people, who may hold a token: (email, selected).
    pub people: Vec<(String, bool)>,
    pub name: String,
    /// The form's error: (field, message).
    pub error: Option<(&'static str, String)>,
    /// A token just made: (name, the token), shown only now.
    pub created: Option<(String, String)>,
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn row(t: ApiToken, emails: &HashMap<i64, String>) -> TokenRow {
    TokenRow {
        id: t.id,
        email: emails.get(&t.person_id).cloned().unwrap_or_default(),
        created: when(t.created_at),
        last_used: t.last_used_at.map(when).unwrap_or_else(|| "never".into()),
        revoked: t.revoked_at.map(when),
        name: t.name,
    }
}

/// What the form shows: the chosen person, the name, and the error.
struct FormState {
    email: String,
    name: String,
    error: Option<(&'static str, String)>,
}

async fn tokens_page(
    app: &AppState,
    signed: &Signed<Admin>,
    status: StatusCode,
    form: FormState,
    created: Option<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let people: Vec<Person> = app.staff.people().await?;
    let emails: HashMap<i64, String> = people.iter().map(|p| (p.id, p.email.clone())).collect();
    let tokens = app
        .staff
        .tokens()
        .await?
        .into_iter()
        .map(|t| row(t, &emails))
        .collect();
    let view = TokensPage {
        site: view::site(app).await,
        title: "API tokens".to_string(),
        bar: Bar::of(signed),
        tokens,
        people: people
            .into_iter()
            .filter(|p| !p.disabled)
            .map(|p| {
                let selected = p.email == form.email;
                (p.email, selected)
            })
            .collect(),
        name: form.name,
        error: form.error,
        created,
    };
    Ok(render(status, &view)?)
}

#[get("/tokens")]
pub async fn page(
    app: web::Data<AppState>,
    signed: Signed<Admin>,
) -> Result<HttpResponse, PageError> {
    let form = FormState {
        email: String::new(),
        name: String::new(),
        error: None,
    };
    tokens_page(&app, &signed, StatusCode::OK, form, None).await
}

#[post("/tokens")]
pub async fn create(
    app: web::Data<AppState>,
    signed: Signed<Admin>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, PageError> {
    let TokenForm { email, name } = form.into_inner();
    let name = name.trim().chars().take(200).collect::<String>();
    match app.staff.create_token(signed.origin(), &email, &name).await {
        Ok((_, token)) => {
            let form = FormState {
                email: String::new(),
                name: String::new(),
                error: None,
            };
            let created = Some((name, token.expose().to_string()));
            tokens_page(&app, &signed, StatusCode::CREATED, form, created).await
        }
        Err(err) => {
            let problem = Problem::from(err);
            if problem.status.is_server_error() || problem.status == StatusCode::FORBIDDEN {
                return Err(problem.into());
            }
            let field = match problem.field.as_deref() {
                Some("name") => "name",
                _ => "email",
            };
            let message = if problem.status == StatusCode::NOT_FOUND {
                "Choose an enabled person.".to_string()
            } else {
                problem.message.unwrap_or_default()
            };
            let form = FormState {
                email,
                name,
                error: Some((field, message)),
            };
            tokens_page(&app, &signed, StatusCode::UNPROCESSABLE_ENTITY, form, None).await
        }
    }
}

#[post("/tokens/{id}/revoke")]
pub async fn revoke(
    app: web::Data<AppState>,
    signed: Signed<Admin>,
    id: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    app.staff
        .revoke_token(signed.origin(), id.into_inner())
        .await?;
    Ok(see_other("/staff/tokens"))
}

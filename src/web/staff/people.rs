//! `GET /staff/people`: everyone with a staff account, the invitation form and a disable
//! button per enabled person; `POST /staff/people`: invites an email address with a role and
//! shows the one-time password link once; `POST /staff/people/{id}/disable`: disables a
//! person (their sessions and tokens end at once). Admins only.

use super::auth::{Admin, Signed};
use super::view::{self, render, Bar};
use crate::staff::{Person, Role};
use crate::web::error::{PageError, Problem};
use crate::web::respond::see_other;
use crate::web::site::Site;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use secrecy::ExposeSecret;
use serde::Deserialize;

/// One person in the list.
#[derive(Debug, Clone)]
pub struct PersonRow {
    pub id: i64,
    pub email: String,
    pub role: &'static str,
    /// "active", "invited" (no password yet) or "disabled".
    pub status: &'static str,
    pub totp: bool,
    /// Whether the disable button shows (enabled, and not the admin themselves).
    pub can_disable: bool,
}

#[derive(Template)]
#[template(path = "staff/people.html")]
pub struct PeoplePage {
    pub site: Site,
    pub title: String,
    pub bar: Bar,
    pub people: Vec<PersonRow>,
    /// The role choices: (value, selected).
    pub roles: Vec<(&'static str, bool)>,
    /// The invitation form's values and error.
    pub email: String,
    pub error: Option<String>,
    /// The invitation just made: its link, shown this once, and when it expires.
    pub invited: Option<Invited>,
}

/// A fresh invitation.
#[derive(Debug, Clone)]
pub struct Invited {
    pub email: String,
    pub link: String,
    pub expires: String,
}

#[derive(Debug, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

fn row(p: Person, me: i64) -> PersonRow {
    PersonRow {
        id: p.id,
        role: p.role.as_str(),
        status: if p.disabled {
            "disabled"
        } else if p.password_set {
            "active"
        } else {
            "invited"
        },
        totp: p.totp_enabled,
        can_disable: !p.disabled && p.id != me,
        email: p.email,
    }
}

async fn people_page(
    app: &AppState,
    signed: &Signed<Admin>,
    status: StatusCode,
    form: (String, String, Option<String>),
    invited: Option<Invited>,
) -> Result<HttpResponse, PageError> {
    let people = app
        .staff
        .people()
        .await?
        .into_iter()
        .map(|p| row(p, signed.person.id))
        .collect();
    let (email, role, error) = form;
    let view = PeoplePage {
        site: view::site(app).await,
        title: "People".to_string(),
        bar: Bar::of(signed),
        people,
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), r.as_str() == role))
            .collect(),
        email,
        error,
        invited,
    };
    Ok(render(status, &view)?)
}

#[get("/people")]
pub async fn page(
    app: web::Data<AppState>,
    signed: Signed<Admin>,
) -> Result<HttpResponse, PageError> {
    let form = (String::new(), Role::Editor.as_str().to_string(), None);
    people_page(&app, &signed, StatusCode::OK, form, None).await
}

#[post("/people")]
pub async fn invite(
    app: web::Data<AppState>,
    signed: Signed<Admin>,
    form: web::Form<InviteForm>,
) -> Result<HttpResponse, PageError> {
    let InviteForm { email, role } = form.into_inner();
    let email = email.trim().chars().take(254).collect::<String>();
    let Some(parsed_role) = Role::parse(&role) else {
        let error = Some("Choose a role: admin, editor or organiser.".to_string());
        let form = (email, String::new(), error);
        return people_page(&app, &signed, StatusCode::UNPROCESSABLE_ENTITY, form, None).await;
    };
    match app.staff.invite(signed.origin(), &email, parsed_role).await {
        Ok(link) => {
            let invited = Invited {
                email: email.to_lowercase(),
                link: link.url.expose_secret().to_string(),
                expires: link.expires_at.format("%-d %B %Y, %H:%M UTC").to_string(),
            };
            let form = (String::new(), Role::Editor.as_str().to_string(), None);
            people_page(&app, &signed, StatusCode::OK, form, Some(invited)).await
        }
        Err(err) => {
            let problem = Problem::from(err);
            if problem.status.is_server_error() {
                return Err(problem.into());
            }
            let form = (email, parsed_role.as_str().to_string(), problem.message);
            people_page(&app, &signed, problem.status, form, None).await
        }
    }
}

#[post("/people/{id}/disable")]
pub async fn disable(
    app: web::Data<AppState>,
    signed: Signed<Admin>,
    id: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    if id == signed.person.id {
        return Err(Problem::invalid("You cannot disable your own account.", None).into());
    }
    let Some(person) = app.store.staff_person(id).await? else {
        return Err(PageError::not_found("No staff member has that id."));
    };
    app.staff
        .disable(signed.origin(), &person.person.email)
        .await?;
    Ok(see_other("/staff/people"))
}

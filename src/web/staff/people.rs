//! The people of the staff workspace (admins only):
//! - `GET /staff/people`: everyone, with what an admin can do to each, the invitation form and
//!   whether a second factor is required of everyone;
//! - `POST /staff/people`: invites an email address with a role; the password link is emailed
//!   when a relay is configured, otherwise (or when the relay fails) shown this once;
//! - `POST /staff/people/{id}/role`, `.../disable`, `.../enable`, `.../password-link` (a new
//!   link, emailed or shown like an invitation), `.../totp/reset`;
//! - `POST /staff/people/second-factor`: require a second factor of everyone, or not.
//!
//! Every change goes through the staff service (audited there) and ends in a 303 back to the
//! list, except those that have a link to show once.

use super::auth::{Admin, Signed};
use super::view::{self, render, Bar};
use crate::staff::{LinkKind, PasswordLink, Person, Role, Sent};
use crate::web::error::{PageError, Problem};
use crate::web::respond::see_other;
use crate::web::site::Site;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use secrecy::ExposeSecret;
use serde::Deserialize;

const PEOPLE_PATH: &str = "/staff/people";

/// One person in the list.
#[derive(Debug, Clone)]
pub struct PersonRow {
    pub id: i64,
    pub email: String,
    pub role: &'static str,
    /// "active", "invited" (no password yet) or "disabled".
    pub status: &'static str,
    pub totp: bool,
    /// Not the admin looking: they cannot disable themselves or change their own role.
    pub is_other: bool,
    pub disabled: bool,
}

#[derive(Template)]
#[template(path = "staff/people.html")]
pub struct PeoplePage {
    pub site: Site,
    pub title: String,
    pub bar: Bar,
    pub people: Vec<PersonRow>,
    /// Every role, for each person's role select.
    pub roles: Vec<&'static str>,
    /// The invitation form's values and error; its roles: (value, selected).
    pub email: String,
    pub invite_roles: Vec<(&'static str, bool)>,
    pub error: Option<String>,
    /// A link just made: emailed, or shown this once.
    pub link: Option<LinkNotice>,
    pub require_totp: bool,
    /// Whether links are emailed (a relay is configured).
    pub emails_links: bool,
}

/// A password link just made, and what became of it.
#[derive(Debug, Clone)]
pub struct LinkNotice {
    pub email: String,
    pub invitation: bool,
    /// The link, when it was not emailed: shown only now.
    pub shown: Option<String>,
    /// Why the email did not go, when it was tried.
    pub failure: Option<String>,
    pub expires: String,
}

/// The invitation form.
#[derive(Debug, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

/// The role form of one person.
#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

/// The second-factor setting form: `require` is `on` or `off`.
#[derive(Debug, Deserialize)]
pub struct RequireForm {
    #[serde(default)]
    require: String,
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
        is_other: p.id != me,
        disabled: p.disabled,
        email: p.email,
    }
}

/// The invitation form as it shows: its values and its error.
struct InviteState {
    email: String,
    role: String,
    error: Option<String>,
}

impl InviteState {
    fn empty() -> InviteState {
        InviteState {
            email: String::new(),
            role: Role::Editor.as_str().to_string(),
            error: None,
        }
    }
}

async fn people_page(
    app: &AppState,
    signed: &Signed<Admin>,
    status: StatusCode,
    form: InviteState,
    link: Option<LinkNotice>,
) -> Result<HttpResponse, PageError> {
    let people = app
        .staff
        .people()
        .await?
        .into_iter()
        .map(|p| row(p, signed.person.id))
        .collect();
    let view = PeoplePage {
        site: view::site(app).await,
        title: "People".to_string(),
        bar: Bar::of(signed),
        people,
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        email: form.email,
        invite_roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), r.as_str() == form.role))
            .collect(),
        error: form.error,
        link,
        require_totp: app.staff.require_totp().await?,
        emails_links: app.letters.enabled(),
    };
    Ok(render(status, &view)?)
}

/// Emails `link` to `email` when a relay is configured; what the page then says.
async fn deliver(app: &AppState, email: &str, link: &PasswordLink, kind: LinkKind) -> LinkNotice {
    let site = view::site(app).await;
    let sent = app
        .letters
        .send_link(email, link, kind, &site.organisation)
        .await;
    let (shown, failure) = match sent {
        Sent::Emailed => (None, None),
        Sent::NoRelay => (Some(link.url.expose_secret().to_string()), None),
        Sent::Failed(reason) => (Some(link.url.expose_secret().to_string()), Some(reason)),
    };
    LinkNotice {
        email: email.to_string(),
        invitation: kind == LinkKind::Invitation,
        shown,
        failure,
        expires: link.expires_at.format("%-d %B %Y, %H:%M UTC").to_string(),
    }
}

/// The person `id` refers to, or the 404 page.
async fn person(app: &AppState, id: i64) -> Result<Person, PageError> {
    match app.store.staff_person(id).await? {
        Some(p) => Ok(p.person),
        None => Err(PageError::not_found("No staff member has that id.")),
    }
}

/// The refusal of an action an admin may not take on their own account.
fn own_account(what: &str) -> PageError {
    Problem::invalid(format!("You cannot {what} your own account."), None).into()
}

#[get("/people")]
pub async fn page(
    app: web::Data<AppState>,
    signed: Signed<Admin>,
) -> Result<HttpResponse, PageError> {
    people_page(&app, &signed, StatusCode::OK, InviteState::empty(), None).await
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
        let form = InviteState {
            email,
            role: String::new(),
            error: Some("Choose a role: admin, editor or organiser.".to_string()),
        };
        return people_page(&app, &signed, StatusCode::UNPROCESSABLE_ENTITY, form, None).await;
    };
    match app.staff.invite(signed.origin(), &email, parsed_role).await {
        Ok(link) => {
            let email = email.to_lowercase();
            let notice = deliver(&app, &email, &link, LinkKind::Invitation).await;
            people_page(
                &app,
                &signed,
                StatusCode::OK,
                InviteState::empty(),
                Some(notice),
            )
            .await
        }
        Err(err) => {
            let problem = Problem::from(err);
            if problem.status.is_server_error() {
                return Err(problem.into());
            }
            let form = InviteState {
                email,
                role: parsed_role.as_str().to_string(),
                error: problem.message,
            };
            people_page(&app, &signed, problem.status, form, None).await
        }
    }
}

#[post("/people/{id}/role")]
pub async fn set_role(
    app: web::Data<AppState>,
    signed: Signed<Admin>,
    id: web::Path<i64>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    if id == signed.person.id {
        return Err(own_account("change the role of"));
    }
    let role = Role::parse(&form.role).ok_or_else(|| {
        Problem::invalid("Choose a role: admin, editor or organiser.", Some("role"))
    })?;
    let person = person(&app, id).await?;
    app.staff
        .set_role(signed.origin(), &person.email, role)
        .await?;
    Ok(see_other(PEOPLE_PATH))
}

#[post("/people/{id}/disable")]
pub async fn disable(
    app: web::Data<AppState>,
    signed: Signed<Admin>,
    id: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    if id == signed.person.id {
        return Err(own_account("disable"));
    }
    let person = person(&app, id).await?;
    app.staff.disable(signed.origin(), &person.email).await?;
    Ok(see_other(PEOPLE_PATH))
}

#[post("/people/{id}/enable")]
pub async fn enable(
    app: web::Data<AppState>,
    signed: Signed<Admin>,
    id: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let person = person(&app, id.into_inner()).await?;
    app.staff.enable(signed.origin(), &person.email).await?;
    Ok(see_other(PEOPLE_PATH))
}

#[post("/people/{id}/password-link")]
pub async fn password_link(
    app: web::Data<AppState>,
    signed: Signed<Admin>,
    id: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let person = person(&app, id.into_inner()).await?;
    let link = app
        .staff
        .new_password_link(signed.origin(), &person.email)
        .await?;
    let kind = if person.password_set {
        LinkKind::Reset
    } else {
        LinkKind::Invitation
    };
    let notice = deliver(&app, &person.email, &link, kind).await;
    people_page(
        &app,
        &signed,
        StatusCode::OK,
        InviteState::empty(),
        Some(notice),
    )
    .await
}

#[post("/people/{id}/totp/reset")]
pub async fn reset_totp(
    app: web::Data<AppState>,
    signed: Signed<Admin>,
    id: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let person = person(&app, id.into_inner()).await?;
    app.staff.reset_totp(signed.origin(), &person.email).await?;
    Ok(see_other(PEOPLE_PATH))
}

#[post("/people/second-factor")]
pub async fn require_totp(
    app: web::Data<AppState>,
    signed: Signed<Admin>,
    form: web::Form<RequireForm>,
) -> Result<HttpResponse, PageError> {
    let on = match form.require.as_str() {
        "on" => true,
        "off" => false,
        _ => return Err(Problem::invalid("Choose on or off.", Some("require")).into()),
    };
    app.staff.set_require_totp(signed.origin(), on).await?;
    Ok(see_other(PEOPLE_PATH))
}

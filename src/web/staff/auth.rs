//! Who is asking, in the staff area, and whether their role suffices.
//!
//! - [`Cookies`]: the session cookie (`advocate_staff`, or `__Host-advocate_staff` with `Secure`
//!   when `server.public_url` is https; always `HttpOnly`, `SameSite=Lax`, `Path=/`) and the
//!   short-lived pre-session CSRF cookie of the sign-in and password forms;
//! - [`Signed<R>`]: a page handler's signed-in person, session and client address, where `R`
//!   ([`Organiser`], [`Editor`], [`Admin`]) is the least role the handler needs, so its
//!   signature states it. No session: 303 to `/staff/login`; a lesser role: the 403 page; a
//!   second factor required (by an admin) and not set up: 303 to `/staff/totp`;
//! - [`Bearer<R>`]: the same for JSON staff APIs, from `Authorization: Bearer adv_...`: 401 (with
//!   `WWW-Authenticate: Bearer`) without a usable token, 403 JSON for a lesser role.

use crate::config::Settings;
use crate::staff::{Actor, ApiToken, Origin, Person, Role, Session};
use crate::store::StoreError;
use crate::web::error::{json_error, ApiError, PageError, Problem};
use crate::web::extract::ClientAddr;
use crate::web::respond::see_other;
use crate::web::AppState;
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use futures_util::future::LocalBoxFuture;
use std::marker::PhantomData;

/// Where a request without a session is sent.
pub const LOGIN_PATH: &str = "/staff/login";

/// How long a pre-session CSRF cookie (sign-in and password forms) lives.
const PRE_SESSION_MINUTES: i64 = 60;

/// The staff cookies of this deployment: names and attributes follow `server.public_url`.
#[derive(Clone, Copy, Debug)]
pub struct Cookies {
    secure: bool,
}

impl Cookies {
    pub fn for_settings(settings: &Settings) -> Cookies {
        Cookies {
            secure: settings.server.public_url.scheme() == "https",
        }
    }

    /// The session cookie's name (`__Host-` prefixed over https, which pins it to this host
    /// and path `/` and requires `Secure`).
    pub fn session_name(self) -> &'static str {
        if self.secure {
            "__Host-advocate_staff"
        } else {
            "advocate_staff"
        }
    }

    /// The pre-session CSRF cookie's name.
    pub fn pre_session_name(self) -> &'static str {
        if self.secure {
            "__Host-advocate_staff_csrf"
        } else {
            "advocate_staff_csrf"
        }
    }

    fn build(self, name: &'static str, value: String) -> Cookie<'static> {
        Cookie::build(name, value)
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .finish()
    }

    /// The session cookie holding `token` (no expiry of its own: the server ends sessions).
    pub fn session(self, token: &str) -> Cookie<'static> {
        self.build(self.session_name(), token.to_string())
    }

    /// A cookie that removes the session cookie.
    pub fn end_session(self) -> Cookie<'static> {
        let mut c = self.build(self.session_name(), String::new());
        c.make_removal();
        c
    }

    /// The pre-session CSRF cookie holding `value`, for an hour.
    pub fn pre_session(self, value: &str) -> Cookie<'static> {
        let mut c = self.build(self.pre_session_name(), value.to_string());
        c.set_max_age(time::Duration::minutes(PRE_SESSION_MINUTES));
        c
    }

    /// A cookie that removes the pre-session CSRF cookie.
    pub fn end_pre_session(self) -> Cookie<'static> {
        let mut c = self.build(self.pre_session_name(), String::new());
        c.make_removal();
        c
    }
}

/// A live session and its person, as the scope's middleware found it (kept in the request's
/// extensions so a request asks the database once).
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub person: Person,
    pub session: Session,
}

/// The request's live session: the one the middleware found, else looked up from the cookie.
pub async fn signed_in(req: &HttpRequest, app: &AppState) -> Result<Option<SignedIn>, StoreError> {
    if let Some(found) = req.extensions().get::<Option<SignedIn>>() {
        return Ok(found.clone());
    }
    let name = Cookies::for_settings(&app.settings).session_name();
    let Some(cookie) = req.cookie(name) else {
        return Ok(None);
    };
    Ok(app
        .staff
        .authenticate_session(cookie.value())
        .await?
        .map(|(person, session)| SignedIn { person, session }))
}

/// The least role a handler needs, as a type.
pub trait NeedsRole {
    const ROLE: Role;
}

/// Any signed-in staff member (organisers hold the least role).
pub struct Organiser;
/// Editors and admins.
pub struct Editor;
/// Admins only.
pub struct Admin;

impl NeedsRole for Organiser {
    const ROLE: Role = Role::Organiser;
}
impl NeedsRole for Editor {
    const ROLE: Role = Role::Editor;
}
impl NeedsRole for Admin {
    const ROLE: Role = Role::Admin;
}

/// Why a page request was refused.
#[derive(Debug)]
pub enum PageRefusal {
    /// No live session: sign in first.
    SignIn,
    /// Signed in with a role that does not suffice.
    Forbidden,
    /// A second factor is required and not set up yet: set it up first.
    EnrolTotp,
    Failed(PageError),
}

/// The pages a session that must set up a second factor may still use.
fn may_skip_totp(path: &str) -> bool {
    path.starts_with("/staff/totp") || path.starts_with("/staff/logout")
}

impl std::fmt::Display for PageRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageRefusal::SignIn => f.write_str("sign in first"),
            PageRefusal::Forbidden => f.write_str("not allowed"),
            PageRefusal::EnrolTotp => f.write_str("set up a second factor first"),
            PageRefusal::Failed(e) => e.fmt(f),
        }
    }
}

/// The 403 page of the staff area.
pub fn forbidden_page(message: &str) -> PageError {
    Problem::new(StatusCode::FORBIDDEN, message).into()
}

impl ResponseError for PageRefusal {
    fn status_code(&self) -> StatusCode {
        match self {
            PageRefusal::SignIn | PageRefusal::EnrolTotp => StatusCode::SEE_OTHER,
            PageRefusal::Forbidden => StatusCode::FORBIDDEN,
            PageRefusal::Failed(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageRefusal::SignIn => see_other(LOGIN_PATH),
            PageRefusal::EnrolTotp => see_other(super::totp::TOTP_PATH),
            PageRefusal::Forbidden => {
                forbidden_page("Your role does not allow this page. Ask an admin if you need it.")
                    .error_response()
            }
            PageRefusal::Failed(e) => e.error_response(),
        }
    }
}

/// Who acts and from where, for the services' audit rows.
fn origin_of(person: &Person, client: ClientAddr) -> Origin {
    Origin {
        actor: Actor::Staff(person.id),
        client_addr: client.0,
    }
}

/// The application state and the client's address, which both extractors start from.
fn state_and_client(req: &HttpRequest) -> (Option<web::Data<AppState>>, ClientAddr) {
    let app = req.app_data::<web::Data<AppState>>().cloned();
    (app, ClientAddr::of(req))
}

/// A signed-in staff member holding at least role `R`, with their session and address.
pub struct Signed<R: NeedsRole> {
    pub person: Person,
    pub session: Session,
    pub client: ClientAddr,
    role: PhantomData<fn() -> R>,
}

impl<R: NeedsRole> Signed<R> {
    /// Who did it and from where, for the services' audit rows.
    pub fn origin(&self) -> Origin {
        origin_of(&self.person, self.client)
    }
}

impl<R: NeedsRole + 'static> FromRequest for Signed<R> {
    type Error = PageRefusal;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        let (app, client) = state_and_client(&req);
        Box::pin(async move {
            let app = app
                .ok_or_else(|| PageRefusal::Failed(PageError::internal("no application state")))?;
            let found = signed_in(&req, &app)
                .await
                .map_err(|e| PageRefusal::Failed(e.into()))?
                .ok_or(PageRefusal::SignIn)?;
            // A second factor required and missing: only its setup and signing out are open.
            if found.session.must_enrol_totp && !may_skip_totp(req.path()) {
                return Err(PageRefusal::EnrolTotp);
            }
            if !found.person.role.allows(R::ROLE) {
                return Err(PageRefusal::Forbidden);
            }
            Ok(Signed {
                person: found.person,
                session: found.session,
                client,
                role: PhantomData,
            })
        })
    }
}

/// Why an API request was refused.
#[derive(Debug)]
pub enum ApiRefusal {
    /// No usable bearer token.
    Unauthenticated,
    /// The token's person lacks the role.
    Forbidden,
    Failed(ApiError),
}

impl std::fmt::Display for ApiRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiRefusal::Unauthenticated => f.write_str("a valid bearer token is required"),
            ApiRefusal::Forbidden => f.write_str("this token's role does not allow this"),
            ApiRefusal::Failed(e) => e.fmt(f),
        }
    }
}

impl ResponseError for ApiRefusal {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiRefusal::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiRefusal::Forbidden => StatusCode::FORBIDDEN,
            ApiRefusal::Failed(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiRefusal::Unauthenticated => {
                let mut res = json_error(StatusCode::UNAUTHORIZED, &self.to_string());
                res.headers_mut().insert(
                    WWW_AUTHENTICATE,
                    actix_web::http::header::HeaderValue::from_static("Bearer"),
                );
                res
            }
            ApiRefusal::Forbidden => json_error(StatusCode::FORBIDDEN, &self.to_string()),
            ApiRefusal::Failed(e) => e.error_response(),
        }
    }
}

/// A staff member acting through an API token (`Authorization: Bearer adv_...`), holding at
/// least role `R`.
pub struct Bearer<R: NeedsRole> {
    pub person: Person,
    pub token: ApiToken,
    pub client: ClientAddr,
    role: PhantomData<fn() -> R>,
}

impl<R: NeedsRole> Bearer<R> {
    /// Who did it and from where, for the services' audit rows.
    pub fn origin(&self) -> Origin {
        origin_of(&self.person, self.client)
    }
}

impl<R: NeedsRole + 'static> FromRequest for Bearer<R> {
    type Error = ApiRefusal;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        let (app, client) = state_and_client(&req);
        Box::pin(async move {
            let app =
                app.ok_or_else(|| ApiRefusal::Failed(ApiError::internal("no application state")))?;
            let header = req
                .headers()
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .ok_or(ApiRefusal::Unauthenticated)?;
            let (person, token) = app
                .staff
                .authenticate_bearer(header)
                .await
                .map_err(|e| ApiRefusal::Failed(e.into()))?
                .ok_or(ApiRefusal::Unauthenticated)?;
            if !person.role.allows(R::ROLE) {
                return Err(ApiRefusal::Forbidden);
            }
            Ok(Bearer {
                person,
                token,
                client,
                role: PhantomData,
            })
        })
    }
}

//! Every domain error mapped, in one place, to what the outside world sees: a [`Problem`]
//! (status, a message safe to show, the field it is about), rendered as JSON for the API
//! ([`ApiError`]) and as a page for browsers ([`PageError`]). Unexpected failures are logged
//! whole (with their cause chain) and shown as a short message.

use super::site::Site;
use crate::civic::{FailureKind, LookupFailure};
use crate::limits::gcra::retry_after_secs;
use crate::limits::TooMany;
use crate::messages::editor::{HistoryError, PreviewError, SaveTemplateError};
use crate::messages::{FlowError, MessageError};
use crate::outbox::SendError;
use crate::scorecard::Campaign;
use crate::staff::{SetPasswordError, StaffError};
use crate::stats::reach::ReachParamError;
use crate::store::StoreError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

/// A failure as users see it.
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    /// Shown as is; `None` for faults of ours, which get the renderer's own wording.
    pub message: Option<String>,
    /// The input field the problem is about (`{"field"}` in the API).
    pub field: Option<String>,
    /// What went wrong, for the log (5xx only).
    cause: Option<anyhow::Error>,
    /// Seconds to announce in `Retry-After` (every 429 has it; a 503 that will pass).
    pub retry_after: Option<u64>,
}

impl Problem {
    /// A problem the user can act on, shown with `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Problem {
        Problem {
            status,
            message: Some(message.into()),
            field: None,
            cause: None,
            retry_after: None,
        }
    }

    /// About the input field `field`.
    pub fn on(mut self, field: impl Into<String>) -> Problem {
        self.field = Some(field.into());
        self
    }

    /// 422 with `message`, about `field` when given.
    pub fn invalid(message: impl Into<String>, field: Option<&str>) -> Problem {
        Problem {
            field: field.map(str::to_string),
            ..Problem::new(StatusCode::UNPROCESSABLE_ENTITY, message)
        }
    }

    /// The database or a provider is down: try again later (503).
    pub fn unavailable(cause: impl Into<anyhow::Error>) -> Problem {
        Problem {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: None,
            field: None,
            cause: Some(cause.into()),
            retry_after: None,
        }
    }

    /// A fault of ours (500).
    pub fn internal(cause: impl Into<anyhow::Error>) -> Problem {
        Problem {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: None,
            field: None,
            cause: Some(cause.into()),
            retry_after: None,
        }
    }

    /// Logs faults of ours with their cause chain (never personal data: messages and field
    /// reasons do not echo input).
    fn log(&self) {
        if !self.status.is_server_error() {
            return;
        }
        match &self.cause {
            Some(cause) => tracing::error!(
                status = self.status.as_u16(),
                error = %cause,
                cause = %format!("{cause:#}"),
                "request failed"
            ),
            None => tracing::error!(status = self.status.as_u16(), "request failed"),
        }
    }
}

impl From<StoreError> for Problem {
    fn from(err: StoreError) -> Problem {
        if err.is_unavailable() {
            Problem::unavailable(err)
        } else {
            Problem::internal(err)
        }
    }
}

impl From<askama::Error> for Problem {
    fn from(err: askama::Error) -> Problem {
        Problem::internal(err)
    }
}

impl From<TooMany> for Problem {
    /// Every rate limit's refusal, the one place it becomes a 429: with the limiter's own
    /// message and `Retry-After` from its arithmetic.
    fn from(err: TooMany) -> Problem {
        Problem {
            retry_after: Some(retry_after_secs(err.retry_after)),
            ..Problem::new(StatusCode::TOO_MANY_REQUESTS, err.to_string())
        }
    }
}

impl From<LookupFailure> for Problem {
    fn from(err: LookupFailure) -> Problem {
        match err.kind() {
            FailureKind::Input => Problem::invalid(err.to_string(), Some(err.field())),
            FailureKind::Unavailable => Problem {
                message: Some(err.to_string()),
                ..Problem::unavailable(err)
            },
            FailureKind::Internal => Problem::internal(err),
        }
    }
}

impl From<crate::jobs::DirectoryLoading> for Problem {
    /// 503 with `Retry-After`: the start-up sync is loading the directory.
    fn from(err: crate::jobs::DirectoryLoading) -> Problem {
        Problem {
            retry_after: Some(crate::jobs::DirectoryLoading::RETRY_AFTER.as_secs()),
            ..Problem::new(StatusCode::SERVICE_UNAVAILABLE, err.to_string())
        }
    }
}

impl From<MessageError> for Problem {
    fn from(err: MessageError) -> Problem {
        match err {
            MessageError::Invalid(_) | MessageError::UnknownTarget(_) | MessageError::NoTargets => {
                Problem::invalid(err.to_string(), err.field())
            }
            MessageError::NoCampaign(slug) => no_campaign(&slug),
            MessageError::Store(e) => e.into(),
            MessageError::Render(_) | MessageError::Builtin(_) => Problem::internal(err),
        }
    }
}

impl From<SendError> for Problem {
    fn from(err: SendError) -> Problem {
        match err {
            SendError::Disabled => Problem::new(StatusCode::SERVICE_UNAVAILABLE, err.to_string()),
            SendError::TooMany(e) => e.into(),
            SendError::NoEmail(_) => Problem::invalid(err.to_string(), Some("targets")),
            SendError::BadKey => Problem::invalid(err.to_string(), Some("Idempotency-Key")),
            SendError::Store(e) => e.into(),
        }
    }
}

impl From<FlowError> for Problem {
    fn from(err: FlowError) -> Problem {
        match err {
            FlowError::TooMany(e) => e.into(),
            FlowError::Lookup(e) => e.into(),
            FlowError::Message(e) => e.into(),
            FlowError::Send(e) => e.into(),
            FlowError::NoEmailableOffice => {
                Problem::invalid(FlowError::NoEmailableOffice.to_string(), Some("targets"))
            }
            FlowError::DirectoryLoading(e) => e.into(),
        }
    }
}

impl From<SaveTemplateError> for Problem {
    fn from(err: SaveTemplateError) -> Problem {
        match err {
            SaveTemplateError::NoCampaign(slug) => no_campaign(&slug),
            SaveTemplateError::NoVersion(_) => Problem::new(StatusCode::NOT_FOUND, err.to_string()),
            SaveTemplateError::Invalid(_) | SaveTemplateError::Field(_) => {
                Problem::invalid(err.to_string(), err.field())
            }
            SaveTemplateError::Other(e) => e.into(),
            SaveTemplateError::Store(e) => e.into(),
        }
    }
}

impl From<HistoryError> for Problem {
    fn from(err: HistoryError) -> Problem {
        match err {
            HistoryError::NoCampaign(slug) => no_campaign(&slug),
            HistoryError::NoVersion(_) => Problem::new(StatusCode::NOT_FOUND, err.to_string()),
            HistoryError::Store(e) => e.into(),
            HistoryError::Other(_) => Problem::internal(err),
        }
    }
}

impl From<PreviewError> for Problem {
    fn from(err: PreviewError) -> Problem {
        match err {
            PreviewError::Invalid(_) | PreviewError::UnknownLegislator { .. } => {
                Problem::invalid(err.to_string(), err.field())
            }
            PreviewError::Store(e) => e.into(),
        }
    }
}

impl From<ReachParamError> for Problem {
    /// A report's query parameter that does not parse: 400 naming it.
    fn from(err: ReachParamError) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, err.to_string()).on(err.field)
    }
}

/// 404 for a campaign slug nobody runs (the slug is clipped: it is the client's input).
pub fn no_campaign(slug: &str) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        format!(
            "no campaign `{}`",
            slug.chars().take(60).collect::<String>()
        ),
    )
}

/// An API failure: `{"error": "..."}` (and `"field"` when about one) with the status.
#[derive(Debug)]
pub struct ApiError(pub Problem);

impl ApiError {
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError(Problem::new(StatusCode::NOT_FOUND, message))
    }

    pub fn no_campaign(slug: &str) -> ApiError {
        ApiError(no_campaign(slug))
    }

    pub fn internal(why: &'static str) -> ApiError {
        ApiError(Problem::internal(anyhow::anyhow!(why)))
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&api_message(&self.0))
    }
}

fn api_message(p: &Problem) -> String {
    match (&p.message, p.status) {
        (Some(m), _) => m.clone(),
        (None, StatusCode::SERVICE_UNAVAILABLE) => {
            "the service is temporarily unavailable; please try again shortly".to_string()
        }
        (None, _) => "something went wrong on our side".to_string(),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status
    }

    fn error_response(&self) -> HttpResponse {
        self.0.log();
        let message = api_message(&self.0);
        let mut res = match &self.0.field {
            Some(field) => {
                HttpResponse::build(self.0.status).json(json!({ "error": message, "field": field }))
            }
            None => json_error(self.0.status, &message),
        };
        retry_after(&mut res, self.0.retry_after);
        res
    }
}

/// Adds `Retry-After: secs` when there is one.
pub fn retry_after(res: &mut HttpResponse, secs: Option<u64>) {
    if let Some(secs) = secs {
        res.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(secs),
        );
    }
}

/// `{"error": message}` with `status`.
pub fn json_error(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "error": message }))
}

/// A page failure, rendered in the site's layout (headed with the campaign when known).
#[derive(Debug)]
pub struct PageError {
    pub problem: Problem,
    site: Option<Site>,
}

impl PageError {
    pub fn not_found(message: impl Into<String>) -> PageError {
        Problem::new(StatusCode::NOT_FOUND, message).into()
    }

    pub fn internal(why: &'static str) -> PageError {
        Problem::internal(anyhow::anyhow!(why)).into()
    }

    /// Headed with `campaign`'s name.
    pub fn in_campaign(mut self, campaign: &Campaign) -> PageError {
        self.site = Some(Site::from_campaign(campaign));
        self
    }

    /// Shown with `message` instead (a user-facing failure re-worded for the page).
    pub fn saying(mut self, message: impl Into<String>) -> PageError {
        if !self.problem.status.is_server_error() || self.problem.message.is_some() {
            self.problem.message = Some(message.into());
        }
        self
    }
}

impl From<Problem> for PageError {
    fn from(problem: Problem) -> PageError {
        PageError {
            problem,
            site: None,
        }
    }
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> ApiError {
        ApiError(problem)
    }
}

/// Every domain error becomes an [`ApiError`] and a [`PageError`] through its [`Problem`].
macro_rules! through_problem {
    ($($error:ty),* $(,)?) => {$(
        impl From<$error> for ApiError {
            fn from(err: $error) -> ApiError {
                ApiError(err.into())
            }
        }
        impl From<$error> for PageError {
            fn from(err: $error) -> PageError {
                Problem::from(err).into()
            }
        }
    )*};
}

through_problem!(
    StoreError,
    askama::Error,
    TooMany,
    LookupFailure,
    MessageError,
    SendError,
    FlowError,
);

through_problem!(
    SaveTemplateError,
    HistoryError,
    PreviewError,
    ReachParamError
);

fn page_message(p: &Problem) -> String {
    match (&p.message, p.status) {
        (Some(m), _) => m.clone(),
        (None, StatusCode::SERVICE_UNAVAILABLE) => {
            "This page is temporarily unavailable. Please try again in a moment.".to_string()
        }
        (None, _) => "Something went wrong on our side. Please try again.".to_string(),
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&page_message(&self.problem))
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.problem.status
    }

    fn error_response(&self) -> HttpResponse {
        self.problem.log();
        let status = self.problem.status;
        let site = self.site.clone().unwrap_or_else(Site::fallback);
        let mut res =
            match super::site::error_page(site, status.as_u16(), &page_message(&self.problem)) {
                Ok(body) => super::respond::private_page(status, body),
                Err(err) => {
                    tracing::error!(error = %err, "error page failed to render");
                    HttpResponse::build(status)
                        .content_type("text/plain; charset=utf-8")
                        .body(page_message(&self.problem))
                }
            };
        retry_after(&mut res, self.problem.retry_after);
        res
    }
}

impl From<StaffError> for Problem {
    fn from(err: StaffError) -> Problem {
        match err {
            StaffError::InvalidEmail(_) => Problem::invalid(err.to_string(), Some("email")),
            StaffError::InvalidTokenName => Problem::invalid(err.to_string(), Some("name")),
            StaffError::WrongTotpCode => Problem::invalid(err.to_string(), Some("totp")),
            StaffError::AlreadyExists | StaffError::NoTotpPending => {
                Problem::new(StatusCode::CONFLICT, err.to_string())
            }
            StaffError::UnknownPerson | StaffError::UnknownToken => {
                Problem::new(StatusCode::NOT_FOUND, err.to_string())
            }
            StaffError::Forbidden => Problem::new(StatusCode::FORBIDDEN, err.to_string()),
            StaffError::Store(e) => e.into(),
        }
    }
}

impl From<SetPasswordError> for Problem {
    fn from(err: SetPasswordError) -> Problem {
        match err {
            SetPasswordError::InvalidLink => Problem::new(StatusCode::NOT_FOUND, err.to_string()),
            SetPasswordError::Policy(_) => Problem::invalid(err.to_string(), Some("password")),
            SetPasswordError::Hash(_) => Problem::internal(err),
            SetPasswordError::Store(e) => e.into(),
        }
    }
}

through_problem!(StaffError, SetPasswordError);

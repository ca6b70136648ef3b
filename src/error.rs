//! Errors as the outside world sees them: JSON for the API, pages for browsers.
//! Unexpected failures are logged whole (with their cause chain) and shown as a short message.

use crate::store::StoreError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

/// An API failure; rendered as `{"error": "..."}` with the matching status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("the service is temporarily unavailable; please try again shortly")]
    Unavailable(#[source] anyhow::Error),
    #[error("something went wrong on our side")]
    Internal(#[source] anyhow::Error),
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        if is_unavailable(&err) {
            ApiError::Unavailable(err.into())
        } else {
            ApiError::Internal(err.into())
        }
    }
}

/// The database is down or saturated, as opposed to a bug.
pub fn is_unavailable(err: &StoreError) -> bool {
    matches!(
        err,
        StoreError::Database(sqlx::Error::PoolTimedOut)
            | StoreError::Database(sqlx::Error::Io(_))
            | StoreError::Database(sqlx::Error::PoolClosed)
    )
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        log_if_unexpected(self, self.status_code());
        json_error(self.status_code(), &self.to_string())
    }
}

pub fn json_error(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(serde_json::json!({ "error": message }))
}

/// A page failure; rendered in the site layout.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("This page is temporarily unavailable. Please try again in a moment.")]
    Unavailable(#[source] anyhow::Error),
    #[error("Something went wrong on our side. Please try again.")]
    Internal(#[source] anyhow::Error),
}

impl From<StoreError> for PageError {
    fn from(err: StoreError) -> Self {
        if is_unavailable(&err) {
            PageError::Unavailable(err.into())
        } else {
            PageError::Internal(err.into())
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(err: askama::Error) -> Self {
        PageError::Internal(err.into())
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::NotFound(_) => StatusCode::NOT_FOUND,
            PageError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            PageError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        log_if_unexpected(self, status);
        let html = match self {
            PageError::NotFound(msg) => crate::pages::not_found(msg),
            other => crate::pages::error(status.as_u16(), &other.to_string()),
        };
        match html {
            Ok(body) => HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                .body(body),
            Err(err) => {
                tracing::error!(error = %err, "error page failed to render");
                HttpResponse::build(status)
                    .content_type("text/plain; charset=utf-8")
                    .body(self.to_string())
            }
        }
    }
}

fn log_if_unexpected(err: &(dyn std::error::Error + 'static), status: StatusCode) {
    if status.is_server_error() {
        let mut chain = String::new();
        let mut source = err.source();
        while let Some(cause) = source {
            chain.push_str(": ");
            chain.push_str(&cause.to_string());
            source = cause.source();
        }
        tracing::error!(status = status.as_u16(), error = %err, cause = %chain, "request failed");
    }
}

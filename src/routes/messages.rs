//! `POST /api/v1/campaigns/{slug}/messages`: the messages to a supporter's legislators, as drafts
//! (links the supporter opens themselves) or sent through the service (a submission awaiting
//! the supporter's confirmation; `Idempotency-Key` makes a repeated request harmless).
//!
//! The request names its legislators by id, but the recipients come from the server's own
//! lookup of the address: an id that is not among that lookup's targets is refused (422) and
//! nothing is done. Unknown fields (`to`, `cc`, `bcc`, ...) are refused too.

use super::targets::{run_lookup, LookupFailure, TargetsQuery};
use super::AppState;
use crate::civic::LookupError;
use crate::domain::{
    Address, AddressInput, Body, City, EmailAddress, InvalidField, Subject, SupporterName,
};
use crate::error::{is_unavailable, json_error};
use crate::messages::{self, drafts, MessageError, Overrides, Supporter};
use crate::outbox::{Outbox, SendError};
use crate::store::StoreError;
use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse, ResponseError};
use serde_json::{json, Map, Value};

/// The most legislators one request may name (a lookup finds at most a dozen).
const MAX_TARGETS: usize = 20;
/// The longest legislator id accepted.
const MAX_ID_CHARS: usize = 200;
const FIELDS: [&str; 8] = [
    "name", "email", "city", "address", "targets", "subject", "body", "mode",
];

/// Hand over drafts, or send through the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Draft,
    Send,
}

/// A request whose every field is valid.
#[derive(Debug)]
pub struct MessageRequest {
    pub supporter: Supporter,
    /// Checked (so bad input never reaches a provider), then looked up again.
    pub address: String,
    pub targets: Vec<String>,
    pub overrides: Overrides,
    pub mode: Mode,
}

fn field<T: serde::de::DeserializeOwned>(
    map: &mut Map<String, Value>,
    name: &'static str,
    what: &str,
) -> Result<Option<T>, InvalidField> {
    match map.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v)
            .map(Some)
            .map_err(|_| InvalidField::new(name, format!("`{name}` must be {what}."))),
    }
}

fn required<T>(value: Option<T>, name: &'static str) -> Result<T, InvalidField> {
    value.ok_or_else(|| InvalidField::new(name, format!("`{name}` is required.")))
}

impl MessageRequest {
    /// Parses the JSON body, refusing unknown fields by name.
    pub fn parse(body: Value) -> Result<MessageRequest, MessagesApiError> {
        let Value::Object(map) = body else {
            return Err(InvalidField::new("request", "The request must be a JSON object.").into());
        };
        if let Some(unknown) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(MessagesApiError::UnknownField(
                unknown.chars().take(40).collect(),
            ));
        }
        Ok(MessageRequest::parse_fields(map)?)
    }

    fn parse_fields(mut map: Map<String, Value>) -> Result<MessageRequest, InvalidField> {
        let name: Option<String> = field(&mut map, "name", "a string")?;
        let email: Option<String> = field(&mut map, "email", "a string")?;
        let city: Option<String> = field(&mut map, "city", "a string")?;
        let address: Option<String> = field(&mut map, "address", "a string")?;
        let targets: Option<Vec<String>> = field(&mut map, "targets", "a list of legislator ids")?;
        let subject: Option<String> = field(&mut map, "subject", "a string")?;
        let body: Option<String> = field(&mut map, "body", "a string")?;
        let mode: Option<String> = field(&mut map, "mode", "\"draft\" or \"send\"")?;

        let supporter = Supporter {
            name: SupporterName::parse(&required(name, "name")?)?,
            email: EmailAddress::parse(&required(email, "email")?)?,
            city: City::parse_optional(city.as_deref().unwrap_or(""))?,
        };
        let address = required(address, "address")?;
        Address::parse(&AddressInput {
            address: Some(address.clone()),
            ..AddressInput::default()
        })
        .map_err(|e| InvalidField::new("address", e.to_string()))?;
        let targets = required(targets, "targets")?;
        if targets.is_empty() {
            return Err(InvalidField::new(
                "targets",
                "Please choose at least one legislator to write to.",
            ));
        }
        if targets.len() > MAX_TARGETS || targets.iter().any(|t| t.chars().count() > MAX_ID_CHARS) {
            return Err(InvalidField::new(
                "targets",
                format!(
                    "At most {MAX_TARGETS} legislator ids of at most {MAX_ID_CHARS} characters."
                ),
            ));
        }
        let overrides = Overrides::for_all(
            subject.as_deref().map(Subject::parse).transpose()?,
            body.as_deref().map(Body::parse).transpose()?,
        );
        let mode = match required(mode, "mode")?.as_str() {
            "draft" => Mode::Draft,
            "send" => Mode::Send,
            _ => {
                return Err(InvalidField::new(
                    "mode",
                    "`mode` must be \"draft\" or \"send\".",
                ))
            }
        };
        Ok(MessageRequest {
            supporter,
            address,
            targets,
            overrides,
            mode,
        })
    }
}

/// Why the request failed, as the API reports it.
#[derive(Debug, thiserror::Error)]
pub enum MessagesApiError {
    #[error(transparent)]
    Message(#[from] MessageError),
    #[error(transparent)]
    Lookup(#[from] LookupFailure),
    /// A field the API does not know, such as `to`, `cc` or `bcc`.
    #[error("unknown field `{0}`: recipients come from the address lookup and cannot be added")]
    UnknownField(String),
    #[error("{0}")]
    TooMany(String),
    #[error(transparent)]
    Send(#[from] SendError),
}

impl From<InvalidField> for MessagesApiError {
    fn from(err: InvalidField) -> Self {
        MessagesApiError::Message(MessageError::Invalid(err))
    }
}

impl From<StoreError> for MessagesApiError {
    fn from(err: StoreError) -> Self {
        MessagesApiError::Message(MessageError::Store(err))
    }
}

impl ResponseError for MessagesApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            MessagesApiError::Message(err) => match err {
                MessageError::Invalid(_)
                | MessageError::UnknownTarget(_)
                | MessageError::NoTargets => StatusCode::UNPROCESSABLE_ENTITY,
                MessageError::NoCampaign(_) => StatusCode::NOT_FOUND,
                MessageError::Store(e) if is_unavailable(e) => StatusCode::SERVICE_UNAVAILABLE,
                MessageError::Render(_) | MessageError::Builtin(_) | MessageError::Store(_) => {
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            },
            MessagesApiError::Lookup(LookupFailure::Lookup(LookupError::Unavailable(_))) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            MessagesApiError::Lookup(LookupFailure::Lookup(LookupError::Directory(e))) => {
                if is_unavailable(e) {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            }
            MessagesApiError::Lookup(_) | MessagesApiError::UnknownField(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            MessagesApiError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            MessagesApiError::Send(SendError::Disabled) => StatusCode::SERVICE_UNAVAILABLE,
            MessagesApiError::Send(SendError::TooManyUnconfirmed) => StatusCode::TOO_MANY_REQUESTS,
            MessagesApiError::Send(SendError::NoEmail(_) | SendError::BadKey) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            MessagesApiError::Send(SendError::Store(e)) if is_unavailable(e) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            MessagesApiError::Send(SendError::Store(_)) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let disabled = matches!(self, MessagesApiError::Send(SendError::Disabled));
        if status.is_server_error() && !disabled {
            // Errors here carry no personal data: field reasons never echo input.
            let mut chain = String::new();
            let mut source = std::error::Error::source(self);
            while let Some(cause) = source {
                chain.push_str(": ");
                chain.push_str(&cause.to_string());
                source = cause.source();
            }
            tracing::error!(status = status.as_u16(), error = %self, cause = %chain, "message request failed");
        }
        let message = match (status.is_server_error(), self) {
            (true, MessagesApiError::Send(SendError::Disabled)) => self.to_string(),
            (true, _) if status == StatusCode::SERVICE_UNAVAILABLE => {
                "the service is temporarily unavailable; please try again shortly".to_string()
            }
            (true, _) => "something went wrong on our side".to_string(),
            (false, _) => self.to_string(),
        };
        let field = match self {
            MessagesApiError::Message(err) => err.field(),
            MessagesApiError::UnknownField(name) => Some(name.as_str()),
            MessagesApiError::Send(SendError::NoEmail(_)) => Some("targets"),
            MessagesApiError::Send(SendError::BadKey) => Some("Idempotency-Key"),
            MessagesApiError::Lookup(_) if status == StatusCode::UNPROCESSABLE_ENTITY => {
                Some("address")
            }
            _ => None,
        };
        match field {
            Some(field) => {
                HttpResponse::build(status).json(json!({ "error": message, "field": field }))
            }
            None => json_error(status, &message),
        }
    }
}

/// An absolute URL for a counting path, from `server.public_url`.
fn absolute(app: &AppState, path: Option<&String>) -> Option<String> {
    path.map(|p| {
        format!(
            "{}{p}",
            app.settings.server.public_url.trim_end_matches('/')
        )
    })
}

#[post("/campaigns/{slug}/messages")]
pub async fn create(
    req: HttpRequest,
    app: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, MessagesApiError> {
    let request = MessageRequest::parse(body.into_inner())?;
    // Checked in either mode: a draft has no use for the key, but a malformed one is refused.
    let key = match req.headers().get("Idempotency-Key") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .filter(|k| crate::outbox::is_idempotency_key(k))
                .ok_or(SendError::BadKey)?,
        ),
    };
    let doc = app
        .campaign(&slug)
        .await?
        .ok_or_else(|| MessageError::NoCampaign(slug.chars().take(60).collect::<String>()))?;
    app.limits
        .check_lookup(req.peer_addr().map(|a| a.ip()))
        .map_err(|e| MessagesApiError::TooMany(e.to_string()))?;
    let query = TargetsQuery {
        address: Some(request.address.clone()),
        ..TargetsQuery::default()
    };
    let lookup = run_lookup(&app.locator, &query).await?;
    let drafts = messages::draft(
        &app.store,
        &doc,
        &lookup,
        &request.targets,
        &request.supporter,
        &request.overrides,
    )
    .await?;
    if request.mode == Mode::Send {
        let submission = app
            .outbox
            .submit(&doc, &drafts, &request.supporter, key)
            .await?;
        let receipt_path = Outbox::receipt_path(&submission.receipt_token);
        return Ok(HttpResponse::Accepted()
            .insert_header(("Cache-Control", "no-store"))
            .json(json!({
                "id": submission.id,
                "status": "awaiting_confirmation",
                "receipt_url": absolute(&app, Some(&receipt_path)),
                "receipt_api_url": absolute(&app, Some(&format!("/api/v1{receipt_path}"))),
            })));
    }
    let issued = drafts::issue(&app.store, &doc.campaign.slug, drafts, chrono::Utc::now())
        .await?
        .ok_or_else(|| MessageError::NoCampaign(doc.campaign.slug.clone()))?;
    let drafts: Vec<Value> = issued
        .iter()
        .map(|d| {
            json!({
                "target_id": d.draft.target_id,
                "name": d.draft.name,
                "title": d.draft.title,
                "to": d.draft.to.as_ref().map(|e| e.as_str()),
                "mailto": absolute(&app, d.links.mailto.as_ref()),
                "gmail": absolute(&app, d.links.gmail.as_ref()),
                "outlook": absolute(&app, d.links.outlook.as_ref()),
                "contact_form": absolute(&app, d.links.contact_form.as_ref()),
                "subject": d.draft.subject.as_str(),
                "body": d.draft.body.as_str(),
                "template_version": d.draft.template_version,
            })
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({ "drafts": drafts })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Value {
        json!({
            "name": "Jane Doe",
            "email": "jane@example.org",
            "address": "24 Beacon St, Boston, MA 02133",
            "targets": ["ocd-person/x"],
            "mode": "draft"
        })
    }

    fn with(key: &str, value: Value) -> Value {
        let mut v = valid();
        v[key] = value;
        v
    }

    fn field_of(v: Value) -> String {
        match MessageRequest::parse(v) {
            Ok(_) => String::new(),
            Err(MessagesApiError::Message(e)) => e.field().unwrap_or_default().to_string(),
            Err(MessagesApiError::UnknownField(name)) => name,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_valid_request_parses() {
        let r = MessageRequest::parse(valid()).expect("valid");
        assert_eq!(r.mode, Mode::Draft);
        assert_eq!(r.targets, ["ocd-person/x"]);
        assert_eq!(r.overrides, Overrides::default());
    }

    #[test]
    fn each_invalid_field_is_named() {
        assert_eq!(field_of(with("name", json!("Jane\r\nBcc: x@y.z"))), "name");
        assert_eq!(field_of(with("email", json!("not an email"))), "email");
        assert_eq!(field_of(with("subject", json!("s".repeat(201)))), "subject");
        assert_eq!(field_of(with("body", json!("b".repeat(10_001)))), "body");
        assert_eq!(field_of(with("targets", json!([]))), "targets");
        assert_eq!(field_of(with("targets", json!("x"))), "targets");
        assert_eq!(field_of(with("mode", json!("fax"))), "mode");
        assert_eq!(field_of(with("address", json!(""))), "address");
        assert_eq!(field_of(with("bcc", json!("x@y.z"))), "bcc");
        assert_eq!(field_of(json!([1])), "request");
        let mut missing = valid();
        missing.as_object_mut().map(|m| m.remove("email"));
        assert_eq!(field_of(missing), "email");
    }
}

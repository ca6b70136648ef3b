//! `POST /api/v1/campaigns/{slug}/messages`: the messages to a supporter's legislators, as drafts
//! (links the supporter opens themselves) or sent through the service (a submission awaiting
//! the supporter's confirmation; `Idempotency-Key` makes a repeated request harmless).
//!
//! The request names its legislators by id, but the recipients come from the server's own
//! lookup of the address: an id that is not among that lookup's targets is refused (422) and
//! nothing is done. Unknown fields (`to`, `cc`, `bcc`, ...) are refused too.

use crate::civic::LookupForm;
use crate::domain::{
    Address, AddressInput, Body, City, EmailAddress, InvalidField, Subject, SupporterName,
};
use crate::messages::{IssuedDraft, Letter, Mode, Outcome, Overrides, Supporter};
use crate::outbox::{Outbox, SendError};
use crate::web::error::{ApiError, Problem};
use crate::web::extract::{ApiCampaign, ClientAddr};
use crate::web::AppState;
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

/// The most legislators one request may name (a lookup finds at most a dozen).
const MAX_TARGETS: usize = 20;
/// The longest legislator id accepted.
const MAX_ID_CHARS: usize = 200;
const FIELDS: [&str; 8] = [
    "name", "email", "city", "address", "targets", "subject", "body", "mode",
];

/// The request's `mode`: hand over drafts, or send through the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestMode {
    Draft,
    Send,
}

/// A request whose every field is valid.
#[derive(Debug)]
pub struct MessageRequest {
    pub letter: Letter,
    /// Checked (so bad input never reaches a provider), then looked up.
    pub address: String,
    pub mode: RequestMode,
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
    pub fn parse(body: Value) -> Result<MessageRequest, RequestError> {
        let Value::Object(map) = body else {
            return Err(InvalidField::new("request", "The request must be a JSON object.").into());
        };
        if let Some(unknown) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(RequestError::UnknownField(
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
            "draft" => RequestMode::Draft,
            "send" => RequestMode::Send,
            _ => {
                return Err(InvalidField::new(
                    "mode",
                    "`mode` must be \"draft\" or \"send\".",
                ))
            }
        };
        Ok(MessageRequest {
            letter: Letter {
                supporter,
                targets,
                overrides,
            },
            address,
            mode,
        })
    }
}

/// Why a request body is refused (422, naming the field).
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    /// A field the API does not know, such as `to`, `cc` or `bcc`.
    #[error("unknown field `{0}`: recipients come from the address lookup and cannot be added")]
    UnknownField(String),
}

impl From<RequestError> for ApiError {
    fn from(err: RequestError) -> ApiError {
        let field = match &err {
            RequestError::Invalid(e) => e.field.to_string(),
            RequestError::UnknownField(name) => name.clone(),
        };
        // Field names are ours, or a clipped unknown key.
        ApiError(Problem::invalid(err.to_string(), None).on(field))
    }
}

/// The drafts as JSON, their links made absolute.
fn drafts_json(app: &AppState, issued: &[IssuedDraft]) -> Vec<Value> {
    let link = |path: &Option<String>| path.as_deref().map(|p| app.absolute(p));
    issued
        .iter()
        .map(|d| {
            json!({
                "target_id": d.draft.target_id,
                "name": d.draft.name,
                "title": d.draft.title,
                "to": d.draft.to.as_ref().map(|e| e.as_str()),
                "mailto": link(&d.links.mailto),
                "gmail": link(&d.links.gmail),
                "outlook": link(&d.links.outlook),
                "contact_form": link(&d.links.contact_form),
                "subject": d.draft.subject.as_str(),
                "body": d.draft.body.as_str(),
                "template_version": d.draft.template_version,
                "scorecard_revision": d.draft.scorecard_revision,
            })
        })
        .collect()
}

/// The `Idempotency-Key` header, when sent. Checked in either mode: a draft has no use for
/// the key, but a malformed one is refused.
fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    match req.headers().get("Idempotency-Key") {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .filter(|k| crate::outbox::is_idempotency_key(k))
            .map(|k| Some(k.to_string()))
            .ok_or_else(|| SendError::BadKey.into()),
    }
}

#[post("/campaigns/{slug}/messages")]
pub async fn create(
    req: HttpRequest,
    app: web::Data<AppState>,
    ApiCampaign(doc): ApiCampaign,
    ClientAddr(client): ClientAddr,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let request = MessageRequest::parse(body.into_inner())?;
    let key = idempotency_key(&req)?;
    let mode = match request.mode {
        RequestMode::Draft => Mode::Draft,
        RequestMode::Send => Mode::Send { key },
    };
    let lookup = LookupForm::one_line(&request.address);
    let outcome = app
        .flow
        .submit(&doc, client, &lookup, &request.letter, mode)
        .await?;
    let answer = match outcome {
        Outcome::Drafts(issued) => {
            HttpResponse::Ok().json(json!({ "drafts": drafts_json(&app, &issued) }))
        }
        Outcome::Submitted {
            submission, drafts, ..
        } => {
            let receipt = Outbox::receipt_path(&submission.receipt_token);
            HttpResponse::Accepted().json(json!({
                "id": submission.id,
                "status": "awaiting_confirmation",
                "receipt_url": app.absolute(&receipt),
                "receipt_api_url": app.absolute(&format!("/api/v1{receipt}")),
                "drafts": drafts_json(&app, &drafts),
            }))
        }
    };
    Ok(no_store(answer))
}

fn no_store(mut response: HttpResponse) -> HttpResponse {
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    response
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
            Err(RequestError::Invalid(e)) => e.field.to_string(),
            Err(RequestError::UnknownField(name)) => name,
        }
    }

    #[test]
    fn a_valid_request_parses() {
        let r = MessageRequest::parse(valid()).expect("valid");
        assert_eq!(r.mode, RequestMode::Draft);
        assert_eq!(r.letter.targets, ["ocd-person/x"]);
        assert_eq!(r.letter.overrides, Overrides::default());
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

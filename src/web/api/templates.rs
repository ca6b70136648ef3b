//! `/api/v1/campaigns/{slug}/templates/{audience}`: the message templates for scripts, with a
//! staff bearer token (`Authorization: Bearer adv_...`):
//! - `GET` (organisers and up): the current version; `GET .../versions`: every version without
//!   its text, newest first; `GET .../versions/{n}`: version `n`;
//! - `PUT` (editors): `{"subject", "body", "note"?}` saved as the next version after the check
//!   against every state: `201 {"version", ...}`, or `422 {"error", "field", "state"}` naming
//!   the state it fails for;
//! - `POST .../preview` (editors): `{"subject", "body", "state", "legislator_id"?}` rendered
//!   for one legislator of the state, nothing saved: `{"subject", "body", ...}`.
//!
//! Bodies are JSON objects of known fields: an unknown field is refused (422) by name.

use crate::domain::{InvalidField, StateCode};
use crate::messages::editor::{self, SaveTemplateError};
use crate::messages::{save_template, Audience, TemplateText, TemplateVersion};
use crate::web::error::{ApiError, Problem};
use crate::web::extract::ApiCampaign;
use crate::web::staff::auth::{Bearer, Editor, Organiser};
use crate::web::AppState;
use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpResponse};
use serde_json::{json, Map, Value};

/// The longest legislator id accepted.
const MAX_ID_CHARS: usize = 200;

/// Why a request body is refused (422, naming the field).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    #[error("unknown field `{0}`")]
    UnknownField(String),
}

impl From<BodyError> for ApiError {
    fn from(err: BodyError) -> ApiError {
        let field = match &err {
            BodyError::Invalid(e) => e.field.to_string(),
            BodyError::UnknownField(name) => name.clone(),
        };
        ApiError(Problem::invalid(err.to_string(), None).on(field))
    }
}

/// The body as an object holding only `known` fields.
fn object(body: Value, known: &[&str]) -> Result<Map<String, Value>, BodyError> {
    let Value::Object(map) = body else {
        return Err(InvalidField::new("request", "The request must be a JSON object.").into());
    };
    if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(BodyError::UnknownField(unknown.chars().take(40).collect()));
    }
    Ok(map)
}

/// Field `name` as a string, when present and not null.
fn string(map: &Map<String, Value>, name: &'static str) -> Result<Option<String>, InvalidField> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(InvalidField::new(
            name,
            format!("`{name}` must be a string."),
        )),
    }
}

fn required(map: &Map<String, Value>, name: &'static str) -> Result<String, InvalidField> {
    string(map, name)?.ok_or_else(|| InvalidField::new(name, format!("`{name}` is required.")))
}

fn text(map: &Map<String, Value>) -> Result<TemplateText, InvalidField> {
    Ok(TemplateText {
        subject: required(map, "subject")?,
        body: required(map, "body")?,
    })
}

/// `PUT`'s body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveRequest {
    pub text: TemplateText,
    pub note: Option<String>,
}

impl SaveRequest {
    pub fn parse(body: Value) -> Result<SaveRequest, BodyError> {
        let map = object(body, &["subject", "body", "note"])?;
        Ok(SaveRequest {
            text: text(&map)?,
            note: string(&map, "note")?,
        })
    }
}

/// `POST .../preview`'s body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRequest {
    pub text: TemplateText,
    pub state: StateCode,
    pub legislator_id: Option<String>,
}

impl PreviewRequest {
    pub fn parse(body: Value) -> Result<PreviewRequest, BodyError> {
        let map = object(body, &["subject", "body", "state", "legislator_id"])?;
        let text = text(&map)?;
        let state = StateCode::parse(&required(&map, "state")?)
            .map_err(|e| InvalidField::new("state", e.to_string()))?;
        let legislator_id = string(&map, "legislator_id")?;
        if legislator_id
            .as_ref()
            .is_some_and(|id| id.chars().count() > MAX_ID_CHARS)
        {
            return Err(InvalidField::new(
                "legislator_id",
                format!("`legislator_id` is at most {MAX_ID_CHARS} characters."),
            )
            .into());
        }
        Ok(PreviewRequest {
            text,
            state,
            legislator_id,
        })
    }
}

/// The audience named by the path, or 404.
fn audience(raw: &str) -> Result<Audience, ApiError> {
    Audience::parse(raw).ok_or_else(|| {
        ApiError::not_found(format!(
            "no template `{}`: the templates are `state` and `federal`",
            raw.chars().take(40).collect::<String>()
        ))
    })
}

/// A version as listed (without its text).
fn listed(v: &TemplateVersion) -> Value {
    json!({
        "version": v.template.version,
        "author": v.author,
        "note": v.note,
        "created_at": v.template.created_at,
    })
}

#[get("/campaigns/{slug}/templates/{audience}")]
pub async fn current(
    _who: Bearer<Organiser>,
    app: web::Data<AppState>,
    ApiCampaign(doc): ApiCampaign,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let audience = audience(&path.1)?;
    let current = editor::current(&app.store, &doc.campaign.slug, audience).await?;
    Ok(HttpResponse::Ok().json(current))
}

#[get("/campaigns/{slug}/templates/{audience}/versions")]
pub async fn versions(
    _who: Bearer<Organiser>,
    app: web::Data<AppState>,
    ApiCampaign(doc): ApiCampaign,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let audience = audience(&path.1)?;
    let history = editor::history(&app.store, &doc.campaign.slug, audience).await?;
    let versions: Vec<Value> = history.iter().map(listed).collect();
    Ok(HttpResponse::Ok().json(json!({ "versions": versions })))
}

#[get("/campaigns/{slug}/templates/{audience}/versions/{version}")]
pub async fn version(
    _who: Bearer<Organiser>,
    app: web::Data<AppState>,
    ApiCampaign(doc): ApiCampaign,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let audience = audience(&path.1)?;
    let n = path
        .2
        .parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .map(i64::from)
        .ok_or_else(|| ApiError::not_found("there is no such version of this template"))?;
    let found = editor::version(&app.store, &doc.campaign.slug, audience, n).await?;
    Ok(HttpResponse::Ok().json(found))
}

/// A refused save: 422 names the field and, for a template that fails for a state, the state
/// (`{"error", "field", "state"}`); anything else as every API error.
fn save_refusal(err: SaveTemplateError) -> Result<HttpResponse, ApiError> {
    let (state, field) = (err.state(), err.field());
    let problem = Problem::from(err);
    if problem.status != StatusCode::UNPROCESSABLE_ENTITY {
        return Err(ApiError(problem));
    }
    Ok(HttpResponse::UnprocessableEntity().json(json!({
        "error": problem.message,
        "field": field,
        "state": state.map(|s| s.as_str()),
    })))
}

#[put("/campaigns/{slug}/templates/{audience}")]
pub async fn save(
    who: Bearer<Editor>,
    app: web::Data<AppState>,
    ApiCampaign(doc): ApiCampaign,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let audience = audience(&path.1)?;
    let request = SaveRequest::parse(body.into_inner())?;
    let slug = doc.campaign.slug.as_str();
    let saved = match save_template(
        &app.store,
        slug,
        audience,
        &request.text,
        who.origin(),
        request.note.as_deref(),
    )
    .await
    {
        Ok(saved) => saved,
        Err(err) => return save_refusal(err),
    };
    app.saved(slug);
    let location = format!(
        "/api/v1/campaigns/{slug}/templates/{}/versions/{}",
        audience.as_str(),
        saved.version()
    );
    let changed: Vec<&str> = saved.changed_states.iter().map(|s| s.as_str()).collect();
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, location))
        .json(json!({
            "version": saved.version(),
            "previous_version": saved.previous_version,
            "changed_states": changed,
        })))
}

#[post("/campaigns/{slug}/templates/{audience}/preview")]
pub async fn preview(
    _who: Bearer<Editor>,
    app: web::Data<AppState>,
    ApiCampaign(doc): ApiCampaign,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let audience = audience(&path.1)?;
    let request = PreviewRequest::parse(body.into_inner())?;
    let shown = editor::preview(
        &app.store,
        &doc,
        audience,
        &request.text,
        request.state,
        request.legislator_id.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(json!({
        "subject": shown.subject,
        "body": shown.body,
        "state": shown.state.as_str(),
        "legislator": shown.legislator,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_save_needs_a_subject_and_a_body_and_refuses_unknown_fields() {
        let ok =
            SaveRequest::parse(json!({"subject": "S", "body": "B", "note": null})).expect("parses");
        assert_eq!(ok.note, None);
        assert_eq!(
            SaveRequest::parse(json!({"subject": "S", "body": "B", "to": "x"})),
            Err(BodyError::UnknownField("to".into()))
        );
        let field = |v: Value| match SaveRequest::parse(v) {
            Err(BodyError::Invalid(e)) => e.field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(json!({"body": "B"})), "subject");
        assert_eq!(field(json!({"subject": "S", "body": 3})), "body");
        assert_eq!(field(json!(["subject"])), "request");
    }

    #[test]
    fn a_preview_needs_a_state() {
        let ok = PreviewRequest::parse(json!({"subject": "S", "body": "B", "state": "ma"}))
            .expect("parses");
        assert_eq!(ok.state.as_str(), "MA");
        let field = |v: Value| match PreviewRequest::parse(v) {
            Err(BodyError::Invalid(e)) => e.field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(json!({"subject": "S", "body": "B"})), "state");
        assert_eq!(
            field(json!({"subject": "S", "body": "B", "state": "Atlantis"})),
            "state"
        );
        assert_eq!(
            field(
                json!({"subject": "S", "body": "B", "state": "MA", "legislator_id": "x".repeat(201)})
            ),
            "legislator_id"
        );
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "\\PC{0,20}".prop_map(Value::String),
        ];
        leaf.prop_recursive(2, 16, 4, |inner| {
            prop::collection::vec(inner, 0..3).prop_map(Value::Array)
        })
    }

    fn any_body() -> impl Strategy<Value = Value> {
        let key = prop_oneof![
            Just("subject".to_string()),
            Just("body".to_string()),
            Just("note".to_string()),
            Just("state".to_string()),
            Just("legislator_id".to_string()),
            "[a-z_]{1,8}",
        ];
        prop::collection::btree_map(key, any_json(), 0..6)
            .prop_map(|m| Value::Object(m.into_iter().collect()))
    }

    proptest! {
        #[test]
        fn the_readers_take_exactly_the_strings_they_were_given(body in any_body()) {
            let fields = body.as_object().cloned().unwrap_or_default();
            let s = |k: &str| fields.get(k).and_then(Value::as_str).map(str::to_string);
            if let Ok(r) = SaveRequest::parse(body.clone()) {
                prop_assert!(fields.keys().all(|k| ["subject", "body", "note"].contains(&k.as_str())));
                prop_assert_eq!(Some(r.text.subject), s("subject"));
                prop_assert_eq!(Some(r.text.body), s("body"));
                prop_assert_eq!(r.note, s("note"));
            }
            if let Ok(r) = PreviewRequest::parse(body.clone()) {
                prop_assert_eq!(Some(r.text.body), s("body"));
                prop_assert_eq!(r.legislator_id.clone(), s("legislator_id"));
                prop_assert!(r.legislator_id.is_none_or(|id| id.chars().count() <= MAX_ID_CHARS));
            }
        }
    }
}

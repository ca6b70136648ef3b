//! The supporter's writing steps as pages, and the counting redirect behind every draft link:
//! - `POST /compose`: from the lookup's "Write to them" form: the supporter's details and the
//!   legislators chosen; answers with one editable message per legislator;
//! - `POST /compose/drafts`: the edited messages; answers with the drafts (links and text);
//! - `GET /r/{token}`: counts the draft and redirects (303) to its mailto / web-compose /
//!   contact-form URL, which the server stored; an unknown or expired token is a 404.
//!
//! Each step repeats the lookup from the address carried in hidden fields (a cache hit), so the
//! recipients are always the lookup's, whatever the form claims.

use super::targets::{run_lookup, LookupFailure, TargetsQuery};
use super::AppState;
use crate::civic::{Lookup, LookupError};
use crate::domain::{Body, City, EmailAddress, InvalidField, Subject, SupporterName};
use crate::error::PageError;
use crate::messages::{self, drafts, Edit, MessageError, Overrides, Supporter};
use crate::pages::compose::{posted_message, FieldMessage, MessageView, SupporterValues};
use crate::pages::{ComposePage, DraftsPage, LookupParams, WriteForm};
use crate::scorecard::CampaignDoc;
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use std::sync::Arc;

/// The "Write to them" form for the results of the lookup `q`.
pub fn write_form(q: &TargetsQuery, lookup: &Lookup) -> Option<WriteForm> {
    let params = LookupParams {
        address: q.address.clone(),
        street: q.street.clone(),
        city: q.city.clone(),
        state: q.state.clone(),
        zip: q.zip.clone(),
        choice: q.choice.clone(),
        manual: q.manual.clone(),
    };
    WriteForm::new(&params, lookup)
}

fn query_of(p: &LookupParams) -> TargetsQuery {
    TargetsQuery {
        address: p.address.clone(),
        street: p.street.clone(),
        city: p.city.clone(),
        state: p.state.clone(),
        zip: p.zip.clone(),
        choice: p.choice.clone(),
        manual: p.manual.clone(),
    }
}

/// A posted form: repeated keys (the checkboxes) are kept, which a struct extractor cannot do.
pub(super) struct Posted(pub Vec<(String, String)>);

impl Posted {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self, key: &str) -> String {
        self.get(key).unwrap_or_default().to_string()
    }

    pub fn all(&self, key: &str) -> Vec<String> {
        let mut values: Vec<String> = Vec::new();
        for (k, v) in &self.0 {
            if k == key && !values.contains(v) {
                values.push(v.clone());
            }
        }
        values
    }
}

pub(super) fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}

/// A short page explaining a problem that no field can show (422).
pub(super) fn problem_page(
    doc: &CampaignDoc,
    status: StatusCode,
    message: &str,
) -> Result<HttpResponse, PageError> {
    Ok(html(
        status,
        crate::pages::error_in(&doc.campaign, status.as_u16(), message)?,
    ))
}

/// The campaign and the supporter's lookup, repeated from the hidden fields; or the page that
/// says why not.
async fn campaign_and_lookup(
    req: &HttpRequest,
    app: &AppState,
    params: &LookupParams,
) -> Result<Result<(Arc<CampaignDoc>, Lookup), HttpResponse>, PageError> {
    let doc = app
        .campaign(&app.settings.campaign.default)
        .await?
        .ok_or_else(|| PageError::NotFound("This campaign is not set up yet.".into()))?;
    if params.is_empty() {
        return problem_page(
            &doc,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Please look up your address first: we write to the legislators found for it.",
        )
        .map(Err);
    }
    app.limits
        .check_lookup(req.peer_addr().map(|a| a.ip()))
        .map_err(|e| PageError::TooManyRequests(e.to_string()))?;
    match run_lookup(&app.locator, &query_of(params)).await {
        Ok(lookup) => Ok(Ok((doc, lookup))),
        Err(LookupFailure::Lookup(LookupError::Directory(err))) => Err(err.into()),
        Err(failure) => {
            let status = match &failure {
                LookupFailure::Lookup(LookupError::Unavailable(_)) => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let message = format!(
                "We could not find your legislators again: {failure} Please look up your address \
                 again."
            );
            problem_page(&doc, status, &message).map(Err)
        }
    }
}

/// The supporter's details, or the errors to show next to each field.
fn parse_supporter(values: &SupporterValues) -> Result<Supporter, Vec<FieldMessage>> {
    let mut errors = Vec::new();
    let mut note = |e: InvalidField| errors.push(FieldMessage::new(e.field, e.reason));
    let name = SupporterName::parse(&values.name).map_err(&mut note).ok();
    let email = EmailAddress::parse(&values.email).map_err(&mut note).ok();
    let city = City::parse_optional(&values.city).map_err(&mut note).ok();
    match (name, email, city) {
        (Some(name), Some(email), Some(city)) => Ok(Supporter { name, email, city }),
        _ => Err(errors),
    }
}

fn supporter_values(posted: &Posted) -> SupporterValues {
    SupporterValues {
        name: posted.text("name"),
        email: posted.text("email"),
        city: posted.text("city"),
    }
}

const FORGED: &str = "Some of the chosen legislators are not among those found for your address. \
                      Please look up your address again.";

#[post("/compose")]
pub async fn compose(
    req: HttpRequest,
    app: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let posted = Posted(form.into_inner());
    let params = LookupParams::from_form(&posted.0);
    let (doc, lookup) = match campaign_and_lookup(&req, &app, &params).await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let values = supporter_values(&posted);
    let chosen = posted.all("target");
    let mut supporter = parse_supporter(&values);
    if chosen.is_empty() {
        let none = FieldMessage::new(
            "targets",
            "Please choose at least one legislator to write to.",
        );
        match &mut supporter {
            Ok(_) => supporter = Err(vec![none]),
            Err(errors) => errors.push(none),
        }
    }
    let supporter = match supporter {
        Ok(s) => s,
        Err(errors) => {
            let page =
                ComposePage::details(&doc, &lookup, &params, values, &chosen).with_errors(errors);
            return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page.render()?));
        }
    };
    let drafts = match messages::draft(
        &app.store,
        &doc,
        &lookup,
        &chosen,
        &supporter,
        &Overrides::default(),
    )
    .await
    {
        Ok(drafts) => drafts,
        Err(MessageError::UnknownTarget(_)) => {
            return problem_page(&doc, StatusCode::UNPROCESSABLE_ENTITY, FORGED)
        }
        Err(other) => return Err(page_error(other)),
    };
    let page = ComposePage::messages(&doc, &lookup, &params, values, &drafts)
        .with_sending(app.outbox.enabled(), uuid::Uuid::new_v4().to_string());
    Ok(html(StatusCode::OK, page.render()?))
}

/// The messages of the compose page as posted, every field valid, composed.
pub(super) struct Written {
    pub doc: Arc<CampaignDoc>,
    pub lookup: Lookup,
    pub supporter: Supporter,
    pub drafts: Vec<messages::Draft>,
}

/// Reads the compose page's form (the lookup repeated from its hidden fields) and composes the
/// messages; or the page to answer with: the form again with each error next to its field, or a
/// problem page.
pub(super) async fn written(
    req: &HttpRequest,
    app: &AppState,
    posted: &Posted,
) -> Result<Result<Written, HttpResponse>, PageError> {
    let params = LookupParams::from_form(&posted.0);
    let (doc, lookup) = match campaign_and_lookup(req, app, &params).await? {
        Ok(found) => found,
        Err(page) => return Ok(Err(page)),
    };
    let values = supporter_values(posted);
    let included = posted.all("target");
    let supporter = match parse_supporter(&values) {
        Ok(s) => s,
        Err(errors) => {
            let page =
                ComposePage::details(&doc, &lookup, &params, values, &included).with_errors(errors);
            return Ok(Err(html(StatusCode::UNPROCESSABLE_ENTITY, page.render()?)));
        }
    };

    // The messages as posted, in the lookup's order, with their own errors.
    let mut errors: Vec<FieldMessage> = Vec::new();
    let mut views: Vec<MessageView> = Vec::new();
    let mut overrides = Overrides::default();
    for legislator in &lookup.targets {
        let subject_key = format!("subject.{}", legislator.id);
        let body_key = format!("body.{}", legislator.id);
        let is_included = included.contains(&legislator.id);
        if !is_included && posted.get(&subject_key).is_none() && posted.get(&body_key).is_none() {
            continue;
        }
        let mut view = posted_message(
            views.len() + 1,
            legislator,
            is_included,
            posted.text(&subject_key),
            posted.text(&body_key),
        );
        if is_included {
            let mut edit = Edit::default();
            if let Some(raw) = posted.get(&subject_key) {
                match Subject::parse(raw) {
                    Ok(s) => edit.subject = Some(s),
                    Err(e) => {
                        errors.push(FieldMessage::new(
                            format!("subject-{}", view.index),
                            format!("Message {} ({}): {}", view.index, legislator.name, e.reason),
                        ));
                        view.subject_error = Some(e.reason);
                    }
                }
            }
            if let Some(raw) = posted.get(&body_key) {
                match Body::parse(raw) {
                    Ok(b) => edit.body = Some(b),
                    Err(e) => {
                        errors.push(FieldMessage::new(
                            format!("body-{}", view.index),
                            format!("Message {} ({}): {}", view.index, legislator.name, e.reason),
                        ));
                        view.body_error = Some(e.reason);
                    }
                }
            }
            overrides.per_target.insert(legislator.id.clone(), edit);
        }
        views.push(view);
    }
    let subject_all = posted.text("subject_all");
    let body_all = posted.text("body_all");
    if !subject_all.trim().is_empty() {
        match Subject::parse(&subject_all) {
            Ok(s) => overrides.all.subject = Some(s),
            Err(e) => errors.push(FieldMessage::new("subject-all", e.reason)),
        }
    }
    if !body_all.trim().is_empty() {
        match Body::parse(&body_all) {
            Ok(b) => overrides.all.body = Some(b),
            Err(e) => errors.push(FieldMessage::new("body-all", e.reason)),
        }
    }
    if included.is_empty() {
        errors.push(FieldMessage::new(
            "messages",
            "Please include at least one message.",
        ));
    }
    if !errors.is_empty() {
        let page = ComposePage::messages_as_posted(
            &doc,
            &lookup,
            &params,
            values,
            views,
            (subject_all, body_all),
        )
        .with_errors(errors)
        .with_sending(app.outbox.enabled(), posted.text("nonce"));
        return Ok(Err(html(StatusCode::UNPROCESSABLE_ENTITY, page.render()?)));
    }
    match messages::draft(&app.store, &doc, &lookup, &included, &supporter, &overrides).await {
        Ok(drafts) => Ok(Ok(Written {
            doc,
            lookup,
            supporter,
            drafts,
        })),
        Err(MessageError::UnknownTarget(_)) => {
            problem_page(&doc, StatusCode::UNPROCESSABLE_ENTITY, FORGED).map(Err)
        }
        Err(other) => Err(page_error(other)),
    }
}

#[post("/compose/drafts")]
pub async fn drafts_page(
    req: HttpRequest,
    app: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let posted = Posted(form.into_inner());
    let Written {
        doc,
        lookup,
        drafts,
        ..
    } = match written(&req, &app, &posted).await? {
        Ok(w) => w,
        Err(page) => return Ok(page),
    };
    let issued = drafts::issue(&app.store, &doc.campaign.slug, drafts, chrono::Utc::now())
        .await?
        .ok_or_else(|| PageError::NotFound("This campaign is not set up yet.".into()))?;
    let page = DraftsPage::build(&doc, &lookup, &issued);
    Ok(html(StatusCode::OK, page.render()?))
}

pub(super) fn page_error(err: MessageError) -> PageError {
    match err {
        MessageError::Store(e) => e.into(),
        MessageError::NoCampaign(_) => {
            PageError::NotFound("This campaign is not set up yet.".into())
        }
        other => PageError::Internal(other.into()),
    }
}

#[get("/r/{token}")]
pub async fn follow(
    app: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let Some(link) = drafts::follow(&app.store, &token, chrono::Utc::now()).await? else {
        return Err(PageError::NotFound(
            "This draft link has expired or does not exist. Draft links work for 24 hours: \
             please write your message again."
                .into(),
        ));
    };
    // Ids and state only: the destination holds the message.
    tracing::info!(
        state = %link.state,
        legislator = %link.legislator_id,
        channel = link.channel.as_str(),
        counted = link.counted,
        "draft link followed"
    );
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, link.target_url))
        .insert_header(("Cache-Control", "no-store"))
        .finish())
}

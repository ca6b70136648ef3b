//! The supporter's writing steps as pages (no JavaScript needed):
//! - `POST /compose`: from the lookup's "Write to them" form (the supporter's details and the
//!   legislators chosen): one editable message per legislator;
//! - `POST /compose/drafts`: the edited messages: the drafts (links and text);
//! - `POST /compose/send`: the edited messages, sent through the service once the supporter
//!   confirms their email; offices without email get their web-form drafts.
//!
//! Each step repeats the lookup from the `lookup_*` hidden fields (a cache hit), so the
//! recipients are always the lookup's, whatever the form claims. The rules are the supporter
//! flow's ([`crate::messages::Flow`]), the same as the API's.

mod form;
mod sent;
mod view;

pub use sent::{Addressee, SentPage};
pub use view::{
    hidden_fields, ComposePage, DraftView, DraftsPage, FieldMessage, MessageView, SupporterValues,
    WriteForm,
};

use crate::civic::{Lookup, LookupForm};
use crate::messages::{FlowError, Letter, MessageError, Mode, Outcome};
use crate::outbox::{token_hash, Outbox, SendError};
use crate::scorecard::CampaignDoc;
use crate::web::error::{PageError, Problem};
use crate::web::extract::{ClientAddr, Posted, SiteCampaign};
use crate::web::respond::private_page;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{post, web, HttpResponse};
use askama::Template;
use std::net::IpAddr;

const FORGED: &str = "Some of the chosen legislators are not among those found for your address. \
                      Please look up your address again.";
const NO_LOOKUP: &str =
    "Please look up your address first: we write to the legislators found for it.";
const CANNOT_SEND: &str = "Sending through this service is not available right now. Please go \
                           back and choose “Get drafts” to send the messages from your own mail app.";
const NO_EMAIL: &str = "None of the offices you chose publishes an email address, so we cannot \
                        send to them. Please go back and choose “Get drafts” to use their web forms.";

/// A failure of the flow as this campaign's page, worded for someone on the writing pages.
fn page_error(err: FlowError, doc: &CampaignDoc) -> PageError {
    let page = match &err {
        FlowError::Message(MessageError::UnknownTarget(_)) => PageError::from(err).saying(FORGED),
        FlowError::Lookup(failure) => {
            let again = format!(
                "We could not find your legislators again: {failure} Please look up your address \
                 again."
            );
            PageError::from(err).saying(again)
        }
        FlowError::NoEmailableOffice => PageError::from(err).saying(NO_EMAIL),
        FlowError::Send(SendError::Disabled) => PageError::from(err).saying(CANNOT_SEND),
        _ => PageError::from(err),
    };
    page.in_campaign(&doc.campaign)
}

/// The lookup the form carries, repeated.
async fn find(
    app: &AppState,
    doc: &CampaignDoc,
    client: Option<IpAddr>,
    form: &LookupForm,
) -> Result<Lookup, PageError> {
    if form.is_empty() {
        let problem = Problem::invalid(NO_LOOKUP, Some("address"));
        return Err(PageError::from(problem).in_campaign(&doc.campaign));
    }
    app.flow
        .find(client, form)
        .await
        .map_err(|e| page_error(e, doc))
}

#[post("/compose")]
pub async fn compose(
    app: web::Data<AppState>,
    SiteCampaign(doc): SiteCampaign,
    ClientAddr(client): ClientAddr,
    posted: Posted,
) -> Result<HttpResponse, PageError> {
    let carried = posted.lookup();
    let lookup = find(&app, &doc, client, &carried).await?;
    let values = SupporterValues::of(&posted);
    let chosen = posted.all("target");
    let letter = match form::details(&values, &chosen) {
        Ok(letter) => letter,
        Err(errors) => {
            let page = ComposePage::details(&doc, &lookup, &carried, values, &chosen);
            let page = page.with_errors(errors);
            return Ok(private_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                page.render()?,
            ));
        }
    };
    let drafts = app
        .flow
        .compose(&doc, &lookup, &letter)
        .await
        .map_err(|e| page_error(e, &doc))?;
    let page = ComposePage::messages(&doc, &lookup, &carried, values, &drafts)
        .with_sending(app.flow.can_send(), uuid::Uuid::new_v4().to_string());
    Ok(private_page(StatusCode::OK, page.render()?))
}

/// What a writing step did: the lookup, the letter as read, and the flow's outcome.
struct Written {
    lookup: Lookup,
    letter: Letter,
    outcome: Outcome,
}

/// Reads the compose page's form into a letter and writes it in `mode`; or the page to show
/// again with each error next to its field.
async fn write(
    app: &AppState,
    doc: &CampaignDoc,
    client: Option<IpAddr>,
    posted: &Posted,
    mode: Mode,
) -> Result<Result<Written, HttpResponse>, PageError> {
    let carried = posted.lookup();
    let lookup = find(app, doc, client, &carried).await?;
    let values = SupporterValues::of(posted);
    let supporter = match form::supporter(&values) {
        Ok(supporter) => supporter,
        Err(errors) => {
            let included = posted.all("target");
            let page = ComposePage::details(doc, &lookup, &carried, values, &included);
            let html = page.with_errors(errors).render()?;
            return Ok(Err(private_page(StatusCode::UNPROCESSABLE_ENTITY, html)));
        }
    };
    let letter = match form::messages(posted, &lookup, supporter) {
        Ok(letter) => letter,
        Err(unwritten) => {
            let page = ComposePage::messages_as_posted(
                doc,
                &lookup,
                &carried,
                values,
                unwritten.views,
                unwritten.all,
            );
            let page = page
                .with_errors(unwritten.errors)
                .with_sending(app.flow.can_send(), posted.text("nonce"));
            return Ok(Err(private_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                page.render()?,
            )));
        }
    };
    let outcome = app.flow.write(doc, &lookup, &letter, mode).await;
    let outcome = outcome.map_err(|e| page_error(e, doc))?;
    Ok(Ok(Written {
        lookup,
        letter,
        outcome,
    }))
}

#[post("/compose/drafts")]
pub async fn drafts_page(
    app: web::Data<AppState>,
    SiteCampaign(doc): SiteCampaign,
    ClientAddr(client): ClientAddr,
    posted: Posted,
) -> Result<HttpResponse, PageError> {
    let written = match write(&app, &doc, client, &posted, Mode::Draft).await? {
        Ok(written) => written,
        Err(page) => return Ok(page),
    };
    let issued = match written.outcome {
        Outcome::Drafts(issued) => issued,
        Outcome::Submitted { drafts, .. } => drafts,
    };
    let page = DraftsPage::build(&doc, &written.lookup, &issued);
    Ok(private_page(StatusCode::OK, page.render()?))
}

/// The page's nonce with a digest of what was posted: a double click makes one submission,
/// while going back, changing a message and sending again makes a new one.
fn send_key(posted: &Posted) -> Option<String> {
    let nonce = posted.get("nonce").filter(|n| !n.is_empty())?;
    let mut form = String::new();
    for (k, v) in &posted.0 {
        form.push_str(&format!("{}={k}\n{}={v}\n", k.len(), v.len()));
    }
    let nonce: String = nonce.chars().take(100).collect();
    Some(format!("{nonce}:{}", &token_hash(&form)[..32]))
}

#[post("/compose/send")]
pub async fn send_page(
    app: web::Data<AppState>,
    SiteCampaign(doc): SiteCampaign,
    ClientAddr(client): ClientAddr,
    posted: Posted,
) -> Result<HttpResponse, PageError> {
    let mode = Mode::Send {
        key: send_key(&posted),
    };
    let Written {
        lookup,
        letter,
        outcome,
    } = match write(&app, &doc, client, &posted, mode).await? {
        Ok(written) => written,
        Err(page) => return Ok(page),
    };
    let Outcome::Submitted {
        submission,
        sending,
        drafts,
    } = outcome
    else {
        return Err(PageError::internal("a send made drafts only"));
    };
    let page = SentPage::build(
        &doc,
        lookup.state.name(),
        letter.supporter.email.as_str(),
        sending.iter().map(Addressee::of).collect(),
        Outbox::receipt_path(&submission.receipt_token),
        DraftsPage::build(&doc, &lookup, &drafts).drafts,
    );
    Ok(private_page(StatusCode::OK, page.render()?))
}

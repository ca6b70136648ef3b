//! Reading the writing pages' forms into a [`Letter`], or into the errors to show next to
//! each field: the supporter's details (`name`, `email`, `city`), the legislators chosen
//! (`target`, repeated), each message's edits (`subject.{id}`, `body.{id}`) and the edit for
//! all (`subject_all`, `body_all`).

use super::view::{posted_message, FieldMessage, MessageView, SupporterValues};
use crate::civic::Lookup;
use crate::domain::{Body, City, EmailAddress, InvalidField, Subject, SupporterName};
use crate::messages::{Edit, Letter, Overrides, Supporter};
use crate::web::extract::Posted;

impl SupporterValues {
    /// What the supporter typed about themselves.
    pub fn of(posted: &Posted) -> SupporterValues {
        SupporterValues {
            name: posted.text("name"),
            email: posted.text("email"),
            city: posted.text("city"),
        }
    }
}

/// The supporter's details, or the errors to show next to each field.
pub fn supporter(values: &SupporterValues) -> Result<Supporter, Vec<FieldMessage>> {
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

/// The "Write to them" form: the supporter and the legislators chosen, no edits yet.
pub fn details(values: &SupporterValues, chosen: &[String]) -> Result<Letter, Vec<FieldMessage>> {
    let mut result = supporter(values);
    if chosen.is_empty() {
        let none = FieldMessage::new(
            "targets",
            "Please choose at least one legislator to write to.",
        );
        match &mut result {
            Ok(_) => result = Err(vec![none]),
            Err(errors) => errors.push(none),
        }
    }
    result.map(|supporter| Letter {
        supporter,
        targets: chosen.to_vec(),
        overrides: Overrides::default(),
    })
}

/// The compose page's messages as posted, in the lookup's order, with their errors: the page
/// to show again.
pub struct Unwritten {
    pub views: Vec<MessageView>,
    /// The edit for all, as typed.
    pub all: (String, String),
    pub errors: Vec<FieldMessage>,
}

/// Reads the compose page's messages for the legislators of `lookup`.
pub fn messages(
    posted: &Posted,
    lookup: &Lookup,
    supporter: Supporter,
) -> Result<Letter, Unwritten> {
    let included = posted.all("target");
    let mut errors: Vec<FieldMessage> = Vec::new();
    let mut views: Vec<MessageView> = Vec::new();
    let mut overrides = Overrides::default();
    for legislator in &lookup.targets {
        let subject = posted.get(&format!("subject.{}", legislator.id));
        let body = posted.get(&format!("body.{}", legislator.id));
        let is_included = included.contains(&legislator.id);
        if !is_included && subject.is_none() && body.is_none() {
            continue;
        }
        let mut view = posted_message(
            views.len() + 1,
            legislator,
            is_included,
            subject.unwrap_or_default().to_string(),
            body.unwrap_or_default().to_string(),
        );
        if is_included {
            let mut edit = Edit::default();
            let index = view.index;
            let mut note = |part: &str, reason: &str| {
                errors.push(FieldMessage::new(
                    format!("{part}-{index}"),
                    format!("Message {index} ({}): {reason}", legislator.name),
                ))
            };
            match subject.map(Subject::parse).transpose() {
                Ok(s) => edit.subject = s,
                Err(e) => {
                    note("subject", &e.reason);
                    view.subject_error = Some(e.reason);
                }
            }
            match body.map(Body::parse).transpose() {
                Ok(b) => edit.body = b,
                Err(e) => {
                    note("body", &e.reason);
                    view.body_error = Some(e.reason);
                }
            }
            overrides.per_target.insert(legislator.id.clone(), edit);
        }
        views.push(view);
    }
    let all = (posted.text("subject_all"), posted.text("body_all"));
    if !all.0.trim().is_empty() {
        match Subject::parse(&all.0) {
            Ok(s) => overrides.all.subject = Some(s),
            Err(e) => errors.push(FieldMessage::new("subject-all", e.reason)),
        }
    }
    if !all.1.trim().is_empty() {
        match Body::parse(&all.1) {
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
        return Err(Unwritten { views, all, errors });
    }
    Ok(Letter {
        supporter,
        targets: included,
        overrides,
    })
}

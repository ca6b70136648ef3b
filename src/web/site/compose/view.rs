//! Writing to legislators, as pages (no JavaScript): the "Write to them" form on the lookup's
//! results, the compose page (one editable message per legislator, or one edit for all), and
//! the drafts page (mail-app, Gmail and Outlook links, the office's web form, the text to copy).

use crate::civic::{Lookup, LookupForm};
use crate::directory::{Chamber, Legislator};
use crate::messages::{Draft, IssuedDraft};
use crate::scorecard::CampaignDoc;
use crate::web::site::Site;
use askama::Template;

/// A hidden form field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HiddenField {
    pub name: String,
    pub value: String,
}

/// The lookup as hidden `lookup_*` fields, carried through the forms so that every step
/// repeats the lookup (a cache hit) instead of trusting a list of recipients from the browser.
/// The address is personal data: it travels in the form, never into the database or a log.
pub fn hidden_fields(form: &LookupForm) -> Vec<HiddenField> {
    form.pairs()
        .into_iter()
        .map(|(name, value)| HiddenField {
            name: format!("lookup_{name}"),
            value,
        })
        .collect()
}

/// A legislator the supporter may include, as a checkbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetChoice {
    pub index: usize,
    pub id: String,
    pub label: String,
    pub checked: bool,
}

/// "Elizabeth Warren, U.S. Senator" / "Jay Livingstone, State Representative (8th Suffolk)".
fn target_label(l: &Legislator) -> String {
    match l.chamber {
        Chamber::UsSenate => format!("{}, {}", l.name, l.title),
        _ if l.district.trim().is_empty() => format!("{}, {}", l.name, l.title),
        _ => format!("{}, {} (district {})", l.name, l.title, l.district),
    }
}

fn target_choices(lookup: &Lookup, checked: impl Fn(&str) -> bool) -> Vec<TargetChoice> {
    lookup
        .targets
        .iter()
        .enumerate()
        .map(|(i, t)| TargetChoice {
            index: i + 1,
            id: t.id.clone(),
            label: target_label(t),
            checked: checked(&t.id),
        })
        .collect()
}

/// The "Write to them" form shown under the lookup's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteForm {
    pub hidden: Vec<HiddenField>,
    pub targets: Vec<TargetChoice>,
    /// The city typed into the address form, offered for the signature.
    pub city: String,
}

impl WriteForm {
    /// `None` when the lookup found nobody to write to.
    pub fn new(params: &LookupForm, lookup: &Lookup) -> Option<WriteForm> {
        if lookup.targets.is_empty() || params.is_empty() {
            return None;
        }
        Some(WriteForm {
            hidden: hidden_fields(params),
            targets: target_choices(lookup, |_| true),
            city: params.address.city.clone().unwrap_or_default(),
        })
    }
}

/// A message shown next to the field it is about, and in the summary at the top.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldMessage {
    /// The element id of the field (`name`, `email`, `city`, `targets`, `subject-2`, ...).
    pub id: String,
    pub message: String,
}

impl FieldMessage {
    pub fn new(id: impl Into<String>, message: impl Into<String>) -> FieldMessage {
        FieldMessage {
            id: id.into(),
            message: message.into(),
        }
    }
}

/// What the supporter typed about themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SupporterValues {
    pub name: String,
    pub email: String,
    pub city: String,
}

/// One message on the compose page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageView {
    pub index: usize,
    pub id: String,
    pub name: String,
    pub title: String,
    /// "By email to x@y.gov" / "Through their office's web form" / ...
    pub route: String,
    /// The office has an email address: the service can send this message.
    pub by_email: bool,
    pub included: bool,
    pub subject: String,
    pub body: String,
    pub subject_error: Option<String>,
    pub body_error: Option<String>,
}

/// Where the compose page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The supporter's details need fixing (or no legislator was chosen).
    Details,
    /// The messages, ready to edit.
    Messages,
}

/// `POST /compose`: the supporter's details, then one message per legislator.
#[derive(Template)]
#[template(path = "site/compose.html")]
pub struct ComposePage {
    pub site: Site,
    pub title: String,
    pub state_name: String,
    pub stage: Stage,
    pub lookup_hidden: Vec<HiddenField>,
    pub supporter: SupporterValues,
    /// Details stage: the legislators to choose from.
    pub targets: Vec<TargetChoice>,
    /// Messages stage.
    pub messages: Vec<MessageView>,
    pub subject_all: String,
    pub body_all: String,
    pub errors: Vec<FieldMessage>,
    /// A problem with the whole form (shown at the top).
    pub problem: Option<String>,
    /// True when the service can send (a relay is configured): the page offers it.
    pub can_send: bool,
    /// One per written page: a repeated "Send" of the same page makes one submission.
    pub nonce: String,
}

impl ComposePage {
    fn base(
        doc: &CampaignDoc,
        lookup: &Lookup,
        params: &LookupForm,
        supporter: SupporterValues,
        stage: Stage,
    ) -> ComposePage {
        let state_name = lookup.state.name().to_string();
        ComposePage {
            title: format!("Write to your legislators · {}", doc.campaign.title),
            site: Site::from_campaign(&doc.campaign),
            state_name,
            stage,
            lookup_hidden: hidden_fields(params),
            supporter,
            targets: Vec::new(),
            messages: Vec::new(),
            subject_all: String::new(),
            body_all: String::new(),
            errors: Vec::new(),
            problem: None,
            can_send: false,
            nonce: String::new(),
        }
    }

    /// The details form again, with the legislators ticked as they were.
    pub fn details(
        doc: &CampaignDoc,
        lookup: &Lookup,
        params: &LookupForm,
        supporter: SupporterValues,
        chosen: &[String],
    ) -> ComposePage {
        let mut page = ComposePage::base(doc, lookup, params, supporter, Stage::Details);
        page.targets = target_choices(lookup, |id| chosen.iter().any(|c| c == id));
        page
    }

    /// The messages, as composed.
    pub fn messages(
        doc: &CampaignDoc,
        lookup: &Lookup,
        params: &LookupForm,
        supporter: SupporterValues,
        drafts: &[Draft],
    ) -> ComposePage {
        let mut page = ComposePage::base(doc, lookup, params, supporter, Stage::Messages);
        page.messages = drafts
            .iter()
            .enumerate()
            .map(|(i, d)| MessageView {
                index: i + 1,
                id: d.target_id.clone(),
                name: d.name.clone(),
                title: d.title.clone(),
                route: route(d.to.as_ref().map(|e| e.as_str()), d.contact_form.is_some()),
                by_email: d.to.is_some(),
                included: true,
                subject: d.subject.as_str().to_string(),
                body: d.body.as_str().to_string(),
                subject_error: None,
                body_error: None,
            })
            .collect();
        page
    }

    /// The messages as the supporter posted them, to show their errors.
    pub fn messages_as_posted(
        doc: &CampaignDoc,
        lookup: &Lookup,
        params: &LookupForm,
        supporter: SupporterValues,
        posted: Vec<MessageView>,
        all: (String, String),
    ) -> ComposePage {
        let mut page = ComposePage::base(doc, lookup, params, supporter, Stage::Messages);
        page.messages = posted;
        (page.subject_all, page.body_all) = all;
        page
    }

    pub fn with_errors(mut self, errors: Vec<FieldMessage>) -> ComposePage {
        self.errors = errors;
        self
    }

    /// Offers sending through the service (when `can_send`), with the page's nonce.
    pub fn with_sending(mut self, can_send: bool, nonce: String) -> ComposePage {
        self.can_send = can_send;
        self.nonce = nonce
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(100)
            .collect();
        self
    }

    /// The messages that can go by email (the ones the service can send).
    pub fn emailable(&self) -> usize {
        self.messages.iter().filter(|m| m.by_email).count()
    }

    pub fn with_problem(mut self, problem: String) -> ComposePage {
        self.problem = Some(problem);
        self
    }

    /// The error for the field with element id `id`, if any.
    pub fn error_for(&self, id: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.id == id)
            .map(|e| e.message.as_str())
    }

    pub fn is_details(&self) -> bool {
        self.stage == Stage::Details
    }
}

/// The compose page's view of a legislator of the lookup, for re-showing posted messages.
pub fn posted_message(
    index: usize,
    legislator: &Legislator,
    included: bool,
    subject: String,
    body: String,
) -> MessageView {
    let to = legislator
        .email
        .as_deref()
        .filter(|e| crate::domain::EmailAddress::parse(e).is_ok());
    MessageView {
        index,
        id: legislator.id.clone(),
        name: legislator.name.clone(),
        title: legislator.title.clone(),
        route: route(to, legislator.contact_form.is_some()),
        by_email: to.is_some(),
        included,
        subject,
        body,
        subject_error: None,
        body_error: None,
    }
}

fn route(email: Option<&str>, form: bool) -> String {
    match (email, form) {
        (Some(e), _) => format!("By email to {e}"),
        (None, true) => "Through their office’s web form (you paste the text)".to_string(),
        (None, false) => "This office publishes no email address or web form: copy the text \
                          and send it by post or read it over the phone."
            .to_string(),
    }
}

/// One office on the drafts page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftView {
    pub index: usize,
    pub name: String,
    pub title: String,
    pub to: Option<String>,
    pub mailto: Option<String>,
    pub gmail: Option<String>,
    pub outlook: Option<String>,
    pub contact_form: Option<String>,
    pub subject: String,
    pub body: String,
}

/// `POST /compose/drafts`: each message as links and as text to copy.
#[derive(Template)]
#[template(path = "site/drafts.html")]
pub struct DraftsPage {
    pub site: Site,
    pub title: String,
    pub state_name: String,
    pub drafts: Vec<DraftView>,
}

impl DraftsPage {
    pub fn build(doc: &CampaignDoc, lookup: &Lookup, issued: &[IssuedDraft]) -> DraftsPage {
        DraftsPage {
            title: format!("Your messages, ready to send · {}", doc.campaign.title),
            site: Site::from_campaign(&doc.campaign),
            state_name: lookup.state.name().to_string(),
            drafts: issued
                .iter()
                .enumerate()
                .map(|(i, d)| DraftView {
                    index: i + 1,
                    name: d.draft.name.clone(),
                    title: d.draft.title.clone(),
                    to: d.draft.to.as_ref().map(|e| e.as_str().to_string()),
                    mailto: d.links.mailto.clone(),
                    gmail: d.links.gmail.clone(),
                    outlook: d.links.outlook.clone(),
                    contact_form: d.links.contact_form.clone(),
                    subject: d.draft.subject.as_str().to_string(),
                    body: d.draft.body.as_str().to_string(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lookup_round_trips_through_hidden_fields() {
        let params = LookupForm::from_pairs(
            &[
                ("address", "24 Beacon St, Boston, MA"),
                ("manual", "a,b"),
                ("zip", ""),
            ],
            "",
        );
        let hidden = hidden_fields(&params);
        assert_eq!(hidden.len(), 2, "empty values are not carried");
        let pairs: Vec<(String, String)> = hidden
            .into_iter()
            .map(|h| (h.name, h.value))
            .chain([("name".to_string(), "Jane".to_string())])
            .collect();
        let back = LookupForm::from_pairs(&pairs, "lookup_");
        assert_eq!(back.address.address, params.address.address);
        assert_eq!(back.manual, params.manual);
        assert_eq!(back.address.zip, None);
        assert!(LookupForm::default().is_empty());
    }

    use crate::civic::Accuracy;
    use crate::domain::{Body, EmailAddress, StateCode, Subject};
    use crate::messages::{Audience, DraftLinks};

    fn doc() -> CampaignDoc {
        crate::scorecard::seed("").expect("seed")
    }

    fn lookup() -> Lookup {
        Lookup {
            state: StateCode::parse("MA").expect("MA"),
            zip: None,
            accuracy: Accuracy::Address,
            warnings: Vec::new(),
            targets: Vec::new(),
            choices: Vec::new(),
        }
    }

    fn params() -> LookupForm {
        LookupForm::one_line("1 Main St\" onmouseover=\"x")
    }

    fn draft(name: &str, to: Option<&str>) -> Draft {
        Draft {
            target_id: format!("id-{name}"),
            name: name.into(),
            title: "State Senator".into(),
            state: StateCode::parse("MA").expect("MA"),
            chamber: crate::directory::Chamber::StateUpper,
            district: "1".into(),
            audience: Audience::State,
            to: to.map(|e| EmailAddress::parse(e).expect("valid")),
            contact_form: None,
            subject: Subject::parse("End QI <now>").expect("valid"),
            body: Body::parse("Dear Senator,\n\n</textarea><script>alert(1)</script>")
                .expect("valid"),
            template_version: 1,
            scorecard_revision: None,
            edited: false,
        }
    }

    #[test]
    fn the_details_step_shows_each_error_next_to_its_field() {
        let values = SupporterValues {
            name: "<b>Jane</b>".into(),
            email: "nope".into(),
            city: String::new(),
        };
        let html = ComposePage::details(&doc(), &lookup(), &params(), values, &[])
            .with_errors(vec![
                FieldMessage::new(
                    "email",
                    "Please enter an email address like name@example.org.",
                ),
                FieldMessage::new(
                    "targets",
                    "Please choose at least one legislator to write to.",
                ),
            ])
            .render()
            .expect("renders");
        assert!(html.contains("id=\"email-error\""));
        assert!(html.contains("aria-describedby=\"email-hint email-error\""));
        assert!(html.contains("id=\"targets-error\""));
        assert!(html.contains("href=\"#email\""));
        assert!(!html.contains("id=\"name-error\""));
        assert!(!html.contains("<b>Jane"), "input is escaped");
        assert!(
            !html.contains("\" onmouseover"),
            "hidden values are escaped"
        );
        assert!(!html.contains("<script") && !html.contains("style=\""));
    }

    #[test]
    fn the_drafts_page_offers_links_or_the_form_and_the_text_to_copy() {
        let issued = vec![
            IssuedDraft {
                draft: draft("Ann", Some("ann@masenate.gov")),
                links: DraftLinks {
                    mailto: Some("/r/aaaa".into()),
                    gmail: Some("/r/bbbb".into()),
                    outlook: Some("/r/cccc".into()),
                    contact_form: None,
                },
            },
            IssuedDraft {
                draft: draft("Cy", None),
                links: DraftLinks {
                    contact_form: Some("/r/dddd".into()),
                    ..DraftLinks::default()
                },
            },
        ];
        let html = DraftsPage::build(&doc(), &lookup(), &issued)
            .render()
            .expect("renders");
        for link in ["/r/aaaa", "/r/bbbb", "/r/cccc", "/r/dddd"] {
            assert!(html.contains(&format!("href=\"{link}\"")), "{link}");
        }
        assert!(html.contains("This office takes mail through"));
        assert_eq!(html.matches("<textarea").count(), 2);
        assert_eq!(html.matches(" readonly").count(), 4);
        assert!(!html.contains("</textarea><script>"), "the text is escaped");
        assert!(!html.contains("<now>"));
        assert!(
            html.contains("for=\"draft-body-2\""),
            "every box has a label"
        );
    }
}

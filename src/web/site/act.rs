//! The "Email your legislators" step: the address form, the answer (legislators next to their
//! state's scorecard), and the choose-your-district step when the answer is not certain.

use super::compose::WriteForm;
use super::text::safe_url;
use super::Site;
use crate::civic::FailureKind;
use crate::civic::{Accuracy, Lookup, LookupForm};
use crate::directory::{Chamber, Legislator};
use crate::domain::STATES;
use crate::messages::FlowError;
use crate::scorecard::CampaignDoc;
use crate::web::error::{PageError, Problem};
use crate::web::extract::{ClientAddr, LookupQuery, SiteCampaign};
use crate::web::respond::private_page;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use askama::Template;

/// What the supporter typed, echoed back into the form (escaped by the template).
#[derive(Debug, Clone, Default)]
pub struct FormValues {
    pub address: String,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
}

impl FormValues {
    pub fn of(form: &LookupForm) -> FormValues {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        FormValues {
            address: text(&form.address.address),
            street: text(&form.address.street),
            city: text(&form.address.city),
            state: text(&form.address.state),
            zip: text(&form.address.zip),
        }
    }
}

/// A message shown next to the field it is about.
#[derive(Debug, Clone)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

pub struct StateOption {
    pub code: &'static str,
    pub name: &'static str,
    pub selected: bool,
}

pub struct ChoiceView {
    pub label: String,
    pub href: String,
}

pub struct TargetView {
    pub name: String,
    pub title: String,
    pub party: Option<String>,
    pub district: Option<String>,
    pub photo_url: Option<String>,
    pub email: Option<String>,
    pub mailto: Option<String>,
    pub contact_form: Option<String>,
    pub phone: Option<String>,
}

pub struct ResultView {
    pub state_name: String,
    pub state_slug: String,
    pub accuracy: &'static str,
    pub warnings: Vec<String>,
    pub choices: Vec<ChoiceView>,
    pub state_targets: Vec<TargetView>,
    pub federal_targets: Vec<TargetView>,
    pub bill: Option<String>,
    pub summary: String,
    pub asks: Vec<String>,
    /// Link to pick state legislators by hand when the lookup could not name them.
    pub choose_href: Option<String>,
}

#[derive(Template)]
#[template(path = "site/act.html")]
pub struct ActPage {
    pub site: Site,
    pub title: String,
    pub form: FormValues,
    pub error: Option<FieldError>,
    pub result: Option<ResultView>,
    pub states: Vec<StateOption>,
    pub parts_open: bool,
    /// Shown when the legislator directory is empty or older than its configured limit.
    pub directory_notice: Option<String>,
    /// The "Write to them" form under the results (see `site::compose`).
    pub write: Option<WriteForm>,
}

impl ActPage {
    pub fn new(doc: &CampaignDoc, form: FormValues) -> ActPage {
        let states = STATES
            .iter()
            .map(|(code, name)| StateOption {
                code,
                name,
                selected: form.state.eq_ignore_ascii_case(code),
            })
            .collect();
        let parts_open = !(form.street.is_empty() && form.city.is_empty() && form.zip.is_empty());
        ActPage {
            title: format!("Email your legislators · {}", doc.campaign.title),
            site: Site::from_campaign(&doc.campaign),
            form,
            error: None,
            result: None,
            states,
            parts_open,
            directory_notice: None,
            write: None,
        }
    }

    pub fn with_directory_notice(mut self, notice: Option<String>) -> ActPage {
        self.directory_notice = notice;
        self
    }

    pub fn with_error(mut self, field: &'static str, message: String) -> ActPage {
        self.error = Some(FieldError { field, message });
        self
    }

    /// Adds the "Write to them" form to the results.
    pub fn with_write_form(mut self, form: Option<WriteForm>) -> ActPage {
        self.write = form;
        self
    }

    pub fn with_result(mut self, doc: &CampaignDoc, lookup: &Lookup) -> ActPage {
        let card = doc.scorecard(lookup.state);
        let views = |federal: bool| -> Vec<TargetView> {
            lookup
                .targets
                .iter()
                .filter(|t| t.chamber.is_federal() == federal)
                .map(target_view)
                .collect()
        };
        self.title = format!(
            "Your legislators in {} · {}",
            card.state_name, doc.campaign.title
        );
        self.result = Some(ResultView {
            state_name: card.state_name.to_string(),
            state_slug: card.state.as_str().to_ascii_lowercase(),
            accuracy: match lookup.accuracy {
                Accuracy::Address => "Found from your street address.",
                Accuracy::Zip => "Found from your ZIP code only: please check.",
                Accuracy::Manual => "Chosen by you: unverified.",
            },
            warnings: lookup.warnings.clone(),
            choices: lookup
                .choices
                .iter()
                .map(|c| ChoiceView {
                    label: c.label.clone(),
                    href: format!("/act?choice={}", urlencode(&c.token)),
                })
                .collect(),
            state_targets: views(false),
            federal_targets: views(true),
            bill: card.bill.as_ref().map(super::text::bill_name),
            summary: card.summary.clone(),
            asks: card.gaps.iter().map(|g| g.ask.clone()).collect(),
            choose_href: (lookup.accuracy == Accuracy::Zip
                || !lookup.targets.iter().any(|t| !t.chamber.is_federal()))
            .then(|| format!("/act/choose?state={}", card.state.as_str())),
        });
        self
    }

    /// The error for `field`, if that is where the error belongs.
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

fn target_view(l: &Legislator) -> TargetView {
    let district = match l.chamber {
        Chamber::UsSenate => None,
        _ if l.district.is_empty() => None,
        _ => Some(format!("District {}", l.district)),
    };
    TargetView {
        name: l.name.clone(),
        title: l.title.clone(),
        party: l.party.clone(),
        district,
        photo_url: l.photo_url.as_deref().and_then(safe_url),
        mailto: l
            .email
            .as_deref()
            .filter(|e| is_plain_email(e))
            .map(|e| format!("mailto:{e}")),
        email: l.email.clone().filter(|e| is_plain_email(e)),
        contact_form: l.contact_form.as_deref().and_then(safe_url),
        phone: l.phone.clone(),
    }
}

/// Directory data is public but not ours: only plain addresses become mailto links.
fn is_plain_email(e: &str) -> bool {
    let mut parts = e.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(local), Some(domain), None)
        if !local.is_empty() && domain.contains('.')
            && e.chars().all(|c| c.is_ascii_alphanumeric() || "@._+-'".contains(c)))
}

fn urlencode(raw: &str) -> String {
    url::form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}

/// `GET /act`: the blank form, or the answer to the lookup it asks (an error next to its
/// field when there is none).
#[get("/act")]
pub async fn page(
    app: web::Data<AppState>,
    SiteCampaign(doc): SiteCampaign,
    ClientAddr(client): ClientAddr,
    LookupQuery(form): LookupQuery,
) -> Result<HttpResponse, PageError> {
    let page = ActPage::new(&doc, FormValues::of(&form))
        .with_directory_notice(directory_notice(&app).await);
    if !form.submitted {
        return Ok(private_page(StatusCode::OK, page.render()?));
    }
    let mut retry = None;
    let (status, page) = match app.flow.find(client, &form).await {
        Ok(lookup) => {
            let write = WriteForm::new(&form, &lookup);
            let page = page.with_result(&doc, &lookup).with_write_form(write);
            (StatusCode::OK, page)
        }
        // The supporter can act on it: shown next to its field, with the status it maps to.
        Err(FlowError::Lookup(failure)) if failure.kind() != FailureKind::Internal => {
            let (field, message) = (failure.field(), failure.to_string());
            (
                Problem::from(failure).status,
                page.with_error(field, message),
            )
        }
        // The start-up sync has not loaded the directory yet: said next to the address.
        Err(FlowError::DirectoryLoading(loading)) => {
            let problem = Problem::from(loading);
            retry = problem.retry_after;
            let message = "The legislator directory is loading. Please try again in a minute.";
            (
                problem.status,
                page.with_error("address", message.to_string()),
            )
        }
        Err(other) => return Err(other.into()),
    };
    let mut res = private_page(status, page.render()?);
    crate::web::error::retry_after(&mut res, retry);
    Ok(res)
}

/// Tells supporters when the legislator list may be out of date (or missing).
async fn directory_notice(app: &AppState) -> Option<String> {
    use crate::jobs::DirectoryState;
    match crate::jobs::directory_state(&app.store, &app.settings.directory).await {
        Ok(DirectoryState::Stale(dir)) => Some(format!(
            "Our list of legislators was last updated on {}. Recent changes (special elections, \
             resignations) may be missing.",
            dir.synced_at.format("%B %-d, %Y")
        )),
        Ok(DirectoryState::Ready(_)) => None,
        Ok(DirectoryState::Loading | DirectoryState::Failed { .. }) => Some(
            "The legislator directory is loading, so we cannot name your legislators yet. \
             Please try again in a minute."
                .to_string(),
        ),
        Ok(DirectoryState::Empty) => Some(
            "Our list of legislators has not been loaded yet, so we cannot name your legislators \
             right now."
                .to_string(),
        ),
        Err(err) => {
            tracing::warn!(error = %err, "directory status failed");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::civic::Choice;
    use crate::domain::StateCode;

    fn doc() -> CampaignDoc {
        crate::scorecard::seed("").expect("seed")
    }

    fn legislator(name: &str, chamber: Chamber, email: Option<&str>) -> Legislator {
        Legislator {
            id: format!("id-{name}"),
            name: name.into(),
            given_name: String::new(),
            family_name: String::new(),
            title: "State Senator".into(),
            chamber,
            state: StateCode::parse("MA").expect("MA"),
            district: "1st Middlesex".into(),
            division_id: String::new(),
            party: Some("Democratic".into()),
            email: email.map(String::from),
            contact_form: Some("javascript:alert(1)".into()),
            phone: None,
            photo_url: None,
            source: "test".into(),
            synced_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn the_form_echoes_input_escaped_and_shows_errors_by_field() {
        let form = FormValues {
            address: "<script>x</script>".into(),
            ..Default::default()
        };
        let html = ActPage::new(&doc(), form)
            .with_error("address", "Please enter your home address.".into())
            .render()
            .expect("renders");
        assert!(!html.contains("<script>x"));
        assert!(html.contains("Please enter your home address."));
        assert!(html.contains("aria-invalid=\"true\""));
    }

    #[test]
    fn results_list_legislators_asks_and_choices() {
        let lookup = Lookup {
            state: StateCode::parse("MA").expect("MA"),
            zip: None,
            accuracy: Accuracy::Zip,
            warnings: vec!["Your ZIP code spans two districts.".into()],
            targets: vec![
                legislator("Ann Senator", Chamber::StateUpper, Some("ann@masenate.gov")),
                legislator("Bob Bad", Chamber::StateLower, Some("bob@x\r\nBcc: y")),
                legislator("Cy Federal", Chamber::UsSenate, None),
            ],
            choices: vec![Choice {
                label: "Congressional district 5".into(),
                token: "a b&c".into(),
            }],
        };
        let d = doc();
        let html = ActPage::new(&d, FormValues::default())
            .with_result(&d, &lookup)
            .render()
            .expect("renders");
        assert!(html.contains("Ann Senator"));
        assert!(html.contains("mailto:ann@masenate.gov"));
        assert!(
            !html.contains("mailto:bob"),
            "odd addresses never become links"
        );
        assert!(
            !html.contains("javascript:"),
            "unsafe contact links are dropped"
        );
        assert!(html.contains("Your ZIP code spans two districts."));
        assert!(html.contains("/act?choice=a+b%26c"));
        assert!(html.contains("end 3/4, start 1/5"));
        assert!(html.contains("Remove caps") || html.contains("remove caps"));
    }
}

//! `POST /compose/send`'s answer: the confirmation email is on its way, and the drafts of the
//! offices that take mail only through a web form.

use super::view::DraftView;
use crate::scorecard::CampaignDoc;
use crate::web::site::Site;
use askama::Template;

/// A legislator a message goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressee {
    pub name: String,
    pub title: String,
}

/// `POST /compose/send`: the confirmation email is on its way.
#[derive(Template)]
#[template(path = "site/sent.html")]
pub struct SentPage {
    pub site: Site,
    pub title: String,
    pub state_name: String,
    /// Where the confirmation email went.
    pub email: String,
    pub addressees: Vec<Addressee>,
    pub receipt_path: String,
    /// Offices that take mail only through a web form: their drafts.
    pub drafts: Vec<DraftView>,
}

impl SentPage {
    pub fn build(
        doc: &CampaignDoc,
        state_name: &str,
        email: &str,
        addressees: Vec<Addressee>,
        receipt_path: String,
        drafts: Vec<DraftView>,
    ) -> SentPage {
        SentPage {
            site: Site::from_campaign(&doc.campaign),
            title: format!("Check your email · {}", doc.campaign.title),
            state_name: state_name.to_string(),
            email: email.to_string(),
            addressees,
            receipt_path,
            drafts,
        }
    }
}

impl Addressee {
    pub fn of(draft: &crate::messages::Draft) -> Addressee {
        Addressee {
            name: draft.name.clone(),
            title: draft.title.clone(),
        }
    }
}

//! The supporters' site: server-rendered pages (askama templates in `templates/site/`), each
//! handler beside its view model.
//!
//! View logic (wording, colours, coordinates, which links are safe) lives in the Rust view
//! models so the templates only place values. Everything is server-rendered: no script, no
//! inline style, no outside resource, so the pages work under `default-src 'self'`.

pub mod act;
mod assets;
pub mod choose;
pub mod compose;
pub mod confirm;
pub mod counter;
pub mod home;
mod links;
pub mod map;
pub mod receipt;
pub mod state;
mod text;

use crate::domain::StateCode;
use crate::scorecard::{Campaign, CampaignDoc};
use askama::Template;

pub use act::{ActPage, FormValues};
pub use choose::ChoosePage;
pub use compose::{ComposePage, DraftsPage, SentPage, WriteForm};
pub use confirm::ConfirmPage;
pub use home::{HomePage, StateRow};
pub use map::MapView;
pub use receipt::ReceiptPage;
pub use state::StatePage;

use actix_web::web;

/// The stylesheet, served at `/static/style.css`.
pub const STYLESHEET: &str = include_str!("../../../templates/layout/style.css");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(home::page)
        .service(state::page)
        .service(choose::page)
        .service(act::page)
        .service(compose::compose)
        .service(compose::drafts_page)
        .service(compose::send_page)
        .service(links::follow)
        .service(confirm::page)
        .service(confirm::confirm)
        .service(receipt::page)
        .service(counter::badge)
        .service(assets::stylesheet)
        .service(assets::copy_script);
}

/// What the layout shows on every page: the campaign's name and whom to credit.
#[derive(Debug, Clone)]
pub struct Site {
    pub title: String,
    pub organisation: String,
    /// The campaign's own site, when it is a plain web address.
    pub url: Option<String>,
}

impl Site {
    pub fn from_campaign(campaign: &Campaign) -> Site {
        Site {
            title: campaign.title.clone(),
            organisation: campaign.organisation.clone(),
            url: text::safe_url(&campaign.url),
        }
    }

    /// For error pages rendered where no campaign is at hand: the campaign this service runs.
    pub fn fallback() -> Site {
        Site {
            title: "End Qualified Immunity".to_string(),
            organisation: "Campaign Zero".to_string(),
            url: Some("https://endqi.org/".to_string()),
        }
    }
}

/// A 404 or other error, in the site's layout.
#[derive(Template)]
#[template(path = "layout/error.html")]
pub struct ErrorPage {
    pub site: Site,
    pub title: String,
    pub heading: String,
    pub message: String,
    pub status: u16,
}

/// GET /
pub fn home(doc: &CampaignDoc) -> Result<String, askama::Error> {
    HomePage::build(doc).render()
}

/// GET /states/{code}
pub fn state(doc: &CampaignDoc, code: StateCode) -> Result<String, askama::Error> {
    StatePage::build(doc, code).render()
}

/// An error page (404, 422, 429, 500, ...) in the layout of `site`.
pub fn error_page(site: Site, status: u16, message: &str) -> Result<String, askama::Error> {
    let heading = match status {
        404 => "We couldn't find that page",
        429 => "Too many requests — please wait a moment and try again",
        400..=499 => "We couldn't do that",
        500..=599 => "Something went wrong on our side",
        _ => "Something went wrong",
    };
    let title = match status {
        404 => format!("Page not found · {}", site.title),
        _ => format!("{heading} · {}", site.title),
    };
    ErrorPage {
        title,
        heading: heading.to_string(),
        message: message.to_string(),
        status,
        site,
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{BillStatus, CriterionKind, CriterionStatus};
    use crate::scorecard::{Bill, Criterion, Evaluation, StateBills};

    const RUBRIC: [(&str, CriterionKind, &str, &str); 9] = [
        (
            "end-police",
            CriterionKind::End,
            "Ends qualified immunity for all law enforcement officers",
            "end qualified immunity for every police officer",
        ),
        (
            "end-employees",
            CriterionKind::End,
            "Ends qualified immunity for all public employees",
            "end qualified immunity for every public employee",
        ),
        (
            "end-violations",
            CriterionKind::End,
            "Ends qualified immunity for all state (and U.S.) constitutional violations",
            "cover every state and U.S. constitutional right",
        ),
        (
            "end-caps",
            CriterionKind::End,
            "Ends monetary caps on all public liability amounts",
            "remove caps so victims are paid what they are owed",
        ),
        (
            "start-intervene",
            CriterionKind::Start,
            "Implements a failure-to-intervene clause",
            "make officers present at the scene liable when they fail to intervene",
        ),
        (
            "start-full",
            CriterionKind::Start,
            "Guarantees that victims are compensated the full amount awarded",
            "guarantee full payment of awards",
        ),
        (
            "start-fees",
            CriterionKind::Start,
            "Starts attorney fees",
            "require attorney fees for victims",
        ),
        (
            "start-accountable",
            CriterionKind::Start,
            "Starts holding individual employees accountable",
            "enforce consequences for officers who do wrong",
        ),
        (
            "start-records",
            CriterionKind::Start,
            "Starts disclosing public records",
            "publicly disclose misconduct records relevant to a case",
        ),
    ];

    fn eval(
        criterion: &str,
        status: CriterionStatus,
        reason: &str,
        quote: Option<&str>,
    ) -> Evaluation {
        Evaluation {
            criterion: criterion.to_string(),
            status,
            reason: reason.to_string(),
            quote: quote.map(str::to_string),
            source: None,
        }
    }

    fn code(raw: &str) -> StateCode {
        StateCode::parse(raw).expect("a state code")
    }

    fn doc() -> CampaignDoc {
        use CriterionStatus::*;
        let ma = Bill {
            number: Some("S 2963".into()),
            title: "An Act relative to justice, equity & accountability".into(),
            year: Some(2020),
            status: BillStatus::Failed,
            source_url: "https://endqi.org/state/ma".into(),
            featured: true,
            note: None,
            evaluations: vec![
                eval(
                    "end-police",
                    Yes,
                    "Bans immunity as a defense.",
                    Some("It shall not be a defense or immunity <b>\"good faith\"</b>"),
                ),
                eval("end-employees", Yes, "Covers all public employees.", None),
                eval("end-violations", Yes, "Covers state and U.S. rights.", None),
                eval("end-caps", No, "Keeps the $100,000 cap.", None),
                eval("start-intervene", Partial, "Only for some officers.", None),
                eval("start-full", No, "No guarantee.", None),
                eval(
                    "start-fees",
                    No,
                    "Fees <script>alert(1)</script> are optional.",
                    None,
                ),
                eval("start-accountable", No, "No consequences.", None),
                eval("start-records", No, "No disclosure.", None),
            ],
        };
        let ma_older = Bill {
            number: Some("H 1234".into()),
            title: "An earlier version".into(),
            year: Some(2019),
            status: BillStatus::Failed,
            source_url: "javascript:alert(1)".into(),
            featured: false,
            note: None,
            evaluations: vec![eval("end-police", No, "Narrower.", None)],
        };
        let ct = Bill {
            number: None,
            title: "Police accountability law".into(),
            year: Some(2020),
            status: BillStatus::Passed,
            source_url: "https://endqi.org/state/ct".into(),
            featured: true,
            note: None,
            evaluations: vec![eval("end-police", No, "Good-faith defense remains.", None)],
        };
        let ny = Bill {
            number: Some("S 1991".into()),
            title: "Pending bill".into(),
            year: None,
            status: BillStatus::Pending,
            source_url: "https://endqi.org/state/ny".into(),
            featured: true,
            note: None,
            evaluations: RUBRIC
                .iter()
                .map(|(id, ..)| eval(id, Yes, "Meets it.", None))
                .collect(),
        };
        CampaignDoc {
            campaign: Campaign {
                slug: "end-qualified-immunity".into(),
                title: "End Qualified Immunity".into(),
                organisation: "Campaign Zero".into(),
                summary: "Qualified immunity shields police from accountability.".into(),
                url: "https://endqi.org/".into(),
            },
            criteria: RUBRIC
                .iter()
                .map(|(id, kind, label, ask)| Criterion {
                    id: (*id).into(),
                    kind: *kind,
                    label: (*label).into(),
                    ask: (*ask).into(),
                })
                .collect(),
            states: vec![
                StateBills {
                    code: code("MA"),
                    bills: vec![ma, ma_older],
                },
                StateBills {
                    code: code("CT"),
                    bills: vec![ct],
                },
                StateBills {
                    code: code("NY"),
                    bills: vec![ny],
                },
            ],
        }
    }

    /// The opening tags of every `<a class="tile" ...>` in the page.
    fn tiles(html: &str) -> Vec<&str> {
        html.split("<a class=\"tile")
            .skip(1)
            .filter_map(|rest| rest.split_once('>').map(|(tag, _)| tag))
            .collect()
    }

    #[test]
    fn the_home_page_has_a_labelled_tile_link_for_every_state_and_dc() {
        let html = home(&doc()).expect("renders");
        let tiles = tiles(&html);
        assert_eq!(tiles.len(), 51);
        for state in StateCode::all() {
            let href = format!("href=\"/states/{}\"", state.as_str().to_ascii_lowercase());
            let tile = tiles
                .iter()
                .find(|t| t.contains(&href))
                .unwrap_or_else(|| panic!("no tile for {state}"));
            assert!(
                tile.contains(&format!(
                    "aria-label=\"{}, {}: ",
                    state.name(),
                    state.as_str()
                )),
                "{state} tile has no label: {tile}"
            );
        }
        assert!(
            html.contains("aria-label=\"Massachusetts, MA: 3.5 of 9 standards met, failed bill\"")
        );
        assert!(html.contains("aria-label=\"Wyoming, WY: no evaluated legislation\""));
        assert!(html.contains(
            "aria-label=\"Connecticut, CT: 0 of 9 standards met (8 not yet evaluated), passed law\""
        ));
    }

    #[test]
    fn the_legend_lists_every_step_and_the_marks_as_text() {
        let html = home(&doc()).expect("renders");
        for i in 0..=9 {
            assert!(
                html.contains(&format!("{i}/9 standards met")),
                "legend lacks {i}/9"
            );
        }
        assert!(html.contains("No evaluated legislation"));
        assert!(html.contains("Legislation pending"));
        assert!(html.contains("Legislation recently passed"));
    }

    #[test]
    fn the_home_page_lists_the_standards_and_a_table_of_every_state() {
        let html = home(&doc()).expect("renders");
        assert!(html.contains("How do we fix this?"));
        for (_, _, label, _) in RUBRIC {
            assert!(html.contains(label), "missing {label}");
        }
        assert!(html.contains("<caption"));
        assert_eq!(html.matches("<th scope=\"row\">").count(), 51);
        assert!(html.contains("S 2963"));
        assert!(html.contains("8 of 9 standards not yet evaluated"));
        assert!(html.contains("<link rel=\"stylesheet\" href=\"/static/style.css\">"));
        assert!(!html.contains("style=\""), "inline styles break the CSP");
        assert!(!html.contains("<script"), "no scripts");
    }

    #[test]
    fn a_state_page_lists_every_criterion_with_its_status_in_words() {
        let html = state(&doc(), code("ma")).expect("renders");
        for (_, _, label, _) in RUBRIC {
            assert!(html.contains(label), "missing {label}");
        }
        assert_eq!(html.matches("Meets the standard").count(), 3);
        assert_eq!(html.matches("Partially meets the standard").count(), 1);
        assert_eq!(html.matches("Does not meet the standard").count(), 5);
        assert!(html.contains("3.5 of 9"));
        assert!(html.contains("end 3/4, start 0.5/5"));
        assert!(
            html.contains("S 2963 fully meets 3 standards, partially meets 1 and does not meet 5.")
        );
        assert!(html.contains("Remove caps so victims are paid what they are owed."));
        assert!(html.contains("Read the campaign’s evaluation"));
        assert!(html.contains("<blockquote"));
        // The other version is listed, and its unsafe link is not.
        assert!(html.contains("H 1234: An earlier version"));
        assert!(!html.contains("javascript:"));
    }

    /// Askama writes numeric character references; compare with the named ones.
    fn named_entities(html: &str) -> String {
        html.replace("&#60;", "&lt;")
            .replace("&#62;", "&gt;")
            .replace("&#38;", "&amp;")
            .replace("&#34;", "&quot;")
    }

    #[test]
    fn reasons_and_quotes_are_escaped() {
        let html = state(&doc(), code("MA")).expect("renders");
        assert!(!html.contains("<script>alert(1)</script>"));
        assert!(!html.contains("<b>"));
        let html = named_entities(&html);
        assert!(html.contains("Fees &lt;script&gt;alert(1)&lt;/script&gt; are optional."));
        assert!(html.contains("&lt;b&gt;&quot;good faith&quot;&lt;/b&gt;"));
        assert!(html.contains("justice, equity &amp; accountability"));
    }

    #[test]
    fn a_state_without_legislation_is_asked_to_introduce_it() {
        let html = state(&doc(), code("WY")).expect("renders");
        assert!(html.contains("<h1"));
        assert!(html.contains("Wyoming"));
        assert!(html.contains("No legislation in Wyoming has been evaluated"));
        assert_eq!(html.matches("Introduce legislation to").count(), 9);
        assert!(html
            .contains("Introduce legislation to end qualified immunity for every police officer."));
    }

    #[test]
    fn a_state_with_unknown_criteria_says_so() {
        let html = state(&doc(), code("CT")).expect("renders");
        assert_eq!(html.matches("Not yet evaluated").count(), 8);
        assert!(html.contains("8 standards have not been evaluated yet"));
        assert!(html.contains("Passed"));
    }

    #[test]
    fn pending_and_passed_bills_are_marked_on_the_map() {
        let map = MapView::build(&doc().scorecards(), 9);
        let tile = |c: &str| map.tiles.iter().find(|t| t.code == c).expect("tile");
        assert!(tile("NY").pending && !tile("NY").passed);
        assert!(tile("CT").passed && !tile("CT").pending);
        assert!(!tile("MA").pending && !tile("MA").passed);
        assert_eq!(tile("NY").fill, map::PALETTE[9].fill);
        assert!(tile("WY").fill.starts_with("url(#"));
    }

    #[test]
    fn error_pages_use_the_layout_and_link_home() {
        let html = error_page(Site::fallback(), 404, "No state called <XX>.").expect("renders");
        assert!(html.contains("<main id=\"main\""));
        assert!(!html.contains("<XX>"));
        assert!(named_entities(&html).contains("No state called &lt;XX&gt;."));
        assert!(html.contains("href=\"/\""));
        let html =
            error_page(Site::fallback(), 500, "The database is unavailable.").expect("renders");
        assert!(html.contains("Something went wrong on our side"));
        assert!(html.contains("The database is unavailable."));
    }

    #[test]
    fn the_stylesheet_is_served_with_focus_and_motion_rules() {
        assert!(STYLESHEET.contains(":focus-visible"));
        assert!(STYLESHEET.contains("prefers-reduced-motion"));
        assert!(!STYLESHEET.contains("@import"));
        assert!(!STYLESHEET.contains("url(http"));
    }
}

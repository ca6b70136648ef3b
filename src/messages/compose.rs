//! Composing: one message per legislator the supporter chose, from the template of the
//! legislator's audience and the state's scorecard, with the supporter's edits applied.

use super::template::{with_compiled, Audience, MergeFields, MessageTemplate, RenderError};
use super::MessageError;
use crate::civic::Lookup;
use crate::directory::{Chamber, Legislator};
use crate::domain::{Body, City, EmailAddress, StateCode, Subject, SupporterName};
use crate::scorecard::CampaignDoc;
use crate::store::Office;
use std::collections::BTreeMap;

/// Who is writing. The email address is not used in a draft; it is where the service's own
/// mail (confirmation, receipt) and the offices' replies go when sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supporter {
    pub name: SupporterName,
    pub email: EmailAddress,
    pub city: Option<City>,
}

impl Supporter {
    pub fn fields(&self) -> super::template::SupporterFields {
        super::template::SupporterFields {
            name: self.name.as_str().to_string(),
            city: self
                .city
                .as_ref()
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
        }
    }
}

/// A subject and/or text the supporter wrote. Plain text: it is never evaluated as a template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edit {
    pub subject: Option<Subject>,
    pub body: Option<Body>,
}

/// The supporter's edits: `all` applies to every message (and wins), `per_target` to the
/// message for one legislator id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    pub all: Edit,
    pub per_target: BTreeMap<String, Edit>,
}

impl Overrides {
    /// The same subject and/or text for every message (the API's `subject`/`body`).
    pub fn for_all(subject: Option<Subject>, body: Option<Body>) -> Overrides {
        Overrides {
            all: Edit { subject, body },
            per_target: BTreeMap::new(),
        }
    }
}

/// The current template of each audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templates {
    pub state: MessageTemplate,
    pub federal: MessageTemplate,
}

impl Templates {
    pub fn for_audience(&self, audience: Audience) -> &MessageTemplate {
        match audience {
            Audience::State => &self.state,
            Audience::Federal => &self.federal,
        }
    }
}

/// One message, ready to hand over as a draft (or, later, to send).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// The legislator's directory id.
    pub target_id: String,
    /// The legislator's name and title, for the supporter to see.
    pub name: String,
    pub title: String,
    pub state: StateCode,
    /// The office's chamber and district, as the lookup gave them (counted with the message).
    pub chamber: Chamber,
    pub district: String,
    pub audience: Audience,
    /// The office's email address, when the directory has a plain one.
    pub to: Option<EmailAddress>,
    /// The office's web contact form (http or https only).
    pub contact_form: Option<String>,
    pub subject: Subject,
    pub body: Body,
    /// The version of the audience's template the message was made from.
    pub template_version: i64,
    /// The revision of the state's scorecard the message was made from (set by
    /// [`super::draft`]; `None` when the state has no recorded revision).
    pub scorecard_revision: Option<i64>,
    /// True when the subject or text differs from what the template made.
    pub edited: bool,
}

impl Draft {
    /// The office the message is written to, as reach reports name it.
    pub fn office(&self) -> Office {
        Office {
            legislator_id: self.target_id.clone(),
            state: self.state,
            chamber: self.chamber,
            district: self.district.clone(),
            name: self.name.clone(),
            title: self.title.clone(),
        }
    }
}

/// Keeps only the lookup's targets the supporter asked for, in the lookup's order. An id that
/// is not one of the lookup's targets is refused (the server alone decides recipients), as is
/// an empty choice.
pub fn select_targets(lookup: &Lookup, ids: &[String]) -> Result<Lookup, MessageError> {
    if ids.is_empty() {
        return Err(MessageError::NoTargets);
    }
    if let Some(stranger) = ids
        .iter()
        .find(|id| !lookup.targets.iter().any(|t| &t.id == *id))
    {
        return Err(MessageError::UnknownTarget(stranger.clone()));
    }
    let mut chosen = lookup.clone();
    chosen.targets.retain(|t| ids.contains(&t.id));
    Ok(chosen)
}

/// One draft per target of `lookup`, in its order: each from its audience's template and the
/// state's scorecard, then the supporter's edits.
pub fn compose(
    doc: &CampaignDoc,
    templates: &Templates,
    lookup: &Lookup,
    supporter: &Supporter,
    overrides: &Overrides,
) -> Result<Vec<Draft>, RenderError> {
    let card = doc.scorecard(lookup.state);
    let mut drafts = Vec::with_capacity(lookup.targets.len());
    for audience in Audience::ALL {
        let targets: Vec<&Legislator> = lookup
            .targets
            .iter()
            .filter(|t| Audience::of(t.chamber) == audience)
            .collect();
        if targets.is_empty() {
            continue;
        }
        let template = templates.for_audience(audience);
        let made = with_compiled(&template.text(), |compiled| {
            targets
                .iter()
                .map(|legislator| {
                    let fields = MergeFields::new(doc, &card, legislator, supporter.fields());
                    compiled
                        .render(&fields)
                        .map(|rendered| draft(legislator, template, rendered, overrides))
                })
                .collect::<Result<Vec<Draft>, RenderError>>()
        })
        // A stored template passed the same checks when it was saved; failing now means the
        // sandbox rules changed since. Report it like a render failure.
        .map_err(|err| RenderError {
            part: err.part(),
            message: err.to_string(),
        })??;
        drafts.extend(made);
    }
    let order = |d: &Draft| lookup.targets.iter().position(|t| t.id == d.target_id);
    drafts.sort_by_key(order);
    Ok(drafts)
}

fn draft(
    legislator: &Legislator,
    template: &MessageTemplate,
    rendered: super::template::Rendered,
    overrides: &Overrides,
) -> Draft {
    let own = overrides.per_target.get(&legislator.id);
    let subject = overrides
        .all
        .subject
        .clone()
        .or_else(|| own.and_then(|e| e.subject.clone()))
        .unwrap_or_else(|| rendered.subject.clone());
    let body = overrides
        .all
        .body
        .clone()
        .or_else(|| own.and_then(|e| e.body.clone()))
        .unwrap_or_else(|| rendered.body.clone());
    Draft {
        target_id: legislator.id.clone(),
        name: legislator.name.clone(),
        title: legislator.title.clone(),
        state: legislator.state,
        chamber: legislator.chamber,
        district: legislator.district.clone(),
        audience: template.audience,
        to: legislator
            .email
            .as_deref()
            .and_then(|e| EmailAddress::parse(e).ok()),
        contact_form: legislator.contact_form.as_deref().and_then(web_url),
        edited: subject != rendered.subject || body != rendered.body,
        subject,
        body,
        template_version: template.version,
        scorecard_revision: None,
    }
}

/// Only plain web addresses are offered as contact forms: directory data is public, not ours.
fn web_url(raw: &str) -> Option<String> {
    let parsed = url::Url::parse(raw.trim()).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::civic::Accuracy;
    use crate::messages::template::builtin;

    fn doc() -> CampaignDoc {
        crate::scorecard::seed("").expect("seed")
    }

    fn legislator(id: &str, chamber: Chamber, email: Option<&str>) -> Legislator {
        Legislator {
            id: id.into(),
            name: format!("Pat {id}"),
            given_name: "Pat".into(),
            family_name: id.into(),
            title: match chamber {
                Chamber::StateUpper => "State Senator",
                Chamber::StateLower => "State Representative",
                Chamber::UsSenate => "U.S. Senator",
                Chamber::UsHouse => "U.S. Representative",
            }
            .into(),
            chamber,
            state: StateCode::parse("MA").expect("MA"),
            district: "1".into(),
            division_id: String::new(),
            party: None,
            email: email.map(String::from),
            contact_form: Some("https://example.gov/contact".into()),
            phone: None,
            photo_url: None,
            source: "test".into(),
            synced_at: chrono::Utc::now(),
        }
    }

    fn lookup() -> Lookup {
        Lookup {
            state: StateCode::parse("MA").expect("MA"),
            zip: None,
            accuracy: Accuracy::Address,
            warnings: Vec::new(),
            targets: vec![
                legislator("Upper", Chamber::StateUpper, Some("upper@masenate.gov")),
                legislator("Lower", Chamber::StateLower, Some("bad address@x")),
                legislator("Senator", Chamber::UsSenate, None),
            ],
            choices: Vec::new(),
        }
    }

    fn templates() -> Templates {
        let t = |audience, version| {
            let text = builtin(audience).expect("built-in");
            MessageTemplate {
                audience,
                version,
                subject: text.subject,
                body: text.body,
                created_at: chrono::Utc::now(),
            }
        };
        Templates {
            state: t(Audience::State, 3),
            federal: t(Audience::Federal, 1),
        }
    }

    fn supporter() -> Supporter {
        Supporter {
            name: SupporterName::parse("Jane Doe").expect("valid"),
            email: EmailAddress::parse("jane@example.org").expect("valid"),
            city: City::parse_optional("Boston").expect("valid"),
        }
    }

    #[test]
    fn one_draft_per_target_from_its_audience_template() {
        let drafts = compose(
            &doc(),
            &templates(),
            &lookup(),
            &supporter(),
            &Overrides::default(),
        )
        .expect("composes");
        let ids: Vec<_> = drafts.iter().map(|d| d.target_id.as_str()).collect();
        assert_eq!(ids, ["Upper", "Lower", "Senator"]);
        assert_eq!(drafts[0].template_version, 3);
        assert_eq!(drafts[2].template_version, 1);
        assert_eq!(drafts[2].audience, Audience::Federal);
        assert!(drafts[0].body.as_str().starts_with("Dear Senator Upper,"));
        assert!(drafts[1]
            .body
            .as_str()
            .starts_with("Dear Representative Lower,"));
        assert_eq!(
            drafts[0].to.as_ref().map(|e| e.as_str()),
            Some("upper@masenate.gov")
        );
        assert_eq!(
            drafts[1].to, None,
            "a malformed office address is never used"
        );
        assert_eq!(
            drafts[2].contact_form.as_deref(),
            Some("https://example.gov/contact")
        );
        assert!(drafts.iter().all(|d| !d.edited));
    }

    #[test]
    fn one_edit_applies_to_all_and_wins_over_per_message_edits() {
        let mut overrides =
            Overrides::for_all(Some(Subject::parse("My subject").expect("valid")), None);
        overrides.per_target.insert(
            "Lower".into(),
            Edit {
                subject: Some(Subject::parse("Ignored").expect("valid")),
                body: Some(Body::parse("Just for Lower. {{ supporter.name }}").expect("valid")),
            },
        );
        let drafts =
            compose(&doc(), &templates(), &lookup(), &supporter(), &overrides).expect("composes");
        assert!(drafts
            .iter()
            .all(|d| d.subject.as_str() == "My subject" && d.edited));
        assert_eq!(
            drafts[1].body.as_str(),
            "Just for Lower. {{ supporter.name }}",
            "a supporter's text is plain text, never a template"
        );
        assert!(drafts[0].body.as_str().starts_with("Dear Senator"));
    }

    #[test]
    fn only_targets_of_the_lookup_can_be_chosen() {
        let l = lookup();
        let chosen = select_targets(&l, &["Senator".into(), "Upper".into()]).expect("valid");
        let ids: Vec<_> = chosen.targets.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["Upper", "Senator"]);
        assert!(matches!(
            select_targets(&l, &["Upper".into(), "bioguide:X000000".into()]),
            Err(MessageError::UnknownTarget(id)) if id == "bioguide:X000000"
        ));
        assert!(matches!(
            select_targets(&l, &[]),
            Err(MessageError::NoTargets)
        ));
    }
}

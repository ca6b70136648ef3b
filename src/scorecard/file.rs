//! The campaign file: a readable TOML document that `scorecard import` reads and `scorecard export`
//! writes. The shipped seed (`config/seed/end-qualified-immunity.toml`) is one of these.
//!
//! A malformed file is rejected whole with the line and field at fault, before anything is stored.

use super::CampaignDoc;
use crate::domain::StateCode;
use serde::Deserialize;
use std::collections::HashSet;
use std::fmt;
use toml::Spanned;

/// Why a campaign file was refused, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FileError {
    /// 1-based line of the offending value, when known.
    pub line: Option<usize>,
    /// Dotted path or key of the offending field.
    pub field: String,
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}, field `{}`: {}", self.field, self.message),
            None => write!(f, "field `{}`: {}", self.field, self.message),
        }
    }
}

const MAX_TEXT: usize = 20_000;
const MAX_LABEL: usize = 300;

/// Parses and checks a campaign file.
pub fn parse(text: &str) -> Result<CampaignDoc, FileError> {
    let doc: CampaignDoc = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
    let raw: RawDoc = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
    check(text, &doc, &raw)?;
    Ok(doc)
}

/// Writes a campaign as a file that [`parse`] reads back to the same campaign.
pub fn render(doc: &CampaignDoc) -> Result<String, toml::ser::Error> {
    let body = toml::to_string_pretty(doc)?;
    Ok(format!(
        "# Campaign file for `advocate scorecard import`. Scores are computed from the evaluations.\n\n{body}"
    ))
}

fn toml_error(text: &str, err: &toml::de::Error) -> FileError {
    let line = err.span().map(|s| line_of(text, s.start));
    let field = line
        .and_then(|l| text.lines().nth(l - 1))
        .and_then(|l| l.split_once('=').map(|(k, _)| k.trim().to_string()))
        .filter(|k| !k.is_empty() && k.len() < 80)
        .unwrap_or_else(|| "(document)".to_string());
    FileError {
        line,
        field,
        message: err.message().trim().to_string(),
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

// A mirror of the document that keeps where each checked value was written.
#[derive(Deserialize)]
struct RawDoc {
    campaign: RawCampaign,
    criteria: Vec<RawCriterion>,
    #[serde(default)]
    states: Vec<RawState>,
}

#[derive(Deserialize)]
struct RawCampaign {
    slug: Spanned<String>,
    title: Spanned<String>,
}

#[derive(Deserialize)]
struct RawCriterion {
    id: Spanned<String>,
    label: Spanned<String>,
    ask: Spanned<String>,
}

#[derive(Deserialize)]
struct RawState {
    code: Spanned<String>,
    bills: Vec<RawBill>,
}

#[derive(Deserialize)]
struct RawBill {
    title: Spanned<String>,
    source_url: Spanned<String>,
    year: Option<Spanned<i64>>,
    featured: Option<Spanned<bool>>,
    #[serde(default)]
    evaluations: Vec<RawEvaluation>,
}

#[derive(Deserialize)]
struct RawEvaluation {
    criterion: Spanned<String>,
    reason: Spanned<String>,
    quote: Option<Spanned<String>>,
}

struct Checker<'a> {
    text: &'a str,
}

impl Checker<'_> {
    fn fail<T>(
        &self,
        at: &Spanned<T>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> FileError {
        FileError {
            line: Some(line_of(self.text, at.span().start)),
            field: field.into(),
            message: message.into(),
        }
    }

    fn text_field(
        &self,
        value: &Spanned<String>,
        field: &str,
        max: usize,
    ) -> Result<(), FileError> {
        let v = value.get_ref();
        if v.trim().is_empty() {
            return Err(self.fail(value, field, "must not be empty"));
        }
        if v.chars().count() > max {
            return Err(self.fail(value, field, format!("is longer than {max} characters")));
        }
        if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(self.fail(value, field, "contains control characters"));
        }
        Ok(())
    }
}

fn check(text: &str, doc: &CampaignDoc, raw: &RawDoc) -> Result<(), FileError> {
    let ck = Checker { text };
    let slug = &raw.campaign.slug;
    let valid_slug = !slug.get_ref().is_empty()
        && slug.get_ref().len() <= 60
        && slug
            .get_ref()
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid_slug {
        return Err(ck.fail(
            slug,
            "campaign.slug",
            "must be 1-60 characters of a-z, 0-9 and -",
        ));
    }
    ck.text_field(&raw.campaign.title, "campaign.title", MAX_LABEL)?;

    if raw.criteria.is_empty() {
        return Err(FileError {
            line: None,
            field: "criteria".into(),
            message: "a campaign needs at least one criterion".into(),
        });
    }
    let mut ids = HashSet::new();
    for (i, c) in raw.criteria.iter().enumerate() {
        let id = c.id.get_ref();
        let valid = !id.is_empty()
            && id.len() <= 60
            && id
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
        if !valid {
            return Err(ck.fail(
                &c.id,
                format!("criteria[{i}].id"),
                "must be 1-60 characters of a-z, 0-9 and _",
            ));
        }
        if !ids.insert(id.as_str()) {
            return Err(ck.fail(
                &c.id,
                format!("criteria[{i}].id"),
                format!("criterion `{id}` is listed twice"),
            ));
        }
        ck.text_field(&c.label, &format!("criteria[{i}].label"), MAX_LABEL)?;
        ck.text_field(&c.ask, &format!("criteria[{i}].ask"), MAX_LABEL)?;
    }

    let mut states = HashSet::new();
    for (si, state) in raw.states.iter().enumerate() {
        let code = StateCode::parse(state.code.get_ref())
            .map_err(|e| ck.fail(&state.code, format!("states[{si}].code"), e.to_string()))?;
        if !states.insert(code) {
            return Err(ck.fail(
                &state.code,
                format!("states[{si}].code"),
                format!("state {code} is listed twice"),
            ));
        }
        let featured: Vec<&Spanned<bool>> = state
            .bills
            .iter()
            .filter_map(|b| b.featured.as_ref())
            .filter(|f| *f.get_ref())
            .collect();
        if state.bills.is_empty() {
            return Err(ck.fail(
                &state.code,
                format!("states[{si}].bills"),
                format!("{code} has no bills; leave the state out instead"),
            ));
        }
        if featured.is_empty() {
            return Err(ck.fail(
                &state.code,
                format!("states[{si}].bills"),
                format!("{code} has no featured bill (set `featured = true` on one)"),
            ));
        }
        if let Some(second) = featured.get(1) {
            return Err(ck.fail(
                second,
                format!("states[{si}].bills.featured"),
                format!("{code} has more than one featured bill"),
            ));
        }
        for (bi, bill) in state.bills.iter().enumerate() {
            let at = format!("states[{si}].bills[{bi}]");
            ck.text_field(&bill.title, &format!("{at}.title"), MAX_LABEL)?;
            let url = bill.source_url.get_ref();
            if url::Url::parse(url)
                .map(|u| !matches!(u.scheme(), "http" | "https"))
                .unwrap_or(true)
            {
                return Err(ck.fail(
                    &bill.source_url,
                    format!("{at}.source_url"),
                    "must be an http(s) URL",
                ));
            }
            if let Some(year) = &bill.year {
                if !(1900..=2100).contains(year.get_ref()) {
                    return Err(ck.fail(
                        year,
                        format!("{at}.year"),
                        "must be between 1900 and 2100",
                    ));
                }
            }
            let mut seen = HashSet::new();
            for (ei, eval) in bill.evaluations.iter().enumerate() {
                let eat = format!("{at}.evaluations[{ei}]");
                let cid = eval.criterion.get_ref();
                if !ids.contains(cid.as_str()) {
                    return Err(ck.fail(
                        &eval.criterion,
                        format!("{eat}.criterion"),
                        format!(
                            "unknown criterion `{}`",
                            cid.chars().take(60).collect::<String>()
                        ),
                    ));
                }
                if !seen.insert(cid.as_str()) {
                    return Err(ck.fail(
                        &eval.criterion,
                        format!("{eat}.criterion"),
                        format!("criterion `{cid}` is evaluated twice for this bill"),
                    ));
                }
                ck.text_field(&eval.reason, &format!("{eat}.reason"), MAX_TEXT)?;
                if let Some(quote) = &eval.quote {
                    ck.text_field(quote, &format!("{eat}.quote"), MAX_TEXT)?;
                }
            }
        }
    }
    debug_assert_eq!(doc.states.len(), raw.states.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SMALL: &str = r#"
[campaign]
slug = "test-campaign"
title = "Test"
organisation = "Org"
summary = "S"
url = "https://example.org/"

[[criteria]]
id = "one"
kind = "end"
label = "One"
ask = "do one"

[[criteria]]
id = "two"
kind = "start"
label = "Two"
ask = "do two"

[[states]]
code = "MA"

[[states.bills]]
number = "SB 1"
title = "A bill"
year = 2021
status = "failed"
source_url = "https://example.org/ma"
featured = true

[[states.bills.evaluations]]
criterion = "one"
status = "yes"
reason = "Because."
"#;

    #[test]
    fn a_good_file_parses_and_round_trips() {
        let doc = parse(SMALL).expect("valid file");
        assert_eq!(doc.states.len(), 1);
        let again = parse(&render(&doc).expect("renders")).expect("re-parses");
        assert_eq!(doc, again);
    }

    #[test]
    fn a_bad_status_names_its_line_and_field() {
        let bad = SMALL.replace("status = \"yes\"", "status = \"maybe\"");
        let err = parse(&bad).expect_err("must fail");
        assert_eq!(err.field, "status");
        assert_eq!(err.line, Some(34));
        assert!(err.message.contains("maybe"), "{err}");
    }

    #[test]
    fn an_unknown_criterion_names_its_line() {
        let bad = SMALL.replace("criterion = \"one\"", "criterion = \"three\"");
        let err = parse(&bad).expect_err("must fail");
        assert_eq!(err.line, Some(33));
        assert!(err.field.ends_with(".criterion"), "{err}");
    }

    #[test]
    fn two_featured_bills_are_refused() {
        let extra = "\n[[states.bills]]\ntitle = \"B\"\nstatus = \"pending\"\nsource_url = \"https://example.org\"\nfeatured = true\n";
        let err = parse(&format!("{SMALL}{extra}")).expect_err("must fail");
        assert!(err.message.contains("more than one featured"), "{err}");
    }

    #[test]
    fn unknown_fields_and_states_are_refused() {
        assert!(parse(&SMALL.replace("code = \"MA\"", "code = \"XX\"")).is_err());
        let typo = SMALL.replace(
            "reason = \"Because.\"",
            "reason = \"Because.\"\nreasn = \"x\"",
        );
        let err = parse(&typo).expect_err("must fail");
        assert!(err.message.contains("reasn"), "{err}");
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,400}") {
            let _ = parse(&text);
        }

        #[test]
        fn corrupting_one_line_gives_an_error_within_the_file(line in 0usize..40, junk in "[a-z=\"\\[\\] ]{0,12}") {
            let mut lines: Vec<&str> = SMALL.lines().collect();
            let idx = line % lines.len();
            lines[idx] = &junk;
            let text = lines.join("\n");
            if let Err(e) = parse(&text) {
                if let Some(l) = e.line {
                    prop_assert!(l >= 1 && l <= text.lines().count() + 1);
                }
            }
        }
    }
}

//! Composing messages and handing them over as drafts: `POST /api/v1/campaigns/{slug}/messages`,
//! the counting redirect `GET /r/{token}`, the counts API, template versions, and the compose
//! pages, against a Census stand-in and the full public directory.

use crate::templates::staff_origin;
use advocate::messages::{self, Audience, SaveTemplateError, TemplateError, TemplateText};
use advocate::staff::Origin;
use advocate::stats::Channel;
use advocate::store::CountEvent;
use advocate_test_support::{
    boston_app, calls, ids, message_request as request, param, query_of, spawn_app, spawn_app_with,
    status_and_text, TestApp, BOSTON, SLUG,
};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wiremock::MockServer;

/// A template edit.
pub fn text(subject: &str, body: &str) -> TemplateText {
    TemplateText {
        subject: subject.into(),
        body: body.into(),
    }
}

/// The path of an absolute counting link.
fn path_of(link: &Value) -> String {
    let url = url::Url::parse(link.as_str().expect("a link")).expect("absolute URL");
    assert!(url.path().starts_with("/r/"), "{url}");
    url.path().to_string()
}

/// Follows an absolute counting link without following the redirect; returns the Location.
async fn follow(app: &TestApp, link: &Value) -> String {
    app.follow_draft_link(&path_of(link)).await
}

async fn count_rows(app: &TestApp) -> Vec<advocate::stats::CountRow> {
    app.store
        .message_counts(SLUG)
        .await
        .expect("counts")
        .expect("campaign")
}

#[tokio::test]
async fn a_massachusetts_draft_carries_to_subject_and_body_and_asks_for_each_gap() {
    let (app, _census) = boston_app().await;
    let (targets, scorecard) = app.boston_targets().await;
    let (status, body) = app.post_message(&request(&ids(&targets))).await;
    assert_eq!(status, 200, "{body}");
    let drafts = body["drafts"].as_array().expect("drafts");
    assert_eq!(drafts.len(), targets.len(), "one draft per legislator");
    let asks: Vec<&str> = scorecard["gaps"]
        .as_array()
        .expect("gaps")
        .iter()
        .map(|g| g["ask"].as_str().expect("ask"))
        .collect();
    assert_eq!(asks.len(), 5, "Massachusetts has five gaps");

    for (draft, target) in drafts.iter().zip(&targets) {
        assert_eq!(draft["target_id"], target["id"]);
        let text = draft["body"].as_str().expect("body");
        for ask in &asks {
            assert!(
                text.contains(&format!("- {ask}")),
                "{ask} missing from {text}"
            );
        }
        assert!(text.contains("Jane Doe\nBoston, Massachusetts"), "{text}");
        assert_eq!(draft["template_version"], 1);
        let subject = draft["subject"].as_str().expect("subject");
        match target["email"].as_str() {
            Some(email) => {
                let mailto = follow(&app, &draft["mailto"]).await;
                assert!(
                    mailto.starts_with(&format!("mailto:{email}?subject=")),
                    "{mailto}"
                );
                assert!(
                    mailto.contains("%20") && mailto.contains("%0D%0A"),
                    "{mailto}"
                );
                assert!(!mailto.contains('+') && !mailto.contains(' '), "{mailto}");
                let q = query_of(&mailto);
                assert_eq!(param(&q, "subject"), subject);
                assert_eq!(param(&q, "body"), text.replace('\n', "\r\n"));

                let gmail = follow(&app, &draft["gmail"]).await;
                assert!(gmail.starts_with("https://mail.google.com/mail/?view=cm&fs=1&to="));
                let q = query_of(&gmail);
                assert_eq!(param(&q, "to"), email);
                assert_eq!(param(&q, "su"), subject);
                assert_eq!(param(&q, "body"), text.replace('\n', "\r\n"));

                let outlook = follow(&app, &draft["outlook"]).await;
                assert!(outlook.starts_with("https://outlook.office.com/mail/deeplink/compose?"));
                let q = query_of(&outlook);
                assert_eq!(param(&q, "to"), email);
                assert_eq!(param(&q, "subject"), subject);
                assert_eq!(param(&q, "body"), text.replace('\n', "\r\n"));
            }
            None => {
                assert!(draft["mailto"].is_null() && draft["gmail"].is_null());
                let form = target["contact_form"].as_str().expect("a contact form");
                let location = follow(&app, &draft["contact_form"]).await;
                assert_eq!(
                    url::Url::parse(&location).expect("URL"),
                    url::Url::parse(form).expect("URL")
                );
            }
        }
    }
    let greeted = drafts
        .iter()
        .filter_map(|d| d["body"].as_str())
        .filter(|b| b.starts_with("Dear Senator ") || b.starts_with("Dear Representative "))
        .count();
    assert_eq!(greeted, drafts.len(), "greeted by title and last name");

    // Three links of one message (mail app, Gmail, Outlook) count as one drafted email.
    let rows = count_rows(&app).await;
    let today = chrono::Utc::now().date_naive();
    for target in &targets {
        let channel = if target["email"].is_string() {
            Channel::DraftEmail
        } else {
            Channel::ContactForm
        };
        let mine: Vec<_> = rows
            .iter()
            .filter(|r| r.legislator_id == target["id"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(mine.len(), 1, "{rows:?}");
        assert_eq!(
            (
                mine[0].state.as_str(),
                mine[0].channel,
                mine[0].count,
                mine[0].day
            ),
            ("MA", channel, 1, today)
        );
    }
}

#[tokio::test]
async fn forged_targets_and_extra_recipient_fields_are_refused_and_nothing_is_counted() {
    let (app, census) = boston_app().await;
    let (targets, _) = app.boston_targets().await;
    let mut forged = ids(&targets);
    forged.push("bioguide:S000148".to_string()); // a real senator, from New York
    let (status, body) = app.post_message(&request(&forged)).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "targets");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("bioguide:S000148")),
        "{body}"
    );

    for extra in ["to", "cc", "bcc", "recipients"] {
        let mut req = request(&ids(&targets));
        req[extra] = json!(["attacker@example.com"]);
        let (status, body) = app.post_message(&req).await;
        assert_eq!(status, 422, "{extra}: {body}");
        assert_eq!(body["field"], extra, "{body}");
    }
    assert!(count_rows(&app).await.is_empty(), "nothing counted");
    let (_, totals) = app.counts().await;
    assert_eq!(totals["total"], 0);
    // The lookup was answered from the cache after the first time.
    let calls = calls(&census).await;
    assert_eq!(calls, 1);
}

#[tokio::test]
async fn invalid_fields_are_422_naming_the_field_before_any_lookup() {
    let census = MockServer::start().await;
    let app = spawn_app_with(&[("ADVOCATE__CIVIC__CENSUS_URL", &census.uri())]).await;
    let base = request(&["ocd-person/x".to_string()]);
    let cases: Vec<(&str, Value, &str)> = vec![
        ("name", json!("Jane\r\nBcc: attacker@example.com"), "name"),
        ("name", json!("Jane\nDoe"), "name"),
        ("name", json!(""), "name"),
        ("name", json!("n".repeat(101)), "name"),
        ("email", json!("jane at example.org"), "email"),
        ("email", json!("jane@example.org\r\nBcc: x@y.z"), "email"),
        ("email", json!("<jane@example.org>"), "email"),
        ("subject", json!("s".repeat(201)), "subject"),
        ("subject", json!("Hi\r\nBcc: x@y.z"), "subject"),
        ("body", json!("b".repeat(10_001)), "body"),
        ("body", json!("nul\u{0}byte"), "body"),
        ("targets", json!([]), "targets"),
        ("mode", json!("fax"), "mode"),
        ("address", json!(""), "address"),
    ];
    for (key, value, field) in cases {
        let mut req = base.clone();
        req[key] = value;
        let (status, body) = app.post_message(&req).await;
        assert_eq!(status, 422, "{key}: {body}");
        assert_eq!(body["field"], field, "{body}");
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    let calls = calls(&census).await;
    assert_eq!(calls, 0, "invalid requests never reach the provider");
}

#[tokio::test]
async fn requests_over_64_kib_are_413_with_a_json_error() {
    let app = spawn_app().await;
    let mut req = request(&["x".to_string()]);
    req["body"] = json!("b".repeat(70 * 1024));
    let (status, body) = app.post_message(&req).await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| e.contains("larger")),
        "{body}"
    );
}

/// Without a relay configured (`smtp.url` empty, the default), sending is refused with 503 and a
/// pointer to drafts; nothing is stored. (Was 501 before sending existed.)
#[tokio::test]
async fn send_mode_without_a_relay_is_503_and_stores_nothing() {
    let (app, _census) = boston_app().await;
    let (targets, _) = app.boston_targets().await;
    let mut req = request(&ids(&targets));
    req["mode"] = json!("send");
    let (status, body) = app.post_message(&req).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body["error"],
        "sending through the service is not available on this server; use mode draft"
    );
    assert_eq!(app.store.pending_mails().await.expect("count"), 0);
}

#[tokio::test]
async fn the_counting_redirect_counts_once_per_message_and_forged_tokens_are_404() {
    let (app, _census) = boston_app().await;
    let (targets, _) = app.boston_targets().await;
    let senator = targets
        .iter()
        .find(|t| t["chamber"] == "state_upper")
        .expect("a state senator");
    let id = senator["id"].as_str().expect("id").to_string();
    let (status, body) = app.post_message(&request(std::slice::from_ref(&id))).await;
    assert_eq!(status, 200, "{body}");
    let draft = &body["drafts"][0];
    assert_eq!(body["drafts"].as_array().map(Vec::len), Some(1));

    let location = follow(&app, &draft["mailto"]).await;
    assert!(location.starts_with("mailto:"));
    follow(&app, &draft["mailto"]).await;
    follow(&app, &draft["gmail"]).await;
    let rows = count_rows(&app).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].legislator_id, id);
    assert_eq!(rows[0].state.as_str(), "MA");
    assert_eq!(rows[0].channel, Channel::DraftEmail);
    assert_eq!(rows[0].day, chrono::Utc::now().date_naive());
    assert_eq!(
        rows[0].count, 1,
        "re-following the same message counts once"
    );

    // A second drafted message to the same office counts again.
    let (_, again) = app.post_message(&request(std::slice::from_ref(&id))).await;
    follow(&app, &again["drafts"][0]["outlook"]).await;
    assert_eq!(count_rows(&app).await[0].count, 2);

    for forged in [
        "/r/00000000000000000000000000000000".to_string(),
        "/r/not-a-token".to_string(),
        format!("{}0", path_of(&draft["mailto"])),
        "/r/..%2F..%2Fetc%2Fpasswd".to_string(),
    ] {
        let res = app.get(&forged).await;
        assert_eq!(res.status().as_u16(), 404, "{forged}");
        assert!(res.headers().get("location").is_none());
    }
    assert_eq!(
        count_rows(&app).await[0].count,
        2,
        "forged tokens count nothing"
    );
}

#[tokio::test]
async fn the_counts_api_reports_totals_by_state_and_channel() {
    let app = spawn_app().await;
    let (status, body) = app.counts().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"total": 0, "by_state": {}, "by_channel": {"sent": 0, "draft_email": 0, "contact_form": 0}})
    );

    let at = chrono::Utc::now();
    let ma = advocate::domain::StateCode::parse("MA").expect("MA");
    let mo = advocate::domain::StateCode::parse("MO").expect("MO");
    for (state, who, channel) in [
        (ma, "a", Channel::DraftEmail),
        (ma, "a", Channel::DraftEmail),
        (ma, "b", Channel::DraftEmail),
        (ma, "c", Channel::ContactForm),
        (mo, "d", Channel::Sent),
    ] {
        assert!(app
            .store
            .count_messages(
                SLUG,
                &[CountEvent {
                    state,
                    legislator_id: who.into(),
                    chamber: advocate::directory::Chamber::StateLower,
                    channel,
                    template_version: 1,
                    n: 1,
                    at,
                }]
            )
            .await
            .expect("counted"));
    }
    let (status, body) = app.counts().await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({
            "total": 5,
            "by_state": {
                "MA": {"sent": 0, "draft_email": 3, "contact_form": 1},
                "MO": {"sent": 1, "draft_email": 0, "contact_form": 0}
            },
            "by_channel": {"sent": 1, "draft_email": 3, "contact_form": 1}
        })
    );
    let rows = count_rows(&app).await;
    assert_eq!(
        rows.iter()
            .find(|r| r.legislator_id == "a")
            .map(|r| r.count),
        Some(2)
    );
    let (status, _) = app.counts_of("nope").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_template_with_an_unknown_variable_is_refused_naming_a_state_and_nothing_changes() {
    let app = spawn_app().await;
    messages::templates(&app.store, SLUG).await.expect("seeded");
    let before = app
        .store
        .template_versions(SLUG, Audience::State)
        .await
        .expect("versions");
    assert_eq!(before.len(), 1);
    let err = messages::save_template(
        &app.store,
        SLUG,
        Audience::State,
        &text(
            "Hello {{ state.name }}",
            "Dear {{ legislator.nickname }},\n{% for g in scorecard.gaps %}- {{ g }}\n{% endfor %}",
        ),
        staff_origin(1),
        None,
    )
    .await
    .expect_err("refused");
    match &err {
        SaveTemplateError::Invalid(TemplateError::Render { state_name, .. }) => {
            assert_eq!(*state_name, "Alabama")
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("Alabama"), "{err}");
    assert!(err.to_string().contains("undefined"), "{err}");
    let after = app
        .store
        .template_versions(SLUG, Audience::State)
        .await
        .expect("versions");
    assert_eq!(before, after, "nothing saved");
}

#[tokio::test]
async fn a_hostile_template_is_refused_quickly() {
    let app = spawn_app().await;
    // The built-in templates are seeded at start-up (version 1); hostile edits add nothing.
    let before = app
        .store
        .template_versions(SLUG, Audience::Federal)
        .await
        .expect("versions");
    assert_eq!(before.len(), 1);
    let started = Instant::now();
    for hostile in [
        "{% for i in range(100000000) %}x{% endfor %}",
        "{% for a in scorecard.unknown %}{% for b in scorecard.unknown %}{% for c in scorecard.unknown %}{% for d in scorecard.unknown %}{% for e in scorecard.unknown %}{% for f in scorecard.unknown %}x{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}",
        "{% set x = 'x' %}{{ x }}",
        "{{ 'x' * 100000000 }}",
    ] {
        let edit = text("s", hostile);
        let result =
            messages::save_template(&app.store, SLUG, Audience::Federal, &edit, Origin::cli(), None).await;
        assert!(
            matches!(result, Err(SaveTemplateError::Invalid(_))),
            "{hostile}: {result:?}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let after = app
        .store
        .template_versions(SLUG, Audience::Federal)
        .await
        .expect("versions");
    assert_eq!(before, after, "nothing saved");
}

#[tokio::test]
async fn a_good_edit_creates_version_2_and_the_drafts_use_it() {
    let (app, _census) = boston_app().await;
    let saved = messages::save_template(
        &app.store,
        SLUG,
        Audience::State,
        &text(
            "Version two for {{ state.name }}",
            "Dear {{ legislator.salutation }} {{ legislator.last_name }},\n\nVERSION TWO.\n\
             {% for ask in scorecard.gaps %}\n- {{ ask }}\n{% endfor %}\n\n{{ supporter.name }}",
        ),
        staff_origin(1),
        Some("a second version"),
    )
    .await
    .expect("saved");
    assert_eq!(saved.version(), 2);
    let versions = app
        .store
        .template_versions(SLUG, Audience::State)
        .await
        .expect("versions");
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [2, 1]
    );

    let (targets, _) = app.boston_targets().await;
    let (status, body) = app.post_message(&request(&ids(&targets))).await;
    assert_eq!(status, 200, "{body}");
    for (draft, target) in body["drafts"]
        .as_array()
        .expect("drafts")
        .iter()
        .zip(&targets)
    {
        let federal = target["chamber"]
            .as_str()
            .is_some_and(|c| c.starts_with("us_"));
        if federal {
            assert_eq!(
                draft["template_version"], 1,
                "the federal template is untouched"
            );
        } else {
            assert_eq!(draft["template_version"], 2);
            assert_eq!(draft["subject"], "Version two for Massachusetts");
            assert!(draft["body"]
                .as_str()
                .is_some_and(|b| b.contains("VERSION TWO.")));
        }
    }

    // One edit for all: the supporter's subject and text replace every message, verbatim.
    let mut req = request(&ids(&targets));
    req["subject"] = json!("My own subject");
    req["body"] = json!("My own words.\r\n{{ supporter.name }}");
    let (status, body) = app.post_message(&req).await;
    assert_eq!(status, 200, "{body}");
    for draft in body["drafts"].as_array().expect("drafts") {
        assert_eq!(draft["subject"], "My own subject");
        assert_eq!(draft["body"], "My own words.\n{{ supporter.name }}");
    }
}

/// The value of `attr="..."` in the first tag holding `marker`.
fn attr_near<'a>(html: &'a str, marker: &str, attr: &str) -> &'a str {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in page"));
    let tag_start = html[..at].rfind('<').expect("tag");
    let tag_end = at + html[at..].find('>').expect("tag end");
    let tag = &html[tag_start..tag_end];
    let key = format!("{attr}=\"");
    let from = tag
        .find(&key)
        .unwrap_or_else(|| panic!("no {attr} in {tag}"))
        + key.len();
    let len = tag[from..].find('"').expect("closing quote");
    &tag[from..from + len]
}

#[tokio::test]
async fn the_compose_pages_go_from_the_lookup_to_drafts_with_errors_next_to_fields() {
    let (app, _census) = boston_app().await;
    let (targets, _) = app.boston_targets().await;
    let ids = ids(&targets);

    let act = app
        .get_page("/act?address=24+Beacon+St%2C+Boston%2C+MA+02133")
        .await
        .1;
    assert!(
        act.contains("action=\"/compose\""),
        "the results offer to write"
    );
    assert!(act.contains("name=\"lookup_address\""));
    assert_eq!(act.matches("name=\"target\"").count(), ids.len());
    assert_eq!(
        act.matches(" checked>").count(),
        ids.len(),
        "everyone is ticked"
    );

    let post = |path: &'static str, form: Vec<(String, String)>| {
        let app = &app;
        async move {
            let res = app.post_form(path, &form).await;
            let csp = res
                .headers()
                .get("content-security-policy")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let (status, html) = status_and_text(res).await;
            (status, html, csp)
        }
    };
    let mut base: Vec<(String, String)> = vec![
        ("lookup_address".into(), BOSTON.into()),
        ("email".into(), "jane@example.org".into()),
        ("city".into(), "Boston".into()),
    ];
    base.extend(ids.iter().map(|id| ("target".to_string(), id.clone())));

    // A name with a line break: the error is next to the name field.
    let mut bad = base.clone();
    bad.push(("name".into(), "Jane\r\nDoe".into()));
    let (status, html, _) = post("/compose", bad).await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"name-error\""), "{html}");
    assert!(html.contains("aria-describedby=\"name-hint name-error\""));
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(
        html.contains("href=\"#name\""),
        "the summary links to the field"
    );
    assert!(
        html.contains("value=\"Jane"),
        "what was typed is kept to fix"
    );

    // Valid details: one editable message per legislator.
    let mut good = base.clone();
    good.push(("name".into(), "Jane Doe".into()));
    let (status, html, csp) = post("/compose", good.clone()).await;
    assert_eq!(status, 200, "{html}");
    assert!(csp.contains("default-src 'self'"));
    assert!(!html.contains("<script") && !html.contains("style=\""));
    assert_eq!(
        html.matches("<textarea").count(),
        ids.len() + 1,
        "one per message + one for all"
    );
    assert!(html.contains("action=\"/compose/drafts\""));
    assert!(
        html.contains("Apply one edit to all messages")
            || html.contains("apply one edit to all messages")
    );
    let first_subject = attr_near(&html, "id=\"subject-1\"", "value").to_string();
    assert!(first_subject.contains("Massachusetts"), "{first_subject}");

    // An oversized message: the error is next to that message's text.
    let mut long = good.clone();
    long.push((format!("body.{}", ids[0]), "x".repeat(10_001)));
    let (status, html, _) = post("/compose/drafts", long).await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"body-1-error\""), "{html}");
    assert!(html.contains("aria-describedby=\"body-1-error\""));

    // A forged legislator changes nothing.
    let mut forged = good.clone();
    forged.push(("target".into(), "bioguide:S000148".into()));
    let (status, _, _) = post("/compose/drafts", forged).await;
    assert_eq!(status, 422);

    // Edited text for the first message; the rest as written.
    let mut edited = good.clone();
    edited.push((format!("subject.{}", ids[0]), "My subject".into()));
    edited.push((
        format!("body.{}", ids[0]),
        "Dear Senator,\r\n\r\nMy own words.".into(),
    ));
    let (status, html, _) = post("/compose/drafts", edited).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("My own words."));
    assert!(html.contains("readonly"), "the text to copy");
    assert!(html.contains("Open in my mail app"));
    assert!(html.contains("Open in Gmail") && html.contains("Open in Outlook"));
    assert!(
        html.contains("web form"),
        "offices without email get their form"
    );
    let link = attr_near(&html, "Open in my mail app", "href").to_string();
    assert!(link.starts_with("/r/"), "{link}");
    let location = app.follow_draft_link(&link).await;
    let q = query_of(&location);
    assert_eq!(param(&q, "subject"), "My subject");
    assert_eq!(param(&q, "body"), "Dear Senator,\r\n\r\nMy own words.");
    assert_eq!(count_rows(&app).await.len(), 1);
}

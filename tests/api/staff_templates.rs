//! The message template editor over HTTP, on the test's database (SQLite or PostgreSQL): an
//! editor edits, previews, saves and restores through the pages and a supporter's next draft
//! follows; the JSON API with bearer tokens; and every refusal changing nothing (a template
//! that fails for a state, hostile templates, a lesser role, no session, no or a revoked
//! token, a missing or wrong CSRF token, a cross-site origin).

use advocate::directory::Chamber;
use advocate::domain::StateCode;
use advocate::messages::{self, editor, Audience};
use advocate::staff::{AuditEntry, AuditFilter, Origin, Role};
use advocate_test_support::staff::{
    person, service, sign_in, signed_in, token_for, Signed, ORIGIN, SESSION_COOKIE,
};
use advocate_test_support::{
    boston_app, emailable, ids, location, message_request as request, send_request, sending_app,
    spawn_app, status_and_text, Script, StubSmtp, TestApp, SLUG,
};
use reqwest::{Method, Response};
use serde_json::{json, Value};

const PAGE: &str = "/staff/campaigns/end-qualified-immunity/templates/state";
const API: &str = "/api/v1/campaigns/end-qualified-immunity/templates/state";
/// Renders for every state but Massachusetts, where `nope` is undefined (line 2).
const FAILS_FOR_MA: &str = "Dear {{ legislator.name }},\n\
    {% if state.code == \"MA\" %}{{ nope }}{% endif %}\nThanks";
const UNKNOWN_FILTER: &str = "Dear {{ legislator.name|attr('x') }}";
const LOOP_BOMB: &str = "{% for a in scorecard.unknown %}{% for b in scorecard.unknown %}\
    {% for c in scorecard.unknown %}{% for d in scorecard.unknown %}\
    {% for e in scorecard.unknown %}{% for f in scorecard.unknown %}x\
    {% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}";

/// Text as askama escapes it in a page.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

async fn text_of(res: Response) -> (u16, String) {
    let status = res.status().as_u16();
    (status, res.text().await.expect("body"))
}

async fn versions(app: &TestApp) -> usize {
    editor::history(&app.store, SLUG, Audience::State)
        .await
        .expect("history")
        .len()
}

async fn audit(app: &TestApp, action: &str) -> Vec<AuditEntry> {
    app.store
        .staff_audit(&AuditFilter {
            action: Some(action.to_string()),
            limit: 100,
            ..AuditFilter::default()
        })
        .await
        .expect("audit")
}

fn ma() -> StateCode {
    StateCode::parse("MA").expect("MA")
}

/// The state drafts of a Boston supporter's new request: (template version, body) each.
async fn state_drafts(app: &TestApp) -> Vec<(i64, String)> {
    let (targets, _) = app.boston_targets().await;
    let (status, body) = app.post_message(&request(&ids(&targets))).await;
    assert_eq!(status, 200, "{body}");
    body["drafts"]
        .as_array()
        .expect("drafts")
        .iter()
        .zip(&targets)
        .filter(|(_, t)| {
            t["chamber"]
                .as_str()
                .is_some_and(|c| c.starts_with("state_"))
        })
        .map(|(d, _)| {
            (
                d["template_version"].as_i64().expect("version"),
                d["body"].as_str().expect("body").to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_editor_edits_previews_saves_and_restores_the_state_template_through_the_pages() {
    let (app, _census) = boston_app().await;
    let editor_id = person(&service(&app), "ed@example.org", Role::Editor).await;
    let ed = sign_in(&service(&app), "ed@example.org").await;

    // The list: both templates, version 1 from the seed.
    let (status, html) = text_of(
        app.staff_get(
            "/staff/campaigns/end-qualified-immunity/templates",
            Some(&ed),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("State legislators") && html.contains("Members of Congress"));
    assert!(html.contains("Version 1"), "{html}");
    assert!(html.contains("seed"), "{html}");

    // The editor: the form, the merge fields with their meaning, the three actions.
    let (status, html) = text_of(app.staff_get(PAGE, Some(&ed)).await).await;
    assert_eq!(status, 200, "{html}");
    for needle in [
        r#"name="subject""#,
        r#"name="body""#,
        r#"name="note""#,
        r#"name="csrf_token""#,
        r#"value="preview">Preview"#,
        r#"value="save">Save"#,
        r#"value="discard">Discard"#,
        "<code>scorecard.gaps</code>",
        "The featured bill",
    ] {
        assert!(html.contains(needle), "{needle} in {html}");
    }

    // Preview the edit for Massachusetts and a chosen state senator (not the first listed).
    let v1 = editor::current(&app.store, SLUG, Audience::State)
        .await
        .expect("current");
    let senators: Vec<_> = editor::preview_legislators(&app.store, ma(), Audience::State)
        .await
        .expect("legislators")
        .into_iter()
        .filter(|l| l.chamber == Chamber::StateUpper)
        .collect();
    assert!(senators.len() > 1, "the directory has MA senators");
    let senator = &senators[1];
    let body = format!(
        "EDITED ON THE PAGE for {{{{ state.name }}}}.\r\n{}",
        v1.template.body.replace('\n', "\r\n")
    );
    let form = |action: &'static str, note: &'static str| {
        let body = body.clone();
        let subject = v1.template.subject.clone();
        let id = senator.id.clone();
        move || {
            vec![
                ("subject", subject.clone()),
                ("body", body.clone()),
                ("note", note.to_string()),
                ("state", "MA".to_string()),
                ("legislator", id.clone()),
                ("action", action.to_string()),
            ]
        }
    };
    let post = |pairs: Vec<(&'static str, String)>| {
        let app = &app;
        let ed = ed.clone();
        async move {
            let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.staff_post(PAGE, Some(&ed), &refs).await
        }
    };
    let (status, html) = text_of(post(form("preview", "")()).await).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains(&format!("Preview: to {}", escaped(&senator.name))),
        "{html}"
    );
    assert!(
        html.contains("EDITED ON THE PAGE for Massachusetts."),
        "{html}"
    );
    assert!(
        html.contains(&escaped(&senator.family_name)),
        "greeted by name"
    );
    assert_eq!(versions(&app).await, 1, "a preview saves nothing");

    // Save: version 2, and the page says how many states' messages changed.
    let res = post(form("save", "Said where it comes from")()).await;
    assert_eq!(res.status().as_u16(), 303);
    let next = location(&res);
    assert!(
        next.starts_with(&format!("{PAGE}?saved=2&changed=51")),
        "{next}"
    );
    let (status, html) = text_of(app.staff_get(&next, Some(&ed)).await).await;
    assert_eq!(status, 200);
    assert!(html.contains("Version 2 is saved"), "{html}");
    assert!(html.contains("The messages of 51 states changed"), "{html}");
    assert!(html.contains("by ed@example.org"), "{html}");

    // A supporter's new MA drafts carry the new text and the new version.
    let drafts = state_drafts(&app).await;
    assert!(!drafts.is_empty());
    for (version, text) in &drafts {
        assert_eq!(*version, 2);
        assert!(
            text.starts_with("EDITED ON THE PAGE for Massachusetts."),
            "{text}"
        );
    }

    // History: both versions, their authors and the note; the diff marks lines in words.
    let versions_page = format!("{PAGE}/versions");
    let (status, html) = text_of(app.staff_get(&versions_page, Some(&ed)).await).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("ed@example.org") && html.contains("seed"),
        "{html}"
    );
    assert!(html.contains("Said where it comes from"), "{html}");
    let (status, html) = text_of(
        app.staff_get(&format!("{versions_page}?from=1&to=2"), Some(&ed))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        html.contains(
            r#"<ins><span class="visually-hidden">Added: </span>EDITED ON THE PAGE for {{ state.name }}.</ins>"#
        ),
        "{html}"
    );
    assert!(html.contains("Body: 1 added, 0 removed"), "{html}");
    let (status, _) = text_of(
        app.staff_get(&format!("{versions_page}?from=1&to=9"), Some(&ed))
            .await,
    )
    .await;
    assert_eq!(status, 404);

    // Restore version 1 as version 3: the drafts carry the old text again.
    let res = app
        .staff_post(&format!("{versions_page}/1/restore"), Some(&ed), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert!(location(&res).contains("saved=3"), "{}", location(&res));
    for (version, text) in state_drafts(&app).await {
        assert_eq!(version, 3);
        assert!(!text.contains("EDITED ON THE PAGE"), "{text}");
    }
    let current = editor::current(&app.store, SLUG, Audience::State)
        .await
        .expect("current");
    assert_eq!(current.template.text(), v1.template.text());
    assert_eq!(current.author, format!("staff:{editor_id}"));

    // Each change is audited: who, from where, which version; never the text.
    let saved = audit(&app, "template.saved").await;
    let restored = audit(&app, "template.restored").await;
    assert_eq!((saved.len(), restored.len()), (1, 1));
    for (row, version) in [(&saved[0], 2), (&restored[0], 3)] {
        assert_eq!(row.actor, format!("staff:{editor_id}"));
        assert!(row.client_addr.is_some(), "{row:?}");
        assert_eq!(
            row.object,
            format!("template:end-qualified-immunity/state/{version}")
        );
        assert!(!row.summary.contains("EDITED"), "{row:?}");
        assert!(!row.summary.contains("qualified immunity in"), "{row:?}");
    }
    assert!(
        restored[0].summary.contains("restored version 1"),
        "{:?}",
        restored[0]
    );
}

#[tokio::test]
async fn refused_page_edits_keep_the_edit_name_the_state_and_line_and_change_nothing() {
    let app = spawn_app().await;
    let ed = signed_in(&app, "ed@example.org", Role::Editor).await.1;
    let org = signed_in(&app, "org@example.org", Role::Organiser).await.1;
    let before = versions(&app).await;
    let subject = "Subject for {{ state.name }}";

    // A template that fails for Massachusetts: 422, the state and the line named, the edit
    // kept in the form, the field marked and linked from the summary.
    let res = app
        .staff_post(
            PAGE,
            Some(&ed),
            &[
                ("subject", subject),
                ("body", FAILS_FOR_MA),
                ("action", "save"),
            ],
        )
        .await;
    let (status, html) = text_of(res).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("Massachusetts (MA)"), "{html}");
    assert!(html.contains("line 2"), "{html}");
    assert!(html.contains(r##"href="#template-body""##), "{html}");
    assert!(html.contains(r#"aria-invalid="true""#), "{html}");
    assert!(
        html.contains(&escaped("{{ nope }}")),
        "the edit is kept: {html}"
    );
    assert!(html.contains("nothing was saved"), "{html}");

    // Hostile templates: refused on save and on preview.
    for body in [UNKNOWN_FILTER, LOOP_BOMB] {
        for action in ["save", "preview"] {
            let res = app
                .staff_post(
                    PAGE,
                    Some(&ed),
                    &[
                        ("subject", subject),
                        ("body", body),
                        ("state", "MA"),
                        ("action", action),
                    ],
                )
                .await;
            let (status, html) = text_of(res).await;
            assert_eq!(status, 422, "{action} {body}: {html}");
            assert!(html.contains(r##"href="#template-body""##), "{html}");
        }
    }
    // An unknown action.
    let res = app
        .staff_post(
            PAGE,
            Some(&ed),
            &[("subject", subject), ("action", "delete")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);

    // Discard: back to the current version, nothing saved.
    let res = app
        .staff_post(
            PAGE,
            Some(&ed),
            &[("subject", "Gone"), ("body", "Gone"), ("action", "discard")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), PAGE);

    // A save the query claims that is not on record is not announced.
    let (_, html) = text_of(
        app.staff_get(&format!("{PAGE}?saved=9&changed=3"), Some(&ed))
            .await,
    )
    .await;
    assert!(!html.contains("Version 9 is saved"), "{html}");

    // Organisers read: no form actions; their POSTs are refused.
    let (status, html) = text_of(app.staff_get(PAGE, Some(&org)).await).await;
    assert_eq!(status, 200);
    assert!(!html.contains(r#"name="action""#), "{html}");
    assert!(!html.contains(r#"method="post" action"#));
    assert!(!html.contains("/restore"));
    assert!(
        html.contains("Preview: to"),
        "organisers see the preview: {html}"
    );
    let (_, html) = text_of(app.staff_get(&format!("{PAGE}/versions"), Some(&org)).await).await;
    assert!(!html.contains("/restore"), "{html}");
    let ok_edit = [("subject", subject), ("body", "Hello"), ("action", "save")];
    let res = app.staff_post(PAGE, Some(&org), &ok_edit).await;
    assert_eq!(res.status().as_u16(), 403);
    let res = app
        .staff_post(&format!("{PAGE}/versions/1/restore"), Some(&org), &[])
        .await;
    assert_eq!(res.status().as_u16(), 403);

    // No session: to the sign-in page.
    for res in [
        app.staff_get(PAGE, None).await,
        app.staff_post(PAGE, None, &ok_edit).await,
    ] {
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(location(&res), "/staff/login");
    }

    // Missing or wrong CSRF token, cross-site Origin: 403.
    let cookie = format!("{SESSION_COOKIE}={}", ed.cookie);
    let forged = |origin: &str, token: Option<&str>| {
        let mut form: Vec<(&str, &str)> = ok_edit.to_vec();
        if let Some(t) = token {
            form.push(("csrf_token", t));
        }
        app.client
            .post(app.url(PAGE))
            .header("cookie", &cookie)
            .header("origin", origin)
            .form(&form)
            .send()
    };
    let wrong = "0".repeat(64);
    for (what, res) in [
        ("missing token", forged(ORIGIN, None).await),
        ("wrong token", forged(ORIGIN, Some(&wrong)).await),
        (
            "cross-site",
            forged("https://evil.example", Some(&ed.csrf)).await,
        ),
    ] {
        assert_eq!(res.expect("sent").status().as_u16(), 403, "{what}");
    }

    // Unknown campaign or audience: 404.
    for path in [
        "/staff/campaigns/nope/templates",
        "/staff/campaigns/nope/templates/state",
        "/staff/campaigns/end-qualified-immunity/templates/county",
        "/staff/campaigns/end-qualified-immunity/templates/county/versions",
    ] {
        assert_eq!(
            app.staff_get(path, Some(&ed)).await.status().as_u16(),
            404,
            "{path}"
        );
    }
    let res = app
        .staff_post(&format!("{PAGE}/versions/99/restore"), Some(&ed), &[])
        .await;
    assert_eq!(res.status().as_u16(), 404);

    assert_eq!(versions(&app).await, before, "nothing was saved");
    assert!(audit(&app, "template.saved").await.is_empty());
    assert!(audit(&app, "template.restored").await.is_empty());
}

async fn api(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut req = app.with_bearer(method, path, token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("sent");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let json = res.json().await.unwrap_or(Value::Null);
    (status, json, headers)
}

#[tokio::test]
async fn the_template_api_reads_saves_and_previews_with_a_bearer_token() {
    let app = spawn_app().await;
    let editor_id = person(&service(&app), "ed@example.org", Role::Editor).await;
    person(&service(&app), "org@example.org", Role::Organiser).await;
    let (_, ed) = token_for(&app, "ed@example.org").await;
    let (_, org) = token_for(&app, "org@example.org").await;

    let (status, current, _) = api(&app, Method::GET, API, Some(&org), None).await;
    assert_eq!(status, 200, "{current}");
    assert_eq!(current["version"], 1);
    assert_eq!(current["author"], "seed");
    assert_eq!(current["audience"], "state");
    assert!(current["body"].as_str().is_some_and(|b| b.contains("{{")));

    // Preview without saving.
    let edit = json!({"subject": "For {{ state.name }}", "body": "Dear {{ legislator.salutation }},\nAPI EDIT in {{ state.name }}."});
    let mut preview = edit.clone();
    preview["state"] = json!("MA");
    let (status, shown, _) = api(
        &app,
        Method::POST,
        &format!("{API}/preview"),
        Some(&ed),
        Some(preview.clone()),
    )
    .await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["subject"], "For Massachusetts");
    assert!(shown["body"]
        .as_str()
        .is_some_and(|b| b.contains("API EDIT in Massachusetts.")));
    assert_eq!(versions(&app).await, 1);

    // Save: 201 with the version.
    let mut save = edit.clone();
    save["note"] = json!("from a script");
    let (status, saved, headers) = api(&app, Method::PUT, API, Some(&ed), Some(save)).await;
    assert_eq!(status, 201, "{saved}");
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["changed_states"].as_array().map(Vec::len), Some(51));
    assert_eq!(headers["location"], format!("{API}/versions/2"));

    let (status, list, _) = api(
        &app,
        Method::GET,
        &format!("{API}/versions"),
        Some(&org),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let list = list["versions"].as_array().expect("versions").clone();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["version"], 2);
    assert_eq!(list[0]["author"], format!("staff:{editor_id}"));
    assert_eq!(list[0]["note"], "from a script");
    assert!(list[0].get("body").is_none());
    let (status, v2, _) = api(
        &app,
        Method::GET,
        &format!("{API}/versions/2"),
        Some(&org),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(v2["subject"], "For {{ state.name }}");
    for missing in ["99", "0", "x"] {
        let (status, _, _) = api(
            &app,
            Method::GET,
            &format!("{API}/versions/{missing}"),
            Some(&org),
            None,
        )
        .await;
        assert_eq!(status, 404, "{missing}");
    }
    let audit_rows = audit(&app, "template.saved").await;
    assert_eq!(audit_rows.len(), 1);
    assert_eq!(audit_rows[0].actor, format!("staff:{editor_id}"));
    assert!(!audit_rows[0].summary.contains("API EDIT"));

    // Refusals, each changing nothing.
    let refuse = |body: Value| api(&app, Method::PUT, API, Some(&ed), Some(body));
    let (status, err, _) = refuse(json!({"subject": "S", "body": FAILS_FOR_MA})).await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["state"], "MA");
    assert!(
        err["error"].as_str().is_some_and(|e| e.contains("line 2")),
        "{err}"
    );
    assert_eq!(err["field"], "body");
    for hostile in [UNKNOWN_FILTER, LOOP_BOMB] {
        let (status, err, _) = refuse(json!({"subject": "S", "body": hostile})).await;
        assert_eq!(status, 422, "{hostile}: {err}");
        let (status, _, _) = api(
            &app,
            Method::POST,
            &format!("{API}/preview"),
            Some(&ed),
            Some(json!({"subject": "S", "body": hostile, "state": "MA"})),
        )
        .await;
        assert_eq!(status, 422, "{hostile}");
    }
    let (status, err, _) = refuse(json!({"subject": "S", "body": "B", "bcc": "x"})).await;
    assert_eq!((status, err["field"].clone()), (422, json!("bcc")));
    let (status, err, _) = refuse(json!({"body": "B"})).await;
    assert_eq!((status, err["field"].clone()), (422, json!("subject")));
    let big = json!({"subject": "S", "body": "x".repeat(70 * 1024)});
    let (status, _, _) = refuse(big).await;
    assert_eq!(status, 413);
    let res = app
        .with_bearer(Method::PUT, API, Some(&ed))
        .header("content-type", "text/plain")
        .body("subject=S")
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 415);
    let (status, _, _) = api(&app, Method::PUT, API, Some(&org), Some(edit.clone())).await;
    assert_eq!(status, 403, "an organiser reads only");
    let (status, _, _) = api(
        &app,
        Method::POST,
        &format!("{API}/preview"),
        Some(&org),
        Some(preview.clone()),
    )
    .await;
    assert_eq!(status, 403);
    for token in [None, Some("adv_not-a-token")] {
        let (status, _, headers) = api(&app, Method::PUT, API, token, Some(edit.clone())).await;
        assert_eq!(status, 401);
        assert_eq!(headers["www-authenticate"], "Bearer");
        let (status, _, _) = api(&app, Method::GET, API, token, None).await;
        assert_eq!(status, 401);
    }
    // A session cookie is no bearer token.
    let s: Signed = sign_in(&service(&app), "ed@example.org").await;
    let res = app
        .client
        .get(app.url(API))
        .header("cookie", format!("{SESSION_COOKIE}={}", s.cookie))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 401);
    // Unknown campaign, audience: 404.
    for path in [
        "/api/v1/campaigns/nope/templates/state",
        "/api/v1/campaigns/end-qualified-immunity/templates/county",
    ] {
        let (status, _, _) = api(&app, Method::GET, path, Some(&org), None).await;
        assert_eq!(status, 404, "{path}");
    }
    // A legislator who is not one of the state's for this template.
    let mut stranger = preview.clone();
    stranger["legislator_id"] = json!("ocd-person/nobody");
    let (status, err, _) = api(
        &app,
        Method::POST,
        &format!("{API}/preview"),
        Some(&ed),
        Some(stranger),
    )
    .await;
    assert_eq!(
        (status, err["field"].clone()),
        (422, json!("legislator_id")),
        "{err}"
    );
    // A revoked token stops working at once.
    let (id, revoked) = token_for(&app, "ed@example.org").await;
    service(&app)
        .revoke_token(Origin::cli(), id)
        .await
        .expect("revoked");
    let (status, _, _) = api(&app, Method::PUT, API, Some(&revoked), Some(edit.clone())).await;
    assert_eq!(status, 401);

    assert_eq!(versions(&app).await, 2, "no refusal saved anything");
    assert_eq!(audit(&app, "template.saved").await.len(), 1);
}

#[tokio::test]
async fn staff_see_each_messages_template_version_on_a_receipt_and_supporters_do_not() {
    let smtp = StubSmtp::start(Script::normal()).await;
    let (app, _census) = sending_app(&smtp.url()).await;
    let ed = signed_in(&app, "ed@example.org", Role::Editor).await.1;
    let v1 = editor::current(&app.store, SLUG, Audience::State)
        .await
        .expect("current");
    let saved = messages::save_template(
        &app.store,
        SLUG,
        Audience::State,
        &v1.template.text(),
        Origin::cli(),
        Some("same text, new version"),
    )
    .await
    .expect("saved");
    assert_eq!(saved.version(), 2);

    let (targets, _) = app.boston_targets().await;
    let (send_ids, _) = emailable(&targets);
    let (status, body) = app.post_message(&send_request(&send_ids)).await;
    assert_eq!(status, 202, "{body}");
    let url = body["receipt_url"].as_str().expect("receipt url");
    let token = url.rsplit('/').next().expect("token");

    let (status, supporter) = status_and_text(app.receipt(token).await).await;
    assert_eq!(status, 200);
    assert!(!supporter.contains("Template version"), "{supporter}");
    let (_, json) = app.receipt_json(token).await;
    assert!(!json.to_string().contains("template_version"), "{json}");

    let res = app
        .client
        .get(app.url(&format!("/receipts/{token}")))
        .header("cookie", format!("{SESSION_COOKIE}={}", ed.cookie))
        .send()
        .await
        .expect("sent");
    let (status, staff) = text_of(res).await;
    assert_eq!(status, 200);
    assert!(
        staff.contains(r#"<th scope="col">Template version</th>"#),
        "{staff}"
    );
    // Every message on it was written from a version: state ones from 2, federal from 1.
    let cells = staff.matches("<td>2</td>").count() + staff.matches("<td>1</td>").count();
    assert_eq!(cells, send_ids.len(), "{staff}");
    assert!(staff.contains("<td>2</td>"), "{staff}");
    // And the scorecard revision beside it: MA's seeded revision 1 for the state ones; every
    // message names one.
    assert_eq!(
        staff.matches("<td>revision 1</td>").count(),
        send_ids.len(),
        "{staff}"
    );
    assert!(!supporter.contains("revision 1"), "{supporter}");
}

#[tokio::test]
async fn the_openapi_document_describes_the_template_api_with_its_bearer_scheme_and_statuses() {
    let app = spawn_app().await;
    let (status, doc) = app.openapi().await;
    assert_eq!(status, 200);
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let base = "/api/v1/campaigns/{slug}/templates/{audience}";
    let operations = [
        (base.to_string(), "get", vec!["200", "401", "403", "404"]),
        (
            base.to_string(),
            "put",
            vec!["201", "400", "401", "403", "404", "413", "415", "422"],
        ),
        (
            format!("{base}/versions"),
            "get",
            vec!["200", "401", "403", "404"],
        ),
        (
            format!("{base}/versions/{{version}}"),
            "get",
            vec!["200", "401", "403", "404"],
        ),
        (
            format!("{base}/preview"),
            "post",
            vec!["200", "400", "401", "403", "404", "413", "415", "422"],
        ),
    ];
    for (path, method, statuses) in operations {
        let op = &doc["paths"][&path][method];
        assert_eq!(op["security"], json!([{"bearer": []}]), "{method} {path}");
        for s in statuses {
            assert!(op["responses"][s].is_object(), "{method} {path} {s}");
        }
    }
    // A method the document does not list is 405 with Allow.
    let res = app
        .with_bearer(Method::DELETE, API, None)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(res.headers()["allow"], "GET, PUT");
}

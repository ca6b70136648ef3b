//! The scorecard editor over HTTP, on the test's database (SQLite or PostgreSQL): an editor
//! sets Massachusetts's caps criterion to `yes` through the page form (previewed first), the
//! public scorecard and the next supporter draft follow, the old revision is restored, each
//! step audited; the JSON API's round trip; refusals, each changing nothing; imports recording
//! revisions.

use advocate::domain::StateCode;
use advocate::scorecard::{Bill, CampaignDoc};
use advocate::staff::{AuditEntry, AuditFilter, Origin, Role, Staff};
use advocate::store::Store;
use advocate_test_support::staff::{person, service, sign_in, Signed, ORIGIN, SESSION_COOKIE};
use advocate_test_support::{
    boston_app, ids, location, message_request, spawn_app, status_and_json, TestApp, SLUG,
};
use reqwest::Response;
use serde_json::{json, Value};

const CAPS: &str = "end_damage_caps";
const CAPS_ASK: &str = "Remove caps on liability so victims are paid what they are owed.";

fn ma() -> StateCode {
    StateCode::parse("MA").expect("MA")
}

/// `POST path` from this site with `pairs` and the session's cookie (and its CSRF token when
/// `csrf`).
async fn post(
    app: &TestApp,
    path: &str,
    who: &Signed,
    pairs: &[(String, String)],
    csrf: bool,
) -> Response {
    let mut form = pairs.to_vec();
    if csrf {
        form.push(("csrf_token".into(), who.csrf.clone()));
    }
    app.client
        .post(app.url(path))
        .header("origin", ORIGIN)
        .header("cookie", format!("{SESSION_COOKIE}={}", who.cookie))
        .form(&form)
        .send()
        .await
        .expect("request sent")
}

async fn doc(store: &Store) -> CampaignDoc {
    store
        .campaign_doc(SLUG)
        .await
        .expect("read")
        .expect("seeded")
}

fn bills_of(doc: &CampaignDoc, state: StateCode) -> Vec<Bill> {
    doc.states
        .iter()
        .find(|s| s.code == state)
        .map(|s| s.bills.clone())
        .unwrap_or_default()
}

/// What a browser posts for the page's form of `bills` (the stored ones) with `criterion`'s
/// status set to `status`.
fn form_pairs(
    doc: &CampaignDoc,
    bills: &[Bill],
    base: i64,
    criterion: &str,
    status: &str,
    action: &str,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |k: String, v: String| out.push((k, v));
    for (i, b) in bills.iter().enumerate() {
        push(format!("b{i}_number"), b.number.clone().unwrap_or_default());
        push(format!("b{i}_title"), b.title.clone());
        push(
            format!("b{i}_year"),
            b.year.map(|y| y.to_string()).unwrap_or_default(),
        );
        push(format!("b{i}_status"), b.status.as_str().to_string());
        push(format!("b{i}_source_url"), b.source_url.clone());
        if b.featured {
            push("featured".into(), i.to_string());
        }
    }
    // The blank row for a new bill.
    let n = bills.len();
    for f in ["number", "title", "year", "source_url"] {
        push(format!("b{n}_{f}"), String::new());
    }
    push(format!("b{n}_status"), "pending".into());
    let featured = bills.iter().position(|b| b.featured).unwrap_or(0);
    for c in &doc.criteria {
        let eval = bills
            .get(featured)
            .and_then(|b| b.evaluations.iter().find(|e| e.criterion == c.id));
        let s = if c.id == criterion {
            status.to_string()
        } else {
            eval.map_or("unknown", |e| e.status.as_str()).to_string()
        };
        push(format!("c_{}_status", c.id), s);
        push(
            format!("c_{}_reason", c.id),
            eval.map(|e| e.reason.replace('\n', "\r\n"))
                .unwrap_or_default(),
        );
        push(
            format!("c_{}_quote", c.id),
            eval.and_then(|e| e.quote.clone()).unwrap_or_default(),
        );
        push(
            format!("c_{}_source", c.id),
            eval.and_then(|e| e.source.clone()).unwrap_or_default(),
        );
    }
    push("criteria_bill".into(), featured.to_string());
    push("base_revision".into(), base.to_string());
    push("note".into(), "The bill now removes the caps".into());
    push("action".into(), action.into());
    out
}

async fn scorecard_audit(app: &TestApp) -> Vec<AuditEntry> {
    app.store
        .staff_audit(&AuditFilter {
            limit: 500,
            ..AuditFilter::default()
        })
        .await
        .expect("audit")
        .into_iter()
        .filter(|a| a.action.starts_with("scorecard."))
        .collect()
}

async fn revisions(app: &TestApp) -> Vec<i64> {
    app.store
        .scorecard_revisions(SLUG, ma())
        .await
        .expect("revisions")
        .expect("campaign")
        .iter()
        .map(|r| r.revision)
        .collect()
}

fn gap_ids(card: &Value) -> Vec<String> {
    card["gaps"]
        .as_array()
        .expect("gaps")
        .iter()
        .map(|g| g["id"].as_str().expect("id").to_string())
        .collect()
}

/// The bodies of a Boston supporter's drafts to their state legislators, each checked to name
/// MA's latest scorecard revision.
async fn state_draft_bodies(app: &TestApp) -> Vec<String> {
    let latest = app
        .store
        .scorecard_latest_revision(SLUG, ma())
        .await
        .expect("latest");
    let (targets, _) = app.boston_targets().await;
    let state: Vec<Value> = targets
        .into_iter()
        .filter(|t| {
            matches!(
                t["chamber"].as_str(),
                Some("state_upper") | Some("state_lower")
            )
        })
        .collect();
    assert!(!state.is_empty(), "Boston has state legislators");
    let (status, body) = app.post_message(&message_request(&ids(&state))).await;
    assert_eq!(status, 200, "{body}");
    body["drafts"]
        .as_array()
        .expect("drafts")
        .iter()
        .map(|d| {
            assert_eq!(d["scorecard_revision"].as_i64(), latest, "{d}");
            d["body"].as_str().expect("body").to_string()
        })
        .collect()
}

#[tokio::test]
async fn an_editor_sets_ma_caps_to_yes_on_the_page_then_restores_the_old_revision() {
    let (app, _census) = boston_app().await;
    let staff = service(&app);
    let editor_id = person(&staff, "ed@example.org", Role::Editor).await;
    let ed = sign_in(&staff, "ed@example.org").await;
    let page = format!("/staff/campaigns/{SLUG}/scorecards/MA");

    let (_, before) = app.scorecard("MA").await;
    assert_eq!(gap_ids(&before).len(), 5, "{before}");
    assert!(gap_ids(&before).contains(&CAPS.to_string()));
    assert!(state_draft_bodies(&app)
        .await
        .iter()
        .all(|b| b.contains(CAPS_ASK)));
    // The seed recorded revision 1.
    assert_eq!(revisions(&app).await, [1]);

    // The list and the page.
    let res = app
        .staff_get(&format!("/staff/campaigns/{SLUG}/scorecards"), Some(&ed))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.expect("html");
    assert!(html.contains("Massachusetts"), "{html}");
    let res = app.staff_get(&page, Some(&ed)).await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.expect("html");
    assert!(html.contains("name=\"c_end_damage_caps_status\""));
    assert!(html.contains("name=\"csrf_token\""));

    // Preview: the new score, 4 gaps, the message without the ask; nothing saved.
    let d = doc(&app.store).await;
    let stored = bills_of(&d, ma());
    let preview = form_pairs(&d, &stored, 1, CAPS, "yes", "preview");
    let res = post(&app, &page, &ed, &preview, true).await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.expect("html");
    let shown = html
        .split("Preview (not saved)")
        .nth(1)
        .expect("a preview section");
    let shown = shown.split("</section>").next().expect("section");
    assert!(shown.contains("New gaps (4)"), "{shown}");
    assert!(shown.contains("end_damage_caps no → yes"), "{shown}");
    assert!(!shown.contains(CAPS_ASK), "{shown}");
    assert!(shown.contains("Dear"), "{shown}");
    assert_eq!(revisions(&app).await, [1]);
    assert_eq!(gap_ids(&app.scorecard("MA").await.1).len(), 5);

    // Save: revision 2; the public scorecard and the next draft follow.
    let save = form_pairs(&d, &stored, 1, CAPS, "yes", "save");
    let res = post(&app, &page, &ed, &save, true).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), format!("{page}?saved=2"));
    let (_, after) = app.scorecard("MA").await;
    assert_eq!(gap_ids(&after).len(), 4, "{after}");
    assert!(!gap_ids(&after).contains(&CAPS.to_string()));
    assert!(state_draft_bodies(&app)
        .await
        .iter()
        .all(|b| !b.contains(CAPS_ASK)));
    let ma_rev = app
        .store
        .scorecard_revision(SLUG, ma(), 2)
        .await
        .expect("read")
        .expect("2");
    assert_eq!(ma_rev.author, format!("staff:{editor_id}"));
    assert_eq!(
        ma_rev.note.as_deref(),
        Some("The bill now removes the caps")
    );

    // The same form again is stale (its base is revision 1): refused, nothing changed.
    let res = post(&app, &page, &ed, &save, true).await;
    assert_eq!(res.status().as_u16(), 409);
    assert_eq!(revisions(&app).await, [2, 1]);

    // History, then restore revision 1: 5 gaps again.
    let res = app.staff_get(&format!("{page}/history"), Some(&ed)).await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.expect("html");
    assert!(html.contains("end_damage_caps no → yes"), "{html}");
    assert!(html.contains("/revisions/1/restore"), "{html}");
    let res = post(&app, &format!("{page}/revisions/1/restore"), &ed, &[], true).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), format!("{page}?saved=3"));
    let (_, restored) = app.scorecard("MA").await;
    assert_eq!(gap_ids(&restored), gap_ids(&before));
    assert_eq!(bills_of(&doc(&app.store).await, ma()), stored);
    assert!(state_draft_bodies(&app)
        .await
        .iter()
        .all(|b| b.contains(CAPS_ASK)));

    // Each step is in the audit log, by the editor, naming the state and the change.
    let audit = scorecard_audit(&app).await;
    let rows: Vec<(&str, &str)> = audit
        .iter()
        .map(|a| (a.action.as_str(), a.summary.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            (
                "scorecard.restored",
                "MA: end_damage_caps yes → no (revision 3)"
            ),
            (
                "scorecard.saved",
                "MA: end_damage_caps no → yes (revision 2)"
            ),
        ]
    );
    assert!(audit
        .iter()
        .all(|a| a.actor == format!("staff:{editor_id}")
            && a.object == format!("scorecard:{SLUG}/MA")));
}

/// A bearer token of a new person with `role`.
async fn token(staff: &Staff, email: &str, role: Role) -> (i64, String) {
    person(staff, email, role).await;
    let (id, token) = staff
        .create_token(Origin::cli(), email, "script")
        .await
        .expect("token");
    (id, format!("Bearer {}", token.expose()))
}

async fn put(app: &TestApp, state: &str, auth: Option<&str>, body: &Value) -> (u16, Value) {
    let mut req = app
        .client
        .put(app.url(&format!("/api/v1/campaigns/{SLUG}/scorecards/{state}")))
        .json(body);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    status_and_json(req.send().await.expect("request")).await
}

/// A refused PUT: what it is, the authorization, the body, the status and the field named.
type Refusal<'a> = (&'a str, Option<&'a str>, Value, u16, Option<String>);

fn caps_index(card: &Value) -> usize {
    card["criteria"]
        .as_array()
        .expect("criteria")
        .iter()
        .position(|c| c["id"] == CAPS)
        .expect("caps")
}

#[tokio::test]
async fn the_api_takes_back_the_public_document_with_one_criterion_changed() {
    let app = spawn_app().await;
    let staff = service(&app);
    let (_, editor) = token(&staff, "ed@example.org", Role::Editor).await;
    let (_, organiser) = token(&staff, "org@example.org", Role::Organiser).await;

    // Unchanged, it saves the same bills.
    let (_, card) = app.scorecard("MA").await;
    let stored = bills_of(&doc(&app.store).await, ma());
    let (status, body) = put(&app, "MA", Some(&editor), &card).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["revision"], 2);
    assert_eq!(body["changes"], json!([]));
    assert_eq!(bills_of(&doc(&app.store).await, ma()), stored);

    // One criterion's status edited.
    let mut edited = card.clone();
    edited["criteria"][caps_index(&card)]["status"] = json!("yes");
    edited["note"] = json!("caps removed");
    let (status, body) = put(&app, "ma", Some(&editor), &edited).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["revision"], 3);
    assert_eq!(body["summary"], "MA: end_damage_caps no → yes");
    assert_eq!(body["scorecard"]["gaps"].as_array().expect("gaps").len(), 4);
    let (_, now) = app.scorecard("MA").await;
    assert_eq!(now, body["scorecard"]);
    assert_eq!(gap_ids(&now).len(), 4);

    // The revisions, for any role.
    let res = app
        .client
        .get(app.url(&format!("/api/v1/campaigns/{SLUG}/scorecards/MA/revisions")))
        .header("authorization", &organiser)
        .send()
        .await
        .expect("request");
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, 200, "{body}");
    let revs = body["revisions"].as_array().expect("revisions");
    let numbers: Vec<i64> = revs
        .iter()
        .map(|r| r["revision"].as_i64().expect("n"))
        .collect();
    assert_eq!(numbers, [3, 2, 1]);
    assert_eq!(revs[0]["note"], "caps removed");
    assert_eq!(revs[0]["changes"][0]["subject"], CAPS);
    assert_eq!(revs[0]["changes"][0]["from"], "no");
    assert_eq!(revs[0]["changes"][0]["to"], "yes");
    assert_eq!(revs[2]["author"], "seed");
    assert!(revs[0]["bills"].is_array());
}

#[tokio::test]
async fn refused_scorecard_edits_change_nothing() {
    let app = spawn_app().await;
    let staff = service(&app);
    let (_, editor) = token(&staff, "ed@example.org", Role::Editor).await;
    let (_, organiser) = token(&staff, "org@example.org", Role::Organiser).await;
    let (revoked_id, revoked) = token(&staff, "gone@example.org", Role::Editor).await;
    staff
        .revoke_token(Origin::cli(), revoked_id)
        .await
        .expect("revoked");
    person(&staff, "pageed@example.org", Role::Editor).await;
    person(&staff, "pageorg@example.org", Role::Organiser).await;
    let page_ed = sign_in(&staff, "pageed@example.org").await;
    let page_org = sign_in(&staff, "pageorg@example.org").await;

    let (_, card) = app.scorecard("MA").await;
    let before = doc(&app.store).await;
    let caps = caps_index(&card);
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut v = card.clone();
        edit(&mut v);
        v
    };
    let cases: Vec<Refusal> = vec![
        (
            "unknown status",
            Some(&editor),
            with(&|v| v["criteria"][caps]["status"] = json!("maybe")),
            422,
            Some(format!("criteria[{caps}].status")),
        ),
        (
            "unknown bill status",
            Some(&editor),
            with(&|v| v["bill"]["status"] = json!("vetoed")),
            422,
            Some("bill.status".into()),
        ),
        (
            "oversized title",
            Some(&editor),
            with(&|v| v["bill"]["title"] = json!("t".repeat(301))),
            422,
            Some("bill.title".into()),
        ),
        (
            "oversized reason",
            Some(&editor),
            with(&|v| v["criteria"][caps]["reason"] = json!("r".repeat(2001))),
            422,
            Some(format!("criteria[{caps}].reason")),
        ),
        (
            "forged criterion id",
            Some(&editor),
            with(&|v| v["criteria"][caps]["id"] = json!("end_everything")),
            422,
            Some(format!("criteria[{caps}].id")),
        ),
        (
            "two featured bills",
            Some(&editor),
            with(&|v| v["other_bills"][0]["featured"] = json!(true)),
            422,
            Some("other_bills[0].featured".into()),
        ),
        (
            "a control character in a number",
            Some(&editor),
            with(&|v| v["bill"]["number"] = json!("SB\u{0}945")),
            422,
            Some("bill.number".into()),
        ),
        (
            "a javascript: source URL",
            Some(&editor),
            with(&|v| v["bill"]["source_url"] = json!("javascript:alert(1)")),
            422,
            Some("bill.source_url".into()),
        ),
        (
            "an unknown field",
            Some(&editor),
            with(&|v| v["bill"]["sponsor"] = json!("x")),
            422,
            None,
        ),
        (
            "a body over the limit",
            Some(&editor),
            with(&|v| v["note"] = json!("n".repeat(70_000))),
            413,
            None,
        ),
        // Found by the fuzzer: serde reads `[]` as a document of defaults, and `{}` would have
        // emptied the state.
        ("an array", Some(&editor), json!([]), 422, None),
        (
            "no bill named",
            Some(&editor),
            json!({}),
            422,
            Some("bill".to_string()),
        ),
        ("wrong role", Some(&organiser), card.clone(), 403, None),
        ("no token", None, card.clone(), 401, None),
        ("revoked token", Some(&revoked), card.clone(), 401, None),
    ];
    for (what, auth, body, expected, field) in &cases {
        let (status, answer) = put(&app, "MA", *auth, body).await;
        assert_eq!(status, *expected, "{what}: {answer}");
        assert!(answer["error"].is_string(), "{what}: {answer}");
        if let Some(f) = field {
            assert_eq!(
                answer["field"].as_str(),
                Some(f.as_str()),
                "{what}: {answer}"
            );
        }
    }
    let no_token = app
        .client
        .get(app.url(&format!("/api/v1/campaigns/{SLUG}/scorecards/MA/revisions")))
        .send()
        .await
        .expect("request");
    assert_eq!(no_token.status().as_u16(), 401);

    // The page: a forged status, an organiser, a missing CSRF token.
    let page = format!("/staff/campaigns/{SLUG}/scorecards/MA");
    let stored = bills_of(&before, ma());
    let forged = form_pairs(&before, &stored, 1, CAPS, "maybe", "save");
    let res = post(&app, &page, &page_ed, &forged, true).await;
    assert_eq!(res.status().as_u16(), 422);
    let html = res.text().await.expect("html");
    assert!(
        html.contains("href=\"#c_end_damage_caps_status\""),
        "{html}"
    );
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
    let mut long = form_pairs(&before, &stored, 1, CAPS, "yes", "save");
    for (k, v) in long.iter_mut() {
        match k.as_str() {
            "b2_title" => *v = "x".repeat(301),
            "b2_source_url" => *v = "https://example.org".into(),
            _ => {}
        }
    }
    let res = post(&app, &page, &page_ed, &long, true).await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res
        .text()
        .await
        .expect("html")
        .contains("href=\"#b2_title\""));
    let good = form_pairs(&before, &stored, 1, CAPS, "yes", "save");
    let res = post(&app, &page, &page_org, &good, true).await;
    assert_eq!(res.status().as_u16(), 403);
    let res = post(&app, &page, &page_ed, &good, false).await;
    assert_eq!(res.status().as_u16(), 403);
    let res = post(
        &app,
        &format!("{page}/revisions/1/restore"),
        &page_org,
        &[],
        true,
    )
    .await;
    assert_eq!(res.status().as_u16(), 403);

    assert_eq!(doc(&app.store).await, before, "nothing changed");
    assert_eq!(revisions(&app).await, [1]);
    assert!(scorecard_audit(&app).await.is_empty());
}

#[tokio::test]
async fn an_import_records_a_revision_for_each_state_it_changes() {
    let app = spawn_app().await;
    let mut edited = doc(&app.store).await;
    let ma_state = edited
        .states
        .iter_mut()
        .find(|s| s.code == ma())
        .expect("MA");
    ma_state.bills[0].title = "A new title".into();
    let report = app.store.import_campaign(&edited).await.expect("import");
    assert_eq!(report.revised_states, 1);
    let revs = app
        .store
        .scorecard_revisions(SLUG, ma())
        .await
        .expect("read")
        .expect("campaign");
    assert_eq!(revs.len(), 2);
    assert_eq!(revs[0].author, "cli");
    assert_eq!(revs[1].author, "seed");
    let ct = StateCode::parse("CT").expect("CT");
    let ct_revs = app
        .store
        .scorecard_revisions(SLUG, ct)
        .await
        .expect("read")
        .expect("campaign");
    assert_eq!(ct_revs.len(), 1, "CT did not change");
    let audit = scorecard_audit(&app).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "scorecard.imported");
    assert_eq!(audit[0].actor, "cli");
    assert!(
        audit[0].summary.starts_with("MA: bill SB 945 title edited"),
        "{}",
        audit[0].summary
    );
    // Importing it again changes nothing and records nothing.
    let again = app.store.import_campaign(&edited).await.expect("again");
    assert!(!again.changed);
    assert_eq!(scorecard_audit(&app).await.len(), 1);
}

#[tokio::test]
async fn outbox_messages_record_the_scorecard_revision_beside_the_template_version() {
    let smtp =
        advocate_test_support::StubSmtp::start(advocate_test_support::Script::normal()).await;
    let (app, _census) = advocate_test_support::sending_app(&smtp.url()).await;
    let (targets, _) = app.boston_targets().await;
    let (send_ids, _) = advocate_test_support::emailable(&targets);
    let (status, body) = app
        .post_message(&advocate_test_support::send_request(&send_ids))
        .await;
    assert_eq!(status, 202, "{body}");
    let sql = "SELECT kind, template_version, scorecard_revision FROM outbox ORDER BY position";
    let rows: Vec<(String, Option<i64>, Option<i64>)> = match &app.store {
        Store::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await,
        Store::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await,
    }
    .expect("outbox rows");
    assert_eq!(rows[0], ("confirmation".to_string(), None, None));
    let messages: Vec<_> = rows.iter().filter(|r| r.0 == "message").collect();
    assert!(!messages.is_empty());
    for (_, template, revision) in messages {
        assert!(template.is_some());
        // MA's seed revision; Congress's messages name the same state's scorecard.
        assert_eq!(*revision, Some(1));
    }
}

#[tokio::test]
async fn two_instances_on_one_database_never_lose_or_double_a_scorecard_revision() {
    let (settings, dir) = advocate_test_support::test_settings(&[]).await;
    let one = advocate_test_support::spawn_app_from(settings.clone(), dir).await;
    let two = advocate_test_support::spawn_app_from(settings, None).await;
    let (_, editor) = token(&service(&one), "ed@example.org", Role::Editor).await;
    let (_, card) = one.scorecard("MA").await;
    let caps = caps_index(&card);

    // Both instances edit from revision 1 at once: one save lands, the other is told (409).
    let edit = |status: &str| {
        let mut v = card.clone();
        v["criteria"][caps]["status"] = json!(status);
        v["base_revision"] = json!(1);
        v
    };
    let (yes, partial) = (edit("yes"), edit("partial"));
    let (a, b) = tokio::join!(
        put(&one, "MA", Some(&editor), &yes),
        put(&two, "MA", Some(&editor), &partial)
    );
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{a:?} {b:?}");

    // Without a base both land, as consecutive revisions; the stored bills are the later one's.
    let mut unbased = card.clone();
    unbased["criteria"][caps]["status"] = json!("no");
    let (a, b) = tokio::join!(
        put(&one, "MA", Some(&editor), &unbased),
        put(&two, "MA", Some(&editor), &unbased)
    );
    assert_eq!((a.0, b.0), (201, 201), "{a:?} {b:?}");
    let mut made = [a.1["revision"].as_i64(), b.1["revision"].as_i64()];
    made.sort_unstable();
    assert_eq!(made, [Some(3), Some(4)]);
    let res = two
        .client
        .get(two.url(&format!("/api/v1/campaigns/{SLUG}/scorecards/MA/revisions")))
        .header("authorization", &editor)
        .send()
        .await
        .expect("request");
    let (_, body) = status_and_json(res).await;
    let numbers: Vec<i64> = body["revisions"]
        .as_array()
        .expect("revisions")
        .iter()
        .filter_map(|r| r["revision"].as_i64())
        .collect();
    assert_eq!(numbers, [4, 3, 2, 1]);
    let (_, now) = one.scorecard("MA").await;
    assert_eq!(
        now["criteria"][caps]["status"], "no",
        "the last save is what is stored: {now}"
    );
}

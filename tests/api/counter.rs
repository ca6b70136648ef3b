//! The public counter: `GET /api/v1/campaigns/{slug}/counter` (total, last 24 hours, goal), the
//! badge `GET /campaigns/{slug}/counter.svg`, and the goal staff set at
//! `/staff/campaigns/{slug}/counter` (editors; audited; bad input refused, nothing changed).
//! On the test's database (SQLite or PostgreSQL).

use advocate::directory::Chamber;
use advocate::domain::StateCode;
use advocate::staff::{AuditFilter, Role};
use advocate::stats::Channel;
use advocate::store::CountEvent;
use advocate_test_support::staff::{signed_in, Signed};
use advocate_test_support::{
    boston_app, ids, location, message_request, spawn_app, status_and_text, TestApp, SLUG,
};
use chrono::{Duration, Utc};
use reqwest::Response;
use serde_json::{json, Value};

const COUNTER: &str = "/api/v1/campaigns/end-qualified-immunity/counter";
const BADGE: &str = "/campaigns/end-qualified-immunity/counter.svg";
const STAFF_COUNTER: &str = "/staff/campaigns/end-qualified-immunity/counter";

async fn counter(app: &TestApp) -> Value {
    let res = app.get(COUNTER).await;
    let headers = res.headers().clone();
    let status = res.status().as_u16();
    let body: Value = res.json().await.expect("json");
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["cache-control"], "public, max-age=60");
    assert_eq!(headers["access-control-allow-origin"], "*");
    body
}

async fn badge(app: &TestApp, path: &str) -> String {
    let res = app.get(path).await;
    assert_eq!(res.status().as_u16(), 200, "{path}");
    let h = res.headers();
    assert_eq!(h["content-type"], "image/svg+xml; charset=utf-8");
    assert_eq!(h["cache-control"], "public, max-age=60");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cross-origin-resource-policy"], "cross-origin");
    let svg = res.text().await.expect("body");
    assert_well_formed(&svg);
    svg
}

/// The SVG parses as XML (Python's parser, as a browser's `<img>` would refuse a broken one).
fn assert_well_formed(svg: &str) {
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, xml.dom.minidom; xml.dom.minidom.parseString(sys.stdin.buffer.read())",
        ])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(svg.as_bytes())
        .expect("written");
    let out = child.wait_with_output().expect("python3 ran");
    assert!(
        out.status.success(),
        "not well-formed XML: {}\n{svg}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The number in attribute `attr` of the element with id `id`.
fn svg_number(svg: &str, id: &str, attr: &str) -> Option<f64> {
    let re =
        regex::Regex::new(&format!(r#"<rect id="{id}"[^>]*? {attr}="([0-9.]+)""#)).expect("regex");
    re.captures(svg).map(|c| c[1].parse().expect("a number"))
}

/// Counts `n` messages to one Massachusetts office `hours_ago`.
async fn count(app: &TestApp, n: i64, hours_ago: i64) {
    let event = CountEvent {
        state: StateCode::parse("MA").expect("MA"),
        legislator_id: "ocd-person/counter".into(),
        chamber: Chamber::StateUpper,
        channel: Channel::DraftEmail,
        template_version: 1,
        n,
        at: Utc::now() - Duration::hours(hours_ago),
    };
    assert!(app
        .store
        .count_messages(SLUG, &[event])
        .await
        .expect("counted"));
}

async fn goal_rows(app: &TestApp) -> Vec<advocate::staff::AuditEntry> {
    app.store
        .staff_audit(&AuditFilter {
            action: Some("campaign.goal_set".into()),
            limit: 500,
            ..AuditFilter::default()
        })
        .await
        .expect("audit")
}

async fn stored_goal(app: &TestApp) -> Option<i64> {
    app.store
        .campaign_goal(SLUG)
        .await
        .expect("goal")
        .expect("campaign")
}

async fn set_goal(app: &TestApp, who: &Signed, goal: &str) -> Response {
    app.staff_post(STAFF_COUNTER, Some(who), &[("goal", goal)])
        .await
}

#[tokio::test]
async fn the_counter_counts_followed_drafts_in_the_total_and_the_last_24_hours() {
    let (app, _census) = boston_app().await;
    let body = counter(&app).await;
    assert_eq!(
        body,
        json!({"total": 0, "last_24h": 0}),
        "no goal: left out"
    );

    let (targets, _) = app.boston_targets().await;
    let (status, drafted) = app.post_message(&message_request(&ids(&targets))).await;
    assert_eq!(status, 200, "{drafted}");
    let mut followed = 0;
    for draft in drafted["drafts"].as_array().expect("drafts") {
        let link = ["mailto", "contact_form"]
            .iter()
            .find_map(|k| draft[*k].as_str())
            .expect("a link to follow");
        app.follow_draft_link(link).await;
        followed += 1;
    }
    assert!(followed >= 3, "{followed}");
    let body = counter(&app).await;
    assert_eq!(body["total"], followed, "{body}");
    assert_eq!(body["last_24h"], followed, "{body}");
    assert!(body.get("goal").is_none(), "{body}");
    let (_, counts) = app.counts().await;
    assert_eq!(counts["total"], body["total"], "the same total as /counts");

    let svg = badge(&app, BADGE).await;
    let noun = format!("{followed} messages sent to legislators");
    assert!(
        svg.contains(&format!("<title>End Qualified Immunity: {noun}</title>")),
        "{svg}"
    );
    assert!(svg.contains(&format!(r#"aria-label="End Qualified Immunity: {noun}""#)));
    assert!(svg.contains(r#"role="img""#));
    assert!(
        svg.contains(&format!(">{followed} messages sent</text>")),
        "{svg}"
    );
    assert!(!svg.contains("id=\"progress\""), "no goal, no bar");
}

#[tokio::test]
async fn a_goal_staff_set_shows_in_the_json_and_as_a_capped_progress_bar() {
    let app = spawn_app().await;
    count(&app, 5, 0).await;
    let (_, editor) = signed_in(&app, "ed@example.org", Role::Editor).await;

    let res = set_goal(&app, &editor, "20,000").await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), format!("{STAFF_COUNTER}?saved=set"));
    let body = counter(&app).await;
    assert_eq!(body, json!({"total": 5, "last_24h": 5, "goal": 20000}));
    let rows = goal_rows(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].object, format!("campaign:{SLUG}"));
    assert_eq!(rows[0].summary, "goal no goal -> 20,000 messages");
    assert!(rows[0].actor.starts_with("staff:"));

    let svg = badge(&app, BADGE).await;
    assert!(
        svg.contains("5 messages sent to legislators, of 20,000 goal"),
        "{svg}"
    );
    assert!(svg.contains(">0% of 20,000 goal</text>"), "{svg}");
    let track = svg_number(&svg, "track", "width").expect("a track");
    let bar = svg_number(&svg, "progress", "width").expect("a bar");
    assert!(
        (bar - track * 5.0 / 20_000.0).abs() < 0.06,
        "{bar} of {track}"
    );

    // Half way: half the track.
    let res = set_goal(&app, &editor, "10").await;
    assert_eq!(res.status().as_u16(), 303);
    let svg = badge(&app, BADGE).await;
    let track = svg_number(&svg, "track", "width").expect("a track");
    let bar = svg_number(&svg, "progress", "width").expect("a bar");
    assert!((bar - track / 2.0).abs() < 0.06, "{bar} of {track}");
    assert!(svg.contains(">50% of 10 goal</text>"), "{svg}");

    // Passed: the bar stops at the end of its track; the caption says how far past.
    set_goal(&app, &editor, "2").await;
    let svg = badge(&app, BADGE).await;
    let track = svg_number(&svg, "track", "width").expect("a track");
    let bar = svg_number(&svg, "progress", "width").expect("a bar");
    assert_eq!(bar, track);
    assert!(svg.contains(">250% of 2 goal</text>"), "{svg}");
    let width = regex::Regex::new(r#"^<svg [^>]*width="(\d+)""#)
        .expect("regex")
        .captures(&svg)
        .expect("a width")[1]
        .parse::<f64>()
        .expect("a number");
    assert!(track < width, "the bar fits in the badge");

    // The same goal again changes (and audits) nothing; empty clears it.
    let res = set_goal(&app, &editor, " 2 ").await;
    assert_eq!(location(&res), format!("{STAFF_COUNTER}?saved=unchanged"));
    assert_eq!(goal_rows(&app).await.len(), 3);
    let res = set_goal(&app, &editor, "").await;
    assert_eq!(location(&res), format!("{STAFF_COUNTER}?saved=cleared"));
    let body = counter(&app).await;
    assert_eq!(body, json!({"total": 5, "last_24h": 5}));
    let rows = goal_rows(&app).await;
    assert_eq!(rows.len(), 4);
    assert_eq!(
        rows[0].summary, "goal 2 messages -> no goal",
        "newest first"
    );
    assert!(!badge(&app, BADGE).await.contains("id=\"progress\""));
}

#[tokio::test]
async fn the_last_24_hours_leave_out_older_counts_and_the_badge_separates_thousands() {
    let app = spawn_app().await;
    count(&app, 12_000, 30).await;
    count(&app, 300, 22).await;
    count(&app, 45, 0).await;
    let body = counter(&app).await;
    assert_eq!(body, json!({"total": 12_345, "last_24h": 345}));
    let (_, editor) = signed_in(&app, "ed@example.org", Role::Editor).await;
    set_goal(&app, &editor, "20000").await;
    let svg = badge(&app, BADGE).await;
    assert!(
        svg.contains("<title>End Qualified Immunity: 12,345 messages sent to legislators, of 20,000 goal</title>"),
        "{svg}"
    );
    assert!(svg.contains(">12,345 messages sent</text>"), "{svg}");
    assert!(svg.contains(">61% of 20,000 goal</text>"), "{svg}");
    let (_, page) = status_and_text(app.staff_get(STAFF_COUNTER, Some(&editor)).await).await;
    assert!(page.contains("<dd>12,345</dd>"), "{page}");
    assert!(page.contains("<dd>345</dd>"), "{page}");
    assert!(page.contains(r#"value="20,000""#), "{page}");
}

#[tokio::test]
async fn a_bad_goal_is_refused_with_the_reason_and_changes_nothing() {
    let app = spawn_app().await;
    let (_, editor) = signed_in(&app, "ed@example.org", Role::Editor).await;
    set_goal(&app, &editor, "500").await;
    let before = goal_rows(&app).await.len();
    for (typed, reason) in [
        ("0", "at least 1"),
        ("-5", "whole number"),
        ("twelve", "whole number"),
        ("1.5", "whole number"),
        ("1e6", "whole number"),
        ("1000000001", "at most 1,000,000,000"),
        ("99999999999999999999999999", "whole number"),
        ("<script>", "whole number"),
    ] {
        let (status, page) = status_and_text(set_goal(&app, &editor, typed).await).await;
        assert_eq!(status, 422, "{typed}");
        assert!(page.contains("The goal was not saved"), "{typed}");
        assert!(page.contains(reason), "{typed}: {page}");
        assert!(page.contains("Nothing was changed."), "{typed}");
        assert!(page.contains(r#"aria-invalid="true""#), "{typed}");
        assert!(
            !page.contains("<script>"),
            "{typed}: what was typed is escaped"
        );
        assert_eq!(stored_goal(&app).await, Some(500), "{typed}");
    }
    assert_eq!(goal_rows(&app).await.len(), before, "no audit row");
    let body = counter(&app).await;
    assert_eq!(body["goal"], 500);
}

#[tokio::test]
async fn organisers_see_the_counter_page_without_the_form_and_cannot_set_a_goal() {
    let app = spawn_app().await;
    let (_, organiser) = signed_in(&app, "org@example.org", Role::Organiser).await;
    let (status, page) =
        status_and_text(app.staff_get(STAFF_COUNTER, Some(&organiser)).await).await;
    assert_eq!(status, 200);
    assert!(page.contains("/campaigns/end-qualified-immunity/counter.svg"));
    assert!(page.contains("Editors and admins set the goal."));
    assert!(!page.contains(r#"name="goal""#));
    let res = set_goal(&app, &organiser, "100").await;
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(stored_goal(&app).await, None);
    assert!(goal_rows(&app).await.is_empty());

    let (_, editor) = signed_in(&app, "ed@example.org", Role::Editor).await;
    let (_, page) = status_and_text(app.staff_get(STAFF_COUNTER, Some(&editor)).await).await;
    assert!(page.contains(r#"name="goal""#));
    assert!(
        page.contains(
            r#"&lt;img src="http://127.0.0.1:8080/campaigns/end-qualified-immunity/counter.svg""#
        ),
        "the embed snippet: {page}"
    );
}

#[tokio::test]
async fn a_campaign_name_with_markup_is_escaped_in_the_badge() {
    let app = spawn_app().await;
    let mut doc = app
        .store
        .campaign_doc(SLUG)
        .await
        .expect("read")
        .expect("seeded");
    doc.campaign.slug = "markup".into();
    doc.campaign.title = r#"<script>alert("x")</script> & Friends' "QI""#.into();
    app.store.import_campaign(&doc).await.expect("imported");
    let (_, editor) = signed_in(&app, "ed@example.org", Role::Editor).await;
    let res = app
        .staff_post(
            "/staff/campaigns/markup/counter",
            Some(&editor),
            &[("goal", "1000")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);

    let svg = badge(&app, "/campaigns/markup/counter.svg").await;
    assert!(!svg.contains("<script"), "{svg}");
    assert!(
        svg.contains(
            "&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; Friends&#39; &#34;QI&#34;"
        ),
        "{svg}"
    );
    assert!(!svg.contains("& Friends"), "{svg}");
    assert!(svg.contains("0 messages sent to legislators, of 1,000 goal"));
    let (status, body) = app.get_json("/api/v1/campaigns/markup/counter").await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"total": 0, "last_24h": 0, "goal": 1000}));
}

#[tokio::test]
async fn an_unknown_campaign_is_404_for_the_json_the_badge_and_the_goal() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/v1/campaigns/nope/counter").await;
    assert_eq!(status, 404);
    assert!(
        body["error"].as_str().is_some_and(|e| e.contains("nope")),
        "{body}"
    );
    let res = app.get("/campaigns/nope/counter.svg").await;
    assert_eq!(res.status().as_u16(), 404);
    let (_, editor) = signed_in(&app, "ed@example.org", Role::Editor).await;
    let res = app
        .staff_post(
            "/staff/campaigns/nope/counter",
            Some(&editor),
            &[("goal", "5")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 404);
    let res = app
        .staff_get("/staff/campaigns/nope/counter", Some(&editor))
        .await;
    assert_eq!(res.status().as_u16(), 404);
    assert!(goal_rows(&app).await.is_empty());
}

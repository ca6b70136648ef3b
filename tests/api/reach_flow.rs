//! Reach from real traffic: a supporter's drafts followed and messages confirmed and delivered
//! (to aiosmtpd, a real SMTP server) show up within seconds in the reach API, its CSV, the staff
//! download and the dashboard, counted by channel, office and template version.

use advocate::staff::Role;
use advocate_test_support::reach::read_csv;
use advocate_test_support::staff::{bearer, service, sign_in};
use advocate_test_support::{
    emailable, ids, message_request, send_request, sending_app, token_after, Aiosmtpd, SLUG,
};
use serde_json::Value;
use std::time::{Duration, Instant};

#[tokio::test]
async fn drafts_followed_and_mail_delivered_appear_in_every_report_within_seconds() {
    let smtp = Aiosmtpd::start().await;
    let (app, _census) = sending_app(&smtp.url()).await;
    let (_, token) = bearer(&app, "org@example.org", Role::Organiser).await;
    let session = sign_in(&service(&app), "org@example.org").await;
    let (targets, _) = app.boston_targets().await;

    // Two drafts taken through their counting links (one each), one never followed.
    let all = ids(&targets);
    let (status, body) = app.post_message(&message_request(&all)).await;
    assert_eq!(status, 200, "{body}");
    let drafts = body["drafts"].as_array().expect("drafts");
    let mut followed = Vec::new();
    for draft in drafts.iter().filter(|d| d["mailto"].is_string()).take(2) {
        app.follow_draft_link(draft["mailto"].as_str().expect("mailto"))
            .await;
        followed.push(draft["target_id"].as_str().expect("target id").to_string());
    }
    assert_eq!(followed.len(), 2, "two offices with email: {body}");

    // Messages sent to every office with email, confirmed, delivered.
    let (send_ids, _) = emailable(&targets);
    let (status, body) = app.post_message(&send_request(&send_ids)).await;
    assert_eq!(status, 202, "{body}");
    let mails = smtp.wait_for(1, Duration::from_secs(15)).await;
    let confirm = token_after(&mails[0].body_text().replace("\r\n", "\n"), "/confirm/");
    assert_eq!(app.confirm(&confirm).await.status().as_u16(), 303);
    smtp.wait_for(1 + send_ids.len(), Duration::from_secs(30))
        .await;

    // Within seconds the API says so (the worker records a send just after the server took it).
    let sent = send_ids.len() as i64;
    let started = Instant::now();
    let channels = loop {
        let res = app
            .reach_api(SLUG, "group_by=channel", Some(&token), None)
            .await;
        assert_eq!(res.status().as_u16(), 200);
        let body: Value = res.json().await.expect("json");
        let total = |channel: &str| {
            body["rows"]
                .as_array()
                .expect("rows")
                .iter()
                .find(|r| r["channel"] == channel)
                .map_or(0, |r| r["total"].as_i64().expect("total"))
        };
        // The summary is read beside the rows, not in one snapshot with them: a send recorded
        // between the two reads shows in one and not yet in the other, so wait for both.
        if (total("sent"), total("draft_email")) == (sent, 2)
            && body["summary"]["total"] == sent + 2
        {
            break body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "not counted within 10 s: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(channels["summary"]["total"], sent + 2);
    assert_eq!(channels["summary"]["sent"], sent);

    // By office, through the API's CSV: each delivered office once as sent, each followed
    // draft once as a draft.
    let res = app
        .reach_api(SLUG, "group_by=legislator&format=csv", Some(&token), None)
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let (header, records) = read_csv(&res.bytes().await.expect("body"));
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    for id in &send_ids {
        let row = records
            .iter()
            .find(|r| &r[col("legislator_id")] == id)
            .unwrap_or_else(|| panic!("{id} in {records:?}"));
        assert_eq!(row[col("sent")], "1", "{row:?}");
        assert!(!row[col("name")].is_empty() && !row[col("chamber")].is_empty());
        let drafted = if followed.contains(id) { "1" } else { "0" };
        assert_eq!(row[col("draft_email")], drafted, "{row:?}");
    }

    // By template version, through the staff download: every message names the version it
    // was written from (the seeded templates are version 1).
    let res = app
        .reach_download(SLUG, "template_version", "", Some(&session))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let (header, records) = read_csv(&res.bytes().await.expect("body"));
    let version = header
        .iter()
        .position(|h| h == "template_version")
        .expect("column");
    let total = header.iter().position(|h| h == "total").expect("column");
    assert!(records.iter().all(|r| r[version] == "1"), "{records:?}");
    let counted: i64 = records
        .iter()
        .map(|r| r[total].parse::<i64>().expect("n"))
        .sum();
    assert_eq!(counted, sent + 2);

    // The dashboard: the headline total and the offices by name.
    let (status, html) = advocate_test_support::status_and_text(
        app.staff_get(&format!("/staff/campaigns/{SLUG}/reach"), Some(&session))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let name = targets
        .iter()
        .find(|t| t["id"] == send_ids[0].as_str())
        .and_then(|t| t["name"].as_str())
        .expect("name");
    assert!(html.contains(name), "the office's name on the dashboard");
    assert!(
        html.contains(&format!(">{}<", sent + 2)),
        "the headline total on the dashboard"
    );
}

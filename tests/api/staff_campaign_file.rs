//! The campaign file in the workspace: an admin downloads it and uploads it back edited (the MA
//! caps criterion to `yes`: a revision in the admin's name, audited, and the public scorecard
//! follows); a broken file, a file for another campaign, a missing CSRF token, a cross-site
//! form, an oversized upload and every lesser role are refused, each changing nothing.

use advocate::domain::{CriterionStatus, StateCode};
use advocate::scorecard::{file, CampaignDoc};
use advocate::staff::audit::action;
use advocate::staff::{AuditFilter, Role};
use advocate_test_support::staff::{signed_in, Signed, ORIGIN, SESSION_COOKIE};
use advocate_test_support::{location, spawn_app, status_and_json, status_and_text, TestApp, SLUG};
use reqwest::Response;

const BOUNDARY: &str = "advocate-test-boundary";

fn page() -> String {
    format!("/staff/campaigns/{SLUG}/file")
}

/// A multipart upload of `file` (and the session's CSRF token unless `token` is false), from
/// `origin`.
async fn upload(
    app: &TestApp,
    who: Option<&Signed>,
    file: &str,
    token: bool,
    origin: &str,
) -> Response {
    let mut body = String::new();
    let mut part = |name: &str, extra: &str, value: &str| {
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"{extra}\r\n\r\n{value}\r\n"
        ));
    };
    if let (Some(s), true) = (who, token) {
        part("csrf_token", "", &s.csrf);
    }
    part("note", "", "Caps law passed");
    part(
        "file",
        "; filename=\"campaign.toml\"\r\nContent-Type: application/toml",
        file,
    );
    body.push_str(&format!("--{BOUNDARY}--\r\n"));
    let mut req = app
        .client
        .post(app.url(&page()))
        .header("origin", origin)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body);
    if let Some(s) = who {
        req = req.header("cookie", format!("{SESSION_COOKIE}={}", s.cookie));
    }
    req.send().await.expect("request sent")
}

async fn stored(app: &TestApp) -> CampaignDoc {
    app.store
        .campaign_doc(SLUG)
        .await
        .expect("read")
        .expect("campaign")
}

/// The campaign with MA's featured bill meeting the caps criterion.
fn caps_met(doc: &CampaignDoc) -> CampaignDoc {
    let mut doc = doc.clone();
    let ma = StateCode::parse("MA").expect("MA");
    let state = doc
        .states
        .iter_mut()
        .find(|s| s.code == ma)
        .expect("MA has bills");
    let bill = state
        .bills
        .iter_mut()
        .find(|b| b.featured)
        .expect("featured");
    let caps = bill
        .evaluations
        .iter_mut()
        .find(|e| e.criterion == "end_damage_caps")
        .expect("caps evaluated");
    caps.status = CriterionStatus::Yes;
    doc
}

async fn ma_gaps(app: &TestApp) -> usize {
    let (_, json) = status_and_json(
        app.client
            .get(app.url(&format!("/api/v1/campaigns/{SLUG}/scorecards/MA")))
            .send()
            .await
            .expect("sent"),
    )
    .await;
    json["gaps"].as_array().expect("gaps").len()
}

#[tokio::test]
async fn an_admin_downloads_the_campaign_file_and_uploads_it_back_edited() {
    let app = spawn_app().await;
    let (admin_id, admin) = signed_in(&app, "admin@example.org", Role::Admin).await;

    let res = app
        .staff_get(&format!("{}/download", page()), Some(&admin))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers()["content-disposition"],
        format!("attachment; filename=\"{SLUG}.toml\"")
    );
    assert_eq!(res.headers()["cache-control"], "no-store");
    let text = res.text().await.expect("body");
    let downloaded = file::parse(&text).expect("the download parses");
    assert_eq!(downloaded, stored(&app).await);

    // The same file back: nothing changes.
    let (status, html) =
        status_and_text(upload(&app, Some(&admin), &text, true, ORIGIN).await).await;
    assert_eq!(status, 200);
    assert!(html.contains("Nothing changed"), "{html}");

    assert_eq!(ma_gaps(&app).await, 5);
    let edited = file::render(&caps_met(&downloaded)).expect("render");
    let (status, html) =
        status_and_text(upload(&app, Some(&admin), &edited, true, ORIGIN).await).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("was imported"), "{html}");
    assert!(
        html.contains("1 state&#x27;s scorecard has") || html.contains("1 state's scorecard has"),
        "{html}"
    );
    assert_eq!(ma_gaps(&app).await, 4);

    // A revision of MA in the admin's name, and an audit row by the admin.
    let (_, revisions) = status_and_text(
        app.staff_get(
            &format!("/staff/campaigns/{SLUG}/scorecards/MA/history"),
            Some(&admin),
        )
        .await,
    )
    .await;
    assert!(revisions.contains("admin@example.org"), "{revisions}");
    assert!(revisions.contains("Caps law passed"), "{revisions}");
    let audit = app
        .store
        .staff_audit(&AuditFilter {
            limit: 100,
            ..AuditFilter::default()
        })
        .await
        .expect("audit");
    assert!(
        audit
            .iter()
            .any(|e| e.actor == format!("staff:{admin_id}") && e.object.contains("MA")),
        "{audit:?}"
    );
    assert!(!audit.iter().any(|e| e.action == action::CAMPAIGN_IMPORTED));

    // A file that changes only the campaign's own fields is audited too.
    let mut retitled = caps_met(&downloaded);
    retitled.campaign.summary = format!("{} (updated)", retitled.campaign.summary);
    let text = file::render(&retitled).expect("render");
    let (status, html) =
        status_and_text(upload(&app, Some(&admin), &text, true, ORIGIN).await).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("was imported"), "{html}");
    let audit = app
        .store
        .staff_audit(&AuditFilter {
            limit: 100,
            ..AuditFilter::default()
        })
        .await
        .expect("audit");
    assert!(
        audit.iter().any(|e| e.action == action::CAMPAIGN_IMPORTED
            && e.actor == format!("staff:{admin_id}")
            && e.object == format!("campaign:{SLUG}")),
        "{audit:?}"
    );
    assert_eq!(stored(&app).await, retitled.normalised());
}

#[tokio::test]
async fn bad_uploads_and_lesser_roles_change_nothing() {
    let app = spawn_app().await;
    let (_, admin) = signed_in(&app, "admin@example.org", Role::Admin).await;
    let (_, editor) = signed_in(&app, "ed@example.org", Role::Editor).await;
    let (_, organiser) = signed_in(&app, "org@example.org", Role::Organiser).await;
    let before = stored(&app).await;
    let good = file::render(&caps_met(&before)).expect("render");

    // A broken line: the error names the line, nothing changes.
    let broken = good.replacen("status = \"yes\"", "status = \"maybe\"", 1);
    let (status, html) =
        status_and_text(upload(&app, Some(&admin), &broken, true, ORIGIN).await).await;
    assert_eq!(status, 422);
    assert!(html.contains("line "), "{html}");
    assert!(html.contains("Nothing was changed"), "{html}");
    // Another campaign's file.
    let other = good.replacen(
        &format!("slug = \"{SLUG}\""),
        "slug = \"another-campaign\"",
        1,
    );
    let (status, html) =
        status_and_text(upload(&app, Some(&admin), &other, true, ORIGIN).await).await;
    assert_eq!(status, 422);
    assert!(html.contains("another-campaign"), "{html}");
    // Empty, or not TOML at all.
    for bad in ["", "\u{0}\u{0}", "not toml ["] {
        let res = upload(&app, Some(&admin), bad, true, ORIGIN).await;
        assert_eq!(res.status().as_u16(), 422, "{bad:?}");
    }

    // No CSRF token, or another site's form: 403.
    let res = upload(&app, Some(&admin), &good, false, ORIGIN).await;
    assert_eq!(res.status().as_u16(), 403);
    let res = upload(&app, Some(&admin), &good, true, "https://evil.example").await;
    assert_eq!(res.status().as_u16(), 403);
    // Too large: 413 before anything is read.
    let huge = "#".repeat(3 * 1024 * 1024);
    let res = upload(&app, Some(&admin), &huge, true, ORIGIN).await;
    assert_eq!(res.status().as_u16(), 413);

    // Lesser roles: 403 to the page, the download and the upload; nobody: to sign in.
    for who in [&editor, &organiser] {
        assert_eq!(
            app.staff_get(&page(), Some(who)).await.status().as_u16(),
            403
        );
        let download = format!("{}/download", page());
        assert_eq!(
            app.staff_get(&download, Some(who)).await.status().as_u16(),
            403
        );
        let res = upload(&app, Some(who), &good, true, ORIGIN).await;
        assert_eq!(res.status().as_u16(), 403);
    }
    let res = upload(&app, None, &good, false, ORIGIN).await;
    assert_eq!(
        (res.status().as_u16(), location(&res)),
        (303, "/staff/login".to_string())
    );
    let res = app.staff_get(&page(), None).await;
    assert_eq!(location(&res), "/staff/login");

    assert_eq!(stored(&app).await, before, "nothing changed");
    assert_eq!(ma_gaps(&app).await, 5);
}

//! The admin's people and token pages over HTTP: invitations emailed through the relay (or
//! shown once without one, or when the relay refuses), role changes, disabling and enabling,
//! new password links, removing a second factor, requiring one of everyone, and API tokens
//! made, used and revoked. Each change is audited; each refusal changes nothing.

use advocate::staff::audit::action;
use advocate::staff::{AuditFilter, Role};
use advocate_test_support::staff::{service, signed_in};
use advocate_test_support::{
    as_env, location, sending_settings, spawn_app, spawn_app_with, status_and_text, Fault, Script,
    StubSmtp, TestApp,
};

async fn actions(app: &TestApp) -> Vec<String> {
    app.store
        .staff_audit(&AuditFilter {
            limit: 500,
            ..AuditFilter::default()
        })
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect()
}

async fn person_by_email(app: &TestApp, email: &str) -> advocate::staff::Person {
    app.store
        .staff_person_by_email(email)
        .await
        .expect("lookup")
        .expect("exists")
        .person
}

fn link_in(text: &str) -> Option<String> {
    let re = regex::Regex::new(r"http://127\.0\.0\.1:8080/staff/password/[0-9a-f]+").expect("re");
    re.find(text).map(|m| m.as_str().to_string())
}

#[tokio::test]
async fn an_invitation_is_emailed_through_the_relay_and_its_link_is_not_shown() {
    let smtp = StubSmtp::start(Script::normal()).await;
    let app = spawn_app_with(&as_env(&sending_settings(&smtp.url()))).await;
    let (_, admin) = signed_in(&app, "admin@example.org", Role::Admin).await;

    let res = app
        .staff_post(
            "/staff/people",
            Some(&admin),
            &[("email", "New.Editor@Example.org"), ("role", "editor")],
        )
        .await;
    let (status, html) = status_and_text(res).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("was emailed to new.editor@example.org"),
        "{html}"
    );
    assert!(
        link_in(&html).is_none(),
        "the link is not shown when emailed"
    );

    let mail = smtp.delivered();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].rcpt_to, vec!["new.editor@example.org".to_string()]);
    assert!(mail[0]
        .header("Subject")
        .expect("subject")
        .contains("invited"));
    let link = link_in(&mail[0].body_text()).expect("the link in the email");
    // The emailed link works: the password page opens.
    let path = link.trim_start_matches("http://127.0.0.1:8080");
    assert_eq!(app.staff_get(path, None).await.status().as_u16(), 200);
    let invited = person_by_email(&app, "new.editor@example.org").await;
    assert_eq!(invited.role, Role::Editor);
    assert!(actions(&app)
        .await
        .contains(&action::PERSON_INVITED.to_string()));
}

#[tokio::test]
async fn without_a_relay_or_when_it_refuses_the_link_is_shown_once_instead() {
    let app = spawn_app().await;
    let (_, admin) = signed_in(&app, "admin@example.org", Role::Admin).await;
    let (_, html) = status_and_text(
        app.staff_post(
            "/staff/people",
            Some(&admin),
            &[("email", "org@example.org"), ("role", "organiser")],
        )
        .await,
    )
    .await;
    assert!(link_in(&html).is_some(), "{html}");
    assert!(html.contains("No mail relay is configured"));

    let smtp = StubSmtp::start(Script::always(Fault::RcptReject)).await;
    let app = spawn_app_with(&as_env(&sending_settings(&smtp.url()))).await;
    let (_, admin) = signed_in(&app, "admin@example.org", Role::Admin).await;
    let (status, html) = status_and_text(
        app.staff_post(
            "/staff/people",
            Some(&admin),
            &[("email", "org@example.org"), ("role", "organiser")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("could not be sent"), "{html}");
    assert!(link_in(&html).is_some(), "{html}");
    assert!(smtp.delivered().is_empty());
}

#[tokio::test]
async fn an_admin_changes_roles_disables_enables_and_resets_people_from_the_page() {
    let smtp = StubSmtp::start(Script::normal()).await;
    let app = spawn_app_with(&as_env(&sending_settings(&smtp.url()))).await;
    let (admin_id, admin) = signed_in(&app, "admin@example.org", Role::Admin).await;
    let (ed_id, ed) = signed_in(&app, "ed@example.org", Role::Editor).await;

    // Role: editor -> organiser, audited; a bad role changes nothing.
    let res = app
        .staff_post(
            &format!("/staff/people/{ed_id}/role"),
            Some(&admin),
            &[("role", "wizard")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert_eq!(
        person_by_email(&app, "ed@example.org").await.role,
        Role::Editor
    );
    let res = app
        .staff_post(
            &format!("/staff/people/{ed_id}/role"),
            Some(&admin),
            &[("role", "organiser")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/staff/people");
    assert_eq!(
        person_by_email(&app, "ed@example.org").await.role,
        Role::Organiser
    );
    // Not one's own role, nor one's own account.
    for action in ["role", "disable"] {
        let res = app
            .staff_post(
                &format!("/staff/people/{admin_id}/{action}"),
                Some(&admin),
                &[("role", "organiser")],
            )
            .await;
        assert_eq!(res.status().as_u16(), 422, "{action}");
    }
    assert_eq!(
        person_by_email(&app, "admin@example.org").await.role,
        Role::Admin
    );

    // Disable ends the session at once; enable lets them sign in again.
    let res = app
        .staff_post(&format!("/staff/people/{ed_id}/disable"), Some(&admin), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        app.staff_get("/staff", Some(&ed)).await.status().as_u16(),
        303
    );
    let res = app
        .staff_post(&format!("/staff/people/{ed_id}/enable"), Some(&admin), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert!(!person_by_email(&app, "ed@example.org").await.disabled);

    // A new password link for an existing person is emailed as a reset.
    let res = app
        .staff_post(
            &format!("/staff/people/{ed_id}/password-link"),
            Some(&admin),
            &[],
        )
        .await;
    let (status, html) = status_and_text(res).await;
    assert_eq!(status, 200);
    assert!(html.contains("A new password link was sent"), "{html}");
    let mail = smtp.delivered();
    assert_eq!(mail.len(), 1);
    assert!(mail[0]
        .header("Subject")
        .expect("subject")
        .starts_with("Set a new password"));

    // Forged ids: 404, nothing changes.
    for action in ["role", "disable", "enable", "password-link", "totp/reset"] {
        let res = app
            .staff_post(
                &format!("/staff/people/999999/{action}"),
                Some(&admin),
                &[("role", "admin")],
            )
            .await;
        assert_eq!(res.status().as_u16(), 404, "{action}");
    }

    // A second factor for everyone (an unknown choice changes nothing).
    let res = app
        .staff_post(
            "/staff/people/second-factor",
            Some(&admin),
            &[("require", "maybe")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(!service(&app).require_totp().await.expect("setting"));
    let res = app
        .staff_post(
            "/staff/people/second-factor",
            Some(&admin),
            &[("require", "on")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert!(service(&app).require_totp().await.expect("setting"));
    // From now on the admin, who has no second factor, is sent to set one up first.
    let res = app.staff_get("/staff/people", Some(&admin)).await;
    assert_eq!(location(&res), "/staff/totp");

    let audited = actions(&app).await;
    for action in [
        action::ROLE_CHANGED,
        action::PERSON_DISABLED,
        action::PERSON_ENABLED,
        action::PASSWORD_LINK,
        action::REQUIRE_TOTP,
    ] {
        assert!(
            audited.iter().any(|a| a == action),
            "{action} in {audited:?}"
        );
    }
}

/// The token shown once on the tokens page.
fn token_in(html: &str) -> Option<String> {
    let re = regex::Regex::new(r"adv_[0-9a-f]{16,}").expect("re");
    re.find(html).map(|m| m.as_str().to_string())
}

#[tokio::test]
async fn an_admin_makes_a_token_that_is_shown_once_works_and_is_revoked_at_once() {
    let app = spawn_app().await;
    let (_, admin) = signed_in(&app, "admin@example.org", Role::Admin).await;
    let (_, _ed) = signed_in(&app, "ed@example.org", Role::Editor).await;

    // Bad names and unknown people make nothing.
    for (email, name) in [
        ("ed@example.org", ""),
        ("ed@example.org", "line\r\nbreak"),
        ("nobody@example.org", "nightly"),
    ] {
        let res = app
            .staff_post(
                "/staff/tokens",
                Some(&admin),
                &[("email", email), ("name", name)],
            )
            .await;
        assert_eq!(res.status().as_u16(), 422, "{email} {name:?}");
    }
    assert!(service(&app).tokens().await.expect("tokens").is_empty());

    let res = app
        .staff_post(
            "/staff/tokens",
            Some(&admin),
            &[("email", "ed@example.org"), ("name", "nightly export")],
        )
        .await;
    let (status, html) = status_and_text(res).await;
    assert_eq!(status, 201);
    let token = token_in(&html).expect("the token shown once");
    // Shown once: the list does not show it again.
    let (_, list) = status_and_text(app.staff_get("/staff/tokens", Some(&admin)).await).await;
    assert!(list.contains("nightly export"));
    assert!(token_in(&list).is_none());
    // Stored hashed only.
    let stored = service(&app).tokens().await.expect("tokens");
    assert_eq!(stored.len(), 1);

    let staff = service(&app);
    let header = format!("Bearer {token}");
    assert!(staff
        .authenticate_bearer(&header)
        .await
        .expect("checked")
        .is_some());
    let res = app
        .staff_post(
            &format!("/staff/tokens/{}/revoke", stored[0].id),
            Some(&admin),
            &[],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert!(staff
        .authenticate_bearer(&header)
        .await
        .expect("checked")
        .is_none());
    let res = app
        .staff_post("/staff/tokens/999999/revoke", Some(&admin), &[])
        .await;
    assert_eq!(res.status().as_u16(), 404);

    let audited = actions(&app).await;
    assert!(audited.iter().any(|a| a == action::TOKEN_CREATED));
    assert!(audited.iter().any(|a| a == action::TOKEN_REVOKED));
}

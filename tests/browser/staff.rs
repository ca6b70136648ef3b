//! The staff workspace in the browser, on the test's database (SQLite or PostgreSQL, as
//! `ADVOCATE_TEST_DATABASE` says): issue 9's "done when" walked as staff would walk it (invited
//! from the command line, password set through the link, signed in, the state template edited,
//! previewed for a chosen Massachusetts senator, saved and restored, MA's caps criterion set to
//! `yes`, everything in the audit log), and axe-core on every staff page at 1280 and 375 px.
//!
//! The app listens on a port chosen beforehand and its `server.public_url` is that address, so
//! the browser's `Origin` is the workspace's own and the CLI prints links the browser can open.

use crate::driver::{
    button, choose, click_to_navigate, current_path, fill, free_port, shown, wait_for_heading,
    within, AxeLog, Browser,
};
use crate::{bounded, lower_words, MEASURE_OVERFLOW};
use advocate::staff::{Origin, Role};
use advocate_test_support::staff::{person, service, PASSWORD};
use advocate_test_support::{
    advocate_command, boston_app_with, ids, message_request, output_text, token_after, TestApp,
    SLUG,
};
use serde_json::Value;
use wiremock::MockServer;

const TEMPLATE: &str = "/staff/campaigns/end-qualified-immunity/templates/state";
const SCORECARD: &str = "/staff/campaigns/end-qualified-immunity/scorecards/MA";
const SCORECARD_API: &str = "/api/v1/campaigns/end-qualified-immunity/scorecards/MA";
const CAPS: &str = "end_damage_caps";
const CAPS_ASK: &str = "Remove caps on liability so victims are paid what they are owed.";
/// The sentence the walk adds to the state template, as written and as rendered for MA.
const ADDED: &str = "P.S. Edited in the browser for {{ state.name }}.";
const ADDED_MA: &str = "P.S. Edited in the browser for Massachusetts.";
/// Renders for every state but Massachusetts, where `nope` is undefined (line 2).
const FAILS_FOR_MA: &str = "Dear {{ legislator.name }},\n\
    {% if state.code == \"MA\" %}{{ nope }}{% endif %}\nThanks";

/// The Boston app (full directory, a Census stand-in) on a port known before it starts, with
/// `server.public_url` pointing at it.
async fn staff_app() -> (TestApp, MockServer) {
    let bind = format!("127.0.0.1:{}", free_port());
    let public = format!("http://{bind}");
    let (app, census) = boston_app_with(&[
        ("ADVOCATE__SERVER__BIND", bind.as_str()),
        ("ADVOCATE__SERVER__PUBLIC_URL", public.as_str()),
    ])
    .await;
    assert_eq!(app.address, public, "the app listens where it says it does");
    (app, census)
}

/// `advocate staff add EMAIL --role ROLE`, run as a process against the app's database; the
/// one-time link it prints.
async fn cli_add(app: &TestApp, email: &str, role: &str) -> String {
    let (db, public) = (app.db_url.clone(), app.address.clone());
    let args = [
        "staff".to_string(),
        "add".to_string(),
        email.to_string(),
        "--role".to_string(),
        role.to_string(),
    ];
    let out = tokio::task::spawn_blocking(move || {
        advocate_command(&db)
            .env("ADVOCATE__SERVER__PUBLIC_URL", &public)
            .args(&args)
            .output()
    })
    .await
    .expect("the command finished")
    .expect("the binary runs");
    let text = output_text(&out);
    assert!(out.status.success(), "advocate staff add {email}: {text}");
    let prefix = app.url("/staff/password/");
    format!("{prefix}{}", token_after(&text, &prefix))
}

/// Opens a password link and sets [`PASSWORD`] through its form.
async fn set_password(browser: &Browser, link: &str) {
    browser.open(link).await;
    wait_for_heading(browser, "Set your password").await;
    fill(browser, "#password", PASSWORD).await;
    fill(browser, "#confirm", PASSWORD).await;
    let submit = button(browser, "form", "Set my password").await;
    click_to_navigate(browser, "set the password", &submit).await;
    wait_for_heading(browser, "Your password is set").await;
}

/// Signs `email` in at `/staff/login`; lands on the workspace's home page.
async fn sign_in(app: &TestApp, browser: &Browser, email: &str) {
    browser.open(&app.url("/staff/login")).await;
    fill(browser, "#email", email).await;
    fill(browser, "#password", PASSWORD).await;
    let submit = button(browser, "form", "Sign in").await;
    click_to_navigate(browser, "sign in", &submit).await;
    wait_for_heading(browser, "Welcome").await;
    assert!(
        shown(browser)
            .await
            .contains(&format!("signed in as {email}")),
        "signed in as {email}: {}",
        shown(browser).await
    );
}

async fn sign_out(browser: &Browser) {
    let out = button(browser, "nav.staff-bar form", "Sign out").await;
    click_to_navigate(browser, "sign out", &out).await;
}

/// Submits the form `form_css` with its button `text`.
async fn press(browser: &Browser, form_css: &str, text: &str) {
    let b = button(browser, form_css, text).await;
    click_to_navigate(browser, &format!("press {text}"), &b).await;
}

/// The text of the first element matching `css`, whitespace collapsed, lower-cased.
async fn text_of(browser: &Browser, css: &str) -> String {
    let el = browser.find(css).await;
    lower_words(&within(&format!("read {css}"), el.text()).await)
}

/// The state drafts of a Boston supporter's new request: (template version, body) each.
async fn state_drafts(app: &TestApp) -> Vec<(i64, String)> {
    let (targets, _) = app.boston_targets().await;
    let state: Vec<Value> = targets
        .into_iter()
        .filter(|t| {
            t["chamber"]
                .as_str()
                .is_some_and(|c| c.starts_with("state_"))
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
            (
                d["template_version"].as_i64().expect("version"),
                d["body"].as_str().expect("body").to_string(),
            )
        })
        .collect()
}

/// The audit log's rows as shown: (actor, action, object, summary).
async fn audit_rows(browser: &Browser) -> Vec<[String; 4]> {
    let rows = browser
        .js(r#"
            return Array.from(document.querySelectorAll('table tbody tr'))
                .map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent.trim()))
                .filter((cells) => cells.length === 7)
                .map((c) => [c[2], c[4], c[5], c[6]]);
        "#)
        .await;
    rows.as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            let cell = |i: usize| r[i].as_str().unwrap_or_default().to_string();
            [cell(0), cell(1), cell(2), cell(3)]
        })
        .collect()
}

#[tokio::test]
async fn staff_walk_from_invitation_to_audit_log_in_the_browser() {
    bounded(async {
        let (app, _census) = staff_app().await;
        let browser = Browser::start().await;
        browser.viewport(1280, 900).await;

        // Invited from the command line; the password set through the printed link.
        let link = cli_add(&app, "editor@example.org", "editor").await;
        println!(
            "advocate staff add printed a link to {}",
            app.url("/staff/password/…")
        );
        set_password(&browser, &link).await;
        // The link was single use: opened again, it offers no form.
        browser.open(&link).await;
        assert!(
            browser.find_all("#confirm").await.is_empty(),
            "a used link still offers the form: {}",
            shown(&browser).await
        );

        sign_in(&app, &browser, "editor@example.org").await;

        // The state template: a sentence added to the body.
        browser.open(&app.url(TEMPLATE)).await;
        wait_for_heading(&browser, "State legislators: message template").await;
        let body = browser.find("#template-body").await;
        let before = within("read the body", body.prop("value"))
            .await
            .unwrap_or_default();
        assert!(before.contains("{{"), "the body is a template: {before}");
        within(
            "add a sentence to the body",
            body.send_keys(&format!("\n{ADDED}")),
        )
        .await;
        let edited = within("read the body", body.prop("value"))
            .await
            .unwrap_or_default();
        assert!(edited.ends_with(ADDED), "the sentence was typed: {edited}");
        fill(&browser, "#template-note", "A P.S. from the browser").await;

        // Massachusetts, previewed once to list its legislators, then a chosen state senator
        // (not the first listed).
        choose(&browser, "#template-state", "MA").await;
        press(&browser, "form.template-form", "Preview").await;
        let senators = browser
            .js(r#"
                return Array.from(document.querySelectorAll('#template-legislator option'))
                    .filter((o) => /senator/i.test(o.textContent))
                    .map((o) => [o.value, o.textContent]);
            "#)
            .await;
        let senators = senators.as_array().expect("senators").clone();
        assert!(
            senators.len() > 1,
            "Massachusetts' state senators are listed: {senators:?}"
        );
        let (senator_id, senator_label) = (
            senators[1][0].as_str().expect("id").to_string(),
            senators[1][1].as_str().expect("label").to_string(),
        );
        let senator = senator_label
            .split(" (")
            .next()
            .expect("a name")
            .trim()
            .to_string();
        println!("previewing for {senator_label} ({senator_id})");
        choose(&browser, "#template-legislator", &senator_id).await;
        press(&browser, "form.template-form", "Preview").await;
        let heading = text_of(&browser, "#preview-heading").await;
        assert!(
            heading.starts_with(&lower_words(&format!("Preview: to {senator}")))
                && heading.ends_with("massachusetts"),
            "the preview is addressed to the chosen senator: {heading}"
        );
        let preview = text_of(&browser, "section[aria-labelledby=preview-heading] pre").await;
        assert!(
            preview.contains(&lower_words(ADDED_MA)),
            "the preview shows the new sentence: {preview}"
        );
        let family = senator.rsplit(' ').next().expect("a family name");
        assert!(
            preview.contains(&family.to_lowercase()),
            "the preview greets {senator}: {preview}"
        );
        let kept = within(
            "read the body",
            browser.find("#template-body").await.prop("value"),
        )
        .await
        .unwrap_or_default();
        assert!(kept.ends_with(ADDED), "the preview keeps the edit: {kept}");

        // Save: version 2, and how many states' messages changed.
        press(&browser, "form.template-form", "Save").await;
        let notice = text_of(&browser, "div.notice[role=status]").await;
        assert!(notice.contains("version 2 is saved"), "{notice}");
        assert!(
            notice.contains("the messages of 51 states changed"),
            "{notice}"
        );
        assert!(
            current_path(&browser).await.starts_with(TEMPLATE),
            "back on the editor"
        );

        // A supporter's new MA drafts carry the new text and the new version.
        let drafts = state_drafts(&app).await;
        for (version, text) in &drafts {
            assert_eq!(*version, 2, "{text}");
            assert!(text.contains(ADDED_MA), "{text}");
        }
        println!(
            "{} MA state drafts on version 2 with the P.S.",
            drafts.len()
        );

        // History: restore version 1 as version 3.
        browser
            .open(&app.url(&format!("{TEMPLATE}/versions")))
            .await;
        wait_for_heading(&browser, "template history").await;
        assert!(
            shown(&browser).await.contains("a p.s. from the browser"),
            "the note is in the history"
        );
        let restore = browser
            .find(&format!(
                r#"form[action="{TEMPLATE}/versions/1/restore"] button"#
            ))
            .await;
        click_to_navigate(&browser, "restore version 1", &restore).await;
        let notice = text_of(&browser, "div.notice[role=status]").await;
        assert!(notice.contains("version 3 is saved"), "{notice}");
        for (version, text) in state_drafts(&app).await {
            assert_eq!(version, 3);
            assert!(!text.contains(ADDED_MA), "restored: {text}");
        }

        // MA's scorecard: caps to yes, previewed, saved.
        let gaps = |card: &Value| card["gaps"].as_array().map(Vec::len).unwrap_or_default();
        let (status, card) = app.get_json(SCORECARD_API).await;
        assert_eq!(status, 200, "{card}");
        assert_eq!(gaps(&card), 5, "{card}");
        browser.open(&app.url(SCORECARD)).await;
        wait_for_heading(&browser, "Massachusetts scorecard").await;
        let scorecard_form = format!(r#"form[action="{SCORECARD}"]"#);
        choose(&browser, &format!("#c_{CAPS}_status"), "yes").await;
        press(&browser, &scorecard_form, "Preview").await;
        let preview = text_of(&browser, "section[aria-labelledby=preview-heading]").await;
        assert!(preview.contains("new gaps (4)"), "{preview}");
        assert!(preview.contains("end_damage_caps no → yes"), "{preview}");
        assert!(!preview.contains(&lower_words(CAPS_ASK)), "{preview}");
        let still = within(
            "read the caps status",
            browser
                .find(&format!("#c_{CAPS}_status"))
                .await
                .prop("value"),
        )
        .await;
        assert_eq!(still.as_deref(), Some("yes"), "the preview keeps the edit");
        fill(&browser, "#note", "The bill now removes the caps").await;
        press(&browser, &scorecard_form, "Save").await;
        let notice = text_of(&browser, "div.notice[role=status]").await;
        assert!(notice.contains("saved as revision 2"), "{notice}");

        // The public scorecard lists 4 gaps; the next state draft drops the caps ask.
        let (status, card) = app.get_json(SCORECARD_API).await;
        assert_eq!(status, 200, "{card}");
        assert_eq!(gaps(&card), 4, "{card}");
        assert!(
            !card["gaps"].to_string().contains(CAPS),
            "caps is no gap: {card}"
        );
        for (_, text) in state_drafts(&app).await {
            assert!(!text.contains(CAPS_ASK), "the caps ask is gone: {text}");
        }

        // An admin, made with the CLI too, reads every step in the audit log.
        sign_out(&browser).await;
        let admin_link = cli_add(&app, "admin@example.org", "admin").await;
        set_password(&browser, &admin_link).await;
        sign_in(&app, &browser, "admin@example.org").await;
        browser.open(&app.url("/staff/audit")).await;
        wait_for_heading(&browser, "Audit log").await;
        let rows = audit_rows(&browser).await;
        for row in &rows {
            println!("audit: {}", row.join(" | "));
        }
        // Newest first: the editor was invited before the admin.
        let editor_actor = rows
            .iter()
            .rev()
            .find(|r| r[0] == "cli" && r[1] == "person.invited")
            .map(|r| r[2].clone())
            .expect("the editor's invitation is in the log");
        let has = |actor: &str, action: &str, object: &str| {
            rows.iter().any(|r| {
                (actor.is_empty() || r[0] == actor) && r[1] == action && r[2].contains(object)
            })
        };
        for (actor, action, object) in [
            ("cli", "person.invited", ""),
            (
                editor_actor.as_str(),
                "person.password_set",
                editor_actor.as_str(),
            ),
            (editor_actor.as_str(), "login.succeeded", ""),
            (editor_actor.as_str(), "template.saved", SLUG),
            (editor_actor.as_str(), "template.restored", SLUG),
            (editor_actor.as_str(), "scorecard.saved", "MA"),
            (editor_actor.as_str(), "session.sign_out", ""),
            ("", "login.succeeded", ""),
        ] {
            assert!(
                has(actor, action, object),
                "the audit log lists {action} by {actor:?} on {object:?}: {rows:#?}"
            );
        }
        let sign_ins = rows.iter().filter(|r| r[1] == "login.succeeded").count();
        assert_eq!(sign_ins, 2, "both sign-ins: {rows:#?}");
        let page = shown(&browser).await;
        assert!(
            !page.contains(&link.to_lowercase()) && !page.contains(&PASSWORD.to_lowercase()),
            "no link or password in the audit log"
        );
        browser.close().await;
    })
    .await
}

/// Checks the page as it stands with axe-core at 1280x900 and at 375x800 (resizing, not
/// reloading, so a page a form answered is checked as it is), and measures sideways scrolling
/// at 375 px; pages that scroll sideways are collected in `too_wide` (asserted at the end, so
/// one run names them all).
async fn check_both(browser: &Browser, axe: &mut AxeLog, too_wide: &mut Vec<String>, page: &str) {
    axe.check(browser, &format!("{page} @1280")).await;
    browser.viewport(375, 800).await;
    axe.check(browser, &format!("{page} @375")).await;
    let measured = browser.js(MEASURE_OVERFLOW).await;
    let inner = measured["inner_width"].as_f64().unwrap_or(0.0);
    let body = measured["body_scroll_width"].as_f64().unwrap_or(f64::MAX);
    let document = measured["document_scroll_width"]
        .as_f64()
        .unwrap_or(f64::MAX);
    if body > inner + 1.0 || document > inner + 1.0 {
        println!("    scrolls sideways at 375 px: {measured}");
        too_wide.push(format!("{page}: {measured}"));
    }
    browser.viewport(1280, 900).await;
}

#[tokio::test]
async fn staff_pages_have_no_serious_or_critical_accessibility_violations() {
    bounded(async {
        let (app, _census) = staff_app().await;
        let staff = service(&app);
        person(&staff, "admin@example.org", Role::Admin).await;
        person(&staff, "reader@example.org", Role::Organiser).await;
        let invited = staff
            .invite(Origin::cli(), "new@example.org", Role::Editor)
            .await
            .expect("invited");
        let browser = Browser::start().await;
        browser.viewport(1280, 900).await;
        let mut axe = AxeLog::default();
        let mut too_wide = Vec::new();

        browser.open(&app.url("/staff/login")).await;
        wait_for_heading(&browser, "Sign in").await;
        check_both(&browser, &mut axe, &mut too_wide, "login").await;

        // A refused sign-in: the error summary.
        fill(&browser, "#email", "admin@example.org").await;
        fill(&browser, "#password", "not the password at all").await;
        press(&browser, "form", "Sign in").await;
        wait_for_heading(&browser, "Sign in").await;
        check_both(&browser, &mut axe, &mut too_wide, "login (refused)").await;

        browser
            .open(&app.url(&format!("/staff/password/{}", invited.token.expose())))
            .await;
        wait_for_heading(&browser, "Set your password").await;
        check_both(&browser, &mut axe, &mut too_wide, "password link").await;

        sign_in(&app, &browser, "admin@example.org").await;
        check_both(&browser, &mut axe, &mut too_wide, "home").await;

        // People, with an invitation's link shown.
        browser.open(&app.url("/staff/people")).await;
        wait_for_heading(&browser, "People").await;
        fill(&browser, "#invite-email", "organiser@example.org").await;
        choose(&browser, "#invite-role", "organiser").await;
        let invite = browser
            .find(r#"form[action="/staff/people"] button[type=submit]"#)
            .await;
        click_to_navigate(&browser, "invite", &invite).await;
        let link = text_of(&browser, "#link-heading").await;
        assert!(link.contains("organiser@example.org is invited"), "{link}");
        check_both(
            &browser,
            &mut axe,
            &mut too_wide,
            "people (invitation link)",
        )
        .await;

        // Tokens, with a new token shown.
        browser.open(&app.url("/staff/tokens")).await;
        wait_for_heading(&browser, "API tokens").await;
        choose(&browser, "#token-email", "admin@example.org").await;
        fill(&browser, "#token-name", "nightly export").await;
        let make = browser
            .find(r#"form[action="/staff/tokens"] button[type=submit]"#)
            .await;
        click_to_navigate(&browser, "make a token", &make).await;
        let made = text_of(&browser, "#created-heading").await;
        assert!(made.contains("nightly export"), "{made}");
        check_both(&browser, &mut axe, &mut too_wide, "tokens (token shown)").await;

        for (page, path, heading) in [
            ("audit", "/staff/audit".to_string(), "Audit log"),
            ("totp", "/staff/totp".to_string(), "Second factor"),
            (
                "legislator directory",
                "/staff/directory".to_string(),
                "Legislator directory",
            ),
            (
                "templates list",
                format!("/staff/campaigns/{SLUG}/templates"),
                "Message templates",
            ),
        ] {
            browser.open(&app.url(&path)).await;
            wait_for_heading(&browser, heading).await;
            check_both(&browser, &mut axe, &mut too_wide, page).await;
        }

        // The template editor, with a preview shown.
        browser.open(&app.url(TEMPLATE)).await;
        wait_for_heading(&browser, "message template").await;
        let original = within(
            "read the body",
            browser.find("#template-body").await.prop("value"),
        )
        .await
        .unwrap_or_default();
        choose(&browser, "#template-state", "MA").await;
        press(&browser, "form.template-form", "Preview").await;
        browser.find("#preview-heading").await;
        check_both(
            &browser,
            &mut axe,
            &mut too_wide,
            "template editor (preview)",
        )
        .await;

        // A refused save: the error summary, the field marked.
        fill(&browser, "#template-body", FAILS_FOR_MA).await;
        press(&browser, "form.template-form", "Save").await;
        let summary = text_of(&browser, "#error-summary-heading").await;
        assert!(summary.contains("nothing was saved"), "{summary}");
        let invalid = within(
            "read aria-invalid",
            browser.find("#template-body").await.attr("aria-invalid"),
        )
        .await;
        assert_eq!(invalid.as_deref(), Some("true"), "the body is marked");
        check_both(
            &browser,
            &mut axe,
            &mut too_wide,
            "template editor (refused)",
        )
        .await;

        // A second version, so the history has a diff.
        let body = browser.find("#template-body").await;
        within("clear the body", body.clear()).await;
        browser
            .js_with(
                "arguments[0].value = arguments[1]",
                vec![
                    serde_json::to_value(&body).expect("element as JSON"),
                    Value::String(format!("{original}\n{ADDED}")),
                ],
            )
            .await;
        press(&browser, "form.template-form", "Save").await;
        let notice = text_of(&browser, "div.notice[role=status]").await;
        assert!(notice.contains("version 2 is saved"), "{notice}");
        browser
            .open(&app.url(&format!("{TEMPLATE}/versions?from=1&to=2")))
            .await;
        wait_for_heading(&browser, "template history").await;
        assert!(
            !browser.find_all("ul.diff ins").await.is_empty(),
            "the diff marks the added line"
        );
        check_both(
            &browser,
            &mut axe,
            &mut too_wide,
            "template versions (diff)",
        )
        .await;

        // Scorecards: the list, MA with a preview, MA's history after a save.
        browser
            .open(&app.url(&format!("/staff/campaigns/{SLUG}/scorecards")))
            .await;
        wait_for_heading(&browser, "Scorecards").await;
        check_both(&browser, &mut axe, &mut too_wide, "scorecards list").await;
        browser.open(&app.url(SCORECARD)).await;
        wait_for_heading(&browser, "Massachusetts scorecard").await;
        let scorecard_form = format!(r#"form[action="{SCORECARD}"]"#);
        choose(&browser, &format!("#c_{CAPS}_status"), "yes").await;
        press(&browser, &scorecard_form, "Preview").await;
        browser.find("#preview-heading").await;
        check_both(&browser, &mut axe, &mut too_wide, "MA scorecard (preview)").await;
        press(&browser, &scorecard_form, "Save").await;
        let notice = text_of(&browser, "div.notice[role=status]").await;
        assert!(notice.contains("saved as revision 2"), "{notice}");
        browser
            .open(&app.url(&format!("{SCORECARD}/history")))
            .await;
        wait_for_heading(&browser, "Massachusetts scorecard history").await;
        check_both(&browser, &mut axe, &mut too_wide, "MA scorecard history").await;

        browser
            .open(&app.url(&format!("/staff/campaigns/{SLUG}/file")))
            .await;
        wait_for_heading(&browser, "Campaign file").await;
        check_both(&browser, &mut axe, &mut too_wide, "campaign file").await;

        // The public counter, with a refused goal: the error summary, the field marked.
        let counter = format!("/staff/campaigns/{SLUG}/counter");
        browser.open(&app.url(&counter)).await;
        wait_for_heading(&browser, "Public counter").await;
        check_both(&browser, &mut axe, &mut too_wide, "public counter").await;
        fill(&browser, "#goal", "0").await;
        press(
            &browser,
            &format!(r#"form[action="{counter}"]"#),
            "Save the goal",
        )
        .await;
        let summary = text_of(&browser, "#error-summary-heading").await;
        assert!(summary.contains("not saved"), "{summary}");
        check_both(
            &browser,
            &mut axe,
            &mut too_wide,
            "public counter (refused)",
        )
        .await;
        fill(&browser, "#goal", "20,000").await;
        press(
            &browser,
            &format!(r#"form[action="{counter}"]"#),
            "Save the goal",
        )
        .await;
        let notice = text_of(&browser, "div.notice[role=status]").await;
        assert!(notice.contains("goal is saved"), "{notice}");
        check_both(
            &browser,
            &mut axe,
            &mut too_wide,
            "public counter (goal saved)",
        )
        .await;

        // Delivery limits, with a refused cap (the error summary, the field marked), then a
        // campaign default and an office of its own saved.
        let caps = format!("/staff/campaigns/{SLUG}/caps");
        let caps_form = format!(r#"form[action="{caps}"]"#);
        browser.open(&app.url(&caps)).await;
        wait_for_heading(&browser, "Delivery limits").await;
        check_both(&browser, &mut axe, &mut too_wide, "delivery limits").await;
        fill(&browser, "#default-per-hour", "-1").await;
        press(&browser, &caps_form, "Save the campaign's limit").await;
        let summary = text_of(&browser, "#error-summary-heading").await;
        assert!(summary.contains("not saved"), "{summary}");
        check_both(
            &browser,
            &mut axe,
            &mut too_wide,
            "delivery limits (refused)",
        )
        .await;
        fill(&browser, "#default-per-hour", "20").await;
        press(&browser, &caps_form, "Save the campaign's limit").await;
        let notice = text_of(&browser, "div.notice[role=status]").await;
        assert!(notice.contains("limit is saved"), "{notice}");
        fill(&browser, "#office", "bioguide:W000817").await;
        fill(&browser, "#office-per-hour", "5").await;
        press(&browser, &caps_form, "Save the office's limit").await;
        let notice = text_of(&browser, "div.notice[role=status]").await;
        assert!(notice.contains("limit is saved"), "{notice}");
        check_both(&browser, &mut axe, &mut too_wide, "delivery limits (saved)").await;

        // What an organiser reads: the template (with a preview) and the scorecard, no forms
        // to change them.
        sign_out(&browser).await;
        sign_in(&app, &browser, "reader@example.org").await;
        browser.open(&app.url(TEMPLATE)).await;
        wait_for_heading(&browser, "message template").await;
        choose(&browser, "#template-state", "MA").await;
        press(&browser, "form.lookup-form", "Show the preview").await;
        browser.find("#preview-heading").await;
        check_both(
            &browser,
            &mut axe,
            &mut too_wide,
            "template (organiser, preview)",
        )
        .await;
        browser.open(&app.url(SCORECARD)).await;
        wait_for_heading(&browser, "Massachusetts scorecard").await;
        assert!(
            browser.find_all(&scorecard_form).await.is_empty(),
            "an organiser has no form to change the scorecard"
        );
        check_both(
            &browser,
            &mut axe,
            &mut too_wide,
            "MA scorecard (organiser)",
        )
        .await;

        // The reach dashboard (as an organiser), with counts to show: a preset and a sort
        // header clicked keep the filters; the legislator page.
        let now = chrono::Utc::now();
        let events: Vec<advocate::store::CountEvent> = [
            (
                "MA",
                "ocd-person/ma-1",
                advocate::directory::Chamber::StateUpper,
                3,
                0,
            ),
            (
                "MA",
                "ocd-person/ma-2",
                advocate::directory::Chamber::StateLower,
                2,
                12,
            ),
            (
                "MO",
                "bioguide:X000001",
                advocate::directory::Chamber::UsHouse,
                5,
                2,
            ),
        ]
        .into_iter()
        .map(
            |(state, id, chamber, n, days)| advocate::store::CountEvent {
                state: advocate::domain::StateCode::parse(state).expect("state"),
                legislator_id: id.to_string(),
                chamber,
                channel: advocate::stats::Channel::Sent,
                template_version: 1,
                n,
                at: now - chrono::Duration::days(days),
            },
        )
        .collect();
        assert!(app
            .store
            .count_messages(SLUG, &events)
            .await
            .expect("counted"));
        browser
            .open(&app.url(&format!("/staff/campaigns/{SLUG}/reach?state=MA")))
            .await;
        wait_for_heading(&browser, "Reach").await;
        check_both(&browser, &mut axe, &mut too_wide, "reach dashboard").await;
        let preset = browser
            .find(r#"nav[aria-label="Date ranges"] a[href*="range=7"]"#)
            .await;
        click_to_navigate(&browser, "the 7-day preset", &preset).await;
        let url = within("read the URL", browser.client.current_url()).await;
        assert_eq!(url.query(), Some("range=7&state=MA"), "{url}");
        assert!(shown(&browser).await.contains("ocd-person/ma-1"));
        let sort = browser
            .find(r#"#legislators th a[href*="sort=office"]"#)
            .await;
        click_to_navigate(&browser, "the office sort header", &sort).await;
        let url = within("read the URL", browser.client.current_url()).await;
        assert_eq!(
            url.query(),
            Some("range=7&state=MA&sort=office&dir=asc"),
            "{url}"
        );
        let sorted = browser
            .find(r#"#legislators th[aria-sort="ascending"]"#)
            .await;
        let header = within("read the header", sorted.text()).await;
        assert!(header.to_lowercase().contains("office"), "{header}");
        let office = browser
            .find(r#"#legislators tbody a[href*="/legislators/"]"#)
            .await;
        click_to_navigate(&browser, "an office", &office).await;
        assert_eq!(
            current_path(&browser).await,
            format!("/staff/campaigns/{SLUG}/reach/legislators/ocd-person%2Fma-1")
        );
        wait_for_heading(&browser, "ocd-person/ma-1").await;
        check_both(&browser, &mut axe, &mut too_wide, "reach legislator page").await;

        browser.close().await;
        assert!(
            too_wide.is_empty(),
            "staff pages scroll sideways at 375 px:\n  {}",
            too_wide.join("\n  ")
        );
        println!("no staff page scrolls sideways at 375 px");
        axe.assert_clean();
    })
    .await
}

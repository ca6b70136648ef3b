//! The web layer's rules, whichever door a request comes in by: the client's address behind
//! trusted proxies (every limit keys on it), and one rule set for the API and the pages (the
//! same cases run through `POST .../messages` and the compose pages).

use advocate_test_support::{
    as_env, boston_app_with, emailable, encode, ids, message_request, sending_settings, Script,
    StubSmtp, TestApp, BOSTON, CAMPAIGN,
};
use serde_json::{json, Value};

/// A lookup of the Boston address, as from a client behind the proxy that sent `forwarded`
/// (`X-Forwarded-For`, or `Forwarded` when it starts with `for=`): the answer's status.
async fn lookup_via(app: &TestApp, page: bool, forwarded: Option<&str>) -> u16 {
    let path = if page {
        format!("/act?address={}", encode(BOSTON))
    } else {
        format!("{CAMPAIGN}/targets?address={}", encode(BOSTON))
    };
    let mut req = app.client.get(app.url(&path));
    if let Some(value) = forwarded {
        let name = if value.starts_with("for=") {
            "Forwarded"
        } else {
            "X-Forwarded-For"
        };
        req = req.header(name, value);
    }
    req.send().await.expect("request sent").status().as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_lookup_budget() {
    let (app, _census) = boston_app_with(&[
        ("ADVOCATE__SERVER__TRUSTED_PROXIES", "127.0.0.1/32"),
        ("ADVOCATE__LIMITS__LOOKUPS_PER_MINUTE", "2"),
    ])
    .await;
    let client = "203.0.113.1";
    assert_eq!(lookup_via(&app, false, Some(client)).await, 200);
    assert_eq!(
        lookup_via(&app, true, Some(client)).await,
        200,
        "the page shares the budget"
    );
    // Over its budget, whichever hop it came through: straight from the proxy, behind a second
    // trusted hop, with a forged address left of it, or named by `Forwarded`; API or page.
    for hops in [
        client.to_string(),
        format!("{client}, 127.0.0.1"),
        format!("198.51.100.7, {client}"),
        format!("for={client};proto=https"),
    ] {
        assert_eq!(lookup_via(&app, false, Some(&hops)).await, 429, "{hops}");
        assert_eq!(
            lookup_via(&app, true, Some(&hops)).await,
            429,
            "{hops} (page)"
        );
    }
    // Other clients behind the same proxy have budgets of their own.
    assert_eq!(lookup_via(&app, false, Some("203.0.113.2")).await, 200);
    assert_eq!(lookup_via(&app, false, Some("2001:db8::7")).await, 200);
    // The proxy's own requests (no header) are the proxy's budget.
    assert_eq!(lookup_via(&app, false, None).await, 200);
}

#[tokio::test]
async fn without_trusted_proxies_the_forwarding_headers_are_ignored() {
    let (app, _census) = boston_app_with(&[("ADVOCATE__LIMITS__LOOKUPS_PER_MINUTE", "2")]).await;
    assert_eq!(lookup_via(&app, false, Some("203.0.113.1")).await, 200);
    assert_eq!(lookup_via(&app, false, Some("203.0.113.2")).await, 200);
    // Every request is the TCP peer's, whatever the headers claim.
    assert_eq!(lookup_via(&app, false, Some("203.0.113.3")).await, 429);
    assert_eq!(lookup_via(&app, true, Some("for=203.0.113.4")).await, 429);
}

/// The compose page's "Send through us" (or "Get drafts") for `targets`, with the supporter of
/// `request` (a `POST .../messages` body): the same input through the other door.
fn compose_form(request: &Value) -> Vec<(String, String)> {
    let text = |k: &str| request[k].as_str().unwrap_or_default().to_string();
    let mut form = vec![
        ("lookup_address".to_string(), text("address")),
        ("name".to_string(), text("name")),
        ("email".to_string(), text("email")),
        ("city".to_string(), text("city")),
        ("nonce".to_string(), uuid::Uuid::new_v4().to_string()),
    ];
    for id in request["targets"].as_array().into_iter().flatten() {
        form.push((
            "target".to_string(),
            id.as_str().unwrap_or_default().to_string(),
        ));
    }
    form
}

/// One input, and what both doors must answer: the API's status (and `field` when refused),
/// the page's status, and whether mail was queued.
struct Case {
    name: &'static str,
    request: Value,
    api: (u16, Option<&'static str>),
    page: u16,
    queues_mail: bool,
}

#[tokio::test]
async fn the_api_and_the_pages_apply_the_same_rules_to_the_same_input() {
    let smtp = StubSmtp::start(Script::normal()).await;
    let owned = sending_settings(&smtp.url());
    let mut settings = as_env(&owned);
    // Mail is queued but not sent: the test counts what each answer stored.
    settings.push(("ADVOCATE__OUTBOX__WORKER", "false"));
    // Each accepted case is sent twice, through the API then the page, by one supporter to the
    // same offices: a second message to an office a day is otherwise refused.
    settings.push(("ADVOCATE__LIMITS__SENDER_OFFICE_PER_DAY", "2"));
    let (app, _census) = boston_app_with(&settings).await;
    let (targets, _) = app.boston_targets().await;
    let all = ids(&targets);
    let (with_email, _) = emailable(&targets);
    let web_form_only: Vec<String> = all
        .iter()
        .filter(|id| !with_email.contains(id))
        .cloned()
        .collect();
    assert!(
        !with_email.is_empty() && !web_form_only.is_empty(),
        "{targets:?}"
    );

    let send = |ids: &[String]| {
        let mut r = message_request(ids);
        r["mode"] = json!("send");
        r
    };
    let mut forged = with_email.clone();
    forged.push("ocd-person/00000000-0000-0000-0000-000000000000".into());
    let mut crlf = send(&with_email);
    crlf["name"] = json!("Jane\r\nBcc: attacker@example.com");
    let cases = [
        Case {
            name: "offices with and without email: send to some, drafts for the others",
            request: send(&all),
            api: (202, None),
            page: 200,
            queues_mail: true,
        },
        Case {
            name: "only offices without email: nothing to send",
            request: send(&web_form_only),
            api: (422, Some("targets")),
            page: 422,
            queues_mail: false,
        },
        Case {
            name: "a legislator the lookup did not find",
            request: send(&forged),
            api: (422, Some("targets")),
            page: 422,
            queues_mail: false,
        },
        Case {
            name: "a line break in the name",
            request: crlf,
            api: (422, Some("name")),
            page: 422,
            queues_mail: false,
        },
        Case {
            name: "nobody chosen",
            request: send(&[]),
            api: (422, Some("targets")),
            page: 422,
            queues_mail: false,
        },
        Case {
            name: "drafts for everyone",
            request: message_request(&all),
            api: (200, None),
            page: 200,
            queues_mail: false,
        },
    ];

    for case in &cases {
        let before = app.store.pending_mails().await.expect("count");
        let (status, body) = app.post_message(&case.request).await;
        assert_eq!(status, case.api.0, "API, {}: {body}", case.name);
        if let Some(field) = case.api.1 {
            assert_eq!(body["field"], field, "API, {}: {body}", case.name);
        }
        let api_queued = app.store.pending_mails().await.expect("count") - before;

        let page_path = if case.request["mode"] == "send" {
            "/compose/send"
        } else {
            "/compose/drafts"
        };
        let before = app.store.pending_mails().await.expect("count");
        let res = app.post_form(page_path, &compose_form(&case.request)).await;
        let page_status = res.status().as_u16();
        let html = res.text().await.expect("page");
        assert_eq!(page_status, case.page, "page, {}: {html}", case.name);
        let page_queued = app.store.pending_mails().await.expect("count") - before;

        assert_eq!(
            api_queued > 0,
            case.queues_mail,
            "API queued, {}",
            case.name
        );
        assert_eq!(
            page_queued, api_queued,
            "the same mail queued, {}",
            case.name
        );

        if case.name.starts_with("offices with and without email") {
            // Both answers hand back the web-form offices' drafts, and only theirs.
            let drafted: Vec<&str> = body["drafts"]
                .as_array()
                .expect("drafts")
                .iter()
                .map(|d| d["target_id"].as_str().expect("id"))
                .collect();
            assert_eq!(drafted, web_form_only, "{body}");
            for t in targets.iter().filter(|t| !t["email"].is_string()) {
                let name = t["name"].as_str().expect("name");
                assert!(html.contains(name), "the page drafts for {name}");
            }
        }
    }
}

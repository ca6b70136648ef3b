//! Writing to legislators in the browser, with no JavaScript of the pages' own: the lookup's
//! "Write to them" form, the compose page, then either the drafts (links that open the
//! supporter's own mail app) or sending through the service (the confirmation email, its page,
//! the receipt). Every page on the way is checked with axe-core.

use crate::driver::{
    button, click_to_navigate, current_path, fill, shown, wait_for_heading, within, AxeLog, Browser,
};
use crate::{bounded, lower_words, MEASURE_OVERFLOW};
use advocate_test_support::{
    boston_census, spawn_app_with, token_after, Script, StubSmtp, TestApp,
};
use serde_json::Value;
use std::time::{Duration, Instant};

const NAME: &str = "Jane Doe";
const EMAIL: &str = "jane@example.org";
const CITY: &str = "Boston";
const ADDRESS: &str = "24 Beacon St, Boston, MA 02133";

/// One message of the compose page.
#[derive(Debug, Clone)]
struct Composed {
    /// The subject input's element id (`subject-1`, ...).
    subject_field: String,
    /// The legend, "Message 1: to NAME, TITLE".
    legend: String,
    /// The office's email address, when the message goes by email.
    email: Option<String>,
    subject: String,
    included: bool,
}

async fn composed(browser: &Browser) -> Vec<Composed> {
    let found = browser
        .js(r#"
            return Array.from(document.querySelectorAll(
                'form.compose-form fieldset.message[id^="message-"]'
            )).map((f) => {
                const subject = f.querySelector('input[name^="subject."]');
                const include = f.querySelector('input[type=checkbox][name=target]');
                const hint = f.querySelector('p.hint');
                return {
                    legend: f.querySelector('legend').textContent,
                    route: hint ? hint.textContent : '',
                    subject_field: subject.id,
                    subject: subject.value,
                    included: !!include && include.checked,
                };
            });
        "#)
        .await;
    found
        .as_array()
        .expect("messages as an array")
        .iter()
        .map(|m| {
            let text = |k: &str| m[k].as_str().unwrap_or_default().to_string();
            let route = lower_words(&text("route"));
            Composed {
                subject_field: text("subject_field"),
                legend: lower_words(&text("legend")),
                email: route
                    .strip_prefix("by email to ")
                    .map(|e| e.trim().to_string()),
                subject: text("subject"),
                included: m["included"] == Value::Bool(true),
            }
        })
        .collect()
}

/// The compose page's submit buttons: (text, formaction).
async fn compose_buttons(browser: &Browser) -> Vec<(String, Option<String>)> {
    let found = browser
        .js(r#"
            return Array.from(document.querySelectorAll('form.compose-form button'))
                .map((b) => [b.textContent, b.getAttribute('formaction')]);
        "#)
        .await;
    found
        .as_array()
        .expect("buttons")
        .iter()
        .map(|b| {
            (
                lower_words(b[0].as_str().unwrap_or_default()),
                b[1].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// From `/act` to the compose page: the address looked up, the "Write to them" form filled in
/// with every legislator kept. Returns the state's asks shown beside the results.
async fn look_up_and_write(app: &TestApp, browser: &Browser, axe: &mut AxeLog) -> Vec<String> {
    browser.open(&app.url("/act")).await;
    fill(browser, "#address", ADDRESS).await;
    let find = browser.find("form.lookup-form button[type=submit]").await;
    click_to_navigate(browser, "Find my legislators", &find).await;
    let write_form = r#"form[action="/compose"]"#;
    browser.find(&format!("{write_form} #write-name")).await;
    let asks: Vec<String> = browser
        .js("return Array.from(document.querySelectorAll('ul.asks li')).map((li) => li.textContent)")
        .await
        .as_array()
        .expect("asks")
        .iter()
        .map(|a| lower_words(a.as_str().unwrap_or_default()))
        .collect();
    assert!(
        !asks.is_empty(),
        "the answer lists what to ask for:\n{}",
        shown(browser).await
    );

    let ticks = browser
        .js(r#"return Array.from(document.querySelectorAll(
                'form[action="/compose"] input[type=checkbox][name=target]'
            )).map((c) => c.checked)"#)
        .await;
    let ticks = ticks.as_array().expect("checkboxes").clone();
    assert!(
        ticks.len() >= 3,
        "the Write form offers the legislators: {ticks:?}"
    );
    assert!(
        ticks.iter().all(|t| *t == Value::Bool(true)),
        "every legislator is ticked at first: {ticks:?}"
    );
    fill(browser, "#write-name", NAME).await;
    fill(browser, "#write-email", EMAIL).await;
    fill(browser, "#write-city", CITY).await;
    let write = button(browser, write_form, "Write my messages").await;
    browser.click("Write my messages", &write).await;
    wait_for_heading(browser, "Write to your legislators").await;
    assert_eq!(current_path(browser).await, "/compose");
    axe.check(browser, "/compose (messages)").await;

    let messages = composed(browser).await;
    assert_eq!(
        messages.len(),
        ticks.len(),
        "one message per ticked legislator: {messages:#?}"
    );
    assert!(
        messages.iter().all(|m| m.included),
        "every message is included: {messages:#?}"
    );
    let signed = shown(browser).await;
    assert!(
        signed.contains("signed as jane doe, boston"),
        "the compose page shows the signature:\n{signed}"
    );
    asks
}

/// Replaces the subject of the compose page's first message that goes by email. Returns that
/// message (with the new subject).
async fn edit_first_emailed_subject(browser: &Browser, subject: &str) -> Composed {
    let mut office = composed(browser)
        .await
        .into_iter()
        .find(|m| m.email.is_some())
        .expect("a legislator with an email address");
    fill(browser, &format!("#{}", office.subject_field), subject).await;
    office.subject = subject.to_string();
    office
}

/// One office on the drafts page.
#[derive(Debug)]
struct DraftCard {
    heading: String,
    by_email: Option<String>,
    /// (visible text, href) of each link.
    links: Vec<(String, String)>,
    subject: String,
    body: String,
    readonly: bool,
}

async fn draft_cards(browser: &Browser) -> Vec<DraftCard> {
    let found = browser
        .js(r#"
            return Array.from(document.querySelectorAll('section.draft')).map((s) => {
                const subject = s.querySelector('input[id^="draft-subject-"]');
                const body = s.querySelector('textarea[id^="draft-body-"]');
                const byEmail = Array.from(s.querySelectorAll('p'))
                    .map((p) => p.textContent.trim())
                    .find((t) => t.startsWith('By email to '));
                return {
                    heading: s.querySelector('h2').textContent,
                    by_email: byEmail || null,
                    links: Array.from(s.querySelectorAll('a')).map((a) => [
                        a.firstChild ? a.firstChild.textContent : '',
                        a.getAttribute('href'),
                    ]),
                    subject: subject.value,
                    body: body.value,
                    readonly: subject.readOnly && body.readOnly,
                };
            });
        "#)
        .await;
    found
        .as_array()
        .expect("drafts")
        .iter()
        .map(|d| DraftCard {
            heading: lower_words(d["heading"].as_str().unwrap_or_default()),
            by_email: d["by_email"].as_str().map(|t| {
                t.trim_start_matches("By email to ")
                    .trim_end_matches(':')
                    .trim()
                    .to_lowercase()
            }),
            links: d["links"]
                .as_array()
                .expect("links")
                .iter()
                .map(|l| {
                    (
                        lower_words(l[0].as_str().unwrap_or_default()),
                        l[1].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
            subject: d["subject"].as_str().unwrap_or_default().to_string(),
            body: d["body"].as_str().unwrap_or_default().to_string(),
            readonly: d["readonly"] == Value::Bool(true),
        })
        .collect()
}

/// The legislator part of a compose legend ("message 2: to x, y" -> "x, y") or of a draft
/// heading ("2. to x, y" -> "x, y").
fn addressee(label: &str) -> &str {
    label
        .split_once(" to ")
        .map(|(_, who)| who)
        .unwrap_or(label)
}

/// Percent-decodes `raw` (no `+` for space: the app encodes spaces as `%20`).
fn percent_decoded(raw: &str) -> String {
    url::form_urlencoded::parse(format!("v={}", raw.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn compose_to_drafts_in_the_browser() {
    bounded(async {
        let census = boston_census().await;
        let app = spawn_app_with(&[("ADVOCATE__CIVIC__CENSUS_URL", &census.uri())]).await;
        app.import_full_directory().await;
        let browser = Browser::start().await;
        browser.viewport(1280, 900).await;
        let mut axe = AxeLog::default();

        let asks = look_up_and_write(&app, &browser, &mut axe).await;
        let buttons = compose_buttons(&browser).await;
        println!("compose page buttons (sending off): {buttons:?}");
        assert!(
            buttons
                .iter()
                .all(|(text, action)| !text.contains("send through us")
                    && action.as_deref() != Some("/compose/send")),
            "without SMTP the compose page must not offer \"Send through us\": {buttons:?}"
        );
        assert!(
            buttons.iter().any(|(text, _)| text == "get drafts"),
            "the compose page offers \"Get drafts\": {buttons:?}"
        );

        let before = composed(&browser).await;
        let edited_subject = "Please end qualified immunity in Massachusetts (from Jane)";
        let office = edit_first_emailed_subject(&browser, edited_subject).await;
        let office_email = office.email.clone().expect("email").to_lowercase();
        println!(
            "edited the subject of {:?} ({office_email})",
            addressee(&office.legend)
        );
        let get = button(&browser, "form.compose-form", "Get drafts").await;
        browser.click("Get drafts", &get).await;
        wait_for_heading(&browser, "Your messages are ready to send").await;
        assert_eq!(current_path(&browser).await, "/compose/drafts");
        axe.check(&browser, "/compose/drafts").await;

        let cards = draft_cards(&browser).await;
        assert_eq!(
            cards.len(),
            before.len(),
            "one draft per message: {cards:#?}"
        );
        for (card, message) in cards.iter().zip(&before) {
            assert_eq!(
                addressee(&card.heading),
                addressee(&message.legend),
                "drafts come in the compose page's order"
            );
            assert!(card.readonly, "the draft's boxes are read-only: {card:#?}");
            let body = lower_words(&card.body);
            assert!(
                body.contains("qualified immunity"),
                "the draft text names the issue: {body}"
            );
            for ask in &asks {
                assert!(
                    body.contains(ask),
                    "the draft to {} lacks the ask {ask:?}: {body}",
                    card.heading
                );
            }
            assert!(body.contains("jane doe"), "signed: {body}");
            assert_eq!(
                card.by_email,
                message.email.as_ref().map(|e| e.to_lowercase()),
                "the draft goes where the compose page said"
            );
            let want_subject = if message.subject_field == office.subject_field {
                edited_subject
            } else {
                message.subject.as_str()
            };
            assert_eq!(card.subject, want_subject, "{}", card.heading);
            if card.by_email.is_some() {
                for name in ["open in my mail app", "open in gmail", "open in outlook"] {
                    assert!(
                        card.links.iter().any(|(text, _)| text == name),
                        "{name:?} missing from {card:#?}"
                    );
                }
            }
        }

        let card = cards
            .iter()
            .find(|c| c.by_email.as_deref() == Some(office_email.as_str()))
            .expect("the edited office's draft");
        let (_, href) = card
            .links
            .iter()
            .find(|(text, _)| text == "open in my mail app")
            .expect("an \"Open in my mail app\" link");
        let token = href
            .strip_prefix("/r/")
            .unwrap_or_else(|| panic!("the mail-app link counts through /r/: {href}"));
        assert!(
            token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()),
            "the mail-app link's token: {href}"
        );

        // Following the link: a counting redirect to the real mailto: URL.
        let location = app.follow_draft_link(href).await;
        let mailto =
            url::Url::parse(&location).unwrap_or_else(|e| panic!("{location} is not a URL: {e}"));
        assert_eq!(mailto.scheme(), "mailto", "{location}");
        assert_eq!(
            percent_decoded(mailto.path()).to_lowercase(),
            office_email,
            "{location}"
        );
        let field = |name: &str| {
            mailto
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
                .unwrap_or_else(|| panic!("no {name} in {location}"))
        };
        assert_eq!(field("subject"), edited_subject);
        let body = field("body");
        assert!(body.contains("\r\n"), "mailto bodies break lines with CRLF");
        assert_eq!(
            lower_words(&body),
            lower_words(&card.body),
            "the mailto body is the draft's text"
        );
        println!(
            "{href} -> mailto:{office_email} (subject {edited_subject:?}, {} characters)",
            body.len()
        );

        browser.close().await;
        axe.assert_clean();
    })
    .await
}

/// One message on the confirmation page.
#[derive(Debug)]
struct Pending {
    heading: String,
    to: String,
    subject: String,
}

async fn pending(browser: &Browser) -> Vec<Pending> {
    let found = browser
        .js(r#"
            return Array.from(document.querySelectorAll('section.draft')).map((s) => {
                const ps = Array.from(s.querySelectorAll('p')).map((p) => p.textContent.trim());
                return {
                    heading: s.querySelector('h2').textContent,
                    to: ps.find((t) => t.startsWith('By email to ')) || '',
                    subject: ps.find((t) => t.startsWith('Subject:')) || '',
                };
            });
        "#)
        .await;
    found
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| Pending {
            heading: lower_words(m["heading"].as_str().unwrap_or_default()),
            to: m["to"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches("By email to ")
                .trim()
                .to_lowercase(),
            subject: m["subject"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches("Subject:")
                .trim()
                .to_string(),
        })
        .collect()
}

/// The receipt page's rows: (legislator, badge).
async fn receipt_rows(browser: &Browser) -> Vec<(String, String)> {
    let found = browser
        .js(r#"
            return Array.from(document.querySelectorAll('table.receipt tbody tr')).map((r) => [
                r.querySelector('th').textContent,
                (r.querySelector('.badge') || {textContent: ''}).textContent,
            ]);
        "#)
        .await;
    found
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                lower_words(r[0].as_str().unwrap_or_default()),
                r[1].as_str().unwrap_or_default().trim().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn compose_to_send_to_receipt_in_the_browser() {
    bounded(async {
        let census = boston_census().await;
        let smtp = StubSmtp::start(Script::normal()).await;
        let smtp_url = smtp.url();
        let census_url = census.uri();
        let app = spawn_app_with(&[
            ("ADVOCATE__CIVIC__CENSUS_URL", &census_url),
            ("ADVOCATE__SMTP__URL", &smtp_url),
            ("ADVOCATE__SMTP__FROM_ADDRESS", "send@advocate.test"),
            ("ADVOCATE__OUTBOX__POLL_INTERVAL_MS", "100"),
        ])
        .await;
        app.import_full_directory().await;
        let browser = Browser::start().await;
        browser.viewport(1280, 900).await;
        let mut axe = AxeLog::default();

        look_up_and_write(&app, &browser, &mut axe).await;
        let buttons = compose_buttons(&browser).await;
        println!("compose page buttons (sending on): {buttons:?}");
        assert!(
            buttons
                .iter()
                .any(|(text, action)| text == "send through us"
                    && action.as_deref() == Some("/compose/send")),
            "with SMTP the compose page offers \"Send through us\": {buttons:?}"
        );
        assert!(
            buttons.iter().any(|(text, _)| text == "get drafts"),
            "and still \"Get drafts\": {buttons:?}"
        );

        let messages = composed(&browser).await;
        let edited_subject = "End qualified immunity: a letter from Beacon Hill";
        let office = edit_first_emailed_subject(&browser, edited_subject).await;
        let mut offices: Vec<String> = messages
            .iter()
            .filter_map(|m| m.email.as_ref().map(|e| e.to_lowercase()))
            .collect();
        offices.sort();
        let web_form_only = messages.len() - offices.len();
        println!(
            "{} messages: {} by email ({offices:?}), {web_form_only} not",
            messages.len(),
            offices.len()
        );
        assert!(
            offices.len() >= 2,
            "MA legislators with email: {messages:#?}"
        );

        let send = button(&browser, "form.compose-form", "Send through us").await;
        browser.click("Send through us", &send).await;
        wait_for_heading(&browser, "Check your email to send your messages").await;
        assert_eq!(current_path(&browser).await, "/compose/send");
        axe.check(&browser, "/compose/send (check email)").await;
        let page = shown(&browser).await;
        assert!(page.contains(EMAIL), "names where the link went:\n{page}");
        let waiting = browser
            .js("return Array.from(document.querySelectorAll('#waiting-heading ~ ul li')).length")
            .await;
        assert_eq!(
            waiting.as_u64(),
            Some(offices.len() as u64),
            "the page lists each office we will email:\n{page}"
        );
        let web_forms = draft_cards(&browser).await;
        assert_eq!(
            web_forms.len(),
            web_form_only,
            "offices without email get their drafts here: {web_forms:#?}"
        );
        let follow = browser.find("#waiting-heading ~ p a").await;
        assert_eq!(
            lower_words(&within("read the link", follow.text()).await),
            "follow your messages"
        );
        let receipt_path = within("read its href", follow.attr("href"))
            .await
            .expect("an href");
        let receipt_token = token_after(&receipt_path, "/receipts/");

        // The confirmation email, and nothing else, reaches the stub.
        let mails = smtp.wait_for_delivered(1, Duration::from_secs(15)).await;
        let confirmation = &mails[0];
        assert_eq!(confirmation.rcpt_to, vec![EMAIL.to_string()]);
        let text = confirmation.body_text().replace("\r\n", "\n");
        let confirm_path = format!("/confirm/{}", token_after(&text, "/confirm/"));
        assert!(
            text.contains(&format!("/receipts/{receipt_token}")),
            "the email links the receipt too:\n{text}"
        );
        browser.open(&app.url(&confirm_path)).await;
        wait_for_heading(&browser, &format!("Send your {} messages?", offices.len())).await;
        axe.check(&browser, "/confirm/… (confirmation)").await;
        let shown_messages = pending(&browser).await;
        let mut shown_to: Vec<String> = shown_messages.iter().map(|m| m.to.clone()).collect();
        shown_to.sort();
        assert_eq!(
            shown_to, offices,
            "the page shows each office: {shown_messages:#?}"
        );
        for message in messages.iter().filter(|m| m.email.is_some()) {
            let email = message.email.as_ref().expect("email").to_lowercase();
            let on_page = shown_messages
                .iter()
                .find(|p| p.to == email)
                .unwrap_or_else(|| panic!("{email} not on {shown_messages:#?}"));
            let want = if message.subject_field == office.subject_field {
                edited_subject
            } else {
                message.subject.as_str()
            };
            assert_eq!(
                on_page.subject, want,
                "subject shown for {}",
                on_page.heading
            );
        }
        // Opening the link sends nothing (the worker polls every 100 ms).
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(
            smtp.delivered().len(),
            1,
            "only the confirmation is sent before the button is pressed"
        );

        let confirm = button(
            &browser,
            r#"form[action^="/confirm/"]"#,
            &format!("Send my {} messages", offices.len()),
        )
        .await;
        browser.click("Send my messages", &confirm).await;
        wait_for_heading(&browser, "Your messages").await;
        assert_eq!(current_path(&browser).await, receipt_path);
        axe.check(&browser, "/receipts/… (just confirmed)").await;
        let refresh = browser.find("a.button[href^=\"/receipts/\"]").await;
        assert_eq!(
            lower_words(&within("read the link", refresh.text()).await),
            "refresh"
        );

        // Reloaded, as a person pressing Refresh would, until every message is sent.
        let receipt_url = app.url(&receipt_path);
        let limit = Duration::from_secs(20);
        let started = Instant::now();
        let mut seen = Vec::new();
        loop {
            let rows = receipt_rows(&browser).await;
            assert_eq!(rows.len(), offices.len(), "one row per office: {rows:?}");
            for (_, badge) in &rows {
                if !seen.contains(badge) {
                    seen.push(badge.clone());
                }
            }
            if let Some((who, _)) = rows.iter().find(|(_, badge)| badge == "Failed") {
                panic!("the message to {who} failed: {rows:?}");
            }
            if rows.iter().all(|(_, badge)| badge == "Sent") {
                break;
            }
            assert!(
                started.elapsed() < limit,
                "not every message was sent within {limit:?}: {rows:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
            browser.open(&receipt_url).await;
        }
        println!(
            "receipt: all {} sent after {:?} (badges seen: {seen:?})",
            offices.len(),
            started.elapsed()
        );
        let page = shown(&browser).await;
        let all = offices.len();
        assert!(
            page.contains(&format!("{all} of {all} sent")),
            "the receipt counts what was sent:\n{page}"
        );
        axe.check(&browser, "/receipts/… (all sent)").await;
        browser.viewport(375, 800).await;
        axe.check(&browser, "/receipts/… at 375x800").await;
        let measured = browser.js(MEASURE_OVERFLOW).await;
        println!("/receipts/… at 375x800 (informational): {measured}");

        // One mail per emailable office, each once, and nothing more.
        let delivered = smtp
            .wait_for_delivered(1 + offices.len(), Duration::from_secs(10))
            .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            smtp.delivered().len(),
            1 + offices.len(),
            "the confirmation plus one mail per office"
        );
        let mut reached: Vec<String> = delivered[1..]
            .iter()
            .flat_map(|m| m.rcpt_to.iter().map(|r| r.to_lowercase()))
            .collect();
        reached.sort();
        assert_eq!(reached, offices, "each office once");
        let office_email = office.email.as_ref().expect("email").to_lowercase();
        let edited = delivered[1..]
            .iter()
            .find(|m| {
                m.rcpt_to
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(&office_email))
            })
            .expect("the edited office's mail");
        assert_eq!(edited.header("Subject").as_deref(), Some(edited_subject));
        for mail in &delivered[1..] {
            let body = lower_words(&mail.body_text());
            assert!(body.contains("qualified immunity"), "{body}");
            assert!(body.contains("jane doe"), "{body}");
        }

        browser.close().await;
        axe.assert_clean();
    })
    .await
}

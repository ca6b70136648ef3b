//! The reach dashboard over HTTP, on the test's database (SQLite or PostgreSQL): counts seeded
//! with `Store::count_messages` appear in the headline, the daily, state, legislator and
//! template version tables; every link keeps the filters; a bad parameter is a 400 page with
//! the form; the legislator page (ids with `/` and `:`); and delivery health shows a mail
//! refused with 550 with its reply, never the supporter or the message.

use crate::smtp_faults::{rig, OFFICE_DOMAIN};
use advocate::directory::Chamber;
use advocate::domain::StateCode;
use advocate::staff::Role;
use advocate::stats::Channel;
use advocate::store::CountEvent;
use advocate_test_support::reach::read_csv;
use advocate_test_support::staff::signed_in;
use advocate_test_support::{location, spawn_app, Fault, Script, StubSmtp, TestApp, SLUG};
use chrono::{Duration, Utc};

const PAGE: &str = "/staff/campaigns/end-qualified-immunity/reach";

fn event(
    state: &str,
    who: &str,
    chamber: Chamber,
    channel: Channel,
    version: i64,
    n: i64,
    days_ago: i64,
) -> CountEvent {
    CountEvent {
        state: StateCode::parse(state).expect("state"),
        legislator_id: who.into(),
        chamber,
        channel,
        template_version: version,
        n,
        at: Utc::now() - Duration::days(days_ago),
    }
}

async fn seed(app: &TestApp) {
    let events = vec![
        event(
            "MA",
            "ocd-person/ma-1",
            Chamber::StateUpper,
            Channel::Sent,
            1,
            3,
            0,
        ),
        event(
            "MA",
            "ocd-person/ma-1",
            Chamber::StateUpper,
            Channel::Sent,
            2,
            4,
            1,
        ),
        event(
            "MA",
            "ocd-person/ma-2",
            Chamber::StateLower,
            Channel::DraftEmail,
            2,
            2,
            2,
        ),
        event(
            "MO",
            "bioguide:X000001",
            Chamber::UsHouse,
            Channel::ContactForm,
            1,
            5,
            3,
        ),
        // The previous 7-day period: 4 messages.
        event(
            "MO",
            "bioguide:X000001",
            Chamber::UsHouse,
            Channel::Sent,
            1,
            4,
            10,
        ),
        // Long ago: only in "all" and the total since launch.
        event(
            "MA",
            "ocd-person/ma-1",
            Chamber::StateUpper,
            Channel::Sent,
            1,
            100,
            200,
        ),
    ];
    assert!(app
        .store
        .count_messages(SLUG, &events)
        .await
        .expect("count"));
}

async fn get(
    app: &TestApp,
    who: &advocate_test_support::staff::Signed,
    path: &str,
) -> (u16, String) {
    let res = app.staff_get(path, Some(who)).await;
    let status = res.status().as_u16();
    // Links read as written (askama escapes `&`).
    let html = res.text().await.expect("body");
    (status, html.replace("&#38;", "&").replace("&amp;", "&"))
}

/// The `href`s of a page, unescaped.
fn links(html: &str) -> Vec<String> {
    let re = regex::Regex::new(r#"href="([^"]*)""#).expect("regex");
    re.captures_iter(html).map(|c| c[1].to_string()).collect()
}

/// The text of the table captioned `caption` (tags removed, whitespace collapsed).
fn table(html: &str, caption: &str) -> String {
    let start = html
        .find(&format!("-caption\">{caption}"))
        .unwrap_or_else(|| panic!("no table {caption}"));
    let end = html[start..].find("</table>").expect("table end") + start;
    let re = regex::Regex::new(r"<[^>]+>").expect("regex");
    re.replace_all(&html[start..end], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test]
async fn the_dashboard_shows_seeded_counts_in_every_table_and_keeps_filters_in_every_link() {
    let app = spawn_app().await;
    seed(&app).await;
    let (_, org) = signed_in(&app, "org@example.org", Role::Organiser).await;

    let (status, html) = get(&app, &org, &format!("{PAGE}?range=7")).await;
    assert_eq!(status, 200, "{html}");
    // Headline: 3 + 4 + 2 + 5 = 14 in the last 7 days; 4 in the 7 days before (+250%); 3
    // offices; 118 since launch.
    let headline = html
        .split(r#"id="headline-heading""#)
        .nth(1)
        .and_then(|h| h.split("</section>").next())
        .expect("headline");
    let figure = |label: &str| {
        let re =
            regex::Regex::new(&format!(r"<dt>{label}[^<]*</dt><dd>([^<]+)</dd>")).expect("regex");
        re.captures(headline)
            .map(|c| c[1].to_string())
            .unwrap_or_else(|| panic!("no {label} in {headline}"))
    };
    assert_eq!(figure("Messages"), "14");
    assert_eq!(figure("Sent"), "7");
    assert_eq!(figure("Draft email"), "2");
    assert_eq!(figure("Contact form"), "5");
    assert_eq!(figure("Change against"), "+10 (+250%)");
    assert_eq!(figure("Offices reached"), "3");
    assert_eq!(figure("Total since launch"), "118");

    // By day: every day of the range, the cumulative running from the 104 before it.
    let days = table(&html, "Messages per day");
    let today = Utc::now().date_naive().format("%-d %b %Y").to_string();
    assert!(days.contains(&format!("{today} 3 0 0 3 118")), "{days}");
    assert_eq!(days.matches(" 202").count(), 7, "seven days: {days}");
    assert!(html.contains(r#"role="img" aria-labelledby="chart-title chart-desc""#));
    assert!(html.contains("<desc id=\"chart-desc\">14 messages from"));

    // By state, with the score; by legislator; by template version.
    let states = table(&html, "Messages by state");
    assert!(states.contains("Massachusetts 9 7 2 0 2"), "{states}");
    assert!(states.contains("Missouri 5 0 0 5 1"), "{states}");
    assert!(html.contains("Massachusetts, MA: 9 messages"));
    let offices = table(&html, "Messages by office");
    assert!(
        offices.contains("ocd-person/ma-1 State senate (upper) MA 7 0 0 7"),
        "{offices}"
    );
    let versions = table(&html, "Messages by the version");
    assert!(
        versions.contains("Members of Congress Version 1"),
        "{versions}"
    );
    assert!(html.contains("/staff/campaigns/end-qualified-immunity/templates/state/versions"));

    // Every link the dashboard makes keeps the range.
    let own: Vec<String> = links(&html)
        .into_iter()
        .filter(|l| l.contains("/reach"))
        .filter(|l| l != "/staff/reach")
        .collect();
    assert!(own.len() > 60, "{own:?}");
    for l in &own {
        if l.contains("range=") {
            continue;
        }
        panic!("{l} lost the range");
    }
    for group in ["day", "state", "legislator", "channel", "template_version"] {
        assert!(
            own.contains(&format!("{PAGE}/{group}.csv?range=7")),
            "{group}: {own:?}"
        );
    }

    // Filtered: state, chamber and channel stay in every link, sort headers and pages too.
    let q = "range=30&state=MA&chamber=state_upper&channel=sent";
    let (status, html) = get(&app, &org, &format!("{PAGE}?{q}&sort=office&dir=asc")).await;
    assert_eq!(status, 200);
    let figure_total = html.contains("<dt>Messages</dt><dd>7</dd>");
    assert!(figure_total, "MA upper sent: 3 + 4");
    for l in links(&html)
        .into_iter()
        .filter(|l| l.contains("/reach?") || l.contains(".csv"))
    {
        for part in ["state=", "chamber=state_upper", "channel=sent"] {
            assert!(l.contains(part), "{l} lost {part}");
        }
    }
    assert!(html.contains(r#"aria-sort="ascending"><a href="/staff/campaigns/end-qualified-immunity/reach?range=30&state=MA&chamber=state_upper&channel=sent&sort=office&dir=desc#legislators""#));
    // The form shows what is filtered.
    assert!(html.contains(r#"<option value="MA" selected>"#));
    assert!(html.contains(r#"<input type="hidden" name="range" value="30">"#));

    // All time includes the old count; no change is shown.
    let (_, html) = get(&app, &org, &format!("{PAGE}?range=all")).await;
    assert!(html.contains("<dt>Messages</dt><dd>118</dd>"));
    assert!(!html.contains("Change against"));
}

#[tokio::test]
async fn bad_parameters_are_a_400_page_with_the_form_and_the_field_named() {
    let app = spawn_app().await;
    let (_, org) = signed_in(&app, "org@example.org", Role::Organiser).await;
    for (query, field_id) in [
        ("from=2026-13-01", Some("filter-from")),
        ("to=tomorrow", Some("filter-to")),
        ("state=ZZ", Some("filter-state")),
        ("chamber=house", Some("filter-chamber")),
        ("channel=fax", Some("filter-channel")),
        ("range=365", None),
        ("sort=name;DROP", None),
        ("page=0", None),
    ] {
        let (status, html) = get(&app, &org, &format!("{PAGE}?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert!(html.contains("There is a problem"), "{query}");
        assert!(html.contains(r#"<form class="reach-form""#), "{query}");
        assert!(!html.contains("headline-heading"), "{query}: no figures");
        if let Some(id) = field_id {
            let marked = format!(r#"id="{id}" "#);
            let at = html.find(&marked).unwrap_or_else(|| panic!("{id}"));
            let rest = &html[at..at + 400];
            assert!(rest.contains(r#"aria-invalid="true""#), "{query}: {rest}");
            assert!(
                html.contains(r#"<p class="field-error" id="filter-error">"#),
                "{query}"
            );
        }
    }
    // The raw value is kept in the date input.
    let (_, html) = get(&app, &org, &format!("{PAGE}?from=2026-13-01")).await;
    assert!(html.contains(r#"value="2026-13-01""#));
}

#[tokio::test]
async fn the_legislator_page_shows_its_own_days_and_unknown_offices_are_404() {
    let app = spawn_app().await;
    seed(&app).await;
    let (_, org) = signed_in(&app, "org@example.org", Role::Organiser).await;
    let (_, html) = get(&app, &org, &format!("{PAGE}?range=7&channel=sent")).await;
    let link = links(&html)
        .into_iter()
        .find(|l| l.contains("/legislators/ocd-person%2Fma-1"))
        .expect("a legislator link");
    assert!(link.ends_with("?range=7&channel=sent"), "{link}");

    let (status, html) = get(&app, &org, &link).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<dt>Messages</dt><dd>7</dd>"), "3 + 4 sent");
    assert!(html.contains("<dt>Total since launch</dt><dd>107</dd>"));
    let days = table(&html, "Messages per day");
    let today = Utc::now().date_naive().format("%-d %b %Y").to_string();
    assert!(days.contains(&format!("{today} 3 0 0 3 107")), "{days}");
    // Its CSV is the day report of this office; its presets stay on this page.
    assert!(html.contains(&format!(
        "{PAGE}/day.csv?range=7&channel=sent&legislator=ocd-person%2Fma-1"
    )));
    assert!(links(&html).iter().any(|l| l
        == "/staff/campaigns/end-qualified-immunity/reach/legislators/ocd-person%2Fma-1?range=30&channel=sent"));

    // `:` encoded or not.
    for path in ["bioguide%3AX000001", "bioguide:X000001"] {
        let (status, html) = get(&app, &org, &format!("{PAGE}/legislators/{path}?range=7")).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains("<dt>Messages</dt><dd>5</dd>"), "{path}");
    }
    let (status, _) = get(
        &app,
        &org,
        &format!("{PAGE}/legislators/ocd-person%2Fnobody"),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = get(&app, &org, "/staff/campaigns/nope/reach").await;
    assert_eq!(status, 404);
    let (status, html) = get(
        &app,
        &org,
        &format!("{PAGE}/legislators/bioguide%3AX000001?to=x"),
    )
    .await;
    assert_eq!(status, 400, "{html}");

    // /staff/reach goes to the running campaign's dashboard.
    let res = app.staff_get("/staff/reach", Some(&org)).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), PAGE);
}

#[tokio::test]
async fn delivery_health_shows_a_mail_refused_with_550_and_its_reply_without_supporter_data() {
    let rig = rig(&[]).await;
    rig.confirmed(2).await;
    let faulty = StubSmtp::start(Script::always(Fault::RcptReject).for_domain(OFFICE_DOMAIN)).await;
    rig.deliver_through(&faulty.url(), 5).await;
    let (_, org) = signed_in(&rig.app, "org@example.org", Role::Organiser).await;
    let (status, html) = get(&rig.app, &org, PAGE).await;
    assert_eq!(status, 200, "{html}");
    let statuses = table(&html, "Outbox by status");
    assert!(statuses.contains("Failed 2"), "{statuses}");
    assert!(statuses.contains("Sent 1"), "the confirmation: {statuses}");
    let causes = table(&html, "Failures by cause");
    assert!(causes.contains("5.x.x 550 2"), "{causes}");
    let domains = table(&html, "Failures by recipient domain");
    assert!(domains.contains(&format!("{OFFICE_DOMAIN} 2")), "{domains}");
    let replies = table(&html, "The latest replies");
    assert!(replies.contains("Failed 550"), "{replies}");
    assert!(replies.contains("Recipient rejected"), "{replies}");
    assert!(!html.contains("Jane Doe"));
    assert!(!html.contains("jane@example.org"));
    assert!(!html.contains("Please act"));
    assert!(html.contains("Nothing is waiting."));
}

/// A staff CSV download: 200, the CSV headers, the attachment's name; its header row and records.
async fn health_csv(
    app: &TestApp,
    who: &advocate_test_support::staff::Signed,
    table: &str,
    query: &str,
    filename: &str,
) -> (Vec<String>, Vec<Vec<String>>) {
    let res = app
        .staff_get(&format!("{PAGE}/health/{table}.csv?{query}"), Some(who))
        .await;
    assert_eq!(res.status().as_u16(), 200, "{table}?{query}");
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(
        res.headers()["content-disposition"],
        format!("attachment; filename=\"{filename}\"").as_str()
    );
    let bytes = res.bytes().await.expect("body");
    assert!(bytes.ends_with(b"\r\n"), "CRLF line ends");
    read_csv(&bytes)
}

#[tokio::test]
async fn delivery_health_tables_download_as_csv_with_the_page_rows_and_range() {
    let rig = rig(&[]).await;
    rig.confirmed(2).await;
    let faulty = StubSmtp::start(Script::always(Fault::RcptReject).for_domain(OFFICE_DOMAIN)).await;
    rig.deliver_through(&faulty.url(), 5).await;
    let (_, org) = signed_in(&rig.app, "org@example.org", Role::Organiser).await;
    let today = Utc::now().date_naive();
    let name = |table: &str, from: &str| {
        format!("end-qualified-immunity-health-{table}-{from}-{today}.csv")
    };

    // The page links every table with its filters.
    let (status, html) = get(&rig.app, &org, &format!("{PAGE}?range=7&channel=sent")).await;
    assert_eq!(status, 200);
    for table in ["status", "causes", "domains", "replies"] {
        let link = format!("{PAGE}/health/{table}.csv?range=7&channel=sent");
        assert!(links(&html).contains(&link), "{link}");
    }

    let (header, rows) = health_csv(
        &rig.app,
        &org,
        "status",
        "range=all",
        &name("status", "launch"),
    )
    .await;
    assert_eq!(header, ["status", "mails"]);
    let statuses: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        statuses,
        ["held", "queued", "sending", "retrying", "sent", "failed"]
    );
    assert!(rows.contains(&vec!["failed".to_string(), "2".to_string()]));
    assert!(rows.contains(&vec!["sent".to_string(), "1".to_string()]));

    let (header, rows) = health_csv(
        &rig.app,
        &org,
        "causes",
        "range=all",
        &name("causes", "launch"),
    )
    .await;
    assert_eq!(header, ["cause", "failures"]);
    assert_eq!(rows, [["5.x.x 550", "2"]]);

    let from = (today - Duration::days(6)).to_string();
    let (header, rows) = health_csv(
        &rig.app,
        &org,
        "domains",
        "range=7",
        &name("domains", &from),
    )
    .await;
    assert_eq!(header, ["domain", "failures"]);
    assert_eq!(rows, [[OFFICE_DOMAIN, "2"]]);

    let (header, rows) = health_csv(
        &rig.app,
        &org,
        "replies",
        "",
        &name("replies", &(today - Duration::days(29)).to_string()),
    )
    .await;
    assert_eq!(header, ["at", "status", "code", "reply"]);
    assert_eq!(rows.len(), 2, "{rows:?}");
    for row in &rows {
        let at = chrono::DateTime::parse_from_rfc3339(&row[0]).expect("ISO 8601");
        assert_eq!(row[0], at.to_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string());
        assert_eq!(row[1], "failed");
        assert_eq!(row[2], "550");
        assert!(row[3].contains("Recipient rejected"), "{row:?}");
        assert!(!row[3].contains('@'), "redacted: {row:?}");
        assert!(html.contains(&row[3]), "the page's reply: {row:?}");
    }

    // The range applies to failures as on the page: none in an old range.
    let old = format!(
        "from={}&to={}",
        today - Duration::days(20),
        today - Duration::days(10)
    );
    for table in ["causes", "domains"] {
        let from = (today - Duration::days(20)).to_string();
        let to = (today - Duration::days(10)).to_string();
        let res = rig
            .app
            .staff_get(&format!("{PAGE}/health/{table}.csv?{old}"), Some(&org))
            .await;
        assert_eq!(res.status().as_u16(), 200);
        let disposition = res.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .to_string();
        assert!(
            disposition.ends_with(&format!("-health-{table}-{from}-{to}.csv\"")),
            "{disposition}"
        );
        let (header, rows) = read_csv(&res.bytes().await.expect("body"));
        assert_eq!(header.len(), 2);
        assert!(rows.is_empty(), "{table}: {rows:?}");
    }

    // Unknown table or campaign: 404; a bad parameter: 400.
    let res = rig
        .app
        .staff_get(&format!("{PAGE}/health/nope.csv"), Some(&org))
        .await;
    assert_eq!(res.status().as_u16(), 404);
    let res = rig
        .app
        .staff_get("/staff/campaigns/nope/reach/health/status.csv", Some(&org))
        .await;
    assert_eq!(res.status().as_u16(), 404);
    for bad in [
        "range=365",
        "from=2026-13-01",
        "range=7&range=30",
        "sort=nope",
    ] {
        let res = rig
            .app
            .staff_get(&format!("{PAGE}/health/causes.csv?{bad}"), Some(&org))
            .await;
        assert_eq!(res.status().as_u16(), 400, "{bad}");
    }
}

//! The reach API (`GET /api/v1/campaigns/{slug}/reach`) and the staff CSV downloads
//! (`/staff/campaigns/{slug}/reach/{group}.csv`) on the test's database: tokens and roles, every
//! grouping in JSON and CSV, filters, refused parameters naming their field, CSV read back with
//! the `csv` crate (formula escaping included), and a property test that a generated history
//! gives the same totals through the JSON, the API's CSV, the staff download and the events.

use advocate::directory::Chamber;
use advocate::domain::StateCode;
use advocate::staff::Role;
use advocate::stats::reach::{GroupBy, ReachFilter, ReachParams};
use advocate::stats::Channel;
use advocate::store::{CountEvent, Office};
use advocate_test_support::reach::{
    csv_totals, expected_summary, expected_totals, json_key_and_totals, read_csv, Totals,
};
use advocate_test_support::staff::{bearer, person, service, sign_in, Signed};
use advocate_test_support::{spawn_app, TestApp, SLUG};
use chrono::{Duration, NaiveDate, Utc};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// The offices the tests count messages to: id, state, chamber, name.
const OFFICES: [(&str, &str, Chamber, &str); 6] = [
    (
        "ma-upper-1",
        "MA",
        Chamber::StateUpper,
        "=HYPERLINK(\"http://x\")",
    ),
    (
        "ma-lower-2",
        "MA",
        Chamber::StateLower,
        "Rep. Ana Ortiz, Jr.",
    ),
    ("bioguide:M0001", "MO", Chamber::UsHouse, "+Mo House"),
    ("bioguide:M0002", "MO", Chamber::UsSenate, "@Senator"),
    ("tx-lower-3", "TX", Chamber::StateLower, "-Lone \"Star\""),
    ("bioguide:C0001", "CA", Chamber::UsHouse, "Calla Lily"),
];

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn event(office: usize, channel: Channel, version: i64, n: i64, days_ago: i64) -> CountEvent {
    let (id, state, chamber, _) = OFFICES[office];
    CountEvent {
        state: StateCode::parse(state).expect("state"),
        legislator_id: id.to_string(),
        chamber,
        channel,
        template_version: version,
        n,
        at: Utc::now() - Duration::days(days_ago),
    }
}

/// Names the offices (as a lookup would, through the draft links' office record) and counts
/// `events`.
async fn seed(app: &TestApp, events: &[CountEvent]) {
    let offices: Vec<Office> = OFFICES
        .iter()
        .map(|(id, state, chamber, name)| Office {
            legislator_id: id.to_string(),
            state: StateCode::parse(state).expect("state"),
            chamber: *chamber,
            district: "1".to_string(),
            name: name.to_string(),
            title: "Member".to_string(),
        })
        .collect();
    let now = Utc::now();
    assert!(app
        .store
        .insert_draft_links(SLUG, &[], &offices, now, now + Duration::days(1))
        .await
        .expect("offices"));
    assert!(app
        .store
        .count_messages(SLUG, events)
        .await
        .expect("counted"));
}

/// An organiser's token and signed-in session.
async fn organiser(app: &TestApp) -> (String, Signed) {
    let (_, token) = bearer(app, "org@example.org", Role::Organiser).await;
    let session = sign_in(&service(app), "org@example.org").await;
    (token, session)
}

async fn json(app: &TestApp, query: &str, token: &str) -> serde_json::Value {
    let res = app.reach_api(SLUG, query, Some(token), None).await;
    let status = res.status().as_u16();
    let cache = res.headers()["cache-control"]
        .to_str()
        .expect("ascii")
        .to_string();
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(status, 200, "{query}: {body}");
    assert_eq!(cache, "no-store");
    body
}

async fn csv_body(res: reqwest::Response) -> (Vec<String>, Vec<Vec<String>>) {
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"end-qualified-immunity-reach-"),
        "{disposition}"
    );
    let bytes = res.bytes().await.expect("body");
    assert!(
        bytes.ends_with(b"\r\n") || bytes.is_empty(),
        "CRLF line ends"
    );
    read_csv(&bytes)
}

fn json_totals(group: GroupBy, body: &serde_json::Value) -> BTreeMap<String, Totals> {
    body["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| json_key_and_totals(group, r))
        .collect()
}

#[tokio::test]
async fn the_reach_api_needs_an_organisers_token() {
    let app = spawn_app().await;
    let res = app.reach_api(SLUG, "", None, None).await;
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    let res = app
        .reach_api(SLUG, "", Some("adv_not-a-real-token"), None)
        .await;
    assert_eq!(res.status().as_u16(), 401);
    let res = app.reach_api(SLUG, "group_by=nope", None, None).await;
    assert_eq!(res.status().as_u16(), 401, "the token is checked first");
    for role in [Role::Organiser, Role::Editor, Role::Admin] {
        let email = format!("{}@example.org", role.as_str());
        let (_, token) = bearer(&app, &email, role).await;
        let res = app.reach_api(SLUG, "", Some(&token), None).await;
        assert_eq!(res.status().as_u16(), 200, "{role:?}");
    }
    let (_, token) = bearer(&app, "x@example.org", Role::Organiser).await;
    let res = app
        .reach_api("no-such-campaign", "", Some(&token), None)
        .await;
    assert_eq!(res.status().as_u16(), 404);
}

#[tokio::test]
async fn every_grouping_answers_in_json_and_csv_and_filters_narrow() {
    let app = spawn_app().await;
    let events = vec![
        event(0, Channel::Sent, 1, 3, 0),
        event(0, Channel::DraftEmail, 2, 1, 1),
        event(1, Channel::ContactForm, 2, 2, 2),
        event(2, Channel::Sent, 1, 4, 3),
        event(3, Channel::DraftEmail, 0, 5, 45),
        event(4, Channel::ContactForm, 3, 1, 10),
    ];
    seed(&app, &events).await;
    let (token, session) = organiser(&app).await;
    let all = ReachFilter::parse(
        &ReachParams {
            range: Some("all".into()),
            ..Default::default()
        },
        today(),
    )
    .expect("filter");
    for group in GroupBy::ALL {
        let g = group.as_str();
        let body = json(&app, &format!("range=all&group_by={g}"), &token).await;
        assert_eq!(body["group_by"], g);
        assert_eq!(body["campaign"], SLUG);
        assert_eq!(body["from"], serde_json::Value::Null);
        assert_eq!(body["summary"]["total"], 16);
        let expected = expected_totals(&events, &all, group);
        assert_eq!(json_totals(group, &body), expected, "{g} JSON");

        for res in [
            app.reach_api(
                SLUG,
                &format!("range=all&group_by={g}&format=csv"),
                Some(&token),
                None,
            )
            .await,
            app.reach_api(
                SLUG,
                &format!("range=all&group_by={g}"),
                Some(&token),
                Some("text/csv"),
            )
            .await,
            app.reach_download(SLUG, g, "range=all", Some(&session))
                .await,
        ] {
            let (header, records) = csv_body(res).await;
            assert_eq!(header, advocate::stats::export::header(group), "{g}");
            assert_eq!(
                csv_totals(group, &header, &records),
                expected.clone(),
                "{g} CSV"
            );
        }
    }
    // The default range is the last 30 days: the 45-day-old count is left out.
    let body = json(&app, "", &token).await;
    assert_eq!(body["summary"]["total"], 11);
    assert_eq!(body["to"], today().to_string());
    // Filters narrow, and are echoed.
    let body = json(
        &app,
        "range=all&state=ma&channel=sent&group_by=legislator",
        &token,
    )
    .await;
    assert_eq!(body["summary"]["total"], 3);
    assert_eq!(body["filters"]["state"], "MA");
    assert_eq!(body["filters"]["channel"], "sent");
    assert_eq!(body["rows"].as_array().expect("rows").len(), 1);
    let body = json(&app, "range=all&chamber=us_house&group_by=state", &token).await;
    assert_eq!(body["summary"]["total"], 4);
    let body = json(&app, "range=all&legislator=tx-lower-3", &token).await;
    assert_eq!(body["summary"]["total"], 1);
    let from = (today() - Duration::days(2)).to_string();
    let body = json(&app, &format!("from={from}&group_by=day"), &token).await;
    assert_eq!(body["summary"]["total"], 6);
    assert_eq!(body["rows"].as_array().expect("rows").len(), 3);
    // The legislator table: one page, in the order asked for; without `page`, every row.
    let body = json(
        &app,
        "range=all&group_by=legislator&sort=total&dir=asc&page=1",
        &token,
    )
    .await;
    assert_eq!(body["page"]["page"], 1);
    assert_eq!(body["page"]["sort"], "total");
    assert_eq!(body["page"]["dir"], "asc");
    let totals: Vec<i64> = body["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["total"].as_i64().expect("total"))
        .collect();
    assert_eq!(totals, [1, 2, 4, 4, 5]);
    let body = json(&app, "range=all&group_by=legislator&sort=sent", &token).await;
    assert_eq!(body["page"], serde_json::Value::Null);
    assert_eq!(body["rows"][0]["legislator_id"], "bioguide:M0001");
}

#[tokio::test]
async fn csv_escapes_formula_cells_and_quotes_what_needs_it() {
    let app = spawn_app().await;
    let events: Vec<CountEvent> = (0..5).map(|i| event(i, Channel::Sent, 1, 1, 0)).collect();
    seed(&app, &events).await;
    let (token, session) = organiser(&app).await;
    for res in [
        app.reach_api(
            SLUG,
            "group_by=legislator&format=csv&sort=office&dir=asc",
            Some(&token),
            None,
        )
        .await,
        app.reach_download(SLUG, "legislator", "sort=office&dir=asc", Some(&session))
            .await,
    ] {
        let (header, records) = csv_body(res).await;
        assert_eq!(header[1], "name");
        let names: BTreeMap<&str, &str> = records
            .iter()
            .map(|r| (r[0].as_str(), r[1].as_str()))
            .collect();
        assert_eq!(names["ma-upper-1"], "'=HYPERLINK(\"http://x\")");
        assert_eq!(names["bioguide:M0001"], "'+Mo House");
        assert_eq!(names["bioguide:M0002"], "'@Senator");
        assert_eq!(names["tx-lower-3"], "'-Lone \"Star\"");
        assert_eq!(names["ma-lower-2"], "Rep. Ana Ortiz, Jr.");
        for cell in records.iter().flatten() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?}"
            );
        }
    }
}

#[tokio::test]
async fn bad_parameters_are_400_naming_the_field() {
    let app = spawn_app().await;
    let (token, session) = organiser(&app).await;
    for (query, field) in [
        ("group_by=week", "group_by"),
        ("format=xml", "format"),
        ("from=2026-02-30", "from"),
        ("from=yesterday", "from"),
        ("to=2999-01-01", "to"),
        ("range=14", "range"),
        ("state=ZZ", "state"),
        ("chamber=house", "chamber"),
        ("channel=fax", "channel"),
        ("group_by=legislator&sort=age", "sort"),
        ("group_by=legislator&dir=sideways", "dir"),
        ("group_by=legislator&page=0", "page"),
    ] {
        let res = app.reach_api(SLUG, query, Some(&token), None).await;
        assert_eq!(res.status().as_u16(), 400, "{query}");
        let body: serde_json::Value = res.json().await.expect("json");
        assert_eq!(body["field"], field, "{query}: {body}");
        assert!(body["error"].is_string());
    }
    let res = app
        .reach_api(SLUG, "state=MA&state=MO", Some(&token), None)
        .await;
    assert_eq!(res.status().as_u16(), 400, "a parameter given twice");
    // The downloads: a bad filter is a 400 page, an unknown table or campaign 404.
    let res = app
        .reach_download(SLUG, "day", "from=nope", Some(&session))
        .await;
    assert_eq!(res.status().as_u16(), 400);
    let res = app.reach_download(SLUG, "week", "", Some(&session)).await;
    assert_eq!(res.status().as_u16(), 404);
    let res = app.reach_download("nope", "day", "", Some(&session)).await;
    assert_eq!(res.status().as_u16(), 404);
    let res = app.reach_download(SLUG, "day", "", None).await;
    assert_eq!(
        res.status().as_u16(),
        303,
        "no session: to the sign-in page"
    );
}

/// A generated history and filter.
#[derive(Debug, Clone)]
struct Case {
    events: Vec<CountEvent>,
    params: ReachParams,
}

fn any_case() -> impl Strategy<Value = Case> {
    let event = (
        0..OFFICES.len(),
        prop::sample::select(Channel::ALL.to_vec()),
        0i64..4,
        1i64..6,
        0i64..60,
    )
        .prop_map(|(office, channel, version, n, days_ago)| {
            event(office, channel, version, n, days_ago)
        });
    let maybe =
        |values: Vec<&'static str>| prop::option::weighted(0.3, prop::sample::select(values));
    let params = (
        prop::option::of((0i64..70, 0i64..70)),
        maybe(vec!["MA", "MO", "TX", "CA"]),
        maybe(vec!["state_upper", "state_lower", "us_senate", "us_house"]),
        maybe(vec!["sent", "draft_email", "contact_form"]),
        maybe(OFFICES.iter().map(|o| o.0).collect()),
    )
        .prop_map(|(range, state, chamber, channel, legislator)| {
            let day = |ago: i64| (today() - Duration::days(ago)).to_string();
            let (from, to, range) = match range {
                Some((a, b)) => (Some(day(a.max(b))), Some(day(a.min(b))), None),
                None => (None, None, Some("all".to_string())),
            };
            ReachParams {
                from,
                to,
                range,
                state: state.map(str::to_string),
                chamber: chamber.map(str::to_string),
                channel: channel.map(str::to_string),
                legislator: legislator.map(str::to_string),
            }
        });
    (prop::collection::vec(event, 1..40), params)
        .prop_map(|(events, params)| Case { events, params })
}

/// `params` as a query string.
fn query_of(params: &ReachParams) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("from", &params.from),
        ("to", &params.to),
        ("range", &params.range),
        ("state", &params.state),
        ("chamber", &params.chamber),
        ("channel", &params.channel),
        ("legislator", &params.legislator),
    ] {
        if let Some(v) = v {
            out.append_pair(k, v);
        }
    }
    out.finish()
}

async fn check(case: Case) {
    let app = spawn_app().await;
    seed(&app, &case.events).await;
    let (token, session) = organiser(&app).await;
    let filter = ReachFilter::parse(&case.params, today()).expect("a good filter");
    let query = query_of(&case.params);
    let summary = expected_summary(&case.events, &filter);
    for group in GroupBy::ALL {
        let g = group.as_str();
        let expected = expected_totals(&case.events, &filter, group);
        let body = json(&app, &format!("{query}&group_by={g}"), &token).await;
        assert_eq!(json_totals(group, &body), expected, "{g} JSON for {query}");
        let rows_total: i64 = expected.values().map(|t| t.total).sum();
        assert_eq!(body["summary"]["total"], rows_total, "{g}: summary = rows");
        assert_eq!(body["summary"]["total"], summary.total, "{g}");
        let from_store = app
            .store
            .reach_summary(SLUG, &filter)
            .await
            .expect("summary")
            .expect("campaign");
        assert_eq!(from_store.total, rows_total, "{g}: reach_summary = rows");
        let api_csv = app
            .reach_api(
                SLUG,
                &format!("{query}&group_by={g}&format=csv"),
                Some(&token),
                None,
            )
            .await;
        let staff_csv = app.reach_download(SLUG, g, &query, Some(&session)).await;
        for (form, res) in [("API CSV", api_csv), ("staff CSV", staff_csv)] {
            let (header, records) = csv_body(res).await;
            assert_eq!(
                csv_totals(group, &header, &records),
                expected.clone(),
                "{g} {form} for {query}"
            );
        }
    }
}

/// A generated history gives the same totals through the API's JSON, its CSV, the staff
/// download and the events themselves, for every grouping and a random filter.
#[test]
fn a_generated_history_agrees_through_every_form() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let config = ProptestConfig {
        cases: 10,
        max_shrink_iters: 16,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    runner
        .run(&any_case(), |case| {
            runtime.block_on(check(case));
            Ok(())
        })
        .expect("every form agrees");
}

#[tokio::test]
async fn the_staff_download_is_for_organisers_and_up() {
    let app = spawn_app().await;
    let staff = service(&app);
    for role in [Role::Organiser, Role::Editor, Role::Admin] {
        let email = format!("{}@example.org", role.as_str());
        person(&staff, &email, role).await;
        let who = sign_in(&staff, &email).await;
        let res = app.reach_download(SLUG, "state", "", Some(&who)).await;
        let (header, records) = csv_body(res).await;
        assert_eq!(header[0], "state");
        assert!(records.is_empty());
    }
}

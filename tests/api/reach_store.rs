//! The reach reports' one query builder, on the configured database: every grouping, the
//! summary, the paged legislator table and the stream agree with each other and with the events
//! counted; the template version and chamber are part of what is counted.

use advocate::directory::Chamber;
use advocate::domain::StateCode;
use advocate::stats::reach::{GroupBy, Page, ReachFilter, ReachKey, ReachParams, SortKey};
use advocate::stats::Channel;
use advocate::store::CountEvent;
use advocate_test_support::{spawn_app, SLUG};
use chrono::{Duration, TimeZone, Utc};
use futures_util::StreamExt;
use std::str::FromStr;

fn event(
    state: &str,
    who: &str,
    chamber: Chamber,
    channel: Channel,
    version: i64,
    n: i64,
    days_ago: i64,
) -> CountEvent {
    let noon = Utc
        .with_ymd_and_hms(2026, 11, 30, 12, 0, 0)
        .single()
        .expect("time");
    CountEvent {
        state: StateCode::parse(state).expect("state"),
        legislator_id: who.into(),
        chamber,
        channel,
        template_version: version,
        n,
        at: noon - Duration::days(days_ago),
    }
}

#[tokio::test]
async fn every_grouping_sums_to_the_summary_and_filters_narrow() {
    let app = spawn_app().await;
    let events = vec![
        event("MA", "ma-1", Chamber::StateUpper, Channel::Sent, 1, 3, 0),
        event("MA", "ma-1", Chamber::StateUpper, Channel::Sent, 2, 1, 0),
        event(
            "MA",
            "ma-2",
            Chamber::StateLower,
            Channel::DraftEmail,
            2,
            2,
            1,
        ),
        event(
            "MO",
            "bioguide:X1",
            Chamber::UsHouse,
            Channel::ContactForm,
            1,
            4,
            2,
        ),
        event(
            "MO",
            "bioguide:X1",
            Chamber::UsHouse,
            Channel::ContactForm,
            1,
            1,
            40,
        ),
    ];
    assert!(app
        .store
        .count_messages(SLUG, &events)
        .await
        .expect("count"));
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("day");
    let filter = ReachFilter::parse(&ReachParams::default(), today).expect("default");

    let summary = app
        .store
        .reach_summary(SLUG, &filter)
        .await
        .expect("summary")
        .expect("campaign");
    assert_eq!(
        summary.total, 10,
        "the 40-day-old count is outside the last 30 days"
    );
    assert_eq!(summary.offices, Some(3));
    assert_eq!(
        (
            summary.counts.sent,
            summary.counts.draft_email,
            summary.counts.contact_form
        ),
        (4, 2, 4)
    );
    for group in GroupBy::ALL {
        let rows = app
            .store
            .reach(SLUG, &filter, group, None)
            .await
            .expect("reach")
            .expect("campaign");
        assert_eq!(rows.iter().map(|r| r.total).sum::<i64>(), 10, "{group:?}");
        let streamed: Vec<_> = app
            .store
            .reach_stream(SLUG, &filter, group)
            .await
            .expect("stream")
            .expect("campaign")
            .collect()
            .await;
        let streamed: Vec<_> = streamed.into_iter().map(|r| r.expect("row")).collect();
        assert_eq!(streamed, rows, "{group:?}: the stream gives the same rows");
    }
    let versions = app
        .store
        .reach(SLUG, &filter, GroupBy::TemplateVersion, None)
        .await
        .expect("reach")
        .expect("campaign");
    let keyed: Vec<_> = versions
        .iter()
        .map(|r| match &r.key {
            ReachKey::TemplateVersion {
                audience,
                template_version,
            } => (audience.map(|a| a.as_str()), *template_version, r.total),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        keyed,
        vec![
            (Some("federal"), 1, 4),
            (Some("state"), 1, 3),
            (Some("state"), 2, 3)
        ]
    );

    let narrowed = ReachFilter::parse(
        &ReachParams {
            range: Some("all".into()),
            chamber: Some("us_house".into()),
            ..Default::default()
        },
        today,
    )
    .expect("filter");
    let by_day = app
        .store
        .reach(SLUG, &narrowed, GroupBy::Day, None)
        .await
        .expect("reach")
        .expect("campaign");
    assert_eq!(by_day.len(), 2);
    assert_eq!(by_day.iter().map(|r| r.total).sum::<i64>(), 5);

    let page = Page {
        sort: SortKey::Office,
        descending: false,
        page: 1,
    };
    let offices = app
        .store
        .reach(SLUG, &filter, GroupBy::Legislator, Some(page))
        .await
        .expect("reach")
        .expect("campaign");
    let ids: Vec<_> = offices
        .iter()
        .map(|r| match &r.key {
            ReachKey::Legislator {
                legislator_id,
                chamber,
                ..
            } => (legislator_id.as_str(), *chamber),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        ids,
        vec![
            ("bioguide:X1", Some(Chamber::UsHouse)),
            ("ma-1", Some(Chamber::StateUpper)),
            ("ma-2", Some(Chamber::StateLower)),
        ]
    );
    let second = Page { page: 2, ..page };
    assert!(app
        .store
        .reach(SLUG, &filter, GroupBy::Legislator, Some(second))
        .await
        .expect("reach")
        .expect("campaign")
        .is_empty());
    assert!(app
        .store
        .reach_summary("nope", &filter)
        .await
        .expect("summary")
        .is_none());

    let since = Utc
        .with_ymd_and_hms(2026, 11, 30, 0, 0, 0)
        .single()
        .expect("time");
    assert_eq!(
        app.store.messages_since(SLUG, since).await.expect("since"),
        Some(4),
        "the hourly totals count today's messages"
    );
}

/// Migration 0010 keeps the counts made before it: template version 0, the chamber taken from
/// the directory where the office is there (`unknown` otherwise), and the office's name recorded.
#[tokio::test]
async fn counts_made_before_template_versions_were_recorded_are_kept() {
    use sqlx::migrate::Migrator;
    let (url, _dir) = advocate_test_support::fresh_database_url().await;
    let backend = if url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let full = Migrator::new(dir.clone()).await.expect("migrations");
    let mut before = Migrator::new(dir).await.expect("migrations");
    before.migrations = full
        .migrations
        .iter()
        .filter(|m| m.version < 10)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let seed = [
        "INSERT INTO campaigns (slug, title, organisation, summary, url, updated_at) \
         VALUES ('c', 'C', 'O', '', 'https://example.org', '2026-11-01T00:00:00Z')",
        "INSERT INTO directory_legislators (id, name, given_name, family_name, title, chamber, \
         state, district, division_id, source, synced_at) VALUES ('ocd-person/1', 'Ann Lee', \
         'Ann', 'Lee', 'State Senator', 'state_upper', 'MA', '1st Middlesex', 'd', 's', \
         '2026-11-01T00:00:00Z')",
        "INSERT INTO message_counts (campaign_id, state, legislator_id, day, channel, count) \
         SELECT id, 'MA', 'ocd-person/1', '2026-11-01', 'sent', 4 FROM campaigns",
        "INSERT INTO message_counts (campaign_id, state, legislator_id, day, channel, count) \
         SELECT id, 'MA', 'gone', '2026-11-02', 'draft_email', 2 FROM campaigns",
    ];
    let rows: Vec<(String, String, i64, i64)> = match backend {
        "postgres" => {
            let pool = sqlx::PgPool::connect(&url).await.expect("connect");
            before.run(&pool).await.expect("up to 0009");
            for sql in seed {
                sqlx::query(sql).execute(&pool).await.expect(sql);
            }
            full.run(&pool).await.expect("0010");
            sqlx::query_as(
                "SELECT legislator_id, chamber, template_version, count FROM message_counts \
                 ORDER BY legislator_id",
            )
            .fetch_all(&pool)
            .await
            .expect("rows")
        }
        _ => {
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
                .expect("url")
                .create_if_missing(true);
            let pool = sqlx::SqlitePool::connect_with(options)
                .await
                .expect("connect");
            before.run(&pool).await.expect("up to 0009");
            for sql in seed {
                sqlx::query(sql).execute(&pool).await.expect(sql);
            }
            full.run(&pool).await.expect("0010");
            sqlx::query_as(
                "SELECT legislator_id, chamber, template_version, count FROM message_counts \
                 ORDER BY legislator_id",
            )
            .fetch_all(&pool)
            .await
            .expect("rows")
        }
    };
    assert_eq!(
        rows,
        vec![
            ("gone".into(), "unknown".into(), 0, 2),
            ("ocd-person/1".into(), "state_upper".into(), 0, 4),
        ]
    );
}

/// Random counts over four months and a random range and filter: every grouping read through the
/// roll-ups (whole months, partial months from the daily rows, the per-day chart) sums to what
/// was counted in that range.
#[test]
fn any_range_reads_what_was_counted_in_it() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let offices = [
        ("MA", "ma-1", Chamber::StateUpper),
        ("MA", "ma-2", Chamber::StateLower),
        ("MA", "bioguide:M1", Chamber::UsSenate),
        ("MO", "mo-1", Chamber::StateLower),
        ("MO", "bioguide:X1", Chamber::UsHouse),
    ];
    let events = proptest::collection::vec(
        (0..offices.len(), 0..3usize, 0i64..3, 1i64..4, 0i64..120),
        1..40,
    );
    let range = (
        0i64..125,
        0i64..125,
        proptest::option::of(0..offices.len()),
        any::<bool>(),
    );
    let mut runner = TestRunner::new(Config {
        cases: 10,
        failure_persistence: None,
        ..Config::default()
    });
    let last = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("day");
    runner
        .run(&(events, range), |(events, (a, b, state_of, all_time))| {
            let made: Vec<CountEvent> = events
                .iter()
                .map(|&(o, ch, v, n, ago)| {
                    let (state, who, chamber) = offices[o];
                    event(state, who, chamber, Channel::ALL[ch], v, n, ago)
                })
                .collect();
            let from = if all_time {
                None
            } else {
                Some(last - Duration::days(a.max(b)))
            };
            let to = last - Duration::days(a.min(b));
            let state = state_of.map(|o| offices[o].0);
            let expected: i64 = made
                .iter()
                .filter(|e| {
                    let day = e.at.date_naive();
                    from.is_none_or(|f| day >= f)
                        && day <= to
                        && state.is_none_or(|s| e.state.as_str() == s)
                })
                .map(|e| e.n)
                .sum();
            let filter = ReachFilter::parse(
                &ReachParams {
                    from: from.map(|d| d.to_string()),
                    to: Some(to.to_string()),
                    state: state.map(str::to_string),
                    ..Default::default()
                },
                last,
            )
            .expect("filter");
            runtime.block_on(async {
                let app = spawn_app().await;
                assert!(app.store.count_messages(SLUG, &made).await.expect("count"));
                let summary = app
                    .store
                    .reach_summary(SLUG, &filter)
                    .await
                    .expect("summary")
                    .expect("campaign");
                assert_eq!(summary.total, expected, "summary of {filter:?}");
                let totals = app
                    .store
                    .reach_totals(SLUG, &filter)
                    .await
                    .expect("totals")
                    .expect("campaign");
                assert_eq!(
                    (totals.counts, totals.total, totals.offices),
                    (summary.counts, summary.total, None),
                    "totals of {filter:?}"
                );
                for group in GroupBy::ALL {
                    let rows = app
                        .store
                        .reach(SLUG, &filter, group, None)
                        .await
                        .expect("reach")
                        .expect("campaign");
                    let sum: i64 = rows.iter().map(|r| r.total).sum();
                    assert_eq!(sum, expected, "{group:?} of {filter:?}");
                }
            });
            Ok(())
        })
        .expect("every range adds up");
}

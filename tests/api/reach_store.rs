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
    assert_eq!(summary.offices, 3);
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

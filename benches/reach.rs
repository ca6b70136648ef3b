//! The organisers' dashboard over a campaign with a million count rows, on SQLite and on
//! PostgreSQL: render time of `/staff/campaigns/{slug}/reach` (the default 30 days, and all
//! time) beside the staff home page (same session and middleware, no report) measured in the
//! same run, and what each of the dashboard's queries costs alone.
//!
//! Run with `scripts/bench` (or `cargo bench --bench reach`). The rows are made by one SQL
//! statement per database (365 days × 920 offices × 3 channels = 1,007,400 rows); every loop is
//! bounded in count, all traffic stays on loopback.

use advocate::staff::Role;
use advocate::stats::reach::{GroupBy, Page, ReachFilter, ReachParams};
use advocate::store::Store;
use advocate_test_support::figures::median;
use advocate_test_support::staff::signed_in;
use advocate_test_support::{drop_databases, spawn_app, TestApp, SLUG};
use std::time::Instant;

const BACKENDS: [&str; 2] = ["sqlite", "postgres"];
const DAYS: i64 = 365;
const OFFICES: i64 = 920;
/// Timed requests per figure (after one untimed warm-up).
const RUNS: usize = 9;
/// The goal: the dashboard renders in under this many milliseconds.
const GOAL_MS: f64 = 300.0;

const STATES: &str = "ALAKAZARCACOCTDEFLGAHIIDILINIAKSKYLAMEMDMAMIMNMSMOMTNENVNHNJNMNYNCNDOHOKORPARISCSDTNTXUTVTVAWAWVWIWY";

#[tokio::main]
async fn main() {
    let mut urls = Vec::new();
    let mut lines = Vec::new();
    for backend in BACKENDS {
        // The support crate picks the backend of each new database from this variable.
        std::env::set_var("ADVOCATE_TEST_DATABASE", backend);
        let app = spawn_app().await;
        urls.push(app.db_url.clone());
        let seeded = Instant::now();
        let rows = seed(&app).await;
        eprintln!(
            "{backend}: {rows} count rows made in {:.1} s",
            seeded.elapsed().as_secs_f64()
        );
        lines.extend(measure(backend, &app).await);
    }
    println!("\nDashboard over {DAYS} days x {OFFICES} offices x 3 channels (medians of {RUNS}):");
    for line in lines {
        println!("{line}");
    }
    let refs: Vec<&str> = urls.iter().map(String::as_str).collect();
    drop_databases(&refs).await;
}

/// Makes the count rows (and the offices they name) ending today; returns how many rows.
async fn seed(app: &TestApp) -> i64 {
    let start = chrono::Utc::now().date_naive() - chrono::Duration::days(DAYS - 1);
    match &app.store {
        Store::Sqlite(pool) => {
            sqlx::query(&format!(
                "INSERT INTO message_counts (campaign_id, state, legislator_id, day, channel, \
                 template_version, chamber, count) \
                 WITH RECURSIVE d(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < {days}), \
                 o(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM o WHERE n < {offices}), \
                 ch(c) AS (VALUES ('sent'), ('draft_email'), ('contact_form')) \
                 SELECT (SELECT id FROM campaigns WHERE slug = $1), \
                 substr($2, 1 + (o.n % 50) * 2, 2), 'office-' || o.n, \
                 date($3, '+' || d.n || ' days'), ch.c, CASE WHEN d.n < 180 THEN 1 ELSE 2 END, \
                 CASE o.n % 4 WHEN 0 THEN 'state_upper' WHEN 1 THEN 'state_lower' \
                 WHEN 2 THEN 'us_house' ELSE 'us_senate' END, 1 + (d.n * 7 + o.n) % 5 \
                 FROM d, o, ch",
                days = DAYS - 1,
                offices = OFFICES - 1
            ))
            .bind(SLUG)
            .bind(STATES)
            .bind(start.to_string())
            .execute(pool)
            .await
            .expect("seed counts");
            sqlx::query(&format!(
                "INSERT INTO reach_offices (legislator_id, state, chamber, district, name, title, seen_at) \
                 WITH RECURSIVE o(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM o WHERE n < {offices}) \
                 SELECT 'office-' || o.n, substr($1, 1 + (o.n % 50) * 2, 2), \
                 CASE o.n % 4 WHEN 0 THEN 'state_upper' WHEN 1 THEN 'state_lower' \
                 WHEN 2 THEN 'us_house' ELSE 'us_senate' END, CAST(1 + o.n / 50 AS TEXT), \
                 'Office ' || o.n, 'Legislator', 0 FROM o",
                offices = OFFICES - 1
            ))
            .bind(STATES)
            .execute(pool)
            .await
            .expect("seed offices");
            sqlx::query("ANALYZE").execute(pool).await.expect("analyze");
            sqlx::query_scalar("SELECT COUNT(*) FROM message_counts")
                .fetch_one(pool)
                .await
                .expect("count")
        }
        Store::Postgres(pool) => {
            sqlx::query(
                "INSERT INTO message_counts (campaign_id, state, legislator_id, day, channel, \
                 template_version, chamber, count) \
                 SELECT c.id, substr($2, 1 + (o % 50) * 2, 2), 'office-' || o, $3::date + d, ch, \
                 CASE WHEN d < 180 THEN 1 ELSE 2 END, \
                 (ARRAY['state_upper', 'state_lower', 'us_house', 'us_senate'])[1 + o % 4], \
                 1 + (d * 7 + o) % 5 \
                 FROM campaigns c, generate_series(0, $4) d, generate_series(0, $5) o, \
                 unnest(ARRAY['sent', 'draft_email', 'contact_form']) ch WHERE c.slug = $1",
            )
            .bind(SLUG)
            .bind(STATES)
            .bind(start)
            .bind((DAYS - 1) as i32)
            .bind((OFFICES - 1) as i32)
            .execute(pool)
            .await
            .expect("seed counts");
            sqlx::query(
                "INSERT INTO reach_offices (legislator_id, state, chamber, district, name, title, seen_at) \
                 SELECT 'office-' || o, substr($1, 1 + (o % 50) * 2, 2), \
                 (ARRAY['state_upper', 'state_lower', 'us_house', 'us_senate'])[1 + o % 4], \
                 CAST(1 + o / 50 AS TEXT), 'Office ' || o, 'Legislator', 0 \
                 FROM generate_series(0, $2) o",
            )
            .bind(STATES)
            .bind((OFFICES - 1) as i32)
            .execute(pool)
            .await
            .expect("seed offices");
            sqlx::query("ANALYZE").execute(pool).await.expect("analyze");
            sqlx::query_scalar("SELECT COUNT(*) FROM message_counts")
                .fetch_one(pool)
                .await
                .expect("count")
        }
    }
}

/// Median milliseconds of `RUNS` runs of `f` (after one warm-up).
async fn time_ms<F, Fut>(mut f: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    f().await;
    let mut runs = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        f().await;
        runs.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    median(runs)
}

async fn measure(backend: &str, app: &TestApp) -> Vec<String> {
    let (_, who) = signed_in(app, "organiser@example.org", Role::Organiser).await;
    let page = |path: String| {
        let who = who.clone();
        async move {
            let res = app.staff_get(&path, Some(&who)).await;
            let status = res.status().as_u16();
            let body = res.text().await.unwrap_or_default();
            assert_eq!(status, 200, "{path}: {status}");
            assert!(body.len() > 100, "{path}: a page");
        }
    };
    let today = chrono::Utc::now().date_naive();
    let all = ReachFilter::parse(
        &ReachParams {
            range: Some("all".into()),
            ..Default::default()
        },
        today,
    )
    .expect("filter");
    let mut parts = Vec::new();
    for group in GroupBy::ALL {
        let paged = (group == GroupBy::Legislator).then(Page::default);
        let ms = time_ms(|| async {
            app.store
                .reach(SLUG, &all, group, paged)
                .await
                .expect("reach")
                .expect("campaign");
        })
        .await;
        parts.push(format!("{} {ms:.0}", group.as_str()));
    }
    let summary = time_ms(|| async {
        app.store
            .reach_summary(SLUG, &all)
            .await
            .expect("summary")
            .expect("campaign");
    })
    .await;
    parts.push(format!("summary {summary:.0}"));

    eprintln!(
        "{backend}: queries alone, all time (ms): {}",
        parts.join(", ")
    );
    let home = time_ms(|| page("/staff".to_string())).await;
    let base = format!("/staff/campaigns/{SLUG}/reach");
    let dashboard_30 = time_ms(|| page(base.clone())).await;
    let dashboard_all = time_ms(|| page(format!("{base}?range=all"))).await;
    let dashboard_state = time_ms(|| page(format!("{base}?range=all&state=MA"))).await;

    let verdict = |ms: f64| if ms < GOAL_MS { "met" } else { "NOT met" };
    vec![
        format!("  {backend:<9} staff home (baseline)          {home:>8.1} ms"),
        format!(
            "  {backend:<9} dashboard, last 30 days        {dashboard_30:>8.1} ms  ({:.1}x the baseline; goal < {GOAL_MS:.0} ms: {})",
            dashboard_30 / home,
            verdict(dashboard_30)
        ),
        format!(
            "  {backend:<9} dashboard, all time (1M rows)  {dashboard_all:>8.1} ms  ({:.1}x the baseline; goal < {GOAL_MS:.0} ms: {})",
            dashboard_all / home,
            verdict(dashboard_all)
        ),
        format!(
            "  {backend:<9} dashboard, all time, one state {dashboard_state:>8.1} ms  (goal < {GOAL_MS:.0} ms: {})",
            verdict(dashboard_state)
        ),
        format!("  {backend:<9} queries alone, all time (ms): {}", parts.join(", ")),
    ]
}

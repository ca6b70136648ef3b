//! Browser tests: the real pages in headless Chromium (Debian's chromium and chromium-driver,
//! which `scripts/test` installs), checked with axe-core (pinned in tests/browser/package.json)
//! and by using them as a person would: clicking the map, tabbing, a phone-sized window.
//!
//! Each test starts its own app (a fresh database of the backend `ADVOCATE_TEST_DATABASE`
//! names, as `spawn_app` gives: `scripts/test` runs them all on SQLite and the staff workspace's,
//! [`staff`], on PostgreSQL too), chromedriver and Chromium. Screenshots of the main pages go to
//! `target/screenshots/`.

mod compose;
mod driver;
mod staff;

use advocate_test_support::{census_boston, spawn_app, spawn_app_with};
use driver::{click_to_navigate, screenshot_dir, within, Browser, WAIT};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use serde_json::{json, Value};
use std::future::Future;
use std::time::{Duration, Instant};

/// The pages every accessibility check covers: the home page, a state with legislation, a state
/// without, and the 404 page.
const PAGES: [&str; 4] = ["/", "/states/MA", "/states/WY", "/states/XX"];

/// No browser test may run longer than this, whatever hangs.
async fn bounded(test: impl Future<Output = ()>) {
    let limit = Duration::from_secs(240);
    if tokio::time::timeout(limit, test).await.is_err() {
        panic!("browser test did not finish within {limit:?}");
    }
}

fn lower_words(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[tokio::test]
async fn pages_have_no_serious_or_critical_accessibility_violations() {
    bounded(async {
        let app = spawn_app().await;
        let browser = Browser::start().await;
        let mut serious = Vec::new();
        for (width, height) in [(1280, 900), (375, 800)] {
            browser.viewport(width, height).await;
            for path in PAGES {
                browser.open(&app.url(path)).await;
                let report = browser.axe().await;
                let review = if report.incomplete.is_empty() {
                    "none".to_string()
                } else {
                    report.incomplete.join(", ")
                };
                println!(
                    "axe {path:<11} at {width}x{height}: {} ({} rules passed; for a person to \
                     check: {review})",
                    report.by_impact(),
                    report.passes
                );
                for violation in &report.violations {
                    println!("    {violation}");
                    if violation.is_serious() {
                        serious.push(format!("{path} at {width}x{height}: {violation}"));
                    }
                }
            }
        }
        browser.close().await;
        assert!(
            serious.is_empty(),
            "axe-core found serious or critical accessibility violations:\n{}",
            serious.join("\n")
        );
    })
    .await
}

#[tokio::test]
async fn map_tiles_are_named_links_that_open_the_state_page() {
    bounded(async {
        let app = spawn_app().await;
        let browser = Browser::start().await;
        browser.viewport(1280, 900).await;
        browser.open(&app.url("/")).await;

        let tiles = browser.find_all("svg a").await;
        assert!(!tiles.is_empty(), "the home page map has no links (svg a)");
        let mut unnamed = Vec::new();
        for tile in &tiles {
            let name = browser.accessible_name(tile).await;
            if name.trim().is_empty() {
                let href = within("read href", tile.attr("href")).await;
                unnamed.push(href.unwrap_or_else(|| "(no href)".into()));
            }
        }
        assert!(
            unnamed.is_empty(),
            "map links without an accessible name: {unnamed:?}"
        );
        println!("map: {} state links, all named", tiles.len());

        let ma = browser.find(r#"svg a[href="/states/ma" i]"#).await;
        let name = browser.accessible_name(&ma).await;
        assert!(
            name.contains("Massachusetts"),
            "Massachusetts' tile is named {name:?}"
        );
        println!("map: Massachusetts' tile is named {name:?}");

        browser.click("Massachusetts' tile", &ma).await;
        let started = Instant::now();
        loop {
            let url = within("read the URL", browser.client.current_url()).await;
            if url.path().eq_ignore_ascii_case("/states/ma") {
                break;
            }
            assert!(
                started.elapsed() < WAIT,
                "clicking Massachusetts' tile did not open /states/ma (still at {url})"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        browser.wait_loaded("Massachusetts' page").await;

        let shown = browser.js("return document.body.innerText").await;
        let shown = lower_words(shown.as_str().unwrap_or_default());
        assert!(
            shown.contains("massachusetts"),
            "Massachusetts' page does not show its name:\n{shown}"
        );
        let summary = "end 3/4, start 1/5";
        if !shown.contains(summary) {
            let all = browser.js("return document.body.textContent").await;
            let hidden = lower_words(all.as_str().unwrap_or_default()).contains(summary);
            panic!(
                "Massachusetts' page does not show {summary:?}{}; its text:\n{shown}",
                if hidden {
                    " (it is in the page, but not visible)"
                } else {
                    ""
                }
            );
        }
        browser.close().await;
    })
    .await
}

#[tokio::test]
async fn the_first_tab_focuses_a_visible_skip_link_that_works() {
    bounded(async {
        let app = spawn_app().await;
        let browser = Browser::start().await;
        browser.viewport(1280, 900).await;
        browser.open(&app.url("/")).await;

        let tab: char = Key::Tab.into();
        within(
            "press Tab",
            browser.client.perform_actions(
                KeyActions::new("keyboard".to_string())
                    .then(KeyAction::Down { value: tab })
                    .then(KeyAction::Up { value: tab }),
            ),
        )
        .await;
        let focused = browser
            .js(r#"
                const a = document.activeElement;
                const r = a.getBoundingClientRect();
                const href = a.getAttribute('href') || '';
                return {
                    tag: a.tagName.toLowerCase(),
                    href,
                    text: (a.textContent || '').trim(),
                    target_exists: href.startsWith('#') && !!document.getElementById(href.slice(1)),
                    rect: [r.left, r.top, r.width, r.height],
                    inner: [window.innerWidth, window.innerHeight],
                };
            "#)
            .await;
        println!("first Tab focuses {focused}");
        let text = focused["text"].as_str().unwrap_or_default().to_lowercase();
        let href = focused["href"].as_str().unwrap_or_default().to_string();
        assert!(
            focused["tag"] == "a" && href.starts_with('#') && text.contains("skip"),
            "the first Tab should focus the skip link, but focused {focused}"
        );
        assert_eq!(
            focused["target_exists"],
            json!(true),
            "the skip link points at {href}, which is not on the page"
        );
        let num = |v: &Value| v.as_f64().unwrap_or(-1.0);
        let rect = &focused["rect"];
        let inner = &focused["inner"];
        assert!(
            num(&rect[2]) >= 1.0
                && num(&rect[3]) >= 1.0
                && num(&rect[0]) >= 0.0
                && num(&rect[1]) >= 0.0
                && num(&rect[0]) < num(&inner[0])
                && num(&rect[1]) < num(&inner[1]),
            "the focused skip link is not visible on screen: {focused}"
        );

        let enter: char = Key::Enter.into();
        within(
            "press Enter",
            browser.client.perform_actions(
                KeyActions::new("keyboard".to_string())
                    .then(KeyAction::Down { value: enter })
                    .then(KeyAction::Up { value: enter }),
            ),
        )
        .await;
        let after = browser
            .js("return {hash: location.hash, focused: document.activeElement.id || document.activeElement.tagName}")
            .await;
        assert_eq!(
            after["hash"].as_str(),
            Some(href.as_str()),
            "Enter on the skip link did not follow it: {after}"
        );
        println!("skip link followed: {after}");
        browser.close().await;
    })
    .await
}

#[tokio::test]
async fn the_home_page_does_not_scroll_sideways_on_a_phone() {
    bounded(async {
        let app = spawn_app().await;
        let browser = Browser::start().await;
        browser.viewport(375, 800).await;
        browser.open(&app.url("/")).await;
        let measured = browser.js(MEASURE_OVERFLOW).await;
        println!("home at 375x800: {measured}");
        let inner = measured["inner_width"].as_f64().unwrap_or(0.0);
        assert!(
            (300.0..=400.0).contains(&inner),
            "could not make the viewport phone-sized: innerWidth is {inner}"
        );
        let body = measured["body_scroll_width"].as_f64().unwrap_or(f64::MAX);
        assert!(
            body <= inner + 1.0,
            "the home page scrolls sideways at 375px: body.scrollWidth {body} > innerWidth \
             {inner}; widest elements outside a scrolling box: {}",
            measured["culprits"]
        );

        // Not asserted (only the home page is required to fit), but worth knowing.
        browser.open(&app.url("/states/MA")).await;
        let state = browser.js(MEASURE_OVERFLOW).await;
        println!("/states/MA at 375x800 (informational): {state}");
        browser.close().await;
    })
    .await
}

/// Page width against viewport width, and the elements that stick out past the viewport
/// without a scrolling box of their own around them.
const MEASURE_OVERFLOW: &str = r#"
const inner = window.innerWidth;
const scrolls = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const o = getComputedStyle(p).overflowX;
        if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') return true;
    }
    return false;
};
const describe = (el) => el.tagName.toLowerCase()
    + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className.trim()
        ? '.' + el.className.trim().split(/\s+/).join('.') : '');
const culprits = [];
for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > inner + 1 && !scrolls(el)) {
        culprits.push(describe(el) + ' (right edge ' + Math.round(r.right) + ')');
        if (culprits.length >= 8) break;
    }
}
return {
    inner_width: inner,
    body_scroll_width: document.body.scrollWidth,
    document_scroll_width: document.documentElement.scrollWidth,
    culprits,
};
"#;

#[tokio::test]
async fn screenshots_of_the_main_pages() {
    bounded(async {
        let app = spawn_app().await;
        let browser = Browser::start().await;
        let dir = screenshot_dir();
        for (width, height) in [(1280, 900), (375, 800)] {
            for (name, path) in [("home", "/"), ("state-ma", "/states/MA")] {
                browser.viewport(width, height).await;
                browser.open(&app.url(path)).await;
                let png = browser.screenshot().await;
                assert!(
                    png.starts_with(b"\x89PNG"),
                    "screenshot of {path} is not a PNG"
                );
                let file = dir.join(format!("{name}-{width}x{height}.png"));
                std::fs::write(&file, &png).expect("write screenshot");
                println!("screenshot: {}", file.display());

                // The whole page, for a person to look over: the window made as tall as the
                // page plus the window's own frame (exactness does not matter here).
                let size = browser
                    .js(r#"return [
                        Math.ceil(document.documentElement.scrollHeight),
                        Math.max(0, window.outerHeight - window.innerHeight),
                    ]"#)
                    .await;
                let page = size[0].as_u64().unwrap_or(u64::from(height));
                let frame = size[1].as_u64().unwrap_or_default();
                let full = (page + frame).clamp(u64::from(height), 12_000) as u32;
                within(
                    "resize the window to the whole page",
                    browser.client.set_window_size(width, full),
                )
                .await;
                let png = browser.screenshot().await;
                let file = dir.join(format!("{name}-{width}-full.png"));
                std::fs::write(&file, &png).expect("write screenshot");
                println!("screenshot: {}", file.display());
            }
        }
        browser.close().await;
    })
    .await
}

/// Two matches in different districts: the supporter must choose.
fn census_two_matches() -> Value {
    let one = |house: &str, street: &str| {
        json!({
            "matchedAddress": street,
            "coordinates": {"x": -71.1, "y": 42.37},
            "addressComponents": {"zip": "02139", "state": "MA"},
            "geographies": {
                "States": [{"GEOID": "25", "STUSAB": "MA"}],
                "119th Congressional Districts": [{"GEOID": "2507"}],
                "2024 State Legislative Districts - Upper": [{"GEOID": "25D28"}],
                "2024 State Legislative Districts - Lower": [{"GEOID": house}]
            }
        })
    };
    json!({"result": {"input": {}, "addressMatches": [
        one("25130", "1 MAIN ST, CAMBRIDGE, MA, 02139"),
        one("25125", "1 MAIN ST, BOSTON, MA, 02139")
    ]}})
}

#[tokio::test]
async fn the_lookup_flow_works_and_is_accessible_in_the_browser() {
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    bounded(async {
        let census = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/geographies/onelineaddress"))
            .and(query_param("address", "1 Main St, 02139"))
            .respond_with(ResponseTemplate::new(200).set_body_json(census_two_matches()))
            .mount(&census)
            .await;
        Mock::given(method("GET"))
            .and(path("/geographies/onelineaddress"))
            .respond_with(ResponseTemplate::new(200).set_body_json(census_boston()))
            .mount(&census)
            .await;
        let app = spawn_app_with(&[("ADVOCATE__CIVIC__CENSUS_URL", &census.uri())]).await;
        app.import_full_directory().await;

        let browser = Browser::start().await;
        browser.viewport(1280, 900).await;
        let mut serious = Vec::new();
        let mut check = |page: &str, report: driver::AxeReport| {
            println!("axe {page:<22}: {}", report.by_impact());
            for violation in &report.violations {
                println!("    {violation}");
                if violation.is_serious() {
                    serious.push(format!("{page}: {violation}"));
                }
            }
        };

        // The form, filled in and sent as a person would.
        browser.open(&app.url("/act")).await;
        check("/act (form)", browser.axe().await);
        let field = browser.find("#address").await;
        within(
            "type the address",
            field.send_keys("24 Beacon St, Boston, MA 02133"),
        )
        .await;
        let submit = browser.find("form.lookup-form button[type=submit]").await;
        click_to_navigate(&browser, "Find my legislators", &submit).await;
        let shown = lower_words(
            browser
                .js("return document.body.innerText")
                .await
                .as_str()
                .unwrap_or_default(),
        );
        assert!(
            shown.contains("elizabeth warren"),
            "the answer lists the U.S. senators:\n{shown}"
        );
        assert!(shown.contains("your state legislators"), "{shown}");
        assert!(
            shown.contains("end 3/4, start 1/5"),
            "the state's scorecard is beside them"
        );
        check("/act (answer)", browser.axe().await);

        // An empty address: the error sits next to the field.
        browser.open(&app.url("/act?address=")).await;
        let error = browser.find("#address-error").await;
        let text = within("read the error", error.text()).await;
        assert!(
            text.contains("home address"),
            "error next to the field: {text:?}"
        );
        check("/act (error)", browser.axe().await);

        // An ambiguous address: choose-your-district, then the chosen answer.
        browser
            .open(&app.url("/act?address=1+Main+St%2C+02139"))
            .await;
        check("/act (choices)", browser.axe().await);
        let choices = browser.find_all(".choice-list a").await;
        assert_eq!(choices.len(), 2, "two districts to choose from");
        click_to_navigate(&browser, "the first choice", &choices[0]).await;
        let shown = lower_words(
            browser
                .js("return document.body.innerText")
                .await
                .as_str()
                .unwrap_or_default(),
        );
        assert!(
            shown.contains("your state legislators"),
            "after choosing: {shown}"
        );

        // A ZIP alone, and the choose-them-yourself page.
        browser.open(&app.url("/act?zip=02139")).await;
        check("/act (zip)", browser.axe().await);
        browser.open(&app.url("/act/choose?state=MA")).await;
        check("/act/choose", browser.axe().await);

        browser.close().await;
        assert!(
            serious.is_empty(),
            "axe-core found serious or critical accessibility violations:\n{}",
            serious.join("\n")
        );
    })
    .await
}

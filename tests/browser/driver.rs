//! A headless Chromium driven through chromedriver (WebDriver, over plain HTTP on loopback), and
//! axe-core injected into pages to check them for accessibility problems.
//!
//! Every wait is bounded ([`WAIT`]), so a broken browser fails the test instead of hanging it.

use crate::lower_words;
use fantoccini::wd::{TimeoutConfiguration, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde::Deserialize;
use serde_json::{json, Value};
use std::future::Future;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The longest any one browser operation may take.
pub const WAIT: Duration = Duration::from_secs(20);

const INSTALL_HINT: &str = "run `scripts/test` once (it installs Debian's chromium and \
     chromium-driver), or point ADVOCATE_CHROMEDRIVER / ADVOCATE_CHROMIUM at the binaries";

/// Runs `fut`, failing the test with `what` if it takes longer than [`WAIT`] or errs.
pub async fn within<T, E: std::fmt::Debug>(
    what: &str,
    fut: impl Future<Output = Result<T, E>>,
) -> T {
    match tokio::time::timeout(WAIT, fut).await {
        Ok(Ok(value)) => value,
        Ok(Err(e)) => panic!("{what}: {e:?}"),
        Err(_) => panic!("{what}: no answer within {WAIT:?}"),
    }
}

fn binary(env: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    assert!(
        path.is_file(),
        "{} not found at {} ({env}): {INSTALL_HINT}",
        Path::new(default)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(default),
        path.display()
    );
    path
}

/// The chromedriver process; killed when dropped.
struct ChromeDriver {
    child: Child,
    log: PathBuf,
}

impl ChromeDriver {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // chromedriver leads a process group of its own, which the Chromium it starts joins:
        // ending the group ends that Chromium too, even when a failed test never closed the
        // session (killing chromedriver alone would leave Chromium running).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh headless Chromium (own profile folder) in its own chromedriver.
pub struct Browser {
    pub client: Client,
    // Dropped after the client: the driver (and Chromium with it) dies, then the profile goes.
    driver: ChromeDriver,
    _profile: tempfile::TempDir,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl Browser {
    pub async fn start() -> Browser {
        let chromedriver = binary("ADVOCATE_CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = binary("ADVOCATE_CHROMIUM", "/usr/bin/chromium");
        let profile = tempfile::tempdir().expect("temp dir for the Chromium profile");
        let log = profile.path().join("chromedriver.log");
        let user_data = profile.path().join("user-data");

        let port = free_port();
        let log_file = std::fs::File::create(&log).expect("chromedriver log file");
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log file handle"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}; {INSTALL_HINT}", chromedriver.display()));
        let mut driver = ChromeDriver { child, log };

        // chromedriver is ready once it accepts connections on its port.
        let started = Instant::now();
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!(
                    "chromedriver exited ({status}) before listening:\n{}",
                    driver.log()
                );
            }
            if started.elapsed() > WAIT {
                panic!(
                    "chromedriver did not listen on port {port} within {WAIT:?}:\n{}",
                    driver.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-dev-shm-usage",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    format!("--user-data-dir={}", user_data.display()),
                ],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let connect = async {
            ClientBuilder::new(connector)
                .capabilities(caps)
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
        };
        let client = match tokio::time::timeout(WAIT, connect).await {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => panic!(
                "chromedriver could not start Chromium ({}): {e}\nchromedriver log:\n{}",
                chromium.display(),
                driver.log()
            ),
            Err(_) => panic!(
                "no WebDriver session within {WAIT:?}\nchromedriver log:\n{}",
                driver.log()
            ),
        };
        within(
            "set WebDriver timeouts",
            client.update_timeouts(TimeoutConfiguration::new(
                Some(WAIT),
                Some(WAIT),
                Some(Duration::ZERO),
            )),
        )
        .await;
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// Ends the session; Chromium and chromedriver go with it.
    pub async fn close(self) {
        let Browser {
            client,
            driver,
            _profile,
        } = self;
        let _ = tokio::time::timeout(WAIT, client.close()).await;
        drop(driver);
    }

    /// Makes the page's viewport `width` x `height` CSS pixels. Headless Chromium's window has a
    /// frame of its own, so the window is sized, measured, and sized again by the difference.
    pub async fn viewport(&self, width: u32, height: u32) {
        let mut window = (width, height);
        for _ in 0..3 {
            within(
                &format!("set window size {}x{}", window.0, window.1),
                self.client.set_window_size(window.0, window.1),
            )
            .await;
            let inner = self
                .js("return [window.innerWidth, window.innerHeight]")
                .await;
            let inner = (
                inner[0].as_i64().unwrap_or_default(),
                inner[1].as_i64().unwrap_or_default(),
            );
            if inner == (i64::from(width), i64::from(height)) {
                return;
            }
            let grow = |w: u32, want: u32, got: i64| {
                u32::try_from(i64::from(w) + i64::from(want) - got).unwrap_or(w)
            };
            window = (
                grow(window.0, width, inner.0),
                grow(window.1, height, inner.1),
            );
        }
        let inner = self
            .js("return [window.innerWidth, window.innerHeight]")
            .await;
        println!("note: asked for a {width}x{height} viewport, got {inner}");
    }

    /// Clicks `element` as a person would, after scrolling it to the middle of the viewport at
    /// once: WebDriver's own scroll-into-view races a page's `scroll-behavior: smooth`.
    pub async fn click(&self, what: &str, element: &fantoccini::elements::Element) {
        let element_json = serde_json::to_value(element).expect("element as JSON");
        self.js_with(
            "arguments[0].scrollIntoView({block: 'center', inline: 'center', behavior: 'instant'})",
            vec![element_json],
        )
        .await;
        within(&format!("click {what}"), element.click()).await;
    }

    /// Navigates to `url` and waits until the document has finished loading.
    pub async fn open(&self, url: &str) {
        within(&format!("navigate to {url}"), self.client.goto(url)).await;
        self.wait_loaded(url).await;
    }

    pub async fn wait_loaded(&self, what: &str) {
        let started = Instant::now();
        loop {
            let state = self.js("return document.readyState").await;
            if state == "complete" {
                return;
            }
            assert!(
                started.elapsed() < WAIT,
                "{what}: document.readyState still {state} after {WAIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs `script` (a function body) in the page and returns its value.
    pub async fn js(&self, script: &str) -> Value {
        within(
            &format!("execute script `{}`", short(script)),
            self.client.execute(script, vec![]),
        )
        .await
    }

    pub async fn js_with(&self, script: &str, args: Vec<Value>) -> Value {
        within(
            &format!("execute script `{}`", short(script)),
            self.client.execute(script, args),
        )
        .await
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        within(
            &format!("find `{css}`"),
            self.client.find(Locator::Css(css)),
        )
        .await
    }

    pub async fn find_all(&self, css: &str) -> Vec<fantoccini::elements::Element> {
        within(
            &format!("find all `{css}`"),
            self.client.find_all(Locator::Css(css)),
        )
        .await
    }

    /// The accessible name Chromium computes for `element` (WebDriver "Get Computed Label").
    pub async fn accessible_name(&self, element: &fantoccini::elements::Element) -> String {
        let cmd = ComputedLabel(element.element_id().to_string());
        let value = within("get computed label", self.client.issue_cmd(cmd)).await;
        match value {
            Value::String(s) => s,
            Value::Object(ref m) => m
                .get("value")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            _ => String::new(),
        }
    }

    /// The viewport as PNG.
    pub async fn screenshot(&self) -> Vec<u8> {
        within("take a screenshot", self.client.screenshot()).await
    }

    /// Injects axe-core (from tests/browser/node_modules) into the current page and runs it.
    pub async fn axe(&self) -> AxeReport {
        let source = std::fs::read_to_string(axe_path()).unwrap_or_else(|e| {
            panic!(
                "read {}: {e}; run `scripts/test` (it runs `npm ci` in tests/browser)",
                axe_path().display()
            )
        });
        // WebDriver scripts run outside the page's Content-Security-Policy, so the page's
        // `script-src 'self'` must not stop this; if it ever does, say so plainly.
        let injected = within(
            "inject axe-core",
            self.client
                .execute(&format!("{source}\n;return typeof window.axe;"), vec![]),
        )
        .await;
        assert_eq!(
            injected,
            json!("object"),
            "axe-core did not load into the page (blocked by its Content-Security-Policy?)"
        );
        let result = within("run axe-core", self.client.execute_async(AXE_RUN, vec![])).await;
        let outcome: AxeOutcome = serde_json::from_value(result.clone())
            .unwrap_or_else(|e| panic!("unexpected axe result {result}: {e}"));
        match outcome {
            AxeOutcome {
                error: Some(error), ..
            } => panic!("axe.run failed: {error}"),
            AxeOutcome {
                report: Some(report),
                ..
            } => report,
            _ => panic!("axe.run returned nothing: {result}"),
        }
    }
}

fn short(script: &str) -> String {
    let one_line = script.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 60 {
        format!("{}…", one_line.chars().take(60).collect::<String>())
    } else {
        one_line
    }
}

/// `GET /session/{id}/element/{id}/computedlabel`, which fantoccini has no method for.
#[derive(Debug)]
struct ComputedLabel(String);

impl WebDriverCompatibleCommand for ComputedLabel {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/element/{}/computedlabel",
            session_id.unwrap_or_default(),
            self.0
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::GET, None)
    }
}

pub fn axe_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/node_modules/axe-core/axe.min.js")
}

/// Where screenshots go: `target/screenshots` (or under CARGO_TARGET_DIR).
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("create the screenshot folder");
    dir
}

const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
const targets = (node) => node.target
    .map((t) => Array.isArray(t) ? t.join(' >>> ') : String(t));
window.axe.run(document, { resultTypes: ['violations'] }).then((r) => done({
    report: {
        violations: r.violations.map((v) => ({
            id: v.id,
            impact: v.impact || 'unknown',
            help: v.help,
            help_url: v.helpUrl,
            nodes: v.nodes.length,
            targets: v.nodes.slice(0, 5).map((n) => targets(n).join(' ')),
            summary: (v.nodes[0] && v.nodes[0].failureSummary) || '',
        })),
        incomplete: r.incomplete.map((v) => v.id),
        passes: r.passes.length,
    },
})).catch((e) => done({ error: String(e && e.stack || e) }));
"#;

#[derive(Debug, Deserialize)]
struct AxeOutcome {
    report: Option<AxeReport>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct AxeReport {
    pub violations: Vec<AxeViolation>,
    /// Rules axe could not decide (e.g. contrast over an image): for a person to check.
    pub incomplete: Vec<String>,
    /// How many rules passed.
    pub passes: usize,
}

#[derive(Debug, Deserialize)]
pub struct AxeViolation {
    pub id: String,
    pub impact: String,
    pub help: String,
    pub help_url: String,
    /// How many elements fail the rule.
    pub nodes: usize,
    /// Selectors of the first few of them.
    pub targets: Vec<String>,
    pub summary: String,
}

impl AxeViolation {
    pub fn is_serious(&self) -> bool {
        matches!(self.impact.as_str(), "serious" | "critical")
    }
}

impl std::fmt::Display for AxeViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{}] {}: {} ({} element{}; {})",
            self.impact,
            self.id,
            self.help,
            self.nodes,
            if self.nodes == 1 { "" } else { "s" },
            self.help_url
        )?;
        for target in &self.targets {
            write!(f, "\n      at {target}")?;
        }
        if !self.summary.is_empty() {
            for line in self.summary.lines() {
                write!(f, "\n      | {line}")?;
            }
        }
        Ok(())
    }
}

impl AxeReport {
    /// "0 critical, 0 serious, 1 moderate, 0 minor".
    pub fn by_impact(&self) -> String {
        let count = |impact: &str| {
            self.violations
                .iter()
                .filter(|v| v.impact == impact)
                .count()
        };
        let mut line = format!(
            "{} critical, {} serious, {} moderate, {} minor",
            count("critical"),
            count("serious"),
            count("moderate"),
            count("minor")
        );
        let other = self
            .violations
            .iter()
            .filter(|v| {
                !matches!(
                    v.impact.as_str(),
                    "critical" | "serious" | "moderate" | "minor"
                )
            })
            .count();
        if other > 0 {
            line.push_str(&format!(", {other} of unknown impact"));
        }
        line
    }
}

// ---- Using pages as a person would ------------------------------------------------------

/// The axe-core results of every page a test visits; serious and critical violations are
/// collected and asserted on at the end, so one run reports them all.
#[derive(Default)]
pub struct AxeLog {
    pub serious: Vec<String>,
}

impl AxeLog {
    pub async fn check(&mut self, browser: &Browser, page: &str) {
        let report = browser.axe().await;
        println!(
            "axe {page:<28}: {} ({} rules passed)",
            report.by_impact(),
            report.passes
        );
        for violation in &report.violations {
            println!("    {violation}");
            if violation.is_serious() {
                self.serious.push(format!("{page}: {violation}"));
            }
        }
    }

    pub fn assert_clean(&self) {
        assert!(
            self.serious.is_empty(),
            "axe-core found serious or critical accessibility violations:\n{}",
            self.serious.join("\n")
        );
    }
}

/// The page's visible text, lower-cased, whitespace collapsed.
pub async fn shown(browser: &Browser) -> String {
    lower_words(
        browser
            .js("return document.body.innerText")
            .await
            .as_str()
            .unwrap_or_default(),
    )
}

/// Waits until a page whose `h1` contains `want` has loaded (after a click that navigates).
pub async fn wait_for_heading(browser: &Browser, want: &str) {
    let want = lower_words(want);
    let started = Instant::now();
    loop {
        let h1 = browser
            .js("const h = document.querySelector('h1'); \
                 return document.readyState === 'complete' && h ? h.textContent : null")
            .await;
        if let Some(text) = h1.as_str() {
            if lower_words(text).contains(&want) {
                return;
            }
        }
        if started.elapsed() > WAIT {
            let url = within("read the URL", browser.client.current_url()).await;
            panic!(
                "no page headed {want:?} within {WAIT:?}: at {url}, h1 {h1}; the page says:\n{}",
                shown(browser).await
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn current_path(browser: &Browser) -> String {
    within("read the URL", browser.client.current_url())
        .await
        .path()
        .to_string()
}

/// Types `text` into the field `css`, replacing what it held.
pub async fn fill(browser: &Browser, css: &str, text: &str) {
    let field = browser.find(css).await;
    within(&format!("clear {css}"), field.clear()).await;
    within(&format!("type into {css}"), field.send_keys(text)).await;
    let value = browser
        .js_with(
            "return arguments[0].value",
            vec![serde_json::to_value(&field).expect("element as JSON")],
        )
        .await;
    assert_eq!(value.as_str(), Some(text), "{css} holds what was typed");
}

/// The submit button inside `form_css` whose text is `text`.
pub async fn button(
    browser: &Browser,
    form_css: &str,
    text: &str,
) -> fantoccini::elements::Element {
    for b in browser.find_all(&format!("{form_css} button")).await {
        let label = within("read a button's text", b.text()).await;
        if lower_words(&label) == lower_words(text) {
            return b;
        }
    }
    panic!(
        "no button {text:?} in {form_css}; the page says:\n{}",
        shown(browser).await
    );
}

/// Clicks `element` (a submit button or a link) and waits until the page it leads to has
/// loaded: the current document is marked first, so the old page is never taken for the new.
pub async fn click_to_navigate(
    browser: &Browser,
    what: &str,
    element: &fantoccini::elements::Element,
) {
    browser
        .js("document.documentElement.dataset.leaving = 'yes'")
        .await;
    browser.click(what, element).await;
    let started = Instant::now();
    loop {
        let arrived = browser
            .js("return document.readyState === 'complete' \
                 && document.documentElement.dataset.leaving !== 'yes'")
            .await;
        if arrived == Value::Bool(true) {
            return;
        }
        if started.elapsed() > WAIT {
            let url = within("read the URL", browser.client.current_url()).await;
            panic!("{what}: no new page within {WAIT:?} (still at {url})");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Chooses the option with `value` in the `select` element `css`.
pub async fn choose(browser: &Browser, css: &str, value: &str) {
    let select = browser.find(css).await;
    within(
        &format!("choose {value} in {css}"),
        select.select_by_value(value),
    )
    .await;
    let chosen = browser
        .js_with(
            "return arguments[0].value",
            vec![serde_json::to_value(&select).expect("element as JSON")],
        )
        .await;
    assert_eq!(chosen.as_str(), Some(value), "{css} holds {value}");
}

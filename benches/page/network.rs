//! A phone on a poor network: headless Chromium throttled through the DevTools protocol, measuring
//! the incident page's first render and how long a declared incident takes to reach its page.

use crate::browser::Browser;
use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The network the goals are set for.
pub const LATENCY_MS: u64 = 150;
pub const KBIT_PER_S: u64 = 1_600;

pub struct Figures {
    /// First contentful paint of a cold incident page, from navigation start.
    pub first_render: Duration,
    /// Until the page is interactive (hydrated), from navigation start.
    pub interactive: Duration,
    /// From pressing *Declare incident* to its page showing the title.
    pub declare_to_page: Duration,
}

/// ChromeDriver's door to the DevTools protocol.
#[derive(Debug)]
struct Cdp(&'static str, Value);

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({"cmd": self.0, "params": self.1}).to_string()))
    }
}

/// Signs in, then measures on a throttled connection with an empty cache; `incident` is the path
/// of the page to open.
pub async fn measure(base: &str, email: &str, password: &str, incident: &str) -> Result<Figures, String> {
    let b = Browser::start().await;
    let result = run(&b, base, email, password, incident).await;
    b.quit().await;
    result
}

async fn run(b: &Browser, base: &str, email: &str, password: &str, incident: &str) -> Result<Figures, String> {
    b.sign_in(base, email, password).await;
    let cdp = |cmd, params| b.c.issue_cmd(Cdp(cmd, params));
    cdp("Network.enable", json!({})).await.map_err(|e| format!("DevTools: {e}"))?;
    cdp("Network.clearBrowserCache", json!({})).await.map_err(|e| format!("DevTools: {e}"))?;
    cdp("Network.setCacheDisabled", json!({"cacheDisabled": true})).await.map_err(|e| format!("DevTools: {e}"))?;
    let bytes_per_s = KBIT_PER_S * 1000 / 8;
    let conditions = json!({
        "offline": false, "latency": LATENCY_MS, "downloadThroughput": bytes_per_s, "uploadThroughput": bytes_per_s,
    });
    cdp("Network.emulateNetworkConditions", conditions).await.map_err(|e| format!("DevTools: {e}"))?;

    b.goto(&format!("{base}{incident}")).await;
    b.until_hydrated().await;
    let timing = b
        .js("const p = performance.getEntriesByName('first-contentful-paint')[0];
             return [p ? p.startTime : null, performance.now()];")
        .await;
    let first_render = ms(&timing[0]).ok_or("the browser reported no first contentful paint")?;
    // Polled, so this is an upper bound by the polling interval.
    let interactive = ms(&timing[1]).ok_or("no performance.now()")?;

    b.goto(&format!("{base}/incidents/new")).await;
    b.until_hydrated().await;
    let title = "Checkout is failing for card payments";
    b.fill("#title", title).await;
    b.click("input[name=severity][value=SEV2]").await;
    let start = Instant::now();
    b.press("Declare incident").await;
    b.until_text("[data-testid=title]", title).await;
    let declare_to_page = start.elapsed();
    Ok(Figures { first_render, interactive, declare_to_page })
}

fn ms(v: &Value) -> Option<Duration> {
    v.as_f64().map(|ms| Duration::from_secs_f64(ms / 1000.0))
}

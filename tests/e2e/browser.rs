//! A headless Chromium per test, through its own ChromeDriver.

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Browser {
    pub c: Client,
    driver: Child,
    _profile: TempDir,
}

/// A throwaway Chromium profile directory.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A failing test never reaches `quit`: ChromeDriver and its Chromium end here all the same, so a
/// failed run leaves no browsers behind.
impl Drop for Browser {
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Browser {
    pub async fn start() -> Browser {
        Self::launch(true, 1280).await
    }

    pub async fn without_javascript() -> Browser {
        Self::launch(false, 1280).await
    }

    /// A 360 px wide phone, with or without JavaScript.
    pub async fn phone(javascript: bool) -> Browser {
        Self::launch(javascript, 360).await
    }

    async fn launch(javascript: bool, width: u32) -> Browser {
        let port = free_port();
        let driver = Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, with the Chromium it starts, so that `Drop` can end both.
            .process_group(0)
            .spawn()
            .expect("chromedriver (install chromium-driver)");
        let profile = std::env::temp_dir().join(format!("debrief-e2e-{port}-{}", std::process::id()));
        let mut opts = json!({
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-dev-shm-usage", "--disable-quic", "--no-first-run", "--disable-component-update",
                "--disable-sync", format!("--window-size={width},900"),
                format!("--user-data-dir={}", profile.display()),
            ],
        });
        if !javascript {
            opts["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), opts);
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        // ChromeDriver takes a moment to listen.
        for _ in 0..100 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => return Browser { c, driver, _profile: TempDir(profile) },
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("could not start Chromium through ChromeDriver: {last:?}");
    }

    /// Closes the session politely; `Drop` then ends the processes.
    pub async fn quit(self) {
        let _ = self.c.clone().close().await;
    }

    pub async fn goto(&self, url: &str) {
        self.c.goto(url).await.unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        el.clear().await.unwrap();
        el.send_keys(text).await.unwrap();
    }

    /// A property of the element `css` finds, or none while the page is being replaced (a form
    /// post's reload makes a found element stale): for `until` conditions.
    pub async fn prop_now(&self, css: &str, name: &str) -> Option<String> {
        let element = self.c.find(Locator::Css(css)).await.ok()?;
        element.prop(name).await.ok().flatten()
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.c
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Clicks the button whose text is exactly `text`.
    pub async fn press(&self, text: &str) {
        let xpath = format!("//button[normalize-space(.)='{text}']");
        let el = self
            .c
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no button {text:?}: {e}"));
        el.click().await.unwrap_or_else(|e| panic!("click {text:?}: {e}"));
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    pub async fn url(&self) -> String {
        self.c.current_url().await.unwrap().to_string()
    }

    /// Polls `f` until it is true (20 s at most; a failure names what never happened).
    pub async fn until<F, Fut>(&self, what: &str, mut f: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        for _ in 0..200 {
            if f().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let body = self.c.source().await.unwrap_or_default();
        panic!("timed out waiting for {what}; page was:\n{}", &body[..body.len().min(4000)]);
    }

    pub async fn until_url_contains(&self, part: &str) {
        self.until(&format!("URL containing {part}"), || async { self.url().await.contains(part) }).await;
    }

    pub async fn until_text(&self, css: &str, needle: &str) {
        let what = format!("{css} to contain {needle:?}");
        self.until(&what, || async {
            match self.c.find(Locator::Css(css)).await {
                Ok(el) => el.text().await.is_ok_and(|t| t.contains(needle)),
                Err(_) => false,
            }
        })
        .await;
    }

    pub async fn until_hydrated(&self) {
        self.find("body[data-hydrated]").await;
    }

    pub async fn js(&self, script: &str) -> serde_json::Value {
        self.c.execute(script, vec![]).await.unwrap()
    }

    pub async fn sign_in(&self, base: &str, email: &str, password: &str) {
        self.goto(&format!("{base}/login")).await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.press("Sign in").await;
        self.until_url_contains("/incidents").await;
    }
}

//! Headless Chromium for browser tests, driven over the W3C WebDriver protocol (our own
//! dozen requests to `chromedriver`, no WebDriver crate). Debian's `chromium` and
//! `chromium-driver` are installed by `scripts/test.sh`; without them a test is skipped with a
//! printed notice, except under `CI=true`, where that is a failure.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::TestApp;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The key under which WebDriver returns an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process with one headless session.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
}

/// What a page did once loaded.
#[derive(Debug)]
pub struct PageReport {
    /// JavaScript dialogs (alert, confirm, prompt) that were open.
    pub dialogs: usize,
    /// Elements that could only have come from injected markup: `script`, `img`, `iframe`,
    /// `object`, `embed`, any `on*=` handler, `javascript:` links.
    pub injected_elements: u64,
    /// The page's visible text.
    pub text: String,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session, or explains the skip.
    pub async fn start_or_skip(label: &str) -> Option<Self> {
        if !(std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists())
        {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{label}: chromium and chromium-driver are required under CI=true");
            }
            eprintln!(
                "SKIPPED {label} browser check: Debian chromium/chromium-driver not installed"
            );
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = http
                .get(format!("{base}/status"))
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success());
            if ready.is_some() {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                ],
            },
        }}});
        let mut b = Browser {
            driver,
            base,
            session: String::new(),
            http,
        };
        let v = b.call("POST", "/session", Some(caps)).await;
        b.session = v["sessionId"].as_str().expect("session id").to_owned();
        Some(b)
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_call(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("webdriver {method} {path}: {e}"))
    }

    async fn try_call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let rb = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body.unwrap_or_else(|| json!({}))),
        };
        let resp = rb.send().await.map_err(|e| e.to_string())?;
        let ok = resp.status().is_success();
        let v: Value = resp.json().await.map_err(|e| e.to_string())?;
        if ok {
            Ok(v["value"].clone())
        } else {
            Err(v["value"]["error"].as_str().unwrap_or("error").to_owned())
        }
    }

    fn s(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    async fn go(&self, url: &str) {
        self.call("POST", &self.s("/url"), Some(json!({"url": url})))
            .await;
    }

    async fn element(&self, css: &str) -> String {
        let v = self
            .call(
                "POST",
                &self.s("/element"),
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v[ELEMENT].as_str().expect("element id").to_owned()
    }

    async fn script(&self, js: &str) -> Value {
        self.call(
            "POST",
            &self.s("/execute/sync"),
            Some(json!({"script": js, "args": []})),
        )
        .await
    }

    /// Logs in to `app`'s dashboard as its admin through the login form, opens `path`, and
    /// reports what the page did.
    pub async fn open_logged_in(&self, app: &TestApp, path: &str) -> PageReport {
        self.go(&format!("{}/login", app.url)).await;
        for (css, text) in [
            ("input[name=email]", app.admin_email.as_str()),
            ("input[name=password]", app.admin_password.as_str()),
        ] {
            let e = self.element(css).await;
            self.call(
                "POST",
                &self.s(&format!("/element/{e}/value")),
                Some(json!({"text": text})),
            )
            .await;
        }
        let button = self.element("form button").await;
        self.call("POST", &self.s(&format!("/element/{button}/click")), None)
            .await;
        // The click submits the form; navigating before its answer lands would cancel the
        // submission (no session cookie, and the page below would be the login form).
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let url = self.call("GET", &self.s("/url"), None).await;
            if !url.as_str().unwrap_or_default().contains("/login") {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the dashboard login did not complete: still at {url}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.go(&format!("{}{path}", app.url)).await;
        let mut dialogs = 0;
        while self
            .try_call("GET", &self.s("/alert/text"), None)
            .await
            .is_ok()
        {
            dialogs += 1;
            let _ = self.try_call("POST", &self.s("/alert/dismiss"), None).await;
        }
        let injected = self
            .script(
                "return document.querySelectorAll('script, img, iframe, object, embed, \
                 [onerror], [onload], [onclick], a[href^=\"javascript\"]').length",
            )
            .await
            .as_u64()
            .unwrap_or(u64::MAX);
        let text = self
            .script("return document.body ? document.body.innerText : ''")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned();
        PageReport {
            dialogs,
            injected_elements: injected,
            text,
        }
    }

    /// Ends the session and stops chromedriver.
    pub async fn quit(mut self) {
        let _ = self.try_call("DELETE", &self.s(""), None).await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

//! A real headless Chromium, driven through ChromeDriver's WebDriver HTTP
//! API on a loopback port. Debian's `chromium` and `chromium-driver`.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// One browser session, ended (and its ChromeDriver stopped by process id)
/// when dropped.
pub struct Chromium {
    driver: Child,
    base: String,
    http: ureq::Agent,
    _profile: tempfile::TempDir,
    /// Where downloads land.
    pub downloads: PathBuf,
}

/// An element found on the page.
pub struct Element(String);

/// The W3C WebDriver name of an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Chromium {
    /// Starts ChromeDriver and a headless Chromium that can reach only
    /// 127.0.0.1: every other host name fails to resolve, and background
    /// traffic (updates, sync, safe browsing) is off.
    pub fn start() -> Self {
        assert!(
            Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists(),
            "Chromium is not installed: apt-get install chromium chromium-driver (scripts/test does)"
        );
        let port = crate::free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        crate::wait_for_port(port, Duration::from_secs(30), "chromedriver");
        let profile = tempfile::tempdir().expect("tempdir");
        let downloads = profile.path().join("downloads");
        std::fs::create_dir_all(&downloads).expect("downloads dir");
        let mut browser = Self {
            driver,
            base: format!("http://127.0.0.1:{port}"),
            http: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(60))
                .build(),
            downloads: downloads.clone(),
            _profile: profile,
        };
        let user_data = browser._profile.path().join("profile");
        let session = browser.call(
            "POST",
            "/session",
            json!({ "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": CHROMIUM,
                    "args": [
                        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        "--disable-default-apps", "--disable-extensions",
                        "--window-size=1280,900",
                        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                        format!("--user-data-dir={}", user_data.display()),
                    ],
                    "prefs": {
                        "download.default_directory": downloads.display().to_string(),
                        "download.prompt_for_download": false,
                    },
                },
            }}}),
        );
        let id = session["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {session}"))
            .to_owned();
        browser.base = format!("{}/session/{id}", browser.base);
        browser
    }

    /// One WebDriver command; returns its `value`.
    fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let result = match method {
            "GET" => self.http.get(&url).call(),
            "DELETE" => self.http.delete(&url).call(),
            _ => self.http.post(&url).send_json(body),
        };
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("WebDriver {method} {path}: {e}"),
        };
        let v: Value = response.into_json().expect("WebDriver answers JSON");
        v["value"].clone()
    }

    fn ok(&self, method: &str, path: &str, body: Value) -> Value {
        let v = self.call(method, path, body);
        if let Some(error) = v.get("error") {
            panic!("WebDriver {method} {path}: {error} {}", v["message"]);
        }
        v
    }

    pub fn goto(&self, url: &str) {
        self.ok("POST", "/url", json!({ "url": url }));
    }

    pub fn url(&self) -> String {
        self.ok("GET", "/url", Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until the page's address satisfies `wanted` (a click that
    /// submits a form may return before the next page is there).
    pub fn wait_for_url(&self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let url = self.url();
            if wanted(&url) {
                return url;
            }
            assert!(
                Instant::now() < deadline,
                "never reached {what}; still at {url}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until an element matches `css` (a form answered at the same
    /// address, such as a refusal, gives no new URL to wait for).
    pub fn wait_for_element(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.find(css).is_none() {
            assert!(
                Instant::now() < deadline,
                "`{css}` never appeared on {}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn title(&self) -> String {
        self.ok("GET", "/title", Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The first element matching a CSS selector, if any.
    pub fn find(&self, css: &str) -> Option<Element> {
        let v = self.call(
            "POST",
            "/element",
            json!({ "using": "css selector", "value": css }),
        );
        v.get(ELEMENT_KEY)
            .and_then(Value::as_str)
            .map(|id| Element(id.to_owned()))
    }

    /// How many elements match a CSS selector.
    pub fn count(&self, css: &str) -> usize {
        self.ok(
            "POST",
            "/elements",
            json!({ "using": "css selector", "value": css }),
        )
        .as_array()
        .map_or(0, Vec::len)
    }

    fn expect(&self, css: &str) -> Element {
        self.find(css).unwrap_or_else(|| {
            let html = self.run("return document.documentElement.outerHTML");
            panic!("no `{css}` on {}: {html}", self.url())
        })
    }

    pub fn click(&self, css: &str) {
        let Element(id) = self.expect(css);
        self.ok("POST", &format!("/element/{id}/click"), json!({}));
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let Element(id) = self.expect(css);
        self.ok("POST", &format!("/element/{id}/clear"), json!({}));
        self.ok(
            "POST",
            &format!("/element/{id}/value"),
            json!({ "text": text }),
        );
    }

    pub fn text(&self, css: &str) -> String {
        let Element(id) = self.expect(css);
        self.ok("GET", &format!("/element/{id}/text"), Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The text of an open alert, confirm or prompt dialog, if one is open.
    pub fn dialog(&self) -> Option<String> {
        let v = self.call("GET", "/alert/text", Value::Null);
        match v.get("error") {
            Some(_) => None,
            None => Some(v.as_str().unwrap_or_default().to_owned()),
        }
    }

    /// Runs `script` in the page (WebDriver's own channel, which the
    /// page's Content-Security-Policy does not govern) and returns its value.
    pub fn run(&self, script: &str) -> Value {
        self.ok(
            "POST",
            "/execute/sync",
            json!({ "script": script, "args": [] }),
        )
    }

    /// Switches into the first frame on the page (`None`: back to the top).
    pub fn enter_frame(&self, css: Option<&str>) {
        match css {
            Some(css) => {
                let Element(id) = self.expect(css);
                self.ok("POST", "/frame", json!({ "id": { ELEMENT_KEY: id } }));
            }
            None => {
                self.ok("POST", "/frame", json!({ "id": null }));
            }
        }
    }

    /// Makes the window `width` × `height` CSS pixels (a phone: 390 × 844).
    pub fn resize(&self, width: u32, height: u32) {
        self.ok(
            "POST",
            "/window/rect",
            json!({ "width": width, "height": height }),
        );
    }

    /// Elements that reach past the right edge of the viewport, as
    /// `tag.class` (none on a page that fits the screen). What is inside
    /// a box that scrolls sideways on its own (a wide table) is reached by
    /// scrolling that box, and is not counted; the box itself is.
    pub fn beyond_the_viewport(&self) -> Vec<String> {
        let v = self.run(
            "const w = document.documentElement.clientWidth; \
             const scrolls = e => { for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) { \
               const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; } \
               return false; }; \
             return Array.from(document.querySelectorAll('body *')) \
               .filter(e => e.getBoundingClientRect().right > w + 1 && !scrolls(e)) \
               .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''));",
        );
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Saves a PNG of the window.
    pub fn screenshot(&self, path: &Path) {
        let data = self.ok("GET", "/screenshot", Value::Null);
        let png = base64_decode(data.as_str().unwrap_or_default());
        std::fs::write(path, png).expect("write screenshot");
    }

    /// Waits until a file is downloaded completely; returns its path.
    pub fn downloaded(&self, name: &str, deadline: Duration) -> PathBuf {
        let path = self.downloads.join(name);
        let start = Instant::now();
        // Done when the file is there, no partial download is left beside
        // it, and its size held still between two looks (Chromium may show
        // the final name before the last bytes are written).
        let partial = |dir: &std::path::Path| {
            std::fs::read_dir(dir).is_ok_and(|d| {
                d.filter_map(Result::ok)
                    .any(|e| e.file_name().to_string_lossy().ends_with(".crdownload"))
            })
        };
        let mut last_size = None;
        loop {
            let size = std::fs::metadata(&path).ok().map(|m| m.len());
            if size.is_some() && size == last_size && !partial(&self.downloads) {
                break;
            }
            last_size = size;
            assert!(
                start.elapsed() < deadline,
                "{name} was not downloaded within {deadline:?}; the folder holds {:?}",
                std::fs::read_dir(&self.downloads).map(|d| d
                    .filter_map(Result::ok)
                    .map(|e| e.file_name())
                    .collect::<Vec<_>>())
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        path
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.call("DELETE", "", Value::Null);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for v in text.bytes().filter_map(value) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_round_trips_what_chromedriver_sends() {
        assert_eq!(super::base64_decode("aGVsbG8gd29ybGQ="), b"hello world");
    }
}

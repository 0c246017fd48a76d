//! `casebook serve` driven over HTTP on a loopback port: roles on every
//! route, sessions, CSRF, security headers, hostile mail shown inert.

use crate::sync::{lines_of, wait_for_line, StopOnDrop};
use crate::{id_of, Casebook};
use serde_json::Value;
use std::collections::HashMap;
use std::process::Stdio;

pub(crate) const PASSWORD: &str = "correct horse battery";

/// Fills in the login form the browser shows as `name` and sends it (the
/// caller waits for the page it lands on).
pub(crate) fn submit_login(browser: &casebook_testkit::Chromium, name: &str) {
    browser.type_into("input[name=name]", name);
    browser.type_into("input[name=password]", PASSWORD);
    browser.click("button[type=submit]");
}

/// A running `casebook serve` over an archive, stopped when dropped.
pub(crate) struct Server {
    pub(crate) url: String,
    child: StopOnDrop,
    http: ureq::Agent,
}

/// What came back: status, headers (lowercase names) and body.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: HashMap<String, String>,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("JSON, got {}", self.body))
    }
}

fn reply(result: Result<ureq::Response, ureq::Error>) -> Reply {
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    let status = response.status();
    let headers = response
        .headers_names()
        .into_iter()
        .filter_map(|n| {
            response
                .header(&n)
                .map(|v| (n.to_lowercase(), v.to_owned()))
        })
        .collect();
    let body = response.into_string().expect("a text body");
    Reply {
        status,
        headers,
        body,
    }
}

impl Server {
    pub(crate) fn start(cb: &Casebook) -> Self {
        Self::start_with(cb, &[])
    }

    /// Starts `casebook serve` with more options.
    pub(crate) fn start_with(cb: &Casebook, options: &[&str]) -> Self {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(options);
        let mut child = cb
            .command(&args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let lines = lines_of(&mut child);
        let seen = wait_for_line(&lines, "listening on ");
        let url = seen
            .iter()
            .find_map(|l| l.strip_prefix("listening on "))
            .expect("the address")
            .to_owned();
        Self {
            url,
            child: StopOnDrop(child),
            http: ureq::AgentBuilder::new().redirects(0).build(),
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The server process's resident memory now, in KiB (`VmRSS`).
    pub(crate) fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.0.id()))
            .expect("the server is alive");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    /// Ends the server with SIGKILL, as a power cut or the OOM killer would.
    pub(crate) fn kill(mut self) {
        let _ = self.child.0.kill();
        let _ = self.child.0.wait();
    }

    pub(crate) fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.http.get(&format!("{}{path}", self.url));
        for (k, v) in headers {
            request = request.set(k, v);
        }
        reply(request.call())
    }

    pub(crate) fn post(&self, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Reply {
        match cookie {
            Some(c) => self.post_with(path, &[("Cookie", c)], form),
            None => self.post_with(path, &[], form),
        }
    }

    pub(crate) fn post_with(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        form: &[(&str, &str)],
    ) -> Reply {
        let mut request = self.http.post(&format!("{}{path}", self.url));
        for (k, v) in headers {
            request = request.set(k, v);
        }
        reply(request.send_form(form))
    }

    /// Posts a multipart form (as a browser uploads a file): `fields`,
    /// then `file` as (field name, file name, bytes).
    pub(crate) fn upload(
        &self,
        path: &str,
        cookie: &str,
        fields: &[(&str, &str)],
        file: (&str, &str, &[u8]),
    ) -> Reply {
        let boundary = "casebook-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        let (name, file_name, bytes) = file;
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        reply(
            self.http
                .post(&format!("{}{path}", self.url))
                .set("Cookie", cookie)
                .set(
                    "Content-Type",
                    &format!("multipart/form-data; boundary={boundary}"),
                )
                .send_bytes(&body),
        )
    }

    /// Posts the login form as a browser does: the form is fetched first
    /// (its cookie and token), then sent with `fields` and that token.
    pub(crate) fn post_login(&self, fields: &[(&str, &str)]) -> Reply {
        self.post_login_with(&[], fields)
    }

    /// Posts the login form with more request headers (on both requests).
    pub(crate) fn post_login_with(
        &self,
        headers: &[(&str, &str)],
        fields: &[(&str, &str)],
    ) -> Reply {
        let form = self.get_with("/login", headers);
        let cookie = form.headers["set-cookie"]
            .split(';')
            .next()
            .expect("the login cookie")
            .to_owned();
        let token = form
            .body
            .split("name=\"token\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the form's token")
            .to_owned();
        let mut all = fields.to_vec();
        all.push(("token", &token));
        let mut with_cookie = headers.to_vec();
        with_cookie.push(("Cookie", &cookie));
        self.post_with("/login", &with_cookie, &all)
    }

    /// Logs in and returns the session cookie (`name=value`).
    pub(crate) fn log_in(&self, name: &str) -> String {
        let r = self.post_login(&[("name", name), ("password", PASSWORD)]);
        assert_eq!(r.status, 303, "login of {name}: {}", r.body);
        r.headers["set-cookie"]
            .split(';')
            .next()
            .expect("a cookie")
            .to_owned()
    }

    pub(crate) fn page(&self, path: &str, cookie: &str) -> Reply {
        self.get_with(path, &[("Cookie", cookie)])
    }

    pub(crate) fn api(&self, path: &str, token: &str) -> Reply {
        self.get_with(path, &[("Authorization", &format!("Bearer {token}"))])
    }
}

pub(crate) fn add_user(cb: &Casebook, name: &str, role: &str) {
    let out = cb
        .command(&["user", "add", name, "--role", role])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(format!("{PASSWORD}\n").as_bytes())?;
            child.wait_with_output()
        })
        .expect("user add runs");
    assert!(out.status.success(), "user add {name}");
}

/// The CSRF token of the first form on a page.
pub(crate) fn csrf_of(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form carries the token")
        .to_owned()
}

pub(crate) fn token(cb: &Casebook, name: &str) -> String {
    cb.ok(&["token", "create", "--user", name])
        .trim()
        .to_owned()
}

/// HTML-only mail that tries everything: scripts, handlers, `javascript:`
/// links, an overlay, a frame, a form, a remote (tracking) image.
const HTML_ONLY: &[u8] = b"From: Eve <eve@evil.example>\r\nTo: support@casebook.example\r\n\
Subject: Your overdue invoice\r\nMessage-ID: <evil2@evil.example>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
<html><body onload=\"alert('onload')\"><script>alert('script')</script>\
<img src=\"http://127.0.0.1:9/pixel.gif\" onerror=\"alert('onerror')\">\
<a href=\"javascript:alert('link')\">pay now</a>\
<div style=\"position:fixed;top:0;left:0;width:100%;height:100%;background:white\">overlay</div>\
<iframe src=\"http://127.0.0.1:9/frame\"></iframe><form action=\"http://127.0.0.1:9/steal\"><input name=card></form>\
<p>Please find the <b>invoice details</b> below.</p></body></html>\r\n";

/// A customer's log and a hostile HTML file, attached.
const WITH_ATTACHMENTS: &[u8] = b"From: Ann Lee <ann@customer.example>\r\nTo: support@casebook.example\r\n\
Subject: Logs from the PBX\r\nMessage-ID: <logs1@customer.example>\r\n\
Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nLogs attached.\r\n\
--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"asterisk \\\"full\\\".log\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nRVJST1IgY2hhbl9zaXA=\r\n\
--b\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=report.html\r\n\r\n\
<script>alert('attachment')</script>\r\n--b--\r\n";

/// The archive every test here uses: a conversation plus hostile mail.
fn archive() -> Casebook {
    let cb = crate::with_conversation();
    cb.write_mail(
        "hostile.eml",
        b"From: Mallory <mallory@evil.example>\r\nTo: support@casebook.example\r\n\
          Subject: <script>alert('subject')</script> invoice\r\nMessage-ID: <evil1@evil.example>\r\n\r\n\
          <img src=x onerror=alert(1)> <a href=\"javascript:alert(2)\">click</a> invoice overdue\r\n",
    );
    cb.write_mail("html-only.eml", HTML_ONLY);
    cb.write_mail("attachments.eml", WITH_ATTACHMENTS);
    cb.ok(&["import", cb.mail_dir()]);
    for (name, role) in [("ann", "agent"), ("mia", "marketing"), ("root", "admin")] {
        add_user(&cb, name, role);
    }
    cb
}

#[test]
fn every_role_gets_the_api_routes_it_may_and_no_others() {
    let cb = archive();
    let q = id_of(&cb, "q1@customer.example");
    let thread = cb.json(&["show", "--json", &q.to_string()])["thread_id"]
        .as_i64()
        .expect("threaded");
    let server = Server::start(&cb);
    let routes = [
        "/api/v1/me".to_owned(),
        "/api/v1/search?q=greeting".to_owned(),
        format!("/api/v1/messages/{q}"),
        format!("/api/v1/threads/{thread}"),
        "/api/v1/testimonials".to_owned(),
        "/api/v1/stats".to_owned(),
    ];
    // me, search, message, thread, testimonials, stats
    let expected: [(&str, [u16; 6]); 3] = [
        ("ann", [200, 200, 200, 200, 403, 403]),
        ("mia", [200, 403, 403, 403, 200, 200]),
        ("root", [200, 200, 200, 200, 200, 200]),
    ];
    for (user, statuses) in expected {
        let t = token(&cb, user);
        for (route, want) in routes.iter().zip(statuses) {
            let r = server.api(route, &t);
            assert_eq!(r.status, want, "{user} on {route}: {}", r.body);
            if want == 403 {
                assert!(!r.body.contains("greeting"), "nothing of the mail leaks");
            }
        }
    }
    for route in &routes {
        assert_eq!(
            server.get_with(route, &[]).status,
            401,
            "{route} without a token"
        );
        assert_eq!(
            server.api(route, "cbt_forged").status,
            401,
            "{route} forged"
        );
    }
    let found = server
        .api("/api/v1/search?q=greeting", &token(&cb, "ann"))
        .json();
    assert_eq!(found["total"], 2);
    assert_eq!(
        found["total_is_lower_bound"], false,
        "both counted: {found}"
    );
    assert!(found["hits"][0]["snippet"]["text"]
        .as_str()
        .is_some_and(|t| t.contains("greeting")));

    // A disabled user's tokens stop working at once.
    let t = token(&cb, "ann");
    cb.ok(&["user", "disable", "ann"]);
    assert_eq!(server.api("/api/v1/me", &t).status, 401);
}

#[test]
fn pages_need_a_login_and_the_right_role() {
    let cb = archive();
    let server = Server::start(&cb);
    let anonymous = server.get_with("/search?q=greeting", &[]);
    assert_eq!(anonymous.status, 303);
    assert_eq!(
        anonymous.headers["location"],
        "/login?next=%2Fsearch%3Fq%3Dgreeting"
    );
    let agent = server.log_in("ann");
    let page = server.page("/search?q=greeting", &agent);
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("1 conversation (2 messages)"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<mark>greeting</mark>"));
    let messages = server.page("/search?q=greeting&show=messages", &agent);
    assert!(
        messages.body.contains("2 messages found"),
        "{}",
        messages.body
    );
    assert_eq!(server.page("/testimonials", &agent).status, 403);

    let marketing = server.log_in("mia");
    for path in [
        "/search?q=greeting",
        "/messages/1",
        "/messages/1/raw",
        "/threads/1",
    ] {
        let r = server.page(path, &marketing);
        assert_eq!(r.status, 403, "marketing on {path}");
        assert!(!r.body.contains("greeting"), "nothing of the mail leaks");
    }
    assert_eq!(server.page("/testimonials", &marketing).status, 200);

    let bad = server.post_login(&[("name", "ann"), ("password", "wrong password")]);
    assert_eq!(bad.status, 401);
    assert!(bad.body.contains("Wrong name or password"));
    assert!(!bad.headers.contains_key("set-cookie"));
}

#[test]
fn repeated_failed_logins_lock_the_name_for_a_while() {
    let cb = archive();
    let server = Server::start(&cb);
    for _ in 0..5 {
        let r = server.post_login(&[("name", "root"), ("password", "guess guess guess")]);
        assert_eq!(r.status, 401);
    }
    let locked = server.post_login(&[("name", "root"), ("password", PASSWORD)]);
    assert_eq!(locked.status, 429, "even the right password waits");
    assert!(locked.headers.contains_key("retry-after"));
    assert!(locked.body.contains("Too many failed logins"));
    // Another name is not affected.
    server.log_in("ann");
}

#[test]
fn forms_need_the_session_csrf_token_and_logout_ends_the_session() {
    let cb = archive();
    let q = id_of(&cb, "q1@customer.example");
    let server = Server::start(&cb);
    let agent = server.log_in("ann");
    let path = format!("/messages/{q}/tags");
    let forged = server.post(
        &path,
        Some(&agent),
        &[("csrf", "not-the-token"), ("tag", "urgent")],
    );
    assert_eq!(forged.status, 403);
    let page = server.page(&format!("/messages/{q}"), &agent).body;
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form carries the token")
        .to_owned();
    let tagged = server.post(&path, Some(&agent), &[("csrf", &csrf), ("tag", "Urgent")]);
    assert_eq!(tagged.status, 303);
    let found = server.page("/search?q=tag:urgent", &agent);
    assert!(
        found.body.contains("1 conversation (1 message)"),
        "{}",
        found.body
    );

    assert_eq!(
        server
            .post("/logout", Some(&agent), &[("csrf", "wrong")])
            .status,
        403
    );
    let out = server.post("/logout", Some(&agent), &[("csrf", &csrf)]);
    assert_eq!(out.status, 303);
    assert!(out.headers["set-cookie"].contains("Max-Age=0"));
    assert_eq!(
        server.page("/search?q=greeting", &agent).status,
        303,
        "the old cookie no longer opens a session"
    );
}

#[test]
fn every_response_carries_the_security_headers_and_hostile_mail_is_escaped() {
    let cb = archive();
    let evil = id_of(&cb, "evil1@evil.example");
    let server = Server::start(&cb);
    let agent = server.log_in("ann");
    let pages = [
        server.get_with("/login", &[]),
        server.page("/search?q=invoice", &agent),
        server.page(&format!("/messages/{evil}"), &agent),
        server.api("/api/v1/me", &token(&cb, "ann")),
        server.get_with("/no/such/page", &[]),
    ];
    for r in &pages {
        let csp = &r.headers["content-security-policy"];
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(
            !csp.contains("script-src"),
            "no script is ever allowed: {csp}"
        );
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
        assert_eq!(r.headers["referrer-policy"], "no-referrer");
    }
    for r in &pages[1..3] {
        assert!(!r.body.contains("<script"), "{}", r.body);
        assert!(!r.body.contains("<img"), "{}", r.body);
        assert!(!r.body.contains("href=\"javascript:"), "{}", r.body);
        assert!(
            r.body.contains("&lt;script&gt;"),
            "shown as text: {}",
            r.body
        );
    }
    let raw = server.page(&format!("/messages/{evil}/raw"), &agent);
    assert!(raw.headers["content-type"].starts_with("text/plain"));
}

#[test]
fn attachments_download_and_html_mail_is_cleaned_into_a_sandboxed_frame() {
    let cb = archive();
    let logs = id_of(&cb, "logs1@customer.example");
    let evil = id_of(&cb, "evil2@evil.example");
    let server = Server::start(&cb);
    let agent = server.log_in("ann");

    let log = server.page(&format!("/messages/{logs}/attachments/0"), &agent);
    assert_eq!(log.status, 200);
    assert_eq!(log.body, "ERROR chan_sip");
    assert_eq!(log.headers["content-type"], "text/plain");
    let disposition = &log.headers["content-disposition"];
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(
        disposition.contains("filename=\"asterisk full.log\""),
        "{disposition}"
    );
    let html = server.page(&format!("/messages/{logs}/attachments/1"), &agent);
    assert!(
        html.headers["content-disposition"].starts_with("attachment;"),
        "never inline"
    );
    assert_eq!(
        server
            .page(&format!("/messages/{logs}/attachments/2"), &agent)
            .status,
        404
    );
    let mia = server.log_in("mia");
    assert_eq!(
        server
            .page(&format!("/messages/{logs}/attachments/0"), &mia)
            .status,
        403
    );

    let page = server.page(&format!("/messages/{evil}"), &agent);
    assert!(
        page.body.contains("<iframe class=\"html\" sandbox=\"\""),
        "{}",
        page.body
    );
    assert!(page.headers["content-security-policy"].contains("frame-src 'self'"));
    let frame = server.page(&format!("/messages/{evil}/html"), &agent);
    assert_eq!(frame.status, 200);
    let body = frame.body.to_lowercase();
    for gone in [
        "<script",
        "onload",
        "onerror",
        "javascript:",
        "<iframe",
        "<form",
        "position:fixed",
    ] {
        assert!(!body.contains(gone), "{gone} survived: {}", frame.body);
    }
    assert!(body.contains("<b>invoice details</b>"), "{}", frame.body);
    let csp = &frame.headers["content-security-policy"];
    assert!(
        csp.contains("img-src data:;"),
        "remote images blocked: {csp}"
    );
    assert!(csp.contains("sandbox"), "{csp}");
    assert!(!csp.contains("script-src"), "{csp}");
    let with_images = server.page(&format!("/messages/{evil}/html?images=1"), &agent);
    assert!(with_images.headers["content-security-policy"].contains("img-src data: https: http:"));
}

/// A loopback server that only counts the connections it gets: the
/// stand-in for every remote host hostile mail tries to reach.
struct Canary {
    port: u16,
    hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Canary {
    fn start() -> Self {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = hits.clone();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().map_while(Result::ok) {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            }
        });
        Self { port, hits }
    }

    fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Mail that tries every way to run a script, open a dialog or reach
/// another host, with `CANARY` standing for that host.
fn hostile_mail(canary: u16) -> Vec<(String, String)> {
    let remote = format!("http://127.0.0.1:{canary}");
    let nested = (0..120).fold("deep inside\r\n".to_owned(), |inner, depth| {
        format!(
            "Content-Type: multipart/mixed; boundary=n{depth}\r\n\r\n--n{depth}\r\n{inner}\r\n--n{depth}--\r\n"
        )
    });
    vec![
        (
            "html-attack.eml".into(),
            format!(
                "From: Eve <eve@evil.example>\r\nTo: support@casebook.example\r\nSubject: Quarterly invoice\r\n\
                 Message-ID: <attack1@evil.example>\r\nContent-Type: text/html\r\n\r\n\
                 <html><head><meta http-equiv=\"refresh\" content=\"0;url={remote}/refresh\">\
                 <link rel=\"stylesheet\" href=\"{remote}/style.css\"><style>@import url({remote}/import.css);\
                 body {{ background: url({remote}/bg.png) }}</style></head>\
                 <body onload=\"window.pwned=1;alert('onload')\"><script>window.pwned=1;alert('script');fetch('{remote}/fetch')</script>\
                 <img src=\"{remote}/pixel.gif\" onerror=\"window.pwned=1;alert('onerror')\">\
                 <svg onload=\"window.pwned=1\"><image href=\"{remote}/svg.png\"/></svg>\
                 <object data=\"{remote}/object\"></object><video poster=\"{remote}/poster.png\"></video>\
                 <iframe src=\"{remote}/frame\"></iframe><a href=\"javascript:window.pwned=1\">pay</a>\
                 <form action=\"{remote}/steal\"><input name=card autofocus onfocus=\"window.pwned=1\"></form>\
                 <div style=\"position:fixed;top:0;left:0;width:100%;height:100%\">overlay</div>\
                 <p>Quarterly invoice attached.</p></body></html>\r\n"
            ),
        ),
        (
            "forged.eml".into(),
            format!(
                "From: \"<img src={remote}/name.png onerror=alert(1)>\" <support@casebook.example>\r\n\
                 To: support@casebook.example\r\nSubject: =?utf-8?q?=3Cscript=3Ealert(1)=3C/script=3E_invoice?=\r\n\
                 Message-ID: <attack2@evil.example>\r\nX-Forged: {}\r\n\r\n\
                 <script>alert('body')</script> invoice <img src=\"{remote}/text.png\">\r\n",
                "A".repeat(20_000)
            ),
        ),
        // Issue 20's hostile messages: HTML nested 100,000 deep (it took
        // 40 s to clean and held up every request), with a script at the
        // bottom; and a 5 MB body full of markup and the search word.
        (
            "deep-html.eml".into(),
            format!(
                "From: Deep <deep-html@evil.example>\r\nTo: support@casebook.example\r\nSubject: invoice deep\r\n\
                 Message-ID: <attack4@evil.example>\r\nContent-Type: text/html\r\n\r\n{}\
                 <script>window.pwned=1;alert('deep')</script><img src=\"{remote}/deep.png\" onerror=\"window.pwned=1\">{}\r\n",
                "<div>".repeat(100_000),
                "</div>".repeat(100_000)
            ),
        ),
        (
            "huge.eml".into(),
            format!(
                "From: Huge <huge@evil.example>\r\nTo: support@casebook.example\r\nSubject: invoice huge\r\n\
                 Message-ID: <attack5@evil.example>\r\n\r\n{}\r\n",
                format!("invoice <script>window.pwned=1</script><img src=\"{remote}/huge.png\"> ").repeat(80_000)
            ),
        ),
        (
            "nested.eml".into(),
            format!(
                "From: deep@evil.example\r\nTo: support@casebook.example\r\nSubject: invoice nested\r\n\
                 Message-ID: <attack3@evil.example>\r\nMIME-Version: 1.0\r\n{nested}"
            ),
        ),
    ]
}

/// Nothing ran in the page (or its frames) and no dialog is open.
fn assert_inert(browser: &casebook_testkit::Chromium, what: &str) {
    assert_eq!(browser.dialog(), None, "a dialog opened on {what}");
    assert_eq!(
        browser.run("return typeof window.pwned"),
        "undefined",
        "a script ran on {what}"
    );
    let frames = browser.count("iframe");
    for _ in 0..frames {
        browser.enter_frame(Some("iframe"));
        assert_eq!(
            browser.run("return typeof window.pwned"),
            "undefined",
            "a script ran in the frame on {what}"
        );
        assert_eq!(browser.count("script, form, iframe, object"), 0, "{what}");
        browser.enter_frame(None);
    }
}

#[test]
fn in_chromium_an_agent_logs_in_searches_reads_a_thread_downloads_and_logs_out() {
    let cb = archive();
    let server = Server::start(&cb);
    let browser = casebook_testkit::Chromium::start();

    browser.goto(&format!("{}/search", server.url));
    assert!(browser.url().contains("/login?next="), "{}", browser.url());
    submit_login(&browser, "ann");
    browser.wait_for_url("the search page", |u| u.ends_with("/search"));

    browser.type_into("input[name=q]", "greeting");
    browser.click("form.search button[type=submit]");
    browser.wait_for_url("the results", |u| u.contains("q=greeting"));
    assert_eq!(browser.text("p.count").split(' ').next(), Some("1"));
    assert_eq!(browser.count("ol.conversations li"), 1);
    assert!(
        browser.count("ol.conversations li .snippet mark") >= 1,
        "matches highlighted"
    );

    browser.click("ol.conversations li a.subject");
    browser.wait_for_url("the thread", |u| u.contains("/threads/"));
    assert_eq!(browser.count(".pair .theirs"), 1);
    assert!(browser
        .text(".pair .ours")
        .contains("record the unavailable greeting"));
    assert!(browser
        .text(".pair .ours")
        .contains("answered after 3 h 30 min"));

    let logs = id_of(&cb, "logs1@customer.example");
    browser.goto(&format!("{}/messages/{logs}", server.url));
    browser.click("a[href$='/attachments/0']");
    let file = browser.downloaded("asterisk full.log", std::time::Duration::from_secs(30));
    assert_eq!(std::fs::read(file).expect("downloaded"), b"ERROR chan_sip");

    browser.click("header form button[type=submit]");
    browser.wait_for_url("the login page", |u| u.ends_with("/login"));
    browser.goto(&format!("{}/search?q=greeting", server.url));
    assert!(
        browser.url().contains("/login?next="),
        "logged out: {}",
        browser.url()
    );
}

#[test]
fn in_chromium_hostile_mail_runs_nothing_opens_nothing_and_reaches_no_one() {
    let canary = Canary::start();
    let cb = archive();
    for (name, text) in hostile_mail(canary.port) {
        cb.write_mail(&name, text.as_bytes());
    }
    cb.ok(&["import", cb.mail_dir()]);
    let server = Server::start(&cb);
    let browser = casebook_testkit::Chromium::start();
    browser.goto(&format!("{}/login", server.url));
    submit_login(&browser, "ann");
    // Agents land on the queue, where hostile senders' names and subjects
    // are shown too.
    browser.wait_for_url("the queue", |u| u.ends_with("/queue"));
    assert_inert(&browser, "the queue");

    browser.goto(&format!("{}/search?q=invoice", server.url));
    assert_inert(&browser, "the search page");
    let mut pages = Vec::new();
    for mid in [
        "attack1@evil.example",
        "attack2@evil.example",
        "attack3@evil.example",
        "attack4@evil.example",
        "attack5@evil.example",
        "evil1@evil.example",
        "evil2@evil.example",
    ] {
        let id = id_of(&cb, mid);
        pages.push(format!("/messages/{id}"));
        pages.push(format!("/messages/{id}/raw"));
        if let Some(thread) = cb.json(&["show", "--json", &id.to_string()])["thread_id"].as_i64() {
            pages.push(format!("/threads/{thread}"));
        }
    }
    for page in &pages {
        browser.goto(&format!("{}{page}", server.url));
        assert_inert(&browser, page);
    }
    assert_eq!(canary.hits(), 0, "a request left for another host");
    let deep = id_of(&cb, "attack4@evil.example");
    browser.goto(&format!("{}/messages/{deep}/html", server.url));
    assert!(
        browser.text("body").contains("over the 256 shown"),
        "the frame says why deep HTML is not shown: {}",
        browser.text("body")
    );

    // The canary is real: remote images load once the agent asks.
    let attack = id_of(&cb, "attack1@evil.example");
    browser.goto(&format!("{}/messages/{attack}?images=1", server.url));
    assert_inert(&browser, "the message with remote images loaded");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while canary.hits() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "remote images never loaded, so the canary proves nothing"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// One HTTPS request with openssl's client, trusting only `ca`; returns
/// what came back, or None if the connection or verification failed.
fn https_request(port: u16, ca: &std::path::Path, request: &str) -> Option<String> {
    use std::io::Write;
    let mut child = std::process::Command::new("openssl")
        .args([
            "s_client",
            "-quiet",
            "-verify_return_error",
            "-servername",
            "localhost",
        ])
        .arg("-connect")
        .arg(format!("127.0.0.1:{port}"))
        .arg("-CAfile")
        .arg(ca)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl runs (scripts/test installs it)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(request.as_bytes())
        .expect("send");
    let out = child.wait_with_output().expect("openssl ends");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn serve_speaks_https_with_the_configured_certificate_and_secure_cookies() {
    let cb = archive();
    let certs = tempfile::tempdir().expect("tempdir");
    let ca = casebook_testkit::make_certificate(certs.path());
    let cert = certs.path().join("cert.pem");
    let key = certs.path().join("key.pem");
    let config = std::fs::read_to_string(&cb.config).expect("config");
    std::fs::write(
        &cb.config,
        format!(
            "{config}tls_cert = \"{}\"\ntls_key = \"{}\"\n",
            cert.display(),
            key.display()
        ),
    )
    .expect("config");
    let server = Server::start(&cb);
    assert!(server.url.starts_with("https://"), "{}", server.url);
    let port: u16 = server
        .url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a port");

    let page = https_request(
        port,
        &ca,
        "GET /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .expect("a verified TLS connection");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("Log in"), "{page}");

    // The form's own cookie and token, as a browser sends them back.
    let login_cookie = page
        .lines()
        .find_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .and_then(|c| c.split(';').next())
        .expect("the login form's cookie");
    assert!(
        page.contains("; Secure"),
        "the form's cookie is Secure too: {page}"
    );
    let token = page
        .split("name=\"token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form's token");
    let form = format!(
        "name=ann&password={}&token={token}",
        PASSWORD.replace(' ', "+")
    );
    let login = https_request(
        port,
        &ca,
        &format!(
            "POST /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nCookie: {login_cookie}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            form.len()
        ),
    )
    .expect("a verified TLS connection");
    assert!(login.starts_with("HTTP/1.1 303"), "{login}");
    let cookie = login
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .expect("a session cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");

    // A client that does not trust the test CA is refused, not downgraded.
    let stranger = tempfile::tempdir().expect("tempdir");
    let other_ca = casebook_testkit::make_certificate(stranger.path());
    assert_eq!(
        https_request(
            port,
            &other_ca,
            "GET /login HTTP/1.1\r\nHost: localhost\r\n\r\n"
        ),
        None
    );
}

#[test]
fn a_missing_certificate_is_named_before_serving() {
    let cb = Casebook::new();
    let config = std::fs::read_to_string(&cb.config).expect("config");
    std::fs::write(
        &cb.config,
        format!(
            "{config}tls_cert = \"/nonexistent/cert.pem\"\ntls_key = \"/nonexistent/key.pem\"\n"
        ),
    )
    .expect("config");
    let out = cb.run(&["serve", "--listen", "127.0.0.1:0"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/cert.pem"), "{err}");
    assert!(err.contains("tls_cert"), "{err}");
}

/// A question as Python's `email` package (default policy) writes a From
/// with a non-ASCII name: the whole display name one encoded-word.
const PYTHON_QUESTION: &[u8] =
    b"From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jurgen@kunde.example>\n\
To: support@casebook.example\nSubject: Trunk registration fails\n\
Date: Wed, 02 Jul 2008 09:15:00 +0200\nMessage-ID: <py1@kunde.example>\n\
MIME-Version: 1.0\nContent-Type: text/plain; charset=\"utf-8\"\n\
Content-Transfer-Encoding: 7bit\n\nOur SIP trunk stopped registering after the update.\n";

/// Every field two of them both carry has the same value, and the shared
/// fields are all there.
fn assert_same_fields(a: &Value, b: &Value, what: &str) {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        panic!("{what}: objects, got {a} and {b}");
    };
    for (key, value) in a {
        if let Some(other) = b.get(key) {
            assert_eq!(value, other, "{what}: {key}");
        }
    }
    for key in [
        "id",
        "message_id",
        "thread_id",
        "date",
        "direction",
        "from",
        "subject",
    ] {
        assert!(a.contains_key(key) && b.contains_key(key), "{what}: {key}");
    }
}

#[test]
fn a_message_has_one_json_shape_in_the_cli_the_api_and_a_persons_export() {
    let cb = archive();
    cb.write_mail("python.eml", PYTHON_QUESTION);
    cb.ok(&["import", cb.mail_dir()]);
    let id = id_of(&cb, "py1@kunde.example");
    let shown = cb.json(&["show", "--json", &id.to_string()]);
    let export = cb.data_path().join("export-jurgen");
    cb.ok(&[
        "privacy",
        "export",
        "jurgen@kunde.example",
        "--out",
        export.to_str().expect("utf-8"),
    ]);
    let exported: Value = serde_json::from_slice(
        &std::fs::read(export.join(format!("messages/{id}.json"))).expect("exported"),
    )
    .expect("json");
    let server = Server::start(&cb);
    let t = token(&cb, "ann");
    let served = server.api(&format!("/api/v1/messages/{id}"), &t).json();

    assert_eq!(
        exported["from"],
        serde_json::json!({"address": "jurgen@kunde.example", "name": "Jürgen Müller"})
    );
    assert_eq!(
        exported["text"],
        "Our SIP trunk stopped registering after the update."
    );
    assert_eq!(exported["date"], "2008-07-02T09:15:00+02:00");
    let keys = |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
    assert_same_fields(&exported, &served, "export and API");
    assert_same_fields(&exported, &shown, "export and show");
    assert!(
        keys(&exported)
            .into_iter()
            .flatten()
            .all(|k| served.get(&k).is_some() && shown.get(&k).is_some()),
        "the API and show carry all the export does: {exported}"
    );

    // A line of a listing is the same in a search hit, a thread and `list`.
    let listed = cb
        .ok(&["list", "--json"])
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json line"))
        .find(|v| v["id"] == id)
        .expect("listed");
    let hit = &server.api("/api/v1/search?q=registering", &t).json()["hits"][0];
    let cli_hit = &cb.json(&["search", "--json", "registering"])["hits"][0];
    let thread = shown["thread_id"].as_i64().expect("threaded");
    let in_thread = &server.api(&format!("/api/v1/threads/{thread}"), &t).json()["messages"][0];
    assert_eq!(hit, cli_hit, "one hit, CLI and API");
    for (other, what) in [
        (hit, "search hit"),
        (in_thread, "thread entry"),
        (&served, "message"),
    ] {
        assert_same_fields(&listed, other, what);
    }
    assert_eq!(keys(&listed), keys(in_thread), "a thread entry is a line");
}

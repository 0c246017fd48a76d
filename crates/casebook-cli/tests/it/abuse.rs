//! Issue 20: one request must never take the service down. Each test
//! sends what an attacker (or a careless agent) would, to the real binary.

use crate::web::{add_user, token, Server, PASSWORD};
use crate::Casebook;

/// 5,000 negations, 4,000 nested parentheses, 8,000 unclosed ones: each
/// overflowed the stack and killed the process. Now each is a clear error
/// on the command line, a 400 on the API and the page, and the server
/// goes on answering.
#[test]
fn a_deeply_nested_query_is_refused_not_a_crash() {
    let cb = crate::with_conversation();
    let hostile = [
        format!("{}a", "-".repeat(5_000)),
        format!("{}a{}", "(".repeat(4_000), ")".repeat(4_000)),
        "(".repeat(8_000),
        format!("{}voicemail", "-".repeat(40)),
    ];
    for q in &hostile {
        let out = cb.run(&["search", "--", q]);
        assert_eq!(out.status.code(), Some(1), "an error, not a signal");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("longer than 2000 characters") || err.contains("nest more than 32 deep"),
            "{}",
            &err[..err.len().min(300)]
        );
    }

    add_user(&cb, "amy", "agent");
    let server = Server::start(&cb);
    let bearer = token(&cb, "amy");
    let cookie = server.log_in("amy");
    let encode = |q: &str| q.replace('(', "%28").replace(')', "%29");
    for q in &hostile {
        let api = server.api(&format!("/api/v1/search?q={}", encode(q)), &bearer);
        assert_eq!(api.status, 400, "{}", &api.body[..api.body.len().min(300)]);
        let page = server.page(&format!("/search?q={}", encode(q)), &cookie);
        assert_eq!(
            page.status,
            400,
            "{}",
            &page.body[..page.body.len().min(300)]
        );
    }
    let fine = server.api("/api/v1/search?q=voicemail", &bearer);
    assert_eq!(fine.status, 200, "the server is still up");
}

/// 150 wrong passwords at once used to get 89 real password checks (the
/// count was read before it was written) and took the server from 16 MB
/// to 915 MB. Now at most five are checked, the rest are throttled, and
/// memory stays flat.
#[test]
fn parallel_wrong_passwords_cannot_race_the_limit() {
    let cb = Casebook::new();
    add_user(&cb, "amy", "agent");
    let server = Server::start(&cb);
    let before = server.rss_kib();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let guesses: Vec<_> = (0..60)
            .map(|n| {
                let server = &server;
                s.spawn(move || {
                    server
                        .post_login(&[("name", "amy"), ("password", &format!("guess-{n}-wrong"))])
                        .status
                })
            })
            .collect();
        guesses
            .into_iter()
            .map(|g| g.join().expect("a reply"))
            .collect()
    });
    let checked = statuses.iter().filter(|&&s| s == 401).count();
    let throttled = statuses.iter().filter(|&&s| s == 429).count();
    assert!(checked <= 5, "{checked} passwords checked: {statuses:?}");
    assert_eq!(checked + throttled, 60, "{statuses:?}");
    let after = server.rss_kib();
    assert!(
        after < before + 100 * 1024,
        "memory grew from {before} KiB to {after} KiB"
    );
}

/// Five anonymous failures used to lock any name (say `admin`) for
/// everyone for 15 minutes. Failures now count by client address as well
/// as by name: an outsider locks the name only for addresses it has never
/// logged in from, the user still gets in from where they work, and an
/// address guessing at many names is stopped whatever the names.
#[test]
fn an_outsider_cannot_lock_a_user_out_where_they_work() {
    let cb = Casebook::new();
    add_user(&cb, "amy", "agent");
    // Behind a proxy on loopback: clients are told apart by the address
    // the proxy says they came from.
    let server = Server::start_with(&cb, &["--trusted-proxy", "127.0.0.1"]);
    let from = |client: &str, name: &str, password: &str| {
        let forwarded = format!("192.0.2.250, {client}");
        server
            .post_login_with(
                &[("X-Forwarded-For", &forwarded)],
                &[("name", name), ("password", password)],
            )
            .status
    };
    let office = "198.51.100.7";
    assert_eq!(from(office, "amy", PASSWORD), 303, "amy logs in at work");

    let outsider = "203.0.113.5";
    for n in 0..5 {
        assert_eq!(from(outsider, "amy", &format!("guess-{n}")), 401);
    }
    assert_eq!(
        from(outsider, "amy", PASSWORD),
        429,
        "the name is locked for the outsider"
    );
    assert_eq!(
        from("192.0.2.99", "amy", PASSWORD),
        429,
        "and for any address amy has not logged in from"
    );
    let at_work = server.post_login_with(
        &[("X-Forwarded-For", office)],
        &[("name", "amy"), ("password", PASSWORD)],
    );
    assert_eq!(
        at_work.status, 303,
        "amy still gets in at work: {}",
        at_work.body
    );

    // One address trying many names is stopped after 20 failures, for
    // names it has never guessed too; other addresses are not.
    let sprayer = "2001:db8:77:1::5";
    for n in 0..20 {
        assert_eq!(from(sprayer, &format!("user{n}"), "wrong password"), 401);
    }
    let locked = server.post_login_with(
        &[("X-Forwarded-For", "2001:db8:77:1:ffff::9")],
        &[("name", "nobody-yet"), ("password", "wrong password")],
    );
    assert_eq!(locked.status, 429, "the whole /64 is one client");
    assert!(locked.body.contains("from your address"), "{}", locked.body);
    assert_eq!(
        from("2001:db8:77:2::5", "nobody-yet", "wrong password"),
        401
    );
}

/// A client cannot escape the count by claiming to be forwarded when no
/// proxy is trusted.
#[test]
fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
    let cb = Casebook::new();
    add_user(&cb, "amy", "agent");
    let server = Server::start(&cb);
    for n in 0..5 {
        let claimed = format!("203.0.113.{n}");
        let r = server.post_login_with(
            &[("X-Forwarded-For", &claimed)],
            &[("name", "amy"), ("password", "wrong password")],
        );
        assert_eq!(r.status, 401);
    }
    let r = server.post_login_with(
        &[("X-Forwarded-For", "198.51.100.1")],
        &[("name", "amy"), ("password", PASSWORD)],
    );
    assert_eq!(r.status, 429, "{}", r.body);
}

/// An outsider must not fill the disk through the login form, nor send a
/// browser elsewhere after logging in; `bearer` is a Bearer.
#[test]
fn the_login_form_keeps_outsiders_out_of_the_disk_and_the_redirect() {
    let cb = Casebook::new();
    add_user(&cb, "amy", "agent");
    let server = Server::start(&cb);
    let long = "x".repeat(100_000);
    for _ in 0..5 {
        let r = server.post_login(&[("name", &long), ("password", "nope")]);
        assert_eq!(r.status, 401);
    }
    let recorded =
        casebook_testkit::query_text(&cb.database_url(), "SELECT COUNT(*) FROM login_failures");
    assert_eq!(recorded, "0", "a name no user can have is not recorded");

    for next in [
        "/\t/evil.example",
        "/\\evil.example",
        "//evil.example",
        "/\r\nSet-Cookie: x=1",
    ] {
        let r = server.post_login(&[
            ("name", "amy"),
            ("password", crate::web::PASSWORD),
            ("next", next),
        ]);
        assert_eq!(r.status, 303, "{next:?}: {}", r.body);
        assert_eq!(r.headers["location"], "/", "{next:?}");
    }
    let ok = server.post_login(&[
        ("name", "amy"),
        ("password", crate::web::PASSWORD),
        ("next", "/search?q=voicemail"),
    ]);
    assert_eq!(ok.headers["location"], "/search?q=voicemail");

    let bearer = token(&cb, "amy");
    let r = server.get_with(
        "/api/v1/me",
        &[("Authorization", &format!("bearer {bearer}"))],
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

/// A user's input is never a 500: a list there is not is a 400 saying so.
#[test]
fn a_query_naming_no_list_is_a_400() {
    let cb = crate::with_conversation();
    add_user(&cb, "amy", "agent");
    let server = Server::start(&cb);
    let api = server.api("/api/v1/search?q=customer:nosuchlist", &token(&cb, "amy"));
    assert_eq!(api.status, 400, "{}", api.body);
    assert!(
        api.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("no customer list \"nosuchlist\"")),
        "{}",
        api.body
    );
    let page = server.page("/search?q=customer:nosuchlist", &server.log_in("amy"));
    assert_eq!(page.status, 400);
    assert!(page.body.contains("no customer list"), "{}", page.body);
}

/// One email of 100,000 nested `<div>` (1.1 MB) took 40 s to open and,
/// opened twice, kept `/login` waiting 84 s. Its HTML is now over the
/// nesting cap, refused with the reason at once, while the rest of the
/// service answers.
#[test]
fn deeply_nested_html_mail_costs_nothing_and_blocks_no_one() {
    let cb = Casebook::new();
    let mut raw = b"From: Eve <eve@attacker.example>\r\nTo: support@casebook.example\r\n\
Subject: nested\r\nMessage-ID: <nested@attacker.example>\r\nContent-Type: text/html\r\n\r\n"
        .to_vec();
    raw.extend_from_slice("<div>".repeat(100_000).as_bytes());
    raw.extend_from_slice(b"deep\r\n");
    cb.write_mail("nested.eml", &raw);
    cb.ok(&["import", cb.mail_dir()]);
    let id = crate::id_of(&cb, "nested@attacker.example");
    add_user(&cb, "amy", "agent");
    let server = Server::start(&cb);
    let cookie = server.log_in("amy");
    let path = format!("/messages/{id}/html");
    let (pages, login) = std::thread::scope(|s| {
        let opens: Vec<_> = (0..4)
            .map(|_| s.spawn(|| server.page(&path, &cookie)))
            .collect();
        let started = std::time::Instant::now();
        let login = server.get_with("/login", &[]);
        let waited = started.elapsed();
        let pages: Vec<_> = opens
            .into_iter()
            .map(|o| o.join().expect("a reply"))
            .collect();
        (pages, (login.status, waited))
    });
    assert_eq!(login.0, 200);
    assert!(
        login.1 < std::time::Duration::from_secs(10),
        "GET /login waited {:?}",
        login.1
    );
    for page in &pages {
        assert_eq!(page.status, 200);
        assert!(
            page.body
                .contains("nests 100000 elements deep, over the 256 shown"),
            "{}",
            &page.body[..page.body.len().min(400)]
        );
    }
    assert!(server.rss_kib() < 400 * 1024, "memory stayed bounded");
}

/// An upload with a wrong token (or from a role that may not) is refused
/// before its file is read: a marketing user with a forged token grew the
/// server by 340 MB. Here a 200 MB upload is announced, only the form's
/// first field is sent, and the refusal comes back at once.
#[test]
fn an_upload_is_authorised_before_its_file_is_read() {
    use std::io::{Read, Write};
    let cb = Casebook::new();
    add_user(&cb, "amy", "agent");
    let server = Server::start(&cb);
    let cookie = server.log_in("amy");
    let boundary = "b0undary";
    let first = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nforged\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n"
    );
    let host = server.url().trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&host).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("timeout");
    write!(
        stream,
        "POST /customers/import HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n{first}",
        200 * 1024 * 1024
    )
    .expect("send the head and the token");
    let mut reply = [0u8; 12];
    stream
        .read_exact(&mut reply)
        .expect("an answer before the file");
    assert_eq!(
        &reply,
        b"HTTP/1.1 403",
        "{}",
        String::from_utf8_lossy(&reply)
    );

    // A form whose token is not its first field is refused the same way.
    let late = server.upload(
        "/customers/import",
        &cookie,
        &[("list", "evil")],
        ("file", "x.csv", b"email\n"),
    );
    assert_eq!(late.status, 403);
}

/// Malformed parameters on the API are JSON 400s like every other API
/// error, not plain text.
#[test]
fn malformed_api_parameters_are_json_errors() {
    let cb = Casebook::new();
    add_user(&cb, "amy", "agent");
    let server = Server::start(&cb);
    let bearer = token(&cb, "amy");
    for path in [
        "/api/v1/search?q=a&limit=-1",
        "/api/v1/messages/abc",
        "/api/v1/threads/1x",
    ] {
        let r = server.api(path, &bearer);
        assert_eq!(r.status, 400, "{path}: {}", r.body);
        assert!(
            r.json()["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{path}: {}",
            r.body
        );
    }
}

/// A page on another site cannot log a browser in as someone else: the
/// login form carries a token that must match its SameSite cookie.
#[test]
fn the_login_form_carries_a_token_another_site_cannot_send() {
    let cb = Casebook::new();
    add_user(&cb, "amy", "agent");
    let server = Server::start(&cb);
    let form = [("name", "amy"), ("password", crate::web::PASSWORD)];
    let no_token = server.post("/login", None, &form);
    assert_eq!(no_token.status, 403, "{}", no_token.body);
    assert!(
        !no_token.headers.contains_key("set-cookie")
            || !no_token.headers["set-cookie"].contains("casebook_session=cbs_")
    );
    let guessed = server.post("/login", None, &[form[0], form[1], ("token", "0123")]);
    assert_eq!(guessed.status, 403);
    assert_eq!(
        server.post_login(&form).status,
        303,
        "the form itself works"
    );
}

//! The testimonial flow from the terminal to marketing's view and back
//! out: suggest, approve, list, export, the marketing API, revoke, audit.

use crate::id_of;
use crate::web::{add_user, csrf_of, token, Server};

pub(crate) const PRAISE: &[u8] = b"From: Ann Lee <ann@customer.example>\r\nTo: support@casebook.example\r\n\
Subject: Re: Voicemail greeting broken\r\nMessage-ID: <praise1@customer.example>\r\n\
Date: Wed, 2 Jul 2008 09:00:00 +0200\r\n\r\nHi Sam,\r\n\r\nExcellent work! The <new> greeting plays, \"finally\".\r\n\
You may use this as a testimonial.\r\n\r\nAnn\r\n";

#[test]
fn from_suggestion_to_export_to_revocation() {
    let cb = crate::with_conversation();
    cb.write_mail("praise.eml", PRAISE);
    cb.ok(&["import", cb.mail_dir()]);
    let praise = id_of(&cb, "praise1@customer.example");

    let suggested = cb.json(&["testimonial", "suggest", "--json"]);
    assert_eq!(suggested[0]["message"], praise);
    assert_eq!(
        suggested[0]["permission"][0],
        "You may use this as a testimonial."
    );

    let refused = cb.run(&[
        "testimonial",
        "approve",
        &praise.to_string(),
        "--excerpt",
        "Excellent work! Best support ever.",
        "--attribution",
        "Ann Lee, ACME",
        "--consent-message",
        &praise.to_string(),
    ]);
    assert!(!refused.status.success(), "not the customer's words");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("word for word"));
    let approved = cb.ok(&[
        "testimonial",
        "approve",
        &praise.to_string(),
        "--excerpt",
        "Excellent work! The <new> greeting plays, \"finally\".",
        "--attribution",
        "A customer in telecoms",
        "--consent-message",
        &praise.to_string(),
    ]);
    assert!(approved.starts_with("approved testimonial "), "{approved}");
    let id = approved
        .split_whitespace()
        .nth(2)
        .and_then(|n| n.parse::<i64>().ok())
        .expect("an id");

    let csv = cb.ok(&["testimonial", "export", "--format", "csv"]);
    assert_eq!(
        csv,
        format!(
            "id,excerpt,attribution,date,topic,edited\n{id},\"Excellent work! The <new> greeting plays, \"\"finally\"\".\",A customer in telecoms,2008-07-02,Voicemail greeting broken,false\n"
        )
    );
    let html = cb.ok(&["testimonial", "export", "--format", "html"]);
    assert!(
        html.contains("The &lt;new&gt; greeting plays, &quot;finally&quot;."),
        "{html}"
    );
    let json = cb.json(&["testimonial", "export", "--format", "json"]);
    let keys: Vec<&str> = json[0]
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["attribution", "date", "edited", "excerpt", "id", "topic"],
        "nothing else"
    );

    // Marketing sees exactly that, and no message.
    add_user(&cb, "mia", "marketing");
    let server = Server::start(&cb);
    let t = token(&cb, "mia");
    let view = server.api("/api/v1/testimonials", &t);
    assert_eq!(view.status, 200);
    assert_eq!(
        view.json()["testimonials"][0]["excerpt"],
        "Excellent work! The <new> greeting plays, \"finally\"."
    );
    for leak in ["ann@customer.example", "Hi Sam", "Ann Lee"] {
        assert!(!view.body.contains(leak), "{leak} leaked: {}", view.body);
    }
    assert_eq!(
        server.api(&format!("/api/v1/messages/{praise}"), &t).status,
        403
    );
    let page = server.page("/testimonials", &server.log_in("mia"));
    assert!(
        page.body.contains("The &lt;new&gt; greeting plays"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("ann@customer.example"));

    // The customer withdraws consent: the quote leaves every export.
    cb.ok(&[
        "testimonial",
        "revoke",
        &id.to_string(),
        "--reason",
        "the customer withdrew consent",
    ]);
    assert_eq!(
        cb.ok(&["testimonial", "export", "--format", "csv"]),
        "id,excerpt,attribution,date,topic,edited\n"
    );
    assert_eq!(
        server.api("/api/v1/testimonials", &t).json()["testimonials"],
        serde_json::json!([])
    );
    let revoked = cb.json(&["testimonial", "list", "--status", "revoked", "--json"]);
    assert_eq!(revoked[0]["reason"], "the customer withdrew consent");

    let audit = cb.json(&["audit", "--json"]);
    let actions: Vec<&str> = audit
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        ["approve", "export", "export", "export", "revoke", "export"]
    );
    assert!(audit[0]["actor"]
        .as_str()
        .is_some_and(|a| a.starts_with("cli:")));
    assert_eq!(audit[0]["detail"]["attribution"], "A customer in telecoms");
}

#[test]
fn agents_review_approve_and_revoke_in_the_web_app_with_history() {
    let cb = crate::with_conversation();
    cb.write_mail("praise.eml", PRAISE);
    cb.ok(&["import", cb.mail_dir()]);
    let praise = id_of(&cb, "praise1@customer.example").to_string();
    add_user(&cb, "ann", "agent");
    add_user(&cb, "mia", "marketing");
    let server = Server::start(&cb);

    let marketing = server.log_in("mia");
    assert_eq!(server.page("/testimonials/review", &marketing).status, 403);
    let m_csrf = csrf_of(&server.page("/testimonials", &marketing).body);
    let forbidden = server.post(
        "/testimonials/approve",
        Some(&marketing),
        &[
            ("csrf", &m_csrf),
            ("message", &praise),
            ("excerpt", "Excellent work!"),
            ("attribution", "Ann"),
            ("consent_message", &praise),
        ],
    );
    assert_eq!(forbidden.status, 403, "marketing cannot approve");

    let agent = server.log_in("ann");
    let queue = server.page("/testimonials/review", &agent);
    assert_eq!(queue.status, 200);
    // Who it is from, beside the suggestion; every field labelled.
    assert!(
        queue.body.contains(
            "From <strong>Ann Lee</strong> <span class=\"muted\">ann@customer.example</span>"
        ),
        "{}",
        queue.body
    );
    for field in ["excerpt", "attribution", "edited", "expires", "reason"] {
        assert!(
            queue
                .body
                .contains(&format!("<label for=\"{field}-{praise}\">")),
            "{field} has its label: {}",
            queue.body
        );
    }
    assert!(
        queue.body.contains("You may use this as a testimonial."),
        "{}",
        queue.body
    );
    let csrf = csrf_of(&queue.body);
    let wrong = server.post(
        "/testimonials/approve",
        Some(&agent),
        &[
            ("csrf", &csrf),
            ("message", &praise),
            ("excerpt", "Best support ever."),
            ("attribution", "Ann Lee"),
            ("consent_message", &praise),
        ],
    );
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("word for word"), "{}", wrong.body);
    let approved = server.post(
        "/testimonials/approve",
        Some(&agent),
        &[
            ("csrf", &csrf),
            ("message", &praise),
            ("excerpt", "Excellent work!"),
            ("attribution", "Ann Lee, ACME"),
            ("consent_message", &praise),
        ],
    );
    assert_eq!(approved.status, 303, "{}", approved.body);
    let shown = server.page("/testimonials", &server.log_in("mia"));
    assert!(shown.body.contains("Excellent work!"), "marketing sees it");
    // Chosen by topic and by when the customer wrote (2 July 2008).
    let mia = server.log_in("mia");
    for (query, shown_there) in [
        ("?topic=Voicemail+greeting+broken", true),
        ("?topic=Invoice", false),
        ("?after=2008-07-02&before=2008-07-02", true),
        ("?after=2008-07-03", false),
        ("?before=2008-07-01", false),
    ] {
        let page = server.page(&format!("/testimonials{query}"), &mia);
        assert_eq!(page.status, 200, "{query}");
        assert_eq!(
            page.body.contains("Excellent work!"),
            shown_there,
            "{query}: {}",
            page.body
        );
    }
    let bad = server.page("/testimonials?after=July", &mia);
    assert_eq!(bad.status, 400);
    assert!(
        bad.body
            .contains("after &quot;July&quot; is not a day: use YYYY-MM-DD"),
        "{}",
        bad.body
    );
    let page = server.page("/testimonials?topic=Voicemail+greeting+broken", &mia);
    let csv = server.post(
        "/testimonials/export",
        Some(&mia),
        &[
            ("csrf", &csrf_of(&page.body)),
            ("topic", "Voicemail greeting broken"),
        ],
    );
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        csv.body
            .starts_with("id,excerpt,attribution,date,topic,edited\n")
            && csv
                .body
                .contains("Excellent work!,\"Ann Lee, ACME\",2008-07-02"),
        "{}",
        csv.body
    );
    let none = server.post(
        "/testimonials/export",
        Some(&mia),
        &[("csrf", &csrf_of(&page.body)), ("topic", "Invoice")],
    );
    assert_eq!(none.body, "id,excerpt,attribution,date,topic,edited\n");
    let forged = server.post(
        "/testimonials/export",
        Some(&mia),
        &[("csrf", "wrong"), ("topic", "")],
    );
    assert_ne!(forged.status, 200, "an export needs the session's token");
    let audit = cb.json(&["audit", "--json"]);
    let exports: Vec<&serde_json::Value> = audit
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "export" && e["actor"] == "web:mia")
        .collect();
    assert_eq!(exports.len(), 2, "each export recorded: {audit}");
    assert_eq!(exports[1]["detail"]["testimonials"], serde_json::json!([]));

    let decided = server.page("/testimonials/review", &agent).body;
    assert!(decided.contains("approve by web:ann"), "history: {decided}");
    assert!(!decided.contains("score "), "no longer a suggestion");
    let id = decided
        .split("id=\"testimonial-")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the decision")
        .to_owned();
    let revoked = server.post(
        &format!("/testimonials/{id}/revoke"),
        Some(&agent),
        &[("csrf", &csrf), ("reason", "the customer withdrew consent")],
    );
    assert_eq!(revoked.status, 303);
    let after = server.page("/testimonials/review", &agent).body;
    assert!(after.contains("revoke by web:ann"), "{after}");
    let shown = server.page("/testimonials", &server.log_in("mia"));
    assert!(
        !shown.body.contains("Excellent work!"),
        "gone for marketing"
    );
}

/// What marketing and the approvers look at, in a browser at desktop and
/// phone widths: the review queue names the customer beside labelled
/// fields, the testimonials page filters, the statistics page draws its
/// charts on the server (no script), numbers right-aligned; nothing
/// reaches past a phone's screen.
#[test]
fn in_chromium_review_testimonials_and_statistics_read_on_desktop_and_phone() {
    let cb = crate::Casebook::new();
    let maildir = cb.corpus(800, 3);
    cb.ok(&["import", maildir.to_str().expect("utf-8")]);
    cb.write_mail("praise.eml", PRAISE);
    cb.ok(&["import", cb.mail_dir()]);
    add_user(&cb, "ann", "agent");
    add_user(&cb, "mia", "marketing");
    let server = Server::start(&cb);
    let shots = std::env::var_os("CASEBOOK_SCREENSHOTS").map(std::path::PathBuf::from);
    let browser = casebook_testkit::Chromium::start();
    let log_in = |name: &str| {
        browser.goto(&format!("{}/login", server.url));
        crate::web::submit_login(&browser, name);
        browser.wait_for_url("logged in", |u| !u.contains("/login"));
    };
    log_in("ann");
    browser.goto(&format!("{}/testimonials/review", server.url));
    let first = "section.suggestion:first-of-type";
    assert!(
        browser
            .text(&format!("{first} p.customer"))
            .starts_with("From "),
        "the customer is named"
    );
    // Labels and fields line up: every label starts where the first does.
    let lefts = browser.run(&format!(
        "return Array.from(document.querySelectorAll('{first} form.fields > label')) \
           .map(l => Math.round(l.getBoundingClientRect().left));"
    ));
    let lefts: Vec<i64> = lefts
        .as_array()
        .expect("lefts")
        .iter()
        .filter_map(serde_json::Value::as_i64)
        .collect();
    assert!(
        lefts.len() >= 4 && lefts.iter().all(|l| *l == lefts[0]),
        "{lefts:?}"
    );
    if let Some(dir) = &shots {
        browser.screenshot(&dir.join("review.png"));
    }
    browser.click("header form button[type=submit]");
    browser.wait_for_url("logged out", |u| u.contains("/login"));

    log_in("mia");
    browser.goto(&format!("{}/stats", server.url));
    assert_eq!(browser.count("figure.chart svg"), 3, "three charts");
    assert_eq!(browser.count("script"), 0, "drawn without script");
    assert!(browser.count("figure.chart svg g.bar") > 3);
    let align = browser
        .run("return getComputedStyle(document.querySelector('table.stats td.num')).textAlign;");
    assert_eq!(align, "right");
    if let Some(dir) = &shots {
        browser.screenshot(&dir.join("statistics.png"));
    }
    browser.resize(390, 844);
    for path in ["/stats", "/testimonials"] {
        browser.goto(&format!("{}{path}", server.url));
        let beyond = browser.beyond_the_viewport();
        assert!(beyond.is_empty(), "{path} past a phone's edge: {beyond:?}");
    }
    if let Some(dir) = &shots {
        browser.goto(&format!("{}/stats", server.url));
        browser.screenshot(&dir.join("statistics-phone.png"));
    }
    browser.click("header form button[type=submit]");
    browser.wait_for_url("logged out", |u| u.contains("/login"));
    log_in("ann");
    browser.goto(&format!("{}/testimonials/review", server.url));
    let beyond = browser.beyond_the_viewport();
    assert!(
        beyond.is_empty(),
        "the review queue past a phone's edge: {beyond:?}"
    );
}

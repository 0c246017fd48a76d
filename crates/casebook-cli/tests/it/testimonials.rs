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

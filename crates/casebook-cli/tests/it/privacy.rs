//! Privacy choices from the terminal and the web app: an unsubscribe found
//! in the mail, confirmed in one step, revokes the customer's testimonial
//! and keeps it out of every export; choices are shown with their source.

use crate::id_of;
use crate::testimonials::PRAISE;
use crate::web::{add_user, csrf_of, Server};

const UNSUBSCRIBE: &[u8] = b"From: Ann Lee <ann@customer.example>\r\nTo: support@casebook.example\r\n\
Subject: Newsletter\r\nMessage-ID: <unsub1@customer.example>\r\n\
Date: Thu, 3 Jul 2008 09:00:00 +0200\r\n\r\nPlease unsubscribe me from your newsletters.\r\n\r\nAnn\r\n";

#[test]
fn a_confirmed_unsubscribe_revokes_the_testimonial_everywhere() {
    let cb = crate::with_conversation();
    cb.write_mail("praise.eml", PRAISE);
    cb.write_mail("unsub.eml", UNSUBSCRIBE);
    cb.ok(&["import", cb.mail_dir()]);
    let praise = id_of(&cb, "praise1@customer.example").to_string();
    let unsub = id_of(&cb, "unsub1@customer.example");
    cb.ok(&[
        "testimonial",
        "approve",
        &praise,
        "--excerpt",
        "Excellent work!",
        "--attribution",
        "Ann Lee, ACME",
        "--consent-message",
        &praise,
    ]);

    let requests = cb.json(&["privacy", "requests", "--json"]);
    assert_eq!(requests.as_array().map(Vec::len), Some(1), "{requests}");
    assert_eq!(requests[0]["message"], unsub);
    assert_eq!(requests[0]["asks"], serde_json::json!(["unsubscribe"]));
    let confirmed = cb.ok(&["privacy", "confirm", &unsub.to_string()]);
    assert!(confirmed.contains("revoked testimonial 1"), "{confirmed}");
    assert_eq!(
        cb.ok(&["testimonial", "export", "--format", "csv"]),
        "id,excerpt,attribution,date,topic,edited\n"
    );
    let shown = cb.json(&["privacy", "show", "ANN@customer.example", "--json"]);
    assert_eq!(shown["marketing"]["value"], "opt-out");
    assert_eq!(shown["marketing"]["source"], format!("message {unsub}"));
    assert_eq!(shown["may_go_to_partners"], true);
    assert_eq!(
        cb.ok(&["privacy", "requests"]).trim(),
        "no requests waiting"
    );

    let bad = cb.run(&[
        "privacy",
        "set",
        "ann at customer",
        "--partners",
        "deny",
        "--source",
        "call",
    ]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("\"ann at customer\" is not an e-mail address"),
        "{err}"
    );
    let nothing = cb.run(&["privacy", "set", "ann@customer.example", "--source", "call"]);
    assert!(!nothing.status.success(), "a choice is required");
    cb.ok(&[
        "privacy",
        "set",
        "ann@customer.example",
        "--partners",
        "deny",
        "--source",
        "phone call, 3 July",
    ]);
    let list = cb.ok(&["privacy", "list"]);
    assert_eq!(
        list.trim(),
        "ann@customer.example  marketing: opt-out  partners: deny"
    );
}

#[test]
fn agents_confirm_requests_and_record_choices_in_the_web_app() {
    let cb = crate::with_conversation();
    cb.write_mail("unsub.eml", UNSUBSCRIBE);
    cb.ok(&["import", cb.mail_dir()]);
    let unsub = id_of(&cb, "unsub1@customer.example");
    add_user(&cb, "ann", "agent");
    add_user(&cb, "mia", "marketing");
    let server = Server::start(&cb);

    let marketing = server.log_in("mia");
    assert_eq!(server.page("/privacy", &marketing).status, 403);
    let agent = server.log_in("ann");
    let page = server.page("/privacy", &agent);
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(&format!("id=\"request-{unsub}\"")),
        "{}",
        page.body
    );
    let csrf = csrf_of(&page.body);
    let m_csrf = csrf_of(&server.page("/testimonials", &marketing).body);
    let forbidden = server.post(
        &format!("/privacy/requests/{unsub}/confirm"),
        Some(&marketing),
        &[("csrf", &m_csrf)],
    );
    assert_eq!(forbidden.status, 403, "marketing cannot decide");
    let confirmed = server.post(
        &format!("/privacy/requests/{unsub}/confirm"),
        Some(&agent),
        &[("csrf", &csrf)],
    );
    assert_eq!(confirmed.status, 303, "{}", confirmed.body);
    let page = server.page("/privacy", &agent);
    assert!(!page.body.contains("id=\"request-"), "decided");

    let refused = server.post(
        "/privacy/set",
        Some(&agent),
        &[
            ("csrf", &csrf),
            ("email", "ann@customer.example"),
            ("marketing", ""),
            ("partners", "deny"),
            ("source", ""),
        ],
    );
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("--source"), "{}", refused.body);
    let set = server.post(
        "/privacy/set",
        Some(&agent),
        &[
            ("csrf", &csrf),
            ("email", "ann@customer.example"),
            ("marketing", ""),
            ("partners", "deny"),
            ("source", "phone call"),
        ],
    );
    assert_eq!(set.status, 303);
    let person = server.page("/privacy?email=ann%40customer.example", &agent);
    assert!(
        person.body.contains("<strong>deny</strong>"),
        "{}",
        person.body
    );
    assert!(person.body.contains("by web:ann"), "{}", person.body);
    assert!(person.body.contains("<strong>opt-out</strong>"), "kept");
}

#[test]
fn an_access_export_holds_everything_on_the_person_and_nothing_on_others() {
    let cb = crate::with_conversation();
    cb.write_mail("praise.eml", PRAISE);
    let other = b"From: Bob <bob@other.example>\r\nTo: support@casebook.example\r\n\
Subject: Invoice\r\nMessage-ID: <bob1@other.example>\r\nDate: Thu, 3 Jul 2008 09:00:00 +0200\r\n\r\nWhere is my invoice?\r\n";
    cb.write_mail("bob.eml", other);
    let home = b"From: Ann <ann@home.example>\r\nTo: support@casebook.example\r\n\
Subject: From home\r\nMessage-ID: <home1@home.example>\r\nDate: Thu, 3 Jul 2008 19:00:00 +0200\r\n\r\nWriting from home.\r\n";
    cb.write_mail("home.eml", home);
    cb.ok(&["import", cb.mail_dir()]);
    let praise = id_of(&cb, "praise1@customer.example").to_string();
    cb.ok(&[
        "testimonial",
        "approve",
        &praise,
        "--excerpt",
        "Excellent work!",
        "--attribution",
        "Ann Lee, ACME",
        "--consent-message",
        &praise,
    ]);
    cb.ok(&[
        "person",
        "merge",
        "ann@customer.example",
        "ann@home.example",
    ]);
    cb.ok(&[
        "privacy",
        "set",
        "ann@home.example",
        "--partners",
        "deny",
        "--source",
        "letter",
    ]);
    let list = cb.write_mail(
        "crm.csv",
        b"Email,Company\nann@customer.example,ACME\nbob@other.example,Other\n",
    );
    cb.ok(&[
        "customers",
        "import",
        list.to_str().expect("utf-8"),
        "--list",
        "crm",
    ]);

    let dir = cb.data_path().join("export-ann");
    let said = cb.ok(&[
        "privacy",
        "export",
        "ann@customer.example",
        "--out",
        dir.to_str().expect("utf-8"),
    ]);
    assert!(
        said.contains("(4 messages)"),
        "question, our answer, praise, home: {said}"
    );
    let question = id_of(&cb, "q1@customer.example");
    assert_eq!(
        std::fs::read(dir.join(format!("messages/{question}.eml"))).expect("raw"),
        crate::QUESTION,
        "byte for byte"
    );
    let person: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("person.json")).expect("person"))
            .expect("json");
    assert_eq!(person["partners"]["value"], "deny");
    assert_eq!(
        person["addresses"],
        serde_json::json!(["ann@customer.example", "ann@home.example"])
    );
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect(name);
    assert!(read("testimonials.json").contains("Excellent work!"));
    assert!(read("customer-lists.json").contains("ACME"));
    assert!(read("audit.json").contains("privacy-set"));
    assert!(read("README.txt").contains("messages/ID.eml"));
    // Nothing about Bob anywhere.
    for entry in walk(&dir) {
        let text = String::from_utf8_lossy(&std::fs::read(&entry).expect("file")).into_owned();
        assert!(
            !text.contains("bob@other.example") && !text.contains("invoice?"),
            "{entry:?}"
        );
    }
    let again = cb.run(&[
        "privacy",
        "export",
        "ann@customer.example",
        "--out",
        dir.to_str().expect("utf-8"),
    ]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("is not empty"));
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_person_corrects_their_name_and_a_wrong_customer_match() {
    let cb = crate::with_conversation();
    let list = cb.write_mail(
        "partner.csv",
        b"Email,Company\nsomeone@customer.example,Customer Inc\n",
    );
    cb.ok(&[
        "customers",
        "import",
        list.to_str().expect("utf-8"),
        "--list",
        "crm",
    ]);
    let q = id_of(&cb, "q1@customer.example").to_string();
    assert_eq!(
        cb.json(&["show", &q, "--json"])["customer"][0]["kind"],
        "domain"
    );

    cb.ok(&[
        "privacy",
        "correct",
        "ann@customer.example",
        "--name",
        "Ann Lee-Smith",
        "--not-on-list",
        "crm",
    ]);
    let shown = cb.json(&["show", &q, "--json"]);
    assert_eq!(shown["known_as"], "Ann Lee-Smith");
    assert_eq!(
        shown["customer"],
        serde_json::json!([]),
        "the wrong match is gone"
    );
    assert!(cb.ok(&["show", &q]).contains("Known as: Ann Lee-Smith"));
    let privacy = cb.json(&["privacy", "show", "ann@customer.example", "--json"]);
    assert_eq!(privacy["corrections"].as_array().map(Vec::len), Some(2));
    let audit = cb.ok(&["audit", "--json"]);
    assert_eq!(
        audit.matches("\"action\":\"correct\"").count(),
        2,
        "{audit}"
    );

    let unknown = cb.run(&[
        "privacy",
        "correct",
        "ann@customer.example",
        "--not-on-list",
        "nope",
    ]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no customer list \"nope\""));
    let nothing = cb.run(&["privacy", "correct", "ann@customer.example"]);
    assert!(
        !nothing.status.success(),
        "something to correct is required"
    );
}

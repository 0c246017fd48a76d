//! The queue: conversations waiting for us, oldest first, from mail
//! written by hand in the shapes real clients send (not the generator's).

use crate::web::{add_user, token, Server};
use crate::Casebook;

/// Bob (Thunderbird style) asked on 1 July and has no answer.
const BOB: &[u8] = b"From: Bob Stone <bob@other.example>\nTo: support@casebook.example\n\
Subject: Trunk down since this morning\nDate: Tue, 1 Jul 2008 09:00:00 +0000\n\
Message-ID: <b1@other.example>\nUser-Agent: Mozilla Thunderbird\nContent-Type: text/plain; charset=UTF-8; format=flowed\n\n\
Our SIP trunk is down since this morning.\n\n-- \nBob Stone\n";
/// Carol (Outlook style) asked on 1 June, we answered on 2 June, she wrote
/// twice more (5 and 6 June) with no answer: waiting since 5 June.
const CAROL_1: &[u8] = b"From: \"Carol Diaz\" <carol@firm.example>\r\nTo: support@casebook.example\r\n\
Subject: Voicemail greeting silent\r\nDate: Sun, 1 Jun 2008 10:00:00 +0200\r\nMessage-ID: <c1@firm.example>\r\n\
Thread-Topic: Voicemail greeting silent\r\n\r\nThe voicemail greeting plays silence.\r\n";
const OUR_REPLY: &[u8] = b"From: Sam <sam@casebook.example>\nTo: carol@firm.example\n\
Subject: Re: Voicemail greeting silent\nDate: Mon, 2 Jun 2008 10:00:00 +0000\nMessage-ID: <r1@casebook.example>\n\
In-Reply-To: <c1@firm.example>\nReferences: <c1@firm.example>\n\nPlease record the greeting again.\n";
const CAROL_2: &[u8] = b"From: \"Carol Diaz\" <carol@firm.example>\r\nTo: sam@casebook.example\r\n\
Subject: RE: Voicemail greeting silent\r\nDate: Thu, 5 Jun 2008 08:00:00 +0000\r\nMessage-ID: <c2@firm.example>\r\n\
In-Reply-To: <r1@casebook.example>\r\nReferences: <c1@firm.example> <r1@casebook.example>\r\n\r\n\
Still silent after recording it again.\r\n\r\n________________________________\r\nFrom: Sam\r\nSent: Monday, June 2, 2008 10:00 AM\r\n\r\nPlease record the greeting again.\r\n";
const CAROL_3: &[u8] = b"From: \"Carol Diaz\" <carol@firm.example>\r\nTo: sam@casebook.example\r\n\
Subject: RE: Voicemail greeting silent\r\nDate: Fri, 6 Jun 2008 08:00:00 +0000\r\nMessage-ID: <c3@firm.example>\r\n\
In-Reply-To: <c2@firm.example>\r\nReferences: <c1@firm.example> <r1@casebook.example> <c2@firm.example>\r\n\r\nAny news?\r\n";
/// Dave's out-of-office: automated, never waiting.
const DAVE: &[u8] = b"From: Dave <dave@acme.example>\nTo: support@casebook.example\n\
Subject: Automatic reply: Invoice\nDate: Wed, 2 Jul 2008 09:00:00 +0000\nMessage-ID: <d1@acme.example>\n\
Auto-Submitted: auto-replied\n\nI am out of the office.\n";

pub(crate) fn with_waiting_mail() -> Casebook {
    let cb = Casebook::new();
    for (name, bytes) in [
        ("question.eml", crate::QUESTION),
        ("answer.eml", crate::ANSWER),
        ("bob.eml", BOB),
        ("carol1.eml", CAROL_1),
        ("reply.eml", OUR_REPLY),
        ("carol2.eml", CAROL_2),
        ("carol3.eml", CAROL_3),
        ("dave.eml", DAVE),
    ] {
        cb.write_mail(name, bytes);
    }
    cb.ok(&["import", cb.mail_dir()]);
    cb
}

fn queue(cb: &Casebook, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["queue", "--json"];
    all.extend_from_slice(args);
    cb.ok(&all)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect()
}

fn addresses(entries: &[serde_json::Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["customer"]["address"].as_str().unwrap_or("?"))
        .collect()
}

#[test]
fn the_queue_lists_waiting_customers_oldest_first() {
    let cb = with_waiting_mail();
    let all = queue(&cb, &[]);
    assert_eq!(
        addresses(&all),
        ["carol@firm.example", "bob@other.example"],
        "answered Ann and automated Dave are not waiting: {all:?}"
    );
    let carol = &all[0];
    assert_eq!(carol["waiting_since"], "2008-06-05T08:00:00Z", "{carol}");
    assert_eq!(carol["waiting_messages"], 2, "{carol}");
    assert_eq!(carol["customer"]["name"], "Carol Diaz", "{carol}");
    assert_eq!(carol["subject"], "RE: Voicemail greeting silent", "{carol}");
    assert!(
        carol["waited_secs"].as_i64() > Some(86_400 * 365),
        "{carol}"
    );
    let thread = carol["thread_id"].to_string();
    let shown = cb.json(&["thread", &thread, "--json"]);
    assert!(shown.to_string().contains("c3@firm.example"), "{shown}");

    let text = cb.ok(&["queue"]);
    assert!(
        text.starts_with("2 conversations waiting for us, oldest first"),
        "{text}"
    );
    let (first, second) = (text.find("Carol Diaz"), text.find("Bob Stone"));
    assert!(first < second && first.is_some(), "{text}");

    // Filters: topic, tag, customer list; and paging.
    assert_eq!(
        addresses(&queue(&cb, &["--topic", "voicemail"])),
        ["carol@firm.example"]
    );
    assert_eq!(
        addresses(&queue(&cb, &["--topic", "sip-trunk"])),
        ["bob@other.example"]
    );
    let bob_id = all[1]["latest_message"].to_string();
    cb.ok(&["tag", &bob_id, "urgent"]);
    assert_eq!(
        addresses(&queue(&cb, &["--tag", "urgent"])),
        ["bob@other.example"]
    );
    // Beside the mail folder, not in it: it is not mail.
    let list = cb.data_path().join("crm.csv");
    std::fs::write(
        &list,
        "email,name,company\nbob@other.example,Bob Stone,Other Ltd\n",
    )
    .expect("list");
    cb.ok(&[
        "customers",
        "import",
        list.to_str().expect("utf-8"),
        "--list",
        "crm",
    ]);
    let on_list = queue(&cb, &["--list", "crm"]);
    assert_eq!(addresses(&on_list), ["bob@other.example"]);
    assert_eq!(on_list[0]["customer"]["company"], "Other Ltd");
    assert_eq!(on_list[0]["customer"]["lists"], serde_json::json!(["crm"]));
    assert_eq!(
        addresses(&queue(&cb, &["--limit", "1", "--offset", "1"])),
        ["bob@other.example"]
    );

    // A name corrected under another address of the same person is hers.
    cb.ok(&[
        "person",
        "merge",
        "carol@firm.example",
        "carol.diaz@home.example",
    ]);
    cb.ok(&[
        "privacy",
        "correct",
        "carol.diaz@home.example",
        "--name",
        "Carol Díaz-Ruiz",
    ]);
    let corrected = queue(&cb, &[]);
    assert_eq!(
        corrected[0]["customer"]["name"], "Carol Díaz-Ruiz",
        "{corrected:?}"
    );
    assert_eq!(
        corrected[1]["customer"]["name"], "Bob Stone",
        "{corrected:?}"
    );

    // A reply to Bob takes him off the queue.
    cb.write_mail(
        "bob-answer.eml",
        b"From: Sam <sam@casebook.example>\nTo: bob@other.example\nSubject: Re: Trunk down since this morning\n\
Date: Tue, 1 Jul 2008 11:00:00 +0000\nMessage-ID: <r2@casebook.example>\nIn-Reply-To: <b1@other.example>\n\nRestarted.\n",
    );
    cb.ok(&["import", cb.mail_dir()]);
    assert_eq!(addresses(&queue(&cb, &[])), ["carol@firm.example"]);

    // The list is kept between processes while nothing changes, and
    // brought up to date when anything does: Bob writes again and is back;
    // Carol's mail is erased and she is gone; a kept file that is not
    // one this version wrote is ignored.
    let kept = cb.data_path().join("archive").join("index").join("waiting");
    assert!(kept.exists(), "the waiting list is kept beside the index");
    cb.write_mail(
        "bob-again.eml",
        b"From: Bob Stone <bob@other.example>\nTo: sam@casebook.example\nSubject: Re: Trunk down since this morning\n\
Date: Wed, 2 Jul 2008 08:00:00 +0000\nMessage-ID: <b2@other.example>\nIn-Reply-To: <r2@casebook.example>\n\nDown again.\n",
    );
    cb.ok(&["import", cb.mail_dir()]);
    assert_eq!(
        addresses(&queue(&cb, &[])),
        ["carol@firm.example", "bob@other.example"]
    );
    cb.ok(&["privacy", "erase", "carol@firm.example"]);
    assert_eq!(addresses(&queue(&cb, &[])), ["bob@other.example"]);
    std::fs::write(&kept, b"casebook waiting conversations 1\nnot a list")
        .expect("spoil the kept list");
    assert_eq!(addresses(&queue(&cb, &[])), ["bob@other.example"]);

    for (args, says) in [
        (vec!["queue", "--topic", "weather"], "there is no topic"),
        (vec!["queue", "--list", "nosuch"], "no customer list"),
        (vec!["queue", "--tag", "bad tag!"], "is not a tag"),
    ] {
        let out = cb.run(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(says),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn the_queue_api_serves_agents_not_marketing() {
    let cb = with_waiting_mail();
    add_user(&cb, "alice", "agent");
    add_user(&cb, "mia", "marketing");
    let server = Server::start(&cb);
    let reply = server.api("/api/v1/queue?limit=1", &token(&cb, "alice"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let v = reply.json();
    assert_eq!(v["total"], 2, "{v}");
    assert_eq!(
        v["conversations"][0]["customer"]["address"], "carol@firm.example",
        "{v}"
    );
    assert_eq!(
        v["conversations"][0]["waiting_since"], "2008-06-05T08:00:00Z",
        "{v}"
    );
    assert_eq!(v["conversations"].as_array().map(Vec::len), Some(1), "{v}");
    let bad = server.api("/api/v1/queue?topic=weather", &token(&cb, "alice"));
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.json()["error"]
        .as_str()
        .is_some_and(|e| e.contains("no topic")));
    let marketing = server.api("/api/v1/queue", &token(&cb, "mia"));
    assert_eq!(
        marketing.status, 403,
        "marketing sees no conversation: {}",
        marketing.body
    );
}

/// From the queue to how we answered this before: Carol's unanswered
/// follow-up finds Ann's answered voicemail question (her own thread,
/// answered too, is left out), with our reply's own words.
#[test]
fn a_waiting_message_shows_how_we_answered_the_like_before() {
    let cb = with_waiting_mail();
    let carol = queue(&cb, &["--topic", "voicemail"]);
    let waiting = carol[0]["latest_message"].to_string();
    let id = crate::id_of(&cb, "c2@firm.example").to_string();
    assert_ne!(id, waiting, "c3 is the latest; c2 has the words");
    let found = cb.json(&["similar", &id, "--json", "--limit", "3"]);
    let first = &found["similar"][0];
    assert_eq!(
        first["message_id"].to_string(),
        crate::id_of(&cb, "q1@customer.example").to_string(),
        "{found}"
    );
    assert_eq!(
        first["reply_excerpt"], "Please record the unavailable greeting again.",
        "our words, not the quoted question: {found}"
    );
    assert!(first["score"].as_f64() > Some(0.0), "{found}");
    let carol_thread = carol[0]["thread_id"].clone();
    assert!(
        found["similar"]
            .as_array()
            .is_some_and(|s| s.iter().all(|c| c["thread_id"] != carol_thread)),
        "her own conversation is not offered: {found}"
    );
    let text = cb.ok(&["similar", &id]);
    assert!(text.contains("our reply"), "{text}");

    add_user(&cb, "alice", "agent");
    add_user(&cb, "mia", "marketing");
    let server = Server::start(&cb);
    let api = server.api(
        &format!("/api/v1/messages/{id}/similar?limit=2"),
        &token(&cb, "alice"),
    );
    assert_eq!(api.status, 200, "{}", api.body);
    assert_eq!(api.json()["similar"][0], *first);
    let missing = server.api("/api/v1/messages/999999/similar", &token(&cb, "alice"));
    assert_eq!(missing.status, 404, "{}", missing.body);
    let page = server.page(&format!("/messages/{id}"), &server.log_in("alice"));
    assert_eq!(page.status, 200);
    let section = page
        .body
        .split("How we answered this before")
        .nth(1)
        .unwrap_or_else(|| {
            panic!(
                "the message page shows similar conversations: {}",
                page.body
            )
        });
    assert!(
        section.contains("Please record the unavailable greeting again."),
        "{section}"
    );
    let marketing = server.api(
        &format!("/api/v1/messages/{id}/similar"),
        &token(&cb, "mia"),
    );
    assert_eq!(marketing.status, 403, "{}", marketing.body);
}

/// What an agent sees on arriving: the queue, the customer's name first,
/// oldest waiting first, times with their zone; on a phone nothing reaches
/// past the screen's edge.
#[test]
fn in_chromium_an_agent_starts_from_the_queue_on_desktop_and_phone() {
    let cb = with_waiting_mail();
    add_user(&cb, "alice", "agent");
    let server = Server::start(&cb);
    let browser = casebook_testkit::Chromium::start();
    let shots = std::env::var_os("CASEBOOK_SCREENSHOTS").map(std::path::PathBuf::from);
    browser.goto(&format!("{}/", server.url));
    crate::web::submit_login(&browser, "alice");
    browser.wait_for_url("the queue", |u| u.ends_with("/queue"));
    assert_eq!(browser.count("ol.queue li"), 2);
    assert!(browser
        .text("ol.queue li:first-child .customer")
        .contains("Carol Diaz"));
    assert!(browser
        .text("ol.queue li:last-child .customer")
        .contains("Bob Stone"));
    let meta = browser.text("ol.queue li:first-child .meta");
    assert!(
        meta.contains("2008-06-05 08:00 UTC") && meta.contains("2 messages"),
        "{meta}"
    );
    if let Some(dir) = &shots {
        browser.screenshot(&dir.join("queue.png"));
    }
    browser.resize(390, 844);
    browser.goto(&format!("{}/queue", server.url));
    let beyond = browser.beyond_the_viewport();
    assert!(
        beyond.is_empty(),
        "past the right edge on a phone: {beyond:?}"
    );
    if let Some(dir) = &shots {
        browser.screenshot(&dir.join("queue-phone.png"));
    }
    browser.click("ol.queue li:first-child > a");
    browser.wait_for_url("the thread", |u| u.contains("/threads/"));
}

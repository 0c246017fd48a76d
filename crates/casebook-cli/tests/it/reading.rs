//! Finding and reading a conversation as an agent does: search results
//! are conversations (customer, state, the customer's own words), a
//! conversation reads with quotes folded and every date in one zone, and
//! leads back to the results and on. Mail written by hand in the shapes
//! Thunderbird and Outlook send (the queue's fixtures).

use crate::queue::with_waiting_mail;
use crate::web::{add_user, token, Server};

#[test]
fn search_threads_lists_conversations_with_the_customer_s_own_words() {
    let cb = with_waiting_mail();
    // Options before and after the query alike.
    let found = cb.json(&["search", "--threads", "voicemail", "--json"]);
    let conversations = found["conversations"].as_array().expect("conversations");
    assert_eq!(found["total"], 2, "Carol's and Ann's: {found}");
    assert_eq!(found["messages"], 6, "{found}");
    let carol = conversations
        .iter()
        .find(|c| c["customer"]["address"] == "carol@firm.example")
        .unwrap_or_else(|| panic!("Carol's conversation: {found}"));
    assert_eq!(carol["customer"]["name"], "Carol Diaz", "{carol}");
    assert_eq!(carol["state"], "waiting", "{carol}");
    assert_eq!(carol["waiting_since"], "2008-06-05T08:00:00Z", "{carol}");
    assert_eq!(carol["messages"], 4, "{carol}");
    let snippet = carol["snippet"]["text"].as_str().unwrap_or_default();
    assert!(
        !snippet.contains("record the greeting"),
        "our quoted reply is no snippet: {carol}"
    );
    assert!(
        snippet.contains("voicemail greeting") || snippet.contains("Still silent"),
        "{carol}"
    );
    let ann = conversations
        .iter()
        .find(|c| c["customer"]["address"] == "ann@customer.example")
        .unwrap_or_else(|| panic!("Ann's conversation: {found}"));
    assert_eq!(ann["state"], "answered", "{ann}");
    assert_eq!(ann["first_response_secs"], 12_600, "{ann}");
    assert_eq!(
        ann["customer"]["name"], "Ann Lee",
        "the customer, not our agent who matched too: {ann}"
    );
    assert_eq!(
        ann["snippet"]["text"], "Our voicemail plays the wrong greeting",
        "{ann}"
    );

    // Pages count conversations.
    let first = cb.json(&["search", "voicemail", "--threads", "--limit", "1", "--json"]);
    let second = cb.json(&[
        "search",
        "--limit",
        "1",
        "--offset",
        "1",
        "--threads",
        "--json",
        "voicemail",
    ]);
    assert_eq!(first["conversations"].as_array().map(Vec::len), Some(1));
    assert_ne!(
        first["conversations"][0]["thread_id"], second["conversations"][0]["thread_id"],
        "{first} {second}"
    );

    let text = cb.ok(&["search", "voicemail", "--threads"]);
    assert!(text.starts_with("2 conversations (6 messages)"), "{text}");
    assert!(
        text.contains("Carol Diaz <carol@firm.example>") && text.contains("waiting"),
        "{text}"
    );
    assert!(text.contains("answered in 3h 30m"), "{text}");
    // Automated mail is a conversation of its own kind.
    let dave = cb.json(&["search", "--threads", "--json", "office"]);
    assert_eq!(dave["conversations"][0]["state"], "automated", "{dave}");
}

/// Ann's question as Thunderbird sends it.
const DIALPLAN_QUESTION: &[u8] = b"Message-ID: <5f1c2a9e-1b7d-4c3e-9a55-0d2f7e6b1c11@customer.example>\r\nDate: Wed, 4 Mar 2009 09:12:40 +0100\r\nMIME-Version: 1.0\r\nUser-Agent: Mozilla Thunderbird\r\nContent-Language: en-US\r\nTo: support@casebook.example\r\nFrom: Ann Lee <ann@customer.example>\r\nSubject: Dialplan loops on busy\r\nContent-Type: text/plain; charset=UTF-8; format=flowed\r\nContent-Transfer-Encoding: 7bit\r\n\r\nHello,\r\n\r\nwhen extension 210 is busy the dialplan loops back to the queue\r\ninstead of going to voicemail.\r\n\r\nAnn\r\n";
/// Our answer to it, as Outlook sends it.
const DIALPLAN_ANSWER: &[u8] = b"From: Sam Ortiz <sam@casebook.example>\r\nTo: Ann Lee <ann@customer.example>\r\nSubject: RE: Dialplan loops on busy\r\nDate: Wed, 4 Mar 2009 11:40:02 +0000\r\nMessage-ID: <DB7PR04MB4521A1B2C3D4E5F6@DB7PR04MB4521.eurprd04.prod.outlook.com>\r\nReferences: <5f1c2a9e-1b7d-4c3e-9a55-0d2f7e6b1c11@customer.example>\r\nIn-Reply-To: <5f1c2a9e-1b7d-4c3e-9a55-0d2f7e6b1c11@customer.example>\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\nContent-Transfer-Encoding: quoted-printable\r\nMIME-Version: 1.0\r\n\r\nHi Ann,\r\n\r\nthe dialplan's busy branch needs a Goto to the voicemail context.\r\n\r\nSam\r\n";
/// Her follow-up to our answer from a web form's mailer: a subject of its
/// own and only In-Reply-To, so it joins her question only through ours.
const DIALPLAN_FOLLOW_UP: &[u8] = b"From: ann@customer.example\nTo: support@casebook.example\nSubject: Still looping\nDate: Thu, 5 Mar 2009 08:00:00 +0100\nMessage-ID: <form.20090305.0800@web.customer.example>\nIn-Reply-To: <DB7PR04MB4521A1B2C3D4E5F6@DB7PR04MB4521.eurprd04.prod.outlook.com>\nContent-Type: text/plain; charset=utf-8\n\nThe dialplan still loops after adding the Goto.\n";

/// Conversations are found by the thread each message is in as it is
/// now: kept beside the index from one process to the next and brought up
/// to date by what changed, so a reply that joins two conversations and a
/// removal that parts them again show at once, and a kept file that
/// cannot be read is read again from the store.
#[test]
fn found_conversations_join_and_part_as_their_threads_do() {
    let cb = crate::Casebook::new();
    cb.write_mail("question.eml", DIALPLAN_QUESTION);
    cb.write_mail("follow-up.eml", DIALPLAN_FOLLOW_UP);
    cb.ok(&["import", cb.mail_dir()]);
    let conversations = |cb: &crate::Casebook| {
        let found = cb.json(&["search", "--threads", "--json", "dialplan"]);
        assert_eq!(
            found["messages"],
            found["conversations"].as_array().map_or(0, |c| c
                .iter()
                .map(|c| c["matching"].as_u64().unwrap_or(0))
                .sum::<u64>()),
            "{found}"
        );
        let mut sizes: Vec<u64> = found["conversations"]
            .as_array()
            .expect("conversations")
            .iter()
            .map(|c| c["messages"].as_u64().expect("a count"))
            .collect();
        sizes.sort();
        sizes
    };
    assert_eq!(
        conversations(&cb),
        [1, 1],
        "two conversations before our answer"
    );
    let kept = cb.data_path().join("archive/index/threads");
    assert!(
        kept.exists(),
        "each message's thread is kept beside the index"
    );

    std::fs::remove_file(cb.mail_dir().to_owned() + "/question.eml").expect("remove");
    std::fs::remove_file(cb.mail_dir().to_owned() + "/follow-up.eml").expect("remove");
    cb.write_mail("answer.eml", DIALPLAN_ANSWER);
    let before = std::fs::read(&kept).expect("kept threads");
    cb.ok(&["import", cb.mail_dir()]);
    assert_ne!(
        std::fs::read(&kept).expect("kept threads"),
        before,
        "the import brings the kept threads up to date itself"
    );
    assert_eq!(conversations(&cb), [3], "our answer joins them");

    let answer = crate::id_of(
        &cb,
        "DB7PR04MB4521A1B2C3D4E5F6@DB7PR04MB4521.eurprd04.prod.outlook.com",
    );
    cb.ok(&["remove", &answer.to_string()]);
    assert_eq!(conversations(&cb), [1, 1], "without it they part again");

    std::fs::write(&kept, b"casebook threads 1\nnot a map").expect("damage the kept file");
    assert_eq!(conversations(&cb), [1, 1], "a damaged file is read again");
}

#[test]
fn the_search_api_groups_by_thread_for_agents_only() {
    let cb = with_waiting_mail();
    add_user(&cb, "alice", "agent");
    add_user(&cb, "mia", "marketing");
    let server = Server::start(&cb);
    let agent = token(&cb, "alice");
    let grouped = server.api("/api/v1/search?q=voicemail&group=thread&limit=1", &agent);
    assert_eq!(grouped.status, 200, "{}", grouped.body);
    let v = grouped.json();
    assert_eq!(v["total"], 2, "{v}");
    assert_eq!(v["conversations"].as_array().map(Vec::len), Some(1), "{v}");
    assert!(
        v["conversations"][0]["customer"]["address"].is_string(),
        "{v}"
    );
    let messages = server.api("/api/v1/search?q=voicemail", &agent).json();
    assert_eq!(
        messages["total"], 6,
        "message-level results stay: {messages}"
    );
    let bad = server.api("/api/v1/search?q=voicemail&group=person", &agent);
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("use thread or message"), "{}", bad.body);
    let marketing = server.api(
        "/api/v1/search?q=voicemail&group=thread",
        &token(&cb, "mia"),
    );
    assert_eq!(marketing.status, 403, "{}", marketing.body);
}

/// In a browser: the results name the customer; a conversation folds
/// what Outlook quoted, shows every date in one zone with the zone
/// (UTC, then the zone chosen on the settings page), and leads to the
/// next result and back; on a phone, one column and nothing off-screen.
#[test]
fn in_chromium_an_agent_finds_and_reads_a_conversation() {
    let cb = with_waiting_mail();
    add_user(&cb, "alice", "agent");
    let server = Server::start(&cb);
    let browser = casebook_testkit::Chromium::start();
    let shots = std::env::var_os("CASEBOOK_SCREENSHOTS").map(std::path::PathBuf::from);
    browser.goto(&format!("{}/", server.url));
    crate::web::submit_login(&browser, "alice");
    browser.wait_for_url("the queue", |u| u.ends_with("/queue"));

    browser.goto(&format!("{}/search?q=voicemail", server.url));
    assert_eq!(browser.count("ol.conversations li"), 2);
    let count = browser.text("p.count");
    assert!(count.starts_with("2 conversations (6 messages)"), "{count}");
    let customers: Vec<String> = (1..=2)
        .map(|n| browser.text(&format!("ol.conversations li:nth-child({n}) .customer")))
        .collect();
    assert!(
        customers.iter().any(|c| c.contains("Carol Diaz"))
            && customers.iter().any(|c| c.contains("Ann Lee")),
        "{customers:?}"
    );
    if let Some(dir) = &shots {
        browser.screenshot(&dir.join("search.png"));
    }
    let carol_at = if customers[0].contains("Carol") { 1 } else { 2 };
    browser.click(&format!(
        "ol.conversations li:nth-child({carol_at}) a.subject"
    ));
    browser.wait_for_url("Carol's conversation", |u| u.contains("/threads/"));

    // Outlook's quoted history is folded, closed, and says how much.
    let folds = browser.count("details.history");
    assert!(folds >= 1, "the quoted history is folded");
    assert_eq!(
        browser.count("details.history[open]"),
        0,
        "folded until opened"
    );
    let fold = browser.text("details.history summary");
    assert!(fold.starts_with("Earlier messages quoted ("), "{fold}");
    assert!(
        !browser.text("div.theirs pre.own").contains("Please record"),
        "our words are not shown as hers"
    );
    // Every date in one zone, the zone written.
    let first = browser.text("div.pair:nth-of-type(1) div.theirs .meta");
    assert!(first.contains("2008-06-01 08:00 UTC"), "{first}");
    // Back to the results, and on to the other conversation.
    assert_eq!(
        browser.count("nav.results a[rel=prev]") + browser.count("nav.results a[rel=next]"),
        2,
        "one neighbour, shown above and below the conversation"
    );
    if let Some(dir) = &shots {
        browser.screenshot(&dir.join("thread.png"));
    }
    let here = browser.url();
    browser.click("nav.results a[rel=next], nav.results a[rel=prev]");
    browser.wait_for_url("the other conversation", |u| {
        u != here && u.contains("/threads/")
    });
    assert!(
        browser.text("h1").contains("Voicemail greeting"),
        "{}",
        browser.text("h1")
    );
    browser.click("nav.results a:first-child");
    browser.wait_for_url("the results", |u| {
        u.contains("/search?") && u.contains("page=1")
    });

    // A zone of one's own: Carol's first message in Berlin's summer time.
    browser.goto(&format!("{}/settings", server.url));
    browser.type_into("#zone", "Europe/Berlin");
    browser.click("form.settings button[type=submit]");
    browser.wait_for_url("saved", |u| u.ends_with("/settings?saved=1"));
    assert!(browser.text("p.saved").contains("Europe/Berlin"));
    browser.goto(&here);
    let first = browser.text("div.pair:nth-of-type(1) div.theirs .meta");
    assert!(first.contains("2008-06-01 10:00 CEST"), "{first}");
    // The choice is the user's: another browser of theirs shows it too.
    let path = here.trim_start_matches(server.url.as_str()).to_owned();
    let elsewhere = server.page(&path, &server.log_in("alice"));
    assert!(
        elsewhere.body.contains("2008-06-01 10:00 CEST"),
        "the zone follows the user to another browser"
    );
    browser.goto(&format!("{}/settings", server.url));
    browser.type_into("#zone", "Mars/Olympus");
    browser.click("form.settings button[type=submit]");
    browser.wait_for_element("p.error");
    assert!(
        browser.text("p.error").contains("is not a time zone"),
        "a zone nobody knows is refused, saying why"
    );

    // On a phone: one column, nothing past the edge.
    browser.resize(390, 844);
    browser.goto(&here);
    let beyond = browser.beyond_the_viewport();
    assert!(
        beyond.is_empty(),
        "past the right edge on a phone: {beyond:?}"
    );
    let columns = browser.run(
        "const p = document.querySelector('div.pair'); \
         return getComputedStyle(p).gridTemplateColumns.split(' ').length;",
    );
    assert_eq!(columns, 1, "one column on a phone");
    if let Some(dir) = &shots {
        browser.screenshot(&dir.join("thread-phone.png"));
    }
    browser.goto(&format!("{}/search?q=voicemail", server.url));
    let beyond = browser.beyond_the_viewport();
    assert!(
        beyond.is_empty(),
        "search past the right edge on a phone: {beyond:?}"
    );
}

/// The pages not checked elsewhere at a phone's width — a message (with a
/// long Message-ID and Outlook's quoted history), customers, privacy,
/// settings and the login page — reach no further than the screen.
#[test]
fn in_chromium_every_other_page_fits_a_phone() {
    let cb = with_waiting_mail();
    add_user(&cb, "alice", "admin");
    let server = Server::start(&cb);
    let browser = casebook_testkit::Chromium::start();
    browser.resize(390, 844);
    browser.goto(&format!("{}/login", server.url));
    let beyond = browser.beyond_the_viewport();
    assert!(beyond.is_empty(), "/login past a phone's edge: {beyond:?}");
    crate::web::submit_login(&browser, "alice");
    browser.wait_for_url("logged in", |u| !u.contains("/login"));
    let carol = crate::id_of(&cb, "c2@firm.example");
    for path in [
        format!("/messages/{carol}"),
        "/customers".to_owned(),
        "/privacy".to_owned(),
        "/settings".to_owned(),
        "/queue".to_owned(),
    ] {
        browser.goto(&format!("{}{path}", server.url));
        assert!(browser.count("main") == 1, "{path} shows a page");
        let beyond = browser.beyond_the_viewport();
        assert!(beyond.is_empty(), "{path} past a phone's edge: {beyond:?}");
    }
}

//! `casebook sync` and `casebook accounts` against a real Dovecot.

use crate::Casebook;
use casebook_testkit::Dovecot;
use serde_json::Value;

pub(crate) const PASSWORD_VAR: &str = "CASEBOOK_TEST_IMAP_PASSWORD";

pub(crate) fn account(name: &str, port: u16, extra: &str) -> String {
    format!(
        "[[account]]\nname = \"{name}\"\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"plain\"\n\
         username = \"support\"\npassword_env = \"{PASSWORD_VAR}\"\ntimeout_secs = 20\n{extra}"
    )
}

/// Stores a folder of these tests' size in several transactions (the
/// default batch would take it in one).
pub(crate) const MANY_BATCHES: &str = "batch_messages = 500\n";

pub(crate) fn configure(cb: &Casebook, accounts: &str) {
    std::fs::write(
        &cb.config,
        format!("our_domains = [\"casebook.example\"]\n{accounts}"),
    )
    .expect("config");
}

pub(crate) fn sync(cb: &Casebook, password: &str) -> (Option<i32>, Value) {
    let out = cb
        .command(&["sync", "--json"])
        .env(PASSWORD_VAR, password)
        .output()
        .expect("sync runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let v = serde_json::from_str(&text).unwrap_or_else(|_| {
        panic!(
            "sync --json printed {text:?}; stderr {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), v)
}

pub(crate) fn folder<'a>(report: &'a Value, name: &str) -> &'a Value {
    report
        .as_array()
        .and_then(|a| a.iter().find(|f| f["folder"] == name))
        .unwrap_or_else(|| panic!("{name} in {report}"))
}

fn question(n: u32) -> Vec<u8> {
    format!(
        "From: Ann <ann@customer.example>\r\nTo: support@casebook.example\r\nSubject: Trunk {n}\r\n\
         Date: Tue, 1 Jul 2008 10:0{n}:00 +0000\r\nMessage-ID: <q{n}@customer.example>\r\n\r\nTrunk {n} is down.\r\n"
    )
    .into_bytes()
}

/// Our reply as it sits in Sent; its From is not one of our addresses on
/// purpose: what is in the sent folder is ours.
fn reply(n: u32) -> Vec<u8> {
    format!(
        "From: Sam <sam@helpdesk.example>\r\nTo: ann@customer.example\r\nSubject: Re: Trunk {n}\r\n\
         Date: Tue, 1 Jul 2008 11:0{n}:00 +0000\r\nMessage-ID: <r{n}@helpdesk.example>\r\nIn-Reply-To: <q{n}@customer.example>\r\n\r\nFixed.\r\n"
    )
    .into_bytes()
}

#[test]
fn first_and_incremental_sync_store_each_message_once_and_mark_nothing_read() {
    let dovecot = Dovecot::start(&[("support", "secret")]);
    for n in 1..=3 {
        dovecot.deliver("support", "INBOX", &question(n));
    }
    dovecot.deliver("support", "Sent", &reply(1));
    let cb = Casebook::new();
    configure(&cb, &account("support", dovecot.port, ""));

    let (code, first) = sync(&cb, "secret");
    assert_eq!(code, Some(0), "{first}");
    assert_eq!(folder(&first, "INBOX")["stored"], 3);
    assert_eq!(folder(&first, "Sent")["stored"], 1);

    // Our reply in Sent is outbound and answers question 1.
    let answered = cb.json(&["search", "--json", "is:answered"]);
    assert_eq!(answered["total"], 1);
    assert_eq!(answered["hits"][0]["message_id"], "q1@customer.example");
    assert_eq!(cb.json(&["search", "--json", "is:outbound"])["total"], 1);

    // New mail arrives as a mail client would put it there.
    for n in 4..=5 {
        dovecot.append("support", "secret", "INBOX", &question(n));
    }
    let (_, second) = sync(&cb, "secret");
    assert_eq!(
        folder(&second, "INBOX")["fetched"],
        2,
        "only what is new is fetched"
    );
    assert_eq!(folder(&second, "INBOX")["stored"], 2);
    let (_, third) = sync(&cb, "secret");
    assert_eq!(folder(&third, "INBOX")["fetched"], 0);
    assert_eq!(cb.json(&["stats", "--json"])["messages"], 6);

    assert_eq!(
        dovecot.seen_count("support", "INBOX"),
        0,
        "nothing was marked \\Seen on the server"
    );
    let accounts = cb.json(&["accounts", "--json"]);
    let inbox = folder(&accounts, "INBOX");
    assert_eq!(inbox["last_uid"], 5);
    assert_eq!(inbox["server_messages"], 5);
    assert_eq!(inbox["archived"], 5);
    assert!(inbox["uid_validity"].as_u64().is_some_and(|v| v > 0));
    assert!(inbox["last_error"].is_null());
}

#[test]
fn a_new_uidvalidity_rescans_without_storing_twice() {
    let dovecot = Dovecot::start(&[("support", "secret")]);
    for n in 1..=3 {
        dovecot.deliver("support", "INBOX", &question(n));
    }
    let cb = Casebook::new();
    configure(&cb, &account("support", dovecot.port, ""));
    sync(&cb, "secret");
    let before = cb.json(&["accounts", "--json"]);
    let validity = folder(&before, "INBOX")["uid_validity"].clone();

    dovecot.reset_uid_validity("support", "INBOX", 4242);
    let (_, report) = sync(&cb, "secret");
    let inbox_report = folder(&report, "INBOX");
    assert_eq!(inbox_report["rescanned"], true, "{report}");
    assert_eq!(inbox_report["fetched"], 3);
    assert_eq!(inbox_report["stored"], 0);
    assert_eq!(inbox_report["duplicates"], 3);
    let after = cb.json(&["accounts", "--json"]);
    assert_ne!(validity, 4242);
    assert_eq!(folder(&after, "INBOX")["uid_validity"], 4242);
    assert_eq!(cb.json(&["stats", "--json"])["messages"], 3);
}

#[test]
fn a_failing_account_is_named_and_the_others_go_on() {
    let dovecot = Dovecot::start(&[("support", "secret")]);
    dovecot.deliver("support", "INBOX", &question(1));
    let other = Dovecot::start(&[("support", "other-secret")]);
    let cb = Casebook::new();
    configure(
        &cb,
        &format!(
            "{}{}",
            account("broken", other.port, ""),
            account("support", dovecot.port, "")
        ),
    );
    let (code, report) = sync(&cb, "secret");
    assert_eq!(code, Some(2), "a failure shows in the exit status");
    let broken = report
        .as_array()
        .and_then(|a| a.iter().find(|f| f["account"] == "broken"))
        .expect("broken reported");
    assert!(
        broken["error"]
            .as_str()
            .is_some_and(|e| e.contains("refused the login of support")),
        "{broken}"
    );
    assert_eq!(
        folder(&report, "INBOX")["stored"],
        1,
        "the good account was synced"
    );
    let accounts = cb.json(&["accounts", "--json"]);
    let failed = accounts
        .as_array()
        .and_then(|a| a.iter().find(|f| f["account"] == "broken"))
        .expect("listed");
    assert!(
        failed["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("refused the login")),
        "{failed}"
    );
}

#[test]
fn an_oversized_message_is_skipped_listed_and_does_not_block_the_folder() {
    let dovecot = Dovecot::start(&[("support", "secret")]);
    dovecot.deliver("support", "INBOX", &question(1));
    let mut big = question(2);
    big.extend(std::iter::repeat_n(b'x', 5000));
    big.extend_from_slice(b"\r\n");
    dovecot.deliver("support", "INBOX", &big);
    dovecot.deliver("support", "INBOX", &question(3));
    let cb = Casebook::new();
    configure(
        &cb,
        &account("support", dovecot.port, "max_message_bytes = 2000\n"),
    );
    let (code, report) = sync(&cb, "secret");
    assert_eq!(code, Some(0));
    assert_eq!(folder(&report, "INBOX")["stored"], 2);
    assert_eq!(folder(&report, "INBOX")["skipped"], 1);
    let accounts = cb.json(&["accounts", "--json"]);
    let skipped = &folder(&accounts, "INBOX")["skipped"];
    assert_eq!(skipped.as_array().map(Vec::len), Some(1), "{accounts}");
    assert_eq!(skipped[0]["uid"], 2);
    assert_eq!(
        folder(&accounts, "INBOX")["last_uid"],
        3,
        "the folder went past it"
    );
}

/// A Dovecot whose INBOX holds `total` one-line cases ("case N").
pub(crate) fn server_with_cases(total: u32) -> Dovecot {
    let dovecot = Dovecot::start(&[("support", "secret")]);
    for n in 0..total {
        let msg = format!(
            "From: c{n}@customer.example\r\nTo: support@casebook.example\r\nSubject: case {n}\r\n\
             Message-ID: <case{n}@customer.example>\r\n\r\nbody {n} {}\r\n",
            "padding ".repeat(50)
        );
        dovecot.deliver("support", "INBOX", msg.as_bytes());
    }
    dovecot
}

/// A sync pulls mail chunk by chunk and both folders at once: a question
/// and our reply to it arrive in different chunks (the replies come in the
/// opposite order). At the end everything is searchable, paired and
/// threaded as if worked out at once, and mail of a later sync joins the
/// threads made before (incremental threading).
#[test]
fn a_long_sync_threads_and_pairs_mail_that_arrives_in_different_chunks() {
    let cases: u32 = 1_200;
    let dovecot = Dovecot::start(&[("support", "secret")]);
    for n in 0..cases {
        dovecot.deliver(
            "support",
            "INBOX",
            format!(
                "From: c{n}@customer.example\r\nTo: support@casebook.example\r\nSubject: trunk {n}\r\n\
                 Date: Tue, 1 Jul 2008 10:00:00 +0000\r\nMessage-ID: <t{n}@customer.example>\r\n\r\n\
                 SIP trunk {n} drops calls\r\n"
            )
            .as_bytes(),
        );
    }
    for n in (0..cases).rev() {
        dovecot.deliver(
            "support",
            "Sent",
            format!(
                "From: support@casebook.example\r\nTo: c{n}@customer.example\r\nSubject: Re: trunk {n}\r\n\
                 Date: Tue, 1 Jul 2008 11:00:00 +0000\r\nMessage-ID: <a{n}@casebook.example>\r\n\
                 In-Reply-To: <t{n}@customer.example>\r\n\r\nFixed trunk {n}.\r\n"
            )
            .as_bytes(),
        );
    }
    let cb = Casebook::new();
    configure(&cb, &account("support", dovecot.port, MANY_BATCHES));
    let (code, report) = sync(&cb, "secret");
    assert_eq!(code, Some(0), "{report}");
    let search = |q: &str| cb.json(&["search", "--json", "--limit", "1", "--", q])["total"].clone();
    assert_eq!(
        search("is:answered"),
        cases,
        "every question paired with its reply"
    );
    assert_eq!(search("is:unanswered"), 0);
    assert_eq!(search("is:outbound"), cases);
    assert_eq!(cb.json(&["stats", "--json"])["threads"], cases);
    let check = cb.json(&["check", "--json"]);
    assert_eq!(check["clean"], true, "{check}");

    // The sync indexed mail from memory as it stored it: what it indexed
    // is what indexing from the store gives.
    let queries = [
        "from:c77@customer.example",
        "to:c77@customer.example",
        "subject:\"trunk 5\"",
        "drops calls",
        "\"fixed trunk 9\"",
        "is:inbound trunk",
    ];
    let found: Vec<_> = queries.iter().map(|q| search(q)).collect();
    assert_eq!(found[0], 1, "the customer's question");
    assert_eq!(found[1], 1, "our reply to them");
    assert_eq!(found[3], cases);
    let ours = cb.json(&[
        "search",
        "--json",
        "--limit",
        "1",
        "--",
        "to:c77@customer.example",
    ]);
    let thread = ours["hits"][0]["thread_id"].clone();
    assert!(thread.is_u64(), "{ours}");
    assert_eq!(search(&format!("thread:{thread}")), 2, "question and reply");
    cb.ok(&["reindex"]);
    let again: Vec<_> = queries.iter().map(|q| search(q)).collect();
    assert_eq!(found, again, "{queries:?}");

    // More mail later joins the threads made above.
    dovecot.append(
        "support",
        "secret",
        "INBOX",
        b"From: c7@customer.example\r\nTo: support@casebook.example\r\nSubject: Re: trunk 7\r\n\
          Date: Wed, 2 Jul 2008 09:00:00 +0000\r\nMessage-ID: <t7b@customer.example>\r\n\
          In-Reply-To: <a7@casebook.example>\r\n\r\nDrops again\r\n",
    );
    let (code, report) = sync(&cb, "secret");
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(
        cb.json(&["stats", "--json"])["threads"],
        cases,
        "it joined thread 7"
    );
    assert_eq!(search("is:unanswered"), 1, "the new question waits for us");
    assert_eq!(cb.json(&["check", "--json"])["clean"], true);
}

/// Kills `casebook sync` with SIGKILL at spread-out moments while it pulls
/// 1,500 messages, then lets it finish: every message is stored exactly
/// once and the watermark ends at the last UID.
#[test]
fn a_sync_killed_at_any_moment_loses_and_duplicates_nothing() {
    let total = crate::crash::setting("CASEBOOK_CRASH_MESSAGES", 1500) as u32;
    let kills = crate::crash::setting("CASEBOOK_CRASH_KILLS", 9);
    let dovecot = server_with_cases(total);
    let cb = Casebook::new();
    configure(&cb, &account("support", dovecot.port, MANY_BATCHES));
    let mut watermark = 0;
    // Spread over the first part of a sync (about 5 s per 10,000 messages
    // here), where it connects, fetches and stores.
    let span = std::time::Duration::from_millis(u64::from(total) / 4);
    for point in crate::crash::kill_points(span, kills, 3) {
        let mut child = cb
            .command(&["sync"])
            .env(PASSWORD_VAR, "secret")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("sync starts");
        // The sleep picks the kill point; nothing waits on it for a result.
        std::thread::sleep(point);
        let _ = child.kill();
        let _ = child.wait();
        let accounts = cb.json(&["accounts", "--json"]);
        // Killed before the folder was first seen: nothing recorded yet.
        let inbox = accounts
            .as_array()
            .and_then(|a| a.iter().find(|f| f["folder"] == "INBOX"));
        let number = |key: &str| inbox.and_then(|f| f[key].as_u64()).unwrap_or(0);
        let (last_uid, archived) = (number("last_uid"), number("archived"));
        assert!(
            last_uid >= watermark,
            "the watermark went back from {watermark} to {last_uid}"
        );
        assert!(
            archived >= last_uid,
            "the watermark ({last_uid}) passed unstored mail ({archived} stored)"
        );
        watermark = last_uid;
    }
    let (code, _) = sync(&cb, "secret");
    assert_eq!(code, Some(0));
    let stats = cb.json(&["stats", "--json"]);
    assert_eq!(stats["messages"], total, "every message once");
    assert_eq!(stats["copies"], 0);
    let accounts = cb.json(&["accounts", "--json"]);
    assert_eq!(folder(&accounts, "INBOX")["last_uid"], total);
    assert_eq!(
        folder(&accounts, "INBOX")["archived"],
        total,
        "one place per message"
    );
    assert_eq!(
        cb.json(&["search", "--json", "subject:case"])["total"],
        total,
        "the index agrees with the store"
    );
    assert_eq!(cb.json(&["check", "--json"])["clean"], true);
}

/// Issue 4: two workers started on one account by mistake, each with its
/// own data folder, storing into one database at the same time.
#[test]
fn two_sync_workers_on_one_account_store_each_message_once() {
    let total = 1200u32;
    let dovecot = server_with_cases(total);
    let first = Casebook::new();
    configure(&first, &account("support", dovecot.port, MANY_BATCHES));
    let second = first.another_process();
    let workers: Vec<StopOnDrop> = [&first, &second]
        .iter()
        .map(|cb| {
            StopOnDrop(
                cb.command(&["sync"])
                    .env(PASSWORD_VAR, "secret")
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .expect("sync starts"),
            )
        })
        .collect();
    for mut worker in workers {
        let status = worker.0.wait().expect("sync runs");
        assert!(status.success(), "both workers finish cleanly");
    }
    let stats = first.json(&["stats", "--json"]);
    assert_eq!(stats["messages"], total, "every message once");
    assert_eq!(stats["copies"], 0);
    let accounts = second.json(&["accounts", "--json"]);
    assert_eq!(folder(&accounts, "INBOX")["last_uid"], total);
    assert_eq!(
        folder(&accounts, "INBOX")["archived"],
        total,
        "one place each"
    );
    for cb in [&first, &second] {
        assert_eq!(
            cb.json(&["search", "--json", "subject:case"])["total"],
            total,
            "each process's index agrees with the store"
        );
    }
}

/// Ends the child (by its id) if a failed assertion leaves it running.
pub(crate) struct StopOnDrop(pub(crate) std::process::Child);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Lines of a child's stdout, received with a deadline.
pub(crate) fn lines_of(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

pub(crate) fn wait_for_line(
    lines: &std::sync::mpsc::Receiver<String>,
    wanted: &str,
) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(line) => {
                let found = line.contains(wanted);
                seen.push(line);
                if found {
                    return seen;
                }
            }
            Err(_) => break,
        }
    }
    panic!("no line with {wanted:?} within a minute; saw {seen:?}");
}

#[test]
fn watch_stores_mail_that_arrives_while_idling_and_stops_on_sigterm() {
    let dovecot = Dovecot::start(&[("support", "secret")]);
    dovecot.deliver("support", "INBOX", &question(1));
    let cb = Casebook::new();
    configure(&cb, &account("support", dovecot.port, ""));
    let mut watch = StopOnDrop(
        cb.command(&["watch"])
            .env(PASSWORD_VAR, "secret")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("watch starts"),
    );
    let lines = lines_of(&mut watch.0);
    let first = wait_for_line(&lines, "waiting for new mail (IDLE)");
    assert!(
        first
            .iter()
            .any(|l| l.contains("support/INBOX: fetched 1, stored 1 new")),
        "{first:?}"
    );

    dovecot.append("support", "secret", "INBOX", &question(2));
    wait_for_line(&lines, "support/INBOX: fetched 1, stored 1 new");
    wait_for_line(&lines, "waiting for new mail (IDLE)");

    let status = std::process::Command::new("kill")
        .args(["-TERM", &watch.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    wait_for_line(&lines, "stopped");
    assert!(
        watch.0.wait().expect("watch exits").success(),
        "a clean stop"
    );
    assert_eq!(cb.json(&["search", "--json", "subject:trunk"])["total"], 2);
}

/// The server restarts in the middle of a sync: that sync may fail (and
/// says where), the next one completes, and nothing is stored twice.
#[test]
fn a_server_restart_during_a_sync_loses_nothing() {
    let mut dovecot = Dovecot::start(&[("support", "secret")]);
    let total = 1200u32;
    for n in 0..total {
        let msg = format!(
            "From: c{n}@customer.example\r\nSubject: restart {n}\r\nMessage-ID: <restart{n}@customer.example>\r\n\r\n{}\r\n",
            "words ".repeat(60)
        );
        dovecot.deliver("support", "INBOX", msg.as_bytes());
    }
    let cb = Casebook::new();
    configure(&cb, &account("support", dovecot.port, MANY_BATCHES));
    let child = cb
        .command(&["sync"])
        .env(PASSWORD_VAR, "secret")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("sync starts");
    std::thread::sleep(std::time::Duration::from_millis(150));
    dovecot.restart();
    let first = child.wait_with_output().expect("sync ends");
    let text = String::from_utf8_lossy(&first.stdout);
    if !first.status.success() {
        // Either folder's connection may be the one the restart breaks.
        assert!(
            text.lines()
                .any(|l| l.starts_with("support") && l.contains(": failed")),
            "{text}"
        );
    }
    let (code, _) = sync(&cb, "secret");
    assert_eq!(code, Some(0));
    let stats = cb.json(&["stats", "--json"]);
    assert_eq!(stats["messages"], total);
    let accounts = cb.json(&["accounts", "--json"]);
    assert_eq!(folder(&accounts, "INBOX")["archived"], total);
    assert!(
        folder(&accounts, "INBOX")["last_error"].is_null(),
        "the good sync cleared the error"
    );
}

#[test]
fn a_folder_that_does_not_exist_is_named_and_the_other_folders_sync() {
    let dovecot = Dovecot::start(&[("support", "secret")]);
    dovecot.deliver("support", "Sent", &reply(1));
    let cb = Casebook::new();
    configure(
        &cb,
        &account("support", dovecot.port, "inbound = \"Gone\"\n"),
    );
    let (code, report) = sync(&cb, "secret");
    assert_eq!(code, Some(2));
    let gone = folder(&report, "Gone");
    assert!(
        gone["error"]
            .as_str()
            .is_some_and(|e| e.contains("opening folder \"Gone\"")),
        "{gone}"
    );
    assert_eq!(
        folder(&report, "Sent")["stored"],
        1,
        "Sent was still synced"
    );
    let out = cb
        .command(&["sync"])
        .env(PASSWORD_VAR, "secret")
        .output()
        .expect("sync runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("support/Gone: failed: IMAP error while opening folder \"Gone\""),
        "{text}"
    );
}

#[test]
fn watch_applies_the_retention_period_when_it_starts() {
    let dovecot = Dovecot::start(&[("support", "secret")]);
    let cb = Casebook::new();
    configure(
        &cb,
        &format!(
            "retention_days = 365\n{}",
            account("support", dovecot.port, "")
        ),
    );
    cb.write_mail("old.eml", &question(1));
    cb.ok(&["import", cb.mail_dir()]);
    let mut watch = StopOnDrop(
        cb.command(&["watch"])
            .env(PASSWORD_VAR, "secret")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("watch starts"),
    );
    let lines = lines_of(&mut watch.0);
    wait_for_line(&lines, "retention: erased 1 messages");
    drop(watch);
    assert_eq!(cb.json(&["search", "--json", "subject:trunk"])["total"], 0);
}

/// OAuth 2 as Microsoft 365 and Gmail require: a real Dovecot checks each
/// access token with a token-introspection endpoint (the one stand-in:
/// no OAuth provider installs from Debian). Both mechanisms log in; a
/// token the provider does not know is refused and named; no token is
/// printed.
#[test]
fn oauth_tokens_log_in_with_xoauth2_and_oauthbearer_and_a_bad_one_is_refused() {
    let provider = casebook_testkit::TokenIntrospection::start(&[("ya29.good-token", "support")]);
    let dovecot = Dovecot::start_with_oauth(&[("support", "secret")], &provider.url());
    dovecot.deliver("support", "INBOX", &question(1));
    dovecot.deliver("support", "INBOX", &question(2));
    let oauth = |name: &str, token: &str, mechanism: &str| {
        format!(
            "[[account]]\nname = \"{name}\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"plain\"\n\
             username = \"support\"\noauth_token_command = \"printf %s {token}\"\n\
             oauth_mechanism = \"{mechanism}\"\ntimeout_secs = 20\n",
            dovecot.port
        )
    };
    let cb = Casebook::new();
    configure(
        &cb,
        &[
            oauth("m365", "ya29.good-token", "xoauth2"),
            oauth("gmail", "ya29.good-token", "oauthbearer"),
            oauth("expired", "ya29.expired-token", "xoauth2"),
        ]
        .concat(),
    );
    let out = cb.command(&["sync", "--json"]).output().expect("sync runs");
    assert_eq!(out.status.code(), Some(2), "one account failed");
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    let of = |account: &str| -> Vec<&Value> {
        report
            .as_array()
            .map(|a| a.iter().filter(|f| f["account"] == account).collect())
            .unwrap_or_default()
    };
    let inbox = |account: &str| {
        of(account)
            .into_iter()
            .find(|f| f["folder"] == "INBOX")
            .unwrap_or_else(|| panic!("{account}'s INBOX in {report}"))
            .clone()
    };
    assert_eq!(inbox("m365")["fetched"], 2, "{report}");
    assert_eq!(inbox("gmail")["fetched"], 2, "{report}");
    let expired = of("expired");
    assert!(
        expired.iter().any(|f| f["error"]
            .as_str()
            .is_some_and(|e| e.contains("refused the login of support"))),
        "{report}"
    );
    assert_eq!(cb.json(&["stats", "--json"])["messages"], 2);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!said.contains("good-token"), "a token was printed: {said}");
}

//! Erasure, retention and legal holds: after erasing a person no search
//! finds their words, no file of the archive holds them, and neither a
//! re-sync from Dovecot nor an import brings them back; held mail survives.

use crate::sync::{account, configure, folder, sync};
use crate::{id_of, Casebook};
use casebook_testkit::Dovecot;
use std::path::Path;

fn mail(from: &str, to: &str, id: &str, date: &str, text: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: Trunk down\r\nDate: {date}\r\nMessage-ID: <{id}>\r\n\r\n{text}\r\n"
    )
    .into_bytes()
}

const ANN: &str = "Ann Lee <ann@customer.example>";
const BOB: &str = "Bob <bob@other.example>";
const US: &str = "support@casebook.example";
const OLD: &str = "Tue, 1 Jul 2008 10:00:00 +0000";

fn hits(cb: &Casebook, query: &str) -> u64 {
    cb.json(&["search", "--json", "--", query])["total"]
        .as_u64()
        .expect("a total")
}

/// Whether any file under `dir` holds `needle`.
pub(crate) fn any_file_holds(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path)
                .map(|b| b.windows(needle.len()).any(|w| w == needle))
                .unwrap_or(false)
            {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

#[test]
fn an_erased_person_leaves_no_trace_and_does_not_come_back() {
    let dovecot = Dovecot::start(&[("support", "secret")]);
    dovecot.deliver(
        "support",
        "INBOX",
        &mail(ANN, US, "ann1@x", OLD, "Our zebraphonic trunk is down."),
    );
    for n in 1..=3 {
        dovecot.deliver(
            "support",
            "INBOX",
            &mail(
                BOB,
                US,
                &format!("bob{n}@x"),
                OLD,
                &format!("The quokkaline codec stutters ({n})."),
            ),
        );
    }
    dovecot.deliver(
        "support",
        "INBOX",
        &mail(ANN, US, "ann3@x", OLD, "Zebraphonic trunk, second try."),
    );
    let reply = format!(
        "From: Sam <{US}>\r\nTo: {ANN}\r\nSubject: Re: Trunk down\r\nDate: {OLD}\r\n\
         Message-ID: <r1@casebook.example>\r\nIn-Reply-To: <ann1@x>\r\n\r\nMarmaladeous fix applied.\r\n"
    );
    dovecot.deliver("support", "Sent", reply.as_bytes());
    let cb = Casebook::new();
    configure(&cb, &account("support", dovecot.port, ""));
    let (code, report) = sync(&cb, "secret");
    assert_eq!(code, Some(0), "{report}");
    cb.ok(&[
        "privacy",
        "set",
        "ann@customer.example",
        "--marketing",
        "opt-out",
        "--source",
        "phone call",
    ]);
    assert_eq!(hits(&cb, "zebraphonic"), 2);
    if casebook_testkit::backend() == "sqlite" {
        assert!(
            !any_file_holds(cb.data_path(), b"zebraphonic").is_empty(),
            "the database holds the words before (so the check below can fail)"
        );
    }

    let theirs = "SELECT COUNT(*) FROM messages WHERE correspondent = 'ann@customer.example'";
    assert_eq!(
        casebook_testkit::query_text(&cb.database_url(), theirs),
        "3",
        "the database holds them before (so the checks below can fail)"
    );
    let dry = cb.ok(&["privacy", "erase", "ann@customer.example", "--dry-run"]);
    assert_eq!(
        dry.trim(),
        "would erase 3 messages of ann@customer.example\n\
         found 3 as their conversations (sender or correspondent), 0 only named in a header (To, Cc, Reply-To, Sender)"
    );
    assert_eq!(hits(&cb, "zebraphonic"), 2, "a dry run erases nothing");

    let done = cb.ok(&["privacy", "erase", "ANN@customer.example"]);
    assert_eq!(
        done.lines().next(),
        Some("erased 3 messages of ann@customer.example")
    );
    for word in ["zebraphonic", "marmaladeous", "from:ann@customer.example"] {
        assert_eq!(hits(&cb, word), 0, "{word}");
    }
    assert_eq!(hits(&cb, "quokkaline"), 3, "others' mail stays");
    // Nothing of theirs in any file of the archive: the index, and on the
    // embedded default the database with its log.
    for needle in [
        &b"zebraphonic"[..],
        b"ann@customer.example",
        b"Marmaladeous",
    ] {
        let found = any_file_holds(cb.data_path(), needle);
        assert!(
            found.is_empty(),
            "{} still in {found:?}",
            String::from_utf8_lossy(needle)
        );
    }
    // The database itself, on either backend: no row names them or holds
    // their words (PostgreSQL's files are not ours to read).
    let url = cb.database_url();
    for (what, sql) in [
        ("messages", "SELECT COUNT(*) FROM messages WHERE body LIKE '%ebraphonic%' OR body LIKE '%armaladeous%' OR from_address = 'ann@customer.example' OR correspondent = 'ann@customer.example' OR recipients LIKE '%ann@customer.example%'"),
        ("addresses", "SELECT COUNT(*) FROM message_addresses WHERE address = 'ann@customer.example'"),
        ("audit", "SELECT COUNT(*) FROM audit_log WHERE subject LIKE '%ann@customer.example%' OR detail LIKE '%ann@customer.example%'"),
        ("audit people", "SELECT COUNT(*) FROM audit_people WHERE address = 'ann@customer.example'"),
        ("preferences", "SELECT COUNT(*) FROM privacy_preferences WHERE address = 'ann@customer.example'"),
        ("chain salts", "SELECT COUNT(*) FROM integrity_salts s JOIN integrity_chain c ON c.seq = s.seq WHERE c.kind = 'stored' AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = c.message)"),
    ] {
        assert_eq!(casebook_testkit::query_text(&url, sql), "0", "{what} still hold them");
    }
    assert_eq!(
        casebook_testkit::query_text(&url, "SELECT COUNT(*) FROM raw_messages"),
        "3",
        "only the others' raw mail is left"
    );
    // The index was rewritten: no deleted document keeps their words.
    let index = &cb.json(&["stats", "--json"])["index"];
    assert_eq!(index["documents"], 3, "{index}");
    assert_eq!(index["deleted_not_yet_merged"], 0, "{index}");
    let audit = cb.ok(&["audit", "--json"]);
    assert!(!audit.contains("ann@customer.example"), "{audit}");
    assert!(audit.contains("\"action\":\"erase\""), "{audit}");
    let privacy = cb.json(&["privacy", "show", "ann@customer.example", "--json"]);
    assert_eq!(privacy["marketing"], serde_json::Value::Null, "forgotten");

    // The server still has their mail: a full re-scan does not bring it back.
    dovecot.reset_uid_validity("support", "INBOX", 777);
    dovecot.reset_uid_validity("support", "Sent", 778);
    let (code, report) = sync(&cb, "secret");
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(folder(&report, "INBOX")["erased"], 2, "{report}");
    assert_eq!(folder(&report, "Sent")["erased"], 1, "{report}");
    assert_eq!(hits(&cb, "zebraphonic"), 0);
    assert_eq!(hits(&cb, "quokkaline"), 3);
    // Nor does an import of a copy.
    cb.write_mail(
        "again.eml",
        &mail(ANN, US, "ann2@x", OLD, "Zebraphonic again."),
    );
    let imported = cb.ok(&["import", cb.mail_dir()]);
    assert!(
        imported.contains("1 messages of erased persons were not imported"),
        "{imported}"
    );
    assert_eq!(hits(&cb, "zebraphonic"), 0);
}

#[test]
fn held_mail_survives_retention_and_erasure() {
    let cb = Casebook::new();
    std::fs::write(
        &cb.config,
        "our_domains = [\"casebook.example\"]\nretention_days = 365\n",
    )
    .expect("config");
    let future = "Tue, 1 Jul 2099 10:00:00 +0000";
    cb.write_mail("a.eml", &mail(ANN, US, "a@x", OLD, "Held by thread."));
    cb.write_mail("b.eml", &mail(BOB, US, "b@x", OLD, "Old and gone."));
    cb.write_mail(
        "c.eml",
        &mail("Cy <cy@third.example>", US, "c@x", OLD, "Held by tag."),
    );
    cb.write_mail("d.eml", &mail(BOB, US, "d@x", future, "Recent enough."));
    cb.ok(&["import", cb.mail_dir()]);
    let a = id_of(&cb, "a@x");
    let thread = cb.json(&["show", &a.to_string(), "--json"])["thread_id"]
        .as_i64()
        .expect("threaded");
    let c = id_of(&cb, "c@x");
    cb.ok(&["tag", &c.to_string(), "litigation"]);

    let no_reason = cb.run(&["hold", &format!("thread:{thread}")]);
    assert!(!no_reason.status.success());
    assert!(String::from_utf8_lossy(&no_reason.stderr).contains("--reason"));
    cb.ok(&[
        "hold",
        &format!("thread:{thread}"),
        "--reason",
        "dispute 2026-14",
    ]);
    cb.ok(&["hold", "tag:litigation", "--reason", "court order"]);
    let holds = cb.ok(&["hold", "--list"]);
    assert!(holds.contains("tag:litigation  court order"), "{holds}");
    let holds = cb.json(&["hold", "--list", "--json"]);
    let litigation = holds
        .as_array()
        .and_then(|h| h.iter().find(|h| h["target"] == "tag:litigation"))
        .unwrap_or_else(|| panic!("the tag hold: {holds}"));
    assert_eq!(litigation["reason"], "court order");
    assert!(
        litigation["held_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{litigation}"
    );

    let dry = cb.ok(&["retention", "apply", "--dry-run"]);
    assert!(dry.starts_with("would erase 1 messages"), "{dry}");
    let done = cb.ok(&["retention", "apply"]);
    assert!(done.starts_with("erased 1 messages"), "{done}");
    assert!(
        done.contains(&format!("kept 2 messages under a legal hold: {a}, {c}")),
        "{done}"
    );
    assert_eq!(hits(&cb, "\"old and gone\""), 0);
    for kept in ["\"held by thread\"", "\"held by tag\"", "\"recent enough\""] {
        assert_eq!(hits(&cb, kept), 1, "{kept}");
    }

    let erased = cb.ok(&["privacy", "erase", "ann@customer.example"]);
    assert!(erased.contains("erased 0 messages"), "{erased}");
    assert!(
        erased.contains(&format!("kept 1 messages under a legal hold: {a}")),
        "{erased}"
    );
    cb.ok(&["hold", "--release", &format!("thread:{thread}")]);
    let erased = cb.ok(&["privacy", "erase", "ann@customer.example"]);
    assert!(erased.contains("erased 1 messages"), "{erased}");

    let none = Casebook::new();
    let e = none.run(&["retention", "apply"]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("no retention_days in the config"));
}

#[test]
fn aggregate_statistics_single_out_nobody_and_survive_an_erasure() {
    let cb = Casebook::new();
    let maildir = cb.corpus(800, 3);
    cb.ok(&["import", maildir.to_str().expect("utf-8")]);
    let before = cb.json(&["stats", "--aggregate", "--json"]);
    let cells = before["cells"].as_array().expect("cells");
    assert!(!cells.is_empty(), "{before}");
    assert!(before["suppressed_cells"].as_u64() > Some(0), "{before}");
    for c in cells {
        assert!(c["correspondents"].as_u64() >= Some(5), "{c}");
    }
    // Mail stored before topics were recorded gets them on the first run,
    // with the same figures as topics worked out on arrival.
    casebook_testkit::behind_the_back(&cb.database_url(), "UPDATE messages SET topic = NULL");
    assert_eq!(cb.json(&["stats", "--aggregate", "--json"]), before);
    assert_eq!(
        casebook_testkit::query_text(
            &cb.database_url(),
            "SELECT COUNT(*) FROM messages WHERE topic IS NULL"
        ),
        "0"
    );
    let text = cb.ok(&["stats", "--aggregate"]);
    assert!(
        text.contains("cells of fewer than 5 people not shown"),
        "{text}"
    );
    // Marketing sees the same figures, and nothing smaller.
    crate::web::add_user(&cb, "mia", "marketing");
    let server = crate::web::Server::start(&cb);
    let page = server.page("/stats", &server.log_in("mia"));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Every figure covers at least 5 people"),
        "{}",
        page.body
    );
    let api = server
        .api("/api/v1/stats", &crate::web::token(&cb, "mia"))
        .json();
    assert_eq!(api["cells"].as_array().map(Vec::len), Some(cells.len()));
    drop(server);

    // Erasing a customer leaves the figures as they were.
    let first_customer = cb
        .ok(&["list", "--json"])
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|m| m["direction"] == "inbound")
        .and_then(|m| m["correspondent"].as_str().map(str::to_owned))
        .expect("a customer");
    let erased = cb.ok(&["privacy", "erase", &first_customer]);
    assert!(!erased.starts_with("erased 0 "), "{erased}");
    assert_eq!(cb.json(&["stats", "--aggregate", "--json"]), before);

    let strict = Casebook::new();
    std::fs::write(&strict.config, "k_anonymity = 1\n").expect("config");
    let e = strict.run(&["stats", "--aggregate"]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("k_anonymity"));
}

/// Issue 19: k-anonymity counts persons. Five addresses of one person
/// (merged) are one person, so their cell is held back.
#[test]
fn one_person_with_five_addresses_is_not_five_people() {
    let cb = Casebook::new();
    let addresses: Vec<String> = (1..=5).map(|n| format!("ann{n}@acme.example")).collect();
    for (n, a) in addresses.iter().enumerate() {
        cb.write_mail(
            &format!("{n}.eml"),
            &mail(
                a,
                US,
                &format!("v{n}@acme.example"),
                OLD,
                "Our voicemail greeting is silent.",
            ),
        );
    }
    cb.ok(&["import", cb.mail_dir()]);
    let cells = |cb: &Casebook| cb.json(&["stats", "--aggregate", "--json"])["cells"].clone();
    let before = cells(&cb);
    assert_eq!(
        before[0]["correspondents"], 5,
        "five people before merging: {before}"
    );
    for other in &addresses[1..] {
        cb.ok(&["person", "merge", &addresses[0], other]);
    }
    assert_eq!(
        cells(&cb),
        serde_json::json!([]),
        "one person: the cell is held back"
    );
}

/// A person with more mail than one erasure round (5,000 messages) is
/// erased a round at a time, each round its own transaction with its own
/// audit entry, and forgotten with the last: nothing of theirs is left,
/// their mail is not taken in again, and the archive checks clean.
#[test]
fn a_person_with_more_mail_than_a_round_is_erased_round_by_round() {
    let cb = Casebook::new();
    let theirs = 5_002;
    for n in 0..theirs {
        cb.write_mail(
            &format!("ann-{n}.eml"),
            format!(
                "From: {ANN}\r\nTo: {US}\r\nSubject: Trunk {n} down\r\nDate: {OLD}\r\n\
                 Message-ID: <t{n}@customer.example>\r\n\r\nTrunk {n} drops every call.\r\n"
            )
            .as_bytes(),
        );
    }
    cb.write_mail(
        "reply.eml",
        &mail(
            US,
            ANN,
            "r1@casebook.example",
            OLD,
            "Trunk 1 is registered again.",
        ),
    );
    cb.write_mail(
        "bob.eml",
        &mail(BOB, US, "b1@other.example", OLD, "Our quokkaline trunk."),
    );
    cb.ok(&["import", cb.mail_dir()]);
    assert_eq!(hits(&cb, "from:ann@customer.example"), theirs);

    let done = cb.ok(&["privacy", "erase", "ann@customer.example"]);
    assert_eq!(
        done.lines().next(),
        Some("erased 5003 messages of ann@customer.example"),
        "{done}"
    );
    let log = cb.json(&["audit", "--json"]);
    let rounds: Vec<&serde_json::Value> = log
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "erase")
        .map(|e| &e["detail"])
        .collect();
    assert_eq!(
        rounds.len(),
        2,
        "a round of 5,000, then the rest: {rounds:?}"
    );
    let mut sizes: Vec<u64> = rounds
        .iter()
        .map(|d| d["messages"].as_u64().expect("a count"))
        .collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [3, 5_000], "{rounds:?}");
    assert_eq!(
        rounds.iter().filter(|d| d["last_round"] == true).count(),
        1,
        "the person is forgotten once: {rounds:?}"
    );

    assert_eq!(hits(&cb, "from:ann@customer.example"), 0);
    assert_eq!(hits(&cb, "drops"), 0);
    assert_eq!(hits(&cb, "quokkaline"), 1, "others' mail stays");
    let again = cb.json(&["import", "--json", cb.mail_dir()]);
    assert_eq!(again["stored"], 0, "{again}");
    assert_eq!(again["erased"], theirs + 1, "{again}");
    let check = cb.json(&["check", "--json"]);
    assert_eq!(check["clean"], true, "{check}");
}

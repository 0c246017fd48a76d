//! Hostile sizes: a 100 MB message, one of 10,000 MIME parts, a header of
//! 1 MB, a thread of 10,000 messages. Each is stored whole and byte-exact;
//! what is over a reading limit is tagged `over-limit` with a warning
//! naming the limit; the import stays within a fixed memory ceiling
//! (enforced by the kernel: over it, allocation fails and the test fails).

use crate::web::{add_user, Server};
use crate::Casebook;
use std::io::Write;
use std::process::Command;

/// Heap and other private memory the import may use (RLIMIT_DATA).
const MEMORY_CEILING: u64 = 512 * 1024 * 1024;
const THREAD: usize = 10_000;

fn big_message(dir: &std::path::Path) -> Vec<u8> {
    let mut raw = b"From: big@customer.example\r\nTo: support@casebook.example\r\nSubject: packet capture\r\n\
Message-ID: <big@customer.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nThe capture of the dropped SIP calls is attached.\r\n\
--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=calls.pcap\r\n\
Content-Transfer-Encoding: base64\r\n\r\n"
        .to_vec();
    // Varied lines, so the archive's compression cannot shrink the problem away.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    while raw.len() < 100 * 1024 * 1024 {
        for _ in 0..76 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            raw.push(alphabet[(state % 64) as usize]);
        }
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"--b--\r\n");
    std::fs::write(dir.join("big.eml"), &raw).expect("write");
    raw
}

fn many_parts(dir: &std::path::Path) {
    let mut raw = b"From: parts@customer.example\r\nTo: support@casebook.example\r\nSubject: all the logs\r\n\
Message-ID: <parts@customer.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n"
        .to_vec();
    for i in 0..10_000 {
        write!(raw, "--p\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=trunk{i}.log\r\n\r\nregistration {i} failed\r\n").expect("write");
    }
    raw.extend_from_slice(b"--p--\r\n");
    std::fs::write(dir.join("parts.eml"), raw).expect("write");
}

fn huge_header(dir: &std::path::Path) {
    let mut raw = b"From: header@customer.example\r\nTo: support@casebook.example\r\nSubject: looping mail\r\n\
Message-ID: <header@customer.example>\r\nReferences:"
        .to_vec();
    let mut i = 0;
    while raw.len() < 1024 * 1024 {
        write!(raw, "\r\n <loop{i}@relay.example>").expect("write");
        i += 1;
    }
    raw.extend_from_slice(b"\r\n\r\nThe relay loops.\r\n");
    std::fs::write(dir.join("header.eml"), raw).expect("write");
}

fn long_thread(dir: &std::path::Path) {
    let thread = dir.join("thread");
    std::fs::create_dir(&thread).expect("mkdir");
    for n in 0..THREAD {
        let (from, to) = if n % 2 == 0 {
            ("ann@customer.example", "support@casebook.example")
        } else {
            ("sam@casebook.example", "ann@customer.example")
        };
        let parent = match n {
            0 => String::new(),
            _ => format!("In-Reply-To: <t{}@x.example>\r\n", n - 1),
        };
        let minute = n % 60;
        let hour = (n / 60) % 24;
        let day = 1 + n / 1440;
        let raw = format!(
            "From: {from}\r\nTo: {to}\r\nSubject: Re: trunk keeps dropping\r\nMessage-ID: <t{n}@x.example>\r\n\
{parent}Date: {day} Jul 2008 {hour:02}:{minute:02}:00 +0000\r\n\r\nround {n}\r\n"
        );
        std::fs::write(thread.join(format!("{n:05}.eml")), raw).expect("write");
    }
}

/// `casebook ARGS` under a kernel-enforced memory ceiling.
fn limited(cb: &Casebook, args: &[&str]) -> std::process::Output {
    limited_to(cb, MEMORY_CEILING, args)
}

/// `casebook ARGS` allowed `ceiling` bytes of heap and other private
/// memory (RLIMIT_DATA): over it, an allocation fails and casebook stops.
fn limited_to(cb: &Casebook, ceiling: u64, args: &[&str]) -> std::process::Output {
    let inner = cb.command(args);
    let mut command = Command::new("prlimit");
    // A thread that cannot start for want of memory can leave the rest
    // waiting for it: `timeout` ends the process, and the test fails.
    command
        .arg(format!("--data={ceiling}"))
        .arg("--")
        .args(["timeout", "600"])
        .arg(inner.get_program())
        .args(inner.get_args());
    for (key, value) in inner.get_envs() {
        match value {
            Some(v) => command.env(key, v),
            None => command.env_remove(key),
        };
    }
    command
        .output()
        .expect("prlimit (util-linux) runs casebook")
}

/// `casebook ARGS` within `ceiling` bytes (see [`limited_to`]), which must
/// succeed; its standard output.
fn ok_within(cb: &Casebook, ceiling: u64, args: &[&str]) -> String {
    let out = limited_to(cb, ceiling, args);
    assert!(
        out.status.success(),
        "casebook {args:?} within {ceiling} bytes: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn hostile_sizes_are_stored_whole_flagged_and_read_within_limits() {
    let cb = Casebook::new();
    let mail = std::path::Path::new(cb.mail_dir()).to_owned();
    let big = big_message(&mail);
    many_parts(&mail);
    huge_header(&mail);
    long_thread(&mail);

    let out = limited(&cb, &["import", cb.mail_dir()]);
    assert!(
        out.status.success(),
        "import within {MEMORY_CEILING} bytes: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats = cb.json(&["stats", "--json"]);
    assert_eq!(stats["messages"], THREAD as u64 + 3, "nothing dropped");

    let flagged = cb.json(&["search", "--json", "--", "tag:over-limit"]);
    let mut subjects: Vec<&str> = flagged["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .filter_map(|h| h["subject"].as_str())
        .collect();
    subjects.sort_unstable();
    assert_eq!(subjects, ["all the logs", "looping mail", "packet capture"]);

    let big_id = crate::id_of(&cb, "big@customer.example");
    assert!(
        cb.run(&["raw", &big_id.to_string()]).stdout == big,
        "the 100 MB message comes back byte for byte"
    );
    let shown = cb.ok(&["show", &big_id.to_string()]);
    assert!(shown.contains("over limits.parse_bytes"), "{shown}");
    assert!(
        shown.contains("dropped SIP calls"),
        "its text is read: {shown}"
    );
    let parts = cb.ok(&[
        "show",
        &crate::id_of(&cb, "parts@customer.example").to_string(),
    ]);
    assert!(
        parts.contains("over limits.parts: 10000 attachments, the first 1000 listed"),
        "{parts}"
    );
    assert_eq!(parts.matches("Attached:").count(), 1000);
    let header = cb.ok(&[
        "show",
        &crate::id_of(&cb, "header@customer.example").to_string(),
    ]);
    assert!(header.contains("over limits.header_bytes"), "{header}");
    assert!(header.contains("over limits.references"), "{header}");
    assert!(header.contains("Tags:     over-limit"), "{header}");

    // The long thread is one thread, read a page at a time on the web.
    let first = crate::id_of(&cb, "t0@x.example");
    let shown = cb.json(&["show", "--json", &first.to_string()]);
    let thread = shown["thread_id"].as_i64().expect("threaded");
    let listed = cb.json(&["thread", "--json", &thread.to_string()]);
    assert_eq!(
        listed["messages"].as_array().map(Vec::len),
        Some(THREAD),
        "one thread of all of them"
    );
    add_user(&cb, "ann", "agent");
    let server = Server::start(&cb);
    let agent = server.log_in("ann");
    let page = server.page(&format!("/threads/{thread}"), &agent);
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("10000 messages"),
        "{}",
        &page.body[..500]
    );
    assert!(
        page.body.contains("part 1 of 50"),
        "5,000 pairs, 100 a page"
    );
    // What a limit cut is said where the message is read.
    let cut = server.page(&format!("/messages/{big_id}"), &agent);
    assert!(
        cut.body.contains("Cut by a limit: over limits.parse_bytes"),
        "the message page warns"
    );
    assert_eq!(page.body.matches("class=\"pair\"").count(), 100);
    let last = server.page(&format!("/threads/{thread}?page=50"), &agent);
    assert!(
        last.body.contains("round 9999"),
        "the last page ends the thread"
    );

    let check = cb.json(&["check", "--json"]);
    assert_eq!(check["clean"], true, "{check}");
}

/// `messages` customer messages as a PHP web form sends them, each a
/// pasted Asterisk log of about 1,000,000 bytes of text: all of it kept
/// for search (the default `limits.text_bytes` is 1 MiB), every line
/// different, and one last line saying how it ended; each a follow-up of
/// the one before.
fn pasted_logs(dir: &std::path::Path, messages: usize) {
    for i in 0..messages {
        // Each one follows up the one before, customer and support in
        // turn: one conversation whose answers are paired with their
        // questions, so threading and a copy's links rewrite them all.
        let earlier = match i {
            0 => String::new(),
            _ => format!("In-Reply-To: <{}.form@kunde.example>\r\n", i - 1),
        };
        let (from, to) = match i % 2 {
            0 => (
                format!("=?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg{i}@kunde.example>"),
                "support@casebook.example".to_owned(),
            ),
            _ => (
                "Casebook Support <support@casebook.example>".to_owned(),
                format!("joerg{}@kunde.example", i - 1),
            ),
        };
        let mut raw = format!(
            "Date: Mon, 01 Dec 2025 09:{:02}:00 +0100\r\nTo: {to}\r\n\
Subject: =?UTF-8?Q?Anrufe_brechen_ab_=E2=80=93_Protokoll_{i}?=\r\nFrom: {from}\r\n\
Message-ID: <{i}.form@kunde.example>\r\n{earlier}X-Mailer: PHP/8.2.7\r\nMIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
Hallo, hier das Protokoll:\r\n",
            i % 60
        )
        .into_bytes();
        let mut n = 0u32;
        while raw.len() < 1_000_000 {
            write!(
                raw,
                "[Dec  1 09:{:02}:{:02}] VERBOSE[{}] pbx.c: Executing [{n}@from-trunk:{}] \
Dial(\"SIP/trunk{i}-{n:08x}\", \"SIP/{}\") in new stack\r\n",
                n / 60 % 60,
                n % 60,
                1000 + n % 977,
                n % 7,
                200 + n % 50
            )
            .expect("write");
            n += 1;
        }
        raw.extend_from_slice(b"Registration finally succeeded.\r\n");
        std::fs::write(dir.join(format!("form{i:03}.eml")), raw).expect("write");
    }
}

/// What an import, a reindex, a check and a copy to another database of
/// 200 messages of 1 MB of text each may use with the page caches of the
/// test below: the import 226-234 MB measured (debug build; 276 MB on
/// PostgreSQL), the copy 196-198 MB. The import took 712-747 MB, and more
/// with each such message: the index's catch-up held a page of 1,000 rows
/// whole, twice over (the driver's form and the decoded one), with up to
/// 10,000 documents queued for the index's threads besides; and threading
/// rewrote 400 of those rows in one statement, which keeps every page it
/// replaces in memory until it ends. The copy held 500 rows at once
/// (612 MB), and set 100 messages' links a statement (252 MB).
const LARGE_TEXT_CEILING: u64 = 320 * 1024 * 1024;

/// What retention may use to erase those 200 messages: 84-102 MB
/// measured. It read each round's 500 texts at once to work out their
/// topics again (440 MB), and cleared the conversation's threads in one
/// statement, rewriting every row whole (315 MB).
const ERASURE_CEILING: u64 = 160 * 1024 * 1024;

#[test]
fn an_import_of_large_messages_holds_a_bounded_part_of_them_at_once() {
    let cb = Casebook::new();
    std::fs::write(
        &cb.config,
        "our_domains = [\"casebook.example\"]\nwrite_cache_mib = 16\nread_cache_mib = 4\nretention_days = 1\n",
    )
    .expect("config");
    pasted_logs(std::path::Path::new(cb.mail_dir()), 200);
    // Copied to another database a bounded part at a time too.
    let place = tempfile::tempdir().expect("tempdir");
    let copy = format!("sqlite://{}", place.path().join("copy.db").display());
    let from = cb.database_url();
    for args in [
        vec!["import", cb.mail_dir()],
        vec!["reindex"],
        vec!["check"],
        vec!["migrate-store", "--from", &from, "--to", &copy],
    ] {
        ok_within(&cb, LARGE_TEXT_CEILING, &args);
    }
    // Each one's text is searchable to its last line.
    let found = cb.json(&["search", "--json", "--", "succeeded"]);
    assert_eq!(found["total"], 200, "{found}");
    let theirs = cb.json(&["search", "--json", "--", "succeeded from:kunde.example"]);
    assert_eq!(theirs["total"], 100, "{theirs}");
    let joerg = cb.json(&["search", "--json", "--", "from:joerg8@kunde.example"]);
    assert_eq!(joerg["total"], 1, "{joerg}");
    // One conversation, each answer paired with its question, in the copy
    // as in the original.
    let answered = cb.json(&[
        "show",
        "--json",
        &crate::id_of(&cb, "8.form@kunde.example").to_string(),
    ]);
    let thread = answered["thread_id"].as_i64().expect("threaded");
    let listed = cb.json(&["thread", "--json", &thread.to_string()]);
    assert_eq!(
        listed["messages"].as_array().map(Vec::len),
        Some(200),
        "{listed}"
    );

    // Retention erases them (they are a year old) reading no text: the
    // topics their anonymous records keep were recorded when they came.
    let erased = ok_within(&cb, ERASURE_CEILING, &["retention", "apply"]);
    assert!(erased.contains("erased 200 messages"), "{erased}");
    let check = cb.json(&["check", "--json"]);
    assert_eq!(check["clean"], true, "{check}");
}

/// Memory an import, a reindex and a check of 30,000 messages may use
/// here when threads are worked out 100 messages at a time. Holding every
/// message's threading row at once took ~205 MB for the import (measured
/// with `threading_batch_messages = 1000000`, debug build); in rounds it
/// takes ~135 MB, the reindex ~150 MB (most of it the index writer's own
/// budget, a constant), the check less; with the database's writing
/// connection keeping 16 MiB of pages (`write_cache_mib`; its default of
/// 64 takes the import past the ceiling) and each reading one 4 MiB
/// (`read_cache_mib`: at the default 16, reading the archive back for the
/// index fills all four, and the import peaked at 166-186 MB).
const ARCHIVE_CEILING: u64 = 180 * 1024 * 1024;

#[test]
fn import_reindex_and_check_hold_what_the_settings_say_not_the_archive() {
    let cb = Casebook::new();
    std::fs::write(
        &cb.config,
        "our_domains = [\"casebook.example\"]\nthreading_batch_messages = 100\nwrite_cache_mib = 16\nread_cache_mib = 4\nretention_days = 1\n",
    )
    .expect("config");
    let maildir = cb.corpus(30_000, 3);
    let maildir = maildir.to_str().expect("utf-8 temp path");
    for args in [vec!["import", maildir], vec!["reindex"], vec!["check"]] {
        ok_within(&cb, ARCHIVE_CEILING, &args);
    }
    let stats = cb.json(&["stats", "--json"]);
    assert!(stats["messages"].as_u64() > Some(29_000), "{stats}");
    let check = cb.json(&["check", "--json"]);
    assert_eq!(
        check["clean"], true,
        "threads worked out in rounds: {check}"
    );
    // Retention past all of it: erased 5,000 messages a transaction.
    ok_within(&cb, ARCHIVE_CEILING, &["retention", "apply"]);
    let stats = cb.json(&["stats", "--json"]);
    assert_eq!(stats["messages"], 0, "{stats}");
    let check = cb.json(&["check", "--json"]);
    assert_eq!(check["clean"], true, "after retention in rounds: {check}");
}

/// Memory a customer list import may use here: what it holds is the
/// file's text and a digest per row, read and stored a page at a time,
/// with the writing connection keeping 16 MiB of database pages
/// (`write_cache_mib`). Holding every record (about 1 KB each) took
/// 300,000 rows past it; so does the writer's default cache of 64 MiB.
const LIST_CEILING: u64 = 150 * 1024 * 1024;

#[test]
fn a_customer_list_is_imported_a_page_at_a_time_not_held_whole() {
    let cb = Casebook::new();
    std::fs::write(
        &cb.config,
        "our_domains = [\"casebook.example\"]\nwrite_cache_mib = 16\n",
    )
    .expect("config");
    let rows = 300_000;
    let mut csv = String::from("email,name,company,account\n");
    for n in 0..rows {
        let company = n % 5_000;
        csv.push_str(&format!(
            "c{n}@company{company}.example,Customer {n},Company {company},A-{n}\n"
        ));
    }
    let list = cb.write_mail("large-list.csv", csv.as_bytes());
    let out = limited_to(
        &cb,
        LIST_CEILING,
        &[
            "customers",
            "import",
            list.to_str().expect("utf-8 temp path"),
            "--list",
            "crm",
        ],
    );
    assert!(
        out.status.success(),
        "customers import within {LIST_CEILING} bytes: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lists = cb.json(&["customers", "lists", "--json"]);
    assert_eq!(lists[0]["records"], rows, "{lists}");
}

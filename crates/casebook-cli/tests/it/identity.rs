//! Issue 19: people as mail clients read them. A sender whose whole From
//! header is one encoded-word (Python's `email`, web forms, PHP mailers)
//! is a person like any other: erasure, access export and list matching
//! find all their mail, and an erasure that leaves mail naming them says
//! so and fails.

use crate::{id_of, Casebook};

/// `"Nils García" <nils.garca20@deltacc.com>`, as one B encoded-word.
const NILS_ENCODED: &str = "=?utf-8?b?Ik5pbHMgR2FyY8OtYSIgPG5pbHMuZ2FyY2EyMEBkZWx0YWNjLmNvbT4=?=";
const NILS: &str = "nils.garca20@deltacc.com";
const US: &str = "support@casebook.example";
const DATE: &str = "Tue, 1 Jul 2008 10:00:00 +0000";

fn mail(headers: &str, id: &str, text: &str) -> Vec<u8> {
    format!("{headers}\r\nDate: {DATE}\r\nMessage-ID: <{id}>\r\n\r\n{text}\r\n").into_bytes()
}

/// Nils's two questions (one in Python's default-policy spelling), our
/// reply to the encoded address, Bob's message with Nils in Cc, and
/// Carol's message that quotes Nils's address in its text.
fn archive() -> Casebook {
    let cb = Casebook::new();
    cb.write_mail(
        "nils1.eml",
        &mail(
            &format!("From: {NILS_ENCODED}\r\nTo: {US}\r\nSubject: Voicemail Frage"),
            "n1@deltacc.com",
            "Unsere Voicemail geht nicht.",
        ),
    );
    cb.write_mail(
        "nils2.eml",
        &mail(
            &format!("From: Nils =?utf-8?q?Garc=C3=ADa?= <{NILS}>\r\nTo: {US}\r\nSubject: Lizenz"),
            "n2@deltacc.com",
            "Und die Lizenz?",
        ),
    );
    cb.write_mail(
        "reply.eml",
        &mail(
            &format!(
                "From: Sam <{US}>\r\nTo: {NILS_ENCODED}\r\nSubject: Re: Voicemail Frage\r\nIn-Reply-To: <n1@deltacc.com>"
            ),
            "r1@casebook.example",
            "Bitte neu starten.",
        ),
    );
    cb.write_mail(
        "bob.eml",
        &mail(
            &format!(
                "From: Bob <bob@other.example>\r\nTo: {US}\r\nCc: {NILS_ENCODED}\r\nSubject: Trunk"
            ),
            "b1@other.example",
            "Our trunk is down.",
        ),
    );
    cb.write_mail(
        "carol.eml",
        &mail(
            &format!("From: Carol <carol@third.example>\r\nTo: {US}\r\nSubject: Referral"),
            "c1@third.example",
            &format!("My colleague ({NILS}) recommended you."),
        ),
    );
    cb.ok(&["import", cb.mail_dir()]);
    cb
}

#[test]
fn a_sender_written_as_one_encoded_word_is_a_person() {
    let cb = archive();
    let shown = cb.json(&["show", "--json", &id_of(&cb, "n1@deltacc.com").to_string()]);
    assert_eq!(shown["from"]["address"], NILS, "{shown}");
    assert_eq!(shown["from"]["name"], "Nils García", "{shown}");

    let dir = cb.data_path().join("export");
    let said = cb.ok(&[
        "privacy",
        "export",
        NILS,
        "--out",
        dir.to_str().expect("utf-8"),
    ]);
    // Their two questions, our reply, and Bob's message that copies them.
    assert!(said.contains("(4 messages)"), "{said}");

    let list = cb.data_path().join("list.csv");
    std::fs::write(&list, format!("email,name\n{NILS},Nils\n")).expect("list");
    cb.ok(&[
        "customers",
        "import",
        list.to_str().expect("utf-8"),
        "--list",
        "crm",
    ]);
    let matched = cb.json(&["customers", "match", "--json"]);
    let emails: Vec<&str> = matched["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .filter_map(|m| m["email"].as_str())
        .collect();
    assert_eq!(emails, [NILS], "{matched}");
}

#[test]
fn an_erasure_finds_every_route_and_fails_while_mail_still_names_them() {
    let cb = archive();
    let carol = id_of(&cb, "c1@third.example");
    let n1 = id_of(&cb, "n1@deltacc.com").to_string();
    let sha = cb.json(&["show", "--json", &n1])["sha256"]
        .as_str()
        .expect("a digest")
        .to_owned();
    let out = cb.run(&["privacy", "erase", NILS]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("erased 4 messages"), "{stdout}");
    assert!(
        stdout.contains("found 3 as their conversations")
            && stdout.contains("1 only named in a header"),
        "{stdout}"
    );
    assert!(stderr.contains("erasure is incomplete"), "{stderr}");
    assert!(stderr.contains(&format!(": {carol}")), "{stderr}");

    for gone in [
        "n1@deltacc.com",
        "n2@deltacc.com",
        "r1@casebook.example",
        "b1@other.example",
    ] {
        let listed = cb.ok(&["list", "--json"]);
        assert!(!listed.contains(gone), "{gone} still listed");
    }
    // Once the message that names them is dealt with, the erasure is whole.
    cb.ok(&["remove", &carol.to_string()]);
    let log = cb.json(&["audit", "--json"]);
    let removal = log
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["action"] == "remove");
    assert_eq!(
        removal.map(|e| e["detail"]["messages"].clone()),
        Some(serde_json::json!([carol])),
        "a removal is audited: {log}"
    );
    let again = cb.ok(&["privacy", "erase", NILS]);
    assert!(again.contains("erased 0 messages"), "{again}");
    assert_eq!(cb.ok(&["list", "--json"]).trim(), "");
    // The chain still verifies, and keeps no hash that would show a
    // holder of the file that it was archived.
    cb.ok(&["check"]);
    if casebook_testkit::backend() == "sqlite" {
        let found = crate::erasure::any_file_holds(cb.data_path(), sha.as_bytes());
        assert!(
            found.is_empty(),
            "the erased message's SHA-256 in {found:?}"
        );
    }
}

/// Issue 19: import accounts for every file under the paths it is given:
/// a Maildir in the filesystem layout (folders inside it at any depth,
/// loose files beside cur/ and new/), an `.eml` whose attachment holds a
/// `From ` line, and a Maildir's unfinished `tmp/` delivery, named.
#[test]
fn import_accounts_for_every_file_of_a_maildir_tree() {
    let cb = Casebook::new();
    let root = cb.data_path().join("Maildir");
    let put = |rel: &str, bytes: &[u8]| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write");
    };
    let message = |n: usize| {
        format!("From: Ann <ann@x.example>\r\nTo: {US}\r\nSubject: note {n}\r\nMessage-ID: <n{n}@x.example>\r\nDate: {DATE}\r\n\r\nnote {n}\r\n").into_bytes()
    };
    put("cur/1.h:2,S", &message(1));
    std::fs::create_dir_all(root.join("new")).expect("mkdir");
    put("tmp/2.h", &message(2));
    put("dovecot-uidlist", b"3 V1 N2\n");
    put("projects/cur/3.h:2,", &message(3));
    put("projects/new/4.h", &message(4));
    put("projects/2009/new/5.h", &message(5));
    std::fs::create_dir_all(root.join("projects/2009/cur")).expect("mkdir");
    put("projects/6", &message(6));
    put("loose/7", &message(7));
    let patch = b"From: Ann <ann@x.example>\r\nTo: support@casebook.example\r\nSubject: patch\r\nMessage-ID: <patch@x.example>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee the patch.\r\n\r\n--b\r\nContent-Type: text/x-patch; name=0001.patch\r\nContent-Disposition: attachment; filename=0001.patch\r\n\r\nFrom fc88cba Mon Sep 17 00:00:00 2001\r\nFrom: Ann <ann@x.example>\r\nSubject: [PATCH] fix\r\n\r\n--- a/x\r\n--b--\r\n";
    put("loose/patch.eml", patch);

    let out = cb.run(&["import", root.to_str().expect("utf-8")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "the tmp/ file was not taken in: {text}"
    );
    assert!(
        text.contains("8 files, 7 messages read, stored 7 new"),
        "{text}"
    );
    assert!(
        text.contains("tmp/2.h") && text.contains("never finished"),
        "{text}"
    );
    let id = id_of(&cb, "patch@x.example");
    assert_eq!(
        cb.run(&["raw", &id.to_string()]).stdout,
        patch,
        "whole, byte for byte"
    );
    let listed = cb.ok(&["list", "--json"]);
    assert_eq!(listed.lines().count(), 7, "no invented message: {listed}");
}

/// Issue 19: audit entries name people by identity. An export for
/// ann@x.example never takes joann@x.example's entries, and erasing
/// a_b@x.example (where `_` was a LIKE wildcard) leaves axb@x.example's
/// entries as they were.
#[test]
fn audit_entries_belong_to_people_not_to_substrings() {
    let cb = Casebook::new();
    for person in [
        "ann@x.example",
        "joann@x.example",
        "a_b@x.example",
        "axb@x.example",
    ] {
        cb.ok(&[
            "privacy",
            "set",
            person,
            "--marketing",
            "opt-in",
            "--source",
            "web form",
        ]);
    }
    // Entries whose detail names an address: merges.
    cb.ok(&["person", "merge", "yy@y.example", "joann@x.example"]);
    cb.ok(&["person", "merge", "zed@z.example", "axb@x.example"]);

    let dir = cb.data_path().join("export");
    cb.ok(&[
        "privacy",
        "export",
        "ann@x.example",
        "--out",
        dir.to_str().expect("utf-8"),
    ]);
    let audit: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("audit.json")).expect("audit.json"))
            .expect("json");
    let entries = audit.as_array().expect("entries");
    assert!(!entries.is_empty(), "ann's own entries are there");
    for e in entries {
        assert!(
            !e.to_string().contains("joann"),
            "joann's entry in ann's export: {e}"
        );
    }

    cb.ok(&["privacy", "erase", "a_b@x.example"]);
    let log = cb.json(&["audit", "--json"]);
    let merge = log
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["action"] == "person-merge" && e["subject"] == "person zed@z.example")
        .expect("the merge entry");
    assert_eq!(merge["detail"]["address"], "axb@x.example", "{merge}");
    assert_eq!(
        merge["people"],
        serde_json::json!(["axb@x.example", "zed@z.example"])
    );
    let erased_named = log.to_string().contains("a_b@x.example");
    assert!(!erased_named, "the erased address is named nowhere: {log}");
}

/// Issue 19: mail stored without a person (by a version that could not
/// read an encoded From, or whose From holds no address at all) is listed
/// by `check` and `list --unattributed`, never silently nobody; `check
/// --repair` reads the headers again and attributes what it now can.
#[test]
fn mail_without_a_known_sender_is_listed_and_repair_reads_it_again() {
    let cb = archive();
    cb.write_mail(
        "nobody.eml",
        &mail(
            &format!("From: Nils Garcia (no address)\r\nTo: {US}\r\nSubject: Hallo"),
            "x1@nowhere",
            "Hallo?",
        ),
    );
    cb.ok(&["import", cb.mail_dir()]);
    let n1 = id_of(&cb, "n1@deltacc.com");
    let nobody = id_of(&cb, "x1@nowhere");
    // As an archive written before senders were read this way.
    casebook_testkit::behind_the_back(
        &cb.database_url(),
        &format!(
            "UPDATE messages SET from_address = NULL, from_name = NULL, correspondent = NULL WHERE id = {n1}; \
             DELETE FROM message_addresses WHERE message = {n1}"
        ),
    );
    let listed: Vec<i64> = cb
        .ok(&["list", "--unattributed", "--json"])
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()?["id"].as_i64())
        .collect();
    assert_eq!(listed, [n1, nobody]);
    let check = cb.ok(&["check"]);
    assert!(check.contains(&format!("[{n1}, {nobody}]")), "{check}");

    let repaired = cb.ok(&["check", "--repair"]);
    assert!(
        repaired.contains(&format!("now known: [{n1}]")),
        "{repaired}"
    );
    let listed = cb.ok(&["list", "--unattributed", "--json"]);
    assert_eq!(
        listed.lines().count(),
        1,
        "only the one with no address: {listed}"
    );
    let shown = cb.json(&["show", "--json", &n1.to_string()]);
    assert_eq!(shown["from"]["address"], NILS, "{shown}");

    crate::web::add_user(&cb, "amy", "agent");
    let server = crate::web::Server::start(&cb);
    let page = server.page(&format!("/messages/{nobody}"), &server.log_in("amy"));
    assert!(page.body.contains("unknown sender"), "{}", page.body);
}

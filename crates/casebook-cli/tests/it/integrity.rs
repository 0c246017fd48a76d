//! `casebook check`, `backup` and `restore` as an administrator uses them.

use crate::Casebook;

#[test]
fn a_backup_taken_while_in_use_restores_into_an_empty_archive_and_checks_whole() {
    let cb = crate::with_conversation();
    let report = cb.ok(&["check"]);
    assert!(report.contains("raw messages verified: 2"), "{report}");
    assert!(
        report.trim_end().ends_with("the archive is whole"),
        "{report}"
    );
    let json = cb.json(&["check", "--json"]);
    assert_eq!(json["clean"], true, "{json}");
    assert_eq!(json["chain"]["entries"], 2, "{json}");
    assert_eq!(json["chain"]["head"].as_str().map(str::len), Some(64));

    if casebook_testkit::backend() == "postgres" {
        let refused = cb.run(&["backup", cb.data_path().join("b").to_str().expect("utf-8")]);
        assert!(String::from_utf8_lossy(&refused.stderr).contains("pg_dump"));
        return;
    }
    let dir = cb.data_path().join("backup-1");
    let said = cb.ok(&["backup", dir.to_str().expect("utf-8")]);
    assert!(said.contains("consistent snapshot"), "{said}");
    let manifest = std::fs::read_to_string(dir.join("BACKUP.txt")).expect("manifest");
    assert!(manifest.contains("messages: 2"), "{manifest}");
    let again = cb.run(&["backup", dir.to_str().expect("utf-8")]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds a backup"));
    // Mail stored after the backup is not in it.
    cb.write_mail(
        "later.eml",
        b"From: Zed <zed@later.example>\r\nSubject: later\r\nMessage-ID: <later@x>\r\n\r\nafter the backup\r\n",
    );
    cb.ok(&["import", cb.mail_dir()]);

    let fresh = Casebook::new();
    let restored = fresh.ok(&["restore", dir.to_str().expect("utf-8")]);
    assert!(restored.contains("messages"), "{restored}");
    assert_eq!(fresh.json(&["stats", "--json"])["messages"], 2);
    let q = crate::id_of(&fresh, "q1@customer.example");
    assert_eq!(
        fresh.run(&["raw", &q.to_string()]).stdout,
        crate::QUESTION,
        "byte for byte"
    );
    assert_eq!(
        fresh.json(&["search", "--json", "voicemail"])["total"],
        2,
        "the index is rebuilt"
    );
    assert_eq!(fresh.json(&["check", "--json"])["clean"], true);
    let twice = fresh.run(&["restore", dir.to_str().expect("utf-8")]);
    assert!(!twice.status.success(), "only into an empty archive");
    let nothing = fresh.run(&["restore", "/nonexistent/backup"]);
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("holds no backup"));
}

/// `UPDATE … SET compressed = <these bytes>` in each backend's spelling.
fn blob_literal(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    match casebook_testkit::backend() {
        "postgres" => format!("'\\x{hex}'::bytea"),
        _ => format!("X'{hex}'"),
    }
}

/// Issue 19: bytes changed behind the archive's back are not handed out as
/// the mail that arrived: `raw` refuses them, naming the message, unless
/// `--force`; `check` lists the message as damaged.
#[test]
fn raw_refuses_bytes_that_no_longer_match_their_sha256() {
    let cb = crate::with_conversation();
    let q = crate::id_of(&cb, "q1@customer.example");
    let forged = crate::QUESTION
        .iter()
        .map(|&b| if b == b'v' { b'V' } else { b })
        .collect::<Vec<u8>>();
    assert_ne!(forged, crate::QUESTION);
    let compressed = zstd::bulk::compress(&forged, 1).expect("zstd");
    casebook_testkit::behind_the_back(
        &cb.database_url(),
        &format!(
            "UPDATE raw_messages SET compressed = {} WHERE message = {q}",
            blob_literal(&compressed)
        ),
    );
    let refused = cb.run(&["raw", &q.to_string()]);
    assert!(!refused.status.success());
    assert!(refused.stdout.is_empty(), "no byte of it written");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains(&format!("message {q}")) && said.contains("SHA-256"),
        "{said}"
    );
    let forced = cb.run(&["raw", &q.to_string(), "--force"]);
    assert!(forced.status.success());
    assert_eq!(forced.stdout, forged);
    assert!(String::from_utf8_lossy(&forced.stderr).contains("warning"));
    let check = cb.run(&["check", "--json"]);
    assert!(!check.status.success(), "a damaged archive fails the check");
    let check: serde_json::Value = serde_json::from_slice(&check.stdout).expect("json");
    assert_eq!(check["damaged"][0]["id"], q, "{check}");

    // Importing the original file again heals it, verified.
    let again = cb.ok(&["import", cb.mail_dir()]);
    assert!(
        again.contains(&format!(
            "healed 1 damaged message from their original bytes (same SHA-256, verified): [{q}]"
        )),
        "{again}"
    );
    assert_eq!(cb.run(&["raw", &q.to_string()]).stdout, crate::QUESTION);
    assert_eq!(cb.json(&["check", "--json"])["clean"], true);
}

/// Issue 19: `check --repair` never launders. A message inserted behind
/// the archive's back is quarantined and named, not entered into the
/// chain; only `--accept-unchained` (audited) enters it.
#[test]
fn repair_quarantines_what_the_chain_does_not_hold() {
    let cb = crate::with_conversation();
    let q = crate::id_of(&cb, "q1@customer.example");
    casebook_testkit::behind_the_back(
        &cb.database_url(),
        &format!(
            "INSERT INTO messages (sha256, size, message_id, direction, from_address, correspondent, \
             recipients, subject, in_reply_to, refs, body, html_only, attachments, warnings, change_seq, stored_at) \
             SELECT {}, size, 'forged@x', direction, from_address, correspondent, recipients, 'forged', \
             in_reply_to, refs, body, html_only, attachments, warnings, change_seq, stored_at \
             FROM messages WHERE id = {q}",
            blob_literal(&[7u8; 32])
        ),
    );
    let forged = crate::id_of(&cb, "forged@x");
    let repaired = cb.run(&["check", "--repair", "--json"]);
    assert!(
        !repaired.status.success(),
        "still not clean: nothing vouches for it"
    );
    let report: serde_json::Value = serde_json::from_slice(&repaired.stdout).expect("json");
    assert_eq!(
        report["chain"]["quarantined"],
        serde_json::json!([forged]),
        "{report}"
    );
    assert_eq!(
        report["chain"]["unchained"],
        serde_json::json!([forged]),
        "{report}"
    );
    let tagged = cb.json(&["search", "--json", "tag:quarantined"]);
    assert_eq!(tagged["total"], 1, "{tagged}");

    let accepted = cb.run(&["check", "--repair", "--accept-unchained", "--json"]);
    let accepted: serde_json::Value = serde_json::from_slice(&accepted.stdout).expect("json");
    assert_eq!(accepted["chain"]["accepted"], serde_json::json!([forged]));
    assert_eq!(
        accepted["chain"]["unchained"],
        serde_json::json!([]),
        "{accepted}"
    );
    // (It has no raw bytes, so the archive is not whole: check says so.)
    assert_eq!(
        accepted["missing_raw"],
        serde_json::json!([forged]),
        "{accepted}"
    );
    let log = cb.json(&["audit", "--json"]);
    assert!(log.to_string().contains("chain-accept"), "{log}");
}

/// Issue 19: with `integrity_key_file`, entries are authenticated; a
/// check without the key says what it cannot verify; `--head` holds.
#[test]
fn an_integrity_key_authenticates_the_chain() {
    let cb = Casebook::new();
    let key = cb.data_path().join("chain.key");
    cb.ok(&["keygen", "--out", key.to_str().expect("utf-8")]);
    std::fs::write(
        &cb.config,
        format!(
            "our_domains = [\"casebook.example\"]\nintegrity_key_file = {:?}\n",
            key.display().to_string()
        ),
    )
    .expect("config");
    cb.write_mail("question.eml", crate::QUESTION);
    cb.ok(&["import", cb.mail_dir()]);
    let report = cb.json(&["check", "--json"]);
    assert_eq!(report["clean"], true, "{report}");
    let head = report["chain"]["head"].as_str().expect("head").to_owned();
    let held = cb.json(&["check", "--json", "--head", &head]);
    assert_eq!(held["chain"]["head_found"], true);
    let wrong = cb.run(&["check", "--head", &"0".repeat(64)]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stdout).contains("cut back or rewritten"));

    std::fs::write(&cb.config, "our_domains = [\"casebook.example\"]\n").expect("config");
    let keyless = cb.run(&["check"]);
    assert!(!keyless.status.success());
    let text = String::from_utf8_lossy(&keyless.stdout);
    assert!(text.contains("authenticated with integrity key"), "{text}");
}

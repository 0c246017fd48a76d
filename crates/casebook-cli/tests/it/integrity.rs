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
}

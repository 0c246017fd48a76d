//! A full disk: the data folder on a small tmpfs (a real filesystem that
//! really fills up). The import stops with an error that says what
//! happened and what to do, what was stored stays readable and whole, and
//! once there is room again the same import carries on to the end.

use crate::Casebook;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs this test mounted; unmounted (that mount only) when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Self {
        std::fs::create_dir_all(at).expect("mount point");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .expect("mount runs");
        assert!(
            status.success(),
            "mounting a {size} tmpfs at {} failed: this test needs root (scripts/test runs as root on a fresh machine)",
            at.display()
        );
        Self(at.to_owned())
    }

    fn grow(&self, size: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .expect("mount runs");
        assert!(status.success(), "remount of {}", self.0.display());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_stops_the_import_clearly_and_loses_nothing_stored() {
    let reference = Casebook::new();
    let maildir = reference.corpus(3000, 5);
    let maildir = maildir.to_str().expect("utf-8");
    reference.ok(&["import", maildir]);
    let all = reference.json(&["stats", "--json"]);

    let cb = Casebook::new();
    // The archive's own folder on a disk too small for it: the database
    // and the index (on PostgreSQL, the index alone, so a smaller disk).
    let size = match casebook_testkit::backend() {
        "postgres" => "256k",
        _ => "2m",
    };
    let disk = Tmpfs::mount(&cb.data_path().join("archive"), size);
    let full = cb.run(&["import", maildir]);
    let said = String::from_utf8_lossy(&full.stderr);
    assert!(!full.status.success(), "the import cannot finish: {said}");
    assert!(said.contains("The disk is full"), "{said}");
    assert!(said.contains("run the command again"), "{said}");

    // With the disk still full, what was stored can be read.
    let partial = cb.run(&["stats", "--json"]);
    assert!(
        partial.status.success(),
        "reading works on a full disk: {}",
        String::from_utf8_lossy(&partial.stderr)
    );
    let partial: serde_json::Value = serde_json::from_slice(&partial.stdout).expect("JSON");
    if casebook_testkit::backend() == "postgres" {
        // The store is on the database server's disk: all stored, the
        // index (here) behind.
        assert_eq!(partial["messages"], all["messages"]);
        assert!(partial["index"]["documents"].as_u64() < all["messages"].as_u64());
    } else {
        assert!(partial["messages"].as_u64() < all["messages"].as_u64());
    }

    disk.grow("256m");
    cb.ok(&["import", maildir]);
    let after = cb.json(&["stats", "--json"]);
    assert_eq!(after["messages"], all["messages"], "every message, once");
    assert_eq!(after["copies"], all["copies"]);
    assert_eq!(after["threads"], all["threads"]);
    assert_eq!(
        after["index"]["documents"], all["messages"],
        "the index caught up"
    );
    assert_eq!(cb.json(&["check", "--json"])["clean"], true);
    drop(disk);
}

/// The disk fills in the middle of a sync: the sync stops with the same
/// clear error (it used to wait for ever, its fetching side blocked on a
/// channel nobody read any more), keeps what it stored, and the next sync
/// finishes the folder with every message once.
#[test]
fn a_full_disk_stops_a_sync_clearly_and_the_next_sync_finishes_it() {
    use crate::sync::{account, configure, server_with_cases, MANY_BATCHES, PASSWORD_VAR};
    let total = 3000;
    let dovecot = server_with_cases(total);
    let cb = Casebook::new();
    configure(&cb, &account("support", dovecot.port, MANY_BATCHES));
    // On PostgreSQL only the index is on this disk, and these small
    // messages index into little: a smaller disk, full before the end.
    // On SQLite creating the database takes about 1 MB (its log holds
    // every migration until the first checkpoint): a disk of 2 MB.
    let size = match casebook_testkit::backend() {
        "postgres" => "64k",
        _ => "2m",
    };
    let disk = Tmpfs::mount(&cb.data_path().join("archive"), size);
    let child = cb
        .command(&["sync"])
        .env(PASSWORD_VAR, "secret")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sync starts");
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    // A deadline, not a pause: the sync normally ends within seconds.
    let full = match finished.recv_timeout(std::time::Duration::from_secs(120)) {
        Ok(output) => output.expect("sync ran"),
        Err(_) => {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            panic!("the sync did not end within two minutes of filling the disk");
        }
    };
    let said = String::from_utf8_lossy(&full.stderr);
    assert!(!full.status.success(), "the sync cannot finish: {said}");
    assert!(said.contains("The disk is full"), "{said}");
    // Read on the full disk: the watermark moved only with stored mail.
    let accounts = cb.json(&["accounts", "--json"]);
    let inbox = accounts
        .as_array()
        .and_then(|a| a.iter().find(|f| f["folder"] == "INBOX"));
    let number = |key: &str| inbox.and_then(|f| f[key].as_u64()).unwrap_or(0);
    assert!(
        number("archived") > 0,
        "the disk filled during the sync, not before its first message: {accounts}"
    );
    assert!(
        number("archived") >= number("last_uid"),
        "the watermark passed unstored mail: {accounts}"
    );

    disk.grow("256m");
    let (code, report) = crate::sync::sync(&cb, "secret");
    assert_eq!(code, Some(0), "{report}");
    let stats = cb.json(&["stats", "--json"]);
    assert_eq!(stats["messages"], total, "every message once");
    let accounts = cb.json(&["accounts", "--json"]);
    assert_eq!(crate::sync::folder(&accounts, "INBOX")["last_uid"], total);
    assert_eq!(
        cb.json(&["search", "--json", "subject:case"])["total"],
        total,
        "the index agrees with the store"
    );
    assert_eq!(cb.json(&["check", "--json"])["clean"], true);
    drop(disk);
}

//! Processes killed with SIGKILL under load, then restarted: every message
//! is stored exactly once, every change a user was told about is kept, the
//! index agrees with the store and the archive checks whole.
//!
//! Sizes are small here so the suite stays quick; `scripts/crash` runs the
//! same tests with more mail and more kill points
//! (`CASEBOOK_CRASH_MESSAGES`, `CASEBOOK_CRASH_KILLS`); the sync test is in
//! `sync.rs` beside the other IMAP tests.

use crate::web::{add_user, csrf_of, Server};
use crate::Casebook;
use serde_json::Value;
use std::process::Stdio;
use std::time::{Duration, Instant};

pub(crate) fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Kill points spread over `span`, each jittered by a fixed-seed generator
/// so a failing run can be repeated.
pub(crate) fn kill_points(span: Duration, kills: usize, seed: u64) -> Vec<Duration> {
    let mut state = seed;
    (0..kills)
        .map(|k| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let jitter = (state >> 33) as f64 / f64::from(u32::MAX);
            span.mul_f64((k as f64 + jitter) / kills as f64)
        })
        .collect()
}

fn counts(cb: &Casebook) -> (u64, u64) {
    let stats = cb.json(&["stats", "--json"]);
    let n = |k: &str| {
        stats[k]
            .as_u64()
            .unwrap_or_else(|| panic!("{k} in {stats}"))
    };
    (n("messages"), n("copies"))
}

fn assert_whole(cb: &Casebook) {
    let check = cb.run(&["check", "--json"]);
    let report: Value = serde_json::from_slice(&check.stdout).expect("check reports JSON");
    assert_eq!(report["clean"], true, "after the kills: {report}");
}

#[test]
fn an_import_killed_at_any_moment_stores_each_message_once() {
    let messages = setting("CASEBOOK_CRASH_MESSAGES", 1500);
    let kills = setting("CASEBOOK_CRASH_KILLS", 8);
    let reference = Casebook::new();
    let maildir = reference.corpus(messages, 11);
    let started = Instant::now();
    reference.ok(&["import", maildir.to_str().expect("utf-8")]);
    let span = started.elapsed();
    let expected = counts(&reference);

    let cb = Casebook::new();
    let mut stored_before = 0;
    for point in kill_points(span, kills, 7) {
        let mut child = cb
            .command(&["import", maildir.to_str().expect("utf-8")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("import starts");
        // The sleep picks the kill point; nothing waits on it for a result.
        std::thread::sleep(point);
        let _ = child.kill();
        let _ = child.wait();
        let (stored, _) = counts(&cb);
        assert!(
            stored >= stored_before,
            "what was stored stays stored: {stored_before} then {stored}"
        );
        stored_before = stored;
    }
    let finish = cb.ok(&["import", maildir.to_str().expect("utf-8")]);
    assert_eq!(counts(&cb), expected, "{finish}");
    // First the archive's own check (it names any message the index
    // lacks, holds twice or should not hold), then what a search sees.
    assert_whole(&cb);
    assert_eq!(
        cb.json(&[
            "search",
            "--json",
            "--limit",
            "1",
            "--",
            "-tag:nothing-has-this"
        ])["total"],
        expected.0,
        "the index holds every message, once"
    );
}

#[test]
fn serve_killed_while_it_writes_keeps_every_change_it_acknowledged() {
    let rounds = setting("CASEBOOK_CRASH_KILLS", 3).min(6);
    let cb = crate::with_conversation();
    add_user(&cb, "ann", "agent");
    let q = crate::id_of(&cb, "q1@customer.example");
    let mut acknowledged: Vec<String> = Vec::new();
    let mut expected_messages = counts(&cb).0;
    for round in 0..rounds {
        // Load besides the writes: another process imports new mail into
        // the same archive while the server tags and catches up its index.
        let incoming = cb.corpus(300, 100 + round as u64);
        let importer = cb
            .command(&["import", incoming.to_str().expect("utf-8")])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("import starts");

        let server = Server::start(&cb);
        let agent = server.log_in("ann");
        let csrf = csrf_of(&server.page(&format!("/messages/{q}"), &agent).body);
        let wanted = 3 + round * 2;
        let (acks, ack) = std::sync::mpsc::channel::<String>();
        let url = format!("{}/messages/{q}/tags", server.url());
        let writer = std::thread::spawn(move || {
            let http = ureq::AgentBuilder::new().redirects(0).build();
            for i in 0.. {
                let tag = format!("crash{round}n{i}");
                let answer = http
                    .post(&url)
                    .set("Cookie", &agent)
                    .send_form(&[("csrf", &csrf), ("tag", &tag)]);
                match answer {
                    Ok(r) if r.status() == 303 => {}
                    // Refused, not lost: the user is told. Only a kill ends this.
                    Ok(r) => panic!("tagging answered {}: {:?}", r.status(), r.into_string()),
                    Err(ureq::Error::Status(code, r)) => {
                        panic!("tagging answered {code}: {:?}", r.into_string())
                    }
                    Err(_) => return,
                }
                if acks.send(tag).is_err() {
                    return;
                }
            }
        });
        let mut got = Vec::new();
        while got.len() < wanted {
            match ack.recv_timeout(Duration::from_secs(60)) {
                Ok(tag) => got.push(tag),
                Err(e) => panic!("the server stopped acknowledging tags: {e}"),
            }
        }
        // Killed while the writer's next request is in flight.
        server.kill();
        let _ = writer.join();
        acknowledged.extend(got);
        acknowledged.extend(ack.try_iter());

        let imported = importer.wait_with_output().expect("import runs");
        assert!(
            imported.status.success(),
            "the import beside the server finishes: {}",
            String::from_utf8_lossy(&imported.stderr)
        );
        expected_messages = counts(&cb).0.max(expected_messages);
    }
    for tag in &acknowledged {
        assert_eq!(
            cb.json(&["search", "--json", &format!("tag:{tag}")])["total"],
            1,
            "tag {tag} was acknowledged before the kill"
        );
    }
    assert!(expected_messages > 2, "the imports stored mail");
    assert_whole(&cb);
}

//! Several processes on one archive, each with its own search index, and
//! copying an archive between backends.

use crate::{id_of, with_conversation, Casebook, QUESTION};
use serde_json::Value;
use std::collections::HashSet;

/// Matches every message.
const EVERYTHING: &str = "is:inbound OR is:outbound OR is:automated";

fn found(cb: &Casebook, query: &str) -> u64 {
    cb.json(&["search", "--json", "--limit", "0", query])["total"]
        .as_u64()
        .expect("a total")
}

fn found_ids(cb: &Casebook, query: &str) -> HashSet<i64> {
    cb.json(&["search", "--json", "--limit", "100000", query])["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .filter_map(|h| h["id"].as_i64())
        .collect()
}

fn stored(cb: &Casebook) -> u64 {
    cb.json(&["stats", "--json"])["messages"]
        .as_u64()
        .expect("a count")
}

#[test]
fn a_searching_process_catches_up_with_a_writing_one_including_removals() {
    let writer = Casebook::new();
    let searcher = writer.another_process();
    let maildir = writer.corpus(400, 11);

    // The searcher searches over and over while the writer imports; each
    // search is a process that first catches its own index up.
    let mut import = writer
        .command(&["import", maildir.to_str().expect("utf-8")])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("import starts");
    let mut seen = vec![0];
    loop {
        let done = import.try_wait().expect("import runs");
        let now = found(&searcher, EVERYTHING);
        assert!(
            now >= *seen.last().unwrap_or(&0),
            "the searcher's results never go backwards: {seen:?} then {now}"
        );
        seen.push(now);
        if let Some(status) = done {
            assert!(status.success(), "import failed");
            break;
        }
    }
    // One round after the writer finished, the searcher has everything.
    let total = stored(&writer);
    assert!(total > 300, "the corpus was stored: {total}");
    assert_eq!(found(&searcher, EVERYTHING), total, "rounds: {seen:?}");

    // A removal in one process reaches the other's index.
    let ids: Vec<i64> = writer
        .ok(&["list", "--json"])
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["id"].as_i64())
        .collect();
    let removed = [ids[0], ids[ids.len() / 2]];
    let args: Vec<String> = std::iter::once("remove".to_owned())
        .chain(removed.iter().map(ToString::to_string))
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert!(writer.ok(&args).contains("removed 2 of 2"));
    assert_eq!(found(&searcher, EVERYTHING), total - 2);
    let left = found_ids(&searcher, EVERYTHING);
    for id in &removed {
        assert!(!left.contains(id), "removed message {id} is still found");
        let shown = searcher.run(&["show", &id.to_string()]);
        assert!(
            !shown.status.success(),
            "message {id} is gone from the store"
        );
    }
    assert_eq!(found(&writer, EVERYTHING), total - 2);

    // Rebuilding one process's index from scratch gives the same answer.
    assert!(searcher
        .ok(&["reindex"])
        .contains(&format!("reindexed {}", total - 2)));
    assert_eq!(found_ids(&searcher, EVERYTHING), left);
}

#[test]
fn migrate_store_copies_an_archive_to_the_other_backend_and_verifies_it() {
    let source = with_conversation();
    let place = tempfile::tempdir().expect("tempdir");
    let target = match casebook_testkit::backend() {
        "sqlite" => casebook_testkit::other_database_url(place.path(), "copy"),
        _ => format!("sqlite://{}", place.path().join("copy.db").display()),
    };
    let from = source.database_url();
    let report = source.ok(&["migrate-store", "--from", &from, "--to", &target]);
    assert!(
        report.contains("messages                  2 rows, same in both"),
        "{report}"
    );
    assert!(
        report.contains("raw bytes of 2 messages read back and matched their SHA-256"),
        "{report}"
    );

    let copy = Casebook::on_database(&target);
    assert_eq!(
        copy.ok(&["list", "--json"]),
        source.ok(&["list", "--json"]),
        "same ids, threads, replies"
    );
    let q = id_of(&copy, "q1@customer.example");
    assert_eq!(copy.run(&["raw", &q.to_string()]).stdout, QUESTION);
    let hit = copy.json(&["search", "--json", "greeting", "is:answered"]);
    assert_eq!(hit["total"], 1, "the copy's process built its own index");
    assert_eq!(hit["hits"][0]["id"], q);

    let again = source.run(&["migrate-store", "--from", &from, "--to", &target]);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("already holds an archive"), "{err}");
    let same = source.run(&["migrate-store", "--from", &from, "--to", &from]);
    assert!(!same.status.success());
    let err = String::from_utf8_lossy(&same.stderr);
    assert!(err.contains("name the same database"), "{err}");
}

#[test]
fn migrate_reports_the_schema_version() {
    let cb = Casebook::new();
    let latest = std::fs::read_dir(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../casebook-store/migrations/sqlite"),
    )
    .expect("the migrations")
    .count();
    let out = cb.ok(&["migrate"]);
    assert!(
        out.contains(&format!("schema version {latest}, up to date")),
        "{out}"
    );
    let bad = cb.run(&["--database-url", "mysql://db/casebook", "stats"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("--database-url"), "{err}");
    assert!(err.contains("postgres://"), "{err}");
}

//! Properties over generated mail, each case a fresh archive on this run's
//! backend: what goes in comes out byte for byte, importing twice changes
//! nothing, and the order files arrive in does not change the threads.

use crate::{import, open};
use casebook_archive::Archive;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One message's raw bytes: a header block that makes it mail, with
/// Message-IDs, parents and subjects from small pools (so copies, replies,
/// missing parents and subject threading happen), arbitrary bytes in a
/// header value and in the body, and a line ending chosen per message.
fn message() -> impl Strategy<Value = Vec<u8>> {
    (
        0u8..4,
        proptest::option::of(0u8..8),
        proptest::option::of(0u8..8),
        proptest::collection::vec(any::<u8>(), 0..40),
        proptest::collection::vec(any::<u8>(), 0..400),
        any::<bool>(),
        0u8..3,
        0u8..6,
    )
        .prop_map(|(who, mid, parent, subject, body, crlf, dir, pooled)| {
            // Copies of one Message-ID come from one sender, on one date,
            // under one subject, as real copies do (threads read those from
            // whichever copy arrived first); their other headers and bodies
            // differ.
            let who = mid.map_or(who, |m| m % 4);
            let pooled = mid.map_or(pooled, |m| m % 3);
            let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
            let mut out = Vec::new();
            let mut line = |text: &[u8]| {
                out.extend_from_slice(text);
                out.extend_from_slice(eol);
            };
            match dir {
                0 => line(format!("From: c{who}@customer.example").as_bytes()),
                _ => line(b"From: support@casebook.example"),
            }
            match dir {
                0 => line(b"To: support@casebook.example"),
                _ => line(format!("To: c{who}@customer.example").as_bytes()),
            }
            if let Some(m) = mid {
                line(format!("Message-ID: <m{m}@customer.example>").as_bytes());
            }
            if let Some(p) = parent {
                line(format!("In-Reply-To: <m{p}@customer.example>").as_bytes());
            }
            line(format!("Date: Tue, {} Jul 2008 10:00:00 +0000", 1 + who).as_bytes());
            // A subject from a small pool, so replies that lost their headers
            // join by subject; arbitrary bytes for some without a Message-ID.
            let pool: [&[u8]; 3] = [b"Invoice", b"Re: Invoice", b"RE: invoice"];
            let mut subject_line = b"Subject: ".to_vec();
            match pool.get(usize::from(pooled)) {
                Some(text) => subject_line.extend_from_slice(text),
                None => subject_line.extend(subject.iter().map(|&b| {
                    if b == b'\n' || b == b'\r' {
                        b' '
                    } else {
                        b
                    }
                })),
            }
            line(&subject_line);
            line(b"");
            out.extend_from_slice(&body);
            out
        })
}

fn messages() -> impl Strategy<Value = Vec<Vec<u8>>> {
    proptest::collection::vec(message(), 1..24).prop_map(|mut all| {
        // The archive keeps one copy of identical bytes; the property is
        // about distinct inputs.
        let mut seen = BTreeSet::new();
        all.retain(|m| seen.insert(m.clone()));
        all
    })
}

fn write_all(dir: &Path, messages: &[Vec<u8>], order: impl Iterator<Item = usize>) {
    // Files are imported in name order: the name sets the arrival order.
    for (position, i) in order.enumerate() {
        std::fs::write(dir.join(format!("{position:04}.eml")), &messages[i]).expect("write");
    }
}

/// Every message the archive holds (copies too): raw bytes → the thread
/// it is in (a copy is in its original's).
async fn stored(archive: &Archive) -> BTreeMap<Vec<u8>, i64> {
    crate::every_raw(archive)
        .await
        .into_iter()
        .map(|(_, summary, raw)| {
            let thread = summary.thread_id.expect("every message is threaded");
            (raw, thread.0)
        })
        .collect()
}

/// The threads as groups of raw messages, independent of ids.
async fn thread_groups(archive: &Archive) -> BTreeSet<BTreeSet<Vec<u8>>> {
    let mut groups: BTreeMap<i64, BTreeSet<Vec<u8>>> = BTreeMap::new();
    for (raw, thread) in stored(archive).await {
        groups.entry(thread).or_default().insert(raw);
    }
    groups.into_values().collect()
}

fn run(cases: u32, test: impl Fn(Vec<Vec<u8>>) -> Result<(), TestCaseError>) {
    // PROPTEST_CASES explores further (scripts/fuzz sets it).
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    let mut runner = TestRunner::new(RunnerConfig {
        cases,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    if let Err(e) = runner.run(&messages(), test) {
        panic!("{e}");
    }
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

#[test]
fn raw_bytes_come_back_exactly_and_a_second_import_changes_nothing() {
    run(40, |messages| {
        block_on(async {
            let mail = tempfile::tempdir().expect("tempdir");
            write_all(mail.path(), &messages, 0..messages.len());
            let data = tempfile::tempdir().expect("tempdir");
            let archive = open(data.path()).await;

            let first = import(&archive, &[mail.path().to_owned()]).await;
            prop_assert!(first.failed.is_empty(), "failed: {:?}", first.failed);
            prop_assert_eq!(first.stored + first.copies, messages.len() as u64);
            let held = stored(&archive).await;
            let put_in: BTreeSet<&Vec<u8>> = messages.iter().collect();
            prop_assert_eq!(held.keys().collect::<BTreeSet<_>>(), put_in);

            let threads = thread_groups(&archive).await;
            let indexed = archive.indexed_count();
            let again = import(&archive, &[mail.path().to_owned()]).await;
            prop_assert_eq!((again.stored, again.copies), (0, 0));
            prop_assert_eq!(again.duplicates, messages.len() as u64);
            prop_assert_eq!(stored(&archive).await, held);
            prop_assert_eq!(thread_groups(&archive).await, threads);
            prop_assert_eq!(archive.indexed_count(), indexed);
            Ok(())
        })
    });
}

#[test]
fn threads_do_not_depend_on_the_order_files_arrive_in() {
    run(24, |messages| {
        block_on(async {
            let mut groups = Vec::new();
            let forward: Vec<usize> = (0..messages.len()).collect();
            let backward: Vec<usize> = forward.iter().rev().copied().collect();
            for order in [forward, backward] {
                let mail = tempfile::tempdir().expect("tempdir");
                write_all(mail.path(), &messages, order.into_iter());
                let data = tempfile::tempdir().expect("tempdir");
                let archive = open(data.path()).await;
                import(&archive, &[mail.path().to_owned()]).await;
                groups.push(thread_groups(&archive).await);
            }
            prop_assert_eq!(&groups[0], &groups[1]);
            Ok(())
        })
    });
}

#[test]
fn threads_worked_out_as_mail_arrives_are_those_worked_out_at_once() {
    run(24, |messages| {
        block_on(async {
            let mail = tempfile::tempdir().expect("tempdir");
            write_all(mail.path(), &messages, 0..messages.len());
            let whole = tempfile::tempdir().expect("tempdir");
            let at_once = open(whole.path()).await;
            import(&at_once, &[mail.path().to_owned()]).await;

            // One message per import: each settles by working out only the
            // threads the newcomer touches.
            let data = tempfile::tempdir().expect("tempdir");
            let arriving = open(data.path()).await;
            for position in 0..messages.len() {
                let file = mail.path().join(format!("{position:04}.eml"));
                import(&arriving, &[file]).await;
            }
            prop_assert_eq!(
                thread_groups(&arriving).await,
                thread_groups(&at_once).await
            );
            let check = arriving
                .integrity()
                .check(false, |_| {})
                .await
                .expect("check runs");
            prop_assert_eq!(check.threads_to_fix, 0, "replies paired as at once");
            Ok(())
        })
    });
}

#[test]
fn threads_worked_out_in_rounds_are_those_worked_out_at_once() {
    run(24, |messages| {
        block_on(async {
            let mail = tempfile::tempdir().expect("tempdir");
            write_all(mail.path(), &messages, 0..messages.len());
            let whole = tempfile::tempdir().expect("tempdir");
            let at_once = open(whole.path()).await;
            import(&at_once, &[mail.path().to_owned()]).await;

            // Rounds of three messages: an import threads the first three,
            // then each next three with the threads they join; a reindex
            // works every thread out afresh, three messages (and what they
            // link to) at a time.
            let data = tempfile::tempdir().expect("tempdir");
            let mut config = crate::config_for(data.path());
            config.threading_batch_messages = 3;
            let rounds = Archive::open(data.path(), config)
                .await
                .expect("archive opens");
            import(&rounds, &[mail.path().to_owned()]).await;
            prop_assert_eq!(thread_groups(&rounds).await, thread_groups(&at_once).await);
            rounds.integrity().reindex().await.expect("reindex");
            prop_assert_eq!(thread_groups(&rounds).await, thread_groups(&at_once).await);
            rounds.close().await.expect("close");

            // Checked in one round, replies are paired as at once.
            let whole_check = open(data.path()).await;
            let check = whole_check
                .integrity()
                .check(false, |_| {})
                .await
                .expect("check runs");
            prop_assert_eq!(check.threads_to_fix, 0, "replies paired as at once");
            Ok(())
        })
    });
}

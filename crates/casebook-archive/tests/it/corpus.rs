use crate::{import, keys, open};
use casebook_archive::{Direction, MessageId, ThreadId};
use casebook_corpus::{generate, Profile, Spec, Truth};
use std::collections::{BTreeSet, HashMap};

fn corpus(messages: usize) -> (tempfile::TempDir, Truth) {
    dressed_corpus(messages, Profile::Compact)
}

fn dressed_corpus(messages: usize, profile: Profile) -> (tempfile::TempDir, Truth) {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = Spec {
        messages,
        seed: 11,
        profile,
    };
    let truth = generate(&spec, dir.path()).expect("corpus");
    (dir, truth)
}

/// Threads as sets of corpus keys, so two archives can be compared. A
/// message and its second delivery count once, under the original's key
/// (which of the two arrived first is the archive's primary).
async fn partition(
    archive: &casebook_archive::Archive,
    key_of: &HashMap<MessageId, String>,
) -> BTreeSet<BTreeSet<String>> {
    let mut by_thread: HashMap<ThreadId, BTreeSet<String>> = HashMap::new();
    for (id, key) in key_of {
        let m = archive.message(*id).await.expect("read").expect("exists");
        if m.primary_id.is_some() {
            continue;
        }
        let thread = m.summary.thread_id.expect("every message is threaded");
        by_thread
            .entry(thread)
            .or_default()
            .insert(key.trim_end_matches("-copy").to_owned());
    }
    by_thread.into_values().collect()
}

/// Fails with only the threads that differ, not the whole archive.
fn assert_same_threads(got: &BTreeSet<BTreeSet<String>>, want: &BTreeSet<BTreeSet<String>>) {
    let extra: Vec<_> = got.difference(want).collect();
    let missing: Vec<_> = want.difference(got).collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "threads found but not expected: {extra:?}\nexpected but not found: {missing:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn threads_directions_and_replies_match_the_truth() {
    matches_the_truth(Profile::Compact).await;
}

/// The same conversations as real mail programs write them: Outlook's
/// unprefixed quoted history, Gmail's and Apple Mail's attributions,
/// disclaimers, relay headers, contact forms whose whole From header is
/// one encoded-word, attachments up to a hundred kilobytes.
#[tokio::test(flavor = "multi_thread")]
async fn mail_as_real_programs_write_it_matches_the_truth_too() {
    matches_the_truth(Profile::Realistic).await;
}

async fn matches_the_truth(profile: Profile) {
    let (corpus, truth) = dressed_corpus(1500, profile);
    let data = tempfile::tempdir().expect("tempdir");
    let archive = open(data.path()).await;
    let report = import(&archive, &[corpus.path().join("Maildir")]).await;

    let copies = truth
        .messages
        .iter()
        .filter(|m| m.copy_of.is_some())
        .count() as u64;
    assert_eq!(report.read, truth.messages.len() as u64);
    assert_eq!(report.copies, copies);
    assert_eq!(report.stored, truth.messages.len() as u64 - copies);
    assert!(report.failed.is_empty(), "{:?}", report.failed);

    let ids = keys(&archive).await;
    assert_eq!(
        ids.len(),
        truth.messages.len(),
        "every message is kept, copies too"
    );
    let key_of: HashMap<MessageId, String> = ids.iter().map(|(k, v)| (*v, k.clone())).collect();

    let mut expected: HashMap<usize, BTreeSet<String>> = HashMap::new();
    for m in truth.messages.iter().filter(|m| m.copy_of.is_none()) {
        expected.entry(m.thread).or_default().insert(m.key.clone());
    }
    let expected: BTreeSet<BTreeSet<String>> = expected.into_values().collect();
    assert_same_threads(&partition(&archive, &key_of).await, &expected);

    for t in truth.messages.iter().filter(|m| m.copy_of.is_none()) {
        let mut m = archive
            .message(ids[&t.key])
            .await
            .expect("read")
            .expect("exists");
        if let Some(primary) = m.primary_id {
            m = archive
                .message(primary)
                .await
                .expect("read")
                .expect("exists");
        }
        let want = match t.direction.as_str() {
            "inbound" => Direction::Inbound,
            "outbound" => Direction::Outbound,
            _ => Direction::Automated,
        };
        assert_eq!(m.summary.direction, want, "direction of {}", t.key);
        assert_eq!(
            !m.attachments.is_empty(),
            t.has_attachment,
            "attachments of {}",
            t.key
        );
        assert_eq!(m.html_only, t.html_only, "HTML only: {}", t.key);
        assert_eq!(
            m.summary.correspondent.as_deref(),
            Some(t.correspondent.as_str()),
            "correspondent of {}",
            t.key
        );
        let reply = m
            .summary
            .reply_id
            .map(|r| key_of[&r].trim_end_matches("-copy").to_owned());
        assert_eq!(reply, t.reply, "reply to {}", t.key);
        if let (Some(r), Some(secs)) = (&t.reply, m.summary.response_secs) {
            let answered = truth
                .messages
                .iter()
                .find(|x| &x.key == r)
                .expect("reply in truth");
            assert_eq!(secs, answered.date - t.date, "response time of {}", t.key);
        }
    }

    let stats = archive.stats().await.expect("stats");
    let primaries = truth.messages.iter().filter(|m| m.copy_of.is_none());
    assert_eq!(stats.counts.messages, primaries.clone().count() as u64);
    assert_eq!(stats.counts.copies, copies);
    assert_eq!(stats.counts.threads, truth.threads as u64);
    assert_eq!(
        stats.counts.inbound,
        primaries
            .clone()
            .filter(|m| m.direction == "inbound")
            .count() as u64
    );
    assert_eq!(
        stats.counts.answered,
        primaries.clone().filter(|m| m.reply.is_some()).count() as u64
    );
    assert_eq!(
        stats.counts.answered + stats.counts.unanswered,
        stats.counts.inbound
    );
    assert!(stats.median_first_response_secs.is_some_and(|s| s > 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn reimport_stores_nothing_and_mbox_equals_maildir() {
    let (corpus, truth) = corpus(400);
    let data = tempfile::tempdir().expect("tempdir");
    let archive = open(data.path()).await;
    import(&archive, &[corpus.path().join("Maildir")]).await;
    let before = archive.stats().await.expect("stats");

    let again = import(&archive, &[corpus.path().join("Maildir")]).await;
    assert_eq!((again.stored, again.copies), (0, 0));
    assert_eq!(again.duplicates, truth.messages.len() as u64);

    let mbox = import(&archive, &[corpus.path().join("mbox")]).await;
    assert_eq!(
        (mbox.stored, mbox.copies),
        (0, 0),
        "the mbox holds the same bytes"
    );
    assert_eq!(mbox.duplicates, truth.messages.len() as u64);
    assert_eq!(archive.stats().await.expect("stats"), before);

    // Both places are recorded for a message.
    let ids = keys(&archive).await;
    let first = &truth.messages[0];
    let m = archive
        .message(ids[&first.key])
        .await
        .expect("read")
        .expect("exists");
    let folders: BTreeSet<_> = m
        .locations
        .iter()
        .map(|(_, source)| source.contains("/mbox/"))
        .collect();
    assert_eq!(folders, BTreeSet::from([false, true]), "{:?}", m.locations);
}

#[tokio::test(flavor = "multi_thread")]
async fn arrival_order_does_not_change_threads_or_replies() {
    let (corpus, _) = corpus(600);
    let mbox = corpus.path().join("mbox");
    let forward = tempfile::tempdir().expect("tempdir");
    let backward = tempfile::tempdir().expect("tempdir");
    let a = open(forward.path()).await;
    import(&a, &[mbox.join("INBOX")]).await;
    import(&a, &[mbox.join("Sent")]).await;
    let b = open(backward.path()).await;
    import(&b, &[mbox.join("Sent")]).await;
    import(&b, &[mbox.join("INBOX")]).await;

    let ka: HashMap<MessageId, String> = keys(&a).await.into_iter().map(|(k, v)| (v, k)).collect();
    let kb: HashMap<MessageId, String> = keys(&b).await.into_iter().map(|(k, v)| (v, k)).collect();
    assert_same_threads(&partition(&a, &ka).await, &partition(&b, &kb).await);
    assert_eq!(
        a.stats().await.expect("stats").counts.answered,
        b.stats().await.expect("stats").counts.answered
    );
}

//! Statistics from kept records, and the queue from its kept list, equal
//! those of reading every message.

use crate::{config_for, deal_into_parts, import};
use casebook_archive::{AggregateStats, Archive, QueuePage, QueueRequest};
use casebook_corpus::{generate, Spec};
use std::path::Path;

/// k = 2, and retention past the corpus's first half (2008-01 to 2011-01).
async fn open(data: &Path) -> Archive {
    let mut config = config_for(data);
    config.k_anonymity = 2;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs();
    // 2009-07-01T00:00:00Z
    config.retention_days = u32::try_from((now - 1_246_406_400) / 86_400).ok();
    Archive::open(data, config).await.expect("archive opens")
}

/// Statistics a new process gives from the kept records, then from
/// reading every message (the records and the kept count removed); they
/// must agree. The count kept of the first is given again without the
/// records while nothing changed.
async fn kept_and_afresh(data: &Path, step: &str) -> AggregateStats {
    let kept_file = data.join("index").join("statistics");
    let kept_cells = data.join("index").join("statistics-cells");
    assert!(kept_file.exists(), "{step}: no records were kept");
    let kept = open(data).await.aggregate_stats().await.expect("stats");
    std::fs::remove_file(&kept_file).expect("remove the kept records");
    let again = open(data).await.aggregate_stats().await.expect("stats");
    assert_eq!(again, kept, "{step}: the kept count given again");
    assert!(
        !kept_file.exists(),
        "{step}: nothing changed, yet the records were read again instead of the kept count"
    );
    std::fs::remove_file(&kept_cells).expect("remove the kept count");
    let afresh = open(data).await.aggregate_stats().await.expect("stats");
    assert_eq!(kept, afresh, "after {step}");
    assert!(!afresh.cells.is_empty(), "{step}: figures to compare");
    afresh
}

/// The queue a new process gives from the list kept at the step before,
/// worked out again for what changed, then read whole (the list
/// removed); they must agree.
async fn queue_kept_and_afresh(data: &Path, step: &str) -> QueuePage {
    let kept_file = data.join("index").join("waiting");
    assert!(kept_file.exists(), "{step}: no waiting list was kept");
    let request = QueueRequest {
        limit: 10_000,
        ..QueueRequest::default()
    };
    let kept = open(data).await.queue(&request).await.expect("queue");
    std::fs::remove_file(&kept_file).expect("remove the kept list");
    let afresh = open(data).await.queue(&request).await.expect("queue");
    assert_eq!(kept, afresh, "the queue after {step}");
    assert!(afresh.total > 0, "{step}: conversations to compare");
    afresh
}

#[tokio::test(flavor = "multi_thread")]
async fn kept_statistics_equal_reading_every_message() {
    let corpus = tempfile::tempdir().expect("tempdir");
    let truth = generate(&Spec::compact(900, 11), corpus.path()).expect("corpus");
    let parts = deal_into_parts(corpus.path(), 3);
    let data = tempfile::tempdir().expect("tempdir");
    let data = data.path();
    let customers: Vec<&str> = truth
        .messages
        .iter()
        .filter(|m| m.direction == "inbound")
        .map(|m| m.correspondent.as_str())
        .collect();

    let archive = open(data).await;
    import(&archive, &[parts[0].clone()]).await;
    let first = archive.aggregate_stats().await.expect("stats");
    let request = QueueRequest::default();
    archive.queue(&request).await.expect("queue");
    drop(archive);
    // Each later step starts from records kept at the step before.
    kept_and_afresh(data, "the first import").await;
    queue_kept_and_afresh(data, "the first import").await;

    // Two conversations, then a message whose References join them: the
    // second one's messages change conversation, which the kept records
    // must follow (they count conversations).
    let joined = tempfile::tempdir().expect("tempdir");
    let mail = |name: &str, text: &str| {
        std::fs::write(joined.path().join(name), text.replace('\n', "\r\n")).expect("write mail")
    };
    mail("a.eml", "From: Carl Roe <carl@joined.example>\nTo: support@casebook.example\nSubject: Voicemail greeting silent\nDate: Mon, 10 Mar 2008 09:00:00 +0000\nMessage-ID: <ma@joined.example>\n\nThe voicemail greeting is silent.\n");
    mail("b.eml", "From: Dora Fox <dora@joined.example>\nTo: support@casebook.example\nSubject: Voicemail box full\nDate: Tue, 11 Mar 2008 09:00:00 +0000\nMessage-ID: <mb@joined.example>\n\nMy voicemail box is full.\n");
    let archive = open(data).await;
    import(&archive, &[joined.path().to_path_buf()]).await;
    drop(archive);
    let apart = kept_and_afresh(data, "two conversations").await;
    let queue_apart = queue_kept_and_afresh(data, "two conversations").await;
    mail("c.eml", "From: Dora Fox <dora@joined.example>\nTo: support@casebook.example\nSubject: Re: Voicemail box full\nDate: Wed, 12 Mar 2008 09:00:00 +0000\nMessage-ID: <mc@joined.example>\nIn-Reply-To: <mb@joined.example>\nReferences: <ma@joined.example> <mb@joined.example>\n\nStill full.\n");
    let archive = open(data).await;
    import(&archive, &[joined.path().to_path_buf()]).await;
    drop(archive);
    let together = kept_and_afresh(data, "the two conversations joined").await;
    let queue_together = queue_kept_and_afresh(data, "the two conversations joined").await;
    assert_eq!(
        queue_together.total + 1,
        queue_apart.total,
        "the two waiting conversations wait as one once joined"
    );
    let conversations = |a: &AggregateStats| -> u64 {
        a.cells
            .iter()
            .filter(|c| c.month == "2008-03" && c.topic == "voicemail")
            .map(|c| c.conversations)
            .sum()
    };
    assert_eq!(
        conversations(&together) + 1,
        conversations(&apart),
        "one conversation fewer once joined"
    );
    let archive = open(data).await;
    import(&archive, &[parts[1].clone()]).await;
    drop(archive);
    let second = kept_and_afresh(data, "a second import answering the first").await;
    queue_kept_and_afresh(data, "a second import answering the first").await;
    assert_ne!(first, second, "the second import changed the figures");

    let archive = open(data).await;
    import(&archive, &[parts[2].clone()]).await;
    archive
        .customers()
        .merge(customers[0], customers[1], "test")
        .await
        .expect("merge");
    drop(archive);
    kept_and_afresh(data, "a third import and a merge").await;
    queue_kept_and_afresh(data, "a third import and a merge").await;

    let archive = open(data).await;
    archive
        .customers()
        .separate(customers[1], "test")
        .await
        .expect("separate");
    let erased = archive
        .privacy()
        .erase(customers[2], false, "test")
        .await
        .expect("erase");
    assert!(erased.messages > 0, "{erased:?}");
    drop(archive);
    kept_and_afresh(data, "a separation and an erasure").await;
    queue_kept_and_afresh(data, "a separation and an erasure").await;

    let archive = open(data).await;
    let retained = archive
        .privacy()
        .apply_retention(false, "test")
        .await
        .expect("retention");
    assert!(retained.messages > 0, "{retained:?}");
    drop(archive);
    kept_and_afresh(data, "retention").await;
    queue_kept_and_afresh(data, "retention").await;
}

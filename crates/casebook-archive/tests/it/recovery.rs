use crate::{config_for, import, open};
use casebook_archive::SearchRequest;

fn write_message(dir: &std::path::Path, name: &str, word: &str) {
    let text = format!(
        "From: ann@customer.example\nTo: support@casebook.example\nSubject: {word}\nMessage-ID: <{name}@customer.example>\nDate: Tue, 1 Jul 2008 10:00:00 +0000\n\nbody about {word}\n"
    );
    std::fs::write(dir.join(format!("{name}.eml")), text).expect("write");
}

/// Ann's question about gnocchi (a.eml) and our reply to it (b.eml).
fn write_question_and_reply(dir: &std::path::Path) {
    write_message(dir, "a", "gnocchi");
    std::fs::write(
        dir.join("b.eml"),
        "From: support@casebook.example\nTo: ann@customer.example\nSubject: Re: gnocchi\n\
         Message-ID: <b@casebook.example>\nIn-Reply-To: <a@customer.example>\n\
         Date: Tue, 1 Jul 2008 11:00:00 +0000\n\nabout your gnocchi\n",
    )
    .expect("write");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_index_is_rebuilt_from_the_store() {
    let mail = tempfile::tempdir().expect("tempdir");
    write_message(mail.path(), "a", "gnocchi");
    write_message(mail.path(), "b", "ravioli");
    let data = tempfile::tempdir().expect("tempdir");
    {
        let archive = open(data.path()).await;
        import(&archive, &[mail.path().to_owned()]).await;
    }
    // The index is derived: losing it loses nothing.
    std::fs::remove_dir_all(data.path().join("index")).expect("remove index");
    let archive = open(data.path()).await;
    let page = archive
        .search(&SearchRequest::new("gnocchi OR ravioli"))
        .await
        .expect("search");
    assert_eq!(page.total, 2);
    assert_eq!(archive.indexed_count(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn reindex_gives_the_same_answers() {
    let mail = tempfile::tempdir().expect("tempdir");
    for (i, w) in ["tortellini", "farfalle", "penne"].iter().enumerate() {
        write_message(mail.path(), &format!("m{i}"), w);
    }
    let data = tempfile::tempdir().expect("tempdir");
    let archive = open(data.path()).await;
    import(&archive, &[mail.path().to_owned()]).await;
    let before = archive
        .search(&SearchRequest::new("body:body"))
        .await
        .expect("search");
    assert_eq!(archive.integrity().reindex().await.expect("reindex"), 3);
    let after = archive
        .search(&SearchRequest::new("body:body"))
        .await
        .expect("search");
    assert_eq!(before.total, 3);
    assert_eq!(after.total, 3);
    assert_eq!(
        archive.indexed_count(),
        3,
        "a rebuild holds no stale documents"
    );
}

/// A crash after the store committed but before the index did: the next
/// open indexes what was stored.
#[tokio::test(flavor = "multi_thread")]
async fn stored_but_unindexed_mail_is_indexed_on_the_next_run() {
    use casebook_mail::parse;
    use casebook_store::{compress_raw, NewMessage, Store};
    use casebook_vocabulary::{Direction, Sha256};

    let data = tempfile::tempdir().expect("tempdir");
    drop(open(data.path()).await);
    let raw = b"From: bob@customer.example\nSubject: lasagne\nMessage-ID: <crash@x>\n\nstored, then the power went\n";
    let parsed = parse(raw);
    let store = Store::open(&config_for(data.path()).store_location(data.path()))
        .await
        .expect("store");
    store
        .insert(
            &[NewMessage {
                sha256: Sha256::of(raw),
                size: raw.len() as u64,
                raw: compress_raw(raw, None).expect("compress"),
                correspondent: parsed.from.as_ref().map(|f| f.address.clone()),
                direction: Direction::Inbound,
                parsed,
                folder: "INBOX".into(),
                source: "test".into(),
                links: Vec::new(),
                topic: "other",
            }],
            None,
        )
        .await
        .expect("insert");
    drop(store);

    let archive = open(data.path()).await;
    let page = archive
        .search(&SearchRequest::new("lasagne"))
        .await
        .expect("search");
    assert_eq!(page.total, 1);
    assert!(
        page.hits[0].summary.thread_id.is_some(),
        "threaded on the way"
    );
}

/// A message the index holds twice (as a crash at the wrong moment could
/// leave) is found by `check` and removed by `check --repair`.
#[tokio::test(flavor = "multi_thread")]
async fn check_finds_a_message_indexed_twice_and_repair_fixes_it() {
    let mail = tempfile::tempdir().expect("tempdir");
    write_message(mail.path(), "a", "gnocchi");
    write_message(mail.path(), "b", "ravioli");
    let data = tempfile::tempdir().expect("tempdir");
    let first = {
        let archive = open(data.path()).await;
        import(&archive, &[mail.path().to_owned()]).await;
        let page = archive
            .search(&SearchRequest::new("gnocchi"))
            .await
            .expect("search");
        page.hits[0].summary.id
    };
    {
        // Behind the archive's back: the same message added again.
        let index = casebook_search::SearchIndex::open(&data.path().join("index")).expect("index");
        let checkpoint = index.checkpoint().expect("meta").expect("a checkpoint");
        let mut batch = index.batch().expect("writer");
        batch
            .add(&casebook_search::IndexDoc {
                id: first,
                date: None,
                direction: casebook_archive::Direction::Inbound,
                from: "ann@customer.example".into(),
                to: String::new(),
                subject: "gnocchi".into(),
                body: "gnocchi".into(),
                has_attachment: false,
                tags: Vec::new(),
            })
            .expect("add");
        batch.commit(&checkpoint).expect("commit");
    }
    let archive = open(data.path()).await;
    let found = archive
        .integrity()
        .check(false, |_| {})
        .await
        .expect("check");
    assert_eq!(found.duplicated_in_index, [first]);
    assert!(!found.is_clean());
    let repaired = archive
        .integrity()
        .check(true, |_| {})
        .await
        .expect("check --repair");
    assert!(repaired.is_clean(), "{repaired:?}");
    assert!(repaired.reindexed);
    let page = archive
        .search(&SearchRequest::new("gnocchi"))
        .await
        .expect("search");
    assert_eq!(page.total, 1, "one hit again");
}

/// A copied archive (or one from before link keys) records every message's
/// link keys at its next threading; after that, new mail threads by them:
/// here a parent arriving after the reply that names it joins its thread.
#[tokio::test(flavor = "multi_thread")]
async fn a_copied_archive_records_link_keys_and_a_late_parent_joins_its_reply() {
    let mail = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, extra: &str| {
        let text = format!(
            "From: ann@customer.example\nTo: support@casebook.example\nSubject: {name}\n\
             Message-ID: <{name}@customer.example>\n{extra}Date: Tue, 1 Jul 2008 10:00:00 +0000\n\nbody\n"
        );
        let path = mail.path().join(format!("{name}.eml"));
        std::fs::write(&path, text).expect("write");
        path
    };
    let reply = write("reply", "In-Reply-To: <late@customer.example>\n");
    let others: Vec<_> = (0..4).map(|n| write(&format!("other{n}"), "")).collect();
    let source = tempfile::tempdir().expect("tempdir");
    {
        let archive = open(source.path()).await;
        import(&archive, &[reply]).await;
        import(&archive, &others).await;
        archive.close().await.expect("close");
    }
    let copy = tempfile::tempdir().expect("tempdir");
    casebook_archive::migrate_store(
        &config_for(source.path()).store_location(source.path()),
        &config_for(copy.path()).store_location(copy.path()),
        &[],
        casebook_store::PageCaches::default(),
        |_| {},
    )
    .await
    .expect("copy");

    let archive = open(copy.path()).await;
    // The copy's first threading reads every message and records its keys;
    // the next one follows them.
    import(&archive, &[write("unrelated", "")]).await;
    import(&archive, &[write("late", "")]).await;
    let thread_of = |name: &'static str| {
        let archive = &archive;
        async move {
            let page = archive
                .search(&SearchRequest::new(&format!("subject:{name}")))
                .await
                .expect("search");
            page.hits.first().expect("found").summary.thread_id
        }
    };
    assert_eq!(thread_of("late").await, thread_of("reply").await);
    let check = archive
        .integrity()
        .check(false, |_| {})
        .await
        .expect("check");
    assert_eq!(check.threads_to_fix, 0);
}

/// Threading takes no change number (the index holds no threads): once an
/// import has threaded its mail, the index's checkpoint is the store's
/// latest change, so the next process has nothing to catch up and needs
/// no index writer.
#[tokio::test(flavor = "multi_thread")]
async fn threading_leaves_the_index_at_the_latest_change() {
    let mail = tempfile::tempdir().expect("tempdir");
    write_question_and_reply(mail.path());
    let data = tempfile::tempdir().expect("tempdir");
    let archive = open(data.path()).await;
    import(&archive, &[mail.path().to_owned()]).await;
    archive.close().await.expect("close");

    // Read before anything opens the archive again (which would catch up).
    let store = casebook_store::Store::open(&config_for(data.path()).store_location(data.path()))
        .await
        .expect("store");
    let index = casebook_search::SearchIndex::open(&data.path().join("index")).expect("index");
    let checkpoint = index.checkpoint().expect("meta").expect("a checkpoint");
    assert_eq!(checkpoint.seq, store.current_seq().await.expect("seq"));
    store.close().await.expect("close");
    drop(index);

    let archive = open(data.path()).await;
    let page = archive
        .search(&SearchRequest::new("gnocchi"))
        .await
        .expect("search");
    assert_eq!(page.total, 2);
    let threads: std::collections::HashSet<_> =
        page.hits.iter().map(|h| h.summary.thread_id).collect();
    assert_eq!(threads.len(), 1, "the reply joined the question's thread");
    assert!(threads.iter().all(Option::is_some));
}

/// reply_id has no foreign key (it is derived data): a pairing with a
/// message that does not exist, written behind the archive's back, is
/// found by `check` and mended by `check --repair`.
#[tokio::test(flavor = "multi_thread")]
async fn check_finds_a_reply_pairing_with_no_message_and_repair_mends_it() {
    let mail = tempfile::tempdir().expect("tempdir");
    write_question_and_reply(mail.path());
    let data = tempfile::tempdir().expect("tempdir");
    let paired = {
        let archive = open(data.path()).await;
        import(&archive, &[mail.path().to_owned()]).await;
        let summary = the_question(&archive).await;
        archive.close().await.expect("close");
        summary
    };
    let reply = paired.reply_id.expect("the question is answered");

    behind_the_archives_back(
        data.path(),
        &format!(
            "UPDATE messages SET reply_id = 999999 WHERE id = {}",
            paired.id.0
        ),
    )
    .await;

    let archive = open(data.path()).await;
    let found = archive
        .integrity()
        .check(false, |_| {})
        .await
        .expect("check");
    assert_eq!(found.threads_to_fix, 1, "{found:?}");
    assert!(!found.is_clean());
    let repaired = archive
        .integrity()
        .check(true, |_| {})
        .await
        .expect("check --repair");
    assert!(repaired.is_clean(), "{repaired:?}");
    assert_eq!(the_question(&archive).await.reply_id, Some(reply));
}

/// The customer's message of the test above, as search shows it.
async fn the_question(archive: &casebook_archive::Archive) -> casebook_store::MessageSummary {
    let page = archive
        .search(&SearchRequest::new("gnocchi from:ann@customer.example"))
        .await
        .expect("search");
    page.hits.first().expect("found").summary.clone()
}

/// Issue 19: a message row deleted behind the archive's back leaves its
/// raw bytes, the only copy of that mail. `check` names them and
/// `check --repair` rebuilds the message from them (never deletes them):
/// same id, same bytes, searchable, threaded and paired again.
#[tokio::test(flavor = "multi_thread")]
async fn repair_rebuilds_a_message_from_raw_bytes_whose_row_is_gone() {
    use sqlx::Connection;
    let mail = tempfile::tempdir().expect("tempdir");
    write_question_and_reply(mail.path());
    let data = tempfile::tempdir().expect("tempdir");
    let (question, raw) = {
        let archive = open(data.path()).await;
        import(&archive, &[mail.path().to_owned()]).await;
        let summary = the_question(&archive).await;
        let raw = archive.raw(summary.id).await.expect("raw").expect("bytes");
        archive.close().await.expect("close");
        (summary, raw)
    };

    let url = match config_for(data.path()).store_location(data.path()) {
        casebook_store::StoreLocation::Sqlite(path) => format!("sqlite://{}", path.display()),
        casebook_store::StoreLocation::Postgres(url) => url,
    };
    sqlx::any::install_default_drivers();
    let mut db = sqlx::AnyConnection::connect(&url).await.expect("connect");
    // As a database tool would, with references unchecked.
    let unchecked = if url.starts_with("sqlite") {
        "PRAGMA foreign_keys = OFF"
    } else {
        "SET session_replication_role = replica"
    };
    sqlx::query(unchecked)
        .execute(&mut db)
        .await
        .expect("unchecked");
    sqlx::query("DELETE FROM messages WHERE id = $1")
        .bind(question.id.0)
        .execute(&mut db)
        .await
        .expect("delete the row behind the archive's back");
    db.close().await.expect("close");

    let archive = open(data.path()).await;
    let found = archive
        .integrity()
        .check(false, |_| {})
        .await
        .expect("check");
    assert_eq!(found.rows.orphaned_raw, [question.id], "{found:?}");
    assert!(!found.is_clean());
    let repaired = archive
        .integrity()
        .check(true, |_| {})
        .await
        .expect("check --repair");
    assert_eq!(repaired.restored, [question.id], "{repaired:?}");
    assert!(repaired.is_clean(), "{repaired:?}");
    assert_eq!(archive.raw(question.id).await.expect("raw"), Some(raw));
    let back = the_question(&archive).await;
    assert_eq!(back.id, question.id);
    assert_eq!(
        back.reply_id, question.reply_id,
        "paired with our reply again"
    );
}

/// One message from `from` with `headers` added.
fn note(from: &str, id: &str, date: &str, headers: &str, text: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: support@casebook.example\r\nSubject: Trunk down\r\nDate: {date}\r\n\
         Message-ID: <{id}>\r\n{headers}\r\n{text}\r\n"
    )
    .into_bytes()
}

/// The totals `stats` reads are kept by the database as messages come and
/// go; after every kind of change they equal counting every message again
/// (what `check` compares), and totals changed behind the archive's back
/// are found and counted again by `check --repair`.
#[tokio::test(flavor = "multi_thread")]
async fn the_totals_stats_reads_stay_those_of_a_recount() {
    let corpus = tempfile::tempdir().expect("tempdir");
    casebook_corpus::generate(&casebook_corpus::Spec::compact(300, 5), corpus.path())
        .expect("corpus");
    let mail = tempfile::tempdir().expect("tempdir");
    let (old, new) = (
        "Tue, 1 Jul 2008 10:00:00 +0000",
        "Tue, 1 Jul 2099 10:00:00 +0000",
    );
    let write = |dir: &std::path::Path, name: &str, bytes: Vec<u8>| {
        std::fs::write(dir.join(name), bytes).expect("write");
    };
    write(
        mail.path(),
        "q1.eml",
        note("ann@customer.example", "q1@x", new, "", "First line down."),
    );
    write(
        mail.path(),
        "q2.eml",
        note("ann@customer.example", "q2@x", new, "", "Second line down."),
    );
    write(
        mail.path(),
        "old.eml",
        note("bob@customer.example", "old@x", old, "", "Long ago."),
    );
    write(
        mail.path(),
        "cy.eml",
        note("cy@third.example", "cy@x", new, "", "Cy writes."),
    );
    let data = tempfile::tempdir().expect("tempdir");
    let mut config = config_for(data.path());
    config.retention_days = Some(365);
    let archive = casebook_archive::Archive::open(data.path(), config)
        .await
        .expect("archive opens");
    let totals_match = |what: &'static str| {
        let archive = &archive;
        let data = &data;
        async move {
            let check = archive
                .integrity()
                .check(false, |_| {})
                .await
                .expect("check");
            assert!(!check.totals_differ, "after {what}: {check:?}");
            let stats = archive.stats().await.expect("stats");
            assert_eq!(
                stats.median_first_response_secs,
                median_counted_again(data.path()).await,
                "the median response time after {what}"
            );
            stats.counts
        }
    };
    import(
        &archive,
        &[corpus.path().join("Maildir"), mail.path().to_owned()],
    )
    .await;
    let first = totals_match("an import").await;
    assert!(first.messages > 300 && first.copies > 0, "{first:?}");

    // A copy (same Message-ID, other bytes) and a reply joining two threads.
    let merged = tempfile::tempdir().expect("tempdir");
    write(
        merged.path(),
        "copy.eml",
        note(
            "ann@customer.example",
            "q1@x",
            new,
            "X-Copy: 1\r\n",
            "First line down!",
        ),
    );
    write(
        merged.path(),
        "both.eml",
        note(
            "support@casebook.example",
            "r@x",
            new,
            "References: <q1@x> <q2@x>\r\n",
            "Both fixed.",
        ),
    );
    import(&archive, &[merged.path().to_owned()]).await;
    let after_merge = totals_match("a copy and a merge").await;
    assert_eq!(after_merge.copies, first.copies + 1);
    assert_eq!(
        after_merge.threads,
        first.threads - 1,
        "the reply joins two threads into one"
    );

    let erased = archive
        .privacy()
        .erase("cy@third.example", false, "test")
        .await
        .expect("erase");
    assert_eq!(erased.messages, 1);
    let after_erasure = totals_match("an erasure").await;
    assert_eq!(after_erasure.correspondents, after_merge.correspondents - 1);
    let gone = archive
        .privacy()
        .apply_retention(false, "test")
        .await
        .expect("retention");
    assert!(gone.messages >= 1, "{gone:?}");
    totals_match("retention").await;
    archive.integrity().reindex().await.expect("reindex");
    totals_match("a reindex").await;
    archive.close().await.expect("close");

    behind_the_archives_back(
        data.path(),
        "UPDATE message_totals SET messages = messages + 7, threads = 0 WHERE id = 1",
    )
    .await;
    let archive = open(data.path()).await;
    totals_found_and_counted_again(&archive).await;
    archive.close().await.expect("close");

    // The response times the median is counted from, changed the same
    // way: every kept time, and its span, moved on by 250,000 spans of
    // 4096 seconds (32 years; past any time the corpus holds, so no two
    // rows meet).
    behind_the_archives_back(
        data.path(),
        "UPDATE response_times SET secs = secs + 1024000000",
    )
    .await;
    behind_the_archives_back(
        data.path(),
        "UPDATE response_time_spans SET span = span + 250000",
    )
    .await;
    let archive = open(data.path()).await;
    let stats = archive.stats().await.expect("stats");
    assert_ne!(
        stats.median_first_response_secs,
        median_counted_again(data.path()).await,
        "times moved on by 32 years move the median"
    );
    totals_found_and_counted_again(&archive).await;
    assert_eq!(
        archive
            .stats()
            .await
            .expect("stats")
            .median_first_response_secs,
        median_counted_again(data.path()).await,
        "the median after the repair"
    );
}

/// `check` finds the totals differ from a recount, and `check --repair`
/// counts them again until they do not.
async fn totals_found_and_counted_again(archive: &casebook_archive::Archive) {
    let found = archive
        .integrity()
        .check(false, |_| {})
        .await
        .expect("check");
    assert!(found.totals_differ && !found.is_clean(), "{found:?}");
    let repaired = archive
        .integrity()
        .check(true, |_| {})
        .await
        .expect("repair");
    assert!(
        !repaired.totals_differ && repaired.is_clean(),
        "{repaired:?}"
    );
}

/// The median response time of answered inbound mail worked out from
/// every message's own response time, as `stats` showed it before it was
/// kept: what the kept counts must give.
async fn median_counted_again(data: &std::path::Path) -> Option<i64> {
    let pool = connect_behind_the_back(data).await;
    let times: Vec<i64> = sqlx::query_scalar(
        "SELECT response_secs FROM messages WHERE primary_id IS NULL \
         AND direction = 'inbound' AND response_secs IS NOT NULL ORDER BY response_secs",
    )
    .fetch_all(&pool)
    .await
    .expect("response times");
    pool.close().await;
    let n = times.len();
    match n {
        0 => None,
        n if n % 2 == 1 => Some(times[n / 2]),
        n => Some((times[n / 2 - 1] + times[n / 2]) / 2),
    }
}

/// A connection to the database of the archive in `data`, not through
/// Casebook.
async fn connect_behind_the_back(data: &std::path::Path) -> sqlx::AnyPool {
    let url = match config_for(data).store_location(data) {
        casebook_store::StoreLocation::Sqlite(path) => format!("sqlite://{}", path.display()),
        casebook_store::StoreLocation::Postgres(url) => url,
    };
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(&url).await.expect("connect")
}

/// Runs `sql` on the database of the archive in `data`, as someone with
/// access to the database but not going through Casebook would.
async fn behind_the_archives_back(data: &std::path::Path, sql: &str) {
    let pool = connect_behind_the_back(data).await;
    sqlx::query(sql).execute(&pool).await.expect(sql);
    pool.close().await;
}

//! The store on this test run's backend (SQLite, or PostgreSQL when
//! `scripts/test` runs the suite on it): schema versions, watermarks,
//! removals.

use casebook_mail::parse;
use casebook_store::{compress_raw, NewMessage, Store, StoreLocation, Watermark};
use casebook_vocabulary::{Direction, MessageId, Sha256};
use std::path::Path;

fn location(dir: &Path) -> StoreLocation {
    match casebook_testkit::database_url(dir) {
        Some(url) => StoreLocation::parse(&url).expect("test database URL"),
        None => StoreLocation::sqlite(&dir.join("casebook.db")),
    }
}

fn message(n: u32) -> NewMessage {
    let raw = format!(
        "From: c{n}@customer.example\nSubject: case {n}\nMessage-ID: <m{n}@customer.example>\n\nbody {n}\n"
    );
    let parsed = parse(raw.as_bytes());
    NewMessage {
        sha256: Sha256::of(raw.as_bytes()),
        size: raw.len() as u64,
        raw: compress_raw(raw.as_bytes(), None).expect("compress"),
        correspondent: parsed.from.as_ref().map(|f| f.address.clone()),
        direction: Direction::Inbound,
        parsed,
        folder: "INBOX".into(),
        source: format!("imap://support/INBOX/{n}"),
        links: Vec::new(),
        topic: "other",
    }
}

/// Stores [`message`]s of these numbers; their ids, in order.
async fn stored(store: &Store, numbers: impl IntoIterator<Item = u32>) -> Vec<MessageId> {
    let messages: Vec<NewMessage> = numbers.into_iter().map(message).collect();
    store
        .insert(&messages, None)
        .await
        .expect("store")
        .outcomes
        .iter()
        .map(|o| o.id())
        .collect()
}

fn watermark(uid_validity: u32, last_uid: u32) -> Watermark {
    Watermark {
        account: "support".into(),
        folder: "INBOX".into(),
        uid_validity,
        last_uid,
    }
}

#[tokio::test]
async fn a_database_from_a_newer_casebook_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let at = location(dir.path());
    Store::open(&at)
        .await
        .expect("fresh database")
        .close()
        .await
        .expect("close");
    let url = match &at {
        StoreLocation::Sqlite(path) => format!("sqlite://{}", path.display()),
        StoreLocation::Postgres(url) => url.clone(),
    };
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.expect("connect");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990101000000, 'from the future', TRUE, $1, 0)",
    )
    .bind(vec![0u8])
    .execute(&pool)
    .await
    .expect("pretend a newer casebook migrated");
    pool.close().await;
    let err = Store::open(&at).await.err().expect("refused");
    let text = err.to_string();
    assert!(
        text.contains("schema version 99990101000000, newer than this casebook knows"),
        "{text}"
    );
    assert!(text.contains("upgrade casebook"), "{text}");
}

#[tokio::test]
async fn a_watermark_never_moves_back_within_one_uidvalidity() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&location(dir.path())).await.expect("open");
    store
        .insert(&[message(1)], Some(&watermark(7, 50)))
        .await
        .expect("store");
    // A late worker that fetched less must not pull the mark back.
    store
        .insert(&[message(2)], Some(&watermark(7, 30)))
        .await
        .expect("store");
    let state = store
        .folder_state("support", "INBOX")
        .await
        .expect("read")
        .expect("recorded");
    assert_eq!((state.uid_validity, state.last_uid), (7, 50));
    // A new UIDVALIDITY starts afresh.
    store
        .insert(&[message(3)], Some(&watermark(8, 3)))
        .await
        .expect("store");
    let state = store.folder_state("support", "INBOX").await.expect("read");
    assert_eq!(state.map(|s| (s.uid_validity, s.last_uid)), Some((8, 3)));
}

#[tokio::test]
async fn removed_messages_are_gone_and_recorded_for_the_indexes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&location(dir.path())).await.expect("open");
    let stored = store
        .insert(&[message(1), message(2), message(3)], None)
        .await
        .expect("store")
        .outcomes;
    let before = store.current_seq().await.expect("seq");
    let gone = stored[1].id();
    assert_eq!(
        store
            .remove_messages(&[gone, MessageId(999_999)], &removal())
            .await
            .expect("remove"),
        1
    );
    assert!(store.message(gone).await.expect("read").is_none());
    assert!(store.raw(gone).await.expect("read").is_none());
    assert_eq!(store.removed_since(before).await.expect("read"), [gone]);
    assert!(store
        .removed_since(before + 1)
        .await
        .expect("read")
        .is_empty());
    assert_eq!(store.counts().await.expect("counts").messages, 2);
}

/// More ids than a statement takes parameters (PostgreSQL: 65,535) are
/// read in rounds: `search --threads --limit 100000` asks for that many.
#[tokio::test]
async fn reading_more_ids_than_a_statement_takes_is_done_in_rounds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&location(dir.path())).await.expect("open");
    let stored = store
        .insert(&[message(1), message(2)], None)
        .await
        .expect("store")
        .outcomes;
    let mut ids: Vec<MessageId> = (1_000..71_000).map(MessageId).collect();
    ids.push(stored[1].id());
    ids.insert(0, stored[0].id());
    let found = store.summaries(&ids).await.expect("read in rounds");
    assert_eq!(
        found.iter().map(|s| s.id).collect::<Vec<_>>(),
        [stored[0].id(), stored[1].id()],
        "in the order asked, the missing left out"
    );
}

/// A direct connection to the store's database, as something behind the
/// archive's back would have.
async fn behind_the_back(at: &StoreLocation) -> sqlx::AnyPool {
    let url = match at {
        StoreLocation::Sqlite(path) => format!("sqlite://{}", path.display()),
        StoreLocation::Postgres(url) => url.clone(),
    };
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(&url).await.expect("connect")
}

#[tokio::test]
async fn check_finds_raw_bytes_changed_behind_the_archives_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let at = location(dir.path());
    let store = Store::open(&at).await.expect("store");
    let stored = store
        .insert(&[message(1), message(2)], None)
        .await
        .expect("insert")
        .outcomes;
    let (checked, problems) = store.check_raw(|_| {}).await.expect("check");
    assert_eq!((checked, problems.len()), (2, 0));

    let pool = behind_the_back(&at).await;
    let other = compress_raw(b"something else entirely", None).expect("compress");
    let id = stored[1].id();
    sqlx::query("UPDATE raw_messages SET compressed = $1 WHERE message = $2")
        .bind(casebook_store::CompressedRaw::bytes(&other).to_vec())
        .bind(id.0)
        .execute(&pool)
        .await
        .expect("tamper");
    let (_, problems) = store.check_raw(|_| {}).await.expect("check");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].id, id);
    assert!(problems[0].problem.contains("SHA-256"), "{problems:?}");
    let rows = store.check_rows().await.expect("rows");
    assert!(rows.missing_raw.is_empty() && rows.orphans == 0, "{rows:?}");
    assert_eq!(rows.unthreaded, 2, "the store alone threads nothing");
}

#[tokio::test]
async fn the_integrity_chain_tells_lawful_removals_from_changes_behind_the_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let at = location(dir.path());
    let store = Store::open(&at).await.expect("store");
    let ids = stored(&store, [1, 2, 3, 4]).await;
    store
        .remove_messages(&ids[..1], &removal())
        .await
        .expect("remove");
    let report = store.verify_chain(None).await.expect("verify");
    assert!(report.verifies(), "{report:?}");
    assert_eq!(report.entries, 5, "four stored, one removed");

    let pool = behind_the_back(&at).await;
    for sql in [
        "DELETE FROM locations WHERE message = $1",
        "DELETE FROM raw_messages WHERE message = $1",
        "DELETE FROM messages WHERE id = $1",
    ] {
        sqlx::query(sql)
            .bind(ids[1].0)
            .execute(&pool)
            .await
            .expect("remove behind the back");
    }
    sqlx::query("UPDATE messages SET sha256 = $1 WHERE id = $2")
        .bind(vec![7u8; 32])
        .bind(ids[2].0)
        .execute(&pool)
        .await
        .expect("alter behind the back");
    let report = store.verify_chain(None).await.expect("verify");
    assert_eq!(report.removed_behind_the_back, vec![ids[1]]);
    assert_eq!(report.altered, vec![ids[2]]);
    assert_eq!(report.broken_at, None);

    sqlx::query("UPDATE integrity_chain SET message = 999 WHERE seq = 2")
        .execute(&pool)
        .await
        .expect("edit the chain");
    let edited = store.verify_chain(None).await.expect("verify");
    assert_eq!(edited.broken_at, Some(2));
    assert_eq!(
        edited.edited,
        vec![(2, MessageId(999))],
        "the entry is blamed"
    );
    assert!(
        !edited.removed_behind_the_back.contains(&MessageId(999)),
        "{edited:?}"
    );
}

fn chain_key() -> casebook_store::ChainKey {
    casebook_store::ChainKey::from_hex(&"ab".repeat(32)).expect("a key")
}

/// Issue 19: with an integrity key, a removal forged with the public
/// formula (by someone who can write to the database) does not verify,
/// nor does one that claims a key; `--head` finds a cut-back chain.
#[tokio::test]
async fn a_keyed_chain_cannot_be_forged_without_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let at = location(dir.path());
    let store = Store::open(&at)
        .await
        .expect("store")
        .with_chain_key(Some(chain_key()));
    let ids = stored(&store, [1, 2]).await;
    let clean = store.verify_chain(None).await.expect("verify");
    assert!(clean.verifies(), "{clean:?}");
    assert_eq!(clean.unauthenticated, 0);
    let noted = clean.head.clone();
    let (_, last_hash): (i64, String) = {
        let pool = behind_the_back(&at).await;
        sqlx::query_as("SELECT seq, hash FROM integrity_chain ORDER BY seq DESC LIMIT 1")
            .fetch_one(&pool)
            .await
            .expect("tail")
    };
    assert_eq!(last_hash, noted);

    // Delete message 2 and append a removal as the public formula makes it.
    let pool = behind_the_back(&at).await;
    for sql in [
        "DELETE FROM locations WHERE message = $1",
        "DELETE FROM raw_messages WHERE message = $1",
        "DELETE FROM messages WHERE id = $1",
    ] {
        sqlx::query(sql)
            .bind(ids[1].0)
            .execute(&pool)
            .await
            .expect("delete");
    }
    let content = "00".repeat(32);
    let text = format!("{noted}\n3\nremoved\n{}\n{content}", ids[1].0);
    let forged = {
        use sha2::Digest;
        sha2::Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    sqlx::query(
        "INSERT INTO integrity_chain (seq, kind, message, sha256, hash, scheme) VALUES (3, 'removed', $1, $2, $3, 'salted')",
    )
    .bind(ids[1].0)
    .bind(&content)
    .bind(&forged)
    .execute(&pool)
    .await
    .expect("forge");
    let report = store.verify_chain(Some(&noted)).await.expect("verify");
    assert!(!report.verifies(), "{report:?}");
    assert_eq!(report.broken_at, Some(3));
    assert_eq!(
        report.head_found,
        Some(true),
        "the noted head is still there"
    );

    // Without the key, the keyed entries cannot be verified, and it says so.
    let keyless = Store::open(&at).await.expect("store");
    let report = keyless.verify_chain(None).await.expect("verify");
    assert_eq!(report.unverified, 2, "{report:?}");
    assert_eq!(report.needs_key.as_deref(), Some(chain_key().fingerprint()));
    assert!(!report.verifies());

    // A chain cut back to before the noted head.
    sqlx::query("DELETE FROM integrity_chain WHERE seq >= 2")
        .execute(&pool)
        .await
        .expect("cut back");
    let cut = store.verify_chain(Some(&noted)).await.expect("verify");
    assert_eq!(cut.head_found, Some(false), "{cut:?}");
}

/// The schema as the last release before `reply_id` lost its foreign key
/// left it (migrations up to 0011).
async fn schema_before_0012(at: &StoreLocation) -> sqlx::AnyPool {
    let dialect = match at {
        StoreLocation::Sqlite(_) => "sqlite",
        StoreLocation::Postgres(_) => "postgres",
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dialect);
    let mut migrator = sqlx::migrate::Migrator::new(dir).await.expect("migrations");
    let older: Vec<_> = migrator
        .iter()
        .filter(|m| m.version <= 11)
        .cloned()
        .collect();
    assert_eq!(older.len(), 11, "migrations 0001 to 0011");
    migrator.migrations = older.into();
    if let StoreLocation::Sqlite(path) = at {
        std::fs::File::create(path).expect("create the database file");
    }
    let pool = behind_the_back(at).await;
    migrator.run(&pool).await.expect("migrate to 0011");
    pool
}

/// What `message_rows` reads of a message: id, sha256, message_id,
/// primary_id, thread_id, reply_id, response_secs, subject, body.
type MessageColumns = (
    i64,
    Vec<u8>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    String,
    String,
);

/// Columns of every message, as text, for comparing before and after.
async fn message_rows(pool: &sqlx::AnyPool) -> Vec<String> {
    let rows: Vec<MessageColumns> = sqlx::query_as(
        "SELECT id, sha256, message_id, primary_id, thread_id, reply_id, response_secs, \
         subject, body FROM messages ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .expect("read messages");
    rows.iter().map(|r| format!("{r:?}")).collect()
}

#[tokio::test]
async fn upgrading_drops_the_reply_foreign_key_and_keeps_every_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let at = location(dir.path());
    let pool = schema_before_0012(&at).await;
    // Our reply, the question it answers (paired with it), and a copy of
    // the question: in that order, as the old foreign keys demand.
    for (id, sha, primary, reply, direction) in [
        (2_i64, 2_u8, None, None, "outbound"),
        (1, 1, None, Some(2_i64), "inbound"),
        (3, 3, Some(1_i64), None, "inbound"),
    ] {
        sqlx::query(
            "INSERT INTO messages (id, sha256, size, message_id, primary_id, thread_id, direction, \
             recipients, subject, in_reply_to, refs, body, html_only, attachments, warnings, \
             reply_id, response_secs, change_seq, stored_at) \
             VALUES ($1, $2, 10, $3, $4, 1, $5, '[]', 'licence renewal', '[]', '[]', $6, 0, '[]', \
             '[]', $7, $8, 1, 0)",
        )
        .bind(id)
        .bind(vec![sha; 32])
        .bind(format!("<m{id}@example.com>"))
        .bind(primary)
        .bind(direction)
        .bind(format!("body of {id}"))
        .bind(reply)
        .bind(reply.map(|_| 3600_i64))
        .execute(&pool)
        .await
        .expect("a message in the old schema");
        sqlx::query("INSERT INTO raw_messages (message, compressed) VALUES ($1, $2)")
            .bind(id)
            .bind(vec![0_u8; 4])
            .execute(&pool)
            .await
            .expect("its raw bytes");
    }
    let before = message_rows(&pool).await;
    pool.close().await;

    let store = Store::open(&at).await.expect("open and migrate");
    let question = store
        .message(MessageId(1))
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(question.summary.reply_id, Some(MessageId(2)));
    store.close().await.expect("close");

    let pool = behind_the_back(&at).await;
    assert_eq!(message_rows(&pool).await, before, "every row as it was");
    let foreign_keys: Vec<String> = match &at {
        StoreLocation::Sqlite(_) => {
            sqlx::query_scalar("SELECT \"from\" FROM pragma_foreign_key_list('messages')")
                .fetch_all(&pool)
                .await
        }
        StoreLocation::Postgres(_) => {
            sqlx::query_scalar(
                "SELECT k.column_name::TEXT FROM information_schema.table_constraints c \
                 JOIN information_schema.key_column_usage k \
                 ON k.constraint_name = c.constraint_name AND k.table_name = c.table_name \
                 WHERE c.table_name = 'messages' AND c.constraint_type = 'FOREIGN KEY'",
            )
            .fetch_all(&pool)
            .await
        }
    }
    .expect("list foreign keys");
    assert_eq!(foreign_keys, ["primary_id"]);
    // The other tables still refer to the rebuilt table.
    let raw_of_missing =
        sqlx::query("INSERT INTO raw_messages (message, compressed) VALUES (99, $1)")
            .bind(vec![0_u8; 4])
            .execute(&pool)
            .await;
    assert!(
        raw_of_missing.is_err(),
        "raw bytes of no message were accepted"
    );
}

/// A message with everything threading reads: parents, a date, a subject.
fn reply_message(n: u32, parent: u32) -> NewMessage {
    let raw = format!(
        "From: Support <support@casebook.example>\nTo: c{parent}@customer.example\n\
         Subject: Re: case {parent}\nDate: Tue, 1 Jul 2008 10:0{n}:00 +0200\n\
         Message-ID: <r{n}@casebook.example>\nIn-Reply-To: <m{parent}@customer.example>\n\
         References: <older@customer.example> <m{parent}@customer.example>\n\nanswer {n}\n"
    );
    let parsed = parse(raw.as_bytes());
    NewMessage {
        sha256: Sha256::of(raw.as_bytes()),
        size: raw.len() as u64,
        raw: compress_raw(raw.as_bytes(), None).expect("compress"),
        correspondent: parsed.to.first().map(|t| t.address.clone()),
        direction: Direction::Outbound,
        parsed,
        folder: "Sent".into(),
        source: format!("imap://support/Sent/{n}"),
        links: Vec::new(),
        topic: "other",
    }
}

/// Threading after a sync takes the rows the sync kept in memory and reads
/// only ids: what it gets must be what reading every row gives, with
/// messages another process stored read from the store and a kept message
/// that is gone left out.
#[tokio::test]
async fn rows_kept_in_memory_read_as_the_stored_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&location(dir.path())).await.expect("open");
    let batch = [message(1), reply_message(2, 1), message(3)];
    let stored = store.insert(&batch, None).await.expect("store").outcomes;
    // Another process's message: not kept.
    store.insert(&[message(4)], None).await.expect("store");
    let known: std::collections::HashMap<MessageId, casebook_store::ThreadRow> = batch
        .iter()
        .zip(&stored)
        .map(|(m, s)| (s.id(), m.thread_row(s.id())))
        .collect();
    let gone = stored[2].id();
    store
        .remove_messages(&[gone], &removal())
        .await
        .expect("remove");

    let mut rethreading = store.begin_rethreading().await.expect("begin");
    let mut read = rethreading.rows().await.expect("read every row");
    let mut kept = rethreading
        .rows_reusing(known)
        .await
        .expect("rows from memory");
    rethreading.apply(&[]).await.expect("end");
    read.sort_by_key(|r| r.id);
    kept.sort_by_key(|r| r.id);
    assert_eq!(read.len(), 3, "two kept, one stored elsewhere");
    assert_eq!(kept, read);
    assert!(kept.iter().all(|r| r.id != gone));
    let reply = kept
        .iter()
        .find(|r| r.message_id_header.as_deref() == Some("r2@casebook.example"));
    assert_eq!(
        reply.map(|r| r.references.len()),
        Some(2),
        "the reply's references came through"
    );
}

/// The audit entry a removal is written with.
fn removal() -> casebook_store::AuditEntry {
    casebook_store::AuditEntry {
        at: 0,
        actor: "test".into(),
        action: "remove".into(),
        subject: casebook_store::AuditSubject::Messages.to_string(),
        detail: "{}".into(),
        people: Vec::new(),
    }
}

/// What the archive keeps for filters (answered mail, customers' messages)
/// is kept while `writes` stays the same: a customer list changes it, a
/// login attempt (anyone can send a flood of them) does not.
#[tokio::test]
async fn writes_count_what_filters_read_and_not_login_bookkeeping() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&location(dir.path())).await.expect("store");
    let before = store.writes().await.expect("writes");
    let limits = casebook_store::LoginLimits {
        since: 0,
        known_since: 0,
        per_name: 5,
        per_client: 20,
    };
    store
        .begin_login_attempt("ann", "192.0.2.7", 100, &limits)
        .await
        .expect("attempt");
    store
        .login_succeeded("ann", "192.0.2.7", 100, 0)
        .await
        .expect("success");
    assert_eq!(store.writes().await.expect("writes"), before);
    let entry = casebook_store::AuditEntry {
        at: 100,
        actor: "test".into(),
        action: "customers-import".into(),
        subject: "list:crm".into(),
        detail: "{}".into(),
        people: Vec::new(),
    };
    store
        .store_customer_list(
            &casebook_store::NewCustomerList {
                name: "crm".into(),
                partner: None,
                source_file: "crm.csv".into(),
                imported_at: 100,
                imported_by: "test".into(),
            },
            &[],
            false,
            &entry,
        )
        .await
        .expect("list");
    assert_eq!(store.writes().await.expect("writes"), before + 1);
}

/// A conversation some of its messages leave (threads worked out anew)
/// changed for those left behind too: they are written again, so what is
/// kept per conversation (the queue's list) is worked out again for it.
#[tokio::test]
async fn messages_left_behind_in_a_conversation_are_written_again() {
    use casebook_vocabulary::{ThreadId, ThreadUpdate};
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&location(dir.path())).await.expect("store");
    let ids = stored(&store, [1, 2, 3]).await;
    let update = |id: MessageId, thread: MessageId, left: Option<MessageId>| ThreadUpdate {
        id,
        thread_id: ThreadId(thread.0),
        reply_id: None,
        response_secs: None,
        left_thread: left.map(|t| ThreadId(t.0)),
    };
    let together: Vec<_> = ids.iter().map(|&id| update(id, ids[0], None)).collect();
    let threading = store.begin_rethreading().await.expect("begin");
    threading.apply(&together).await.expect("one conversation");
    let before = store.writes().await.expect("writes");

    let apart = [update(ids[2], ids[2], Some(ids[0]))];
    let threading = store.begin_rethreading().await.expect("begin");
    threading.apply(&apart).await.expect("the third leaves");
    let written = store
        .written_since(before, 100)
        .await
        .expect("read")
        .expect("fewer than 100");
    let mut seen: Vec<(MessageId, Option<ThreadId>)> =
        written.iter().map(|c| (c.id, c.thread_id)).collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            (ids[0], Some(ThreadId(ids[0].0))),
            (ids[1], Some(ThreadId(ids[0].0))),
            (ids[2], Some(ThreadId(ids[2].0))),
        ],
        "the two left behind are written with the one that left"
    );
    assert_eq!(
        store.written_since(before, 2).await.expect("read"),
        None,
        "more than asked for"
    );
}

/// The thread of each search hit, asked of the store (one row of text a
/// statement, in rounds past a statement's ids) and read into a kept map
/// (whole, then what changed since): the two agree, in the order asked,
/// with messages not held or not threaded left out.
#[tokio::test]
async fn threads_of_hits_and_the_kept_map_agree() {
    use casebook_vocabulary::{ThreadId, ThreadMap, ThreadUpdate};
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&location(dir.path())).await.expect("store");
    let ids = stored(&store, [1, 2, 3, 4]).await;
    let update = |id: MessageId, thread: MessageId| ThreadUpdate {
        id,
        thread_id: ThreadId(thread.0),
        reply_id: None,
        response_secs: None,
        left_thread: None,
    };
    // 1 and 2 one conversation, 3 one of its own, 4 not threaded yet.
    let first = [
        update(ids[0], ids[0]),
        update(ids[1], ids[0]),
        update(ids[2], ids[2]),
    ];
    let threading = store.begin_rethreading().await.expect("begin");
    threading.apply(&first).await.expect("threaded");
    let mut asked = vec![ids[2], MessageId(999_999), ids[3], ids[1]];
    asked.extend((100_000..102_500).map(MessageId));
    asked.push(ids[0]);
    let expected = [
        (ids[2], ThreadId(ids[2].0)),
        (ids[1], ThreadId(ids[0].0)),
        (ids[0], ThreadId(ids[0].0)),
    ];
    assert_eq!(store.threads_of(&asked).await.expect("threads"), expected);
    let mut map = ThreadMap::new();
    store
        .read_threads(None, &mut map)
        .await
        .expect("read")
        .expect("fits");
    let from_map: Vec<(MessageId, ThreadId)> = asked
        .iter()
        .filter_map(|&id| map.get(id).map(|t| (id, t)))
        .collect();
    assert_eq!(from_map, expected);

    // 3 joins the first conversation: what changed brings the map along.
    let read_at = store.writes().await.expect("writes");
    let threading = store.begin_rethreading().await.expect("begin");
    threading
        .apply(&[update(ids[2], ids[0])])
        .await
        .expect("joined");
    store
        .read_threads(Some(read_at), &mut map)
        .await
        .expect("read")
        .expect("fits");
    assert_eq!(map.get(ids[2]), Some(ThreadId(ids[0].0)));
    assert_eq!(
        store.threads_of(&[ids[2]]).await.expect("threads"),
        [(ids[2], ThreadId(ids[0].0))]
    );
    assert_eq!(map.get(ids[3]), None, "not threaded");
}

/// The median response time `stats` shows is counted along the kept
/// response times (by spans of 4096 seconds, then within one): the middle
/// one of an odd count, the mean of the two middle ones of an even count,
/// as times are set, taken away and changed.
#[tokio::test]
async fn the_median_response_time_is_the_middle_of_every_answer() {
    use casebook_vocabulary::{ThreadId, ThreadUpdate};
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&location(dir.path())).await.expect("store");
    let ids = stored(&store, 1..=8).await;
    let median = || async {
        assert!(
            !store.response_times_differ().await.expect("compare"),
            "the kept response times are those of the messages"
        );
        store.median_response_secs().await.expect("median")
    };
    let time = |changes: &[(usize, Option<i64>)]| {
        let updates: Vec<ThreadUpdate> = changes
            .iter()
            .map(|&(i, secs)| ThreadUpdate {
                id: ids[i],
                thread_id: ThreadId(ids[i].0),
                reply_id: None,
                response_secs: secs,
                left_thread: None,
            })
            .collect();
        let store = &store;
        async move {
            let threading = store.begin_rethreading().await.expect("begin");
            threading.apply(&updates).await.expect("timed");
        }
    };
    assert_eq!(median().await, None, "nothing answered yet");

    // Seven times in four spans; the middle is the second of its span.
    time(&[
        (0, Some(5)),
        (1, Some(4_095)),
        (2, Some(9_000)),
        (3, Some(9_001)),
        (4, Some(9_002)),
        (5, Some(86_400)),
        (6, Some(3_000_000)),
    ])
    .await;
    assert_eq!(median().await, Some(9_001));

    // One fewer: the mean of the two middle ones (rounded down).
    time(&[(6, None)]).await;
    assert_eq!(median().await, Some(9_000));

    // The shortest becomes the longest; an eighth message takes a time
    // another already took, and both count.
    time(&[(0, Some(100_000)), (7, Some(9_002))]).await;
    assert_eq!(
        median().await,
        Some(9_002),
        "4095 9000 9001 9002 9002 86400 100000"
    );
}

/// SQLite copies its log into the database in the commit that finds it
/// long, and the writer stops storing meanwhile; the store copies it
/// after each batch on another connection instead. The database file
/// alone (without its log) then holds the mail stored, long before the
/// log reaches SQLite's own threshold of 16,384 pages.
#[tokio::test]
async fn the_log_is_copied_into_the_database_beside_the_writer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let at = location(dir.path());
    let StoreLocation::Sqlite(path) = &at else {
        return; // PostgreSQL has no log of this kind.
    };
    let store = Store::open(&at).await.expect("open");
    for round in 0..3 {
        stored(&store, round * 200..(round + 1) * 200).await;
    }
    store.log_copied().await;

    // What the database file holds without its log.
    let alone = dir.path().join("alone.db");
    std::fs::copy(path, &alone).expect("copy the database file");
    store.close().await.expect("close");
    let copy = Store::open_sqlite(&alone)
        .await
        .expect("open the file alone");
    let held = copy.counts().await.expect("counts").messages;
    assert!(
        held >= 200,
        "the database file alone holds {held} of the 600 messages stored"
    );
    copy.close().await.expect("close");
}

/// SQLite keeps the first few hundred bytes of a row on its page and the
/// rest in a chain of overflow pages, and reading a column walks the row
/// up to it: a message's numbers and short values must come before its
/// long values, or every read of them (the search page's summaries,
/// filters, the queue, threading) walks a long message's whole text.
/// `ALTER TABLE ... ADD COLUMN` appends after `body`; a new column that is
/// read often needs the table rebuilt, as 0028 does. (PostgreSQL keeps
/// long values out of the row, TOASTed, whatever their place.)
#[tokio::test]
async fn a_message_s_short_columns_come_before_its_long_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let at = location(dir.path());
    if !matches!(at, StoreLocation::Sqlite(_)) {
        return;
    }
    let store = Store::open(&at).await.expect("open");
    store.close().await.expect("close");
    let pool = behind_the_back(&at).await;
    let columns: Vec<String> =
        sqlx::query_scalar("SELECT name FROM pragma_table_info('messages') ORDER BY cid")
            .fetch_all(&pool)
            .await
            .expect("the columns");
    let long = [
        "subject",
        "in_reply_to",
        "refs",
        "recipients",
        "attachments",
        "warnings",
        "body",
    ];
    assert_eq!(
        columns.last().map(String::as_str),
        Some("body"),
        "{columns:?}"
    );
    let first_long = columns
        .iter()
        .position(|c| long.contains(&c.as_str()))
        .expect("long columns");
    let late: Vec<&String> = columns[first_long..]
        .iter()
        .filter(|c| !long.contains(&c.as_str()))
        .collect();
    assert!(
        late.is_empty(),
        "short columns after long ones: {late:?} in {columns:?}"
    );
}

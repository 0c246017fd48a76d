use crate::error::{During, StoreError};
use crate::model::*;
use crate::raw::decompress_raw;
use casebook_mail::{AutomatedKind, Direction, MessageId, Sha256, ThreadId};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use time::{OffsetDateTime, UtcOffset};

/// Rows per multi-row statement: well under SQLite's bound-parameter limit.
const ROWS_PER_STATEMENT: usize = 100;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The archive's database.
#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    /// Whether this process wrote, and so has a write-ahead log to fold in.
    wrote: Arc<AtomicBool>,
}

const SUMMARY_COLUMNS: &str = "id, message_id, thread_id, direction, automated, correspondent, \
     from_address, date, date_offset, subject, reply_id, response_secs";

impl Store {
    /// Opens (creating if needed) the SQLite database at `path` and brings
    /// its schema up to date.
    pub async fn open_sqlite(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_owned(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.to_owned(),
                source,
            })?;
        migrate(&pool, path).await?;
        Ok(Self {
            pool,
            wrote: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Folds the write-ahead log into the database and closes every
    /// connection. Readers that come after then find a small WAL instead of
    /// scanning what the last import left.
    /// A process that only read has nothing to fold in and skips it.
    pub async fn close(&self) -> Result<(), StoreError> {
        if !self.wrote.load(Ordering::Relaxed) {
            return Ok(());
        }
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
            .during("checkpointing the write-ahead log")?;
        self.pool.close().await;
        Ok(())
    }

    /// Stores a batch in one transaction. Same bytes are stored once (the
    /// new place is recorded); new bytes for a known Message-ID become a copy.
    /// Rows go in with multi-row statements: per-statement overhead, not
    /// SQLite, is what limits a row-at-a-time insert.
    pub async fn insert_batch(&self, batch: &[NewMessage]) -> Result<Vec<Stored>, StoreError> {
        self.insert_batch_at(batch, None).await
    }

    /// [`Store::insert_batch`], moving an IMAP folder's watermark to
    /// `watermark` in the same transaction: a crash at any instant leaves
    /// the watermark at or below what is stored, never above.
    pub async fn insert_batch_at(
        &self,
        batch: &[NewMessage],
        watermark: Option<&Watermark>,
    ) -> Result<Vec<Stored>, StoreError> {
        let mut tx = self.pool.begin().await.during("starting a transaction")?;
        self.wrote.store(true, Ordering::Relaxed);
        let seq = next_seq(&mut tx).await?;
        let now = OffsetDateTime::now_utc().unix_timestamp();

        // 1. Messages whose bytes are new; RETURNING names the rows inserted.
        let mut new_ids: HashMap<Sha256, i64> = HashMap::with_capacity(batch.len());
        for chunk in batch.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO messages (sha256, size, message_id, direction, automated, from_address, \
                 from_name, correspondent, recipients, subject, date, date_offset, in_reply_to, refs, \
                 body, html_only, attachments, warnings, change_seq, stored_at) ",
            );
            q.push_values(chunk, |mut row, m| {
                let p = &m.parsed;
                row.push_bind(&m.sha256.0[..])
                    .push_bind(m.size as i64)
                    .push_bind(p.message_id.as_deref())
                    .push_bind(m.direction.as_str())
                    .push_bind(p.automated.map(AutomatedKind::as_str))
                    .push_bind(p.from.as_ref().map(|f| f.address.as_str()))
                    .push_bind(p.from.as_ref().and_then(|f| f.name.as_deref()))
                    .push_bind(m.correspondent.as_ref().map(|c| c.as_str()))
                    .push_bind(recipients_json(p))
                    .push_bind(&p.subject)
                    .push_bind(p.date.map(|d| d.unix_timestamp()))
                    .push_bind(p.date.map(|d| d.offset().whole_seconds()))
                    .push_bind(json(&p.in_reply_to))
                    .push_bind(json(&p.references))
                    .push_bind(&p.text)
                    .push_bind(p.html_only)
                    .push_bind(attachments_json(p))
                    .push_bind(json(
                        &p.warnings
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>(),
                    ))
                    .push_bind(seq)
                    .push_bind(now);
            });
            q.push(" ON CONFLICT (sha256) DO NOTHING RETURNING id, sha256");
            for row in q
                .build()
                .fetch_all(&mut *tx)
                .await
                .during("storing messages")?
            {
                let id: i64 = row.try_get(0).during("storing messages")?;
                let sha: Vec<u8> = row.try_get(1).during("storing messages")?;
                new_ids.insert(digest(&sha), id);
            }
        }

        // 2. Their raw bytes.
        let mut fresh: Vec<(&NewMessage, i64)> = Vec::with_capacity(new_ids.len());
        let mut claimed = std::collections::HashSet::with_capacity(new_ids.len());
        for m in batch {
            if let Some(&id) = new_ids.get(&m.sha256) {
                if claimed.insert(m.sha256) {
                    fresh.push((m, id));
                }
            }
        }
        for chunk in fresh.chunks(ROWS_PER_STATEMENT) {
            let mut q =
                QueryBuilder::<Sqlite>::new("INSERT INTO raw_messages (message, compressed) ");
            q.push_values(chunk, |mut row, (m, id)| {
                row.push_bind(*id).push_bind(&m.raw.0);
            });
            q.build()
                .execute(&mut *tx)
                .await
                .during("storing raw bytes")?;
        }

        // 3. Bytes the archive already had.
        let known: Vec<&Sha256> = batch
            .iter()
            .map(|m| &m.sha256)
            .filter(|sha| !new_ids.contains_key(*sha))
            .collect();
        let mut old_ids: HashMap<Sha256, i64> = HashMap::with_capacity(known.len());
        for chunk in known.chunks(ROWS_PER_STATEMENT) {
            let mut q =
                QueryBuilder::<Sqlite>::new("SELECT id, sha256 FROM messages WHERE sha256 IN (");
            let mut list = q.separated(", ");
            for sha in chunk {
                list.push_bind(&sha.0[..]);
            }
            q.push(")");
            for row in q
                .build()
                .fetch_all(&mut *tx)
                .await
                .during("finding duplicates")?
            {
                let id: i64 = row.try_get(0).during("finding duplicates")?;
                let sha: Vec<u8> = row.try_get(1).during("finding duplicates")?;
                old_ids.insert(digest(&sha), id);
            }
        }

        // 4. New bytes for a Message-ID the archive has: the oldest row is the
        // message, the others its copies.
        let message_ids: Vec<&str> = fresh
            .iter()
            .filter_map(|(m, _)| m.parsed.message_id.as_deref())
            .collect();
        let mut primary_of: HashMap<String, i64> = HashMap::new();
        for chunk in message_ids.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT message_id, MIN(id) FROM messages WHERE primary_id IS NULL AND message_id IN (",
            );
            let mut list = q.separated(", ");
            for mid in chunk {
                list.push_bind(*mid);
            }
            q.push(") GROUP BY message_id");
            for row in q
                .build()
                .fetch_all(&mut *tx)
                .await
                .during("looking for other copies")?
            {
                primary_of.insert(
                    row.try_get(0).during("looking for other copies")?,
                    row.try_get(1).during("looking for other copies")?,
                );
            }
        }
        let mut copies: HashMap<i64, i64> = HashMap::new();
        for (m, id) in &fresh {
            let primary = m
                .parsed
                .message_id
                .as_deref()
                .and_then(|mid| primary_of.get(mid));
            if let Some(&primary) = primary.filter(|p| **p != *id) {
                sqlx::query("UPDATE messages SET primary_id = ? WHERE id = ?")
                    .bind(primary)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .during("recording a copy")?;
                copies.insert(*id, primary);
            }
        }

        // 5. Where each was seen, and what became of it.
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut reported = std::collections::HashSet::with_capacity(batch.len());
        for m in batch {
            let outcome = match (new_ids.get(&m.sha256), old_ids.get(&m.sha256)) {
                (Some(&id), _) if reported.insert(m.sha256) => match copies.get(&id) {
                    Some(&primary) => Stored::Copy {
                        id: MessageId(id),
                        primary: MessageId(primary),
                    },
                    None => Stored::New(MessageId(id)),
                },
                (Some(&id), _) | (None, Some(&id)) => Stored::Duplicate(MessageId(id)),
                (None, None) => {
                    return Err(StoreError::Query {
                        action: "storing messages",
                        source: sqlx::Error::RowNotFound,
                    })
                }
            };
            outcomes.push(outcome);
        }
        for chunk in batch
            .iter()
            .zip(&outcomes)
            .collect::<Vec<_>>()
            .chunks(ROWS_PER_STATEMENT)
        {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO locations (message, folder, source, first_seen) ",
            );
            q.push_values(chunk, |mut row, (m, outcome)| {
                let id = match outcome {
                    Stored::New(id) | Stored::Duplicate(id) | Stored::Copy { id, .. } => id.0,
                };
                row.push_bind(id)
                    .push_bind(&m.folder)
                    .push_bind(&m.source)
                    .push_bind(now);
            });
            q.push(" ON CONFLICT DO NOTHING");
            q.build()
                .execute(&mut *tx)
                .await
                .during("recording where messages were seen")?;
        }
        if let Some(w) = watermark {
            move_watermark(&mut tx, w, now).await?;
        }
        tx.commit().await.during("committing stored messages")?;
        Ok(outcomes)
    }

    /// Where a folder's sync stands, if it was ever synced.
    pub async fn folder_state(
        &self,
        account: &str,
        folder: &str,
    ) -> Result<Option<FolderState>, StoreError> {
        let row = sqlx::query_as::<_, (i64, i64)>(
            "SELECT uid_validity, last_uid FROM imap_folders WHERE account = ? AND folder = ?",
        )
        .bind(account)
        .bind(folder)
        .fetch_optional(&self.pool)
        .await
        .during("reading a folder's watermark")?;
        Ok(row.map(|(v, u)| FolderState {
            uid_validity: u32::try_from(v).unwrap_or(0),
            last_uid: u32::try_from(u).unwrap_or(0),
        }))
    }

    /// Records how a folder's sync ended: the server's message count and the
    /// error, if any (cleared by a sync that worked).
    pub async fn record_folder_sync(
        &self,
        account: &str,
        folder: &str,
        server_messages: Option<u32>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.wrote.store(true, Ordering::Relaxed);
        sqlx::query(
            "INSERT INTO imap_folders (account, folder, uid_validity, last_uid, server_messages, last_sync, last_error) \
             VALUES (?, ?, 0, 0, ?, ?, ?) \
             ON CONFLICT (account, folder) DO UPDATE SET \
               server_messages = COALESCE(excluded.server_messages, imap_folders.server_messages), \
               last_sync = excluded.last_sync, last_error = excluded.last_error",
        )
        .bind(account)
        .bind(folder)
        .bind(server_messages.map(i64::from))
        .bind(OffsetDateTime::now_utc().unix_timestamp())
        .bind(error)
        .execute(&self.pool)
        .await
        .during("recording a folder's sync")?;
        Ok(())
    }

    /// Records a message a sync passed over, with why.
    pub async fn record_skipped(&self, skipped: &SkippedMessage) -> Result<(), StoreError> {
        self.wrote.store(true, Ordering::Relaxed);
        sqlx::query(
            "INSERT INTO imap_skipped (account, folder, uid_validity, uid, size, reason, seen_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(&skipped.account)
        .bind(&skipped.folder)
        .bind(i64::from(skipped.uid_validity))
        .bind(i64::from(skipped.uid))
        .bind(skipped.size as i64)
        .bind(&skipped.reason)
        .bind(OffsetDateTime::now_utc().unix_timestamp())
        .execute(&self.pool)
        .await
        .during("recording a skipped message")?;
        Ok(())
    }

    /// Every synced folder with its state, how many messages the archive has
    /// from it, and what was skipped.
    pub async fn folder_records(&self) -> Result<Vec<FolderRecord>, StoreError> {
        let d = "listing synced folders";
        let rows = sqlx::query(
            "SELECT f.account, f.folder, f.uid_validity, f.last_uid, f.server_messages, f.last_sync, f.last_error, \
               (SELECT COUNT(*) FROM locations l WHERE l.folder = f.folder \
                  AND substr(l.source, 1, length('imap://' || f.account || '/')) = 'imap://' || f.account || '/') \
             FROM imap_folders f ORDER BY f.account, f.folder",
        )
        .fetch_all(&self.pool)
        .await
        .during(d)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let account: String = row.try_get(0).during(d)?;
            let folder: String = row.try_get(1).during(d)?;
            let skipped = sqlx::query_as::<_, (i64, i64, String)>(
                "SELECT uid, size, reason FROM imap_skipped WHERE account = ? AND folder = ? ORDER BY uid",
            )
            .bind(&account)
            .bind(&folder)
            .fetch_all(&self.pool)
            .await
            .during(d)?;
            out.push(FolderRecord {
                uid_validity: u32::try_from(row.try_get::<i64, _>(2).during(d)?).unwrap_or(0),
                last_uid: u32::try_from(row.try_get::<i64, _>(3).during(d)?).unwrap_or(0),
                server_messages: row
                    .try_get::<Option<i64>, _>(4)
                    .during(d)?
                    .map(|n| n as u64),
                last_sync: row
                    .try_get::<Option<i64>, _>(5)
                    .during(d)?
                    .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok()),
                last_error: row.try_get(6).during(d)?,
                archived: row.try_get::<i64, _>(7).during(d)? as u64,
                skipped: skipped
                    .into_iter()
                    .map(|(uid, size, reason)| {
                        (u32::try_from(uid).unwrap_or(0), size as u64, reason)
                    })
                    .collect(),
                account,
                folder,
            });
        }
        Ok(out)
    }

    /// The original bytes of a message, exactly as received.
    pub async fn raw(&self, id: MessageId) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query(
            "SELECT r.compressed, m.size FROM raw_messages r JOIN messages m ON m.id = r.message \
             WHERE r.message = ?",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .during("reading raw bytes")?;
        match row {
            None => Ok(None),
            Some(row) => {
                let compressed: Vec<u8> = row.try_get(0).during("reading raw bytes")?;
                let size: i64 = row.try_get(1).during("reading raw bytes")?;
                decompress_raw(id.0, &compressed, usize::try_from(size).unwrap_or(0)).map(Some)
            }
        }
    }

    /// What threading needs, for every message that is not a copy.
    pub async fn thread_rows(&self) -> Result<Vec<ThreadRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, sha256, message_id, in_reply_to, refs, correspondent, subject, date, \
             direction, thread_id, reply_id, response_secs FROM messages WHERE primary_id IS NULL",
        )
        .fetch_all(&self.pool)
        .await
        .during("reading messages for threading")?;
        rows.iter().map(thread_row).collect()
    }

    /// Whether stored messages wait for a thread.
    pub async fn has_unthreaded(&self) -> Result<bool, StoreError> {
        sqlx::query_scalar::<_, i64>(
            // The partial index holds exactly these rows; without INDEXED BY the
            // planner walks every copy's NULL thread_id in messages_by_thread.
            "SELECT EXISTS (SELECT 1 FROM messages INDEXED BY messages_unthreaded \
             WHERE thread_id IS NULL AND primary_id IS NULL)",
        )
        .fetch_one(&self.pool)
        .await
        .during("looking for unthreaded messages")
        .map(|n| n != 0)
    }

    /// Records new threads and pairings in one transaction, stamping the
    /// changed rows so the index picks them up.
    pub async fn apply_thread_updates(&self, updates: &[ThreadUpdate]) -> Result<(), StoreError> {
        if updates.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await.during("starting a transaction")?;
        self.wrote.store(true, Ordering::Relaxed);
        let seq = next_seq(&mut tx).await?;
        for chunk in updates.chunks(ROWS_PER_STATEMENT) {
            let mut q =
                QueryBuilder::<Sqlite>::new("WITH u (id, thread_id, reply_id, response_secs) AS (");
            q.push_values(chunk, |mut row, u| {
                row.push_bind(u.id.0)
                    .push_bind(u.thread_id.0)
                    .push_bind(u.reply_id.map(|r| r.0))
                    .push_bind(u.response_secs);
            });
            q.push(
                ") UPDATE messages SET thread_id = u.thread_id, reply_id = u.reply_id, \
                 response_secs = u.response_secs, change_seq = ",
            );
            q.push_bind(seq);
            q.push(" FROM u WHERE messages.id = u.id");
            q.build()
                .execute(&mut *tx)
                .await
                .during("recording threads")?;
        }
        tx.commit().await.during("committing threads")?;
        Ok(())
    }

    /// The store's latest change number.
    pub async fn current_seq(&self) -> Result<u64, StoreError> {
        sqlx::query_scalar::<_, i64>("SELECT value FROM change_counter WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .during("reading the change counter")
            .map(|v| v as u64)
    }

    /// Up to `limit` threaded messages changed after `seq`, with ids above
    /// `after`, in id order: what the index must (re)index.
    pub async fn index_rows(
        &self,
        seq: u64,
        after: MessageId,
        limit: u32,
    ) -> Result<Vec<IndexRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, change_seq, thread_id, date, direction, from_address, from_name, recipients, \
             subject, body, attachments, reply_id FROM messages \
             WHERE change_seq > ? AND id > ? AND primary_id IS NULL AND thread_id IS NOT NULL \
             ORDER BY id LIMIT ?",
        )
        .bind(seq as i64)
        .bind(after.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .during("reading messages to index")?;
        rows.iter().map(index_row).collect()
    }

    pub async fn message(&self, id: MessageId) -> Result<Option<StoredMessage>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SUMMARY_COLUMNS}, sha256, size, primary_id, from_name, recipients, in_reply_to, \
             refs, body, html_only, attachments, warnings FROM messages WHERE id = ?"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .during("reading a message")?;
        let Some(row) = row else { return Ok(None) };
        let d = "reading a message";
        let primary_id: Option<i64> = row.try_get("primary_id").during(d)?;
        let sha: Vec<u8> = row.try_get("sha256").during(d)?;
        let locations = sqlx::query_as::<_, (String, String)>(
            "SELECT folder, source FROM locations WHERE message = ? ORDER BY first_seen, source",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .during("reading where a message was seen")?;
        let family = primary_id.unwrap_or(id.0);
        let copies = sqlx::query_scalar::<_, i64>(
            "SELECT id FROM messages WHERE (primary_id = ? OR id = ?) AND id <> ? ORDER BY id",
        )
        .bind(family)
        .bind(family)
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .during("reading copies")?;
        Ok(Some(StoredMessage {
            summary: summary(&row)?,
            sha256: hex(&sha),
            size: row.try_get::<i64, _>("size").during(d)? as u64,
            primary_id: primary_id.map(MessageId),
            from_name: row.try_get("from_name").during(d)?,
            recipients: from_json(&row, "recipients")?,
            in_reply_to: from_json(&row, "in_reply_to")?,
            references: from_json(&row, "refs")?,
            body: row.try_get("body").during(d)?,
            html_only: row.try_get("html_only").during(d)?,
            attachments: from_json(&row, "attachments")?,
            warnings: from_json(&row, "warnings")?,
            locations,
            copies: copies.into_iter().map(MessageId).collect(),
        }))
    }

    /// The messages of a thread, oldest first.
    pub async fn thread(&self, thread: ThreadId) -> Result<Vec<MessageSummary>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM messages WHERE thread_id = ? AND primary_id IS NULL \
             ORDER BY date IS NULL, date, id"
        ))
        .bind(thread.0)
        .fetch_all(&self.pool)
        .await
        .during("reading a thread")?;
        rows.iter().map(summary).collect()
    }

    /// Up to `limit` messages (not copies) with ids above `after`, in id order.
    pub async fn list(
        &self,
        after: MessageId,
        limit: u32,
    ) -> Result<Vec<MessageSummary>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM messages WHERE id > ? AND primary_id IS NULL \
             ORDER BY id LIMIT ?"
        ))
        .bind(after.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .during("listing messages")?;
        rows.iter().map(summary).collect()
    }

    /// Summaries and bodies of the given messages, in the order asked.
    pub async fn summaries_with_bodies(
        &self,
        ids: &[MessageId],
    ) -> Result<Vec<(MessageSummary, String)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders = vec!["?"; ids.len()].join(", ");
        let sql =
            format!("SELECT {SUMMARY_COLUMNS}, body FROM messages WHERE id IN ({placeholders})");
        let mut query = sqlx::query(&sql);
        for id in ids {
            query = query.bind(id.0);
        }
        let rows = query
            .fetch_all(&self.pool)
            .await
            .during("reading search hits")?;
        let mut found = std::collections::HashMap::with_capacity(rows.len());
        for row in &rows {
            let s = summary(row)?;
            let body: String = row.try_get("body").during("reading search hits")?;
            found.insert(s.id, (s, body));
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    pub async fn counts(&self) -> Result<MessageCounts, StoreError> {
        let d = "counting messages";
        let row = sqlx::query(
            "SELECT \
               COUNT(*) FILTER (WHERE primary_id IS NULL), \
               COUNT(*) FILTER (WHERE primary_id IS NOT NULL), \
               COUNT(DISTINCT thread_id), \
               COUNT(*) FILTER (WHERE primary_id IS NULL AND direction = 'inbound'), \
               COUNT(*) FILTER (WHERE primary_id IS NULL AND direction = 'outbound'), \
               COUNT(*) FILTER (WHERE primary_id IS NULL AND direction = 'automated'), \
               COUNT(*) FILTER (WHERE primary_id IS NULL AND direction = 'inbound' AND reply_id IS NOT NULL), \
               COUNT(DISTINCT correspondent) FILTER (WHERE primary_id IS NULL AND direction <> 'automated') \
             FROM messages",
        )
        .fetch_one(&self.pool)
        .await
        .during(d)?;
        let n = |i: usize| -> Result<u64, StoreError> {
            Ok(row.try_get::<i64, _>(i).during(d)? as u64)
        };
        let inbound = n(3)?;
        let answered = n(6)?;
        Ok(MessageCounts {
            messages: n(0)?,
            copies: n(1)?,
            threads: n(2)?,
            inbound,
            outbound: n(4)?,
            automated: n(5)?,
            answered,
            unanswered: inbound - answered,
            correspondents: n(7)?,
        })
    }

    /// Response times of answered inbound messages, ascending.
    pub async fn response_times(&self) -> Result<Vec<i64>, StoreError> {
        sqlx::query_scalar::<_, i64>(
            "SELECT response_secs FROM messages WHERE primary_id IS NULL AND direction = 'inbound' \
             AND response_secs IS NOT NULL ORDER BY response_secs",
        )
        .fetch_all(&self.pool)
        .await
        .during("reading response times")
    }
}

/// Raises a folder's watermark (never lowers it within one UIDVALIDITY; a
/// new UIDVALIDITY starts it afresh).
async fn move_watermark(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    w: &Watermark,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO imap_folders (account, folder, uid_validity, last_uid, last_sync) \
         VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (account, folder) DO UPDATE SET \
           last_uid = CASE WHEN imap_folders.uid_validity = excluded.uid_validity \
                           THEN MAX(imap_folders.last_uid, excluded.last_uid) \
                           ELSE excluded.last_uid END, \
           uid_validity = excluded.uid_validity, \
           last_sync = excluded.last_sync",
    )
    .bind(&w.account)
    .bind(&w.folder)
    .bind(i64::from(w.uid_validity))
    .bind(i64::from(w.last_uid))
    .bind(now)
    .execute(&mut **tx)
    .await
    .during("moving a folder's watermark")?;
    Ok(())
}

/// Brings the schema up to date. The common case, a database already at
/// this binary's version, costs one query; a database written by a newer
/// Casebook is refused rather than misread.
async fn migrate(pool: &SqlitePool, path: &Path) -> Result<(), StoreError> {
    let latest = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    let applied: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await
            .unwrap_or(None);
    match applied {
        Some(v) if v == latest => Ok(()),
        Some(v) if v > latest => Err(StoreError::TooNew {
            path: path.to_owned(),
            found: v,
            known: latest,
        }),
        _ => Ok(MIGRATOR.run(pool).await?),
    }
}

async fn next_seq(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>) -> Result<i64, StoreError> {
    sqlx::query_scalar("UPDATE change_counter SET value = value + 1 WHERE id = 1 RETURNING value")
        .fetch_one(&mut **tx)
        .await
        .during("taking a change number")
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".to_owned())
}

fn from_json<T: serde::de::DeserializeOwned + Default>(
    row: &SqliteRow,
    column: &str,
) -> Result<T, StoreError> {
    let text: String = row.try_get(column).during("reading a message")?;
    serde_json::from_str(&text).map_err(|e| StoreError::Query {
        action: "decoding a stored list",
        source: sqlx::Error::Decode(Box::new(e)),
    })
}

fn recipients_json(p: &casebook_mail::ParsedMessage) -> String {
    let kinds = [
        (RecipientKind::To, &p.to),
        (RecipientKind::Cc, &p.cc),
        (RecipientKind::Bcc, &p.bcc),
    ];
    let list: Vec<Recipient> = kinds
        .iter()
        .flat_map(|(kind, boxes)| {
            boxes.iter().map(|b| Recipient {
                kind: *kind,
                address: b.address.to_string(),
                name: b.name.clone(),
            })
        })
        .collect();
    json(&list)
}

fn attachments_json(p: &casebook_mail::ParsedMessage) -> String {
    let list: Vec<StoredAttachment> = p
        .attachments
        .iter()
        .map(|a| StoredAttachment {
            name: a.name.clone(),
            content_type: a.content_type.clone(),
            size: a.size,
            sha256: a.sha256.to_hex(),
        })
        .collect();
    json(&list)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn direction(row: &SqliteRow) -> Result<Direction, StoreError> {
    let s: String = row.try_get("direction").during("reading a message")?;
    Direction::from_str_opt(&s).ok_or_else(|| StoreError::Query {
        action: "reading a message",
        source: sqlx::Error::Decode(format!("unknown direction {s:?}").into()),
    })
}

fn summary(row: &SqliteRow) -> Result<MessageSummary, StoreError> {
    let d = "reading a message";
    let date: Option<i64> = row.try_get("date").during(d)?;
    let offset: Option<i64> = row.try_get("date_offset").during(d)?;
    let automated: Option<String> = row.try_get("automated").during(d)?;
    Ok(MessageSummary {
        id: MessageId(row.try_get("id").during(d)?),
        message_id: row.try_get("message_id").during(d)?,
        thread_id: row
            .try_get::<Option<i64>, _>("thread_id")
            .during(d)?
            .map(ThreadId),
        direction: direction(row)?,
        automated: automated.as_deref().and_then(AutomatedKind::from_str_opt),
        correspondent: row.try_get("correspondent").during(d)?,
        from_address: row.try_get("from_address").during(d)?,
        date: date.and_then(|secs| to_datetime(secs, offset)),
        subject: row.try_get("subject").during(d)?,
        reply_id: row
            .try_get::<Option<i64>, _>("reply_id")
            .during(d)?
            .map(MessageId),
        response_secs: row.try_get("response_secs").during(d)?,
    })
}

fn to_datetime(secs: i64, offset: Option<i64>) -> Option<OffsetDateTime> {
    let utc = OffsetDateTime::from_unix_timestamp(secs).ok()?;
    let offset = offset
        .and_then(|o| i32::try_from(o).ok())
        .and_then(|o| UtcOffset::from_whole_seconds(o).ok())
        .unwrap_or(UtcOffset::UTC);
    Some(utc.to_offset(offset))
}

/// A digest column back into a [`Sha256`] (the schema only stores 32 bytes).
fn digest(bytes: &[u8]) -> Sha256 {
    let mut d = [0u8; 32];
    if bytes.len() == 32 {
        d.copy_from_slice(bytes);
    }
    Sha256(d)
}

fn thread_row(row: &SqliteRow) -> Result<ThreadRow, StoreError> {
    let d = "reading messages for threading";
    let sha: Vec<u8> = row.try_get("sha256").during(d)?;
    Ok(ThreadRow {
        id: MessageId(row.try_get("id").during(d)?),
        sha256: digest(&sha),
        message_id: row.try_get("message_id").during(d)?,
        in_reply_to: from_json(row, "in_reply_to")?,
        references: from_json(row, "refs")?,
        correspondent: row.try_get("correspondent").during(d)?,
        subject: row.try_get("subject").during(d)?,
        date: row.try_get("date").during(d)?,
        direction: direction(row)?,
        thread_id: row
            .try_get::<Option<i64>, _>("thread_id")
            .during(d)?
            .map(ThreadId),
        reply_id: row
            .try_get::<Option<i64>, _>("reply_id")
            .during(d)?
            .map(MessageId),
        response_secs: row.try_get("response_secs").during(d)?,
    })
}

fn index_row(row: &SqliteRow) -> Result<IndexRow, StoreError> {
    let d = "reading messages to index";
    let from_address: Option<String> = row.try_get("from_address").during(d)?;
    let from_name: Option<String> = row.try_get("from_name").during(d)?;
    let recipients: Vec<Recipient> = from_json(row, "recipients")?;
    let attachments: Vec<StoredAttachment> = from_json(row, "attachments")?;
    let recipients = recipients
        .iter()
        .map(|r| match &r.name {
            Some(n) => format!("{n} {}", r.address),
            None => r.address.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    Ok(IndexRow {
        id: MessageId(row.try_get("id").during(d)?),
        change_seq: row.try_get::<i64, _>("change_seq").during(d)? as u64,
        thread_id: ThreadId(row.try_get("thread_id").during(d)?),
        date: row.try_get("date").during(d)?,
        direction: direction(row)?,
        from: [from_name, from_address]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
        recipients,
        subject: row.try_get("subject").during(d)?,
        body: row.try_get("body").during(d)?,
        has_attachments: !attachments.is_empty(),
        answered: row
            .try_get::<Option<i64>, _>("reply_id")
            .during(d)?
            .is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_database_from_a_newer_casebook_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("casebook.db");
        let store = Store::open_sqlite(&path).await.expect("fresh database");
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (99990101000000, 'from the future', TRUE, x'00', 0)",
        )
        .execute(&store.pool)
        .await
        .expect("pretend a newer casebook migrated");
        store.pool.close().await;
        let err = Store::open_sqlite(&path).await.err().expect("refused");
        let text = err.to_string();
        assert!(
            text.contains("schema version 99990101000000, newer than this casebook knows"),
            "{text}"
        );
        assert!(text.contains("upgrade casebook"), "{text}");
    }
}

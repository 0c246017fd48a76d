use crate::error::{During, StoreError};
use crate::model::*;
use crate::raw::decompress_raw;
use casebook_mail::{AutomatedKind, Direction, MessageId, Sha256, ThreadId};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};
use std::path::Path;
use std::time::Duration;
use time::{OffsetDateTime, UtcOffset};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The archive's database.
#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
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
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    /// Stores a batch in one transaction. Same bytes are stored once (the
    /// new place is recorded); new bytes for a known Message-ID become a copy.
    pub async fn insert_batch(&self, batch: &[NewMessage]) -> Result<Vec<Stored>, StoreError> {
        let mut tx = self.pool.begin().await.during("starting a transaction")?;
        let seq = next_seq(&mut tx).await?;
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let mut outcomes = Vec::with_capacity(batch.len());
        for m in batch {
            let p = &m.parsed;
            let inserted: Option<i64> = sqlx::query_scalar(
                "INSERT INTO messages (sha256, size, message_id, direction, automated, from_address, \
                 from_name, correspondent, recipients, subject, date, date_offset, in_reply_to, refs, \
                 body, html_only, attachments, warnings, change_seq, stored_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (sha256) DO NOTHING RETURNING id",
            )
            .bind(&m.sha256.0[..])
            .bind(m.size as i64)
            .bind(p.message_id.as_deref())
            .bind(m.direction.as_str())
            .bind(p.automated.map(AutomatedKind::as_str))
            .bind(p.from.as_ref().map(|f| f.address.as_str()))
            .bind(p.from.as_ref().and_then(|f| f.name.as_deref()))
            .bind(m.correspondent.as_ref().map(|c| c.as_str()))
            .bind(recipients_json(p))
            .bind(&p.subject)
            .bind(p.date.map(|d| d.unix_timestamp()))
            .bind(p.date.map(|d| d.offset().whole_seconds()))
            .bind(json(&p.in_reply_to))
            .bind(json(&p.references))
            .bind(&p.text)
            .bind(p.html_only)
            .bind(attachments_json(p))
            .bind(json(&p.warnings.iter().map(ToString::to_string).collect::<Vec<_>>()))
            .bind(seq)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .during("storing a message")?;

            let outcome = match inserted {
                Some(id) => {
                    sqlx::query("INSERT INTO raw_messages (message, compressed) VALUES (?, ?)")
                        .bind(id)
                        .bind(&m.raw.0)
                        .execute(&mut *tx)
                        .await
                        .during("storing raw bytes")?;
                    let primary = match &p.message_id {
                        Some(mid) => sqlx::query_scalar::<_, i64>(
                            "SELECT id FROM messages WHERE message_id = ? AND primary_id IS NULL \
                             AND id <> ? ORDER BY id LIMIT 1",
                        )
                        .bind(mid)
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await
                        .during("looking for other copies")?,
                        None => None,
                    };
                    match primary {
                        Some(primary) => {
                            sqlx::query("UPDATE messages SET primary_id = ? WHERE id = ?")
                                .bind(primary)
                                .bind(id)
                                .execute(&mut *tx)
                                .await
                                .during("recording a copy")?;
                            Stored::Copy {
                                id: MessageId(id),
                                primary: MessageId(primary),
                            }
                        }
                        None => Stored::New(MessageId(id)),
                    }
                }
                None => {
                    let id: i64 = sqlx::query_scalar("SELECT id FROM messages WHERE sha256 = ?")
                        .bind(&m.sha256.0[..])
                        .fetch_one(&mut *tx)
                        .await
                        .during("finding a duplicate")?;
                    Stored::Duplicate(MessageId(id))
                }
            };
            let id = match outcome {
                Stored::New(id) | Stored::Duplicate(id) | Stored::Copy { id, .. } => id,
            };
            sqlx::query(
                "INSERT INTO locations (message, folder, source, first_seen) VALUES (?, ?, ?, ?) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(id.0)
            .bind(&m.folder)
            .bind(&m.source)
            .bind(now)
            .execute(&mut *tx)
            .await
            .during("recording where a message was seen")?;
            outcomes.push(outcome);
        }
        tx.commit().await.during("committing stored messages")?;
        Ok(outcomes)
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
            "SELECT EXISTS (SELECT 1 FROM messages WHERE primary_id IS NULL AND thread_id IS NULL)",
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
        let seq = next_seq(&mut tx).await?;
        for u in updates {
            sqlx::query(
                "UPDATE messages SET thread_id = ?, reply_id = ?, response_secs = ?, change_seq = ? \
                 WHERE id = ?",
            )
            .bind(u.thread_id.0)
            .bind(u.reply_id.map(|r| r.0))
            .bind(u.response_secs)
            .bind(seq)
            .bind(u.id.0)
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

    pub async fn stats(&self) -> Result<StoreStats, StoreError> {
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
        let response_secs = sqlx::query_scalar::<_, i64>(
            "SELECT response_secs FROM messages WHERE primary_id IS NULL AND direction = 'inbound' \
             AND response_secs IS NOT NULL ORDER BY response_secs",
        )
        .fetch_all(&self.pool)
        .await
        .during(d)?;
        let inbound = n(3)?;
        let answered = n(6)?;
        Ok(StoreStats {
            messages: n(0)?,
            copies: n(1)?,
            threads: n(2)?,
            inbound,
            outbound: n(4)?,
            automated: n(5)?,
            answered,
            unanswered: inbound - answered,
            correspondents: n(7)?,
            response_secs,
        })
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

fn thread_row(row: &SqliteRow) -> Result<ThreadRow, StoreError> {
    let d = "reading messages for threading";
    let sha: Vec<u8> = row.try_get("sha256").during(d)?;
    let mut digest = [0u8; 32];
    if sha.len() == 32 {
        digest.copy_from_slice(&sha);
    }
    Ok(ThreadRow {
        id: MessageId(row.try_get("id").during(d)?),
        sha256: Sha256(digest),
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

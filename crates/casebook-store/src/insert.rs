//! Storing messages: one transaction per batch, multi-row statements.

use crate::decode::digest;
use crate::error::{During, StoreError};
use crate::filters::THIS_WRITE;
use crate::location::Backend;
use crate::model::*;
use crate::sql::{param_list, value_rows};
use crate::store::{Store, ROWS_PER_STATEMENT};
use casebook_mail::{AutomatedKind, ParseWarning};
use casebook_vocabulary::{MessageId, Sha256};
use sqlx::{Any, Row, Transaction};
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;

impl Store {
    /// Stores a batch in one transaction, and with it (if given) an IMAP
    /// folder's `watermark`: a crash at any instant leaves the watermark at
    /// or below what is stored, never above. Same bytes are stored once
    /// (the new place is recorded); new bytes for a known Message-ID become
    /// a copy. Tells what became of each message and the change number the
    /// new rows carry (so a caller that indexes them from memory knows what
    /// the index then holds). Rows go in with multi-row statements:
    /// per-statement overhead, not the database, is what limits a
    /// row-at-a-time insert.
    pub async fn insert(
        &self,
        batch: &[NewMessage],
        watermark: Option<&Watermark>,
    ) -> Result<StoredChunk, StoreError> {
        let backend = self.backend();
        let (mut tx, seq, writes) = self.begin_counted_write().await?;
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let stamp = Stamp { seq, writes, now };

        let new_ids = insert_new(&mut tx, backend, batch, stamp).await?;

        // Their raw bytes, once per digest.
        let mut fresh: Vec<(&NewMessage, i64)> = Vec::with_capacity(new_ids.len());
        let mut claimed = HashSet::with_capacity(new_ids.len());
        for m in batch {
            if let Some(&id) = new_ids.get(&m.sha256) {
                if claimed.insert(m.sha256) {
                    fresh.push((m, id));
                }
            }
        }
        for chunk in fresh.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO raw_messages (message, compressed) VALUES {}",
                value_rows(backend, chunk.len(), 2)
            );
            let mut q = sqlx::query(&sql);
            for (m, id) in chunk {
                q = q.bind(*id).bind(&m.raw.0[..]);
            }
            q.execute(&mut *tx).await.during("storing raw bytes")?;
        }

        insert_links(&mut tx, backend, &fresh).await?;
        insert_addresses(&mut tx, backend, &fresh).await?;

        // Mail over a reading limit is kept whole and flagged where agents
        // look: the tag `over-limit` (`tag:over-limit` finds them all).
        for (_, id) in fresh.iter().filter(|(m, _)| over_limit(&m.parsed)) {
            sqlx::query(
                "INSERT INTO message_tags (message, tag, added_by, added_at) VALUES ($1, $2, NULL, $3) \
                 ON CONFLICT (message, tag) DO NOTHING",
            )
            .bind(*id)
            .bind(OVER_LIMIT_TAG)
            .bind(now)
            .execute(&mut *tx)
            .await
            .during("flagging mail over a limit")?;
        }

        let entered: Vec<(i64, Sha256)> = fresh.iter().map(|(m, id)| (*id, m.sha256)).collect();
        crate::chain::append(
            &mut tx,
            backend,
            crate::chain::ChainKind::Stored,
            &entered,
            self.chain_key.as_deref(),
        )
        .await?;

        let known: Vec<&Sha256> = batch
            .iter()
            .map(|m| &m.sha256)
            .filter(|sha| !new_ids.contains_key(*sha))
            .collect();
        let old_ids = ids_of(&mut tx, backend, &known).await?;
        let copies = record_copies(&mut tx, backend, &fresh).await?;

        // Where each was seen, and what became of it.
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut reported = HashSet::with_capacity(batch.len());
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
        let placed: Vec<(&NewMessage, &Stored)> = batch.iter().zip(&outcomes).collect();
        for chunk in placed.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO locations (message, folder, source, first_seen) VALUES {} \
                 ON CONFLICT DO NOTHING",
                value_rows(backend, chunk.len(), 4)
            );
            let mut q = sqlx::query(&sql);
            for (m, outcome) in chunk {
                q = q
                    .bind(outcome.id().0)
                    .bind(&m.folder)
                    .bind(&m.source)
                    .bind(now);
            }
            q.execute(&mut *tx)
                .await
                .during("recording where messages were seen")?;
        }
        if let Some(w) = watermark {
            move_watermark(&mut tx, w, now).await?;
        }
        tx.commit().await.during("committing stored messages")?;
        if backend == Backend::Sqlite {
            self.log_copier.after_write(&self.pool, &self.writer).await;
        }
        Ok(StoredChunk {
            outcomes,
            seq: seq as u64,
        })
    }
}

const MESSAGE_COLUMNS: usize = 22;

/// The tag given to mail over one of the reading limits.
pub const OVER_LIMIT_TAG: &str = "over-limit";

/// Whether reading the message stopped at one of the limits (it is then
/// tagged [`OVER_LIMIT_TAG`] as it is stored).
pub(crate) fn over_limit(p: &casebook_mail::ParsedMessage) -> bool {
    p.warnings
        .iter()
        .any(|w| matches!(w, ParseWarning::OverLimit(_)))
}

/// The columns [`bind_message`] binds, in its order.
const MESSAGE_COLUMN_NAMES: &str = "sha256, size, message_id, direction, automated, from_address, \
     from_name, correspondent, recipients, subject, date, date_offset, in_reply_to, refs, \
     body, html_only, attachments, warnings, topic, change_seq, state_write, stored_at";

type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

/// What a write stamps the rows it makes with: its change number, its
/// count of writes (`state_write`) and the time.
#[derive(Debug, Clone, Copy)]
struct Stamp {
    seq: i64,
    writes: i64,
    now: i64,
}

/// Binds one message's [`MESSAGE_COLUMN_NAMES`] values.
fn bind_message<'q>(q: AnyQuery<'q>, m: &'q NewMessage, stamp: Stamp) -> AnyQuery<'q> {
    let p = &m.parsed;
    q.bind(&m.sha256.0[..])
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
        .bind(p.date.map(|d| i64::from(d.offset().whole_seconds())))
        .bind(json(&p.in_reply_to))
        .bind(json(&p.references))
        .bind(&p.text)
        .bind(i64::from(p.html_only))
        .bind(attachments_json(p))
        .bind(warnings_json(p))
        .bind(m.topic)
        .bind(stamp.seq)
        .bind(stamp.writes)
        .bind(stamp.now)
}

/// What re-adopting orphaned raw bytes did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readoption {
    /// The message row was rebuilt from the bytes, under its old id.
    Restored,
    /// Another message holds the same bytes (with its own raw copy), so
    /// the orphaned copy was removed.
    DuplicateOf(MessageId),
}

impl Store {
    /// Gives raw bytes whose message row is gone (`id`) their row back,
    /// rebuilt from them as `m` (parsed afresh by the caller): the row,
    /// its link keys and addresses, stamped with a new change number so
    /// every index takes it in. Where another message has the same
    /// SHA-256, the orphan is that message's bytes: if that message's own
    /// bytes no longer read back whole, the orphan's replace them; only
    /// then, or when they are whole, is the orphaned copy deleted.
    pub async fn readopt(&self, id: MessageId, m: &NewMessage) -> Result<Readoption, StoreError> {
        let backend = self.backend();
        let (mut tx, seq, writes) = self.begin_counted_write().await?;
        let d = "re-adopting orphaned raw bytes";
        let other: Option<i64> = sqlx::query_scalar(
            "SELECT m.id FROM messages m JOIN raw_messages r ON r.message = m.id WHERE m.sha256 = $1",
        )
        .bind(&m.sha256.0[..])
        .fetch_optional(&mut *tx)
        .await
        .during(d)?;
        if let Some(other) = other {
            let whole = matches!(
                self.raw_unverified(MessageId(other)).await,
                Ok(Some((_, true)))
            );
            if !whole {
                sqlx::query("UPDATE raw_messages SET compressed = $1 WHERE message = $2")
                    .bind(m.raw.bytes())
                    .bind(other)
                    .execute(&mut *tx)
                    .await
                    .during(d)?;
            }
            sqlx::query("DELETE FROM raw_messages WHERE message = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await
                .during(d)?;
            tx.commit().await.during(d)?;
            return Ok(Readoption::DuplicateOf(MessageId(other)));
        }
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let sql = format!(
            "INSERT INTO messages (id, {MESSAGE_COLUMN_NAMES}) VALUES {}",
            value_rows(backend, 1, MESSAGE_COLUMNS + 1)
        );
        bind_message(sqlx::query(&sql).bind(id.0), m, Stamp { seq, writes, now })
            .execute(&mut *tx)
            .await
            .during(d)?;
        insert_keys_of(&mut tx, backend, m, id).await?;
        tx.commit().await.during(d)?;
        Ok(Readoption::Restored)
    }
}

impl Store {
    /// Records what reading message `id`'s headers again found (`m`, parsed
    /// afresh by the caller): its direction, sender, correspondent,
    /// recipients, warnings and addresses. Its thread is worked out again
    /// and every index takes the change in.
    pub async fn reattribute(&self, id: MessageId, m: &NewMessage) -> Result<(), StoreError> {
        let backend = self.backend();
        let (mut tx, seq) = self.begin_write().await?;
        let d = "recording a message's sender read again";
        let p = &m.parsed;
        // It leaves its conversation to be threaded again: the messages
        // left there record this write too (see `Rethreading::record`).
        sqlx::query(&format!(
            "UPDATE messages SET state_write = {THIS_WRITE} WHERE thread_id = \
             (SELECT thread_id FROM messages WHERE id = $1) AND id <> $1"
        ))
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .during(d)?;
        sqlx::query(&format!(
            "UPDATE messages SET direction = $1, from_address = $2, from_name = $3, \
             correspondent = $4, recipients = $5, warnings = $6, thread_id = NULL, \
             reply_id = NULL, response_secs = NULL, change_seq = $7, state_write = {THIS_WRITE} \
             WHERE id = $8",
        ))
        .bind(m.direction.as_str())
        .bind(p.from.as_ref().map(|f| f.address.as_str()))
        .bind(p.from.as_ref().and_then(|f| f.name.as_deref()))
        .bind(m.correspondent.as_ref().map(|c| c.as_str()))
        .bind(recipients_json(p))
        .bind(warnings_json(p))
        .bind(seq)
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .during(d)?;
        insert_keys_of(&mut tx, backend, m, id).await?;
        tx.commit().await.during(d)?;
        Ok(())
    }
}

/// Inserts the messages whose bytes are new; RETURNING names the rows made.
async fn insert_new(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    batch: &[NewMessage],
    stamp: Stamp,
) -> Result<HashMap<Sha256, i64>, StoreError> {
    let mut new_ids = HashMap::with_capacity(batch.len());
    for chunk in batch.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO messages ({MESSAGE_COLUMN_NAMES}) VALUES {} \
             ON CONFLICT (sha256) DO NOTHING RETURNING id, sha256",
            value_rows(backend, chunk.len(), MESSAGE_COLUMNS)
        );
        let mut q = sqlx::query(&sql);
        for m in chunk {
            q = bind_message(q, m, stamp);
        }
        for row in q.fetch_all(&mut **tx).await.during("storing messages")? {
            let id: i64 = row.try_get(0).during("storing messages")?;
            let sha: Vec<u8> = row.try_get(1).during("storing messages")?;
            new_ids.insert(digest(&sha), id);
        }
    }
    Ok(new_ids)
}

/// Each new message's link keys.
async fn insert_links(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    fresh: &[(&NewMessage, i64)],
) -> Result<(), StoreError> {
    let rows: Vec<(i64, i64)> = fresh
        .iter()
        .flat_map(|(m, id)| m.links.iter().map(move |key| (*key, *id)))
        .collect();
    crate::threads::insert_link_rows(tx, backend, &rows).await
}

/// One message's link keys and addresses (a message rebuilt or read
/// again).
async fn insert_keys_of(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    m: &NewMessage,
    id: MessageId,
) -> Result<(), StoreError> {
    let one = [(m, id.0)];
    insert_links(tx, backend, &one).await?;
    insert_addresses(tx, backend, &one).await
}

/// Every address each new message's header names, and its correspondent.
async fn insert_addresses(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    fresh: &[(&NewMessage, i64)],
) -> Result<(), StoreError> {
    let mut rows: Vec<(&str, i64)> = Vec::new();
    for (m, id) in fresh {
        let p = &m.parsed;
        let named = p
            .from
            .iter()
            .chain(&p.sender)
            .chain(&p.reply_to)
            .chain(&p.to)
            .chain(&p.cc)
            .chain(&p.bcc)
            .map(|b| b.address.as_str())
            .chain(m.correspondent.as_ref().map(|c| c.as_str()));
        let mut seen = HashSet::new();
        rows.extend(named.filter(|a| seen.insert(*a)).map(|a| (a, *id)));
    }
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO message_addresses (address, message) VALUES {} ON CONFLICT DO NOTHING",
            value_rows(backend, chunk.len(), 2)
        );
        let mut q = sqlx::query(&sql);
        for (address, id) in chunk {
            q = q.bind(*address).bind(*id);
        }
        q.execute(&mut **tx)
            .await
            .during("recording the addresses mail names")?;
    }
    Ok(())
}

/// The ids of messages the archive already has, by digest.
async fn ids_of(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    digests: &[&Sha256],
) -> Result<HashMap<Sha256, i64>, StoreError> {
    let mut ids = HashMap::with_capacity(digests.len());
    for chunk in digests.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT id, sha256 FROM messages WHERE sha256 IN ({})",
            param_list(backend, chunk.len(), 1)
        );
        let mut q = sqlx::query(&sql);
        for sha in chunk {
            q = q.bind(&sha.0[..]);
        }
        for row in q.fetch_all(&mut **tx).await.during("finding duplicates")? {
            let id: i64 = row.try_get(0).during("finding duplicates")?;
            let sha: Vec<u8> = row.try_get(1).during("finding duplicates")?;
            ids.insert(digest(&sha), id);
        }
    }
    Ok(ids)
}

/// New bytes for a Message-ID the archive has: the oldest row is the
/// message, the others its copies. Returns copy id → primary id.
async fn record_copies(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    fresh: &[(&NewMessage, i64)],
) -> Result<HashMap<i64, i64>, StoreError> {
    let message_ids: Vec<&str> = fresh
        .iter()
        .filter_map(|(m, _)| m.parsed.message_id.as_deref())
        .collect();
    let mut primary_of: HashMap<String, i64> = HashMap::new();
    for chunk in message_ids.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT message_id, MIN(id) FROM messages WHERE primary_id IS NULL \
             AND message_id IN ({}) GROUP BY message_id",
            param_list(backend, chunk.len(), 1)
        );
        let mut q = sqlx::query(&sql);
        for mid in chunk {
            q = q.bind(*mid);
        }
        for row in q
            .fetch_all(&mut **tx)
            .await
            .during("looking for other copies")?
        {
            primary_of.insert(
                row.try_get(0).during("looking for other copies")?,
                row.try_get(1).during("looking for other copies")?,
            );
        }
    }
    let mut copies = HashMap::new();
    for (m, id) in fresh {
        let primary = m
            .parsed
            .message_id
            .as_deref()
            .and_then(|mid| primary_of.get(mid));
        if let Some(&primary) = primary.filter(|p| **p != *id) {
            sqlx::query("UPDATE messages SET primary_id = $1 WHERE id = $2")
                .bind(primary)
                .bind(*id)
                .execute(&mut **tx)
                .await
                .during("recording a copy")?;
            // The copy's References may link threads its original does
            // not: the family is threaded afresh.
            sqlx::query(&format!(
                "UPDATE messages SET thread_id = NULL, state_write = {THIS_WRITE} WHERE id = $1"
            ))
            .bind(primary)
            .execute(&mut **tx)
            .await
            .during("recording a copy")?;
            copies.insert(*id, primary);
        }
    }
    Ok(copies)
}

/// Raises a folder's watermark (never lowers it within one UIDVALIDITY; a
/// new UIDVALIDITY starts it afresh).
async fn move_watermark(
    tx: &mut Transaction<'static, Any>,
    w: &Watermark,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO imap_folders (account, folder, uid_validity, last_uid, last_sync) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (account, folder) DO UPDATE SET \
           last_uid = CASE WHEN imap_folders.uid_validity <> excluded.uid_validity \
                             OR excluded.last_uid > imap_folders.last_uid \
                           THEN excluded.last_uid ELSE imap_folders.last_uid END, \
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

pub(crate) fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".to_owned())
}

fn recipients_json(p: &casebook_mail::ParsedMessage) -> String {
    json(&recipients_of(p))
}

/// To, Cc and Bcc as the `recipients` column holds them.
pub(crate) fn recipients_of(p: &casebook_mail::ParsedMessage) -> Vec<Recipient> {
    let kinds = [
        (RecipientKind::To, &p.to),
        (RecipientKind::Cc, &p.cc),
        (RecipientKind::Bcc, &p.bcc),
    ];
    kinds
        .iter()
        .flat_map(|(kind, boxes)| {
            boxes.iter().map(|b| Recipient {
                kind: *kind,
                address: b.address.to_string(),
                name: b.name.clone(),
            })
        })
        .collect()
}

fn warnings_json(p: &casebook_mail::ParsedMessage) -> String {
    json(
        &p.warnings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
    )
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

//! Erasing a person, retention, legal holds, and the anonymous records
//! that keep statistics from changing when mail is erased.

use crate::audit::audit;
use crate::error::{During, StoreError};
use crate::model::{AuditEntry, AuditSubject, ErasedMessage, Hold};
use crate::sql::{param_list, value_rows};
use crate::store::Store;
use casebook_vocabulary::MessageId;
use futures_util::TryStreamExt;
use sqlx::{Any, Transaction};
use std::collections::HashSet;

const CHUNK: usize = 500;

/// What one erasure removes and leaves behind, written in one transaction.
#[derive(Debug, Clone)]
pub struct Erasure {
    pub messages: Vec<MessageId>,
    /// The person's addresses: their preferences, links and list records
    /// go too, and audit entries naming them are redacted.
    pub addresses: Vec<String>,
    /// Keyed hashes of the addresses, kept so their mail is not taken in
    /// again (empty for retention, which erases mail, not people).
    pub digests: Vec<String>,
    /// One anonymous record per erased message.
    pub records: Vec<ErasedMessage>,
    pub at: i64,
}

async fn execute_each(
    tx: &mut Transaction<'static, Any>,
    sql: &str,
    values: &[String],
    action: &'static str,
) -> Result<(), StoreError> {
    for v in values {
        sqlx::query(sql)
            .bind(v)
            .execute(&mut **tx)
            .await
            .during(action)?;
    }
    Ok(())
}

impl Store {
    /// Messages from or to these addresses (their correspondent or
    /// sender), with every copy of them.
    pub async fn messages_of(&self, addresses: &[String]) -> Result<Vec<MessageId>, StoreError> {
        self.ids_by_address(
            addresses,
            |list| {
                format!(
                    "SELECT id FROM messages WHERE correspondent IN ({list}) OR from_address IN ({list}) \
                     OR primary_id IN (SELECT id FROM messages WHERE correspondent IN ({list}) OR from_address IN ({list}))"
                )
            },
            "finding a person's mail",
        )
        .await
    }

    /// Messages whose header names one of these addresses (From, Sender,
    /// Reply-To, To, Cc, Bcc, as `message_addresses` records them), with
    /// every copy of them.
    pub async fn messages_naming(
        &self,
        addresses: &[String],
    ) -> Result<Vec<MessageId>, StoreError> {
        self.ids_by_address(
            addresses,
            |list| {
                format!(
                    "SELECT message FROM message_addresses WHERE address IN ({list}) \
                     UNION SELECT id FROM messages WHERE primary_id IN \
                     (SELECT message FROM message_addresses WHERE address IN ({list}))"
                )
            },
            "finding mail that names a person",
        )
        .await
    }

    /// The message ids `select` reads for `addresses`, a chunk at a time:
    /// it is given one chunk's placeholder list (bound once, used as often
    /// as it likes). Sorted, each once.
    async fn ids_by_address(
        &self,
        addresses: &[String],
        select: impl Fn(&str) -> String,
        action: &'static str,
    ) -> Result<Vec<MessageId>, StoreError> {
        let mut ids = Vec::new();
        for chunk in addresses.chunks(CHUNK) {
            let sql = select(&param_list(self.backend(), chunk.len(), 1));
            let mut q = sqlx::query_scalar::<_, i64>(&sql);
            for a in chunk {
                q = q.bind(a);
            }
            ids.extend(q.fetch_all(&self.pool).await.during(action)?);
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids.into_iter().map(MessageId).collect())
    }

    /// Up to `limit` messages dated before `cutoff` (seconds since the
    /// epoch) numbered above `after`, in order.
    pub async fn messages_before(
        &self,
        cutoff: i64,
        after: MessageId,
        limit: u32,
    ) -> Result<Vec<MessageId>, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM messages WHERE date < $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(cutoff)
        .bind(after.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .during("finding mail past retention")?;
        Ok(ids.into_iter().map(MessageId).collect())
    }

    /// Which of `ids` are under a legal hold (their thread is held, or
    /// they carry a held tag).
    pub async fn held(&self, ids: &[MessageId]) -> Result<HashSet<MessageId>, StoreError> {
        let mut held = HashSet::new();
        for chunk in ids.chunks(CHUNK) {
            let list = param_list(self.backend(), chunk.len(), 1);
            let thread_text = match self.backend() {
                crate::location::Backend::Sqlite => "CAST(m.thread_id AS TEXT)",
                crate::location::Backend::Postgres => "m.thread_id::text",
            };
            let sql = format!(
                "SELECT m.id FROM messages m WHERE m.id IN ({list}) AND (\
                 EXISTS (SELECT 1 FROM legal_holds h WHERE h.kind = 'thread' AND h.target = {thread_text}) \
                 OR EXISTS (SELECT 1 FROM legal_holds h JOIN message_tags t ON t.tag = h.target \
                            WHERE h.kind = 'tag' AND t.message = m.id))"
            );
            let mut q = sqlx::query_scalar::<_, i64>(&sql);
            for id in chunk {
                q = q.bind(id.0);
            }
            held.extend(
                q.fetch_all(&self.pool)
                    .await
                    .during("checking legal holds")?
                    .into_iter()
                    .map(MessageId),
            );
        }
        Ok(held)
    }

    /// Erases in one transaction: the messages (raw bytes, places, tags,
    /// testimonials, request decisions) with tombstones for every index,
    /// the addresses' preferences, person links and list records; redacts
    /// audit entries about them; keeps the digests and anonymous records;
    /// writes `entry`. Returns the messages removed.
    pub async fn erase(&self, e: &Erasure, entry: &AuditEntry) -> Result<u64, StoreError> {
        self.note_write();
        let (mut tx, seq) = self.begin_write().await?;
        // Audit entries about their testimonials, requests and person.
        let mut subjects: Vec<String> = e
            .addresses
            .iter()
            .map(|a| AuditSubject::Person(a).to_string())
            .collect();
        for chunk in e.messages.chunks(CHUNK) {
            let list = param_list(self.backend(), chunk.len(), 1);
            let sql = format!("SELECT id FROM testimonials WHERE message IN ({list})");
            let mut q = sqlx::query_scalar::<_, i64>(&sql);
            for id in chunk {
                q = q.bind(id.0);
            }
            for t in q
                .fetch_all(&mut *tx)
                .await
                .during("finding testimonials to erase")?
            {
                subjects.push(AuditSubject::Testimonial(t).to_string());
            }
            subjects.extend(chunk.iter().map(|m| AuditSubject::Message(*m).to_string()));
        }
        let removed = self
            .remove_in(&mut tx, seq, &e.messages, crate::chain::ChainKind::Erased)
            .await?;
        let redact = "redacting the audit log";
        execute_each(
            &mut tx,
            "UPDATE audit_log SET subject = 'erased', detail = '{\"erased\":true}' WHERE subject = $1",
            &subjects,
            redact,
        )
        .await?;
        // Entries about them by identity (`audit_people`), never by
        // looking for the address in text; then the links that name them.
        execute_each(
            &mut tx,
            "UPDATE audit_log SET detail = '{\"erased\":true}' \
             WHERE id IN (SELECT entry FROM audit_people WHERE address = $1)",
            &e.addresses,
            redact,
        )
        .await?;
        execute_each(
            &mut tx,
            "DELETE FROM audit_people WHERE address = $1",
            &e.addresses,
            redact,
        )
        .await?;
        let forget = "forgetting a person";
        // Their list records go: every kept customer set is read again.
        sqlx::query("UPDATE change_counter SET lists_write = writes WHERE id = 1")
            .execute(&mut *tx)
            .await
            .during(forget)?;
        for sql in [
            "DELETE FROM privacy_preferences WHERE address = $1",
            "DELETE FROM person_links WHERE address = $1 OR person = $1",
            "DELETE FROM customer_records WHERE address = $1",
            "DELETE FROM person_corrections WHERE address = $1",
        ] {
            execute_each(&mut tx, sql, &e.addresses, forget).await?;
        }
        execute_each(
            &mut tx,
            &format!(
                "INSERT INTO erased_addresses (digest, erased_at) VALUES ($1, {}) ON CONFLICT (digest) DO NOTHING",
                e.at
            ),
            &e.digests,
            forget,
        )
        .await?;
        for chunk in e.records.chunks(CHUNK / 8) {
            let sql = format!(
                "INSERT INTO erased_messages (month, direction, topic, answered, response_secs, erasure, erased_at, thread) VALUES {}",
                value_rows(self.backend(), chunk.len(), 8)
            );
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(&r.month)
                    .bind(&r.direction)
                    .bind(&r.topic)
                    .bind(i64::from(r.answered))
                    .bind(r.response_secs)
                    .bind(&r.erasure)
                    .bind(e.at)
                    .bind(r.thread);
            }
            q.execute(&mut *tx)
                .await
                .during("keeping anonymous records")?;
        }
        audit(&mut tx, entry).await?;
        tx.commit().await.during("committing an erasure")?;
        self.fold_log().await?;
        Ok(removed)
    }

    /// Every erased address's keyed hash.
    pub async fn erased_digests(&self) -> Result<HashSet<String>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT digest FROM erased_addresses")
            .fetch_all(&self.pool)
            .await
            .during("reading erased addresses")?;
        Ok(rows.into_iter().collect())
    }

    /// The anonymous records of erased messages, one at a time to `visit`
    /// with the record's number, in that order: a record is held while it
    /// is visited, never all of them.
    pub async fn each_erased_message(
        &self,
        mut visit: impl FnMut(i64, ErasedMessage),
    ) -> Result<(), StoreError> {
        type Row = (
            i64,
            String,
            String,
            String,
            i64,
            Option<i64>,
            String,
            Option<i64>,
        );
        let mut rows = sqlx::query_as::<_, Row>(
            "SELECT id, month, direction, topic, answered, response_secs, erasure, thread \
             FROM erased_messages ORDER BY id",
        )
        .fetch(&self.pool);
        while let Some((id, month, direction, topic, answered, response_secs, erasure, thread)) =
            rows.try_next().await.during("reading anonymous records")?
        {
            visit(
                id,
                ErasedMessage {
                    month,
                    direction,
                    topic,
                    answered: answered != 0,
                    response_secs,
                    erasure,
                    thread,
                },
            );
        }
        Ok(())
    }

    /// The value of the store's secret `name`, set to `candidate` if it has
    /// none yet (whichever process comes first wins).
    pub async fn secret(&self, name: &str, candidate: &str) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO store_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(candidate)
        .execute(&self.pool)
        .await
        .during("keeping a store secret")?;
        sqlx::query_scalar("SELECT value FROM store_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await
            .during("reading a store secret")
    }

    /// Puts a thread or tag under a legal hold, audited; false if it was.
    pub async fn add_hold(&self, hold: &Hold, entry: &AuditEntry) -> Result<bool, StoreError> {
        self.audited_change(
            sqlx::query(
                "INSERT INTO legal_holds (kind, target, reason, held_by, held_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (kind, target) DO NOTHING",
            )
            .bind(&hold.kind)
            .bind(&hold.target)
            .bind(&hold.reason)
            .bind(&hold.held_by)
            .bind(hold.held_at),
            "adding a legal hold",
            entry,
        )
        .await
    }

    /// Ends a hold, audited; false if there was none.
    pub async fn release_hold(
        &self,
        kind: &str,
        target: &str,
        entry: &AuditEntry,
    ) -> Result<bool, StoreError> {
        self.audited_change(
            sqlx::query("DELETE FROM legal_holds WHERE kind = $1 AND target = $2")
                .bind(kind)
                .bind(target),
            "releasing a legal hold",
            entry,
        )
        .await
    }

    pub async fn holds(&self) -> Result<Vec<Hold>, StoreError> {
        sqlx::query_as::<_, Hold>(
            "SELECT kind, target, reason, held_by, held_at FROM legal_holds ORDER BY held_at, id",
        )
        .fetch_all(&self.pool)
        .await
        .during("listing legal holds")
    }
}

//! Verifying what the store holds (`casebook check`): every raw message
//! against its SHA-256, rows that point nowhere, and repairs of what can
//! be repaired without the lost data.

use crate::decode::digest;
use crate::error::{During, StoreError};
use crate::filters::THIS_WRITE;
use crate::raw::decompress_raw;
use crate::store::Store;
use casebook_vocabulary::{MessageId, Sha256};
use futures_util::TryStreamExt;
use sqlx::Row;

const PAGE: i64 = 500;

/// A raw message that does not read back as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawProblem {
    pub id: MessageId,
    pub problem: String,
    /// Set when the bytes are whole but sealed with a key this process was
    /// not given (its fingerprint): nothing is damaged, a key is missing.
    pub needs_key: Option<String>,
}

/// Rows that do not fit together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowProblems {
    /// Messages without raw bytes.
    pub missing_raw: Vec<MessageId>,
    /// Raw bytes whose message row is gone: the only copy of that mail,
    /// which `--repair` re-adopts (never deletes).
    pub orphaned_raw: Vec<MessageId>,
    /// Places or tags of messages that do not exist.
    pub orphans: u64,
    /// Copy or reply links to messages that do not exist.
    pub dangling_links: u64,
    /// Messages not yet given a thread.
    pub unthreaded: u64,
    /// Messages whose person (the sender of a customer's mail, the
    /// recipient of ours) could not be read: listed, not a fault of the
    /// archive; `--repair` reads their headers again.
    pub unattributed: Vec<MessageId>,
}

impl RowProblems {
    pub fn is_empty(&self) -> bool {
        self.missing_raw.is_empty()
            && self.orphaned_raw.is_empty()
            && self.orphans == 0
            && self.dangling_links == 0
            && self.unthreaded == 0
    }
}

async fn count(store: &Store, sql: &str) -> Result<u64, StoreError> {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&store.pool)
        .await
        .during("checking the archive")
        .map(|n| n as u64)
}

/// Tables whose rows belong to a message and say nothing without it (raw
/// bytes are not among them: they are the mail itself).
const BELONG_TO_MESSAGES: [&str; 4] = [
    "locations",
    "message_tags",
    "message_links",
    "message_addresses",
];

/// The rows of `table` whose message does not exist.
fn orphans_of(table: &str) -> String {
    format!("{table} WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = {table}.message)")
}

const DANGLING: [&str; 2] = [
    "primary_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages p WHERE p.id = m.primary_id)",
    "reply_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages p WHERE p.id = m.reply_id)",
];

impl Store {
    /// Reads every raw message back and compares it with its SHA-256;
    /// returns how many were read and those that failed. `progress` hears
    /// the count so far.
    pub async fn check_raw(
        &self,
        mut progress: impl FnMut(u64),
    ) -> Result<(u64, Vec<RawProblem>), StoreError> {
        let mut checked = 0;
        let mut problems = Vec::new();
        let mut after = 0i64;
        let d = "reading raw bytes to verify";
        loop {
            // Each row let go before the next is read: a page of large
            // messages is never held at once.
            let mut rows = sqlx::query(
                "SELECT m.id, m.sha256, m.size, r.compressed FROM messages m \
                 JOIN raw_messages r ON r.message = m.id WHERE m.id > $1 ORDER BY m.id LIMIT $2",
            )
            .bind(after)
            .bind(PAGE)
            .fetch(&self.pool);
            let before = checked;
            while let Some(row) = rows.try_next().await.during(d)? {
                let id: i64 = row.try_get(0).during(d)?;
                let sha: Vec<u8> = row.try_get(1).during(d)?;
                let size: i64 = row.try_get(2).during(d)?;
                let stored: Vec<u8> = row.try_get(3).during(d)?;
                let problem = match decompress_raw(
                    id,
                    &stored,
                    usize::try_from(size).unwrap_or(0),
                    &self.raw_keys,
                ) {
                    Ok(raw) if Sha256::of(&raw) == digest(&sha) => None,
                    Ok(_) => Some(("the bytes no longer match their SHA-256".to_owned(), None)),
                    Err(StoreError::NoKey { fingerprint, .. }) => Some((
                        format!("sealed with key {fingerprint}, which was not given"),
                        Some(fingerprint),
                    )),
                    Err(e) => Some((e.to_string(), None)),
                };
                if let Some((problem, needs_key)) = problem {
                    problems.push(RawProblem {
                        id: MessageId(id),
                        problem,
                        needs_key,
                    });
                }
                checked += 1;
                after = id;
            }
            if checked == before {
                break;
            }
            progress(checked);
        }
        Ok((checked, problems))
    }

    /// Rows that point nowhere, messages without raw bytes or a thread.
    pub async fn check_rows(&self) -> Result<RowProblems, StoreError> {
        let missing: Vec<i64> = sqlx::query_scalar(
            "SELECT m.id FROM messages m WHERE NOT EXISTS \
             (SELECT 1 FROM raw_messages r WHERE r.message = m.id) ORDER BY m.id",
        )
        .fetch_all(&self.pool)
        .await
        .during("checking the archive")?;
        let orphaned: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT message FROM {} ORDER BY message",
            orphans_of("raw_messages")
        ))
        .fetch_all(&self.pool)
        .await
        .during("checking the archive")?;
        let mut problems = RowProblems {
            missing_raw: missing.into_iter().map(MessageId).collect(),
            orphaned_raw: orphaned.into_iter().map(MessageId).collect(),
            ..RowProblems::default()
        };
        for table in BELONG_TO_MESSAGES {
            problems.orphans +=
                count(self, &format!("SELECT COUNT(*) FROM {}", orphans_of(table))).await?;
        }
        for condition in DANGLING {
            problems.dangling_links += count(
                self,
                &format!("SELECT COUNT(*) FROM messages m WHERE {condition}"),
            )
            .await?;
        }
        let unattributed: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM messages WHERE correspondent IS NULL AND primary_id IS NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .during("checking the archive")?;
        problems.unattributed = unattributed.into_iter().map(MessageId).collect();
        problems.unthreaded = count(
            self,
            "SELECT COUNT(*) FROM messages WHERE thread_id IS NULL AND primary_id IS NULL",
        )
        .await?;
        Ok(problems)
    }

    /// Heals damaged raw bytes from a new copy of the same message: for
    /// each `(id, m)` where `m` has the SHA-256 message `id` was stored
    /// with, bytes that no longer match (or no longer open) are replaced
    /// by `m`'s and read back to verify. Returns the messages healed.
    pub async fn heal_raw(
        &self,
        same: &[(MessageId, &crate::model::NewMessage)],
    ) -> Result<Vec<MessageId>, StoreError> {
        let mut healed = Vec::new();
        for (id, m) in same {
            let whole = match self.raw_unverified(*id).await {
                Ok(Some((_, matches))) => matches,
                Ok(None) => continue,
                // Sealed with a key not given: not damaged.
                Err(StoreError::NoKey { .. }) => continue,
                Err(_) => false,
            };
            let stored_sha: Option<Vec<u8>> =
                sqlx::query_scalar("SELECT sha256 FROM messages WHERE id = $1")
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await
                    .during("healing raw bytes")?;
            if whole || stored_sha.map(|s| digest(&s)) != Some(m.sha256) {
                continue;
            }
            self.note_write();
            sqlx::query("UPDATE raw_messages SET compressed = $1 WHERE message = $2")
                .bind(m.raw.bytes())
                .bind(id.0)
                .execute(&self.pool)
                .await
                .during("healing raw bytes")?;
            if let Some((_, true)) = self.raw_unverified(*id).await? {
                healed.push(*id);
            }
        }
        Ok(healed)
    }

    /// The bytes of raw message `id` whose message row is gone (see
    /// [`RowProblems::orphaned_raw`]), read back whatever their size.
    pub async fn orphaned_raw_bytes(&self, id: MessageId) -> Result<Vec<u8>, StoreError> {
        let stored: Vec<u8> =
            sqlx::query_scalar("SELECT compressed FROM raw_messages WHERE message = $1")
                .bind(id.0)
                .fetch_one(&self.pool)
                .await
                .during("reading orphaned raw bytes")?;
        crate::raw::decompress_raw_unsized(id.0, &stored, &self.raw_keys)
    }

    /// Deletes places, tags, link keys and addresses that belong to no
    /// message (never raw bytes: see [`Store::readopt`]) and clears links
    /// to messages that do not exist (threads are then worked out afresh).
    /// Returns how many rows it changed.
    pub async fn repair_rows(&self) -> Result<u64, StoreError> {
        let (mut tx, seq) = self.begin_write().await?;
        let mut changed = 0;
        for table in BELONG_TO_MESSAGES {
            changed += sqlx::query(&format!("DELETE FROM {}", orphans_of(table)))
                .execute(&mut *tx)
                .await
                .during("removing orphan rows")?
                .rows_affected();
        }
        for (column, condition) in ["primary_id", "reply_id"].iter().zip(DANGLING) {
            changed += sqlx::query(&format!(
                "UPDATE messages SET {column} = NULL, thread_id = NULL, change_seq = $1, \
                 state_write = {THIS_WRITE} WHERE id IN (SELECT m.id FROM messages m WHERE {condition})"
            ))
            .bind(seq)
            .execute(&mut *tx)
            .await
            .during("clearing dangling links")?
            .rows_affected();
        }
        tx.commit().await.during("committing repairs")?;
        Ok(changed)
    }

    /// The messages every search index should hold.
    pub async fn indexable_ids(&self) -> Result<Vec<MessageId>, StoreError> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM messages WHERE primary_id IS NULL ORDER BY id")
                .fetch_all(&self.pool)
                .await
                .during("listing indexable messages")?;
        Ok(ids.into_iter().map(MessageId).collect())
    }
}

impl Store {
    /// A consistent copy of a SQLite archive at `path` (a new file), made
    /// while others keep reading and writing: SQLite's `VACUUM INTO` reads
    /// one snapshot. A PostgreSQL archive is backed up with `pg_dump`.
    pub async fn backup_to(&self, path: &std::path::Path) -> Result<(), StoreError> {
        if self.backend() == crate::location::Backend::Postgres {
            return Err(StoreError::BackupElsewhere {
                location: self.location().to_string(),
            });
        }
        let target = path.to_string_lossy().into_owned();
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.pool)
            .await
            .during("writing the backup")?;
        Ok(())
    }
}

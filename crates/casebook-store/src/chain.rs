//! The integrity chain: every message stored and every removal is an
//! entry whose hash covers the previous entry's, written in the same
//! transaction as the change itself. Verifying it finds a message changed
//! or removed behind the archive's back, and an edited chain.

use crate::decode::digest;
use crate::error::{During, StoreError};
use crate::location::Backend;
use crate::sql::value_rows;
use crate::store::Store;
use casebook_mail::{MessageId, Sha256};
use sha2::Digest;
use sqlx::{Any, Transaction};
use std::collections::HashMap;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a chain entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChainKind {
    Stored,
    Removed,
    Erased,
}

impl ChainKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Stored => "stored",
            Self::Removed => "removed",
            Self::Erased => "erased",
        }
    }
}

/// The hash of an entry: SHA-256 over the previous hash and the entry.
fn link(prev: &str, seq: i64, kind: &str, message: i64, sha: &str) -> String {
    let mut h = sha2::Sha256::new();
    h.update(format!("{prev}\n{seq}\n{kind}\n{message}\n{sha}").as_bytes());
    Sha256(h.finalize().into()).to_hex()
}

/// Appends entries inside a write transaction (writers take turns, so the
/// chain's tail cannot move meanwhile).
pub(crate) async fn append(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    kind: ChainKind,
    entries: &[(i64, Sha256)],
) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let tail: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM integrity_chain ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut **tx)
            .await
            .during("reading the integrity chain")?;
    let (mut seq, mut prev) = tail.unwrap_or((0, GENESIS.to_owned()));
    let mut rows = Vec::with_capacity(entries.len());
    for (message, sha) in entries {
        seq += 1;
        let sha = sha.to_hex();
        let hash = link(&prev, seq, kind.as_str(), *message, &sha);
        prev = hash.clone();
        rows.push((seq, *message, sha, hash));
    }
    for chunk in rows.chunks(200) {
        let sql = format!(
            "INSERT INTO integrity_chain (seq, kind, message, sha256, hash) VALUES {}",
            value_rows(backend, chunk.len(), 5)
        );
        let mut q = sqlx::query(&sql);
        for (seq, message, sha, hash) in chunk {
            q = q
                .bind(*seq)
                .bind(kind.as_str())
                .bind(*message)
                .bind(sha.as_str())
                .bind(hash.as_str());
        }
        q.execute(&mut **tx)
            .await
            .during("extending the integrity chain")?;
    }
    Ok(())
}

/// What verifying the chain found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainReport {
    pub entries: u64,
    /// The last entry's hash: write it down elsewhere, and a later check
    /// can show the chain was not cut back to before it.
    pub head: String,
    /// The first entry whose hash does not follow from the one before.
    pub broken_at: Option<i64>,
    /// Stored per the chain, gone from the archive without a removal entry.
    pub removed_behind_the_back: Vec<MessageId>,
    /// In the archive with other bytes than the chain recorded.
    pub altered: Vec<MessageId>,
    /// In the archive but never entered (stored before the chain began, or
    /// inserted behind the archive's back).
    pub unchained: Vec<MessageId>,
}

impl ChainReport {
    pub fn verifies(&self) -> bool {
        self.broken_at.is_none()
            && self.removed_behind_the_back.is_empty()
            && self.altered.is_empty()
            && self.unchained.is_empty()
    }
}

impl Store {
    /// Walks the whole chain and compares it with the messages held.
    pub async fn verify_chain(&self) -> Result<ChainReport, StoreError> {
        let mut report = ChainReport::default();
        let mut alive: HashMap<i64, String> = HashMap::new();
        let mut prev = GENESIS.to_owned();
        let mut after = 0i64;
        loop {
            let rows: Vec<(i64, String, i64, String, String)> = sqlx::query_as(
                "SELECT seq, kind, message, sha256, hash FROM integrity_chain \
                 WHERE seq > $1 ORDER BY seq LIMIT 5000",
            )
            .bind(after)
            .fetch_all(&self.pool)
            .await
            .during("reading the integrity chain")?;
            let Some(last) = rows.last() else { break };
            after = last.0;
            for (seq, kind, message, sha, hash) in rows {
                if report.broken_at.is_none() && link(&prev, seq, &kind, message, &sha) != hash {
                    report.broken_at = Some(seq);
                }
                prev = hash;
                report.entries += 1;
                if kind == ChainKind::Stored.as_str() {
                    alive.insert(message, sha);
                } else {
                    alive.remove(&message);
                }
            }
        }
        report.head = prev;
        let mut after = 0i64;
        loop {
            let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(
                "SELECT id, sha256 FROM messages WHERE id > $1 ORDER BY id LIMIT 5000",
            )
            .bind(after)
            .fetch_all(&self.pool)
            .await
            .during("reading messages to verify the chain")?;
            let Some(last) = rows.last() else { break };
            after = last.0;
            for (id, sha) in rows {
                match alive.remove(&id) {
                    None => report.unchained.push(MessageId(id)),
                    Some(recorded) if recorded != digest(&sha).to_hex() => {
                        report.altered.push(MessageId(id));
                    }
                    Some(_) => {}
                }
            }
        }
        let mut gone: Vec<MessageId> = alive.into_keys().map(MessageId).collect();
        gone.sort();
        report.removed_behind_the_back = gone;
        Ok(report)
    }

    /// Enters the messages the chain does not hold (an archive from before
    /// the chain began). Returns how many.
    pub async fn chain_unchained(&self, ids: &[MessageId]) -> Result<u64, StoreError> {
        let (mut tx, _) = self.begin_write().await?;
        let mut entries = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT id, sha256 FROM messages WHERE id IN ({}) ORDER BY id",
                crate::sql::param_list(self.backend(), chunk.len(), 1)
            );
            let mut q = sqlx::query_as::<_, (i64, Vec<u8>)>(&sql);
            for id in chunk {
                q = q.bind(id.0);
            }
            for (id, sha) in q.fetch_all(&mut *tx).await.during("reading messages")? {
                entries.push((id, digest(&sha)));
            }
        }
        append(&mut tx, self.backend(), ChainKind::Stored, &entries).await?;
        tx.commit().await.during("committing chain entries")?;
        Ok(entries.len() as u64)
    }
}

//! The integrity chain: every message stored and every removal is an
//! entry whose hash covers the previous entry's, written in the same
//! transaction as the change itself. Verifying it finds a message changed
//! or removed behind the archive's back, and an edited chain.
//!
//! With an integrity key (`integrity_key_file`, never in the database)
//! each entry's hash is an HMAC under it, so someone who can write to the
//! database cannot forge an entry (a removal, say) that verifies. Each
//! entry records its message's SHA-256 salted, the salt kept apart;
//! erasure deletes the salts, so an erased message's entries no longer
//! tell whether a given file was ever archived.

use crate::decode::digest;
use crate::error::{During, StoreError};
use crate::location::Backend;
use crate::sql::value_rows;
use crate::store::Store;
use casebook_vocabulary::{MessageId, Sha256};
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

/// A key that authenticates chain entries (32 bytes, HMAC-SHA256). Never
/// printed: `Debug` shows only its fingerprint.
#[derive(Clone)]
pub struct ChainKey {
    key: [u8; 32],
    fingerprint: String,
}

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChainKey({})", self.fingerprint)
    }
}

impl ChainKey {
    /// Reads a key file's text (64 hexadecimal digits, as `casebook
    /// keygen` writes); `None` for anything else.
    pub fn from_hex(text: &str) -> Option<Self> {
        let key = crate::raw::key_bytes(text)?;
        let digest = sha2::Sha256::digest(key);
        let fingerprint = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        Some(Self { key, fingerprint })
    }

    /// Identifies the key without revealing it.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    fn mac(&self, text: &str) -> String {
        use hmac::Mac;
        let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.key) else {
            // HMAC takes keys of any length.
            return String::new();
        };
        mac.update(text.as_bytes());
        Sha256(mac.finalize().into_bytes().into()).to_hex()
    }
}

const LEGACY: &str = "sha256";
const SALTED: &str = "salted";
const KEYED: &str = "hmac:";

/// What an entry's hash covers.
fn link_text(prev: &str, seq: i64, kind: &str, message: i64, content: &str) -> String {
    format!("{prev}\n{seq}\n{kind}\n{message}\n{content}")
}

fn plain_link(text: &str) -> String {
    let mut h = sha2::Sha256::new();
    h.update(text.as_bytes());
    Sha256(h.finalize().into()).to_hex()
}

/// A message's SHA-256 as an entry records it: salted, so without the
/// salt it matches no file.
fn salted(salt: &str, sha: &Sha256) -> String {
    plain_link(&format!("{salt}:{}", sha.to_hex()))
}

fn random_salt() -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| StoreError::Random(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Appends entries inside a write transaction (writers take turns, so the
/// chain's tail cannot move meanwhile), authenticated with `key` when
/// there is one. An erasure's entries keep no salt.
pub(crate) async fn append(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    kind: ChainKind,
    entries: &[(i64, Sha256)],
    key: Option<&ChainKey>,
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
    let scheme = key.map_or_else(
        || SALTED.to_owned(),
        |k| format!("{KEYED}{}", k.fingerprint),
    );
    let mut rows = Vec::with_capacity(entries.len());
    let mut salts = Vec::with_capacity(entries.len());
    for (message, sha) in entries {
        seq += 1;
        let salt = random_salt()?;
        let content = salted(&salt, sha);
        let text = link_text(&prev, seq, kind.as_str(), *message, &content);
        let hash = match key {
            Some(k) => k.mac(&text),
            None => plain_link(&text),
        };
        prev = hash.clone();
        rows.push((seq, *message, content, hash));
        if kind != ChainKind::Erased {
            salts.push((seq, salt));
        }
    }
    for chunk in rows.chunks(200) {
        let sql = format!(
            "INSERT INTO integrity_chain (seq, kind, message, sha256, hash, scheme) VALUES {}",
            value_rows(backend, chunk.len(), 6)
        );
        let mut q = sqlx::query(&sql);
        for (seq, message, content, hash) in chunk {
            q = q
                .bind(*seq)
                .bind(kind.as_str())
                .bind(*message)
                .bind(content.as_str())
                .bind(hash.as_str())
                .bind(scheme.as_str());
        }
        q.execute(&mut **tx)
            .await
            .during("extending the integrity chain")?;
    }
    for chunk in salts.chunks(400) {
        let sql = format!(
            "INSERT INTO integrity_salts (seq, salt) VALUES {}",
            value_rows(backend, chunk.len(), 2)
        );
        let mut q = sqlx::query(&sql);
        for (seq, salt) in chunk {
            q = q.bind(*seq).bind(salt.as_str());
        }
        q.execute(&mut **tx)
            .await
            .during("extending the integrity chain")?;
    }
    Ok(())
}

/// Forgets the salts of every entry about `messages` (an erasure): their
/// entries still verify as a chain, but no longer match any file.
pub(crate) async fn forget_salts(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    messages: &[i64],
) -> Result<(), StoreError> {
    for chunk in messages.chunks(500) {
        let list = crate::sql::param_list(backend, chunk.len(), 1);
        let sql = format!(
            "DELETE FROM integrity_salts WHERE seq IN \
             (SELECT seq FROM integrity_chain WHERE message IN ({list}))"
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut **tx)
            .await
            .during("forgetting an erased message's chain salts")?;
    }
    Ok(())
}

/// What verifying the chain found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainReport {
    pub entries: u64,
    /// The last entry's hash: write it down elsewhere, and a later check
    /// (`check --head HASH`) shows the chain was not cut back before it.
    pub head: String,
    /// The first entry whose hash does not follow from the one before.
    pub broken_at: Option<i64>,
    /// Entries whose hash does not follow (edited, or forged without the
    /// key), with the message each names: the chain is at fault there,
    /// not the message.
    pub edited: Vec<(i64, MessageId)>,
    /// Stored per the chain, gone from the archive without a removal entry.
    pub removed_behind_the_back: Vec<MessageId>,
    /// In the archive with other bytes than the chain recorded.
    pub altered: Vec<MessageId>,
    /// In the archive but never entered (stored before the chain began, or
    /// inserted behind the archive's back).
    pub unchained: Vec<MessageId>,
    /// Entries authenticated with an integrity key this process was not
    /// given, and that key's fingerprint: they could not be verified.
    pub unverified: u64,
    pub needs_key: Option<String>,
    /// With a key given: entries not authenticated with it (written by an
    /// older version or without the key), which anyone able to write to
    /// the database could have made.
    pub unauthenticated: u64,
    /// Entries that hold a message's plain SHA-256 (older versions).
    pub plain_hashes: u64,
    /// With `check --head HASH`: whether the chain still holds that head.
    pub head_found: Option<bool>,
}

impl ChainReport {
    pub fn verifies(&self) -> bool {
        self.broken_at.is_none()
            && self.removed_behind_the_back.is_empty()
            && self.altered.is_empty()
            && self.unchained.is_empty()
            && self.unverified == 0
            && self.head_found != Some(false)
    }
}

/// A stored message as its chain entry recorded it.
struct Recorded {
    content: String,
    scheme: String,
    salt: Option<String>,
}

impl Store {
    /// Walks the whole chain and compares it with the messages held; with
    /// `head`, also whether the chain still holds that entry hash.
    pub async fn verify_chain(&self, head: Option<&str>) -> Result<ChainReport, StoreError> {
        let mut report = ChainReport::default();
        let key = self.chain_key.as_deref();
        let mut alive: HashMap<i64, Recorded> = HashMap::new();
        let mut edited_messages = std::collections::HashSet::new();
        let mut prev = GENESIS.to_owned();
        let mut after = 0i64;
        let mut head_found = false;
        let mut keyed_seen = false;
        loop {
            type Row = (i64, String, i64, String, String, String, Option<String>);
            let rows: Vec<Row> = sqlx::query_as(
                "SELECT c.seq, c.kind, c.message, c.sha256, c.hash, c.scheme, s.salt \
                 FROM integrity_chain c LEFT JOIN integrity_salts s ON s.seq = c.seq \
                 WHERE c.seq > $1 ORDER BY c.seq LIMIT 5000",
            )
            .bind(after)
            .fetch_all(&self.pool)
            .await
            .during("reading the integrity chain")?;
            let Some(last) = rows.last() else { break };
            after = last.0;
            for (seq, kind, message, content, hash, scheme, salt) in rows {
                report.entries += 1;
                let text = link_text(&prev, seq, &kind, message, &content);
                keyed_seen |= scheme.starts_with(KEYED);
                let follows = match scheme.strip_prefix(KEYED) {
                    Some(fp) => match key {
                        Some(k) if k.fingerprint == fp => Some(k.mac(&text) == hash),
                        _ => {
                            report.unverified += 1;
                            report.needs_key = Some(fp.to_owned());
                            None
                        }
                    },
                    // Once entries are keyed, an unkeyed one is a forgery
                    // by someone without the key.
                    None if (scheme == LEGACY || scheme == SALTED) && !keyed_seen => {
                        if key.is_some() {
                            report.unauthenticated += 1;
                        }
                        Some(plain_link(&text) == hash)
                    }
                    None => Some(false),
                };
                if scheme == LEGACY {
                    report.plain_hashes += 1;
                }
                head_found |= head == Some(hash.as_str());
                prev = hash;
                if follows == Some(false) {
                    report.broken_at.get_or_insert(seq);
                    report.edited.push((seq, MessageId(message)));
                    edited_messages.insert(message);
                    continue;
                }
                if kind == ChainKind::Stored.as_str() {
                    alive.insert(
                        message,
                        Recorded {
                            content,
                            scheme,
                            salt,
                        },
                    );
                } else {
                    alive.remove(&message);
                }
            }
        }
        report.head = prev;
        report.head_found = head.map(|_| head_found);
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
                let sha = digest(&sha);
                match alive.remove(&id) {
                    None if edited_messages.contains(&id) => {}
                    None => report.unchained.push(MessageId(id)),
                    Some(r) => {
                        let expected = match (r.scheme.as_str(), &r.salt) {
                            (LEGACY, _) => Some(sha.to_hex()),
                            (_, Some(salt)) => Some(salted(salt, &sha)),
                            // A live message whose salt is gone cannot be
                            // compared: its bytes are not vouched for.
                            (_, None) => None,
                        };
                        if expected.as_deref() != Some(r.content.as_str()) {
                            report.altered.push(MessageId(id));
                        }
                    }
                }
            }
        }
        let mut gone: Vec<MessageId> = alive
            .into_keys()
            .filter(|m| !edited_messages.contains(m))
            .map(MessageId)
            .collect();
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
        append(
            &mut tx,
            self.backend(),
            ChainKind::Stored,
            &entries,
            self.chain_key.as_deref(),
        )
        .await?;
        tx.commit().await.during("committing chain entries")?;
        Ok(entries.len() as u64)
    }
}

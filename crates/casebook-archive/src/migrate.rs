//! Schema migrations and copying an archive between databases.

use crate::check::Integrity;
use crate::{Archive, ArchiveError};
use casebook_store::{CopyReport, PageCaches, RawKey, RawSeal, Store, StoreLocation};
use casebook_vocabulary::MessageId;

/// Brings the database at `location` to this binary's schema and returns
/// its schema version. Opening an archive does the same; this is for
/// running it on its own, before starting the servers of a shared archive.
pub async fn migrate(location: &StoreLocation) -> Result<i64, ArchiveError> {
    let (store, version) = Store::open_and_migrate(location).await?;
    store.close().await?;
    Ok(version)
}

/// Copies the archive at `from` into the empty database at `to` and
/// verifies it (counts of every table, every raw message's SHA-256 read
/// back, a checksum of the messages and their links). The copy keeps
/// message and thread ids, so links and references stay valid.
pub async fn migrate_store(
    from: &StoreLocation,
    to: &StoreLocation,
    keys: &[RawKey],
    caches: PageCaches,
    progress: impl FnMut(u64),
) -> Result<CopyReport, ArchiveError> {
    if from == to {
        return Err(ArchiveError::SameStore(from.to_string()));
    }
    // Sealed raw bytes are copied as they are; both sides open them with
    // the same keys to verify the copy.
    let source = Store::open_with(from, caches)
        .await?
        .with_raw_keys(keys.to_vec());
    let target = Store::open_with(to, caches)
        .await?
        .with_raw_keys(keys.to_vec());
    let report = source.copy_into(&target, progress).await?;
    source.close().await?;
    target.close().await?;
    Ok(report)
}

impl Archive {
    /// Refuses to store mail under a key other than the one the archive's
    /// raw mail is under (or encrypted into a plain archive, or plain into
    /// an encrypted one): the archive would then need two keys to read.
    pub(crate) async fn check_write_key(&self) -> Result<(), ArchiveError> {
        let given = self.raw_key.as_ref().map(RawKey::fingerprint);
        let describe = |fp: &Option<String>| match fp {
            Some(fp) => format!("sealed with key {fp}"),
            None => "not encrypted".to_owned(),
        };
        let archive = match self.store.raw_seal().await? {
            RawSeal::Empty => return Ok(()),
            RawSeal::Plain => None,
            RawSeal::Key(fp) => Some(fp),
        };
        if archive == given {
            return Ok(());
        }
        Err(ArchiveError::KeyMismatch {
            archive: describe(&archive),
            given: match &given {
                Some(fp) => format!("key {fp}"),
                None => "no key".to_owned(),
            },
        })
    }

    /// Removes messages from the archive: the store drops them and records
    /// the removal, so this and every other process's index drop them too.
    pub async fn remove(&self, ids: &[MessageId], actor: &str) -> Result<u64, ArchiveError> {
        let entry = crate::audit::entry(
            actor,
            "remove",
            casebook_store::AuditSubject::Messages,
            serde_json::json!({ "messages": ids.iter().map(|m| m.0).collect::<Vec<_>>() }),
        );
        let removed = self.store.remove_messages(ids, &entry).await?;
        self.settle().await?;
        Ok(removed)
    }
}

impl Integrity<'_> {
    /// Moves every raw message to one key: `to`, or (without) the config's
    /// `encryption_key_file`; with `decrypt`, to none. Messages sealed
    /// with the config's key or `to` can be opened. Returns how many were
    /// rewritten.
    pub async fn rekey(
        &self,
        to: Option<RawKey>,
        decrypt: bool,
        actor: &str,
        progress: impl FnMut(u64),
    ) -> Result<u64, ArchiveError> {
        let target = match (&to, decrypt) {
            (_, true) => None,
            (Some(k), false) => Some(k.clone()),
            (None, false) => Some(self.archive.raw_key.clone().ok_or_else(|| {
                ArchiveError::Refused(
                    "no encryption_key_file in the config: set it (or say --to FILE) to encrypt the raw store".into(),
                )
            })?),
        };
        let keys: Vec<RawKey> = self.archive.raw_key.iter().cloned().chain(to).collect();
        let store = self.archive.store.clone().with_raw_keys(keys);
        let moved = store.reseal_raw(target.as_ref(), progress).await?;
        // The audit names keys by fingerprint only.
        self.archive
            .store
            .record_audit(&crate::audit::entry(
                actor,
                "rekey",
                casebook_store::AuditSubject::RawStore,
                serde_json::json!({
                    "to": target.as_ref().map(RawKey::fingerprint),
                    "rewritten": moved,
                }),
            ))
            .await?;
        Ok(moved)
    }
}

//! Schema migrations and copying an archive between databases.

use crate::{Archive, ArchiveError};
use casebook_mail::MessageId;
use casebook_store::{CopyReport, RawKey, Store, StoreLocation};

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
    progress: impl FnMut(u64),
) -> Result<CopyReport, ArchiveError> {
    if from == to {
        return Err(ArchiveError::SameStore(from.to_string()));
    }
    // Sealed raw bytes are copied as they are; both sides open them with
    // the same keys to verify the copy.
    let source = Store::open(from).await?.with_raw_keys(keys.to_vec());
    let target = Store::open(to).await?.with_raw_keys(keys.to_vec());
    let report = source.copy_into(&target, progress).await?;
    source.close().await?;
    target.close().await?;
    Ok(report)
}

impl Archive {
    /// Moves every raw message to one key: `to`, or (without) the config's
    /// `encryption_key_file`; with `decrypt`, to none. Messages sealed
    /// with the config's key or `to` can be opened. Returns how many were
    /// rewritten.
    pub async fn rekey(
        &self,
        to: Option<RawKey>,
        decrypt: bool,
        progress: impl FnMut(u64),
    ) -> Result<u64, ArchiveError> {
        let target = match (&to, decrypt) {
            (_, true) => None,
            (Some(k), false) => Some(k.clone()),
            (None, false) => Some(self.raw_key.clone().ok_or_else(|| {
                ArchiveError::Privacy(
                    "no encryption_key_file in the config: set it (or say --to FILE) to encrypt the raw store".into(),
                )
            })?),
        };
        let keys: Vec<RawKey> = self.raw_key.iter().cloned().chain(to).collect();
        let store = self.store.clone().with_raw_keys(keys);
        Ok(store.reseal_raw(target.as_ref(), progress).await?)
    }

    /// Removes messages from the archive: the store drops them and records
    /// the removal, so this and every other process's index drop them too.
    pub async fn remove(&self, ids: &[MessageId]) -> Result<u64, ArchiveError> {
        let removed = self.store.remove_messages(ids).await?;
        self.settle().await?;
        Ok(removed)
    }
}

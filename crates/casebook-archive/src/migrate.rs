//! Schema migrations and copying an archive between databases.

use crate::{Archive, ArchiveError};
use casebook_mail::MessageId;
use casebook_store::{CopyReport, Store, StoreLocation};

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
    progress: impl FnMut(u64),
) -> Result<CopyReport, ArchiveError> {
    if from == to {
        return Err(ArchiveError::SameStore(from.to_string()));
    }
    let source = Store::open(from).await?;
    let target = Store::open(to).await?;
    let report = source.copy_into(&target, progress).await?;
    source.close().await?;
    target.close().await?;
    Ok(report)
}

impl Archive {
    /// Removes messages from the archive: the store drops them and records
    /// the removal, so this and every other process's index drop them too.
    pub async fn remove(&self, ids: &[MessageId]) -> Result<u64, ArchiveError> {
        let removed = self.store.remove_messages(ids).await?;
        self.settle().await?;
        Ok(removed)
    }
}

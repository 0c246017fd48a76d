//! SQLite: copying the write-ahead log into the database beside the writer
//! instead of inside its commits.
//!
//! SQLite copies the log into the database in the commit that finds it
//! past `wal_autocheckpoint` pages: the writing connection stops storing
//! while it writes tens of megabytes of scattered index pages and waits for
//! the disk to have them (`fsync`). After each stored batch a reading
//! connection copies what the log holds (a `PASSIVE` checkpoint: it never
//! waits for the writer, and the writer never waits for it), on its own
//! thread, so storing and the disk's work overlap. The writer's own copy
//! then finds the log mostly copied already, and SQLite starts the log
//! from the beginning again at the next write that finds it all copied.
//!
//! Should the copies fall behind (a reader holding an old snapshot keeps
//! the log from starting over), a batch that finds the log past
//! [`LOG_PAGES_BOUND`] copies it in itself and restarts it, waiting for
//! readers, so the file beside the database stays bounded.

use crate::error::{During, StoreError};
use sqlx::AnyPool;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use tokio::sync::Mutex;

/// The log's length, in pages, past which a write copies it in itself
/// (256 MiB of 4 KiB pages; the copies beside the writer keep it near
/// SQLite's `wal_autocheckpoint`, 16,384 pages, while they keep up).
pub(crate) const LOG_PAGES_BOUND: i64 = 65_536;

/// The copy running beside the writer, if one is, and the log's length
/// the last one found.
#[derive(Debug, Clone, Default)]
pub(crate) struct LogCopier {
    running: Arc<Mutex<()>>,
    log_pages: Arc<AtomicI64>,
}

impl LogCopier {
    /// Starts copying the log into the database on a connection of
    /// `readers`, unless a copy is running already. First, if the last
    /// copy found the log past [`LOG_PAGES_BOUND`], copies it in and
    /// restarts it on `writer` before returning. What was stored is
    /// committed already: a copy that fails is logged and left to the
    /// next (SQLite's own, at `wal_autocheckpoint`, among them), and a
    /// disk that cannot take it fails the next write, where it is told.
    pub(crate) async fn after_write(&self, readers: &AnyPool, writer: &AnyPool) {
        if self.log_pages.load(Ordering::Relaxed) > LOG_PAGES_BOUND {
            let _copy = self.running.lock().await;
            match checkpoint(writer, "RESTART").await {
                // Copied whole: the next write starts the log over.
                Ok((0, _, _)) => self.log_pages.store(0, Ordering::Relaxed),
                Ok((_, pages, _)) => self.log_pages.store(pages, Ordering::Relaxed),
                Err(e) => {
                    tracing::warn!("the write-ahead log is long and could not be copied in: {e}")
                }
            }
        }
        let Ok(copy) = Arc::clone(&self.running).try_lock_owned() else {
            return;
        };
        let readers = readers.clone();
        let log_pages = Arc::clone(&self.log_pages);
        tokio::spawn(async move {
            // A copy that could not run is left to the next batch's, and
            // to the writer's own at `wal_autocheckpoint`.
            match checkpoint(&readers, "PASSIVE").await {
                Ok((_, pages, _)) => log_pages.store(pages, Ordering::Relaxed),
                Err(e) => tracing::debug!("copying the log beside the writer: {e}"),
            }
            drop(copy);
        });
    }

    /// Waits for the copy running beside the writer, if one is.
    pub(crate) async fn finished(&self) {
        drop(self.running.lock().await);
    }
}

/// Runs `PRAGMA wal_checkpoint(MODE)` (`PASSIVE` or `RESTART`): whether it
/// was kept from finishing (1) or not (0), the log's pages and how many of
/// them are in the database.
async fn checkpoint(pool: &AnyPool, mode: &'static str) -> Result<(i64, i64, i64), StoreError> {
    sqlx::query_as(&format!("PRAGMA wal_checkpoint({mode})"))
        .fetch_one(pool)
        .await
        .during("copying the write-ahead log into the database")
}

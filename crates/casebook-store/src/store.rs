//! Opening the database, its schema version, and the change order.

use crate::error::{During, StoreError};
use crate::location::{Backend, StoreLocation};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::AnyPool;
use sqlx::{Any, Executor, Transaction};
use sqlx::{ConnectOptions, Connection};
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Rows per multi-row statement. The widest, a message, binds 20 values:
/// 8,000 per statement, well under either backend's limit on bound
/// parameters (SQLite 32,766, PostgreSQL 65,535). Each statement is a round
/// trip to the database's thread, so a sync batch of 2,000 messages takes
/// 5 of them per table instead of 20 (it was 100 rows).
pub(crate) const ROWS_PER_STATEMENT: usize = 400;

static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// The archive's database.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    /// Where write transactions run. SQLite: a pool of one connection of
    /// its own, so the pages a write reads (the indexes' inner pages, the
    /// leaves it touched last) stay in that connection's cache from one
    /// transaction to the next. Taken in turn from the shared pool, each
    /// write ran on a connection whose cache the previous write (on
    /// another connection) had made stale, and read its pages back from
    /// the file. PostgreSQL: the shared pool.
    pub(crate) writer: AnyPool,
    location: Arc<StoreLocation>,
    identity: Arc<str>,
    /// Whether this process wrote, and so (SQLite) has a write-ahead log to
    /// fold in.
    wrote: Arc<AtomicBool>,
    /// Keys that open sealed raw bytes.
    pub(crate) raw_keys: Arc<Vec<crate::raw::RawKey>>,
    /// The key chain entries are authenticated with (`integrity_key_file`).
    pub(crate) chain_key: Option<Arc<crate::chain::ChainKey>>,
    /// SQLite: the copy of the write-ahead log into the database that
    /// runs beside the writer after a stored batch.
    pub(crate) log_copier: crate::log_copy::LogCopier,
}

impl Store {
    /// Opens (creating if needed) the SQLite database at `path`.
    pub async fn open_sqlite(path: &Path) -> Result<Self, StoreError> {
        Self::open(&StoreLocation::sqlite(path)).await
    }

    /// Opens the database at `location` and brings its schema up to date
    /// (a database written by a newer Casebook is refused).
    pub async fn open(location: &StoreLocation) -> Result<Self, StoreError> {
        Self::open_with(location, PageCaches::default()).await
    }

    /// [`Store::open`] with the connections' page caches at `caches`
    /// (SQLite; the settings `write_cache_mib` and `read_cache_mib`).
    pub async fn open_with(
        location: &StoreLocation,
        caches: PageCaches,
    ) -> Result<Self, StoreError> {
        let mut store = Self::connect(location, caches).await?;
        // The common case, a database at this binary's schema, in one round
        // trip; anything else (a new database, an older or newer one) takes
        // the long way.
        let latest = store.migrator().iter().map(|m| m.version).max();
        let current: Result<(Option<i64>, String), _> = sqlx::query_as(
            "SELECT (SELECT MAX(version) FROM _sqlx_migrations WHERE success), \
             (SELECT value FROM store_identity WHERE id = 1)",
        )
        .fetch_one(&store.pool)
        .await;
        if let Ok((version, identity)) = current {
            if version.is_some() && version == latest {
                store.identity = Arc::from(identity);
                return Ok(store);
            }
        }
        store.migrate(false).await?;
        store.with_identity().await
    }

    /// Runs the migrations this binary carries and reports the schema
    /// version the database is at afterwards.
    pub async fn open_and_migrate(location: &StoreLocation) -> Result<(Self, i64), StoreError> {
        let store = Self::connect(location, PageCaches::default()).await?;
        let version = store.migrate(true).await?;
        Ok((store.with_identity().await?, version))
    }

    async fn connect(location: &StoreLocation, caches: PageCaches) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        if let StoreLocation::Sqlite(path) = location {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                    path: dir.to_owned(),
                    source,
                })?;
            }
        }
        let url = location.connect_url()?;
        let (options, writer_options) = match location.backend() {
            Backend::Sqlite => (
                sqlite_pool(4, caches.read_mib.saturating_mul(1024)),
                Some(sqlite_pool(1, caches.write_mib.saturating_mul(1024))),
            ),
            Backend::Postgres => (
                AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(30)),
                None,
            ),
        };
        let open_error = |source| StoreError::Open {
            location: location.to_string(),
            source,
        };
        // A long statement (reading every thread row of a large archive)
        // is expected work, not something to warn the person at the
        // terminal about: sqlx's slow-statement notes go to debug.
        let connect_options = AnyConnectOptions::from_str(&url)
            .map_err(open_error)?
            .log_slow_statements(log::LevelFilter::Debug, Duration::from_secs(1));
        let pool = options
            .connect_with(connect_options.clone())
            .await
            .map_err(open_error)?;
        let writer = match writer_options {
            Some(options) => options
                .connect_with(connect_options)
                .await
                .map_err(open_error)?,
            None => pool.clone(),
        };
        Ok(Self {
            writer,
            pool,
            location: Arc::new(location.clone()),
            identity: Arc::from(""),
            wrote: Arc::new(AtomicBool::new(false)),
            raw_keys: Arc::new(Vec::new()),
            chain_key: None,
            log_copier: crate::log_copy::LogCopier::default(),
        })
    }

    async fn with_identity(mut self) -> Result<Self, StoreError> {
        let value: String = sqlx::query_scalar("SELECT value FROM store_identity WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .during("reading the archive's identity")?;
        self.identity = Arc::from(value);
        Ok(self)
    }

    /// Gives the store the keys sealed raw bytes are opened with.
    /// Authenticates chain entries with `key` from now on, and verifies
    /// entries made with it.
    pub fn with_chain_key(mut self, key: Option<crate::chain::ChainKey>) -> Self {
        self.chain_key = key.map(Arc::new);
        self
    }

    pub fn with_raw_keys(mut self, keys: Vec<crate::raw::RawKey>) -> Self {
        self.raw_keys = Arc::new(keys);
        self
    }

    pub fn backend(&self) -> Backend {
        self.location.backend()
    }

    pub fn location(&self) -> &StoreLocation {
        &self.location
    }

    /// A random name the database got when it was created: what a search
    /// index records, so an index built from another archive is not trusted.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    fn migrator(&self) -> &'static Migrator {
        match self.backend() {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        }
    }

    /// Brings the schema up to date. The common case, a database already at
    /// this binary's version, costs one query; a database written by a newer
    /// Casebook is refused rather than misread.
    async fn migrate(&self, always: bool) -> Result<i64, StoreError> {
        let migrator = self.migrator();
        let latest = migrator.iter().map(|m| m.version).max().unwrap_or(0);
        let applied: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await
                .unwrap_or(None);
        match applied {
            Some(v) if v > latest => Err(StoreError::TooNew {
                location: self.location.to_string(),
                found: v,
                known: latest,
            }),
            Some(v) if v == latest && !always => Ok(v),
            _ => {
                // PostgreSQL: sqlx holds an advisory lock while migrating.
                // SQLite has none, so two processes opening a new archive
                // at once would both create its tables: a lock file next
                // to the database makes them take turns.
                match &*self.location {
                    StoreLocation::Sqlite(path) => {
                        let _turn = lock_file(path).await?;
                        self.migrate_sqlite(migrator).await?;
                    }
                    StoreLocation::Postgres(_) => migrator.run(&self.pool).await?,
                }
                Ok(latest)
            }
        }
    }

    /// SQLite: runs the migrations with foreign keys off, as SQLite's
    /// procedure for rebuilding a table asks (the switch is ignored inside
    /// a transaction, and each migration is one), on a connection that
    /// never returns to the pool; then checks every foreign key, so a
    /// migration cannot leave a reference to nothing behind.
    async fn migrate_sqlite(&self, migrator: &Migrator) -> Result<(), StoreError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .during("connecting to migrate")?
            .detach();
        conn.execute("PRAGMA foreign_keys = OFF")
            .await
            .during("turning foreign keys off to migrate")?;
        migrator.run(&mut conn).await?;
        let broken: Vec<String> =
            sqlx::query_scalar("SELECT \"table\" FROM pragma_foreign_key_check")
                .fetch_all(&mut conn)
                .await
                .during("checking foreign keys after migrating")?;
        let _ = conn.close().await;
        match broken.first() {
            None => Ok(()),
            Some(table) => Err(StoreError::BrokenReferences {
                location: self.location.to_string(),
                table: table.clone(),
                count: broken.len(),
            }),
        }
    }

    /// Starts a write transaction holding the next change number. Taking
    /// the number is the transaction's first statement and locks the
    /// counter's row until commit: writers, from any process, go one at a
    /// time, and change numbers become visible in order.
    pub(crate) async fn begin_write(&self) -> Result<(Transaction<'static, Any>, i64), StoreError> {
        let (tx, seq, _) = self.begin_counted_write().await?;
        Ok((tx, seq))
    }

    /// [`Store::begin_write`], also giving the transaction's count of
    /// writes (what new rows record as their `state_write`).
    pub(crate) async fn begin_counted_write(
        &self,
    ) -> Result<(Transaction<'static, Any>, i64, i64), StoreError> {
        let mut tx = self.writer.begin().await.during("starting a transaction")?;
        self.wrote.store(true, Ordering::Relaxed);
        let (seq, writes) = sqlx::query_as(
            "UPDATE change_counter SET value = value + 1, writes = writes + 1 WHERE id = 1 \
             RETURNING value, writes",
        )
        .fetch_one(&mut *tx)
        .await
        .during("taking a change number")?;
        Ok((tx, seq, writes))
    }

    /// Starts a write transaction that takes its turn with the others
    /// (the counter's row is locked until commit, as by
    /// [`Store::begin_write`]) but uses no change number: for writes no
    /// reader follows by number (threads and reply pairs, which the search
    /// index does not hold), so they leave every index's checkpoint current.
    /// They count in [`Store::writes`].
    pub(crate) async fn begin_write_unnumbered(
        &self,
    ) -> Result<Transaction<'static, Any>, StoreError> {
        self.begin_turn("UPDATE change_counter SET writes = writes + 1 WHERE id = 1")
            .await
    }

    /// [`Store::begin_write_unnumbered`] for a write that changes customer
    /// lists: it also becomes the lists' last change
    /// ([`crate::FilterMarks::lists`]), so every kept customer set is read
    /// again.
    pub(crate) async fn begin_list_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        self.begin_turn(
            "UPDATE change_counter SET writes = writes + 1, lists_write = writes + 1 WHERE id = 1",
        )
        .await
    }

    /// Starts a write transaction that takes its turn with the others but
    /// changes nothing any reader keeps (login bookkeeping): not counted in
    /// [`Store::writes`], so a flood of logins does not make every search
    /// read its filters' sets again.
    pub(crate) async fn begin_bookkeeping(&self) -> Result<Transaction<'static, Any>, StoreError> {
        self.begin_turn("UPDATE change_counter SET value = value WHERE id = 1")
            .await
    }

    /// A transaction whose first statement, `lock`, updates the counter's
    /// row and so waits for the writers before it.
    async fn begin_turn(
        &self,
        lock: &'static str,
    ) -> Result<Transaction<'static, Any>, StoreError> {
        let mut tx = self.writer.begin().await.during("starting a transaction")?;
        self.wrote.store(true, Ordering::Relaxed);
        sqlx::query(lock)
            .execute(&mut *tx)
            .await
            .during("waiting for other writers")?;
        Ok(tx)
    }

    /// How many write transactions that change what readers keep (numbered
    /// or not) the store has committed: while it stays the same, nothing a
    /// filter reads from the store (reply pairs, threads, customer lists)
    /// has changed.
    pub async fn writes(&self) -> Result<u64, StoreError> {
        self.counter("SELECT writes FROM change_counter WHERE id = 1")
            .await
    }

    pub(crate) fn note_write(&self) {
        self.wrote.store(true, Ordering::Relaxed);
    }

    /// The store's latest change number.
    pub async fn current_seq(&self) -> Result<u64, StoreError> {
        self.counter("SELECT value FROM change_counter WHERE id = 1")
            .await
    }

    /// One column of the counter's row.
    async fn counter(&self, select: &'static str) -> Result<u64, StoreError> {
        sqlx::query_scalar::<_, i64>(select)
            .fetch_one(&self.pool)
            .await
            .during("reading the change counter")
            .map(|v| v as u64)
    }

    /// Closes every connection. SQLite: folds the write-ahead log into the
    /// database first, so readers that come after find a small WAL instead
    /// of scanning what the last import left; a process that only read has
    /// nothing to fold in and skips it.
    pub async fn close(&self) -> Result<(), StoreError> {
        if self.wrote.load(Ordering::Relaxed) {
            self.log_copied().await;
            self.fold_log().await?;
        }
        self.writer.close().await;
        self.pool.close().await;
        Ok(())
    }

    /// SQLite: waits for the copy of the write-ahead log into the database
    /// that a stored batch started beside the writer, if one runs.
    pub async fn log_copied(&self) {
        self.log_copier.finished().await;
    }

    /// SQLite: folds the write-ahead log into the database and empties it
    /// (after an erasure, the log would otherwise still hold old pages).
    pub(crate) async fn fold_log(&self) -> Result<(), StoreError> {
        if self.backend() == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await
                .during("checkpointing the write-ahead log")?;
        }
        Ok(())
    }
}

/// The page cache of each of the four reading connections unless the
/// caller says otherwise (`read_cache_mib`; SQLite's default is 2 MiB).
/// Importing a million messages with four connections that all wrote, in
/// turn: 32 MiB 295 s and 518 MB at the peak, 16 MiB 308 s and 394 MB,
/// 8 MiB (with a 64 MiB index budget) 464 s and 358 MB. Reading a whole
/// archive back (the index's catch-up after an import) fills all four.
pub const DEFAULT_READER_CACHE_MIB: u32 = 16;

/// The page cache of the one writing connection unless the caller says
/// otherwise (`write_cache_mib`). A batch of 512 messages puts entries at
/// random places in the indexes of digests, Message-IDs, link keys and
/// addresses (about 190 MB of leaves at a million), and every leaf not
/// cached is read back from the file first. Importing the compact million
/// (BENCHMARKS.md, session 20): 16 MiB 336.5 s and 219,276 KiB at the
/// peak, 64 MiB 297.4 s and 251,916 KiB.
pub const DEFAULT_WRITER_CACHE_MIB: u32 = 64;

/// MiB of database pages SQLite's connections keep: the one that writes,
/// and each of the four that read (PostgreSQL keeps its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCaches {
    pub write_mib: u32,
    pub read_mib: u32,
}

impl Default for PageCaches {
    fn default() -> Self {
        PageCaches {
            write_mib: DEFAULT_WRITER_CACHE_MIB,
            read_mib: DEFAULT_READER_CACHE_MIB,
        }
    }
}

/// A pool of SQLite connections, at most `connections`, each set up the
/// same way with a page cache of `cache_kib`.
fn sqlite_pool(connections: u32, cache_kib: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(connections)
        // A connection to a file in this process cannot have gone away:
        // sqlx's ping before each use was a round trip to the
        // connection's thread for every statement (4 % of a loaded
        // server's time on the search page).
        .test_before_acquire(false)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                let cache = format!("PRAGMA cache_size = -{cache_kib}");
                for pragma in [
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA synchronous = NORMAL",
                    "PRAGMA foreign_keys = ON",
                    // Deleted content is overwritten, so an
                    // erased person's mail is not left in free
                    // pages for a later copy of the file.
                    "PRAGMA secure_delete = ON",
                    "PRAGMA busy_timeout = 30000",
                    // Statement journals (every multi-row
                    // statement inside a transaction keeps one)
                    // in memory, not in a temp file written
                    // page by page.
                    "PRAGMA temp_store = MEMORY",
                    cache.as_str(),
                    // The log is copied into the database
                    // once it holds 16,384 pages (64 MiB), not
                    // SQLite's 1,000: a batch dirties pages all
                    // over the indexes of message ids, digests
                    // and addresses, and each copy rewrote them
                    // in place, one random write each, batch
                    // after batch. Importing 100,000 messages:
                    // 3.1 GB written and 27.7-38.6 s at 1,000
                    // pages, 2.1 GB and 23.1 s at 16,384
                    // (65,536: 1.9 GB, 25.8 s).
                    "PRAGMA wal_autocheckpoint = 16384",
                ] {
                    conn.execute(pragma).await?;
                }
                Ok(())
            })
        })
}

/// Takes `PATH.lock` for this process; released when the file is dropped.
async fn lock_file(path: &Path) -> Result<std::fs::File, StoreError> {
    let lock_path = path.with_extension("db.lock");
    let fail = |source| StoreError::Lock {
        path: lock_path.clone(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(fail)?;
    tokio::task::spawn_blocking(move || file.lock().map(|()| file))
        .await
        .map_err(|e| fail(std::io::Error::other(e)))?
        .map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_database_has_its_own_identity() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = Store::open_sqlite(&dir.path().join("a.db"))
            .await
            .expect("a");
        let b = Store::open_sqlite(&dir.path().join("b.db"))
            .await
            .expect("b");
        assert_eq!(a.identity().len(), 32);
        assert_ne!(a.identity(), b.identity());
        let again = Store::open_sqlite(&dir.path().join("a.db"))
            .await
            .expect("a again");
        assert_eq!(a.identity(), again.identity());
    }
}

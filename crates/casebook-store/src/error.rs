use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {location}: {source}")]
    Open {
        location: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot create the data folder {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot take the lock file {} to set up the database: {source}", path.display())]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the database {location} has schema version {found}, newer than this casebook knows ({known}); upgrade casebook")]
    TooNew {
        location: String,
        found: i64,
        known: i64,
    },
    #[error("the database URL {url} is not usable: {reason}")]
    BadUrl { url: String, reason: &'static str },
    #[error("the database {location} already holds an archive; migrate-store copies into an empty database only (create a new one, or drop this one's tables)")]
    TargetNotEmpty { location: String },
    #[error("the copy does not match its source: {what}; the target is incomplete, drop it and copy again")]
    CopyMismatch { what: String },
    #[error("the archive's kept {what} disagree with its totals; `casebook check --repair` counts them again")]
    TotalsDisagree { what: &'static str },
    #[error("after bringing the schema of {location} up to date, {count} rows of {table} (and perhaps other tables) refer to rows that do not exist; the migration changed no data: report it, and keep the backup you took before upgrading")]
    BrokenReferences {
        location: String,
        table: String,
        count: usize,
    },
    #[error("cannot bring the database schema up to date: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error while {action}: {source}")]
    Query {
        action: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("the raw bytes of message {id} cannot be decompressed: {source}; `casebook check` lists damaged messages")]
    CorruptRaw {
        id: i64,
        #[source]
        source: std::io::Error,
    },
    #[error("the raw bytes of message {id} are encrypted with key {fingerprint}, which casebook was not given; set encryption_key_file to that key (`casebook rekey` moves every message to one key)")]
    NoKey { id: i64, fingerprint: String },
    #[error("the raw bytes of message {id} no longer match the SHA-256 they were stored with: they were changed after storing; `casebook check` lists damaged messages, a backup or the original file (imported again) restores them")]
    RawMismatch { id: i64 },
    #[error("the raw bytes of message {id} fail their authentication check: they were changed, or the key is wrong")]
    Tampered { id: i64 },
    #[error("{location} is a PostgreSQL archive: back it up with `pg_dump -Fc` (and restore with `pg_restore`), or copy it with `casebook migrate-store` into a SQLite file")]
    BackupElsewhere { location: String },
    #[error("no randomness from the system: {0}")]
    Random(String),
    #[error("cannot compress a message: {0}")]
    Compress(#[source] std::io::Error),
}

impl StoreError {
    /// Whether the database failed for want of disk space, told by its
    /// error code (SQLite's `SQLITE_FULL`, PostgreSQL's `disk_full` class)
    /// or by the system's, never by the message's words.
    pub fn is_disk_full(&self) -> bool {
        match self {
            Self::Open { source, .. } | Self::Query { source, .. } => sqlx_disk_full(source),
            Self::Migrate(
                sqlx::migrate::MigrateError::Execute(source)
                | sqlx::migrate::MigrateError::ExecuteMigration(source, _),
            ) => sqlx_disk_full(source),
            Self::CreateDir { source, .. } | Self::Lock { source, .. } | Self::Compress(source) => {
                io_disk_full(source)
            }
            _ => false,
        }
    }
}

/// SQLite's result code for a full disk.
const SQLITE_FULL: &str = "13";
/// PostgreSQL's SQLSTATE class for insufficient resources that mean a
/// full disk (`disk_full`; `53000` is the class as a whole).
const POSTGRES_DISK_FULL: &str = "53100";

fn sqlx_disk_full(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code == SQLITE_FULL || code == POSTGRES_DISK_FULL),
        sqlx::Error::Io(io) => io_disk_full(io),
        _ => false,
    }
}

/// The system's "no space left on device".
pub fn io_disk_full(error: &std::io::Error) -> bool {
    const ENOSPC: i32 = 28;
    error.kind() == std::io::ErrorKind::StorageFull || error.raw_os_error() == Some(ENOSPC)
}

/// Names what the store was doing when the database failed.
pub(crate) trait During<T> {
    fn during(self, action: &'static str) -> Result<T, StoreError>;
}

impl<T> During<T> for Result<T, sqlx::Error> {
    fn during(self, action: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Query { action, source })
    }
}

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot create the data folder {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the database {} has schema version {found}, newer than this casebook knows ({known}); upgrade casebook", path.display())]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
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
    #[error("cannot compress a message: {0}")]
    Compress(#[source] std::io::Error),
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

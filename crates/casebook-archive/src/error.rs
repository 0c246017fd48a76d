#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error(transparent)]
    Store(#[from] casebook_store::StoreError),
    #[error("--from and --to name the same database {0}; copy into a new, empty one")]
    SameStore(String),
    #[error(transparent)]
    Search(#[from] casebook_search::SearchError),
    #[error("cannot parse the query {query:?} {source}")]
    Query {
        query: String,
        #[source]
        source: casebook_search::QueryError,
    },
    #[error(transparent)]
    Imap(#[from] casebook_imap::ImapError),
    #[error("{}", match name {
        Some(n) => format!("there is no account {n:?} in the config; `casebook accounts` lists them"),
        None => "the config has no [[account]]; see config/casebook.example.toml".to_owned(),
    })]
    NoAccount { name: Option<String> },
    #[error("the import pipeline stopped: {0}")]
    Pipeline(String),
}

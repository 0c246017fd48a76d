#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error(transparent)]
    Store(#[from] casebook_store::StoreError),
    #[error("--from and --to name the same database {0}; copy into a new, empty one")]
    SameStore(String),
    #[error(transparent)]
    Config(#[from] crate::ConfigError),
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
    #[error("there is already a user {0:?}; `casebook user list` shows them")]
    UserExists(String),
    #[error("there is no user {0:?}; `casebook user list` shows them")]
    UnknownUser(String),
    #[error("the user name {0:?} is not usable: use 1 to 64 letters, digits or . _ - @")]
    BadUserName(String),
    #[error("the password is too short: use at least {0} characters (a passphrase of a few words is easy to type and hard to guess)")]
    WeakPassword(usize),
    #[error("{0:?} is not a tag: use 1 to 64 letters, digits or - _ . /")]
    BadTag(String),
    #[error("{0}")]
    Testimonial(String),
    #[error("{0}")]
    Privacy(String),
    #[error("{0}")]
    Customers(String),
    #[error("{0}")]
    Backup(String),
    #[error("cannot hash a password: {0}")]
    PasswordHash(String),
    #[error("the import pipeline stopped: {0}")]
    Pipeline(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error(transparent)]
    Store(#[from] casebook_store::StoreError),
    #[error("--from and --to name the same database {0}; copy into a new, empty one")]
    SameStore(String),
    #[error(transparent)]
    Config(#[from] casebook_config::ConfigError),
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
    /// What was asked cannot be done as asked; the message says why and
    /// what to do instead.
    #[error("{0}")]
    Refused(String),
    /// What was asked about is not there; the message says how to list
    /// what is.
    #[error("{0}")]
    NotFound(String),
    /// It clashes with what is already recorded.
    #[error("{0}")]
    Conflict(String),
    #[error("cannot {action} {}: {source}", path.display())]
    File {
        action: &'static str,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no randomness from the system: {0}")]
    NoRandomness(String),
    #[error("{}", key_mismatch(archive, given))]
    KeyMismatch { archive: String, given: String },
    #[error("cannot hash a password: {0}")]
    PasswordHash(String),
    #[error("the import pipeline stopped: {0}")]
    Pipeline(String),
    #[error("the disk holding {} is full ({detail})", path.display())]
    DiskFull {
        path: std::path::PathBuf,
        detail: String,
    },
}

/// What to do when the config's key is not the archive's.
fn key_mismatch(archive: &str, given: &str) -> String {
    format!(
        "the archive's raw mail is {archive}, but this config gives {given}; an archive keeps one key at a time, so no mail is stored. Set encryption_key_file to the archive's key, or move the archive first with `casebook rekey` (to the config's key) or `casebook rekey --decrypt`"
    )
}

/// What kind of failure an error is, for whoever answers the person who
/// asked: each kind has one answer (in the web: one status code), so no
/// caller sorts errors by feature or by text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request itself is wrong or not allowed as asked: say why; asking
    /// again the same way fails again.
    Invalid,
    /// What it names is not there.
    NotFound,
    /// It clashes with what is already recorded.
    Conflict,
    /// A resource is out (a full disk, the index busy in another
    /// process): the same request may work later.
    Unavailable,
    /// A fault of the archive, its store or a server it talks to: logged
    /// for whoever runs it; the person asking is told only that it failed.
    Failed,
}

impl ArchiveError {
    pub fn kind(&self) -> ErrorKind {
        use ArchiveError as E;
        if self.is_disk_full() {
            return ErrorKind::Unavailable;
        }
        match self {
            E::Query { .. }
            | E::Config(_)
            | E::SameStore(_)
            | E::BadUserName(_)
            | E::WeakPassword(_)
            | E::BadTag(_)
            | E::Refused(_) => ErrorKind::Invalid,
            E::NoAccount { .. } | E::UnknownUser(_) | E::NotFound(_) => ErrorKind::NotFound,
            E::UserExists(_) | E::KeyMismatch { .. } | E::Conflict(_) => ErrorKind::Conflict,
            E::Search(casebook_search::SearchError::Locked(_)) | E::DiskFull { .. } => {
                ErrorKind::Unavailable
            }
            E::Store(_)
            | E::Search(_)
            | E::Imap(_)
            | E::File { .. }
            | E::NoRandomness(_)
            | E::PasswordHash(_)
            | E::Pipeline(_) => ErrorKind::Failed,
        }
    }

    /// Whether this failed because a disk is full (see [`is_disk_full`]).
    pub fn is_disk_full(&self) -> bool {
        is_disk_full(self)
    }
}

/// Whether an error or one of its causes is a full disk: the system's
/// ENOSPC (the index, a data file), SQLite's SQLITE_FULL or PostgreSQL's
/// `disk_full`, each told by its code.
pub fn is_disk_full(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        // (A transparent variant's `source` is its inner error's source,
        // so the store's error is asked through the archive's.)
        let full = if let Some(archive) = e.downcast_ref::<ArchiveError>() {
            match archive {
                ArchiveError::DiskFull { .. } => true,
                ArchiveError::Store(store) => store.is_disk_full(),
                _ => false,
            }
        } else if let Some(store) = e.downcast_ref::<casebook_store::StoreError>() {
            store.is_disk_full()
        } else if let Some(io) = e.downcast_ref::<std::io::Error>() {
            casebook_store::io_disk_full(io)
        } else {
            false
        };
        if full {
            return true;
        }
        next = e.source();
    }
    false
}

/// Whether `dir` has room for a little more: the index library reports a
/// full disk only as a failed worker, so a failure there is followed by
/// this probe.
pub(crate) fn has_room(dir: &std::path::Path) -> bool {
    use std::io::Write;
    let probe = dir.join(".casebook-space-probe");
    let written = std::fs::File::create(&probe).and_then(|mut f| {
        f.write_all(&[0u8; 1 << 20])?;
        f.sync_all()
    });
    let _ = std::fs::remove_file(&probe);
    !matches!(written, Err(e) if casebook_store::io_disk_full(&e))
}

impl From<casebook_credentials::CredentialError> for ArchiveError {
    fn from(e: casebook_credentials::CredentialError) -> Self {
        use casebook_credentials::CredentialError as C;
        match e {
            C::WeakPassword(chars) => Self::WeakPassword(chars),
            C::NoRandomness(why) => Self::NoRandomness(why),
            C::Hash(why) => Self::PasswordHash(why),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_error(kind: std::io::ErrorKind) -> ArchiveError {
        ArchiveError::File {
            action: "write",
            path: "/srv/export/person.json".into(),
            source: std::io::Error::from(kind),
        }
    }

    /// A full disk is a resource out whatever wrote to it; a file that
    /// cannot be written for another reason is a fault; what a person
    /// typed wrong is theirs to fix, and says what it was.
    #[test]
    fn each_error_has_the_kind_its_answer_needs() {
        assert_eq!(
            file_error(std::io::ErrorKind::StorageFull).kind(),
            ErrorKind::Unavailable
        );
        let denied = file_error(std::io::ErrorKind::PermissionDenied);
        assert_eq!(denied.kind(), ErrorKind::Failed);
        assert!(
            denied
                .to_string()
                .starts_with("cannot write /srv/export/person.json: "),
            "{denied}"
        );
        assert_eq!(
            ArchiveError::BadTag("a b".into()).kind(),
            ErrorKind::Invalid
        );
        assert_eq!(
            ArchiveError::UnknownUser("ann".into()).kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            ArchiveError::UserExists("ann".into()).kind(),
            ErrorKind::Conflict
        );
    }
}

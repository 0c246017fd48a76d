//! Where the archive's database lives, from a URL or a path.

use crate::StoreError;
use std::fmt;
use std::path::{Path, PathBuf};

/// The two backends. SQL that differs between them is chosen by this, next
/// to the other version, in the store's own modules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A database: an SQLite file (the embedded default) or a PostgreSQL URL.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreLocation {
    Sqlite(PathBuf),
    Postgres(String),
}

impl StoreLocation {
    /// Reads `sqlite://PATH`, `sqlite:PATH`, `postgres://…` or
    /// `postgresql://…`.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let url = url.trim();
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(StoreError::BadUrl {
                    url: url.to_owned(),
                    reason: "it names no file; write sqlite:///path/to/casebook.db",
                });
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        Err(StoreError::BadUrl {
            url: redact(url),
            reason: "a database URL starts with sqlite:// or postgres://",
        })
    }

    pub fn sqlite(path: &Path) -> Self {
        Self::Sqlite(path.to_owned())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// The URL sqlx connects with. SQLite paths become absolute and
    /// percent-encoded, and the file is created if missing.
    pub(crate) fn connect_url(&self) -> Result<String, StoreError> {
        match self {
            Self::Postgres(url) => Ok(url.clone()),
            Self::Sqlite(path) => {
                let absolute =
                    std::path::absolute(path).map_err(|source| StoreError::CreateDir {
                        path: path.clone(),
                        source,
                    })?;
                let text = absolute.to_str().ok_or_else(|| StoreError::BadUrl {
                    url: absolute.display().to_string(),
                    reason: "the path is not valid UTF-8; choose a data folder with a UTF-8 name",
                })?;
                Ok(format!("sqlite://{}?mode=rwc", percent_encode(text)))
            }
        }
    }
}

/// Shows the location without a password.
impl fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "{}", path.display()),
            Self::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

impl fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreLocation({self})")
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'-' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_the_backend() {
        assert_eq!(
            StoreLocation::parse("sqlite:///var/lib/casebook/casebook.db").expect("valid"),
            StoreLocation::Sqlite(PathBuf::from("/var/lib/casebook/casebook.db"))
        );
        assert_eq!(
            StoreLocation::parse("sqlite:data/casebook.db").expect("valid"),
            StoreLocation::Sqlite(PathBuf::from("data/casebook.db"))
        );
        assert_eq!(
            StoreLocation::parse("postgresql://u@db.internal/casebook")
                .expect("valid")
                .backend(),
            Backend::Postgres
        );
    }

    #[test]
    fn a_bad_url_is_named_without_its_password() {
        let err =
            StoreLocation::parse("mysql://casebook:hunter2@db/casebook").expect_err("refused");
        let text = err.to_string();
        assert!(text.contains("mysql://casebook:***@db/casebook"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("sqlite:// or postgres://"), "{text}");
    }

    #[test]
    fn a_postgres_location_shows_no_password() {
        let loc =
            StoreLocation::parse("postgres://casebook:hunter2@127.0.0.1:5432/cb").expect("valid");
        assert_eq!(loc.to_string(), "postgres://casebook:***@127.0.0.1:5432/cb");
    }

    #[test]
    fn sqlite_paths_are_encoded_for_the_driver() {
        let loc = StoreLocation::sqlite(Path::new("/tmp/my data/#1/casebook.db"));
        assert_eq!(
            loc.connect_url().expect("valid"),
            "sqlite:///tmp/my%20data/%231/casebook.db?mode=rwc"
        );
    }
}

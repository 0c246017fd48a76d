use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("cannot connect to {host}:{port}: {source}")]
    Connect {
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("{host} is not a loopback address, and security = \"plain\" would send the password in clear; use \"tls\" or \"starttls\"")]
    PlainRefused { host: String },
    #[error("TLS with {host} failed: {reason}; if the server uses a company certificate, set ca_file to its CA")]
    Tls { host: String, reason: String },
    #[error("cannot read the CA file {path}: {reason}")]
    CaFile { path: String, reason: String },
    #[error("the server refused the login of {user}: {reason}")]
    Login { user: String, reason: String },
    #[error("the server did not answer within {} s while {what}", timeout.as_secs())]
    Timeout { what: String, timeout: Duration },
    #[error("IMAP error while {what}: {source}")]
    Protocol {
        what: String,
        #[source]
        source: async_imap::error::Error,
    },
    #[error("folder {folder:?} has no UIDVALIDITY; the server cannot be synced incrementally")]
    NoUidValidity { folder: String },
}

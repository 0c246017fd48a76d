//! Reads mail from an IMAP server and never changes anything on it:
//! folders are opened with EXAMINE (read-only) and messages fetched with
//! `BODY.PEEK[]`, so nothing is marked read, moved or deleted.
//!
//! TLS (implicit or STARTTLS) uses rustls with the system's roots plus an
//! optional CA file; plain connections are refused unless the server is on
//! a loopback address. Every network step has a timeout.
//!
//! ```no_run
//! # async fn demo() -> Result<(), casebook_imap::ImapError> {
//! use casebook_imap::{connect, Login, Security, Server};
//! let server = Server::new("imap.example.com", 993, Security::Tls);
//! let login = Login::Password { user: "support".into(), password: "secret".into() };
//! let mut session = connect(&server, &login).await?;
//! let status = session.examine("INBOX").await?;
//! let sizes = session.uid_sizes(1).await?;
//! session.fetch(&sizes.iter().map(|s| s.0).collect::<Vec<_>>(), &mut |uid, bytes| {
//!     println!("{uid}: {} bytes (uidvalidity {})", bytes.len(), status.uid_validity);
//! }).await?;
//! # Ok(()) }
//! ```
//!
//! Architecture invariant: no SQL, no parsing of messages, no knowledge of
//! the archive; it hands raw bytes with their UID to its caller.

mod connect;
mod error;
mod session;

pub use connect::{connect, Login, OAuthMechanism, Security, Server};
pub use error::ImapError;
pub use session::{Folder, FolderStatus, ImapSession};

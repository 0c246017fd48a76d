//! Finds mail on disk and reads it out message by message, with the place
//! each message was found: Maildir folders (Dovecot's `.Sent` style
//! subfolders read as folder `Sent`), mbox files, single `.eml` files and
//! folders of them.
//!
//! ```no_run
//! for source in casebook_mailbox::discover(std::path::Path::new("/var/mail/support")).unwrap() {
//!     source.read(&mut |item| match item {
//!         Ok(found) => println!("{} in {}: {} bytes", found.location.source, found.location.folder, found.bytes.len()),
//!         Err(e) => eprintln!("{e}"),
//!     });
//! }
//! ```
//!
//! Architecture invariant: this crate reads files and never writes; it does
//! not parse messages beyond finding where one ends and the next begins.

mod discover;
mod mbox;

pub use discover::{discover, Source, SourceKind};
pub use mbox::split_mbox;

use std::path::PathBuf;

/// Where a message was seen: the file (for mbox, the file and the message's
/// position in it) and the folder name a person would use.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    pub source: String,
    pub folder: String,
}

/// One message's bytes as they were on disk.
#[derive(Debug, Clone)]
pub struct FoundMessage {
    pub location: Location,
    pub bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The message names no path: [`SourceError::path`] gives it.
    #[error("a Maildir tmp/ file: a delivery that never finished, so it is not taken in; if it is whole mail, move it to new/ and import again")]
    Unfinished { path: PathBuf },
    #[error("{} does not exist; give a Maildir folder, an mbox file, an .eml file or a folder of them", path.display())]
    Missing { path: PathBuf },
}

impl SourceError {
    /// The file or folder the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Self::Read { path, .. } | Self::Unfinished { path } | Self::Missing { path } => path,
        }
    }
}

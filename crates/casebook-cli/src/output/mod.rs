//! How results look: plain text for people, JSON for scripts. A
//! message's JSON is `casebook_archive::view`'s (the API and a person's
//! export write the same); the other shapes are defined here, at the
//! edge. One module per command group, the text and JSON renderers of one
//! view side by side.

use casebook_archive::MessageSummary;

/// Standard output for a command's results. A write its reader refused
/// because it went away (`casebook list | head`) is marked
/// ([`ReaderGone`]), so that it, and no other broken pipe (an IMAP
/// server's closed socket), ends the command quietly.
pub struct Stdout(std::io::StdoutLock<'static>);

/// Standard output, locked for this command.
pub fn stdout() -> Stdout {
    Stdout(std::io::stdout().lock())
}

/// The reader of standard output went away.
#[derive(Debug)]
pub struct ReaderGone;

impl std::fmt::Display for ReaderGone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the reader of standard output went away")
    }
}

impl std::error::Error for ReaderGone {}

fn mark_reader_gone(e: std::io::Error) -> std::io::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::io::Error::new(std::io::ErrorKind::BrokenPipe, ReaderGone)
    } else {
        e
    }
}

impl std::io::Write for Stdout {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.write(bytes).map_err(mark_reader_gone)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(mark_reader_gone)
    }
}

/// Whether `e` is a write to standard output after its reader went away.
pub fn reader_went_away(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause.is::<ReaderGone>()
            || cause
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .is_some_and(|inner| inner.is::<ReaderGone>())
    })
}

mod ingest;
mod integrity;
mod messages;
mod people;
mod stats;
mod testimonials;

pub use ingest::*;
pub use integrity::*;
pub use messages::*;
pub use people::*;
pub use stats::*;
pub use testimonials::*;

fn date_text(m: &MessageSummary) -> String {
    m.date
        .and_then(casebook_archive::view::rfc3339)
        .unwrap_or_else(|| "(no date)".to_owned())
}

fn day_text(m: &MessageSummary) -> String {
    m.date
        .map_or_else(|| "(no date)  ".to_owned(), |d| d.date().to_string())
}

/// `3h 05m`, `2d 4h`, `45s`.
pub fn duration_text(secs: i64) -> String {
    casebook_archive::view::duration_text(secs, casebook_archive::view::DurationStyle::Compact)
}

fn day(d: Option<time::OffsetDateTime>) -> String {
    d.map(|d| d.date().to_string()).unwrap_or_default()
}

/// Seconds since the epoch as an RFC 3339 time (empty if out of range).
pub fn rfc3339(at: i64) -> String {
    casebook_archive::view::rfc3339_secs(at).unwrap_or_default()
}

#[cfg(test)]
mod reader_tests {
    use super::*;
    use std::io::{Error, ErrorKind};

    /// Only standard output's reader going away is quiet: a broken pipe
    /// anywhere else (an IMAP server hanging up) is still an error.
    #[test]
    fn only_a_marked_broken_pipe_is_the_reader_going_away() {
        let socket = anyhow::Error::from(Error::from(ErrorKind::BrokenPipe)).context("syncing");
        assert!(!reader_went_away(&socket));
        let ours = anyhow::Error::from(mark_reader_gone(Error::from(ErrorKind::BrokenPipe)));
        assert!(reader_went_away(&ours.context("listing")));
        let other = mark_reader_gone(Error::from(ErrorKind::NotFound));
        assert!(!reader_went_away(&anyhow::Error::from(other)));
    }
}

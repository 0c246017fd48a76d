//! How results look: plain text for people, JSON for scripts. A
//! message's JSON is `casebook_archive::view`'s (the API and a person's
//! export write the same); the other shapes are defined here, at the
//! edge. One module per command group, the text and JSON renderers of one
//! view side by side.

use casebook_archive::MessageSummary;

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

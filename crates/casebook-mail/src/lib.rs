//! Raw message bytes to a [`ParsedMessage`]: the addresses, ids, date, subject,
//! the text a person reads, attachments and whether the mail was sent by a machine.
//!
//! Parsing never fails. Broken mail is the normal case in an archive, so
//! [`parse`] returns what could be read plus a list of [`ParseWarning`]s.
//! Only bytes that are not mail at all are refused, by [`check_is_mail`].
//!
//! ```
//! let raw = b"From: Ann <Ann@Example.COM>\r\nSubject: Re: [SIP] trunk down\r\nMessage-ID: <a1@example.com>\r\n\r\nHello\r\n";
//! let msg = casebook_mail::parse(raw);
//! assert_eq!(msg.from.unwrap().address.as_str(), "ann@example.com");
//! assert_eq!(msg.message_id.as_deref(), Some("a1@example.com"));
//! assert_eq!(casebook_mail::normalize_subject(&msg.subject).text, "trunk down");
//! ```
//!
//! Architecture invariant: this crate does no I/O and knows nothing of storage.

mod address;
mod automated;
mod compare;
mod header;
mod limits;
mod parse;
mod sniff;
mod subject;

pub use address::{EmailAddress, Mailbox};
pub use automated::AutomatedKind;
pub use compare::{compare_copies, CopyDifference};
pub use limits::{parse_within, Limits, OverLimit};
pub use parse::{
    attachment, html_body, html_own_text, parse, Attachment, ParseWarning, ParsedMessage,
};
pub use sniff::{check_is_mail, NotMail};
pub use subject::{normalize_subject, NormalizedSubject};

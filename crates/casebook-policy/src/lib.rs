//! What the company's rules ask of a text, as pure functions the archive
//! calls: [`praise`] (testimonial candidates in a customer's own words,
//! and the verbatim rule), [`privacy_request`] (unsubscribe and
//! stop-sharing requests), [`topic`] (a conversation's product topic, for
//! statistics that quote no one). No I/O and no store: the compiler
//! keeps them pure.

pub mod praise;
pub mod privacy_request;
pub mod topic;

//! The search index of the archive: a tantivy index derived from the store,
//! the query language, and snippets.
//!
//! The index holds only what search needs to find and order messages; it
//! returns message ids, and the caller reads everything else from the store.
//! It remembers which store and which of its change numbers it has caught
//! up to, so a caller can always bring it up to date after a crash.
//!
//! ```
//! use casebook_vocabulary::{Direction, MessageId};
//! use casebook_search::{parse_query, Checkpoint, IndexDoc, SearchIndex, SearchOptions, Sort};
//! let dir = tempfile::tempdir().unwrap();
//! let index = SearchIndex::open(dir.path()).unwrap();
//! let mut batch = index.batch().unwrap();
//! batch.upsert(&IndexDoc {
//!     id: MessageId(1), date: Some(1_200_000_000),
//!     direction: Direction::Inbound, from: "ann@example.com".into(), to: String::new(),
//!     subject: "SIP trunk down".into(), body: "Our trunk drops calls".into(),
//!     has_attachment: false, tags: vec!["outage".into()],
//! }).unwrap();
//! let caught_up = Checkpoint { store: "a1b2".into(), seq: 1 };
//! batch.commit(&caught_up).unwrap();
//! let found = index.search(&parse_query("trunk is:inbound tag:Outage").unwrap(), &SearchOptions::default()).unwrap();
//! assert_eq!(found.total, 1);
//! assert_eq!(found.hits[0].id, MessageId(1));
//! assert_eq!(index.checkpoint().unwrap(), Some(caught_up));
//! ```
//!
//! Architecture invariant: this crate knows nothing of SQL or of how mail
//! is parsed; the index can be deleted and rebuilt from the store at any time.

mod column_scan;
mod date_window;
mod in_flight;
mod index;
mod newest;
mod query;
mod tokenizer;
mod within;

pub use index::{
    Checkpoint, Counting, Hit, IndexBatch, IndexDoc, SearchError, SearchIndex, SearchOptions,
    SearchResults, Snippet, Sort,
};
pub use query::{normalize_tag, parse_query, Expr, QueryError, TextField};

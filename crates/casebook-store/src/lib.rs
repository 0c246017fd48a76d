//! The archive's database: every message with its raw bytes (zstd), where it
//! was seen, its thread and paired reply, and the change order the search
//! index follows. SQLite (WAL) is the embedded default; PostgreSQL serves
//! larger installs, with several processes sharing one archive. Every
//! statement is written once for both (see `sql.rs`); where they differ the
//! two versions sit side by side, chosen by [`Backend`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), casebook_store::StoreError> {
//! let store = casebook_store::Store::open_sqlite(std::path::Path::new("casebook-data/casebook.db")).await?;
//! println!("{} messages", store.counts().await?.messages);
//! # Ok(()) }
//! ```
//!
//! Architecture invariant: this crate owns every SQL statement and
//! migration, and always binds parameters; it knows nothing of IMAP, of
//! tantivy, or of how threads are worked out (it only records them).

mod audit;
mod chain;
mod check;
mod conversations;
mod copy;
mod customers;
mod decode;
mod erasure;
mod error;
mod filters;
mod imap;
mod insert;
mod location;
mod log_copy;
mod model;
mod privacy;
mod queue;
mod raw;
mod read;
mod rekey;
mod rewrites;
mod sql;
mod statistics;
mod store;
mod testimonials;
mod threads;
mod users;

pub use casebook_vocabulary::{ThreadRow, ThreadUpdate};
pub use chain::{ChainKey, ChainReport};
pub use check::{RawProblem, RowProblems};
pub use conversations::ConversationOutline;
pub use copy::CopyReport;
pub use customers::{Correction, CustomerListWrite, NewCustomerList, NewCustomerRecord};
pub use erasure::Erasure;
pub use error::{io_disk_full, StoreError};
pub use filters::FilterMarks;
pub use imap::ImapSource;
pub use insert::{Readoption, OVER_LIMIT_TAG};
pub use location::{Backend, StoreLocation};
pub use model::{
    AuditEntry, AuditSubject, CustomerList, CustomerRecordRow, DomainMatch, ErasedMessage,
    FolderRecord, FolderState, Hold, IndexRow, MarketingChoice, MessageCounts, MessageSummary,
    NewMessage, PartnerChoice, PreferenceRecord, Recipient, RecipientKind, RequestDecision, Role,
    SkippedMessage, Stated, Stored, StoredAttachment, StoredChunk, StoredMessage,
    TestimonialRecord, TestimonialState, UserRecord, Watermark,
};
pub use privacy::PreferenceChange;
pub use queue::{Changed, Waiting, WaitingFilter};
pub use raw::{compress_raw, open_raw, open_raw_unsized, CompressedRaw, RawKey, RawSeal};
pub use read::HitRow;
pub use statistics::StatSource;
pub use store::{PageCaches, Store, DEFAULT_READER_CACHE_MIB, DEFAULT_WRITER_CACHE_MIB};
pub use testimonials::NewTestimonial;
pub use threads::Rethreading;
pub use users::{LoginLimits, LoginTurn};

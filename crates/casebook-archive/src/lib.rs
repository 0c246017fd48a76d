//! The application layer of Casebook: the only crate that knows both the
//! store and the index. It runs the ingest pipeline (source → parse →
//! store → index), works out threads and reply pairs, answers searches
//! with snippets, and reports statistics.
//!
//! ```no_run
//! # async fn demo() -> Result<(), casebook_archive::ArchiveError> {
//! use casebook_archive::{Archive, SearchRequest};
//! use casebook_config::Config;
//! let archive = Archive::open(std::path::Path::new("casebook-data"), Config::default()).await?;
//! archive.import(&["/var/mail/support".into()], &casebook_archive::NoProgress).await?;
//! let page = archive.search(&SearchRequest::new("voicemail is:unanswered")).await?;
//! println!("{} found", page.total);
//! # Ok(()) }
//! ```
//!
//! Architecture invariant: no SQL and no tantivy types here; storage goes
//! through `casebook-store`, search through `casebook-search`.

mod access;
mod aggregate;
mod audit;
mod check;
mod conversations;
mod customers;
mod erasure;
mod error;
mod filter_sets;
mod import;
mod kept_aggregate;
mod kept_file;
mod kept_statistics;
mod kept_threads;
mod kept_waiting;
mod migrate;
mod privacy;
mod queue;
mod read;
mod settle;
mod similar;
mod sync;
mod testimonials;
mod users;
pub mod view;
mod watch;

pub use access::AccessReport;
pub use aggregate::{AggregateStats, StatCell, RESPONSE_SPANS};
pub use casebook_conversations::threading;
pub use casebook_customers::{ColumnChoice, RowProblem};
pub use casebook_policy::privacy_request::RequestKind;
pub use casebook_policy::{praise, privacy_request, topic};
pub use check::{CheckOptions, CheckReport, Integrity, BACKUP_FILE, QUARANTINE_TAG};
pub use conversations::{
    ConversationCustomer, ConversationHit, ConversationPage, ConversationState, GROUPED_HITS,
};
pub use customers::{
    matches_csv, CustomerImport, CustomerImportReport, CustomerMatch, Customers, MatchKind,
    MatchReport, PartnerExport, PersonSuggestion,
};
pub use erasure::ErasureReport;
pub use error::{is_disk_full, ArchiveError, ErrorKind};
pub use import::{ImportFailure, ImportProgress, ImportReport, NoProgress};
pub use migrate::{migrate, migrate_store};
pub use privacy::{PersonPrivacy, Privacy, PrivacyOutcome, PrivacyRequest, PrivacyUpdate};
pub use queue::{QueueEntry, QueuePage, QueueRequest};
pub use read::{MessageInContext, SearchHit, SearchPage, SearchRequest, Stats, COUNTED_MATCHES};
pub use similar::SimilarConversation;
pub use sync::{AccountError, FolderSync, LogProgress, SyncProgress};
pub use testimonials::{
    last_second_of, Approval, Consent, PublishedTestimonial, Suggestion, TestimonialFilter,
    TestimonialView, Testimonials, TESTIMONIAL_TAG,
};
pub use users::{Locked, Login, Session, User, Users, SESSION_SECS};
pub use watch::WatchEvent;

pub use casebook_mail::CopyDifference;
pub use casebook_search::{Counting, QueryError, Snippet, Sort};
pub use casebook_store::{
    AuditEntry, Backend, CopyReport, Correction, CustomerList, CustomerRecordRow, FolderRecord,
    Hold, MarketingChoice, MessageCounts, MessageSummary, PartnerChoice, PreferenceRecord, RawKey,
    Recipient, RecipientKind, Role, Stated, StoreLocation, StoredAttachment, StoredMessage,
    TestimonialRecord, TestimonialState,
};
pub use casebook_vocabulary::{Direction, MessageId, ThreadId};

use casebook_config::Config;
use casebook_search::SearchIndex;
use casebook_store::Store;
use std::path::Path;

/// Password checks run at once, at most, each on a thread of its own: one
/// per core of a small server.
const PASSWORD_CHECKS_AT_ONCE: usize = 2;

/// An archive: the store (the truth: `casebook.db` in the data folder, or
/// the database `database_url` names) and this process's search index in
/// the data folder's `index/` (derived, rebuildable, caught up from the
/// store's change order).
pub struct Archive {
    store: Store,
    index: SearchIndex,
    /// Where `index` lives, to tell a full disk from other index failures.
    index_dir: std::path::PathBuf,
    config: Config,
    /// One settle at a time: accounts watched together share one index writer.
    settling: tokio::sync::Mutex<()>,
    /// The store's change number at the last [`Archive::refresh`] that
    /// settled: while it is unchanged, refreshing costs one query.
    refreshed_seq: std::sync::atomic::AtomicU64,
    /// The key new raw bytes are sealed with (`encryption_key_file`).
    raw_key: Option<casebook_store::RawKey>,
    /// The threads passwords are checked on (argon2 holds ~19 MiB each).
    password_checks: casebook_credentials::PasswordChecks,
    /// Openings of long messages' text for search snippets.
    openings: read::Openings,
    /// What `is:answered` and `customer:` select, kept up to date by what changed.
    filter_sets: filter_sets::FilterSets,
    /// Which thread each message is in, for grouping search hits.
    kept_threads: kept_threads::KeptThreads,
    /// Taken while the aggregate statistics are counted and kept.
    statistics_turn: tokio::sync::Mutex<()>,
    /// The conversations waiting for us as last read, while nothing changed.
    waiting: kept_waiting::WaitingKept,
}

impl Archive {
    /// Opens the archive in `data_dir`, creating it if needed, and brings
    /// threads and the index up to date with whatever the store holds
    /// (after a crash, what was stored but not yet indexed is indexed now).
    pub async fn open(data_dir: &Path, config: Config) -> Result<Self, ArchiveError> {
        let raw_key = config.encryption_key()?;
        let store = Store::open_with(&config.store_location(data_dir), config.page_caches())
            .await?
            .with_raw_keys(raw_key.iter().cloned().collect())
            .with_chain_key(config.integrity_key()?);
        let index_dir = data_dir.join("index");
        let index = SearchIndex::open(&index_dir)?;
        let archive = Self {
            store,
            index,
            index_dir,
            config,
            raw_key,
            settling: tokio::sync::Mutex::new(()),
            refreshed_seq: std::sync::atomic::AtomicU64::new(0),
            password_checks: casebook_credentials::PasswordChecks::start(PASSWORD_CHECKS_AT_ONCE)?,
            openings: read::Openings::default(),
            filter_sets: filter_sets::FilterSets::default(),
            kept_threads: kept_threads::KeptThreads::default(),
            statistics_turn: tokio::sync::Mutex::new(()),
            waiting: kept_waiting::WaitingKept::default(),
        };
        archive.settle_unless_full().await?;
        Ok(archive)
    }

    pub(crate) fn ingest_settings(&self) -> import::IngestSettings {
        import::IngestSettings {
            config: self.config.clone(),
            key: self.raw_key.clone(),
        }
    }

    /// Closes the store cleanly; call it when done writing, so the next
    /// process does not inherit a large write-ahead log.
    /// A full disk only leaves the log unfolded: what it holds is
    /// committed, and the next process folds it.
    pub async fn close(self) -> Result<(), ArchiveError> {
        match self.store.close().await.map_err(ArchiveError::from) {
            Err(e) if e.is_disk_full() => {
                tracing::warn!(
                    "the write-ahead log is left for the next process, the disk is full: {e}"
                );
                Ok(())
            }
            other => other,
        }
    }
}

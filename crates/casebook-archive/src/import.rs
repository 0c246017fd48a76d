//! The ingest pipeline for files: a reader thread finds and reads messages
//! and parses each batch on all cores; the async side stores batches in
//! transactions while the next batch is read. Bounded channels make a slow
//! stage slow the others down instead of filling memory.

use crate::{Archive, ArchiveError};
use casebook_config::Config;
use casebook_conversations::classify::{correspondent, direction};
use casebook_mail::{check_is_mail, parse_within};
use casebook_mailbox::{discover, FoundMessage, SourceKind};
use casebook_store::{compress_raw, NewMessage, RawKey, Stored};
use casebook_vocabulary::{Direction, MessageId, Sha256};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc;

const BATCH: usize = 512;
/// Bytes of mail a batch holds at most; with six batches in flight, what
/// an import of large messages holds (1 MB messages: 64 MiB batches held
/// ~420 MB; 16 MiB ones 416 MB on PostgreSQL, 8 MiB 276 MB). A batch of
/// 512 ordinary messages is well under it.
const BATCH_BYTES: usize = 8 * 1024 * 1024;

/// What an import did, for the person who ran it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Files seen under the paths (a Maildir message, an `.eml`, an mbox,
    /// an unfinished `tmp/` delivery; the mail stores' own bookkeeping
    /// files aside). Each was read, or is among `failed`.
    pub files: u64,
    /// Messages read from the sources.
    pub read: u64,
    /// Messages the archive did not have.
    pub stored: u64,
    /// New bytes for a Message-ID the archive has, kept as copies.
    pub copies: u64,
    /// Bytes the archive already had (their new place is recorded).
    pub duplicates: u64,
    /// Mail of erased persons, not taken in.
    pub erased: u64,
    /// Stored messages whose bytes were damaged and were replaced by the
    /// same message read again (same SHA-256), verified.
    pub healed: Vec<MessageId>,
    /// Inputs that could not be stored, with the reason.
    pub failed: Vec<ImportFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportFailure {
    /// The file (and for mbox, `#N` the message's position) or folder.
    pub source: String,
    pub reason: String,
}

/// Called as the import goes, for progress bars and logs.
pub trait ImportProgress: Send + Sync {
    fn read(&self, _messages: u64, _bytes: u64) {}
    fn stored(&self, _report: &ImportReport) {}
    fn indexing(&self) {}
}

/// Progress that shows nothing.
pub struct NoProgress;
impl ImportProgress for NoProgress {}

enum Item {
    Ready(Box<NewMessage>),
    Failed(ImportFailure),
}

impl Archive {
    /// Imports every message found at `paths` (Maildir, mbox, .eml, or
    /// folders of them), then threads and indexes them. Importing the same
    /// data again stores nothing new.
    pub async fn import(
        &self,
        paths: &[PathBuf],
        progress: &dyn ImportProgress,
    ) -> Result<ImportReport, ArchiveError> {
        self.check_write_key().await?;
        let (tx, mut rx) = mpsc::channel::<Vec<Item>>(4);
        let settings = Arc::new(self.ingest_settings());
        let paths = paths.to_vec();
        let files = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let seen = Arc::clone(&files);
        let reader = std::thread::Builder::new()
            .name("casebook-read".into())
            .spawn(move || read_and_parse(&paths, &settings, &tx, &seen))
            .map_err(|e| ArchiveError::Pipeline(format!("cannot start the reader thread: {e}")))?;

        let erased = self.erased_filter().await?;
        let mut report = ImportReport::default();
        while let Some(items) = rx.recv().await {
            let mut ready = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Item::Ready(m) => ready.push(*m),
                    Item::Failed(f) => report.failed.push(f),
                }
            }
            report.read += ready.len() as u64;
            progress.read(ready.len() as u64, ready.iter().map(|m| m.size).sum());
            let before = ready.len();
            ready.retain(|m| !erased.is_erased(m));
            if ready.len() < before {
                tracing::info!(
                    skipped = before - ready.len(),
                    "mail of erased persons not imported"
                );
                report.erased += (before - ready.len()) as u64;
            }
            let mut same = Vec::new();
            for (outcome, m) in self
                .store
                .insert(&ready, None)
                .await?
                .outcomes
                .into_iter()
                .zip(&ready)
            {
                match outcome {
                    Stored::New(_) => report.stored += 1,
                    Stored::Copy { .. } => report.copies += 1,
                    Stored::Duplicate(id) => {
                        report.duplicates += 1;
                        same.push((id, m));
                    }
                }
            }
            // The original file of a damaged message heals it.
            report.healed.extend(self.store.heal_raw(&same).await?);
            progress.stored(&report);
        }
        reader
            .join()
            .map_err(|_| ArchiveError::Pipeline("the reader thread panicked".into()))?;
        report.files = files.load(std::sync::atomic::Ordering::Relaxed);
        progress.indexing();
        tracing::debug!(stored = report.stored, "stored; threading and indexing");
        self.settle().await?;
        Ok(report)
    }
}

/// Runs on the reader thread: discovers sources, reads messages in batches
/// and parses each batch on two threads.
fn read_and_parse(
    paths: &[PathBuf],
    settings: &IngestSettings,
    tx: &mpsc::Sender<Vec<Item>>,
    files: &std::sync::atomic::AtomicU64,
) {
    let seen = |n: u64| files.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    let mut pending: Vec<Result<FoundMessage, ImportFailure>> = Vec::with_capacity(BATCH);
    let mut pending_bytes = 0usize;
    let flush = |pending: &mut Vec<Result<FoundMessage, ImportFailure>>| -> bool {
        let batch = std::mem::take(pending);
        tx.blocking_send(prepare_batch(batch, settings)).is_ok()
    };
    for path in paths {
        let sources = match discover(path) {
            Ok(sources) => sources,
            Err(e) => {
                pending.push(Err(ImportFailure {
                    source: path.display().to_string(),
                    reason: e.to_string(),
                }));
                continue;
            }
        };
        for source in sources {
            let mut open = true;
            // A Maildir's messages are a file each; an mbox or .eml is one.
            let file_per_item = matches!(source.kind, SourceKind::Maildir | SourceKind::MaildirTmp);
            if !file_per_item {
                seen(1);
            }
            source.read(&mut |item| {
                if !open {
                    return;
                }
                if file_per_item {
                    seen(1);
                }
                pending.push(item.map_err(|e| ImportFailure {
                    source: e.path().display().to_string(),
                    reason: e.to_string(),
                }));
                if let Some(Ok(m)) = pending.last() {
                    pending_bytes += m.bytes.len();
                }
                // Bounded by count and by bytes: a folder of huge messages
                // must not be held in memory a batch of 512 at a time.
                if pending.len() >= BATCH || pending_bytes >= BATCH_BYTES {
                    open = flush(&mut pending);
                    pending_bytes = 0;
                }
            });
            if !open {
                return;
            }
        }
    }
    if !pending.is_empty() {
        flush(&mut pending);
    }
}

fn prepare_batch(
    batch: Vec<Result<FoundMessage, ImportFailure>>,
    settings: &IngestSettings,
) -> Vec<Item> {
    map_on_two_threads(batch, |m| prepare(m, settings)).unwrap_or_else(|| {
        vec![Item::Failed(ImportFailure {
            source: "(parser)".into(),
            reason: "a parser thread panicked; run the import again".into(),
        })]
    })
}

/// `items.map(f)` with the work split over two threads, order kept; `None`
/// if a thread panicked.
pub(crate) fn map_on_two_threads<T: Send, R: Send>(
    mut items: Vec<T>,
    f: impl Fn(T) -> R + Sync,
) -> Option<Vec<R>> {
    let second = items.split_off(items.len().div_ceil(2));
    std::thread::scope(|s| {
        let other = s.spawn(|| second.into_iter().map(&f).collect::<Vec<_>>());
        let mut out: Vec<R> = items.into_iter().map(&f).collect();
        out.extend(other.join().ok()?);
        Some(out)
    })
}

fn prepare(found: Result<FoundMessage, ImportFailure>, settings: &IngestSettings) -> Item {
    let found = match found {
        Ok(f) => f,
        Err(f) => return Item::Failed(f),
    };
    if let Err(why) = check_is_mail(&found.bytes) {
        return Item::Failed(ImportFailure {
            source: found.location.source,
            reason: format!("not a mail message: {why}"),
        });
    }
    match prepare_message(
        &found.bytes,
        found.location.folder,
        found.location.source,
        settings,
        false,
    ) {
        Ok(m) => Item::Ready(Box::new(m)),
        Err((source, reason)) => Item::Failed(ImportFailure { source, reason }),
    }
}

/// What preparing a message for the store needs: the config, and the key
/// raw bytes are sealed with, if any.
pub(crate) struct IngestSettings {
    pub(crate) config: Config,
    pub(crate) key: Option<RawKey>,
}

/// Parses, classifies and compresses one message for the store. Mail from
/// our Sent folder (`sent_folder`) is our reply whoever the sender is,
/// unless a machine sent it.
pub(crate) fn prepare_message(
    bytes: &[u8],
    folder: String,
    source: String,
    settings: &IngestSettings,
    sent_folder: bool,
) -> Result<NewMessage, (String, String)> {
    let config = &settings.config;
    let raw =
        compress_raw(bytes, settings.key.as_ref()).map_err(|e| (source.clone(), e.to_string()))?;
    let parsed = parse_within(bytes, &config.limits);
    let dir = match direction(|a| config.is_ours(a), &parsed) {
        Direction::Inbound if sent_folder => Direction::Outbound,
        other => other,
    };
    let correspondent = correspondent(dir, &parsed);
    let links = casebook_conversations::threading::link_keys(
        parsed
            .in_reply_to
            .iter()
            .chain(&parsed.references)
            .map(String::as_str),
        correspondent.as_ref().map(|c| c.as_str()),
        parsed.date.is_some(),
        dir,
        &parsed.subject,
    );
    let topic = casebook_policy::topic::topic_of(&parsed.subject, &parsed.text);
    Ok(NewMessage {
        topic,
        sha256: Sha256::of(bytes),
        size: bytes.len() as u64,
        raw,
        correspondent,
        direction: dir,
        parsed,
        folder,
        source,
        links,
    })
}

//! Bringing derived state up to date with the store: threads and reply
//! pairs first, then the search index, which follows the store's change
//! numbers so it never holds what the store does not.

use crate::check::Integrity;
use crate::{Archive, ArchiveError};
use casebook_conversations::threading::{
    changed_threads, keys_linking, named_message_ids, row_link_keys,
};
use casebook_search::{Checkpoint, IndexBatch, IndexDoc, SearchError};
use casebook_store::{IndexRow, NewMessage, Rethreading, Stored, ThreadRow};
use casebook_vocabulary::{MessageId, MessageSet};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// Messages read from the store per statement while indexing.
const INDEX_PAGE: usize = 1_000;

/// Up to this many rounds of threading waiting, threads are worked out
/// side by side with the index catching up; past it, one after the other.
const SIDE_BY_SIDE_ROUNDS: u64 = 4;

/// How long a write that must index what it stored (an import, a sync)
/// waits for an index another process is writing (a server indexing a
/// tag holds it for moments at a time).
const INDEX_PATIENCE: Duration = Duration::from_secs(60);

impl Archive {
    /// Re-threads if anything changed and indexes what the index lacks.
    /// Returns how many messages were (re)indexed.
    pub async fn settle(&self) -> Result<u64, ArchiveError> {
        self.settle_kept(KeptWhileStoring::default()).await
    }

    /// [`Archive::settle`], committing what `fed.index` indexed as it was
    /// stored together with whatever else the index lacks, and threading
    /// with the rows `fed` kept instead of reading them back.
    /// The filters' kept sets and the kept thread map are then brought up
    /// to date, so the first search after an import or a sync does not
    /// pay for it.
    pub(crate) async fn settle_kept(&self, fed: KeptWhileStoring) -> Result<u64, ArchiveError> {
        let indexed = self.settle_waiting(INDEX_PATIENCE, fed).await?;
        self.keep_filter_sets_current().await;
        self.keep_thread_map_current().await;
        Ok(indexed)
    }

    /// Threads what waits for one and, side by side (one after the other
    /// when more than four rounds of threading wait), brings the index up
    /// to date, waiting up to `patience` for an index another process
    /// writes.
    async fn settle_waiting(
        &self,
        patience: Duration,
        fed: KeptWhileStoring,
    ) -> Result<u64, ArchiveError> {
        let _one_at_a_time = self.settling.lock().await;
        let rounds = self.config.threading_batch_messages.max(1) as u64;
        if self.store.unthreaded_count().await? > SIDE_BY_SIDE_ROUNDS.saturating_mul(rounds) {
            // A great deal waits (the first import of a large archive):
            // one after the other, so what the two hold is never added
            // up. Importing a million messages peaked at 427 MB side by
            // side and 322 MB one after the other (with the memory freed
            // between them given back), nothing else running.
            self.thread_waiting(fed.threads).await?;
            return self.catch_up_index(false, patience, fed.index).await;
        }
        // The index holds no threads, so the two are independent and go
        // side by side: the store's work on one core, the index's commit
        // on another (the tail of a first sync is both).
        let (threaded, indexed) = tokio::join!(
            self.thread_waiting(fed.threads),
            self.catch_up_index(false, patience, fed.index)
        );
        threaded?;
        indexed
    }

    /// Threads the messages waiting for one, if any are, in rounds of at
    /// most `threading_batch_messages` (each round its own transaction);
    /// `known` holds rows of messages this process stored
    /// ([`KeptWhileStoring`]).
    async fn thread_waiting(&self, known: RowsInMemory) -> Result<(), ArchiveError> {
        let mut known = known;
        while self.store.has_unthreaded().await? {
            if self
                .rethread_from(Scope::Touched, std::mem::take(&mut known))
                .await?
                == Round::Last
            {
                break;
            }
        }
        Ok(())
    }

    /// Starts indexing mail as it is stored (a sync does, so the index is
    /// built while the network is busy instead of after it). `None` when
    /// another process holds the index or it cannot be written now: the
    /// settle at the end waits for it.
    pub(crate) async fn start_feed(&self) -> Option<IndexFeed> {
        match self.open_feed(false, Duration::ZERO).await {
            Ok(feed) => Some(feed),
            Err(ArchiveError::Search(SearchError::Locked(_))) => None,
            Err(e) => {
                // The mail matters more: store it, and index at the end
                // (where a lasting failure is reported).
                tracing::warn!("indexing after the sync instead of during it: {e}");
                None
            }
        }
    }

    /// Brings this process's threads and index up to date with what other
    /// processes stored (a long-running server calls it before searching).
    /// An index busy in another process is left to that process.
    pub async fn refresh(&self) -> Result<(), ArchiveError> {
        use std::sync::atomic::Ordering;
        let seq = self.store.current_seq().await?;
        if seq == self.refreshed_seq.load(Ordering::Relaxed) {
            return Ok(());
        }
        // A search never waits for an index another process is writing
        // (a sync holds it while it stores): it reads the index as it is.
        let settled = self
            .settle_waiting(Duration::ZERO, KeptWhileStoring::default())
            .await;
        if settled.is_ok() {
            self.refreshed_seq.store(seq, Ordering::Relaxed);
        }
        match settled {
            Err(ArchiveError::Search(SearchError::Locked(e))) => {
                tracing::warn!("index not brought up to date: {e}");
                Ok(())
            }
            other => other.map(|_| ()),
        }
    }

    /// What opening and small writes (a tag) do: cheap checks, and work
    /// only where a crash, this write or another process left some. An
    /// index busy in another process (an import running) is left to it:
    /// the change is stored, and whichever process next settles indexes it.
    pub(crate) async fn settle_unless_busy(&self) -> Result<(), ArchiveError> {
        match self
            .settle_waiting(Duration::ZERO, KeptWhileStoring::default())
            .await
        {
            Err(ArchiveError::Search(SearchError::Locked(e))) => {
                tracing::warn!("index not brought up to date: {e}");
                Ok(())
            }
            other => other.map(|_| ()),
        }
    }

    /// [`Archive::settle_unless_busy`], but a full disk is reported and
    /// left for later, so what is stored can still be read (and the disk
    /// cleared) while there is no room to write.
    pub(crate) async fn settle_unless_full(&self) -> Result<(), ArchiveError> {
        match self.settle_unless_busy().await {
            Err(e) if e.is_disk_full() => {
                tracing::warn!("threads and index not brought up to date, the disk is full: {e}");
                Ok(())
            }
            other => other,
        }
    }

    /// Works threads out afresh: for `Scope::Touched`, only the threads of
    /// messages waiting for one and those they join. The store holds every
    /// other writer off meanwhile, so threads computed here never overwrite
    /// newer ones.
    pub(crate) async fn rethread(&self, scope: Scope) -> Result<(), ArchiveError> {
        self.rethread_from(scope, RowsInMemory::new()).await?;
        Ok(())
    }

    /// One round of [`Archive::rethread`], taking the rows in `known` from
    /// memory where it would read every message. Says whether messages
    /// were left waiting for the next round.
    async fn rethread_from(
        &self,
        scope: Scope,
        known: RowsInMemory,
    ) -> Result<Round, ArchiveError> {
        let mut rethreading = self.store.begin_rethreading().await?;
        let complete = rethreading.links_complete().await?;
        if scope == Scope::Everything || !complete {
            // Without every link key recorded, only working every thread
            // out finds the threads new mail joins (and records the keys).
            self.rethread_every_group(&mut rethreading).await?;
            rethreading.commit().await?;
            return Ok(Round::Last);
        }
        let batch = self.config.threading_batch_messages;
        let (rows, round) = touched_rows(&mut rethreading, known, batch).await?;
        let updates = self.work_out_threads(rows).await?;
        tracing::debug!(changed = updates.len(), "rethreaded");
        if let (Round::More { waiting }, true) = (round, updates.is_empty()) {
            // Every message a round takes waits for a thread, so it gets
            // one: a round that changes nothing would come round forever.
            return Err(ArchiveError::Pipeline(format!(
                "threading made no progress: {waiting} messages wait for a thread; \
                 `casebook check --repair` works every thread out afresh"
            )));
        }
        rethreading.apply(&updates).await?;
        Ok(round)
    }

    /// How many messages' threads or reply pairings differ from working
    /// every thread out afresh (what `check` reports): nothing is changed.
    pub(crate) async fn threads_to_fix(&self) -> Result<u64, ArchiveError> {
        let mut rethreading = self.store.begin_rethreading().await?;
        let changed = self.rethread_every_group(&mut rethreading).await;
        rethreading.rollback().await?;
        changed
    }

    /// Works every thread out afresh and records what differs (committed
    /// by the caller, or rolled back by a check), returning how many
    /// messages did. It goes through the archive a round at a time: the
    /// next `threading_batch_messages` messages not yet seen, with every
    /// message linked to them, and linked to those, until nothing more is
    /// (a thread never reaches beyond its links, so each round's threads
    /// are those working out the whole archive gives). What it holds is a
    /// round's rows and one bit per message id, not the archive.
    async fn rethread_every_group(&self, r: &mut Rethreading) -> Result<u64, ArchiveError> {
        let batch = self.config.threading_batch_messages;
        if !r.links_complete().await? {
            relink_in_pages(r, batch).await?;
        }
        let mut seen = SeenIds::new(r.highest_id().await?);
        let mut after = MessageId(0);
        let mut changed = 0;
        loop {
            let mut seeds = Vec::new();
            while seeds.len() < batch {
                let page = r.ids_after(after, batch - seeds.len()).await?;
                let Some(&last) = page.last() else {
                    break;
                };
                after = last;
                seeds.extend(page.into_iter().filter(|&id| seen.insert(id)));
            }
            if seeds.is_empty() {
                break;
            }
            let rows = linked_group(r, &seeds, &mut seen).await?;
            let updates = self.work_out_threads(rows).await?;
            changed += updates.len() as u64;
            r.record(&updates).await?;
        }
        tracing::debug!(changed, "every thread worked out");
        Ok(changed)
    }

    async fn work_out_threads(
        &self,
        rows: Vec<ThreadRow>,
    ) -> Result<Vec<casebook_store::ThreadUpdate>, ArchiveError> {
        let window = i64::from(self.config.thread_subject_window_days) * 86_400;
        tokio::task::spawn_blocking(move || changed_threads(&rows, window))
            .await
            .map_err(|e| ArchiveError::Pipeline(format!("threading failed: {e}")))
    }

    /// Brings this process's index up to the store's latest change: what
    /// changed since its checkpoint is (re)indexed, what was removed is
    /// dropped. An index built from another store is rebuilt. What `feed`
    /// indexed already is not read again.
    async fn catch_up_index(
        &self,
        rebuild: bool,
        patience: Duration,
        feed: Option<IndexFeed>,
    ) -> Result<u64, ArchiveError> {
        match self.catch_up_index_now(rebuild, patience, feed).await {
            Err(ArchiveError::Search(e)) => Err(self.index_failure(e)),
            other => other,
        }
    }

    /// An index failure, told as a full disk when it is one (tantivy hides
    /// the cause: a probe write finds it).
    pub(crate) fn index_failure(&self, e: SearchError) -> ArchiveError {
        if !matches!(e, SearchError::Locked(_)) && !crate::error::has_room(&self.index_dir) {
            ArchiveError::DiskFull {
                path: self.index_dir.clone(),
                detail: e.to_string(),
            }
        } else {
            ArchiveError::Search(e)
        }
    }

    async fn catch_up_index_now(
        &self,
        rebuild: bool,
        patience: Duration,
        feed: Option<IndexFeed>,
    ) -> Result<u64, ArchiveError> {
        let mut feed = match feed {
            Some(feed) => feed,
            None => {
                // An index up to date needs no writer (most opens, every search).
                let seq = self.store.current_seq().await?;
                if !rebuild {
                    if let Some(c) = self.index.checkpoint()? {
                        if c.store == self.store.identity() && c.seq >= seq {
                            return Ok(0);
                        }
                    }
                }
                self.open_feed(rebuild, patience).await?
            }
        };
        let target = Checkpoint {
            store: self.store.identity().to_owned(),
            seq: self.store.current_seq().await?,
        };
        if feed.added.is_empty() && feed.since.is_some_and(|seq| seq >= target.seq) {
            return Ok(0);
        }
        let since = feed.since.unwrap_or(0);
        let mut removals = 0;
        if feed.since.is_some() {
            for id in self.store.removed_since(since).await? {
                // Dropped whatever the index held under this id, even what
                // the feed added: if the id is in use again, its row is
                // read below.
                feed.batch.delete(id);
                feed.added.remove(id);
                removals += 1;
            }
        }
        // Everything changed since the checkpoint is read, a page at a
        // time, except what the feed added at the change number the row
        // still carries: that is in the index as the store holds it.
        let mut count = feed.added.len() as u64;
        let mut after = None;
        loop {
            let page = self
                .store
                .changed_since(since, after, INDEX_PAGE as u32)
                .await?;
            let Some(&(last_id, last_seq)) = page.last() else {
                break;
            };
            after = Some((last_seq, last_id));
            let unread: Vec<MessageId> = page
                .into_iter()
                .filter(|&(id, seq)| !feed.indexed_at(id, seq))
                .map(|(id, _)| id)
                .collect();
            if unread.is_empty() {
                continue;
            }
            self.store
                .each_index_row(&unread, |row| -> Result<(), ArchiveError> {
                    count += 1;
                    feed.put(row)?;
                    Ok(())
                })
                .await?;
        }
        // Off the async threads, so threads being worked out meanwhile
        // (`settle_waiting`) go on.
        tracing::debug!(count, "index written; committing");
        let batch = feed.batch;
        let target = tokio::task::spawn_blocking(move || batch.commit(&target).map(|()| target))
            .await
            .map_err(|e| ArchiveError::Pipeline(format!("committing the index failed: {e}")))??;
        if removals > 0 {
            // Removed mail (an erasure, retention, `casebook remove`) must
            // not linger in index files until a merge happens to come.
            self.index.compact()?;
        }
        tracing::debug!(count, seq = target.seq, "index caught up");
        Ok(count)
    }

    /// Takes the index's writer and sees what the index holds.
    async fn open_feed(
        &self,
        rebuild: bool,
        patience: Duration,
    ) -> Result<IndexFeed, ArchiveError> {
        // The writer first, before reading what the index holds, so that
        // cannot change under us.
        let mut batch = self.index_batch(patience).await?;
        let since = match self.index.checkpoint()? {
            Some(c) if !rebuild && c.store == self.store.identity() => Some(c.seq),
            _ => None,
        };
        if since.is_none() {
            batch.delete_all()?;
        }
        Ok(IndexFeed {
            batch,
            // Into an empty index every row is new: nothing to replace.
            empty: since.is_none() || self.index.doc_count() == 0,
            since,
            added: MessageSet::new(),
            fed_changes: HashSet::new(),
        })
    }

    /// The index's writer, waiting up to `patience` (with growing pauses)
    /// while another process holds it.
    async fn index_batch(
        &self,
        patience: Duration,
    ) -> Result<casebook_search::IndexBatch, ArchiveError> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(20);
        loop {
            match self.index.batch() {
                Err(SearchError::Locked(e)) if started.elapsed() + pause <= patience => {
                    tracing::debug!("the index is busy in another process; waiting: {e}");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(500));
                }
                other => return Ok(other?),
            }
        }
    }
}

impl Integrity<'_> {
    /// Rebuilds the index from the store. Returns how many messages it holds.
    pub async fn reindex(&self) -> Result<u64, ArchiveError> {
        let (threaded, indexed) = tokio::join!(
            self.archive.rethread(Scope::Everything),
            self.archive.catch_up_index(true, INDEX_PATIENCE, None)
        );
        threaded?;
        indexed
    }
}

/// Which messages a re-threading works out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Every message (`reindex`, `check --repair`).
    Everything,
    /// Messages waiting for a thread and every thread they may join.
    Touched,
}

/// The messages waiting for a thread, and every message of the threads
/// they link to: by Message-ID either way, by a parent both name, or by
/// subject with the same correspondent (the last two found by link keys).
/// Threads are the connected groups of these links, so working out only
/// these rows gives what working out every row would (`check` compares the
/// two). A thread named here by a colliding key is read whole and comes
/// out as it was.
///
/// At most `batch` waiting messages are taken (the first by id), so what
/// this holds is bounded by `batch` and the threads those join, not by the
/// archive: the rest wait for the next round, which finds the threads
/// this one made by the same links.
async fn touched_rows(
    r: &mut Rethreading,
    known: RowsInMemory,
    batch: usize,
) -> Result<(Vec<ThreadRow>, Round), ArchiveError> {
    let waiting = r.unthreaded_count().await?;
    if waiting == 0 {
        return Ok((Vec::new(), Round::Last));
    }
    // Most of a small archive waiting (a first import or sync): reading it
    // all at once is cheaper than following links. Ids approximate the
    // count.
    let highest = r.highest_id().await?.0;
    if highest <= batch as i64 && waiting as i64 * 4 >= highest {
        let rows = if known.is_empty() {
            r.rows().await?
        } else {
            r.rows_reusing(known).await?
        };
        return Ok((rows, Round::Last));
    }
    let round = if waiting > batch as u64 {
        Round::More { waiting }
    } else {
        Round::Last
    };
    let mut rows = r.unthreaded_rows(batch).await?;
    let threads = r
        .threads_linked_to(&named_message_ids(&rows), &keys_linking(&rows))
        .await?;
    rows.extend(r.thread_rows(&threads).await?);
    Ok((rows, round))
}

/// Whether a round of threading left messages for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Round {
    /// `waiting` messages waited when it began; more than it took.
    More {
        waiting: u64,
    },
    Last,
}

/// `seeds` and every message linked to them, directly or through others:
/// by link key (a parent named, a subject) either way, or by a Message-ID
/// one of them names. Marks each in `seen`.
async fn linked_group(
    r: &mut Rethreading,
    seeds: &[MessageId],
    seen: &mut SeenIds,
) -> Result<Vec<ThreadRow>, ArchiveError> {
    let mut rows = r.rows_of(seeds).await?;
    let mut start = 0;
    while start < rows.len() {
        let frontier = &rows[start..];
        let found = r
            .messages_linked_to(&named_message_ids(frontier), &keys_linking(frontier))
            .await?;
        let new: Vec<MessageId> = found.into_iter().filter(|&id| seen.insert(id)).collect();
        start = rows.len();
        if !new.is_empty() {
            rows.extend(r.rows_of(&new).await?);
        }
    }
    Ok(rows)
}

/// Records every message's link keys afresh, `batch` messages at a time.
async fn relink_in_pages(r: &mut Rethreading, batch: usize) -> Result<(), ArchiveError> {
    r.clear_links().await?;
    let mut after = MessageId(0);
    loop {
        let ids = r.ids_after(after, batch).await?;
        let Some(&last) = ids.last() else {
            break;
        };
        after = last;
        let rows = r.rows_of(&ids).await?;
        let links: Vec<(MessageId, Vec<i64>)> = rows
            .iter()
            .map(|row| (row.id, row_link_keys(row)))
            .collect();
        r.add_links(&links).await?;
    }
    // A copy's own keys too: new mail naming what only the copy names
    // finds the family through them.
    let mut after = MessageId(0);
    loop {
        let copies = r.copy_rows_after(after, batch).await?;
        let Some(last) = copies.last() else {
            break;
        };
        after = last.id;
        let links: Vec<(MessageId, Vec<i64>)> = copies
            .iter()
            .map(|row| (row.id, row_link_keys(row)))
            .collect();
        r.add_links(&links).await?;
    }
    r.links_now_complete().await?;
    Ok(())
}

/// Message ids a pass through the archive has reached: one bit each, up
/// to the highest id (a million messages: 125 KB).
struct SeenIds {
    words: Vec<u64>,
}

impl SeenIds {
    fn new(highest: MessageId) -> Self {
        let bits = usize::try_from(highest.0.max(0)).unwrap_or(0) + 1;
        Self {
            words: vec![0; bits.div_ceil(64)],
        }
    }

    /// Marks `id`; whether it was not marked before.
    fn insert(&mut self, id: MessageId) -> bool {
        let Ok(bit) = usize::try_from(id.0) else {
            return false;
        };
        let (word, mask) = (bit / 64, 1u64 << (bit % 64));
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        let fresh = self.words[word] & mask == 0;
        self.words[word] |= mask;
        fresh
    }
}

/// Rows for threading of messages this process stored, by id.
pub(crate) type RowsInMemory = HashMap<MessageId, ThreadRow>;

/// What a sync keeps of the mail it stores, for its settle at the end:
/// the index it feeds as it goes (if it could take the writer) and the
/// rows threading needs, so a first sync's settle reads ids, not 30,000
/// messages, back from the store.
#[derive(Default)]
pub(crate) struct KeptWhileStoring {
    index: Option<IndexFeed>,
    threads: RowsInMemory,
    /// Rows are kept while there are at most this many: threading reads
    /// the whole archive (and so takes kept rows) only when it is no
    /// larger than one round (`threading_batch_messages`). Past it the
    /// rows kept are let go and no more are kept.
    keep_rows: usize,
}

impl KeptWhileStoring {
    /// Keeping up to `keep_rows` rows for threading, and indexing into
    /// `index` if there is one.
    pub(crate) fn with_index(index: Option<IndexFeed>, keep_rows: usize) -> KeptWhileStoring {
        KeptWhileStoring {
            index,
            threads: RowsInMemory::new(),
            keep_rows,
        }
    }

    /// Mail just stored at change `seq`: `batch[i]` became `outcomes[i]`.
    /// New messages are indexed and kept for threading (a copy is
    /// threaded with its original, a duplicate was there already).
    pub(crate) fn stored(
        &mut self,
        batch: &[NewMessage],
        outcomes: &[Stored],
        seq: u64,
    ) -> Result<(), SearchError> {
        for (m, outcome) in batch.iter().zip(outcomes) {
            if let Stored::New(id) = *outcome {
                if self.threads.len() < self.keep_rows {
                    self.threads.insert(id, m.thread_row(id));
                } else if self.keep_rows > 0 {
                    // More than one round of threading: it will not read
                    // the whole archive, so kept rows would go unused.
                    self.threads = RowsInMemory::new();
                    self.keep_rows = 0;
                }
                if let Some(index) = self.index.as_mut() {
                    index.add_new(m, id, seq)?;
                }
            }
        }
        Ok(())
    }
}

/// The index's writer held from the start of a sync to its settle: mail is
/// indexed as it is stored, and committed (with the checkpoint) only when
/// the index holds everything the store does.
pub(crate) struct IndexFeed {
    batch: IndexBatch,
    /// The change the index had caught up to; `None`: it is being made
    /// from nothing (it was emptied).
    since: Option<u64>,
    /// The index held nothing: rows can be added without replacing.
    empty: bool,
    /// Messages indexed from memory (a bit each)...
    added: MessageSet,
    /// ...and the change numbers they were stored at: one per chunk
    /// stored, each a transaction of this process whose new messages were
    /// all indexed from memory, so a row carrying one of them is in the
    /// index as the store holds it.
    fed_changes: HashSet<u64>,
}

impl IndexFeed {
    /// Indexes a message just stored as new, as `id`, at change `seq`.
    fn add_new(&mut self, m: &NewMessage, id: MessageId, seq: u64) -> Result<(), SearchError> {
        self.put(IndexRow::of_new(m, id, seq))?;
        self.added.insert(id);
        self.fed_changes.insert(seq);
        Ok(())
    }

    /// Whether message `id`, as the store holds it at change `seq`, is
    /// what this feed indexed.
    fn indexed_at(&self, id: MessageId, seq: u64) -> bool {
        self.added.contains(id) && self.fed_changes.contains(&seq)
    }

    fn put(&mut self, row: IndexRow) -> Result<(), SearchError> {
        if self.empty && !self.added.contains(row.id) {
            self.batch.add(&index_doc(row))
        } else {
            self.batch.upsert(&index_doc(row))
        }
    }
}

fn index_doc(row: IndexRow) -> IndexDoc {
    IndexDoc {
        id: row.id,
        date: row.date,
        direction: row.direction,
        from: row.from,
        to: row.recipients,
        subject: row.subject,
        body: row.body,
        has_attachment: row.has_attachments,
        tags: row.tags,
    }
}

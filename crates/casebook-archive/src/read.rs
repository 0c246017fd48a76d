//! Reading the archive: search with snippets, messages, threads, listings
//! and statistics. Search finds ids in the index; everything shown is read
//! from the store.

use crate::{Archive, ArchiveError};
use casebook_mail::{compare_copies, CopyDifference};
use casebook_search::{parse_query, Counting, Expr, SearchOptions, Snippet, Sort, TextField};
use casebook_store::{HitRow, MessageCounts, MessageSummary, StoredMessage};
use casebook_vocabulary::{MessageId, MessageSet, ThreadId};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: String,
    pub sort: Sort,
    pub limit: usize,
    pub offset: usize,
    /// How far matches are counted: every one (the default), or up to
    /// [`COUNTED_MATCHES`] where a request's work must stay bounded (the
    /// web pages and the API).
    pub counting: Counting,
}

/// Matches a server's search counts, at most: past this it says "at
/// least". A word in one message in ten matches a hundred thousand at a
/// million messages, and counting them all cost a common phrase ~8 ms of
/// the index's time a request; up to this many, ~1 ms.
pub const COUNTED_MATCHES: usize = 10_000;

impl SearchRequest {
    pub fn new(query: &str) -> Self {
        Self {
            query: query.to_owned(),
            sort: Sort::NewestFirst,
            limit: 20,
            offset: 0,
            counting: Counting::Every,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SearchHit {
    pub summary: MessageSummary,
    pub snippet: Snippet,
}

#[derive(Debug, Clone)]
pub struct SearchPage {
    /// Matches in all, not only on this page; at least this many when
    /// `total_is_lower_bound`.
    pub total: usize,
    /// Whether counting stopped at [`SearchRequest::counting`]'s bound.
    pub total_is_lower_bound: bool,
    pub hits: Vec<SearchHit>,
    pub took: Duration,
}

/// The archive in numbers.
/// A message with what the archive knows around it
/// ([`Archive::message_in_context`]).
#[derive(Debug, Clone)]
pub struct MessageInContext {
    pub message: StoredMessage,
    /// Its thread, oldest first (empty if it has none).
    pub thread: Vec<MessageSummary>,
    /// Its other copies and how each differs from it.
    pub copies: Vec<(MessageId, CopyDifference)>,
    /// Customer records its correspondent matches.
    pub customer: Vec<crate::CustomerMatch>,
    /// The name the correspondent asked to be known by.
    pub known_as: Option<String>,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    pub counts: MessageCounts,
    /// Median time from a customer's message to our first reply.
    pub median_first_response_secs: Option<i64>,
    /// Documents in this process's search index.
    pub index_documents: u64,
    /// Deleted documents whose words are still in index files until a
    /// merge (none after an erasure, which compacts the index).
    pub index_deleted: u64,
}

/// Characters of a hit's text its snippet is looked for in: a 5 MB
/// message made every search that found it 30 times slower, and the
/// snippet's cost grows with the window (ten hits of 20,000 matching
/// characters: 467 searches a second; of 5,000: 1,236; a typical message
/// is shorter than either). A match past them still finds the message;
/// its snippet is then the text's opening.
const SNIPPET_WINDOW_CHARS: u32 = 5_000;
/// A message of at most this many raw bytes has its opening read with
/// the hit; a longer one's comes from [`Openings`] (the database loads a
/// long text whole even to give its opening).
const WHOLE_UP_TO_BYTES: u64 = 64 * 1024;
/// Openings of long messages kept (each at most SNIPPET_WINDOW_CHARS).
const OPENINGS_KEPT: usize = 256;

/// The openings of long messages' text, kept per message and change
/// number: a huge message costs the searches that find it one read, not
/// one each (ten 5 MB messages took a search from 1,361 to 112 requests
/// a second). At most [`OPENINGS_KEPT`] of at most
/// [`SNIPPET_WINDOW_CHARS`] characters each; erasure empties it.
#[derive(Default)]
pub(crate) struct Openings {
    kept: std::sync::Mutex<std::collections::VecDeque<KeptOpening>>,
}

/// An opening, by message and change number.
type KeptOpening = ((MessageId, u64), std::sync::Arc<str>);

impl Openings {
    fn get(&self, id: MessageId, change: u64) -> Option<std::sync::Arc<str>> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.iter()
            .find(|(key, _)| *key == (id, change))
            .map(|(_, text)| text.clone())
    }

    fn keep(&self, id: MessageId, change: u64, text: std::sync::Arc<str>) {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.retain(|((m, _), _)| *m != id);
        if kept.len() >= OPENINGS_KEPT {
            kept.pop_front();
        }
        kept.push_back(((id, change), text));
    }

    /// Forgets every opening (after an erasure: no erased words stay in
    /// memory).
    pub(crate) fn clear(&self) {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

impl Archive {
    pub async fn search(&self, request: &SearchRequest) -> Result<SearchPage, ArchiveError> {
        let started = Instant::now();
        let expr = self.parsed_query(&request.query).await?;
        let options = SearchOptions {
            sort: request.sort,
            limit: request.limit,
            offset: request.offset,
            counting: request.counting,
        };
        let found = self.index.search(&expr, &options)?;
        let ids: Vec<MessageId> = found.hits.iter().map(|h| h.id).collect();
        let rows = self
            .store
            .hits_with_openings(&ids, SNIPPET_WINDOW_CHARS, WHOLE_UP_TO_BYTES)
            .await?;
        let long = self.long_openings(&rows).await?;
        let hits = rows
            .into_iter()
            .map(|row| {
                let snippet = match &row.opening {
                    Some(text) => found.snippet(text),
                    None => found.snippet(long.get(&row.summary.id).map_or("", |t| t)),
                };
                SearchHit {
                    snippet,
                    summary: row.summary,
                }
            })
            .collect();
        Ok(SearchPage {
            total: found.total,
            total_is_lower_bound: found.total_is_lower_bound,
            hits,
            took: started.elapsed(),
        })
    }

    /// The openings of these messages' text (their first
    /// [`SNIPPET_WINDOW_CHARS`] characters), what snippets and excerpts
    /// are made from: short messages' read with their rows, long ones'
    /// through [`Openings`], so a huge message costs the requests that
    /// show it one read between them, not one each. Messages removed
    /// since are left out.
    pub(crate) async fn openings_of(
        &self,
        ids: &[MessageId],
    ) -> Result<HashMap<MessageId, Arc<str>>, ArchiveError> {
        let rows = self
            .store
            .hits_with_openings(ids, SNIPPET_WINDOW_CHARS, WHOLE_UP_TO_BYTES)
            .await?;
        let mut openings = self.long_openings(&rows).await?;
        for row in rows {
            if let Some(text) = row.opening {
                openings.insert(row.summary.id, text.into());
            }
        }
        Ok(openings)
    }

    /// The openings of the long messages among `rows` (those read without
    /// one): kept ones, then the rest read at once and kept for the next
    /// requests.
    async fn long_openings(
        &self,
        rows: &[HitRow],
    ) -> Result<HashMap<MessageId, Arc<str>>, ArchiveError> {
        let mut long = HashMap::new();
        let mut missing = HashMap::new();
        for row in rows.iter().filter(|r| r.opening.is_none()) {
            match self.openings.get(row.summary.id, row.change) {
                Some(text) => {
                    long.insert(row.summary.id, text);
                }
                None => {
                    missing.insert(row.summary.id, row.change);
                }
            }
        }
        if !missing.is_empty() {
            let ids: Vec<MessageId> = missing.keys().copied().collect();
            for (id, text) in self.store.openings(&ids, SNIPPET_WINDOW_CHARS).await? {
                let text: Arc<str> = text.into();
                if let Some(&change) = missing.get(&id) {
                    self.openings.keep(id, change, text.clone());
                }
                long.insert(id, text);
            }
        }
        Ok(long)
    }

    /// A query as the index reads it: parsed, then [`Archive::resolve`]d.
    pub(crate) async fn parsed_query(&self, query: &str) -> Result<Expr, ArchiveError> {
        let expr = parse_query(query).map_err(|source| ArchiveError::Query {
            query: query.to_owned(),
            source,
        })?;
        self.resolve(expr).await
    }

    /// What the index cannot answer alone: `customer:` terms become the
    /// customers' messages, `thread:` and `is:answered`/`is:unanswered`
    /// the messages the store's threads and reply pairs name, and
    /// `from:ADDRESS` of a merged person looks for every address of theirs.
    pub(crate) async fn resolve(&self, expr: Expr) -> Result<Expr, ArchiveError> {
        let mut lists = Vec::new();
        let mut senders = Vec::new();
        let mut threads = Vec::new();
        let mut answered = false;
        walk(&expr, &mut |e| match e {
            Expr::Customer(list) => lists.push(list.clone()),
            Expr::Thread(t) => threads.push(*t),
            Expr::Answered(_) => answered = true,
            Expr::Text {
                field: TextField::From,
                text,
            } => {
                if let Some(a) = casebook_customers::normalize_address(text) {
                    senders.push((text.clone(), a));
                }
            }
            _ => {}
        });
        let mut lookups = Lookups::default();
        if answered || !lists.is_empty() {
            let found = self
                .filter_sets(crate::filter_sets::Wanted {
                    answered,
                    lists: &lists,
                })
                .await?;
            lookups.answered = found.answered;
            lookups.customers = found.customers;
        }
        for (text, address) in senders {
            let all = self.store.person_addresses(&address).await?;
            if all.len() > 1 {
                lookups.persons.insert(text, all);
            }
        }
        for thread in threads {
            let ids = self
                .store
                .thread(thread)
                .await?
                .iter()
                .map(|m| m.id)
                .collect();
            lookups.threads.insert(thread, Arc::new(ids));
        }
        Ok(replace(expr, &lookups))
    }

    /// Every message `keep` accepts, with its text, in id order, a page at
    /// a time (for the scans of suggestions, requests and statistics).
    pub(crate) async fn each_with_body(
        &self,
        keep: impl Fn(&MessageSummary) -> bool,
        mut visit: impl FnMut(MessageSummary, String),
    ) -> Result<(), ArchiveError> {
        let mut after = MessageId(0);
        loop {
            let page = self.store.list(after, 1000, false).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            let ids: Vec<MessageId> = page.iter().filter(|m| keep(m)).map(|m| m.id).collect();
            for (summary, body) in self.store.summaries_with_bodies(&ids).await? {
                visit(summary, body);
            }
        }
        Ok(())
    }

    pub async fn message(&self, id: MessageId) -> Result<Option<StoredMessage>, ArchiveError> {
        Ok(self.store.message(id).await?)
    }

    /// A message with what the archive knows around it: its thread, how
    /// its copies differ from it, the customer records its correspondent
    /// matches, the name they asked to be known by, its tags. What `show`
    /// prints; `None` if there is no such message.
    pub async fn message_in_context(
        &self,
        id: MessageId,
    ) -> Result<Option<MessageInContext>, ArchiveError> {
        let Some(message) = self.store.message(id).await? else {
            return Ok(None);
        };
        let thread = match message.summary.thread_id {
            Some(t) => self.thread(t).await?,
            None => Vec::new(),
        };
        let copies = self.copy_differences(&message).await?;
        let (customer, known_as) = match &message.summary.correspondent {
            Some(c) => (
                self.customers().matches_of(c).await?,
                self.customers().corrected_name(c).await?,
            ),
            None => (Vec::new(), None),
        };
        let tags = self.tags(id).await?;
        Ok(Some(MessageInContext {
            message,
            thread,
            copies,
            customer,
            known_as,
            tags,
        }))
    }

    /// The original bytes, exactly as they arrived.
    /// A message's `n`-th attachment, described, with its decoded bytes.
    pub async fn attachment(
        &self,
        id: MessageId,
        n: usize,
    ) -> Result<Option<(casebook_mail::Attachment, Vec<u8>)>, ArchiveError> {
        Ok(self
            .store
            .raw(id)
            .await?
            .and_then(|raw| casebook_mail::attachment(&raw, n)))
    }

    /// A message's HTML body as written: hostile, for the caller to
    /// sanitise before showing.
    pub async fn html_body(&self, id: MessageId) -> Result<Option<String>, ArchiveError> {
        Ok(self
            .store
            .raw(id)
            .await?
            .and_then(|raw| casebook_mail::html_body(&raw)))
    }

    /// A message's original bytes, verified against their SHA-256 (an
    /// error names the message when they no longer match).
    pub async fn raw(&self, id: MessageId) -> Result<Option<Vec<u8>>, ArchiveError> {
        Ok(self.store.raw(id).await?)
    }

    /// A message's bytes as stored, whether or not they still match their
    /// SHA-256 (the flag says which): for looking at damage.
    pub async fn raw_unverified(
        &self,
        id: MessageId,
    ) -> Result<Option<(Vec<u8>, bool)>, ArchiveError> {
        Ok(self.store.raw_unverified(id).await?)
    }

    /// How each other copy of a message (same Message-ID, other bytes)
    /// differs from it.
    pub async fn copy_differences(
        &self,
        message: &StoredMessage,
    ) -> Result<Vec<(MessageId, CopyDifference)>, ArchiveError> {
        let Some(this) = self.store.raw(message.summary.id).await? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(message.copies.len());
        for &copy in &message.copies {
            if let Some(other) = self.store.raw(copy).await? {
                out.push((copy, compare_copies(&this, &other)));
            }
        }
        Ok(out)
    }

    /// The thread's messages, oldest first.
    pub async fn thread(&self, id: ThreadId) -> Result<Vec<MessageSummary>, ArchiveError> {
        Ok(self.store.thread(id).await?)
    }

    /// Up to `limit` messages with ids above `after`, in id order; with
    /// `unattributed_only`, only those whose person (sender, or our
    /// recipient) could not be read.
    pub async fn list(
        &self,
        after: MessageId,
        limit: u32,
        unattributed_only: bool,
    ) -> Result<Vec<MessageSummary>, ArchiveError> {
        Ok(self.store.list(after, limit, unattributed_only).await?)
    }

    /// Every synced IMAP folder with its state.
    pub async fn folder_records(&self) -> Result<Vec<casebook_store::FolderRecord>, ArchiveError> {
        Ok(self.store.folder_records().await?)
    }

    /// How many messages the search index holds.
    pub fn indexed_count(&self) -> u64 {
        self.index.doc_count()
    }

    pub async fn stats(&self) -> Result<Stats, ArchiveError> {
        let counts = self.store.counts().await?;
        Ok(Stats {
            counts,
            median_first_response_secs: self.store.median_response_secs().await?,
            index_documents: self.index.doc_count(),
            index_deleted: self.index.deleted_count(),
        })
    }
}

/// The median of ascending `values` (the mean of the two middle values of an even count).
pub(crate) fn median(values: &[i64]) -> Option<i64> {
    match values.len() {
        0 => None,
        n if n % 2 == 1 => Some(values[n / 2]),
        n => Some((values[n / 2 - 1] + values[n / 2]) / 2),
    }
}

fn walk(expr: &Expr, visit: &mut impl FnMut(&Expr)) {
    visit(expr);
    match expr {
        Expr::Not(inner) => walk(inner, visit),
        Expr::And(parts) | Expr::Or(parts) => parts.iter().for_each(|p| walk(p, visit)),
        _ => {}
    }
}

/// What the store told [`Archive::resolve`].
#[derive(Default)]
struct Lookups {
    customers: HashMap<Option<String>, Arc<MessageSet>>,
    persons: HashMap<String, Vec<String>>,
    threads: HashMap<ThreadId, Arc<MessageSet>>,
    /// Answered and unanswered inbound mail.
    answered: Option<(Arc<MessageSet>, Arc<MessageSet>)>,
}

fn replace(expr: Expr, found: &Lookups) -> Expr {
    let set = |set: Option<&Arc<MessageSet>>| Expr::Messages(set.cloned().unwrap_or_default());
    match expr {
        Expr::Customer(list) => set(found.customers.get(&list)),
        Expr::Thread(t) => set(found.threads.get(&t)),
        // Both sets hold inbound mail only.
        Expr::Answered(wanted) => set(found
            .answered
            .as_ref()
            .map(|(yes, no)| if wanted { yes } else { no })),
        Expr::Text {
            field: TextField::From,
            text,
        } => match found.persons.get(&text) {
            Some(all) => Expr::Or(
                all.iter()
                    .map(|a| Expr::Text {
                        field: TextField::From,
                        text: a.clone(),
                    })
                    .collect(),
            ),
            None => Expr::Text {
                field: TextField::From,
                text,
            },
        },
        Expr::Not(inner) => Expr::Not(Box::new(replace(*inner, found))),
        Expr::And(parts) => Expr::And(parts.into_iter().map(|p| replace(p, found)).collect()),
        Expr::Or(parts) => Expr::Or(parts.into_iter().map(|p| replace(p, found)).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(super::median(&[]), None);
        assert_eq!(super::median(&[5, 7, 100]), Some(7));
        assert_eq!(super::median(&[1, 3, 5, 100]), Some(4));
    }
}

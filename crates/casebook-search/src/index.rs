use crate::in_flight::{InFlight, InFlightDoc, IN_FLIGHT_BYTES};
use crate::query::{Expr, TextField};
use crate::tokenizer::{analyzer, TOKENIZER_NAME};
use casebook_vocabulary::{Direction, MessageId};
use std::collections::HashMap;
use std::ops::{Bound, Range};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tantivy::collector::{Count, TopDocs};
use tantivy::indexer::{LogMergePolicy, MergePolicy, NoMergePolicy};
use tantivy::query::{AllQuery, BooleanQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STRING,
};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("cannot open the search index in {}: {source}; `casebook reindex` rebuilds it from the store", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: tantivy::TantivyError,
    },
    #[error("cannot create the index folder {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the search index is in use by another casebook process ({0}); wait for it to finish")]
    Locked(tantivy::TantivyError),
    #[error("search index failure: {0}")]
    Index(#[from] tantivy::TantivyError),
}

/// What the index holds of one message.
#[derive(Debug, Clone)]
pub struct IndexDoc {
    pub id: MessageId,
    /// Seconds since the epoch, UTC.
    pub date: Option<i64>,
    pub direction: Direction,
    /// Sender's address and name.
    pub from: String,
    /// Recipients' addresses and names.
    pub to: String,
    pub subject: String,
    pub body: String,
    pub has_attachment: bool,
    /// Tags agents gave it, normalised (see [`crate::normalize_tag`]).
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    NewestFirst,
    Relevance,
}

/// How far a search counts its matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Counting {
    /// Every match: the index visits each one, so at a million messages a
    /// common word costs what its hundred thousand matches do.
    #[default]
    Every,
    /// Up to this many, then "at least" ([`SearchResults::total_is_lower_bound`]):
    /// a request's work bounded whatever the archive's size.
    UpTo(usize),
}

#[derive(Debug, Clone)]
pub struct SearchOptions {
    pub sort: Sort,
    pub limit: usize,
    pub offset: usize,
    pub counting: Counting,
}

impl Default for SearchOptions {
    fn default() -> Self {
        Self {
            sort: Sort::NewestFirst,
            limit: 20,
            offset: 0,
            counting: Counting::Every,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub id: MessageId,
    pub score: f32,
}

pub struct SearchResults {
    /// How many messages match in all (not only this page); at least
    /// this many when `total_is_lower_bound`.
    pub total: usize,
    /// Whether counting stopped ([`Counting::UpTo`]) before every match
    /// was counted.
    pub total_is_lower_bound: bool,
    pub hits: Vec<Hit>,
    snippets: tantivy::snippet::SnippetGenerator,
}

/// A passage of a message's text with the matched words marked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub text: String,
    /// Byte ranges of `text` that matched.
    pub highlights: Vec<Range<usize>>,
}

impl SearchResults {
    /// The best passage of `body` (read from the store) for this search.
    pub fn snippet(&self, body: &str) -> Snippet {
        let s = self.snippets.snippet(body);
        if s.fragment().is_empty() {
            let end = body
                .char_indices()
                .nth(SNIPPET_CHARS)
                .map_or(body.len(), |(i, _)| i);
            return Snippet {
                text: body[..end].to_owned(),
                highlights: Vec::new(),
            };
        }
        Snippet {
            text: s.fragment().to_owned(),
            highlights: s.highlighted().to_vec(),
        }
    }
}

const SNIPPET_CHARS: usize = 160;
/// What the index writer buffers before it writes a segment, shared by
/// its threads. When a million messages were indexed beside threading,
/// half of 128 MiB made the import 13 % slower; since 84cabfd a large
/// settle indexes after threading, and 64 MiB held the million's catch-up
/// at 222 MB instead of 290 MB. At 30,000 realistic messages (still side
/// by side) it was no slower either: 6.0-6.9 s against 6.5-7.6 s.
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

/// Segments merged at once after a commit. tantivy's log policy merges
/// every segment of a level together: the million's catch-up wrote 16 of
/// about 62,000 messages each, and merging them in one took the import's
/// peak from ~223 MB to 300,588 KiB, ~120 MB of it the segments' files
/// mapped as they were read; in two merges of 8 the peak was 255,492 KiB
/// (the catch-up's writing) and a search as fast (12.9 ms).
const SEGMENTS_PER_MERGE: usize = 8;

/// Indexing threads: the cores there are, up to four.
fn writer_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}
const FLAG_ATTACHMENT: &str = "attachment";

/// Tags share the flags field, prefixed so no tag can pose as a flag.
fn tag_flag(tag: &str) -> String {
    format!("tag:{tag}")
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    date: Field,
    from: Field,
    to: Field,
    subject: Field,
    body: Field,
    flags: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER_NAME)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        id: b.add_u64_field("id", INDEXED | FAST),
        date: b.add_i64_field("date", INDEXED | FAST),
        from: b.add_text_field("from", text.clone()),
        to: b.add_text_field("to", text.clone()),
        subject: b.add_text_field("subject", text.clone()),
        body: b.add_text_field("body", text),
        flags: b.add_text_field("flags", STRING),
    };
    (b.build(), fields)
}

/// The position in the store an index has caught up to: the store's
/// identity and its change number. Committed with the documents, so the two
/// never disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub store: String,
    pub seq: u64,
}

impl Checkpoint {
    fn to_payload(&self) -> String {
        format!("{} {}", self.store, self.seq)
    }

    fn parse(payload: &str) -> Option<Self> {
        let (store, seq) = payload.split_once(' ')?;
        Some(Self {
            store: store.to_owned(),
            seq: seq.parse().ok()?,
        })
    }
}

/// An index written by an earlier Casebook with other fields is derived
/// data: it is emptied (holding its writer, so no other process is
/// writing it) and made again with this version's fields. Having no
/// checkpoint, it is then filled from the store.
fn rebuild_empty(
    dir: &Path,
    directory: tantivy::directory::MmapDirectory,
    schema: Schema,
) -> tantivy::Result<Index> {
    let old = Index::open(directory.clone())?;
    let writer: IndexWriter = old.writer_with_num_threads(1, 15_000_000)?;
    tracing::warn!(path = %dir.display(), "the search index has other fields than this version's: rebuilding it");
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        // Lock files stay: the writer held here is one of them.
        if !entry.file_name().to_string_lossy().starts_with(".tantivy-") {
            std::fs::remove_file(entry.path())?;
        }
    }
    let index = Index::create(directory, schema, tantivy::IndexSettings::default())?;
    drop(writer);
    Ok(index)
}

/// The archive's search index in one directory.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// The documents filters by a set of messages found, per segment.
    pub(crate) within_kept: Arc<crate::within::WithinKept>,
    /// Each segment's newest documents in date order, for newest-first
    /// searches.
    date_orders: crate::date_window::DateOrders,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it if there is none.
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        let open_err = |source| SearchError::Open {
            path: dir.to_owned(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(|source| SearchError::CreateDir {
            path: dir.to_owned(),
            source,
        })?;
        let (schema, fields) = schema();
        let directory = || {
            tantivy::directory::MmapDirectory::open(dir)
                .map_err(|e| open_err(tantivy::TantivyError::from(e)))
        };
        let index = match Index::open_or_create(directory()?, schema.clone()) {
            Err(tantivy::TantivyError::SchemaError(_)) => {
                rebuild_empty(dir, directory()?, schema).map_err(open_err)?
            }
            other => other.map_err(open_err)?,
        };
        index.tokenizers().register(TOKENIZER_NAME, analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(open_err)?;
        Ok(Self {
            index,
            reader,
            fields,
            within_kept: Arc::default(),
            date_orders: Default::default(),
        })
    }

    /// Which store, and up to which of its changes, this index holds; none
    /// for an index never committed (or written by an older Casebook).
    pub fn checkpoint(&self) -> Result<Option<Checkpoint>, SearchError> {
        let metas = self.index.load_metas()?;
        Ok(metas.payload.as_deref().and_then(Checkpoint::parse))
    }

    /// Starts a batch of changes, committed together with [`IndexBatch::commit`].
    /// Only one process writes at a time: another's batch is
    /// [`SearchError::Locked`].
    pub fn batch(&self) -> Result<IndexBatch, SearchError> {
        let writer = self.writer(writer_threads())?;
        // Holding the writer, nobody else changes the index: see what
        // other processes committed before deciding what to add.
        self.reader.reload()?;
        Ok(IndexBatch {
            index: self.index.clone(),
            reader: self.reader.clone(),
            fields: self.fields,
            writer,
            in_flight: InFlight::new(),
        })
    }

    /// Rewrites the index without what was deleted: merges every segment
    /// (deleted documents and the words only they held are dropped) and
    /// removes the old files. After an erasure nothing of the erased mail
    /// is left on disk.
    pub fn compact(&self) -> Result<(), SearchError> {
        let mut writer = self.writer(1)?;
        let segments = self.index.searchable_segment_ids()?;
        if !segments.is_empty() {
            writer.merge(&segments).wait()?;
        }
        // Readers move to the merged segment first, so the old files are
        // no longer in use when they are removed.
        self.reader.reload()?;
        writer.garbage_collect_files().wait()?;
        writer.wait_merging_threads()?;
        // The merged segments' documents were kept under ids no segment
        // has any more.
        self.within_kept.clear();
        self.date_orders.clear();
        Ok(())
    }

    /// The index's one writer, merging nothing by itself: tantivy's
    /// background merges, running while a batch deletes (every upsert
    /// does), once lost a delete and left a message in the index twice.
    /// Segments are merged in [`IndexBatch::commit`] instead, with nothing
    /// else running.
    fn writer(&self, threads: usize) -> Result<IndexWriter<InFlightDoc>, SearchError> {
        let writer: IndexWriter<InFlightDoc> = self
            .index
            .writer_with_num_threads(threads, WRITER_MEMORY)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => SearchError::Locked(e),
                other => SearchError::Index(other),
            })?;
        writer.set_merge_policy(Box::new(NoMergePolicy));
        Ok(writer)
    }

    pub fn search(&self, expr: &Expr, opts: &SearchOptions) -> Result<SearchResults, SearchError> {
        let searcher = self.reader.searcher();
        let query = self.to_query(expr);
        let limit = opts.limit.max(1);
        let ((total, total_is_lower_bound), hits) = match opts.sort {
            Sort::Relevance => {
                let top = TopDocs::with_limit(limit).and_offset(opts.offset);
                match opts.counting {
                    Counting::Every => {
                        let (total, addresses) = searcher.search(&query, &(Count, top))?;
                        ((total, false), Self::hits_of(&searcher, addresses)?)
                    }
                    // Without a count beside it, tantivy skips what
                    // cannot reach the top.
                    Counting::UpTo(most) => {
                        let addresses = searcher.search(&query, &top)?;
                        (
                            count_up_to(&searcher, &*query, most)?,
                            Self::hits_of(&searcher, addresses)?,
                        )
                    }
                }
            }
            Sort::NewestFirst => {
                let keep = opts.offset.saturating_add(limit);
                let newest = crate::date_window::newest_matching(
                    &searcher,
                    &self.date_orders,
                    &*query,
                    keep,
                )?;
                // What the windows did not read is counted on from there.
                let counted = match opts.counting {
                    _ if newest.whole => (newest.matched, false),
                    Counting::UpTo(most) if newest.matched > most => (most, true),
                    Counting::UpTo(most) => {
                        let rest = newest.rest(&*query);
                        let (more, over) = count_up_to(&searcher, &*rest, most - newest.matched)?;
                        (newest.matched + more, over)
                    }
                    Counting::Every => (
                        newest.matched + searcher.search(&*newest.rest(&*query), &Count)?,
                        false,
                    ),
                };
                let hits = newest
                    .found
                    .into_iter()
                    .skip(opts.offset)
                    .filter_map(|n| {
                        n.id.map(|id| Hit {
                            id: MessageId(id as i64),
                            score: 0.0,
                        })
                    })
                    .collect();
                (counted, hits)
            }
        };
        let hits = if opts.limit == 0 { Vec::new() } else { hits };
        let mut snippets =
            tantivy::snippet::SnippetGenerator::create(&searcher, &*query, self.fields.body)?;
        snippets.set_max_num_chars(SNIPPET_CHARS);
        Ok(SearchResults {
            total,
            total_is_lower_bound,
            hits,
            snippets,
        })
    }

    /// The message numbers of documents found, in the order found.
    fn hits_of(
        searcher: &tantivy::Searcher,
        addresses: Vec<(f32, DocAddress)>,
    ) -> Result<Vec<Hit>, SearchError> {
        let mut hits = Vec::with_capacity(addresses.len());
        // A segment's id column is opened once, not once a hit: opening
        // it decodes its block headers (5,000 hits took 60 ms).
        let mut columns: HashMap<u32, tantivy::columnar::Column<u64>> = HashMap::new();
        for (score, addr) in addresses {
            let ids = match columns.entry(addr.segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(
                    searcher
                        .segment_reader(addr.segment_ord)
                        .fast_fields()
                        .u64("id")?,
                ),
            };
            if let Some(id) = ids.first(addr.doc_id) {
                hits.push(Hit {
                    id: MessageId(id as i64),
                    score,
                });
            }
        }
        Ok(hits)
    }

    /// The id of every document the index holds, ascending, one entry per
    /// document (a message indexed twice appears twice), for checking it
    /// against the store.
    pub fn ids(&self) -> Result<Vec<MessageId>, SearchError> {
        let searcher = self.reader.searcher();
        let mut ids = Vec::new();
        for segment in searcher.segment_readers() {
            let column = segment.fast_fields().u64("id")?;
            for doc in segment.doc_ids_alive() {
                if let Some(id) = column.first(doc) {
                    ids.push(MessageId(id as i64));
                }
            }
        }
        ids.sort_unstable();
        Ok(ids)
    }

    /// Deleted documents still held in segments until they are merged.
    pub fn deleted_count(&self) -> u64 {
        self.reader
            .searcher()
            .segment_readers()
            .iter()
            .map(|s| u64::from(s.num_deleted_docs()))
            .sum()
    }

    /// How many segments a search reads: merging at each commit keeps it
    /// logarithmic in the number of commits.
    pub fn segment_count(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// How many messages the index holds.
    pub fn doc_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    fn to_query(&self, expr: &Expr) -> Box<dyn Query> {
        let f = self.fields;
        match expr {
            Expr::All => Box::new(AllQuery),
            Expr::Text { field, text } => {
                let fields: &[Field] = match field {
                    TextField::Anywhere => &[f.subject, f.body, f.from, f.to],
                    TextField::From => &[f.from],
                    TextField::To => &[f.to],
                    TextField::Subject => &[f.subject],
                    TextField::Body => &[f.body],
                };
                let per_field: Vec<_> = fields
                    .iter()
                    .filter_map(|&field| self.text_query(field, text))
                    .map(|q| (Occur::Should, q))
                    .collect();
                if per_field.is_empty() {
                    // Only punctuation: nothing to look for, so it does not narrow.
                    Box::new(AllQuery)
                } else {
                    Box::new(BooleanQuery::new(per_field))
                }
            }
            Expr::After(day) => Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_i64(f.date, day_start(*day))),
                Bound::Unbounded,
            )),
            Expr::Before(day) => Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_i64(f.date, i64::MIN + 1)),
                Bound::Excluded(Term::from_field_i64(f.date, day_start(*day))),
            )),
            Expr::HasAttachment => self.flag(FLAG_ATTACHMENT),
            Expr::Direction(d) => self.flag(d.as_str()),
            Expr::Tag(tag) => self.flag(&tag_flag(tag)),
            // Threads, reply pairs and customer lists live in the store:
            // the caller resolves these into `Expr::Messages` first.
            Expr::Answered(_) | Expr::Thread(_) | Expr::Customer(_) => {
                Box::new(tantivy::query::EmptyQuery)
            }
            Expr::Messages(set) => Box::new(crate::within::WithinQuery {
                set: set.clone(),
                kept: self.within_kept.clone(),
            }),
            Expr::Not(inner) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery)),
                (Occur::MustNot, self.to_query(inner)),
            ])),
            Expr::And(parts) => {
                let mut clauses: Vec<(Occur, Box<dyn Query>)> = parts
                    .iter()
                    .map(|p| match p {
                        Expr::Not(inner) => (Occur::MustNot, self.to_query(inner)),
                        other => (Occur::Must, self.to_query(other)),
                    })
                    .collect();
                if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                Box::new(BooleanQuery::new(clauses))
            }
            Expr::Or(parts) => Box::new(BooleanQuery::new(
                parts
                    .iter()
                    .map(|p| (Occur::Should, self.to_query(p)))
                    .collect(),
            )),
        }
    }

    fn flag(&self, value: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(self.fields.flags, value),
            IndexRecordOption::Basic,
        ))
    }

    /// The words of `text` as the index cut them, in order, in `field`.
    fn text_query(&self, field: Field, text: &str) -> Option<Box<dyn Query>> {
        let mut analyzer = analyzer();
        let mut stream = analyzer.token_stream(text);
        let mut terms = Vec::new();
        while let Some(token) = stream.next() {
            terms.push((token.position, Term::from_field_text(field, &token.text)));
        }
        match terms.len() {
            0 => None,
            1 => {
                let (_, term) = terms.remove(0);
                Some(Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)))
            }
            _ => Some(Box::new(PhraseQuery::new_with_offset(terms))),
        }
    }
}

/// How many documents match `query`, counting at most `most`: the count,
/// and whether more matched (then the count is `most`).
fn count_up_to(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    most: usize,
) -> Result<(usize, bool), SearchError> {
    let weight = query.weight(tantivy::query::EnableScoring::disabled_from_searcher(
        searcher,
    ))?;
    let mut counted = 0usize;
    for reader in searcher.segment_readers() {
        let alive = reader.alive_bitset();
        let mut matches = weight.scorer(reader, 1.0)?;
        let mut doc = matches.doc();
        while doc != tantivy::TERMINATED {
            if alive.is_none_or(|alive| alive.is_alive(doc)) {
                if counted == most {
                    return Ok((most, true));
                }
                counted += 1;
            }
            doc = matches.advance();
        }
    }
    Ok((counted, false))
}

fn day_start(day: time::Date) -> i64 {
    day.midnight().assume_utc().unix_timestamp()
}

/// Changes to the index, made visible together by [`IndexBatch::commit`].
/// It owns what it needs (handles to the index [`SearchIndex::batch`]
/// came from), so a commit can run on a thread of its own.
pub struct IndexBatch {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    writer: IndexWriter<InFlightDoc>,
    /// The bytes of documents the writer's threads have not indexed yet.
    in_flight: Arc<InFlight>,
}

impl IndexBatch {
    /// Adds the message, replacing what the index held for its id.
    pub fn upsert(&mut self, doc: &IndexDoc) -> Result<(), SearchError> {
        self.delete(doc.id);
        self.add(doc)
    }

    /// Adds a message the index does not hold yet (cheaper than
    /// [`IndexBatch::upsert`]: nothing to delete).
    pub fn add(&mut self, doc: &IndexDoc) -> Result<(), SearchError> {
        let f = self.fields;
        let mut d = TantivyDocument::default();
        d.add_u64(f.id, doc.id.0 as u64);
        d.add_i64(f.date, doc.date.unwrap_or(i64::MIN));
        d.add_text(f.from, &doc.from);
        d.add_text(f.to, &doc.to);
        d.add_text(f.subject, &doc.subject);
        d.add_text(f.body, &doc.body);
        d.add_text(f.flags, doc.direction.as_str());
        if doc.has_attachment {
            d.add_text(f.flags, FLAG_ATTACHMENT);
        }
        let mut bytes = doc.from.len() + doc.to.len() + doc.subject.len() + doc.body.len();
        for tag in &doc.tags {
            d.add_text(f.flags, tag_flag(tag));
            bytes += tag.len();
        }
        let queued = self.in_flight.admit(d, bytes, IN_FLIGHT_BYTES);
        self.writer.add_document(queued)?;
        Ok(())
    }

    pub fn delete(&mut self, id: MessageId) {
        self.writer
            .delete_term(Term::from_field_u64(self.fields.id, id.0 as u64));
    }

    /// Empties the index (for a rebuild); takes effect at commit.
    pub fn delete_all(&mut self) -> Result<(), SearchError> {
        self.writer.delete_all_documents()?;
        Ok(())
    }

    /// Makes the batch visible and records `seq`, the store change number
    /// the index now reflects.
    pub fn commit(mut self, checkpoint: &Checkpoint) -> Result<(), SearchError> {
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&checkpoint.to_payload());
        prepared.commit()?;
        // Then the merges tantivy's default policy would pick, one after
        // the other while this batch still holds the writer: nothing else
        // deletes meanwhile, and nothing is left running when the writer
        // is released (a merge ending later could rewrite what the next
        // writer committed). A level of many segments is merged a few at
        // a time: a merge reads its segments through mapped files, and
        // what it has read counts in the process's memory until it ends.
        // Only the ids are kept: a segment's metadata held here would keep
        // its files from being removed.
        let candidates = LogMergePolicy::default()
            .compute_merge_candidates(&self.index.searchable_segment_metas()?);
        let mut merged = false;
        for candidate in candidates {
            let split = candidate.0.len() > SEGMENTS_PER_MERGE;
            for group in candidate.0.chunks(SEGMENTS_PER_MERGE) {
                if split && group.len() < 2 {
                    // One left over from a large level waits for others.
                    continue;
                }
                tracing::debug!(segments = group.len(), "merging index segments");
                self.writer.merge(group).wait()?;
                merged = true;
            }
        }
        self.reader.reload()?;
        if merged {
            // The merged segments' files go now, not at the next commit
            // (a large import's were half the index on disk). A reader
            // elsewhere keeps what it has open (unlinked files stay
            // readable), so a failure here loses nothing: the next commit
            // tries again.
            if let Err(e) = self.writer.garbage_collect_files().wait() {
                tracing::warn!("merged index segments' files not removed yet: {e}");
            }
        }
        self.writer.wait_merging_threads()?;
        Ok(())
    }
}

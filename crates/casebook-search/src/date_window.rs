//! Newest-first search that reads the newest documents first. Finding a
//! query's newest k matches by visiting every match costs what the
//! matches number: at a million messages a common word matches a
//! hundred thousand, each one's fields and positions read, to keep
//! twenty. Here the query is first asked only among the documents dated
//! on or after a threshold (a window of the newest few thousand, sized
//! from tantivy's estimate of the query's matches); when that window
//! holds k matches they are the k newest of all — every document outside
//! it is older than every one inside — and otherwise the window is
//! widened at the rate it found matches, reading only the documents it
//! adds, until it holds k or is most of the index. Where the estimate
//! says there are few matches for the documents (a rare word, a small
//! archive), every match is read at once, as tantivy would.
//!
//! Each segment's newest documents are kept in date order
//! ([`DateOrders`], at most [`ORDERED_PER_SEGMENT`] of them a segment,
//! made when a window needs them after the segment's first search:
//! segments never change). A window is then a prefix of each segment's order, and the
//! query is only asked about its documents (the window is then usually
//! the smallest of the clauses, so tantivy's intersection walks it and
//! skips through the others). Finding a window by reading a segment's
//! date column each time cost ~2 ms at a million, more than the search
//! it saved.

use crate::newest::{Newest, NewestDocs, SegmentColumns};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tantivy::columnar::Column;
use tantivy::index::SegmentId;
use tantivy::query::{
    BitSetDocSet, BooleanQuery, ConstScorer, EmptyScorer, EnableScoring, Explanation, Occur, Query,
    Scorer, Weight,
};
use tantivy::{DocId, Score, Searcher, SegmentReader, TantivyError};
use tantivy_common::BitSet;

/// The fast field holding each document's date (`i64::MIN` without one).
const DATE_FIELD: &str = "date";
/// Documents kept in date order, at most, for each segment: 12 bytes
/// each, so 3 MB a segment. A window needing more of a larger segment
/// than this is the whole index.
const ORDERED_PER_SEGMENT: usize = 1 << 18;
/// The first window is sized to hold the matches wanted, and a quarter
/// more, at the rate the query's own estimate gives (tantivy's: exact for
/// a word, more than match for a phrase or words that must all be
/// there, fewer for either of several), at least [`FIRST_WINDOW_MIN`]
/// documents. Too small a window costs little: a wider one reads only
/// the documents it adds.
const FIRST_WINDOW_MIN: u64 = 4_096;
/// A window short of matches is widened to hold what is wanted at the
/// rate it found them, and a quarter more; by at least half and at most
/// 16× (so a query matching nothing reaches the whole index in a few
/// steps).
const WIDEN_MIN_HALVES: u64 = 3;
const WIDEN_MAX: u64 = 16;
/// A window of more than this share of the index is the whole index:
/// what a window saves is then less than making it.
const WHOLE_FROM_PERCENT: u64 = 40;

/// The newest matches found, and how many matched where they were looked
/// for.
pub(crate) struct WindowedNewest {
    /// The `keep` newest matches, newest first (fewer if fewer matched).
    pub found: Vec<Newest>,
    /// Matches counted in the windows read: every match when `whole`.
    pub matched: usize,
    /// Whether every document was read, so `matched` is every match.
    pub whole: bool,
    /// The windows read: the documents dated on or after this.
    read_from: Option<i64>,
    segments: HashMap<SegmentId, Arc<DateOrder>>,
}

impl WindowedNewest {
    /// `query` over the documents the windows did not read (none when
    /// `whole`).
    pub(crate) fn rest(&self, query: &dyn Query) -> Box<dyn Query> {
        match self.read_from {
            _ if self.whole => Box::new(tantivy::query::EmptyQuery),
            None => query.box_clone(),
            Some(read) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, query.box_clone()),
                (
                    Occur::MustNot,
                    Box::new(DatedFrom {
                        at_least: read,
                        before: None,
                        segments: self.segments.clone(),
                    }),
                ),
            ])),
        }
    }
}

/// The `keep` newest documents matching `query`, read newest first.
pub(crate) fn newest_matching(
    searcher: &Searcher,
    orders: &DateOrders,
    query: &dyn Query,
    keep: usize,
) -> tantivy::Result<WindowedNewest> {
    let wanted = keep.max(1) as u64;
    let docs: u64 = searcher
        .segment_readers()
        .iter()
        .map(|r| u64::from(r.max_doc()))
        .sum();
    let kept = orders.kept(searcher)?;
    // A segment's order is made at its second search, not its first: a
    // process that searches once (the command line) reads every match,
    // as making the order of a million documents' dates cost it more
    // than a window saved (`search voicemail` at a million, the whole
    // process: ~28 ms reading every match, ~72 ms making the order).
    let mut first_search = false;
    for segment in &kept {
        first_search |= !segment.searched.swap(true, Ordering::Relaxed);
    }
    // Reading every match costs what they number (m), a window what its
    // documents do (about k·n/m for k of n), each a quarter of a match or
    // less (a match is read whole, a window's document only as far as
    // telling it does not match): when 4·m·m ≤ k·n, every match is read at
    // once.
    let mut window = if first_search {
        u64::MAX
    } else {
        let estimate = estimated_matches(searcher, query)?;
        if estimate.saturating_mul(estimate).saturating_mul(4) <= wanted.saturating_mul(docs) {
            u64::MAX
        } else {
            let at_that_rate =
                u128::from(wanted) * u128::from(docs) * 5 / (4 * u128::from(estimate));
            u64::try_from(at_that_rate)
                .unwrap_or(u64::MAX)
                .max(orders.first_window)
        }
    };
    let columns: Arc<HashMap<SegmentId, SegmentColumns>> = Arc::new(
        searcher
            .segment_readers()
            .iter()
            .zip(&kept)
            .map(|(reader, segment)| (reader.segment_id(), segment.columns.clone()))
            .collect(),
    );
    let newest = |keep| NewestDocs {
        keep,
        columns: columns.clone(),
    };
    let mut segments = None;
    // What the windows read so far found: all of it newer than what is
    // left, so a wider window only reads the documents it adds.
    let mut found: Vec<Newest> = Vec::new();
    let mut matched = 0;
    let mut read_from: Option<i64> = None;
    loop {
        let threshold = if window.saturating_mul(100) >= docs.saturating_mul(WHOLE_FROM_PERCENT) {
            None
        } else {
            let segments = match &segments {
                Some(segments) => segments,
                None => segments.insert(orders.orders(searcher, &kept)?),
            };
            threshold_for(segments, window)
        };
        let Some(at_least) = threshold else {
            // The rest of the index.
            let mut windowed = WindowedNewest {
                found,
                matched,
                whole: false,
                read_from,
                segments: segments.unwrap_or_default(),
            };
            let still = keep - windowed.found.len();
            let (more, older) = searcher.search(&*windowed.rest(query), &newest(still))?;
            windowed.found.extend(older);
            windowed.matched += more;
            windowed.whole = true;
            return Ok(windowed);
        };
        if read_from.is_none_or(|read| at_least < read) {
            let added = BooleanQuery::new(vec![
                (Occur::Must, query.box_clone()),
                (
                    Occur::Must,
                    Box::new(DatedFrom {
                        at_least,
                        before: read_from,
                        segments: segments.clone().unwrap_or_default(),
                    }),
                ),
            ]);
            let (more, older) = searcher.search(&added, &newest(keep - found.len()))?;
            found.extend(older);
            matched += more;
            read_from = Some(at_least);
            if found.len() >= keep {
                return Ok(WindowedNewest {
                    found,
                    matched,
                    whole: false,
                    read_from,
                    segments: segments.unwrap_or_default(),
                });
            }
        }
        let at_that_rate =
            u128::from(window) * u128::from(wanted) * 5 / (4 * matched.max(1) as u128);
        window = u64::try_from(at_that_rate).unwrap_or(u64::MAX).clamp(
            window.saturating_mul(WIDEN_MIN_HALVES) / 2,
            window.saturating_mul(WIDEN_MAX),
        );
    }
}

/// How many documents tantivy expects `query` to match, before reading
/// them: a word's exactly; for words that must all be there (a phrase's
/// too) the rarest one's, more than match; for either of several the
/// commonest one's, fewer.
fn estimated_matches(searcher: &Searcher, query: &dyn Query) -> tantivy::Result<u64> {
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut estimate = 0u64;
    for reader in searcher.segment_readers() {
        estimate += u64::from(weight.scorer(reader, 1.0)?.size_hint());
    }
    Ok(estimate)
}

/// The latest date on or after which `window` documents (or more) were
/// written, over all segments; none when that needs more of a segment
/// than is kept in order, or more documents than have dates.
fn threshold_for(segments: &HashMap<SegmentId, Arc<DateOrder>>, window: u64) -> Option<i64> {
    let on_or_after = |date: i64| -> u64 {
        segments
            .values()
            .map(|o| o.dates.partition_point(|&d| d >= date) as u64)
            .sum()
    };
    // The largest date with `window` documents on or after it: a search
    // over the dates' values, each step counting in every segment.
    let (mut low, mut high) = (i64::MIN + 1, i64::MAX);
    if on_or_after(low) < window {
        return None;
    }
    while low < high {
        // Rounded up, so the range narrows whichever way the step goes.
        let mid = ((i128::from(low) + i128::from(high) + 1) / 2) as i64;
        if on_or_after(mid) >= window {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    // A segment kept only in part holds every document on or after a
    // date later than its oldest kept; on that date itself some may be
    // missing.
    let within_kept = segments
        .values()
        .all(|o| o.complete || o.dates.last().is_some_and(|&oldest| low > oldest));
    within_kept.then_some(low)
}

/// A segment's newest documents, newest first.
pub(crate) struct DateOrder {
    dates: Vec<i64>,
    docs: Vec<DocId>,
    /// Whether every dated document of the segment is here.
    complete: bool,
}

impl DateOrder {
    /// The newest `most` dated documents of the segment, whose dates are
    /// `column`.
    fn of(reader: &SegmentReader, column: &Column<i64>, most: usize) -> tantivy::Result<Self> {
        let max_doc = reader.max_doc();
        let mut dated: Vec<(i64, DocId)> = Vec::new();
        crate::column_scan::each_value(column, max_doc, |doc, date| {
            if date != i64::MIN {
                dated.push((date, doc));
            }
        });
        let most = most.max(1);
        let complete = dated.len() <= most;
        let newest_first = |&(date, doc): &(i64, DocId)| (std::cmp::Reverse(date), doc);
        if !complete {
            dated.select_nth_unstable_by_key(most - 1, newest_first);
            dated.truncate(most);
        }
        dated.sort_unstable_by_key(newest_first);
        Ok(Self {
            dates: dated.iter().map(|&(date, _)| date).collect(),
            docs: dated.iter().map(|&(_, doc)| doc).collect(),
            complete,
        })
    }
}

/// What is kept of a segment while it is searched: its columns, and its
/// order once a window needed it.
struct KeptSegment {
    columns: SegmentColumns,
    order: OnceLock<Arc<DateOrder>>,
    /// Whether a newest-first search has read the segment before.
    searched: AtomicBool,
}

/// What is kept of each segment for newest-first searches, and how large
/// windows are.
pub(crate) struct DateOrders {
    kept: Mutex<HashMap<SegmentId, Arc<KeptSegment>>>,
    /// Documents kept in order for each segment, at most.
    per_segment: usize,
    /// The first window's documents, at least.
    first_window: u64,
}

impl Default for DateOrders {
    fn default() -> Self {
        Self::new(ORDERED_PER_SEGMENT, FIRST_WINDOW_MIN)
    }
}

impl std::fmt::Debug for DateOrders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DateOrders")
    }
}

impl DateOrders {
    fn new(per_segment: usize, first_window: u64) -> Self {
        Self {
            kept: Mutex::default(),
            per_segment,
            first_window,
        }
    }

    /// What is kept of every segment `searcher` reads, in its order
    /// (columns opened now for a segment new to it); what was kept of
    /// segments it no longer reads (merged away) is dropped.
    fn kept(&self, searcher: &Searcher) -> tantivy::Result<Vec<Arc<KeptSegment>>> {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let readers = searcher.segment_readers();
        kept.retain(|id, _| readers.iter().any(|r| r.segment_id() == *id));
        let mut segments = Vec::with_capacity(readers.len());
        for reader in readers {
            let segment = match kept.get(&reader.segment_id()) {
                Some(segment) => segment.clone(),
                None => {
                    let segment = Arc::new(KeptSegment {
                        columns: SegmentColumns::open(reader)?,
                        order: OnceLock::new(),
                        searched: AtomicBool::new(false),
                    });
                    kept.insert(reader.segment_id(), segment.clone());
                    segment
                }
            };
            segments.push(segment);
        }
        Ok(segments)
    }

    /// The order of every segment `searcher` reads, made where it was not.
    fn orders(
        &self,
        searcher: &Searcher,
        kept: &[Arc<KeptSegment>],
    ) -> tantivy::Result<HashMap<SegmentId, Arc<DateOrder>>> {
        let mut orders = HashMap::with_capacity(kept.len());
        for (reader, segment) in searcher.segment_readers().iter().zip(kept) {
            // Made outside the map's lock: one search making a large
            // segment's order holds up no other.
            let order = match segment.order.get() {
                Some(order) => order.clone(),
                None => {
                    let made = Arc::new(DateOrder::of(
                        reader,
                        &segment.columns.dates,
                        self.per_segment,
                    )?);
                    segment.order.get_or_init(|| made).clone()
                }
            };
            orders.insert(reader.segment_id(), order);
        }
        Ok(orders)
    }

    /// Forgets every segment's order (after the index is compacted).
    pub(crate) fn clear(&self) {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// The documents dated on or after `at_least` (and before `before`),
/// found in each segment's order.
#[derive(Clone)]
struct DatedFrom {
    at_least: i64,
    before: Option<i64>,
    segments: HashMap<SegmentId, Arc<DateOrder>>,
}

impl std::fmt::Debug for DatedFrom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatedFrom({}, {:?})", self.at_least, self.before)
    }
}

impl Query for DatedFrom {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for DatedFrom {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let Some(order) = self.segments.get(&reader.segment_id()) else {
            return Err(TantivyError::InternalError(format!(
                "no date order for segment {}",
                reader.segment_id().short_uuid_string()
            )));
        };
        let from = self
            .before
            .map_or(0, |before| order.dates.partition_point(|&d| d >= before));
        let to = order.dates.partition_point(|&d| d >= self.at_least);
        if from >= to {
            return Ok(Box::new(EmptyScorer));
        }
        let mut docs = BitSet::with_max_value(reader.max_doc());
        for &doc in &order.docs[from..to] {
            docs.insert(doc);
        }
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(docs), boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let date = reader.fast_fields().i64(DATE_FIELD)?.first(doc);
        match date {
            Some(date) if date >= self.at_least && self.before.is_none_or(|b| date < b) => {
                Ok(Explanation::new("dated in the window", 1.0))
            }
            _ => Err(TantivyError::InvalidArgument(format!(
                "document {doc} is older than the window"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::indexer::NoMergePolicy;
    use tantivy::query::{AllQuery, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, FAST, INDEXED, STRING};
    use tantivy::{doc, Index, IndexWriter, TantivyDocument, Term};

    const SEGMENTS: u64 = 5;
    const PER_SEGMENT: u64 = 800;

    /// Five segments of 800 documents in no date order, about eight to a
    /// date (so a window's threshold falls among equals), some undated
    /// (`i64::MIN`, or left out in the last segment), some deleted. Each
    /// has the words of how often it is found: `all`, `half`, `third`,
    /// `tenth`, `rare` (one in 97).
    fn index() -> (Index, tantivy::schema::Field) {
        let mut schema = Schema::builder();
        let date = schema.add_i64_field("date", INDEXED | FAST);
        let id = schema.add_u64_field("id", INDEXED | FAST);
        let words = schema.add_text_field("words", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer: IndexWriter<TantivyDocument> = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        writer.set_merge_policy(Box::new(NoMergePolicy));
        let mut n = 0u64;
        for segment in 0..SEGMENTS {
            for _ in 0..PER_SEGMENT {
                n += 1;
                let mut d = TantivyDocument::default();
                d.add_u64(id, n);
                let when = 1_200_000_000 + ((n * 7_919) % 500) as i64;
                if !n.is_multiple_of(53) {
                    d.add_i64(date, when);
                } else if segment != SEGMENTS - 1 {
                    d.add_i64(date, i64::MIN);
                }
                for (word, every) in [
                    ("all", 1),
                    ("half", 2),
                    ("third", 3),
                    ("tenth", 10),
                    ("rare", 97),
                ] {
                    if n.is_multiple_of(every) {
                        d.add_text(words, word);
                    }
                }
                writer.add_document(d).expect("add");
            }
            writer.commit().expect("commit");
        }
        // Among the newest: deleted documents must not count in a window.
        let newest_date = 1_200_000_000 + 499;
        let mut gone = 0;
        for n in 1..=SEGMENTS * PER_SEGMENT {
            if 1_200_000_000 + ((n * 7_919) % 500) as i64 >= newest_date - 3 && n % 3 == 0 {
                writer.delete_term(Term::from_field_u64(id, n));
                gone += 1;
            }
        }
        assert!(gone > 5, "some of the newest deleted");
        writer
            .add_document(doc!(id => 0u64, words => "all"))
            .expect("add");
        writer.commit().expect("commit");
        (index, words)
    }

    /// The windows find what reading every match finds, in the same order
    /// (ties on a date in the index's order), for queries matching from
    /// every document to none, and for pages of one to a thousand (a
    /// window often falls a little short of the smaller ones); and the
    /// windows were used, not only the whole index (but not by the first
    /// search, which reads every match: see `newest_matching`).
    #[test]
    fn a_window_finds_the_newest_of_all() {
        let (index, words) = index();
        let searcher = index.reader().expect("reader").searcher();
        assert!(searcher.segment_readers().len() > 5, "several segments");
        let orders = DateOrders::new(300, 64);
        let term = |w: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(words, w),
                IndexRecordOption::Basic,
            ))
        };
        // Estimated as the rarer word's 1,333, a sixth (667) match: the
        // first window falls short and is widened.
        let half_and_third: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
            (Occur::Must, term("half")),
            (Occur::Must, term("third")),
        ]));
        let half_not_tenth: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
            (Occur::Must, term("half")),
            (Occur::MustNot, term("tenth")),
        ]));
        let queries: Vec<(&str, Box<dyn Query>)> = vec![
            ("everything", Box::new(AllQuery)),
            ("all", term("all")),
            ("half", term("half")),
            ("tenth", term("tenth")),
            ("rare", term("rare")),
            ("none", term("none")),
            ("half, not tenth", half_not_tenth),
            ("half and third", half_and_third),
        ];
        let first = newest_matching(&searcher, &orders, &AllQuery, 1).expect("search");
        assert!(first.whole, "a first search reads every match");
        let (mut windowed, mut whole) = (0, 0);
        for (name, query) in &queries {
            for keep in (1..=40).chain([100, 250, 1_000]) {
                let (matched, expected) = searcher
                    .search(
                        query.as_ref(),
                        &NewestDocs {
                            keep,
                            columns: Arc::default(),
                        },
                    )
                    .expect("search");
                let got = newest_matching(&searcher, &orders, query.as_ref(), keep)
                    .expect("windowed search");
                assert_eq!(got.found, expected, "{name}, keep {keep}");
                if got.whole {
                    whole += 1;
                    assert_eq!(got.matched, matched, "{name}, keep {keep}: all counted");
                } else {
                    windowed += 1;
                    assert!(
                        got.matched >= keep && got.matched <= matched,
                        "{name}, keep {keep}"
                    );
                }
            }
        }
        assert!(windowed >= 100, "windows answered {windowed} searches");
        assert!(whole >= 20, "the whole index answered {whole}");
    }

    /// A segment's order keeps its newest documents, newest first, and
    /// says whether it holds them all.
    #[test]
    fn a_segment_keeps_its_newest_in_order() {
        let (index, _) = index();
        let searcher = index.reader().expect("reader").searcher();
        let reader = &searcher.segment_readers()[0];
        let dates = reader.fast_fields().i64(DATE_FIELD).expect("dates");
        let every = DateOrder::of(reader, &dates, 10_000).expect("order");
        assert!(every.complete);
        let dated = (1..=PER_SEGMENT).filter(|n| n % 53 != 0).count();
        assert_eq!(every.docs.len(), dated, "every dated document");
        assert!(every.dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
        let some = DateOrder::of(reader, &dates, 300).expect("order");
        assert!(!some.complete);
        assert_eq!(some.dates, every.dates[..300], "the newest 300");
    }

    /// A window's threshold has `window` documents on or after it, and is
    /// given only where every segment holds all of its documents from
    /// that date on: a segment kept only in part may lack some of its
    /// oldest kept date's.
    #[test]
    fn a_threshold_is_given_only_where_every_segment_is_whole() {
        let order = |dates: &[i64], complete: bool| {
            Arc::new(DateOrder {
                dates: dates.to_vec(),
                docs: (0..dates.len() as u32).collect(),
                complete,
            })
        };
        let segments = |second_complete: bool| {
            HashMap::from([
                (SegmentId::generate_random(), order(&[10, 9, 9, 8], true)),
                (
                    SegmentId::generate_random(),
                    order(&[10, 9], second_complete),
                ),
            ])
        };
        let whole = segments(true);
        assert_eq!(threshold_for(&whole, 1), Some(10));
        assert_eq!(threshold_for(&whole, 2), Some(10));
        assert_eq!(threshold_for(&whole, 3), Some(9));
        assert_eq!(threshold_for(&whole, 6), Some(8));
        assert_eq!(threshold_for(&whole, 7), None, "only six are dated");
        let in_part = segments(false);
        assert_eq!(threshold_for(&in_part, 2), Some(10));
        assert_eq!(
            threshold_for(&in_part, 3),
            None,
            "the second may lack some of 9"
        );
        assert_eq!(threshold_for(&in_part, 6), None);
    }
}

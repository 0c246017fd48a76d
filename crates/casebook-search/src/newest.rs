//! The newest matching documents, by the `date` column, with each one's
//! message number: what tantivy's top-documents-by-field collector
//! gives, without sorting each segment's share before merging them. A
//! search page asks for its first 5,000 hits to group them into
//! conversations: tantivy's collector sorted each segment's 5,000 and
//! then all of them again, ~15 % of a loaded server's time (perf, 32
//! clients on the page); sorted once, the page served 5–6 % more
//! requests a second. It also counts what matched, and takes the
//! matches a block at a time where tantivy gives them so (no deleted
//! documents in the segment), reading their dates at once: at a million
//! messages, reading dates a document at a time beside a separate
//! `Count` collector was about a sixth of the search API's samples, and
//! this served 13 % more of its requests.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader, COLLECT_BLOCK_BUFFER_LEN};

/// A segment's date and message-number columns. Opening the date column
/// of a million documents decodes its blocks' headers: opened for every
/// segment at every search (and every window of one), they were ~4 % of
/// a loaded search page's samples, so a server keeps them per segment
/// (`date_window::DateOrders`).
#[derive(Clone)]
pub(crate) struct SegmentColumns {
    /// Documents without a date sort last (`i64::MIN`).
    pub dates: Column<i64>,
    pub ids: Column<u64>,
}

impl SegmentColumns {
    pub(crate) fn open(reader: &SegmentReader) -> tantivy::Result<Self> {
        let fast = reader.fast_fields();
        Ok(Self {
            dates: fast.i64("date")?,
            ids: fast.u64("id")?,
        })
    }
}

/// One document kept: its date (`i64::MIN` without one, so it sorts
/// last), where it is, and its message number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Newest {
    pub date: i64,
    pub segment: SegmentOrdinal,
    pub doc: DocId,
    pub id: Option<u64>,
}

impl Newest {
    /// Newest first; on the same date, in the index's order (as tantivy's
    /// own collector breaks ties).
    fn order(&self) -> (Reverse<i64>, SegmentOrdinal, DocId) {
        (Reverse(self.date), self.segment, self.doc)
    }
}

/// Keeps the `keep` newest of `found` (in no particular order).
fn keep_newest(found: &mut Vec<Newest>, keep: usize) {
    if found.len() > keep {
        if keep == 0 {
            found.clear();
            return;
        }
        found.select_nth_unstable_by_key(keep - 1, Newest::order);
        found.truncate(keep);
    }
}

/// How many documents matched, and the `keep` newest of them, newest
/// first.
pub(crate) struct NewestDocs {
    pub keep: usize,
    /// Segments' columns opened before; a segment not here has its own
    /// opened.
    pub columns: Arc<HashMap<SegmentId, SegmentColumns>>,
}

impl Collector for NewestDocs {
    type Fruit = (usize, Vec<Newest>);
    type Child = NewestInSegment;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<NewestInSegment> {
        let columns = match self.columns.get(&reader.segment_id()) {
            Some(columns) => columns.clone(),
            None => SegmentColumns::open(reader)?,
        };
        Ok(NewestInSegment {
            segment,
            keep: self.keep,
            dates: columns.dates,
            ids: columns.ids,
            found: Vec::with_capacity(self.keep.min(4096) * 2),
            threshold: None,
            matched: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<(usize, Vec<Newest>)>) -> tantivy::Result<Self::Fruit> {
        let matched = fruits.iter().map(|(n, _)| n).sum();
        // Sized once: grown a document at a time, the copying was as
        // costly as the sorting.
        let mut all = Vec::with_capacity(fruits.iter().map(|(_, f)| f.len()).sum());
        for (_, fruit) in fruits {
            all.extend_from_slice(&fruit);
        }
        keep_newest(&mut all, self.keep);
        all.sort_unstable_by_key(Newest::order);
        Ok((matched, all))
    }
}

/// One segment's share: how many matched, and its newest documents,
/// unsorted.
pub(crate) struct NewestInSegment {
    segment: SegmentOrdinal,
    keep: usize,
    /// Documents without a date sort last (`i64::MIN`).
    dates: Column<i64>,
    ids: Column<u64>,
    /// At most twice `keep`, cut back to `keep` when full.
    found: Vec<Newest>,
    /// Once cut back: the oldest date kept. A later document (of a higher
    /// number, so behind any kept one of the same date) must be newer.
    threshold: Option<i64>,
    matched: usize,
}

impl NewestInSegment {
    fn consider(&mut self, doc: DocId, date: i64) {
        if self.threshold.is_some_and(|oldest| date <= oldest) {
            return;
        }
        self.found.push(Newest {
            date,
            segment: self.segment,
            doc,
            id: None,
        });
        if self.found.len() >= self.keep.saturating_mul(2).max(1) {
            keep_newest(&mut self.found, self.keep);
            self.threshold = self.found.iter().map(|n| n.date).min();
        }
    }
}

impl SegmentCollector for NewestInSegment {
    type Fruit = (usize, Vec<Newest>);

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.matched += 1;
        let date = self.dates.first(doc).unwrap_or(i64::MIN);
        self.consider(doc, date);
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        for docs in docs.chunks(COLLECT_BLOCK_BUFFER_LEN) {
            self.matched += docs.len();
            // The dates of the block, read at once; a document without
            // one is left `None` (not every kind of column writes it).
            let mut dates = [None; COLLECT_BLOCK_BUFFER_LEN];
            let dates = &mut dates[..docs.len()];
            self.dates.first_vals(docs, dates);
            for (&doc, date) in docs.iter().zip(dates.iter()) {
                self.consider(doc, date.unwrap_or(i64::MIN));
            }
        }
    }

    fn harvest(mut self) -> (usize, Vec<Newest>) {
        keep_newest(&mut self.found, self.keep);
        for n in &mut self.found {
            n.id = self.ids.first(n.doc);
        }
        (self.matched, self.found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::indexer::NoMergePolicy;
    use tantivy::query::AllQuery;
    use tantivy::schema::{Schema, FAST, INDEXED};
    use tantivy::{doc, Index, IndexWriter, Order, TantivyDocument, Term};

    /// An index of four segments whose dates repeat, some missing: in the
    /// first three written as `i64::MIN` (a column with a value for every
    /// document), in the fourth left out (a column with gaps). The first
    /// two have deleted documents, so tantivy gives their matches one at a
    /// time, the last two a block at a time.
    fn index() -> Index {
        let mut schema = Schema::builder();
        let date = schema.add_i64_field("date", INDEXED | FAST);
        let id = schema.add_u64_field("id", INDEXED | FAST);
        let index = Index::create_in_ram(schema.build());
        let mut writer: IndexWriter<TantivyDocument> = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        writer.set_merge_policy(Box::new(NoMergePolicy));
        let mut n = 0u64;
        for segment in 0..4u64 {
            for i in 0..400u64 {
                n += 1;
                // Dates in no order, some shared, some missing.
                let when = match (i * 7_919 + segment * 104_729) % 37 {
                    0..=1 => i64::MIN,
                    k => 1_200_000_000 + k as i64,
                };
                let document = if segment == 3 && when == i64::MIN {
                    doc!(id => n)
                } else {
                    doc!(date => when, id => n)
                };
                writer.add_document(document).expect("add");
            }
            writer.commit().expect("commit");
        }
        for gone in [5u64, 401, 402] {
            writer.delete_term(Term::from_field_u64(id, gone));
        }
        writer.commit().expect("commit");
        index
    }

    #[test]
    fn the_newest_are_tantivy_s_own_in_its_own_order() {
        let index = index();
        let searcher = index.reader().expect("reader").searcher();
        let segments = searcher.segment_readers();
        assert_eq!(segments.len(), 4, "four segments");
        let with_deletes = segments.iter().filter(|s| s.has_deletes()).count();
        assert_eq!(
            with_deletes, 2,
            "two segments give their matches one by one"
        );
        let with_gaps = segments
            .iter()
            .filter(|s| {
                s.fast_fields()
                    .i64("date")
                    .expect("dates")
                    .get_cardinality()
                    == tantivy::columnar::Cardinality::Optional
            })
            .count();
        assert_eq!(with_gaps, 1, "one segment's dates have gaps");
        for keep in [1, 2, 7, 100, 399, 800, 1_597, 5_000] {
            let theirs = searcher
                .search(
                    &AllQuery,
                    &TopDocs::with_limit(keep).order_by_fast_field::<i64>("date", Order::Desc),
                )
                .expect("search");
            let (matched, ours) = searcher
                .search(
                    &AllQuery,
                    &NewestDocs {
                        keep,
                        columns: Arc::default(),
                    },
                )
                .expect("search");
            assert_eq!(matched, 1_597, "keep {keep}: every live document counted");
            let theirs: Vec<(i64, u32, u32)> = theirs
                .iter()
                .map(|(d, a)| (*d, a.segment_ord, a.doc_id))
                .collect();
            let ours_ordered: Vec<(i64, u32, u32)> =
                ours.iter().map(|n| (n.date, n.segment, n.doc)).collect();
            assert_eq!(ours_ordered, theirs, "keep {keep}");
            let ids = searcher.segment_readers();
            for n in &ours {
                let column = ids[n.segment as usize]
                    .fast_fields()
                    .u64("id")
                    .expect("ids");
                assert_eq!(n.id, column.first(n.doc), "keep {keep}");
            }
        }
        let (matched, none) = searcher
            .search(
                &AllQuery,
                &NewestDocs {
                    keep: 0,
                    columns: Arc::default(),
                },
            )
            .expect("search");
        assert_eq!((matched, none.len()), (1_597, 0));
    }
}

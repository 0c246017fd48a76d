//! The newest matching documents, by the `date` column, with each one's
//! message number: what tantivy's top-documents-by-field collector
//! gives, without sorting each segment's share before merging them. A
//! search page asks for its first 5,000 hits to group them into
//! conversations: tantivy's collector sorted each segment's 5,000 and
//! then all of them again, ~15 % of a loaded server's time (perf, 32
//! clients on the page); sorted once, the page served 5–6 % more
//! requests a second.

use std::cmp::Reverse;
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, ColumnValues};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

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

/// The `keep` newest matching documents, newest first.
pub(crate) struct NewestDocs {
    pub keep: usize,
}

impl Collector for NewestDocs {
    type Fruit = Vec<Newest>;
    type Child = NewestInSegment;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<NewestInSegment> {
        let fast = reader.fast_fields();
        Ok(NewestInSegment {
            segment,
            keep: self.keep,
            // Documents without a date sort last.
            dates: fast.i64("date")?.first_or_default_col(i64::MIN),
            ids: fast.u64("id")?,
            found: Vec::with_capacity(self.keep.min(4096) * 2),
            threshold: None,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<Newest>>) -> tantivy::Result<Vec<Newest>> {
        // Sized once: grown a document at a time, the copying was as
        // costly as the sorting.
        let mut all = Vec::with_capacity(fruits.iter().map(Vec::len).sum());
        for fruit in fruits {
            all.extend_from_slice(&fruit);
        }
        keep_newest(&mut all, self.keep);
        all.sort_unstable_by_key(Newest::order);
        Ok(all)
    }
}

/// One segment's share: its newest documents, unsorted.
pub(crate) struct NewestInSegment {
    segment: SegmentOrdinal,
    keep: usize,
    dates: Arc<dyn ColumnValues<i64>>,
    ids: Column<u64>,
    /// At most twice `keep`, cut back to `keep` when full.
    found: Vec<Newest>,
    /// Once cut back: the oldest date kept. A later document (of a higher
    /// number, so behind any kept one of the same date) must be newer.
    threshold: Option<i64>,
}

impl SegmentCollector for NewestInSegment {
    type Fruit = Vec<Newest>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        let date = self.dates.get_val(doc);
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

    fn harvest(mut self) -> Vec<Newest> {
        keep_newest(&mut self.found, self.keep);
        for n in &mut self.found {
            n.id = self.ids.first(n.doc);
        }
        self.found
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

    /// An index of three segments whose dates repeat (and some have none:
    /// `i64::MIN`, as the index stores them), with deleted documents.
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
        for segment in 0..3u64 {
            for i in 0..400u64 {
                n += 1;
                // Dates in no order, some shared, some missing.
                let when = match (i * 7_919 + segment * 104_729) % 37 {
                    0..=1 => i64::MIN,
                    k => 1_200_000_000 + k as i64,
                };
                writer
                    .add_document(doc!(date => when, id => n))
                    .expect("add");
            }
            writer.commit().expect("commit");
        }
        for gone in [5u64, 401, 402, 1_000] {
            writer.delete_term(Term::from_field_u64(id, gone));
        }
        writer.commit().expect("commit");
        index
    }

    #[test]
    fn the_newest_are_tantivy_s_own_in_its_own_order() {
        let index = index();
        let searcher = index.reader().expect("reader").searcher();
        assert_eq!(searcher.segment_readers().len(), 3, "three segments");
        for keep in [1, 2, 7, 100, 399, 800, 1_196, 5_000] {
            let theirs = searcher
                .search(
                    &AllQuery,
                    &TopDocs::with_limit(keep).order_by_fast_field::<i64>("date", Order::Desc),
                )
                .expect("search");
            let ours = searcher
                .search(&AllQuery, &NewestDocs { keep })
                .expect("search");
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
        assert!(searcher
            .search(&AllQuery, &NewestDocs { keep: 0 })
            .expect("search")
            .is_empty());
    }
}

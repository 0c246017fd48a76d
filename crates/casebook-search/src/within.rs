//! A query for "one of these messages": the documents whose `id` is in a
//! [`MessageSet`]. Each segment's ids are read from the fast field in
//! blocks and checked against the set, giving a bit per document that
//! the other clauses skip through; its cost is one pass over the
//! segment's ids, whatever the set holds (a term per message, as before,
//! cost a dictionary lookup each: `is:unanswered` at 100,000 messages
//! asked for 30,000 of them in every search).
//!
//! A server answers the same filter many times between two changes of its
//! set: the documents found for a segment and a set are kept
//! ([`WithinKept`], the last [`KEPT`] pairs), so the pass over a
//! segment's ids (a million of them: about 6 ms, half of a filtered
//! search's work at a million messages) is made once per segment and set,
//! not once per search.

use casebook_vocabulary::{MessageId, MessageSet};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tantivy::index::SegmentId;
use tantivy::query::{
    BitSetDocSet, ConstScorer, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight,
};
use tantivy::{DocId, Score, SegmentReader, TantivyError};
use tantivy_common::BitSet;

/// The fast field holding each document's message number.
const ID_FIELD: &str = "id";
/// (segment, set) pairs whose documents are kept: each is a bit per
/// document of the segment (125 KB for a segment of a million) and holds
/// its set (a bit per message) while kept, so at most 32 × 250 KB = 8 MB
/// at a million messages.
const KEPT: usize = 32;

#[derive(Debug, Clone)]
pub(crate) struct WithinQuery {
    pub(crate) set: Arc<MessageSet>,
    pub(crate) kept: Arc<WithinKept>,
}

impl Query for WithinQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(WithinWeight {
            set: self.set.clone(),
            kept: self.kept.clone(),
        }))
    }
}

/// The documents found for the last few segments and sets, newest last.
/// A set is known by its allocation: the archive gives a changed set as
/// a new one, and each entry holds its set, so the allocation cannot be
/// reused by another while the entry is kept. A segment's documents never
/// change (deleted ones are left out by every search, as before).
#[derive(Default)]
pub(crate) struct WithinKept {
    kept: Mutex<VecDeque<KeptDocs>>,
}

struct KeptDocs {
    segment: SegmentId,
    set: Arc<MessageSet>,
    docs: Arc<BitSet>,
}

impl std::fmt::Debug for WithinKept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WithinKept")
    }
}

impl WithinKept {
    fn get(&self, segment: SegmentId, set: &Arc<MessageSet>) -> Option<Arc<BitSet>> {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let at = kept
            .iter()
            .position(|k| k.segment == segment && Arc::ptr_eq(&k.set, set))?;
        let found = kept.remove(at)?;
        let docs = found.docs.clone();
        kept.push_back(found);
        Some(docs)
    }

    fn keep(&self, segment: SegmentId, set: Arc<MessageSet>, docs: Arc<BitSet>) {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.retain(|k| !(k.segment == segment && Arc::ptr_eq(&k.set, &set)));
        if kept.len() >= KEPT {
            kept.pop_front();
        }
        kept.push_back(KeptDocs { segment, set, docs });
    }

    /// Forgets every segment's documents (after the index is compacted:
    /// its old segments are gone).
    pub(crate) fn clear(&self) {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

struct WithinWeight {
    set: Arc<MessageSet>,
    kept: Arc<WithinKept>,
}

impl WithinWeight {
    /// The segment's documents whose message is in the set.
    fn documents(&self, reader: &SegmentReader) -> tantivy::Result<BitSet> {
        let max_doc = reader.max_doc();
        let mut docs = BitSet::with_max_value(max_doc);
        let column = reader.fast_fields().u64(ID_FIELD)?;
        let within = |id: u64| i64::try_from(id).is_ok_and(|id| self.set.contains(MessageId(id)));
        crate::column_scan::each_value(&column, max_doc, |doc, id| {
            if within(id) {
                docs.insert(doc);
            }
        });
        Ok(docs)
    }
}

impl Weight for WithinWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        if self.set.is_empty() || reader.max_doc() == 0 {
            return Ok(Box::new(EmptyScorer));
        }
        let segment = reader.segment_id();
        let docs = match self.kept.get(segment, &self.set) {
            Some(docs) => docs,
            None => {
                let docs = Arc::new(self.documents(reader)?);
                self.kept.keep(segment, self.set.clone(), docs.clone());
                docs
            }
        };
        Ok(Box::new(ConstScorer::new(
            BitSetDocSet::from(BitSet::clone(&docs)),
            boost,
        )))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let id = reader.fast_fields().u64(ID_FIELD)?.first(doc);
        match id.and_then(|id| i64::try_from(id).ok()) {
            Some(id) if self.set.contains(MessageId(id)) => {
                Ok(Explanation::new("one of the messages asked for", 1.0))
            }
            _ => Err(TantivyError::InvalidArgument(format!(
                "document {doc} is not one of the messages asked for"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Checkpoint, Expr, IndexDoc, SearchIndex, SearchOptions, TextField};
    use casebook_vocabulary::{Direction, MessageId, MessageSet};
    use std::sync::Arc;

    fn doc(id: i64) -> IndexDoc {
        IndexDoc {
            id: MessageId(id),
            date: Some(1_700_000_000 + id),
            direction: Direction::Inbound,
            from: "ann@example.com".into(),
            to: String::new(),
            subject: if id % 2 == 0 { "trunk down" } else { "invoice" }.into(),
            body: String::new(),
            has_attachment: false,
            tags: Vec::new(),
        }
    }

    /// An index in `dir` of two commits, so two segments: the messages
    /// `first`, then `second` and `replaced` indexed again.
    fn two_segments(
        dir: &std::path::Path,
        first: std::ops::RangeInclusive<i64>,
        second: std::ops::RangeInclusive<i64>,
        replaced: Option<i64>,
    ) -> SearchIndex {
        let index = SearchIndex::open(dir).expect("open index");
        for (seq, ids) in [(1, first), (2, second)] {
            let mut batch = index.batch().expect("writer");
            for id in ids {
                batch.add(&doc(id)).expect("add");
            }
            if let Some(id) = replaced.filter(|_| seq == 2) {
                batch.upsert(&doc(id)).expect("upsert");
            }
            let checkpoint = Checkpoint {
                store: "s".into(),
                seq,
            };
            batch.commit(&checkpoint).expect("commit");
        }
        index
    }

    fn found(index: &SearchIndex, expr: &Expr) -> Vec<i64> {
        let options = SearchOptions {
            limit: 1000,
            ..SearchOptions::default()
        };
        let mut ids: Vec<i64> = index
            .search(expr, &options)
            .expect("search")
            .hits
            .iter()
            .map(|h| h.id.0)
            .collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn finds_the_messages_of_a_set_in_every_segment() {
        let dir = tempfile::tempdir().expect("temp dir");
        // Message 4 is replaced in the second segment, so its first
        // document is deleted but still in the first segment.
        let index = two_segments(dir.path(), 1..=1500, 1501..=3000, Some(4));
        let set: MessageSet = [4, 7, 1499, 2000, 2999, 9999]
            .map(MessageId)
            .into_iter()
            .collect();
        let within = Expr::Messages(Arc::new(set));
        assert_eq!(found(&index, &within), [4, 7, 1499, 2000, 2999]);
        let trunk = Expr::Text {
            field: TextField::Subject,
            text: "trunk".into(),
        };
        // Subjects with "trunk" are the even numbers.
        assert_eq!(
            found(&index, &Expr::And(vec![trunk.clone(), within.clone()])),
            [4, 2000]
        );
        let outside = Expr::And(vec![trunk, Expr::Not(Box::new(within))]);
        assert_eq!(
            index
                .search(&outside, &SearchOptions::default())
                .expect("search")
                .total,
            1500 - 2
        );
        let nothing = Expr::Messages(Arc::new(MessageSet::new()));
        assert!(found(&index, &nothing).is_empty());
    }

    /// A set's documents are found once per segment and then kept; a
    /// changed set (a new one) is looked up afresh, never answered with
    /// the documents of the set before it.
    #[test]
    fn each_segments_documents_are_kept_per_set() {
        let dir = tempfile::tempdir().expect("temp dir");
        let index = two_segments(dir.path(), 1..=100, 101..=200, None);
        let kept = || index.within_kept.len();
        let set = |ids: &[i64]| {
            let set: MessageSet = ids.iter().map(|&i| MessageId(i)).collect();
            Arc::new(set)
        };
        let before = set(&[3, 150]);
        let within = Expr::Messages(before.clone());
        assert_eq!(found(&index, &within), [3, 150]);
        assert_eq!(kept(), index.segment_count(), "one entry per segment");
        assert_eq!(found(&index, &within), [3, 150], "the kept documents");
        assert_eq!(kept(), index.segment_count(), "found again, not added");

        // The same set changed, as the archive gives it: a new one.
        let after = set(&[3, 4, 199]);
        assert_eq!(found(&index, &Expr::Messages(after)), [3, 4, 199]);
        assert_eq!(kept(), 2 * index.segment_count());

        index.compact().expect("compact");
        assert_eq!(kept(), 0, "the merged segments' entries are gone");
        assert_eq!(found(&index, &within), [3, 150]);
    }
}

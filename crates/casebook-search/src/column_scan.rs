//! Every document's value of a fast field, in document order: read a
//! block at a time where the column has a value for each document (a
//! value at a time, each looked up, cost several times as much over a
//! million documents), one document at a time where it has gaps.

use std::fmt::Debug;
use tantivy::columnar::{Column, ColumnIndex};
use tantivy::DocId;

/// Values read from a column at a time.
const BLOCK: usize = 1024;

/// Calls `each` with every document below `max_doc` that has a value in
/// `column`, and the value, in document order.
pub(crate) fn each_value<T>(column: &Column<T>, max_doc: DocId, mut each: impl FnMut(DocId, T))
where
    T: PartialOrd + Copy + Debug + Default + Send + Sync + 'static,
{
    if matches!(column.index, ColumnIndex::Full) {
        let mut block = [T::default(); BLOCK];
        let mut start = 0u32;
        while start < max_doc {
            let n = BLOCK.min((max_doc - start) as usize);
            column.values.get_range(u64::from(start), &mut block[..n]);
            for (offset, &value) in block[..n].iter().enumerate() {
                each(start + offset as u32, value);
            }
            start += n as u32;
        }
    } else {
        for doc in 0..max_doc {
            if let Some(value) = column.first(doc) {
                each(doc, value);
            }
        }
    }
}

//! The last aggregate statistics given, kept beside the search index with
//! where the store stood when they were counted and the `k` they were
//! counted with: while nothing has changed since, `stats --aggregate` and
//! the web statistics page read these few cells instead of a record per
//! message (37 MB at a million, 0.2 s to read and count). Any write,
//! removal or merge moves the store's marks and the cells are counted
//! again from the kept records. Like every kept file it is only a saving:
//! one that does not match the store, its marks or `k`, or cannot be read
//! whole, is ignored.

use crate::aggregate::{AggregateStats, StatCell, RESPONSE_SPANS};
use crate::kept_file::{self, put_text, Reader};
use std::path::Path;

/// The file in the index directory the cells are kept in.
pub(crate) const FILE_NAME: &str = "statistics-cells";
/// What the file starts with (its format's version is the last digit).
const MAGIC: &[u8] = b"casebook statistics cells 1\n";
/// A larger file is not one this code wrote (a cell per month and topic,
/// about 120 bytes: a century of a hundred topics is 14 MB; the compact
/// million's is 32 KB).
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Where the store stood when a set of cells was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CountedAt {
    /// The store's count of writes.
    pub writes: u64,
    /// The store's `stats_write` (removals and merges).
    pub stats: u64,
}

/// The cells kept in `index_dir`, if they are this store's (by
/// `identity`), counted at `at` with `k`, and whole; `None` otherwise.
pub(crate) async fn read(
    index_dir: &Path,
    identity: &str,
    at: CountedAt,
    k: u32,
) -> Option<AggregateStats> {
    let path = index_dir.join(FILE_NAME);
    let bytes = kept_file::read(&path, MAX_FILE_BYTES, "statistics cells").await?;
    decode(&bytes, identity, at, k)
}

/// Keeps `stats`, counted at `at`, in `index_dir` for the next caller.
pub(crate) async fn write(index_dir: &Path, identity: &str, at: CountedAt, stats: &AggregateStats) {
    let path = index_dir.join(FILE_NAME);
    kept_file::write(&path, &encode(stats, identity, at), "statistics cells").await;
}

/// [`MAGIC`], the store's identity, the two marks, `k`, the suppressed
/// count, the number of cells and each cell: month, topic (each a length
/// and UTF-8), inbound, outbound, answered, whether a median follows and
/// the median, conversations, the response-time counts, correspondents;
/// little-endian.
fn encode(stats: &AggregateStats, identity: &str, at: CountedAt) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    put_text(&mut out, identity);
    out.extend(at.writes.to_le_bytes());
    out.extend(at.stats.to_le_bytes());
    out.extend(stats.k.to_le_bytes());
    out.extend(stats.suppressed.to_le_bytes());
    out.extend((stats.cells.len() as u64).to_le_bytes());
    for c in &stats.cells {
        put_text(&mut out, &c.month);
        put_text(&mut out, &c.topic);
        for n in [c.inbound, c.outbound, c.answered] {
            out.extend(n.to_le_bytes());
        }
        out.push(u8::from(c.median_response_secs.is_some()));
        out.extend(c.median_response_secs.unwrap_or(0).to_le_bytes());
        out.extend(c.conversations.to_le_bytes());
        for n in c.response_times {
            out.extend(n.to_le_bytes());
        }
        out.extend(c.correspondents.to_le_bytes());
    }
    out
}

/// [`encode`]'s bytes back, if they are whole and of this store, marks
/// and `k`; nothing may follow the last cell.
fn decode(bytes: &[u8], identity: &str, at: CountedAt, k: u32) -> Option<AggregateStats> {
    let mut r = Reader(bytes.strip_prefix(MAGIC)?);
    let kept_at = (r.text()?, r.u64()?, r.u64()?, r.u32()?);
    if kept_at != (identity, at.writes, at.stats, k) {
        return None;
    }
    let suppressed = r.u64()?;
    let count = usize::try_from(r.u64()?).ok()?;
    // Each cell takes more than 64 bytes: a count the file cannot hold is
    // refused before anything is set aside for it.
    if count > r.0.len() / 64 {
        return None;
    }
    let mut cells = Vec::with_capacity(count);
    for _ in 0..count {
        let month = r.text()?.to_owned();
        let topic = r.text()?.to_owned();
        let (inbound, outbound, answered) = (r.u64()?, r.u64()?, r.u64()?);
        let median_response_secs = match (r.take(1)?[0], r.u64()? as i64) {
            (0, _) => None,
            (1, secs) => Some(secs),
            _ => return None,
        };
        let conversations = r.u64()?;
        let mut response_times = [0; RESPONSE_SPANS.len()];
        for n in &mut response_times {
            *n = r.u64()?;
        }
        let correspondents = r.u64()?;
        cells.push(StatCell {
            month,
            topic,
            inbound,
            outbound,
            answered,
            median_response_secs,
            conversations,
            response_times,
            correspondents,
        });
    }
    if !r.0.is_empty() {
        return None;
    }
    Some(AggregateStats {
        k,
        cells,
        suppressed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats() -> AggregateStats {
        let cell = StatCell {
            month: "2008-07".into(),
            topic: "voicemail".into(),
            inbound: 12,
            outbound: 9,
            answered: 8,
            median_response_secs: Some(5_400),
            conversations: 7,
            response_times: [3, 2, 1, 1, 1],
            correspondents: 6,
        };
        let unanswered = StatCell {
            topic: "invoice".into(),
            answered: 0,
            median_response_secs: None,
            response_times: [0; RESPONSE_SPANS.len()],
            ..cell.clone()
        };
        AggregateStats {
            k: 5,
            cells: vec![cell, unanswered],
            suppressed: 4,
        }
    }

    const AT: CountedAt = CountedAt {
        writes: 31,
        stats: 2,
    };

    #[test]
    fn cells_read_back_as_they_were_written() {
        let s = stats();
        assert_eq!(
            decode(&encode(&s, "store-1", AT), "store-1", AT, 5),
            Some(s)
        );
    }

    #[test]
    fn cells_of_another_store_count_k_or_cut_short_are_not_taken() {
        let bytes = encode(&stats(), "store-1", AT);
        assert_eq!(decode(&bytes, "store-2", AT, 5), None);
        assert_eq!(decode(&bytes, "store-1", AT, 4), None, "another k");
        let later = CountedAt { writes: 32, ..AT };
        assert_eq!(decode(&bytes, "store-1", later, 5), None, "written since");
        let merged = CountedAt { stats: 3, ..AT };
        assert_eq!(decode(&bytes, "store-1", merged, 5), None, "merged since");
        for cut in [1, 8, bytes.len() / 2] {
            assert_eq!(decode(&bytes[..bytes.len() - cut], "store-1", AT, 5), None);
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            decode(&longer, "store-1", AT, 5),
            None,
            "bytes after the cells"
        );
        let mut absurd = bytes;
        let at = MAGIC.len() + 4 + "store-1".len() + 8 + 8 + 4 + 8;
        absurd[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(decode(&absurd, "store-1", AT, 5), None, "an absurd count");
    }
}

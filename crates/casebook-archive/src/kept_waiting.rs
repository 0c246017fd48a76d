//! The conversations waiting for us, as last read from the store, kept by
//! each process and beside the search index with where the store stood
//! when they were read. Reading them is a pass over every unanswered
//! customer message (0.27 s at a million messages with a hundred thousand
//! conversations waiting); while the store's marks have not moved, a queue
//! page is cut from the kept list instead, so thirty-two agents opening
//! the queue cost one read, not thirty-two. After writes (new mail, a
//! reply paired, conversations joined) the next queue works the list out
//! again for the conversations written since (`Archive::queue`); after a
//! removal or a merge it reads it whole. Only the unfiltered list is kept (a
//! customer list narrows it by each conversation's latest message); a
//! queue by tag or topic reads the store each time. Like every kept file
//! it is only a saving: one that does not match the store or its marks,
//! or cannot be read whole, is ignored.

use crate::kept_file::{self, put_text, Reader};
use casebook_store::Waiting;
use casebook_vocabulary::{MessageId, ThreadId};
use std::path::Path;
use std::sync::Arc;

/// The file in the index directory the list is kept in.
const FILE_NAME: &str = "waiting";
/// What the file starts with (its format's version is the last digit).
const MAGIC: &[u8] = b"casebook waiting conversations 1\n";
/// Bytes a conversation takes in the file.
const ENTRY_BYTES: usize = 32;
/// A larger file is not one this code wrote (ten million conversations
/// waiting take 320 MB): it is ignored, not read.
const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// The waiting list and the store's marks (`writes`, `stats`) it was read at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeptWaiting {
    pub writes: u64,
    pub stats: u64,
    /// Oldest waiting first, as [`casebook_store::Store::waiting`] gives them.
    pub waiting: Arc<Vec<Waiting>>,
}

/// The list this process keeps (one lock: a second queue waits for the
/// first one's read instead of reading too).
#[derive(Default)]
pub(crate) struct WaitingKept {
    pub(crate) kept: tokio::sync::Mutex<Option<KeptWaiting>>,
}

/// The list kept in `index_dir`, if it is this store's (by `identity`)
/// and whole; `None` otherwise.
pub(crate) async fn read(index_dir: &Path, identity: &str) -> Option<KeptWaiting> {
    let path = index_dir.join(FILE_NAME);
    kept_file::read_decoded(&path, MAX_FILE_BYTES, "waiting conversations", |bytes| {
        decode(bytes, identity)
    })
    .await
}

/// Keeps `kept` in `index_dir` for the next process.
pub(crate) async fn write(index_dir: &Path, identity: &str, kept: &KeptWaiting) {
    let path = index_dir.join(FILE_NAME);
    kept_file::write(&path, &encode(kept, identity), "waiting conversations").await;
}

/// [`MAGIC`], the store's identity, the two marks, the number of
/// conversations and each one: thread, since, messages, latest message;
/// little-endian.
fn encode(kept: &KeptWaiting, identity: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + kept.waiting.len() * ENTRY_BYTES);
    out.extend(MAGIC);
    put_text(&mut out, identity);
    out.extend(kept.writes.to_le_bytes());
    out.extend(kept.stats.to_le_bytes());
    out.extend((kept.waiting.len() as u64).to_le_bytes());
    for w in kept.waiting.iter() {
        out.extend(w.thread_id.0.to_le_bytes());
        out.extend(w.since.to_le_bytes());
        out.extend(w.messages.to_le_bytes());
        out.extend(w.last.0.to_le_bytes());
    }
    out
}

/// [`encode`]'s bytes back, if they are whole, of this store, and in the
/// store's order (oldest waiting first, then by thread, each thread once).
fn decode(bytes: &[u8], identity: &str) -> Option<KeptWaiting> {
    let mut r = Reader(bytes.strip_prefix(MAGIC)?);
    if r.text()? != identity {
        return None;
    }
    let (writes, stats) = (r.u64()?, r.u64()?);
    let count = usize::try_from(r.u64()?).ok()?;
    if r.0.len() != count.checked_mul(ENTRY_BYTES)? {
        return None;
    }
    let mut waiting = Vec::with_capacity(count);
    let mut previous: Option<(i64, i64)> = None;
    for _ in 0..count {
        let w = Waiting {
            thread_id: ThreadId(r.u64()? as i64),
            since: r.u64()? as i64,
            messages: r.u64()?,
            last: MessageId(r.u64()? as i64),
        };
        let order = (w.since, w.thread_id.0);
        if w.messages == 0 || previous.is_some_and(|p| p >= order) {
            return None;
        }
        previous = Some(order);
        waiting.push(w);
    }
    Some(KeptWaiting {
        writes,
        stats,
        waiting: Arc::new(waiting),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept() -> KeptWaiting {
        let w = |thread, since, messages, last| Waiting {
            thread_id: ThreadId(thread),
            since,
            messages,
            last: MessageId(last),
        };
        KeptWaiting {
            writes: 40,
            stats: 3,
            waiting: Arc::new(vec![
                w(9, 1_214_902_357, 2, 31),
                w(4, 1_214_902_400, 1, 12),
                w(7, 1_214_902_400, 3, 29),
            ]),
        }
    }

    #[test]
    fn the_list_reads_back_as_it_was_written() {
        let k = kept();
        assert_eq!(decode(&encode(&k, "store-1"), "store-1"), Some(k));
    }

    #[test]
    fn a_list_of_another_store_cut_short_or_out_of_order_is_not_taken() {
        let bytes = encode(&kept(), "store-1");
        assert_eq!(decode(&bytes, "store-2"), None);
        for cut in [1, ENTRY_BYTES, bytes.len() - 20] {
            assert_eq!(decode(&bytes[..bytes.len() - cut], "store-1"), None);
        }
        let mut swapped = kept();
        Arc::make_mut(&mut swapped.waiting).swap(1, 2);
        assert_eq!(decode(&encode(&swapped, "store-1"), "store-1"), None);
        let mut twice = kept();
        let first = twice.waiting[0].clone();
        Arc::make_mut(&mut twice.waiting).insert(0, first);
        assert_eq!(decode(&encode(&twice, "store-1"), "store-1"), None);
        let mut absurd = bytes;
        let at = absurd.len() - 3 * ENTRY_BYTES - 8;
        absurd[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(decode(&absurd, "store-1"), None);
    }
}

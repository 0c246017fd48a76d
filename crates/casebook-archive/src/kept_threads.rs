//! The thread of every message, kept by each process and on disk beside
//! its index, and brought up to date from what changed: a search page
//! groups its first thousands of hits into conversations by it, instead of
//! asking the database for each hit's thread (5,000 lookups a request
//! took most of the page's time, and a server of 32 agents queued on them).
//!
//! Every change of a message's thread records the write's count in the
//! row (`state_write`, as the filter sets use it), so a map read at one
//! count is brought up to date by the rows above it. The copy on disk only
//! saves a new process the first reading (a second at a million): it
//! names the store it was read from, and anything that does not match,
//! cannot be read or is ahead of the store is ignored and the map read
//! again.

use crate::kept_file::{self, put_text, Reader};
use crate::{Archive, ArchiveError};
use casebook_vocabulary::{MessageId, ThreadId, ThreadMap};
use std::sync::Arc;

/// The file in the index directory the map is kept in.
const FILE_NAME: &str = "threads";
/// What the file starts with (its format's version is the last digit).
const MAGIC: &[u8] = b"casebook threads 1\n";
/// A larger file is not one this code wrote (the map of 100,000,000
/// messages is 400 MB): it is ignored, not read.
const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// The map this process keeps; one lock, so that 32 searches after a
/// write bring it up to date once.
#[derive(Default)]
pub(crate) struct KeptThreads {
    kept: tokio::sync::Mutex<Kept>,
}

#[derive(Default, Debug, PartialEq)]
struct Kept {
    /// The store's count of writes when the map was last brought up to date.
    writes: u64,
    map: Option<Arc<ThreadMap>>,
    /// A message or thread number too large to map was met: the store
    /// is asked instead, from then on.
    beyond: bool,
}

impl Archive {
    /// The thread of each of `ids` (search hits), in the order given; a
    /// message no longer held, or not yet threaded, is left out.
    pub(crate) async fn threads_of_hits(
        &self,
        ids: &[MessageId],
    ) -> Result<Vec<(MessageId, ThreadId)>, ArchiveError> {
        match self.thread_map().await? {
            Some(map) => Ok(ids
                .iter()
                .filter_map(|&id| map.get(id).map(|t| (id, t)))
                .collect()),
            None => Ok(self.store.threads_of(ids).await?),
        }
    }

    /// Brings the kept map up to date after an import or a sync, when one
    /// is kept (this process or an earlier one searched by conversation),
    /// so the first such search after a large import does not read the
    /// import's rows (a million: two seconds). A failure is logged, not
    /// returned: the mail is stored, and the next search reads them.
    pub(crate) async fn keep_thread_map_current(&self) {
        let in_memory = self.kept_threads.kept.lock().await.map.is_some();
        let on_disk = tokio::fs::try_exists(self.index_dir.join(FILE_NAME))
            .await
            .unwrap_or(false);
        if in_memory || on_disk {
            if let Err(e) = self.thread_map().await {
                tracing::warn!(error = %e, "could not bring the kept threads up to date: the next search reads them");
            }
        }
    }

    /// The map, up to date with the store: from what this process keeps,
    /// or else the copy on disk, by the messages changed since; read whole
    /// only when neither has it. `None` when the archive's numbers are too
    /// large to map.
    async fn thread_map(&self) -> Result<Option<Arc<ThreadMap>>, ArchiveError> {
        let writes = self.store.writes().await?;
        let path = self.index_dir.join(FILE_NAME);
        let mut guard = self.kept_threads.kept.lock().await;
        let kept = &mut *guard;
        if kept.beyond {
            return Ok(None);
        }
        if kept.map.is_none() {
            if let Some(found) = read_file(&path, self.store.identity()).await {
                *kept = found;
            }
        }
        // A count read before the lock can be older than the one a search
        // ahead of this one brought the map up to: it is read again before
        // the store is taken to have gone back (a whole reading).
        let writes = if writes < kept.writes {
            self.store.writes().await?
        } else {
            writes
        };
        if kept.map.is_some() && kept.writes == writes {
            return Ok(kept.map.clone());
        }
        let after = match &kept.map {
            // The store is behind what was kept (another store put in its
            // place): the map is read again.
            Some(_) if writes > kept.writes => Some(kept.writes),
            _ => None,
        };
        let mut map = match after {
            Some(_) => kept.map.take().unwrap_or_default(),
            None => Arc::new(ThreadMap::new()),
        };
        let read = self
            .store
            .read_threads(after, Arc::make_mut(&mut map))
            .await;
        let read = match read {
            Ok(read) => read,
            Err(e) => {
                // What was kept is not up to date: it is read whole next.
                *kept = Kept::default();
                return Err(e.into());
            }
        };
        if let Err(beyond) = read {
            tracing::warn!(
                number = beyond.0,
                "message numbers too large to keep each one's thread in memory: search pages ask the database"
            );
            *kept = Kept {
                beyond: true,
                ..Kept::default()
            };
            let _ = tokio::fs::remove_file(&path).await;
            return Ok(None);
        }
        *kept = Kept {
            writes,
            map: Some(map),
            beyond: false,
        };
        kept_file::write(&path, &encode(kept, self.store.identity()), "threads").await;
        Ok(kept.map.clone())
    }
}

/// The kept map in the file at `path`, if it holds this store's (by
/// `identity`); `None` for anything else.
async fn read_file(path: &std::path::Path, identity: &str) -> Option<Kept> {
    kept_file::read_decoded(path, MAX_FILE_BYTES, "threads", |bytes| {
        decode(bytes, identity)
    })
    .await
}

/// The file's bytes: [`MAGIC`], the store's identity (a length and
/// UTF-8), the count of writes, the number of messages mapped, then each
/// one's thread; numbers little-endian.
fn encode(kept: &Kept, identity: &str) -> Vec<u8> {
    let threads = kept.map.as_deref().map_or(&[][..], ThreadMap::threads);
    let mut out = Vec::with_capacity(MAGIC.len() + identity.len() + 16 + threads.len() * 4);
    out.extend(MAGIC);
    put_text(&mut out, identity);
    out.extend(kept.writes.to_le_bytes());
    out.extend((threads.len() as u64).to_le_bytes());
    for thread in threads {
        out.extend(thread.to_le_bytes());
    }
    out
}

/// [`encode`]'s bytes back, if they are whole and of this store.
fn decode(bytes: &[u8], identity: &str) -> Option<Kept> {
    let mut r = Reader(bytes.strip_prefix(MAGIC)?);
    if r.text()? != identity {
        return None;
    }
    let writes = r.u64()?;
    let count = usize::try_from(r.u64()?).ok()?;
    let threads = r.take(count.checked_mul(4)?)?;
    if !r.0.is_empty() {
        return None;
    }
    let threads = threads
        .chunks_exact(4)
        .map(|t| t.try_into().map(u32::from_le_bytes))
        .collect::<Result<Vec<u32>, _>>()
        .ok()?;
    Some(Kept {
        writes,
        map: Some(Arc::new(ThreadMap::from_threads(threads))),
        beyond: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept() -> Kept {
        let mut map = ThreadMap::new();
        for (id, thread) in [(1, 1), (2, 1), (5, 3), (70_000, 2)] {
            map.set(MessageId(id), Some(ThreadId(thread)))
                .expect("fits");
        }
        Kept {
            writes: 41,
            map: Some(Arc::new(map)),
            beyond: false,
        }
    }

    #[test]
    fn a_kept_map_reads_back_as_it_was_written() {
        let bytes = encode(&kept(), "store-a");
        assert_eq!(decode(&bytes, "store-a"), Some(kept()));
    }

    #[test]
    fn a_map_of_another_store_or_cut_short_or_longer_is_not_taken() {
        let bytes = encode(&kept(), "store-a");
        assert_eq!(decode(&bytes, "store-b"), None);
        for cut in [0, MAGIC.len(), bytes.len() / 2, bytes.len() - 1] {
            assert_eq!(decode(&bytes[..cut], "store-a"), None, "{cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer, "store-a"), None);
        // A count no file could hold.
        let mut huge = encode(&Kept::default(), "s");
        let at = huge.len() - 8;
        huge[at..].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(decode(&huge, "s"), None);
    }
}

//! The thread of every message, by message number, in four bytes a
//! message: what a search page groups thousands of hits by without asking
//! the database for each.

use crate::{MessageId, ThreadId};

/// Message numbers and thread numbers above this are not kept (four
/// bytes each); a map asked to hold one says so and holds nothing more.
const LARGEST_MAPPED: i64 = u32::MAX as i64;

/// The thread each message number is in; 0 means none (not threaded, or
/// not a message).
#[derive(Default, Clone, PartialEq, Eq)]
pub struct ThreadMap {
    threads: Vec<u32>,
}

/// A message or thread number too large for a [`ThreadMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeyondThreadMap(pub i64);

impl ThreadMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `id` as in `thread` (`None`: in none). Numbers below one are
    /// never messages or threads: such an id is ignored, such a thread is
    /// none.
    pub fn set(&mut self, id: MessageId, thread: Option<ThreadId>) -> Result<(), BeyondThreadMap> {
        if id.0 < 1 {
            return Ok(());
        }
        let thread = thread.map_or(0, |t| t.0.max(0));
        for n in [id.0, thread] {
            if n > LARGEST_MAPPED {
                return Err(BeyondThreadMap(n));
            }
        }
        let (at, thread) = (id.0 as usize, thread as u32);
        if at >= self.threads.len() {
            if thread == 0 {
                return Ok(());
            }
            self.threads.resize(at + 1, 0);
        }
        self.threads[at] = thread;
        Ok(())
    }

    /// The thread `id` is in, if it is in one.
    pub fn get(&self, id: MessageId) -> Option<ThreadId> {
        let at = usize::try_from(id.0).ok()?;
        match self.threads.get(at) {
            Some(&t) if t > 0 => Some(ThreadId(i64::from(t))),
            _ => None,
        }
    }

    /// Each message's thread number, by message number (what
    /// [`ThreadMap::from_threads`] takes back).
    pub fn threads(&self) -> &[u32] {
        &self.threads
    }

    /// The map [`ThreadMap::threads`] gave.
    pub fn from_threads(threads: Vec<u32>) -> Self {
        Self { threads }
    }
}

impl std::fmt::Debug for ThreadMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mapped = self.threads.iter().filter(|&&t| t > 0).count();
        write!(f, "ThreadMap({mapped} messages in threads)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_in_the_thread_last_set_and_in_none_once_unset() {
        let mut map = ThreadMap::new();
        map.set(MessageId(7), Some(ThreadId(3))).expect("fits");
        map.set(MessageId(2), Some(ThreadId(2))).expect("fits");
        assert_eq!(map.get(MessageId(7)), Some(ThreadId(3)));
        assert_eq!(map.get(MessageId(2)), Some(ThreadId(2)));
        assert_eq!(map.get(MessageId(5)), None);
        assert_eq!(map.get(MessageId(1_000)), None);
        assert_eq!(map.get(MessageId(-1)), None);
        map.set(MessageId(7), Some(ThreadId(2))).expect("fits");
        assert_eq!(map.get(MessageId(7)), Some(ThreadId(2)));
        map.set(MessageId(7), None).expect("fits");
        assert_eq!(map.get(MessageId(7)), None);
        // Unsetting past the end grows nothing.
        map.set(MessageId(900_000), None).expect("fits");
        assert_eq!(map.threads().len(), 8);
        assert_eq!(ThreadMap::from_threads(map.threads().to_vec()), map);
    }

    #[test]
    fn numbers_beyond_four_bytes_are_refused_not_cut() {
        let mut map = ThreadMap::new();
        let big = LARGEST_MAPPED + 1;
        assert_eq!(
            map.set(MessageId(big), Some(ThreadId(1))),
            Err(BeyondThreadMap(big))
        );
        assert_eq!(
            map.set(MessageId(1), Some(ThreadId(big))),
            Err(BeyondThreadMap(big))
        );
        assert_eq!(map.get(MessageId(1)), None);
        assert!(map.threads().is_empty());
    }
}

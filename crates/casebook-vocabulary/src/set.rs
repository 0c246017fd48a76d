use crate::MessageId;

/// A set of messages as one bit per message number: what a filter the
/// index cannot answer alone (`is:unanswered`, `customer:`, `thread:`)
/// selects, handed to the index in a form whose size does not depend on
/// how many it holds (1,000,000 messages: 122 KiB) and whose membership
/// test is one load.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MessageSet {
    words: Vec<u64>,
    len: usize,
}

impl MessageSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `id`; numbers below one are never messages and are ignored.
    pub fn insert(&mut self, id: MessageId) {
        let Ok(n) = usize::try_from(id.0) else { return };
        if n == 0 {
            return;
        }
        let (word, bit) = (n / 64, n % 64);
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        let mask = 1u64 << bit;
        if self.words[word] & mask == 0 {
            self.words[word] |= mask;
            self.len += 1;
        }
    }

    /// Takes `id` out, if it was in.
    pub fn remove(&mut self, id: MessageId) {
        let Ok(n) = usize::try_from(id.0) else { return };
        let mask = 1u64 << (n % 64);
        if let Some(word) = self.words.get_mut(n / 64) {
            if *word & mask != 0 {
                *word &= !mask;
                self.len -= 1;
            }
        }
    }

    /// The bits, 64 messages a word: message `n` is bit `n % 64` of word
    /// `n / 64` (what [`MessageSet::from_words`] takes back).
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// The set whose bits are `words` (as [`MessageSet::words`] gives them);
    /// bit 0, never a message, is ignored.
    pub fn from_words(mut words: Vec<u64>) -> Self {
        if let Some(first) = words.first_mut() {
            *first &= !1;
        }
        let len = words.iter().map(|w| w.count_ones() as usize).sum();
        Self { words, len }
    }

    pub fn contains(&self, id: MessageId) -> bool {
        let Ok(n) = usize::try_from(id.0) else {
            return false;
        };
        self.words
            .get(n / 64)
            .is_some_and(|w| w & (1u64 << (n % 64)) != 0)
    }

    /// How many messages it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The messages, ascending.
    pub fn iter(&self) -> impl Iterator<Item = MessageId> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let bit = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                Some(MessageId((i * 64 + bit) as i64))
            })
        })
    }
}

impl FromIterator<MessageId> for MessageSet {
    fn from_iter<I: IntoIterator<Item = MessageId>>(ids: I) -> Self {
        let mut set = Self::new();
        for id in ids {
            set.insert(id);
        }
        set
    }
}

impl std::fmt::Debug for MessageSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const SHOWN: usize = 8;
        let mut list = f.debug_list();
        list.entries(self.iter().take(SHOWN).map(|id| id.0));
        if self.len > SHOWN {
            list.entry(&format_args!("… {} in all", self.len));
        }
        list.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_each_number_once_and_lists_them_in_order() {
        let set: MessageSet = [5, 64, 3, 5, 200_000, 0, -7]
            .into_iter()
            .map(MessageId)
            .collect();
        assert_eq!(set.len(), 4, "{set:?}");
        assert!(set.contains(MessageId(64)));
        assert!(!set.contains(MessageId(63)));
        assert!(!set.contains(MessageId(-7)));
        assert!(!set.contains(MessageId(300_000)));
        let listed: Vec<i64> = set.iter().map(|id| id.0).collect();
        assert_eq!(listed, [3, 5, 64, 200_000]);
        assert!(MessageSet::new().is_empty());
    }

    #[test]
    fn taking_out_and_handing_over_as_words_keeps_the_count() {
        let mut set: MessageSet = [1, 63, 64, 130].into_iter().map(MessageId).collect();
        set.remove(MessageId(63));
        set.remove(MessageId(63));
        set.remove(MessageId(9_999));
        assert_eq!(set.len(), 3);
        assert!(!set.contains(MessageId(63)));
        let again = MessageSet::from_words(set.words().to_vec());
        assert_eq!(again, set);
        assert_eq!(MessageSet::from_words(vec![u64::MAX]).len(), 63);
    }
}

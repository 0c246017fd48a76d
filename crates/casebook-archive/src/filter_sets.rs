//! What filters the index cannot answer alone select (`is:answered`,
//! `is:unanswered`, `customer:`), as sets of messages kept by each process
//! and on disk beside its search index, and brought up to date from what
//! changed instead of being read again from every message.
//!
//! Reading a set whole costs a pass over the messages (a second at a
//! million); a search in a new process (every `casebook search`) would pay
//! it each time, and a server after every write. Instead every write that
//! changes what these filters look at records its count of writes in the
//! rows it changes (`state_write`, migration 0019), and a set read at one
//! count is brought up to date by the rows above it: after a sync of 30
//! messages, 30 rows. A change to a customer list reads that list's sets
//! again. The copy on disk is only ever a starting point: it names the
//! store and the free-mail domains it was read with, and anything that
//! does not match, cannot be read or is ahead of the store is ignored and
//! the sets read again.

use crate::kept_file::{self, put_text, Reader};
use crate::{Archive, ArchiveError};
use casebook_store::FilterMarks;
use casebook_vocabulary::MessageSet;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The file in the index directory the sets are kept in.
const FILE_NAME: &str = "filter-sets";
/// What the file starts with (its format's version is the last digit).
const MAGIC: &[u8] = b"casebook filter sets 1\n";
/// A larger file is not one this code wrote (a set at 10,000,000 messages
/// is 1.2 MiB): it is ignored, not read.
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// The sets this process keeps, one lock for all (one search reads a set
/// while the others wait, instead of 32 cold searches reading it 32 times).
#[derive(Default)]
pub(crate) struct FilterSets {
    kept: tokio::sync::Mutex<KeptSets>,
}

#[derive(Default, Debug, PartialEq)]
struct KeptSets {
    /// Where the store stood when the sets were last brought up to date.
    marks: FilterMarks,
    /// Answered and unanswered inbound mail.
    answered: Option<(Arc<MessageSet>, Arc<MessageSet>)>,
    /// The messages of each customer list's customers (`None`: any list's).
    customers: HashMap<Option<String>, Arc<MessageSet>>,
}

/// What a search's filters asked for.
pub(crate) struct Wanted<'a> {
    pub answered: bool,
    pub lists: &'a [Option<String>],
}

/// The sets a search asked for, up to date.
#[derive(Default)]
pub(crate) struct FoundSets {
    pub answered: Option<(Arc<MessageSet>, Arc<MessageSet>)>,
    pub customers: HashMap<Option<String>, Arc<MessageSet>>,
}

impl Archive {
    /// The sets `wanted` names, brought up to date with the store: from
    /// what this process keeps, or else the copy on disk, by the messages
    /// changed since; read whole only when neither has them.
    pub(crate) async fn filter_sets(&self, wanted: Wanted<'_>) -> Result<FoundSets, ArchiveError> {
        let marks = self.store.filter_marks().await?;
        let free = self.free_mail();
        let free_key = free.join(",");
        let path = self.index_dir.join(FILE_NAME);
        let mut guard = self.filter_sets.kept.lock().await;
        let kept = &mut *guard;
        let mut changed = false;
        if kept.marks.writes == 0 && kept.answered.is_none() && kept.customers.is_empty() {
            if let Some(found) = read_file(&path, self.store.identity(), &free_key).await {
                *kept = found;
            }
        }
        // Marks read before the lock can be older than those a search ahead
        // of this one brought the sets up to: they are read again before
        // the store is taken to have gone back (every set read again).
        let marks = if marks.writes < kept.marks.writes {
            self.store.filter_marks().await?
        } else {
            marks
        };
        if (kept.marks.writes, kept.marks.lists) != (marks.writes, marks.lists) {
            let after = kept.marks.writes;
            if marks.writes < after {
                // The store is behind what was kept (another store put in
                // its place): nothing kept holds.
                *kept = KeptSets::default();
            } else {
                if marks.lists > after {
                    kept.customers.clear();
                }
                if let Some((yes, no)) = &mut kept.answered {
                    self.store
                        .read_answered(Some(after), Arc::make_mut(yes), Arc::make_mut(no))
                        .await?;
                }
                for (list, set) in &mut kept.customers {
                    self.store
                        .read_customer_messages(
                            list.as_deref(),
                            &free,
                            Some(after),
                            Arc::make_mut(set),
                        )
                        .await?;
                }
            }
            kept.marks = marks;
            changed = true;
        }
        let mut found = FoundSets::default();
        if wanted.answered {
            if kept.answered.is_none() {
                let (mut yes, mut no) = (MessageSet::new(), MessageSet::new());
                self.store.read_answered(None, &mut yes, &mut no).await?;
                kept.answered = Some((Arc::new(yes), Arc::new(no)));
                changed = true;
            }
            found.answered = kept.answered.clone();
        }
        for list in wanted.lists {
            if !kept.customers.contains_key(list) {
                if let Some(name) = list {
                    let lists = self.store.customer_lists().await?;
                    if !lists.iter().any(|l| &l.name == name) {
                        return Err(ArchiveError::Refused(format!(
                            "there is no customer list {name:?} (in customer:{name}); `casebook customers lists` shows them"
                        )));
                    }
                }
                let mut set = MessageSet::new();
                self.store
                    .read_customer_messages(list.as_deref(), &free, None, &mut set)
                    .await?;
                kept.customers.insert(list.clone(), Arc::new(set));
                changed = true;
            }
            if let Some(set) = kept.customers.get(list) {
                found.customers.insert(list.clone(), set.clone());
            }
        }
        if changed {
            kept_file::write(
                &path,
                &encode(kept, self.store.identity(), &free_key),
                "filter sets",
            )
            .await;
        }
        Ok(found)
    }
}

impl Archive {
    /// Brings the answered sets and the customers of every list up to
    /// date (after an import or a sync: the messages it stored). A failure
    /// is logged, not returned: the mail is stored, and the next search
    /// reads the sets itself.
    pub(crate) async fn keep_filter_sets_current(&self) {
        let wanted = Wanted {
            answered: true,
            lists: &[None],
        };
        if let Err(e) = self.filter_sets(wanted).await {
            tracing::warn!(error = %e, "could not bring the filter sets up to date: the next search reads them");
        }
    }
}

/// The kept sets in the file at `path`, if it holds this store's (by
/// `identity`) read with these free-mail domains; `None` for anything else.
async fn read_file(path: &Path, identity: &str, free_key: &str) -> Option<KeptSets> {
    kept_file::read_decoded(path, MAX_FILE_BYTES, "filter-set", |bytes| {
        decode(bytes, identity, free_key)
    })
    .await
}

/// The file's bytes: [`MAGIC`], the store's identity and the free-mail
/// domains (each a length and UTF-8), the two marks, then each set as a
/// kind (0 answered, 1 unanswered, 2 any list's customers, 3 a named
/// list's, followed by its name) and its words; numbers little-endian.
fn encode(kept: &KeptSets, identity: &str, free_key: &str) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    put_text(&mut out, identity);
    put_text(&mut out, free_key);
    out.extend(kept.marks.writes.to_le_bytes());
    out.extend(kept.marks.lists.to_le_bytes());
    let mut sets: Vec<(u8, Option<&str>, &MessageSet)> = Vec::new();
    if let Some((yes, no)) = &kept.answered {
        sets.push((0, None, yes));
        sets.push((1, None, no));
    }
    for (list, set) in &kept.customers {
        match list {
            None => sets.push((2, None, set)),
            Some(name) => sets.push((3, Some(name), set)),
        }
    }
    out.extend((sets.len() as u32).to_le_bytes());
    for (kind, name, set) in sets {
        out.push(kind);
        if let Some(name) = name {
            put_text(&mut out, name);
        }
        out.extend((set.words().len() as u64).to_le_bytes());
        for word in set.words() {
            out.extend(word.to_le_bytes());
        }
    }
    out
}

/// [`encode`]'s bytes back, if they are whole and of this store and these
/// free-mail domains.
fn decode(bytes: &[u8], identity: &str, free_key: &str) -> Option<KeptSets> {
    let mut r = Reader(bytes.strip_prefix(MAGIC)?);
    if r.text()? != identity || r.text()? != free_key {
        return None;
    }
    let marks = FilterMarks {
        writes: r.u64()?,
        lists: r.u64()?,
        // Not kept: the sets do not depend on it.
        stats: 0,
    };
    let mut kept = KeptSets {
        marks,
        ..KeptSets::default()
    };
    let (mut yes, mut no) = (None, None);
    for _ in 0..r.u32()? {
        let kind = r.take(1)?[0];
        let name = match kind {
            3 => Some(r.text()?.to_owned()),
            0..=2 => None,
            _ => return None,
        };
        let count = usize::try_from(r.u64()?).ok()?;
        let words = r.take(count.checked_mul(8)?)?;
        let words = words
            .chunks_exact(8)
            .map(|w| w.try_into().map(u64::from_le_bytes))
            .collect::<Result<Vec<u64>, _>>()
            .ok()?;
        let set = Arc::new(MessageSet::from_words(words));
        match kind {
            0 => yes = Some(set),
            1 => no = Some(set),
            _ => {
                kept.customers.insert(name, set);
            }
        }
    }
    if !r.0.is_empty() {
        return None;
    }
    kept.answered = match (yes, no) {
        (Some(yes), Some(no)) => Some((yes, no)),
        (None, None) => None,
        _ => return None,
    };
    Some(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use casebook_vocabulary::MessageId;

    fn sets() -> KeptSets {
        let set = |ids: &[i64]| Arc::new(ids.iter().copied().map(MessageId).collect());
        KeptSets {
            marks: FilterMarks {
                writes: 41,
                lists: 7,
                stats: 0,
            },
            answered: Some((set(&[1, 2, 300]), set(&[4, 70_000]))),
            customers: HashMap::from([
                (None, set(&[2, 4])),
                (Some("crm".to_owned()), set(&[4])),
                (Some("empty".to_owned()), set(&[])),
            ]),
        }
    }

    #[test]
    fn kept_sets_read_back_as_they_were_written() {
        let bytes = encode(&sets(), "store-a", "gmail.com,ours.example");
        assert_eq!(
            decode(&bytes, "store-a", "gmail.com,ours.example"),
            Some(sets())
        );
        let none = KeptSets::default();
        assert_eq!(decode(&encode(&none, "s", ""), "s", ""), Some(none));
    }

    #[test]
    fn sets_of_another_store_or_other_domains_or_cut_short_are_not_taken() {
        let bytes = encode(&sets(), "store-a", "gmail.com");
        assert_eq!(decode(&bytes, "store-b", "gmail.com"), None);
        assert_eq!(decode(&bytes, "store-a", "gmail.com,web.de"), None);
        for cut in [0, MAGIC.len(), bytes.len() / 2, bytes.len() - 1] {
            assert_eq!(decode(&bytes[..cut], "store-a", "gmail.com"), None, "{cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer, "store-a", "gmail.com"), None);
        // A count of words no file could hold.
        let mut huge = encode(&KeptSets::default(), "s", "");
        let count = huge.len() - 4;
        huge[count..].copy_from_slice(&1u32.to_le_bytes());
        huge.push(0);
        huge.extend(u64::MAX.to_le_bytes());
        assert_eq!(decode(&huge, "s", ""), None);
    }
}

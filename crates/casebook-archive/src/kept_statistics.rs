//! What statistics read of each message, kept beside the search index as
//! a record of 37 bytes (its month and topic as numbers into two small
//! tables, direction, answer, response time, its conversation's number
//! and a 64-bit digest of its person — never an address or a word of
//! text), and brought up to date
//! from what changed instead of being read again from every message.
//!
//! Reading every message for `stats --aggregate` costs a pass over the
//! archive (1.6 s at a million); the records are instead kept at a count
//! of writes and brought up to date by the messages whose `state_write` is
//! above it (after a sync of 30 messages, 30 rows). What no row shows —
//! messages removed (erasure, retention, repair), addresses merged into a
//! person or separated (`FilterMarks::stats`), topics recorded for mail
//! stored before topics were — makes them be read again from every
//! message. The file names the store it was read from; anything that does
//! not match, cannot be read, or is ahead of the store is ignored.

use crate::kept_file::{self, put_text, Reader};
use casebook_store::{ErasedMessage, StatSource};
use casebook_vocabulary::MessageId;
use std::collections::HashMap;
use std::path::Path;

/// The file in the index directory the records are kept in.
pub(crate) const FILE_NAME: &str = "statistics";
/// What the file starts with (its format's version is the last digit).
const MAGIC: &[u8] = b"casebook statistics records 2\n";
/// Bytes a record takes in the file.
const RECORD_BYTES: usize = 37;
/// A larger file is not one this code wrote (20,000,000 messages take
/// 740 MB): it is ignored, not read.
const MAX_FILE_BYTES: u64 = 1 << 30;

/// One counted message as statistics see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Record {
    pub id: i64,
    /// Index into [`Records::months`].
    pub month: u16,
    /// Index into [`Records::topics`].
    pub topic: u16,
    pub inbound: bool,
    pub answered: bool,
    pub response_secs: Option<i64>,
    /// [`person_digest`] of the person the message is with.
    pub person: u64,
    /// Its conversation (thread) number; 0 when it has none (mail not yet
    /// threaded, anonymous records kept before they kept one).
    pub thread: i64,
}

/// Every counted message's record, by message number, and where the store
/// stood when they were read.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Records {
    /// The store's count of writes the records are up to date with.
    pub writes: u64,
    /// The store's `stats_write` when they were read.
    pub stats: u64,
    /// `YYYY-MM` labels the records' months point into.
    pub months: Vec<String>,
    /// Topic names the records' topics point into.
    pub topics: Vec<String>,
    /// Sorted by message number, one each.
    pub records: Vec<Record>,
    month_index: HashMap<String, u16>,
    topic_index: HashMap<String, u16>,
}

impl Records {
    /// The record of a message as the store gives it; `None` when its date
    /// is not a calendar date or a table is full (65,536 months or topics).
    pub fn record(&mut self, id: MessageId, m: StatSource) -> Option<Record> {
        let date = time::OffsetDateTime::from_unix_timestamp(m.date).ok()?;
        Some(Record {
            id: id.0,
            month: self.month(&crate::aggregate::month_of(date))?,
            topic: self.topic(&m.topic)?,
            inbound: m.inbound,
            answered: m.answered,
            response_secs: m.response_secs,
            person: person_digest(&m.person),
            thread: m.thread.unwrap_or(0),
        })
    }

    /// The record of erased message `n`'s anonymous record (numbered
    /// `-n`, before every message), counted under its erasure's
    /// pseudonym.
    pub fn erased_record(&mut self, n: i64, e: &ErasedMessage) -> Option<Record> {
        Some(Record {
            id: -n,
            month: self.month(&e.month)?,
            topic: self.topic(&e.topic)?,
            inbound: e.direction == "inbound",
            answered: e.answered,
            response_secs: e.response_secs,
            person: person_digest(&format!("erased:{}", e.erasure)),
            thread: e.thread.unwrap_or(0),
        })
    }

    /// The number of the month labelled `label`, added if new.
    pub fn month(&mut self, label: &str) -> Option<u16> {
        number(&mut self.months, &mut self.month_index, label)
    }

    /// The number of the topic named `name`, added if new.
    pub fn topic(&mut self, name: &str) -> Option<u16> {
        number(&mut self.topics, &mut self.topic_index, name)
    }

    /// Puts the changed messages' records in place of their old ones (a
    /// `None` drops a message that is no longer counted).
    pub fn apply(&mut self, mut changes: Vec<(i64, Option<Record>)>) {
        if changes.is_empty() {
            return;
        }
        // The last change of each message counts.
        changes.sort_by_key(|(id, _)| *id);
        let mut unique: Vec<(i64, Option<Record>)> = Vec::with_capacity(changes.len());
        for change in changes {
            if unique.last().is_some_and(|(id, _)| *id == change.0) {
                unique.pop();
            }
            unique.push(change);
        }
        let old = std::mem::take(&mut self.records);
        let mut merged = Vec::with_capacity(old.len() + unique.len());
        let mut changes = unique.into_iter().peekable();
        for r in old {
            while let Some((_, change)) = changes.next_if(|(id, _)| *id < r.id) {
                merged.extend(change);
            }
            match changes.next_if(|(id, _)| *id == r.id) {
                Some((_, change)) => merged.extend(change),
                None => merged.push(r),
            }
        }
        merged.extend(changes.filter_map(|(_, change)| change));
        self.records = merged;
    }

    /// Orders records read in any order (a whole pass) by message number.
    pub fn sort(&mut self) {
        self.records.sort_by_key(|r| r.id);
        self.records.dedup_by_key(|r| r.id);
    }
}

fn number(table: &mut Vec<String>, index: &mut HashMap<String, u16>, label: &str) -> Option<u16> {
    if let Some(&n) = index.get(label) {
        return Some(n);
    }
    let n = u16::try_from(table.len()).ok()?;
    table.push(label.to_owned());
    index.insert(label.to_owned(), n);
    Some(n)
}

/// A person's 64-bit digest: people are counted, never named (a collision
/// counts two as one: a cell is then held back sooner, never shown with
/// fewer than `k`).
fn person_digest(person: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    person.hash(&mut h);
    h.finish()
}

/// The records kept in `index_dir`, if they are this store's (by
/// `identity`) and whole; `None` for anything else.
pub(crate) async fn read(index_dir: &Path, identity: &str) -> Option<Records> {
    let path = index_dir.join(FILE_NAME);
    kept_file::read_decoded(&path, MAX_FILE_BYTES, "statistics", |bytes| {
        decode(bytes, identity)
    })
    .await
}

/// Keeps `records` in `index_dir` for the next process.
pub(crate) async fn write(index_dir: &Path, identity: &str, records: &Records) {
    let path = index_dir.join(FILE_NAME);
    kept_file::write(&path, &encode(records, identity), "statistics").await;
}

/// [`MAGIC`], the store's identity, the two marks, the month and topic
/// tables (a count, then each a length and UTF-8), the number of records
/// and each record: id, month, topic, flags (1 inbound, 2 answered, 4 a
/// response time follows), person, response time, thread; little-endian.
fn encode(r: &Records, identity: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024 + r.records.len() * RECORD_BYTES);
    out.extend(MAGIC);
    put_text(&mut out, identity);
    out.extend(r.writes.to_le_bytes());
    out.extend(r.stats.to_le_bytes());
    for table in [&r.months, &r.topics] {
        out.extend((table.len() as u32).to_le_bytes());
        for label in table {
            put_text(&mut out, label);
        }
    }
    out.extend((r.records.len() as u64).to_le_bytes());
    for m in &r.records {
        out.extend(m.id.to_le_bytes());
        out.extend(m.month.to_le_bytes());
        out.extend(m.topic.to_le_bytes());
        let flags = u8::from(m.inbound)
            | (u8::from(m.answered) << 1)
            | (u8::from(m.response_secs.is_some()) << 2);
        out.push(flags);
        out.extend(m.person.to_le_bytes());
        out.extend(m.response_secs.unwrap_or(0).to_le_bytes());
        out.extend(m.thread.to_le_bytes());
    }
    out
}

/// [`encode`]'s bytes back, if they are whole, of this store, and every
/// record in order and pointing into the tables.
fn decode(bytes: &[u8], identity: &str) -> Option<Records> {
    let mut r = Reader(bytes.strip_prefix(MAGIC)?);
    if r.text()? != identity {
        return None;
    }
    let mut records = Records {
        writes: r.u64()?,
        stats: r.u64()?,
        ..Records::default()
    };
    let months = usize::try_from(r.u32()?).ok()?;
    for _ in 0..months {
        let label = r.text()?;
        records.month(label)?;
    }
    let topics = usize::try_from(r.u32()?).ok()?;
    for _ in 0..topics {
        let label = r.text()?;
        records.topic(label)?;
    }
    if months != records.months.len() || topics != records.topics.len() {
        return None; // a label twice
    }
    let count = usize::try_from(r.u64()?).ok()?;
    if r.0.len() != count.checked_mul(RECORD_BYTES)? {
        return None;
    }
    records.records.reserve_exact(count);
    let mut last = i64::MIN;
    for _ in 0..count {
        let id = r.u64()? as i64;
        let month = r.u16()?;
        let topic = r.u16()?;
        let flags = r.take(1)?[0];
        let person = r.u64()?;
        let response = r.u64()? as i64;
        let thread = r.u64()? as i64;
        if id <= last || usize::from(month) >= months || usize::from(topic) >= topics || flags > 7 {
            return None;
        }
        last = id;
        records.records.push(Record {
            id,
            month,
            topic,
            inbound: flags & 1 != 0,
            answered: flags & 2 != 0,
            response_secs: (flags & 4 != 0).then_some(response),
            person,
            thread,
        });
    }
    Some(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(date: i64, topic: &str, person: &str, response: Option<i64>) -> StatSource {
        StatSource {
            date,
            topic: topic.into(),
            inbound: true,
            answered: response.is_some(),
            response_secs: response,
            person: person.into(),
            thread: Some(1),
        }
    }

    fn records() -> Records {
        let mut r = Records {
            writes: 12,
            stats: 3,
            ..Records::default()
        };
        for (id, date, topic, person, response) in [
            (3, 1_214_902_357, "voicemail", "ann@a.example", Some(3600)),
            (7, 1_217_580_757, "invoice", "bob@b.example", None),
            (9, 1_217_580_757, "voicemail", "ann@a.example", Some(60)),
        ] {
            let rec = r
                .record(MessageId(id), source(date, topic, person, response))
                .expect("a record");
            r.records.push(rec);
        }
        r
    }

    #[test]
    fn records_read_back_as_they_were_written() {
        let r = records();
        assert_eq!(r.months, ["2008-07", "2008-08"]);
        assert_eq!(r.topics, ["voicemail", "invoice"]);
        assert_eq!(decode(&encode(&r, "store-1"), "store-1"), Some(r));
    }

    #[test]
    fn records_of_another_store_cut_short_or_out_of_order_are_not_taken() {
        let r = records();
        let bytes = encode(&r, "store-1");
        assert_eq!(decode(&bytes, "store-2"), None);
        for cut in [1, RECORD_BYTES, bytes.len() - 40] {
            assert_eq!(decode(&bytes[..bytes.len() - cut], "store-1"), None);
        }
        let mut twice = records();
        twice.topics.push("voicemail".into());
        assert_eq!(decode(&encode(&twice, "store-1"), "store-1"), None);
        let mut swapped = r;
        swapped.records.swap(0, 1);
        assert_eq!(decode(&encode(&swapped, "store-1"), "store-1"), None);
        let mut absurd = encode(&records(), "store-1");
        let at = absurd.len() - 3 * RECORD_BYTES - 8;
        absurd[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(decode(&absurd, "store-1"), None);
    }

    #[test]
    fn changes_replace_add_and_drop_records() {
        let mut r = records();
        let old: Vec<i64> = r.records.iter().map(|m| m.id).collect();
        assert_eq!(old, [3, 7, 9]);
        let third = r.records[0];
        let mut changed = r.records[1];
        changed.answered = true;
        let new = Record { id: 12, ..changed };
        let first = Record { id: 1, ..changed };
        r.apply(vec![
            (9, None),
            (12, Some(new)),
            (7, Some(changed)),
            (1, Some(first)),
        ]);
        let ids: Vec<i64> = r.records.iter().map(|m| m.id).collect();
        assert_eq!(ids, [1, 3, 7, 12]);
        assert!(r.records[2].answered, "7 replaced by its change");
        assert_eq!(r.records[1], third, "3 left as it was");
        assert_eq!(r.records[0].id, 1);
    }
}

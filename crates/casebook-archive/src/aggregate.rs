//! Statistics that identify nobody: volumes per month and topic, answer
//! rates and response times, with every cell covering fewer than
//! `k_anonymity` distinct correspondents suppressed. Erased mail counts
//! through its anonymous records, so erasure does not rewrite history.

use crate::{Archive, ArchiveError};
use casebook_policy::topic::topic_of;
use std::collections::{BTreeMap, HashSet};

/// `YYYY-MM` of a date, in UTC: the finest time statistics show.
pub(crate) fn month_of(date: time::OffsetDateTime) -> String {
    let utc = date.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}", utc.year(), u8::from(utc.month()))
}

/// One message as the statistics see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatRow {
    /// `YYYY-MM`.
    pub month: String,
    pub topic: String,
    pub inbound: bool,
    pub answered: bool,
    pub response_secs: Option<i64>,
    /// Who the message is with: an address, or an erasure's pseudonym.
    /// Used only to count distinct people; never shown.
    pub person: String,
}

/// A month and topic with enough people in it to be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatCell {
    pub month: String,
    pub topic: String,
    pub inbound: u64,
    pub outbound: u64,
    /// Inbound messages we answered.
    pub answered: u64,
    pub median_response_secs: Option<i64>,
    /// At least `k`.
    pub correspondents: u64,
}

impl StatCell {
    /// Answered inbound messages per inbound message, 0 to 1.
    pub fn answer_rate(&self) -> Option<f64> {
        (self.inbound > 0).then(|| self.answered as f64 / self.inbound as f64)
    }
}

/// The shown cells and how many were held back.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateStats {
    pub k: u32,
    pub cells: Vec<StatCell>,
    /// Cells with fewer than `k` correspondents, not shown. No totals are
    /// given, so a held-back cell cannot be worked out by subtraction.
    pub suppressed: u64,
}

/// Groups rows by month and topic and keeps the cells with at least `k`
/// distinct people.
#[cfg(test)]
fn aggregate(rows: &[StatRow], k: u32) -> AggregateStats {
    let mut cells = Cells::default();
    for r in rows {
        cells.add(r.clone());
    }
    cells.finish(k)
}

/// Rows gathered per month and topic as they come, holding per cell its
/// counts, one 8-byte digest per distinct person and one number per
/// response time (never a row): what statistics over a million messages
/// hold is a few megabytes, not the messages.
#[derive(Default)]
struct Cells {
    cells: BTreeMap<(String, String), Cell>,
}

#[derive(Default)]
struct Cell {
    inbound: u64,
    outbound: u64,
    answered: u64,
    /// Digests of the people (a collision counts two as one: a cell is
    /// then held back sooner, never shown with fewer than `k`).
    people: HashSet<u64>,
    times: Vec<i64>,
}

impl Cells {
    fn add(&mut self, r: StatRow) {
        let cell = self.cells.entry((r.month, r.topic)).or_default();
        if r.inbound {
            cell.inbound += 1;
            cell.answered += u64::from(r.answered);
        } else {
            cell.outbound += 1;
        }
        cell.people.insert(person_digest(&r.person));
        cell.times.extend(r.response_secs);
    }

    fn finish(self, k: u32) -> AggregateStats {
        let mut cells = Vec::new();
        let mut suppressed = 0;
        for ((month, topic), mut cell) in self.cells {
            if (cell.people.len() as u64) < u64::from(k) {
                suppressed += 1;
                continue;
            }
            cell.times.sort_unstable();
            cells.push(StatCell {
                month,
                topic,
                inbound: cell.inbound,
                outbound: cell.outbound,
                answered: cell.answered,
                median_response_secs: crate::read::median(&cell.times),
                correspondents: cell.people.len() as u64,
            });
        }
        AggregateStats {
            k,
            cells,
            suppressed,
        }
    }
}

/// A person's 64-bit digest (counted within one run, never shown or kept).
fn person_digest(person: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    person.hash(&mut h);
    h.finish()
}

/// Messages whose topic is worked out per statement when mail stored
/// before topics were recorded gets one.
const TOPICS_PER_PAGE: u32 = 500;

impl Archive {
    /// Volumes per month and topic, answer rates and response times, with
    /// cells of fewer than the config's `k_anonymity` people suppressed.
    /// One pass over small columns (no message text): topics were worked
    /// out as mail was stored; mail stored before that gets its topic here,
    /// once, a page at a time.
    pub async fn aggregate_stats(&self) -> Result<AggregateStats, ArchiveError> {
        self.record_missing_topics().await?;
        let mut cells = Cells::default();
        self.store
            .each_stat_row(|m| {
                let Ok(date) = time::OffsetDateTime::from_unix_timestamp(m.date) else {
                    return;
                };
                // People, not addresses, are counted: merged addresses are one.
                cells.add(StatRow {
                    month: month_of(date),
                    topic: m.topic,
                    inbound: m.inbound,
                    answered: m.answered,
                    response_secs: m.response_secs,
                    person: m.person,
                });
            })
            .await?;
        for e in self.store.erased_messages().await? {
            if e.month == "unknown" || e.direction == "automated" {
                continue;
            }
            cells.add(StatRow {
                month: e.month,
                topic: e.topic,
                inbound: e.direction == "inbound",
                answered: e.answered,
                response_secs: e.response_secs,
                person: format!("erased:{}", e.erasure),
            });
        }
        Ok(cells.finish(self.config.k_anonymity))
    }

    /// Works out and records the topic of every message stored before
    /// topics were recorded (none after the first run).
    async fn record_missing_topics(&self) -> Result<(), ArchiveError> {
        let mut after = casebook_vocabulary::MessageId(0);
        loop {
            let page = self
                .store
                .messages_without_topic(after, TOPICS_PER_PAGE)
                .await?;
            let Some((last, _, _)) = page.last() else {
                return Ok(());
            };
            after = *last;
            let topics: Vec<_> = page
                .iter()
                .map(|(id, subject, body)| (*id, topic_of(subject, body)))
                .collect();
            self.store.record_topics(&topics).await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(month: &str, topic: &str, person: &str, inbound: bool) -> StatRow {
        StatRow {
            month: month.into(),
            topic: topic.into(),
            inbound,
            answered: inbound,
            response_secs: inbound.then_some(60),
            person: person.into(),
        }
    }

    #[test]
    fn cells_of_fewer_than_k_people_are_not_shown() {
        let mut rows = Vec::new();
        for p in ["a", "b", "c"] {
            rows.push(row("2008-07", "voicemail", p, true));
            rows.push(row("2008-07", "voicemail", p, false));
        }
        // Many messages, but of two people: still too few.
        for _ in 0..10 {
            rows.push(row("2008-07", "invoice", "d", true));
            rows.push(row("2008-07", "invoice", "e", true));
        }
        let stats = aggregate(&rows, 3);
        assert_eq!(stats.suppressed, 1);
        assert_eq!(stats.cells.len(), 1);
        let cell = &stats.cells[0];
        assert_eq!(
            (
                cell.topic.as_str(),
                cell.inbound,
                cell.outbound,
                cell.correspondents
            ),
            ("voicemail", 3, 3, 3)
        );
        assert_eq!(cell.answer_rate(), Some(1.0));
        assert_eq!(cell.median_response_secs, Some(60));
        assert!(aggregate(&rows, 4).cells.is_empty());
    }
}

//! Statistics that identify nobody: volumes per month and topic, answer
//! rates and response times, with every cell covering fewer than
//! `k_anonymity` distinct correspondents suppressed. Erased mail counts
//! through its anonymous records, so erasure does not rewrite history.

use crate::kept_aggregate::{self, CountedAt};
use crate::kept_statistics::{self, Record, Records};
use crate::{Archive, ArchiveError};
use casebook_policy::topic::topic_of;
use std::collections::{BTreeMap, HashMap, HashSet};

/// `YYYY-MM` of a date, in UTC: the finest time statistics show.
pub(crate) fn month_of(date: time::OffsetDateTime) -> String {
    let utc = date.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}", utc.year(), u8::from(utc.month()))
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
    /// Conversations customers wrote in (in this month, about this topic).
    pub conversations: u64,
    /// Answered messages by how long our first reply took, in the spans
    /// of [`RESPONSE_SPANS`].
    pub response_times: [u64; RESPONSE_SPANS.len()],
    /// At least `k`.
    pub correspondents: u64,
}

/// The spans response times are counted in: a name, and the longest
/// response (seconds) in it.
pub const RESPONSE_SPANS: [(&str, i64); 5] = [
    ("under 1 h", 3_600),
    ("1–4 h", 4 * 3_600),
    ("4–24 h", 86_400),
    ("1–3 d", 3 * 86_400),
    ("over 3 d", i64::MAX),
];

/// The span of [`RESPONSE_SPANS`] a response of `secs` falls in.
fn span_of(secs: i64) -> usize {
    RESPONSE_SPANS
        .iter()
        .position(|(_, most)| secs <= *most)
        .unwrap_or(RESPONSE_SPANS.len() - 1)
}

impl StatCell {
    /// Answered inbound messages per inbound message, 0 to 1.
    pub fn answer_rate(&self) -> Option<f64> {
        (self.inbound > 0).then(|| self.answered as f64 / self.inbound as f64)
    }

    /// Customer messages answered within a day.
    pub fn answered_within_day(&self) -> u64 {
        self.response_times[..=span_of(86_400)].iter().sum()
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

/// Records gathered per month and topic as they come, holding per cell
/// its counts, one 8-byte digest per distinct person and one number per
/// response time: what statistics over a million messages hold beside the
/// records is a few megabytes.
#[derive(Default)]
struct Cells {
    cells: HashMap<(u16, u16), Cell>,
}

#[derive(Default)]
struct Cell {
    inbound: u64,
    outbound: u64,
    answered: u64,
    people: HashSet<u64>,
    threads: HashSet<i64>,
    times: Vec<i64>,
}

impl Cells {
    fn add(&mut self, r: &Record) {
        let cell = self.cells.entry((r.month, r.topic)).or_default();
        if r.inbound {
            cell.inbound += 1;
            cell.answered += u64::from(r.answered);
            if r.thread != 0 {
                cell.threads.insert(r.thread);
            }
        } else {
            cell.outbound += 1;
        }
        cell.people.insert(r.person);
        cell.times.extend(r.response_secs);
    }

    /// The cells of at least `k` people, by month and topic, labelled from
    /// the records' tables.
    fn finish(self, k: u32, records: &Records) -> AggregateStats {
        let labelled: BTreeMap<(&str, &str), Cell> = self
            .cells
            .into_iter()
            .map(|((month, topic), cell)| {
                let month = records.months[usize::from(month)].as_str();
                let topic = records.topics[usize::from(topic)].as_str();
                ((month, topic), cell)
            })
            .collect();
        let mut cells = Vec::new();
        let mut suppressed = 0;
        for ((month, topic), mut cell) in labelled {
            if (cell.people.len() as u64) < u64::from(k) {
                suppressed += 1;
                continue;
            }
            cell.times.sort_unstable();
            let mut response_times = [0; RESPONSE_SPANS.len()];
            for t in &cell.times {
                response_times[span_of(*t)] += 1;
            }
            cells.push(StatCell {
                month: month.to_owned(),
                topic: topic.to_owned(),
                inbound: cell.inbound,
                outbound: cell.outbound,
                answered: cell.answered,
                median_response_secs: crate::read::median(&cell.times),
                conversations: cell.threads.len() as u64,
                response_times,
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

/// Messages whose topic is worked out per statement when mail stored
/// before topics were recorded gets one.
const TOPICS_PER_PAGE: u32 = 500;

impl Archive {
    /// Volumes per month and topic, answer rates and response times, with
    /// cells of fewer than the config's `k_anonymity` people suppressed.
    /// One pass over small columns (no message text): topics were worked
    /// out as mail was stored; mail stored before that gets its topic here,
    /// once, a page at a time.
    ///
    /// While the store has not changed since the last count (with this
    /// `k`), that count is given again from the few cells kept of it.
    pub async fn aggregate_stats(&self) -> Result<AggregateStats, ArchiveError> {
        // One at a time: a second caller finds the first one's count.
        let _turn = self.statistics_turn.lock().await;
        let topics_recorded = self.record_missing_topics().await?;
        let k = self.config.k_anonymity;
        let identity = self.store.identity();
        let marks = self.store.filter_marks().await?;
        if !topics_recorded {
            let at = CountedAt {
                writes: marks.writes,
                stats: marks.stats,
            };
            if let Some(kept) = kept_aggregate::read(&self.index_dir, identity, at, k).await {
                return Ok(kept);
            }
        }
        let records = self
            .current_statistics_records(marks, topics_recorded)
            .await?;
        let mut cells = Cells::default();
        for r in &records.records {
            cells.add(r);
        }
        let stats = cells.finish(k, &records);
        let at = CountedAt {
            writes: records.writes,
            stats: records.stats,
        };
        kept_aggregate::write(&self.index_dir, identity, at, &stats).await;
        Ok(stats)
    }

    /// Every counted message's record, up to date with the store: the kept
    /// ones brought up to date by the messages changed since, or all read
    /// afresh when none are kept, the store is not theirs or is behind
    /// them, messages were removed or people merged since, or topics were
    /// just recorded. Kept again for the next process when they changed.
    /// The caller holds `statistics_turn` and read `marks` under it.
    async fn current_statistics_records(
        &self,
        marks: casebook_store::FilterMarks,
        topics_recorded: bool,
    ) -> Result<Records, ArchiveError> {
        let identity = self.store.identity();
        let kept = match topics_recorded {
            false => kept_statistics::read(&self.index_dir, identity).await,
            true => None,
        };
        let mut records = match kept {
            Some(kept) if kept.stats == marks.stats && kept.writes == marks.writes => {
                return Ok(kept);
            }
            Some(mut kept) if kept.stats == marks.stats && kept.writes < marks.writes => {
                let mut changes = Vec::new();
                self.store
                    .each_stat_row(Some(kept.writes), |id, source| {
                        let record = source.and_then(|m| kept.record(id, m));
                        changes.push((id.0, record));
                    })
                    .await?;
                kept.apply(changes);
                kept
            }
            _ => {
                let mut fresh = Records::default();
                // Erased mail counts through its anonymous records (kept
                // under negative numbers, before every message): erasure
                // does not rewrite history. New ones come only with
                // removals, after which the records are read again.
                self.store
                    .each_erased_message(|n, e| {
                        if e.month == "unknown" || e.direction == "automated" {
                            return;
                        }
                        if let Some(record) = fresh.erased_record(n, &e) {
                            fresh.records.push(record);
                        }
                    })
                    .await?;
                self.store
                    .each_stat_row(None, |id, source| {
                        if let Some(record) = source.and_then(|m| fresh.record(id, m)) {
                            fresh.records.push(record);
                        }
                    })
                    .await?;
                fresh.sort();
                fresh
            }
        };
        records.writes = marks.writes;
        records.stats = marks.stats;
        kept_statistics::write(&self.index_dir, identity, &records).await;
        Ok(records)
    }

    /// Works out and records the topic of every message stored before
    /// topics were recorded (none after the first run).
    /// True when there were any.
    async fn record_missing_topics(&self) -> Result<bool, ArchiveError> {
        let mut after = casebook_vocabulary::MessageId(0);
        loop {
            let page = self
                .store
                .messages_without_topic(after, TOPICS_PER_PAGE)
                .await?;
            let Some((last, _, _)) = page.last() else {
                return Ok(after.0 > 0);
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
    use casebook_store::StatSource;
    use casebook_vocabulary::MessageId;

    /// Statistics of (topic, person, inbound) messages, all in July 2008.
    fn aggregate(rows: &[(&str, &str, bool)], k: u32) -> AggregateStats {
        let mut records = Records::default();
        let mut cells = Cells::default();
        for (n, (topic, person, inbound)) in rows.iter().enumerate() {
            let source = StatSource {
                date: 1_214_902_357,
                topic: (*topic).into(),
                inbound: *inbound,
                answered: *inbound,
                response_secs: inbound.then_some(60),
                person: (*person).into(),
                thread: Some(n as i64 % 2 + 1),
            };
            let r = records
                .record(MessageId(n as i64), source)
                .expect("a record");
            cells.add(&r);
        }
        cells.finish(k, &records)
    }

    #[test]
    fn cells_of_fewer_than_k_people_are_not_shown() {
        let mut rows = Vec::new();
        for p in ["a", "b", "c"] {
            rows.push(("voicemail", p, true));
            rows.push(("voicemail", p, false));
        }
        // Many messages, but of two people: still too few.
        for _ in 0..10 {
            rows.push(("invoice", "d", true));
            rows.push(("invoice", "e", true));
        }
        let stats = aggregate(&rows, 3);
        assert_eq!(stats.suppressed, 1);
        assert_eq!(stats.cells.len(), 1);
        let cell = &stats.cells[0];
        assert_eq!(
            (
                cell.month.as_str(),
                cell.topic.as_str(),
                cell.inbound,
                cell.outbound,
                cell.correspondents
            ),
            ("2008-07", "voicemail", 3, 3, 3)
        );
        assert_eq!(cell.answer_rate(), Some(1.0));
        assert_eq!(cell.median_response_secs, Some(60));
        assert_eq!(cell.response_times, [3, 0, 0, 0, 0]);
        assert_eq!(
            cell.conversations, 1,
            "the voicemail questions are in one thread"
        );
        assert_eq!(cell.answered_within_day(), 3);
        assert!(aggregate(&rows, 4).cells.is_empty());
    }

    #[test]
    fn response_times_fall_in_their_spans_at_the_edges() {
        assert_eq!(span_of(0), 0);
        assert_eq!(span_of(3_600), 0);
        assert_eq!(span_of(3_601), 1);
        assert_eq!(span_of(86_400), 2);
        assert_eq!(span_of(86_401), 3);
        assert_eq!(span_of(10 * 86_400), 4);
    }
}

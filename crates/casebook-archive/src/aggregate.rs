//! Statistics that identify nobody: volumes per month and topic, answer
//! rates and response times, with every cell covering fewer than
//! `k_anonymity` distinct correspondents suppressed. Erased mail counts
//! through its anonymous records, so erasure does not rewrite history.

use crate::{Archive, ArchiveError};
use casebook_policy::topic::topic_of;
use casebook_vocabulary::Direction;
use std::collections::{BTreeMap, HashMap, HashSet};

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
/// distinct people. Pure.
pub fn aggregate(rows: &[StatRow], k: u32) -> AggregateStats {
    let mut groups: BTreeMap<(&str, &str), Vec<&StatRow>> = BTreeMap::new();
    for r in rows {
        groups
            .entry((r.month.as_str(), r.topic.as_str()))
            .or_default()
            .push(r);
    }
    let mut cells = Vec::new();
    let mut suppressed = 0;
    for ((month, topic), rows) in groups {
        let people: HashSet<&str> = rows.iter().map(|r| r.person.as_str()).collect();
        if (people.len() as u64) < u64::from(k) {
            suppressed += 1;
            continue;
        }
        let mut times: Vec<i64> = rows.iter().filter_map(|r| r.response_secs).collect();
        times.sort_unstable();
        cells.push(StatCell {
            month: month.to_owned(),
            topic: topic.to_owned(),
            inbound: rows.iter().filter(|r| r.inbound).count() as u64,
            outbound: rows.iter().filter(|r| !r.inbound).count() as u64,
            answered: rows.iter().filter(|r| r.inbound && r.answered).count() as u64,
            median_response_secs: crate::read::median(&times),
            correspondents: people.len() as u64,
        });
    }
    AggregateStats {
        k,
        cells,
        suppressed,
    }
}

impl Archive {
    /// Volumes per month and topic, answer rates and response times, with
    /// cells of fewer than the config's `k_anonymity` people suppressed.
    pub async fn aggregate_stats(&self) -> Result<AggregateStats, ArchiveError> {
        // People, not addresses, are counted: merged addresses are one.
        let person_of: HashMap<String, String> =
            self.store.person_links().await?.into_iter().collect();
        let mut rows = Vec::new();
        self.each_with_body(
            |m| matches!(m.direction, Direction::Inbound | Direction::Outbound),
            |m, body| {
                let (Some(date), Some(person)) = (m.date, m.correspondent.clone()) else {
                    return;
                };
                rows.push(StatRow {
                    month: month_of(date),
                    topic: topic_of(&m.subject, &body).to_owned(),
                    inbound: m.direction == Direction::Inbound,
                    answered: m.reply_id.is_some(),
                    response_secs: m.response_secs,
                    person: person_of.get(&person).cloned().unwrap_or(person),
                });
            },
        )
        .await?;
        for e in self.store.erased_messages().await? {
            if e.month == "unknown" || e.direction == "automated" {
                continue;
            }
            rows.push(StatRow {
                month: e.month,
                topic: e.topic,
                inbound: e.direction == "inbound",
                answered: e.answered,
                response_secs: e.response_secs,
                person: format!("erased:{}", e.erasure),
            });
        }
        Ok(aggregate(&rows, self.config.k_anonymity))
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

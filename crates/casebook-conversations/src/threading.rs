//! Works out conversations and pairs each customer message with our reply.
//! Pure functions over what the store holds; the result does not depend on
//! the order in which messages arrived.
//!
//! Threads are the connected groups of messages linked by
//! - a Message-ID named in another message's References or In-Reply-To
//!   (two messages naming the same missing parent are linked through it);
//! - when a message carries no such headers, the same normalised subject
//!   with the *same correspondent* within a time window. A stranger writing
//!   "Invoice" never joins someone else's "Invoice" thread.

use casebook_mail::{normalize_subject, NormalizedSubject};
use casebook_vocabulary::{Direction, MessageId, ThreadId, ThreadRow, ThreadUpdate};
use std::collections::HashMap;

/// The thread and reply pairing of every row, and only those that differ
/// from what the store holds.
pub fn changed_threads(rows: &[ThreadRow], window_secs: i64) -> Vec<ThreadUpdate> {
    let threads = assign_threads(rows, window_secs);
    let replies = pair_replies(rows, &threads);
    rows.iter()
        .zip(threads.iter().zip(replies))
        .filter_map(|(row, (&thread_id, (reply_id, response_secs)))| {
            let update = ThreadUpdate {
                id: row.id,
                thread_id,
                reply_id,
                response_secs,
                left_thread: row.thread_id.filter(|&old| old != thread_id),
            };
            let unchanged = row.thread_id == Some(thread_id)
                && row.reply_id == reply_id
                && row.response_secs == response_secs;
            (!unchanged).then_some(update)
        })
        .collect()
}

/// Where the subject fallback compares a message: its correspondent and
/// normalised subject; none for machine-sent mail, mail without a date or
/// correspondent, or an empty subject.
fn subject_of(row: &ThreadRow) -> Option<(&str, NormalizedSubject)> {
    subject_key(
        row.correspondent.as_deref(),
        row.date.is_some(),
        row.direction,
        &row.subject,
    )
}

fn subject_key<'a>(
    correspondent: Option<&'a str>,
    dated: bool,
    direction: Direction,
    subject: &str,
) -> Option<(&'a str, NormalizedSubject)> {
    let correspondent = correspondent?;
    if !dated || direction == Direction::Automated {
        return None;
    }
    let subject = normalize_subject(subject);
    (!subject.text.is_empty()).then_some((correspondent, subject))
}

/// A message's link keys (recorded in the store's `message_links`): one
/// for each parent it names, one for its subject-threading key. Two
/// messages linked by a shared parent or subject share a key, and a
/// message whose Message-ID another names as parent has that parent's key
/// as [`parent_key`] of its own Message-ID. A 64-bit FNV-1a hash: two
/// different keys that collide only make threading read one more thread.
pub fn link_keys<'a>(
    parents: impl Iterator<Item = &'a str>,
    correspondent: Option<&str>,
    dated: bool,
    direction: Direction,
    subject: &str,
) -> Vec<i64> {
    let mut keys: Vec<i64> = parents.map(parent_key).collect();
    if let Some((correspondent, subject)) = subject_key(correspondent, dated, direction, subject) {
        keys.push(hash_key(&[
            b"subject",
            correspondent.as_bytes(),
            subject.text.as_bytes(),
        ]));
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The link keys of a row as stored (see [`link_keys`]).
pub fn row_link_keys(row: &ThreadRow) -> Vec<i64> {
    link_keys(
        row.in_reply_to
            .iter()
            .chain(&row.references)
            .map(String::as_str),
        row.correspondent.as_deref(),
        row.date.is_some(),
        row.direction,
        &row.subject,
    )
}

/// The key of a Message-ID named as a parent.
pub fn parent_key(message_id: &str) -> i64 {
    hash_key(&[b"parent", message_id.as_bytes()])
}

fn hash_key(parts: &[&[u8]]) -> i64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for part in parts {
        // Each part ends with a byte no Message-ID, address or subject
        // text holds, so ("ab", "c") and ("a", "bc") differ.
        for &byte in part.iter().chain(&[0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    hash as i64
}

/// The link keys that tie other messages to these rows: the rows' own
/// keys, and the parent key of each row's Message-ID (a message naming
/// the row as its parent carries it). Ascending, each once.
pub fn keys_linking(rows: &[ThreadRow]) -> Vec<i64> {
    let mut keys: Vec<i64> = rows.iter().flat_map(row_link_keys).collect();
    keys.extend(
        rows.iter()
            .filter_map(|r| r.message_id_header.as_deref())
            .map(parent_key),
    );
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The Message-IDs of these rows and of the parents they name: messages
/// carrying one of them are linked to a row.
pub fn named_message_ids(rows: &[ThreadRow]) -> Vec<&str> {
    let mut ids: Vec<&str> = rows
        .iter()
        .flat_map(|r| {
            r.message_id_header
                .iter()
                .chain(&r.in_reply_to)
                .chain(&r.references)
                .map(String::as_str)
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The thread of each row, in input order.
pub fn assign_threads(rows: &[ThreadRow], window_secs: i64) -> Vec<ThreadId> {
    let mut sets = DisjointSets::new(rows.len());

    // Links through Message-IDs, including ones no stored message carries.
    let mut by_message_id: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        if let Some(mid) = row.message_id_header.as_deref() {
            if let Some(&other) = by_message_id.get(mid) {
                sets.union(i, other);
            } else {
                by_message_id.insert(mid, i);
            }
        }
    }
    let mut missing_parents: HashMap<&str, usize> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        for parent in row.references.iter().chain(&row.in_reply_to) {
            let parent = parent.as_str();
            match by_message_id.get(parent) {
                Some(&p) => sets.union(i, p),
                None => {
                    let first = *missing_parents.entry(parent).or_insert(i);
                    sets.union(i, first);
                }
            }
        }
    }

    // Subject fallback, only between one correspondent's messages.
    let mut by_subject: HashMap<(&str, String), Vec<(usize, bool)>> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        if let Some((correspondent, subject)) = subject_of(row) {
            by_subject
                .entry((correspondent, subject.text))
                .or_default()
                .push((i, subject.had_reply_prefix));
        }
    }
    for members in by_subject.values_mut() {
        members.sort_by_key(|&(i, _)| (rows[i].date, same_time_order(&rows[i])));
        for pair in members.windows(2) {
            let ((earlier, _), (later, is_reply)) = (pair[0], pair[1]);
            // Only a reply ("Re: …") that lost its headers is linked; the same
            // customer writing anew under the same subject starts a new thread.
            let has_headers =
                !rows[later].in_reply_to.is_empty() || !rows[later].references.is_empty();
            let gap = rows[later].date.unwrap_or(0) - rows[earlier].date.unwrap_or(0);
            if is_reply && !has_headers && gap <= window_secs {
                sets.union(earlier, later);
            }
        }
    }

    // A thread is named after its smallest message id.
    let mut smallest: HashMap<usize, MessageId> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let root = sets.find(i);
        let entry = smallest.entry(root).or_insert(row.id);
        if row.id < *entry {
            *entry = row.id;
        }
    }
    (0..rows.len())
        .map(|i| ThreadId(smallest[&sets.find(i)].0))
        .collect()
}

/// For each row: the first reply of ours to it and the seconds it took,
/// for customer (inbound) messages; `(None, None)` for the rest.
///
/// The reply is the earliest outbound message that names it in
/// In-Reply-To (or last in References); failing that, the earliest
/// outbound message of the same thread sent after it.
pub fn pair_replies(
    rows: &[ThreadRow],
    threads: &[ThreadId],
) -> Vec<(Option<MessageId>, Option<i64>)> {
    let order_key = |i: usize| (rows[i].date.unwrap_or(i64::MAX), same_time_order(&rows[i]));
    let mut replies_by_parent: HashMap<&str, usize> = HashMap::new();
    let mut outbound_by_thread: HashMap<ThreadId, Vec<usize>> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        if row.direction != Direction::Outbound {
            continue;
        }
        outbound_by_thread.entry(threads[i]).or_default().push(i);
        let parents = row.in_reply_to.iter().chain(row.references.last());
        for parent in parents {
            let best = replies_by_parent.entry(parent.as_str()).or_insert(i);
            if order_key(i) < order_key(*best) {
                *best = i;
            }
        }
    }
    for list in outbound_by_thread.values_mut() {
        list.sort_by_key(|&i| order_key(i));
    }

    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            if row.direction != Direction::Inbound {
                return (None, None);
            }
            let by_header = row
                .message_id_header
                .as_deref()
                .and_then(|mid| replies_by_parent.get(mid).copied());
            // The first reply sent at or after it: a binary search, so a
            // thread of ten thousand messages costs n log n, not n².
            let by_thread = || {
                let date = row.date?;
                let outbound = outbound_by_thread.get(&threads[i])?;
                let first = outbound.partition_point(|&o| order_key(o).0 < date);
                outbound
                    .get(first)
                    .copied()
                    .filter(|&o| rows[o].date.is_some())
            };
            match by_header.or_else(by_thread) {
                Some(o) => {
                    let secs = match (row.date, rows[o].date) {
                        (Some(asked), Some(answered)) => Some((answered - asked).max(0)),
                        _ => None,
                    };
                    (Some(rows[o].id), secs)
                }
                None => (None, None),
            }
        })
        .collect()
}

/// Orders messages sent in the same second: by Message-ID, shared by every
/// copy of a message (so which copy arrived first, and is the one threaded,
/// does not change the order), then by content for mail without one.
fn same_time_order(row: &ThreadRow) -> (Option<&str>, casebook_vocabulary::Sha256) {
    (row.message_id_header.as_deref(), row.sha256)
}

/// Union-find with path halving and union by size.
struct DisjointSets {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl DisjointSets {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
            size: vec![1; n],
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a;
        self.size[a] += self.size[b];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use casebook_vocabulary::Sha256;

    struct Mail {
        id: i64,
        mid: Option<&'static str>,
        parents: &'static [&'static str],
        who: &'static str,
        subject: &'static str,
        date: i64,
        dir: Direction,
    }

    fn digest(n: u8) -> Sha256 {
        Sha256([n; 32])
    }

    fn row(m: &Mail) -> ThreadRow {
        ThreadRow {
            id: MessageId(m.id),
            sha256: digest(m.id as u8),
            message_id_header: m.mid.map(str::to_owned),
            in_reply_to: m
                .parents
                .last()
                .map(|p| p.to_string())
                .into_iter()
                .collect(),
            references: m.parents.iter().map(|p| p.to_string()).collect(),
            correspondent: Some(m.who.to_owned()),
            subject: m.subject.to_owned(),
            date: Some(m.date),
            direction: m.dir,
            thread_id: None,
            reply_id: None,
            response_secs: None,
        }
    }

    const DAY: i64 = 86_400;
    use Direction::{Inbound as In, Outbound as Out};

    fn mails() -> Vec<Mail> {
        vec![
            Mail {
                id: 1,
                mid: Some("a1"),
                parents: &[],
                who: "ann@x",
                subject: "Trunk down",
                date: 0,
                dir: In,
            },
            Mail {
                id: 2,
                mid: Some("s1"),
                parents: &["a1"],
                who: "ann@x",
                subject: "Re: Trunk down",
                date: 3600,
                dir: Out,
            },
            Mail {
                id: 3,
                mid: Some("a2"),
                parents: &["a1", "s1"],
                who: "ann@x",
                subject: "Re: Trunk down",
                date: 7200,
                dir: In,
            },
            // Bob's "Invoice" and Carol's "Invoice" must stay apart.
            Mail {
                id: 4,
                mid: Some("b1"),
                parents: &[],
                who: "bob@y",
                subject: "Invoice",
                date: DAY,
                dir: In,
            },
            Mail {
                id: 5,
                mid: Some("c1"),
                parents: &[],
                who: "carol@z",
                subject: "Invoice",
                date: DAY + 60,
                dir: In,
            },
            // Bob's reply without headers joins his own thread by subject.
            Mail {
                id: 6,
                mid: Some("s2"),
                parents: &[],
                who: "bob@y",
                subject: "RE: Invoice",
                date: DAY + 600,
                dir: Out,
            },
            // Two replies to a parent we never stored are one thread.
            Mail {
                id: 7,
                mid: Some("d2"),
                parents: &["lost"],
                who: "dan@w",
                subject: "Voicemail",
                date: 2 * DAY,
                dir: In,
            },
            Mail {
                id: 8,
                mid: Some("d3"),
                parents: &["lost"],
                who: "dan@w",
                subject: "Voicemail",
                date: 2 * DAY + 5,
                dir: In,
            },
            // A reference loop.
            Mail {
                id: 9,
                mid: Some("e1"),
                parents: &["e2"],
                who: "eve@v",
                subject: "Loop",
                date: 3 * DAY,
                dir: In,
            },
            Mail {
                id: 10,
                mid: Some("e2"),
                parents: &["e1"],
                who: "eve@v",
                subject: "Loop",
                date: 3 * DAY + 1,
                dir: In,
            },
            // Same subject, same person, but outside the window: a new thread.
            Mail {
                id: 11,
                mid: Some("b9"),
                parents: &[],
                who: "bob@y",
                subject: "Invoice",
                date: 90 * DAY,
                dir: In,
            },
        ]
    }

    fn groups(rows: &[ThreadRow], threads: &[ThreadId]) -> Vec<Vec<i64>> {
        let mut by: HashMap<ThreadId, Vec<i64>> = HashMap::new();
        for (r, t) in rows.iter().zip(threads) {
            by.entry(*t).or_default().push(r.id.0);
        }
        let mut out: Vec<Vec<i64>> = by
            .into_values()
            .map(|mut v| {
                v.sort();
                v
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn threads_by_headers_subject_and_correspondent() {
        let rows: Vec<_> = mails().iter().map(row).collect();
        let threads = assign_threads(&rows, 30 * DAY);
        assert_eq!(
            groups(&rows, &threads),
            vec![
                vec![1, 2, 3],
                vec![4, 6],
                vec![5],
                vec![7, 8],
                vec![9, 10],
                vec![11]
            ]
        );
        assert_eq!(threads[2], ThreadId(1), "named after the smallest id");
    }

    #[test]
    fn arrival_order_does_not_change_threads() {
        let rows: Vec<_> = mails().iter().map(row).collect();
        let expected = groups(&rows, &assign_threads(&rows, 30 * DAY));
        let mut reversed = rows.clone();
        reversed.reverse();
        assert_eq!(
            groups(&reversed, &assign_threads(&reversed, 30 * DAY)),
            expected
        );
        let mut rotated = rows.clone();
        rotated.rotate_left(5);
        assert_eq!(
            groups(&rotated, &assign_threads(&rotated, 30 * DAY)),
            expected
        );
    }

    #[test]
    fn replies_pair_by_header_then_by_thread() {
        let rows: Vec<_> = mails().iter().map(row).collect();
        let threads = assign_threads(&rows, 30 * DAY);
        let pairs = pair_replies(&rows, &threads);
        assert_eq!(pairs[0], (Some(MessageId(2)), Some(3600)), "by In-Reply-To");
        assert_eq!(pairs[2], (None, None), "asked after our last reply");
        assert_eq!(pairs[3], (Some(MessageId(6)), Some(600)), "by thread");
        assert_eq!(pairs[4], (None, None), "Carol was never answered");
        assert_eq!(pairs[1], (None, None), "our own mail is not paired");
    }

    #[test]
    fn only_changes_are_reported() {
        let mut rows: Vec<_> = mails().iter().map(row).collect();
        let first = changed_threads(&rows, 30 * DAY);
        assert_eq!(first.len(), rows.len());
        for u in &first {
            let r = rows.iter_mut().find(|r| r.id == u.id).expect("row");
            r.thread_id = Some(u.thread_id);
            r.reply_id = u.reply_id;
            r.response_secs = u.response_secs;
        }
        assert!(changed_threads(&rows, 30 * DAY).is_empty());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Rows drawn from small pools, so that Message-IDs, parents,
        /// subjects and correspondents collide often.
        fn rows() -> impl Strategy<Value = Vec<ThreadRow>> {
            let one = (
                proptest::option::of(0u8..12),
                proptest::collection::vec(0u8..12, 0..3),
                0u8..3,
                (0u8..4, any::<bool>()),
                proptest::option::of(0i64..40),
                0u8..3,
            );
            proptest::collection::vec(one, 1..40).prop_map(|drawn| {
                drawn
                    .into_iter()
                    .enumerate()
                    .map(|(i, (mid, parents, who, (subject, re), day, dir))| {
                        let parents: Vec<String> =
                            parents.iter().map(|p| format!("m{p}")).collect();
                        ThreadRow {
                            id: MessageId(i as i64 + 1),
                            sha256: distinct_digest(i),
                            message_id_header: mid.map(|m| format!("m{m}")),
                            in_reply_to: parents.last().cloned().into_iter().collect(),
                            references: parents,
                            correspondent: Some(format!("c{who}@customer.example")),
                            subject: format!("{}topic {subject}", if re { "Re: " } else { "" }),
                            date: day.map(|d| d * DAY / 2),
                            direction: [
                                Direction::Inbound,
                                Direction::Outbound,
                                Direction::Automated,
                            ][usize::from(dir)],
                            thread_id: None,
                            reply_id: None,
                            response_secs: None,
                        }
                    })
                    .collect()
            })
        }

        /// A distinct digest per row, as the store guarantees.
        fn distinct_digest(i: usize) -> Sha256 {
            let mut d = [0u8; 32];
            d[..8].copy_from_slice(&(i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes());
            Sha256(d)
        }

        /// What a person sees of threading: for each message, its thread's
        /// name and the reply paired with it.
        fn outcome(
            rows: &[ThreadRow],
        ) -> HashMap<MessageId, (ThreadId, Option<MessageId>, Option<i64>)> {
            let threads = assign_threads(rows, 30 * DAY);
            let replies = pair_replies(rows, &threads);
            rows.iter()
                .zip(threads.iter().zip(replies))
                .map(|(r, (&t, (reply, secs)))| (r.id, (t, reply, secs)))
                .collect()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn threads_and_replies_do_not_depend_on_arrival_order(
                (rows, shuffled) in rows().prop_flat_map(|rows| {
                    let shuffled = Just(rows.clone()).prop_shuffle();
                    (Just(rows), shuffled)
                })
            ) {
                prop_assert_eq!(outcome(&rows), outcome(&shuffled));
            }

            #[test]
            fn a_reply_is_ours_and_never_earlier_than_the_question(rows in rows()) {
                let by_id: HashMap<MessageId, &ThreadRow> = rows.iter().map(|r| (r.id, r)).collect();
                for (id, (_, reply, secs)) in outcome(&rows) {
                    let Some(reply) = reply else { continue };
                    prop_assert_eq!(by_id[&id].direction, Direction::Inbound);
                    prop_assert_eq!(by_id[&reply].direction, Direction::Outbound);
                    if let Some(secs) = secs {
                        prop_assert!(secs >= 0);
                    }
                }
            }
        }
    }
}

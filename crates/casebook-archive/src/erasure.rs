//! Erasure on request, retention, and legal holds. An erased person's
//! mail, our replies to them, their list records, choices and links leave
//! the store and every index; a keyed hash of each of their addresses
//! stays so their mail is not taken in again, and an anonymous record of
//! each message keeps statistics from changing. Held mail is kept.

use crate::audit::{entry, now};
use crate::privacy::address_arg;
use crate::privacy::Privacy;
use crate::{Archive, ArchiveError};
use casebook_credentials::{keyed_digest, random_hex};
use casebook_policy::topic::topic_of;
use casebook_search::Sort;
use casebook_store::AuditSubject;
use casebook_store::{ErasedMessage, Erasure, Hold, NewMessage};
use casebook_vocabulary::{Direction, MessageId};
use std::collections::HashSet;

/// Messages the index may name as still holding an erased address that are
/// read back to confirm it: more than this many means the erasure missed
/// a great deal, and the first ones are enough to say so.
const LEFTOVER_CANDIDATES: usize = 1_000;

/// Messages an erasure (of a person, or by retention) removes a
/// transaction at a time.
const ERASURE_ROUND: u32 = 5_000;

/// The store secret the address hashes are keyed with.
const ERASURE_KEY: &str = "erasure-hmac-key";

/// What an erasure did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErasureReport {
    pub addresses: Vec<String>,
    /// Messages removed (or to remove): theirs, our replies, copies.
    pub messages: u64,
    /// Messages kept because a legal hold covers them.
    pub held: Vec<MessageId>,
    /// Of `messages`: found because they are the person's conversation
    /// (correspondent or sender), and found only because a header field
    /// names them (To, Cc, Reply-To, Sender).
    pub by_correspondent: u64,
    pub by_header_only: u64,
    /// Stored messages that still name an erased address after the
    /// erasure (in a header or the text), held mail aside: the erasure is
    /// incomplete until these are dealt with.
    pub leftovers: Vec<MessageId>,
    pub dry_run: bool,
}

/// Which incoming mail belongs to an erased person.
pub(crate) struct ErasedFilter {
    key: Vec<u8>,
    digests: HashSet<String>,
}

impl ErasedFilter {
    /// Whether `m` is from or to an erased person.
    pub(crate) fn is_erased(&self, m: &NewMessage) -> bool {
        let from = m.parsed.from.as_ref().map(|f| f.address.as_str());
        m.correspondent
            .as_ref()
            .map(|c| c.as_str())
            .into_iter()
            .chain(from)
            .any(|a| self.is_erased_address(a))
    }

    /// Whether `address` (normalised) is an erased person's.
    pub(crate) fn is_erased_address(&self, address: &str) -> bool {
        !self.digests.is_empty() && self.digests.contains(&keyed_digest(&self.key, address))
    }
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// A hold target as typed: `thread:12` or `tag:litigation`.
fn hold_target(raw: &str) -> Result<(String, String), ArchiveError> {
    let bad = || {
        ArchiveError::Refused(format!(
            "{raw:?} is not a hold target: write thread:ID or tag:NAME"
        ))
    };
    let (kind, target) = raw.trim().split_once(':').ok_or_else(bad)?;
    match kind {
        "thread" => {
            let id: i64 = target.trim().parse().map_err(|_| bad())?;
            Ok(("thread".into(), id.to_string()))
        }
        "tag" => casebook_search::normalize_tag(target)
            .map(|t| ("tag".into(), t))
            .ok_or_else(bad),
        _ => Err(bad()),
    }
}

impl Archive {
    async fn erasure_key(&self) -> Result<Vec<u8>, ArchiveError> {
        let candidate = random_hex(32)?;
        Ok(hex_bytes(
            &self.store.secret(ERASURE_KEY, &candidate).await?,
        ))
    }

    pub(crate) async fn erased_filter(&self) -> Result<ErasedFilter, ArchiveError> {
        let digests = self.store.erased_digests().await?;
        let key = if digests.is_empty() {
            Vec::new()
        } else {
            self.erasure_key().await?
        };
        Ok(ErasedFilter { key, digests })
    }

    /// The messages of `ids` that may go and the anonymous records they
    /// leave; the held ones apart.
    async fn plan(
        &self,
        ids: &[MessageId],
    ) -> Result<(Vec<MessageId>, Vec<ErasedMessage>, Vec<MessageId>), ArchiveError> {
        let held = self.store.held(ids).await?;
        let going: Vec<MessageId> = ids.iter().filter(|i| !held.contains(i)).copied().collect();
        let erasure = random_hex(8)?;
        let mut records = Vec::with_capacity(going.len());
        for chunk in going.chunks(500) {
            for (m, topic) in self.store.summaries_with_topics(chunk).await? {
                // The topic recorded when it was stored; mail stored before
                // topics were has its text read, that one message alone
                // (a round of large messages is never held at once).
                let topic = match topic {
                    Some(topic) => topic,
                    None => {
                        let text = self.store.summaries_with_bodies(&[m.id]).await?;
                        let body = text.first().map_or("", |(_, body)| body.as_str());
                        topic_of(&m.subject, body).to_owned()
                    }
                };
                records.push(ErasedMessage {
                    month: m
                        .date
                        .map_or_else(|| "unknown".into(), crate::aggregate::month_of),
                    direction: m.direction.as_str().to_owned(),
                    topic,
                    answered: m.direction == Direction::Inbound && m.reply_id.is_some(),
                    response_secs: m.response_secs,
                    erasure: erasure.clone(),
                    thread: m.thread_id.map(|t| t.0),
                });
            }
        }
        let mut held: Vec<MessageId> = held.into_iter().collect();
        held.sort();
        Ok((going, records, held))
    }

    /// A person's mail (every copy included) and how it was found: as
    /// their conversation, or only because a header field names them.
    pub(crate) async fn person_mail(
        &self,
        addresses: &[String],
    ) -> Result<(Vec<MessageId>, u64, u64), ArchiveError> {
        let theirs = self.store.messages_of(addresses).await?;
        let named = self.store.messages_naming(addresses).await?;
        let known: HashSet<MessageId> = theirs.iter().copied().collect();
        let named_only: Vec<MessageId> =
            named.into_iter().filter(|id| !known.contains(id)).collect();
        let counts = (theirs.len() as u64, named_only.len() as u64);
        let mut ids = theirs;
        ids.extend(named_only);
        ids.sort_unstable();
        Ok((ids, counts.0, counts.1))
    }

    /// Stored messages, `held` aside, that still name one of `addresses`:
    /// in a header field, or in their text (found by the index, then
    /// confirmed in the store's text).
    async fn mail_still_naming(
        &self,
        addresses: &[String],
        held: &[MessageId],
    ) -> Result<Vec<MessageId>, ArchiveError> {
        let mut found: HashSet<MessageId> =
            self.person_mail(addresses).await?.0.into_iter().collect();
        let phrases = addresses
            .iter()
            .map(|a| casebook_search::Expr::Text {
                field: casebook_search::TextField::Anywhere,
                text: a.clone(),
            })
            .collect();
        let options = casebook_search::SearchOptions {
            sort: Sort::Relevance,
            limit: LEFTOVER_CANDIDATES,
            offset: 0,
            counting: casebook_search::Counting::Every,
        };
        let hits = self
            .index
            .search(&casebook_search::Expr::Or(phrases), &options)?;
        let candidates: Vec<MessageId> = hits.hits.iter().map(|h| h.id).collect();
        for (summary, body) in self.store.summaries_with_bodies(&candidates).await? {
            let text = format!("{}\n{}", summary.subject, body).to_lowercase();
            // The whole address, never a part of another (ann@ in joann@).
            if addresses
                .iter()
                .any(|a| casebook_policy::praise::stands_in(a, &text))
            {
                found.insert(summary.id);
            }
        }
        let mut left: Vec<MessageId> = found.into_iter().filter(|id| !held.contains(id)).collect();
        left.sort_unstable();
        Ok(left)
    }
}

impl Privacy<'_> {
    /// Erases a person (every address merged with `email`): their mail and
    /// our replies from the store, the raw store and every index, their
    /// list records, choices and links; audit entries about them redacted.
    /// Mail under a legal hold is kept (and named). `dry_run` only says
    /// what would go.
    pub async fn erase(
        &self,
        email: &str,
        dry_run: bool,
        actor: &str,
    ) -> Result<ErasureReport, ArchiveError> {
        let address = address_arg(email)?;
        let addresses = self
            .archive
            .store
            .person_addresses(address.as_str())
            .await?;
        let (ids, by_correspondent, by_header_only) = self.archive.person_mail(&addresses).await?;
        let mut report = ErasureReport {
            addresses: addresses.clone(),
            held: Vec::new(),
            by_correspondent,
            by_header_only,
            leftovers: Vec::new(),
            dry_run,
            messages: 0,
        };
        // A dry run writes nothing, not even the key a first erasure makes.
        let digests: Vec<String> = if dry_run {
            Vec::new()
        } else {
            let key = self.archive.erasure_key().await?;
            addresses.iter().map(|a| keyed_digest(&key, a)).collect()
        };
        // In rounds, each its own transaction, so what is held is a
        // round's anonymous records and one transaction stays small
        // whatever the person's mail. The person is forgotten (list
        // records, choices, links; their address hashes recorded) with the
        // last round: an erasure interrupted before it has erased whole
        // rounds, and running it again finds the rest by the same links.
        // A person without mail still has one round: the one forgetting them.
        let rounds: Vec<&[MessageId]> = if ids.is_empty() {
            vec![&[]]
        } else {
            ids.chunks(ERASURE_ROUND as usize).collect()
        };
        for (n, chunk) in rounds.iter().enumerate() {
            let (round, last) = (n + 1, n + 1 == rounds.len());
            let (going, records, held) = self.archive.plan(chunk).await?;
            report.held.extend(held.iter().copied());
            if dry_run {
                report.messages += going.len() as u64;
            } else {
                // The audit entry names no address.
                let audit = entry(
                    actor,
                    "erase",
                    AuditSubject::ErasedPerson,
                    serde_json::json!({
                        "messages": going.len(),
                        "held": held.len(),
                        "round": round,
                        "last_round": last,
                    }),
                );
                let erasure = Erasure {
                    messages: going,
                    digests: if last { digests.clone() } else { Vec::new() },
                    addresses: if last { addresses.clone() } else { Vec::new() },
                    records,
                    at: now(),
                };
                report.messages += self.archive.store.erase(&erasure, &audit).await?;
            }
        }
        if dry_run {
            return Ok(report);
        }
        self.archive.openings.clear();
        // The index catch-up rewrites the index without the removed mail;
        // an index another process is writing drops it when that process
        // catches up.
        self.archive.refresh().await?;
        report.leftovers = self
            .archive
            .mail_still_naming(&addresses, &report.held)
            .await?;
        Ok(report)
    }

    /// Erases mail older than `retention_days` (the config's), but held
    /// mail. Nobody is remembered: later mail of the same people is taken
    /// in as usual.
    pub async fn apply_retention(
        &self,
        dry_run: bool,
        actor: &str,
    ) -> Result<ErasureReport, ArchiveError> {
        let Some(days) = self.archive.config.retention_days else {
            return Err(ArchiveError::Refused(
                "no retention_days in the config: set it (e.g. retention_days = 2555 for seven years) to say how long mail is kept".into(),
            ));
        };
        let cutoff = now() - i64::from(days) * 86_400;
        let mut report = ErasureReport {
            dry_run,
            ..ErasureReport::default()
        };
        // In rounds, each its own transaction: what is held is a round's
        // ids and anonymous records, whatever has grown old. An interrupted
        // run has erased whole rounds; the next run goes on from there.
        let mut after = MessageId(0);
        loop {
            let ids = self
                .archive
                .store
                .messages_before(cutoff, after, ERASURE_ROUND)
                .await?;
            let Some(last) = ids.last() else {
                break;
            };
            after = *last;
            let (going, records, held) = self.archive.plan(&ids).await?;
            report.held.extend(held.iter().copied());
            if dry_run || going.is_empty() {
                report.messages += going.len() as u64;
                continue;
            }
            let audit = entry(
                actor,
                "retention",
                AuditSubject::OlderThan { days },
                serde_json::json!({ "messages": going.len(), "held": held.len() }),
            );
            let erasure = Erasure {
                messages: going,
                addresses: Vec::new(),
                digests: Vec::new(),
                records,
                at: now(),
            };
            report.messages += self.archive.store.erase(&erasure, &audit).await?;
        }
        if !dry_run && report.messages > 0 {
            self.archive.openings.clear();
            // The index catch-up rewrites the index without the removed
            // mail; an index another process is writing drops it when that
            // process catches up.
            self.archive.refresh().await?;
        }
        Ok(report)
    }

    /// Puts `thread:ID` or `tag:NAME` under a legal hold.
    pub async fn hold(&self, target: &str, reason: &str, actor: &str) -> Result<(), ArchiveError> {
        let (kind, target) = hold_target(target)?;
        if reason.trim().is_empty() {
            return Err(ArchiveError::Refused(
                "say why the mail is held (--reason), e.g. \"litigation 2026-14\"".into(),
            ));
        }
        let hold = Hold {
            kind: kind.clone(),
            target: target.clone(),
            reason: reason.trim().to_owned(),
            held_by: actor.to_owned(),
            held_at: now(),
        };
        let audit = entry(
            actor,
            "hold",
            AuditSubject::Hold {
                kind: &kind,
                target: &target,
            },
            serde_json::json!({ "reason": hold.reason }),
        );
        if !self.archive.store.add_hold(&hold, &audit).await? {
            return Err(ArchiveError::Conflict(format!(
                "{kind}:{target} is already held; `casebook hold --list` shows holds"
            )));
        }
        Ok(())
    }

    /// Ends a legal hold.
    pub async fn release_hold(&self, target: &str, actor: &str) -> Result<(), ArchiveError> {
        let (kind, target) = hold_target(target)?;
        let audit = entry(
            actor,
            "release",
            AuditSubject::Hold {
                kind: &kind,
                target: &target,
            },
            serde_json::json!({}),
        );
        if !self
            .archive
            .store
            .release_hold(&kind, &target, &audit)
            .await?
        {
            return Err(ArchiveError::NotFound(format!(
                "{kind}:{target} is not held; `casebook hold --list` shows holds"
            )));
        }
        Ok(())
    }

    pub async fn holds(&self) -> Result<Vec<Hold>, ArchiveError> {
        Ok(self.archive.store.holds().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_back_from_hex() {
        assert_eq!(hex_bytes("00ff10"), vec![0, 255, 16]);
    }

    #[test]
    fn hold_targets_are_threads_or_tags() {
        assert_eq!(
            hold_target("thread:12").ok(),
            Some(("thread".into(), "12".into()))
        );
        assert_eq!(
            hold_target("tag:Litigation").ok(),
            Some(("tag".into(), "litigation".into()))
        );
        assert!(hold_target("12").is_err());
        assert!(hold_target("thread:x").is_err());
    }
}

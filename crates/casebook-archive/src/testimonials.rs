//! Testimonials: suggestions from praise in customers' own words, approval
//! with a verbatim excerpt and consent on record, revocation, and what
//! marketing may see — the excerpt, attribution, date, topic and whether it
//! was edited; never an address or the rest of the message.

use crate::audit::{about, entry, now};
use crate::{Archive, ArchiveError};
use casebook_policy::praise::{appears_verbatim, assess};
use casebook_store::AuditSubject;
use casebook_store::{
    AuditEntry, MessageSummary, NewTestimonial, TestimonialRecord, TestimonialState,
};
use casebook_vocabulary::{Direction, MessageId};
use std::collections::HashSet;
use time::OffsetDateTime;

/// The tag approved testimonials carry, so agents find them
/// (`tag:testimonial`, `is:testimonial`).
pub const TESTIMONIAL_TAG: &str = "testimonial";

/// A customer message worth quoting, not yet decided on.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub message: MessageSummary,
    pub score: u32,
    /// Sentences of praise, as written.
    pub quotes: Vec<String>,
    /// Sentences in which the customer lets us quote them.
    pub permission: Vec<String>,
}

/// Evidence that the customer agreed to be quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consent {
    /// A message of theirs saying so.
    Message(MessageId),
    /// How consent was obtained otherwise ("phone call with Ann, 3 May").
    Note(String),
}

/// An approver's decision to quote a message.
#[derive(Debug, Clone)]
pub struct Approval {
    pub message: MessageId,
    pub excerpt: String,
    /// "Ann Lee, ACME Telecom" or anonymised: "A customer in telecoms".
    pub attribution: String,
    /// The excerpt was edited (shown to marketing); else it must be verbatim.
    pub edited: bool,
    pub consent: Consent,
    pub expires_at: Option<i64>,
    /// Who decided.
    pub actor: String,
}

/// A testimonial as marketing may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedTestimonial {
    pub id: i64,
    pub excerpt: String,
    pub attribution: String,
    /// When the customer wrote it.
    pub date: Option<OffsetDateTime>,
    pub topic: String,
    pub edited: bool,
}

/// Which testimonials to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestimonialFilter {
    /// Approved, not revoked, not expired: what may be used.
    Usable,
    Rejected,
    Revoked,
    Expired,
    All,
}

/// A testimonial as an approver sees it: the record and its effective
/// state (an approved one past its date is expired).
#[derive(Debug, Clone)]
pub struct TestimonialView {
    pub record: TestimonialRecord,
    pub expired: bool,
}

impl TestimonialView {
    pub fn state_name(&self) -> &'static str {
        if self.expired {
            "expired"
        } else {
            self.record.state.as_str()
        }
    }
}

/// The last second (UTC) of a day written `YYYY-MM-DD`: when a testimonial
/// approved "until" that day stops being usable.
pub fn last_second_of(day: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(day.trim(), &format).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp() + 86_399)
}

impl Archive {
    /// The text of `message` as its author wrote it: for HTML-only mail,
    /// the HTML above its quoted part; else the stored text (whose quoted
    /// lines [`casebook_policy::praise::own_words`] leaves out).
    async fn own_text(
        &self,
        message: &casebook_store::StoredMessage,
    ) -> Result<String, ArchiveError> {
        if !message.html_only {
            return Ok(message.body.clone());
        }
        Ok(self
            .store
            .raw(message.summary.id)
            .await?
            .and_then(|raw| casebook_mail::html_own_text(&raw))
            .unwrap_or_else(|| message.body.clone()))
    }

    /// The verbatim rule: `excerpt` stands, on word boundaries, in what
    /// the customer wrote in `message` themselves — not in what they quote
    /// (plain `>` lines, attribution blocks, HTML blockquotes), forward or
    /// sign with, and not in words of ours earlier in the thread.
    async fn check_verbatim(
        &self,
        excerpt: &str,
        message: &casebook_store::StoredMessage,
    ) -> Result<(), ArchiveError> {
        let id = message.summary.id;
        let bad = |why: String| Err(ArchiveError::Refused(why));
        let own = self.own_text(message).await?;
        if !appears_verbatim(excerpt, &own) {
            let quoted = casebook_policy::praise::stands_in(excerpt, &message.body);
            return bad(if quoted {
                format!(
                    "the excerpt stands in message {} only in what the customer quotes, forwards or signs with, not in their own words; quote what they wrote themselves",
                    id.0
                )
            } else {
                format!(
                    "the excerpt does not appear word for word in message {}; copy it exactly, whole words (line breaks and quote marks do not matter), or mark it --edited, which marketing will see",
                    id.0
                )
            });
        }
        if let Some(thread) = message.summary.thread_id {
            let ours: Vec<MessageId> = self
                .store
                .thread(thread)
                .await?
                .into_iter()
                .filter(|m| m.direction == Direction::Outbound && m.id != id)
                .map(|m| m.id)
                .collect();
            for (summary, body) in self.store.summaries_with_bodies(&ours).await? {
                let earlier = match (summary.date, message.summary.date) {
                    (Some(ours), Some(theirs)) => ours <= theirs,
                    _ => true,
                };
                if earlier && casebook_policy::praise::stands_in(excerpt, &body) {
                    return bad(format!(
                        "the excerpt is our own words: it stands in our message {} of the same thread; quote what the customer wrote",
                        summary.id.0
                    ));
                }
            }
        }
        Ok(())
    }

    /// Everything recorded in the audit log, oldest first.
    pub async fn audit_log(&self) -> Result<Vec<AuditEntry>, ArchiveError> {
        Ok(self.store.audit_log().await?)
    }

    /// The topic of a message: its thread's first subject.
    async fn topic_of(&self, m: &MessageSummary) -> Result<String, ArchiveError> {
        let first = match m.thread_id {
            Some(t) => self.store.thread(t).await?.into_iter().next(),
            None => None,
        };
        Ok(first.map_or_else(|| m.subject.clone(), |f| f.subject))
    }
}

/// Testimonials, one feature's handle on the archive
/// (`archive.testimonials()`): praise suggested for review, decisions
/// (approve with consent, reject, revoke), and what marketing may publish.
pub struct Testimonials<'a> {
    archive: &'a Archive,
}

impl Archive {
    /// This archive's [`Testimonials`].
    pub fn testimonials(&self) -> Testimonials<'_> {
        Testimonials { archive: self }
    }
}

impl Testimonials<'_> {
    /// Inbound messages that praise us and no one has decided on, best
    /// first.
    pub async fn suggest(&self) -> Result<Vec<Suggestion>, ArchiveError> {
        let decided: HashSet<MessageId> = self
            .archive
            .store
            .testimonials()
            .await?
            .into_iter()
            .map(|t| t.message)
            .collect();
        let mut out = Vec::new();
        self.archive
            .each_with_body(
                |m| m.direction == Direction::Inbound && !decided.contains(&m.id),
                |summary, body| {
                    let answered_before = summary.thread_id.is_some_and(|t| t.0 != summary.id.0);
                    if let Some(found) = assess(&body, answered_before) {
                        out.push(Suggestion {
                            message: summary,
                            score: found.score,
                            quotes: found.quotes,
                            permission: found.permission,
                        });
                    }
                },
            )
            .await?;
        // Mail without a known sender can be no one's testimonial, and
        // HTML-only mail is assessed on what its author wrote above the
        // quoted part (its stored text keeps the quote, unmarked).
        let mut kept = Vec::with_capacity(out.len());
        for mut s in out {
            if s.message.correspondent.is_none() {
                continue;
            }
            if let Some(m) = self.archive.store.message(s.message.id).await? {
                if m.html_only {
                    let answered_before =
                        s.message.thread_id.is_some_and(|t| t.0 != s.message.id.0);
                    let Some(found) = assess(&self.archive.own_text(&m).await?, answered_before)
                    else {
                        continue;
                    };
                    (s.score, s.quotes, s.permission) =
                        (found.score, found.quotes, found.permission);
                }
            }
            kept.push(s);
        }
        kept.sort_by(|a, b| b.score.cmp(&a.score).then(b.message.id.cmp(&a.message.id)));
        Ok(kept)
    }

    /// Approves an excerpt of a customer's message as a testimonial. The
    /// excerpt must stand in the message word for word unless marked
    /// edited; consent must be on record (a message of the same customer,
    /// or a note). Tags the message `testimonial`.
    pub async fn approve(&self, a: &Approval) -> Result<i64, ArchiveError> {
        let bad = |why: String| ArchiveError::Refused(why);
        let message = self
            .archive
            .store
            .message(a.message)
            .await?
            .ok_or_else(|| bad(format!("there is no message {}", a.message.0)))?;
        if message.summary.direction != Direction::Inbound {
            return Err(bad(format!(
                "message {} is not a customer's message; only what customers wrote can be quoted",
                a.message.0
            )));
        }
        let Some(customer) = &message.summary.correspondent else {
            return Err(bad(format!(
                "message {} has no known sender, so nobody can say whose words they are or whether they agreed; `casebook show {}` shows its From header",
                a.message.0, a.message.0
            )));
        };
        let privacy = self.archive.privacy().of(customer).await?;
        if !privacy.allows_testimonials() {
            return Err(bad(format!(
                "the customer who wrote message {} opted out of marketing, so their words cannot be used; `casebook privacy show {customer}` shows when",
                a.message.0
            )));
        }
        if a.attribution.trim().is_empty() {
            return Err(bad(
                "the attribution is empty: give a name and company, or an anonymous one such as \"A customer in telecoms\"".into(),
            ));
        }
        if a.excerpt.trim().is_empty() {
            return Err(bad("the excerpt is empty".into()));
        }
        if !a.edited {
            self.archive.check_verbatim(&a.excerpt, &message).await?;
        }
        match &a.consent {
            Consent::Note(note) if note.trim().is_empty() => {
                return Err(bad(
                    "the consent note is empty: say how the customer agreed".into(),
                ))
            }
            Consent::Note(_) => {}
            Consent::Message(id) => {
                let consent = self
                    .archive
                    .store
                    .message(*id)
                    .await?
                    .ok_or_else(|| bad(format!("there is no consent message {}", id.0)))?;
                let same_person = match &consent.summary.correspondent {
                    Some(c) => privacy.addresses.iter().any(|a| a == c),
                    None => false,
                };
                if consent.summary.direction != Direction::Inbound || !same_person {
                    return Err(bad(format!(
                        "message {} is not from the customer who wrote message {}, so it cannot be their consent",
                        id.0, a.message.0
                    )));
                }
            }
        }
        let topic = self.archive.topic_of(&message.summary).await?;
        let (consent_message, consent_note) = match &a.consent {
            Consent::Message(id) => (Some(*id), None),
            Consent::Note(n) => (None, Some(n.trim().to_owned())),
        };
        let record = NewTestimonial {
            message: a.message,
            excerpt: a.excerpt.trim().to_owned(),
            attribution: a.attribution.trim().to_owned(),
            edited: a.edited,
            consent_message,
            consent_note,
            topic,
            state: TestimonialState::Approved,
            reason: None,
            decided_by: a.actor.clone(),
            decided_at: now(),
            expires_at: a.expires_at,
        };
        let audit = about(
            entry(
                &a.actor,
                "approve",
                AuditSubject::Message(a.message),
                serde_json::json!({
                    "message": a.message.0,
                    "excerpt": record.excerpt,
                    "attribution": record.attribution,
                    "edited": a.edited,
                    "consent_message": consent_message.map(|m| m.0),
                    "consent_note": record.consent_note,
                    "expires_at": a.expires_at,
                }),
            ),
            [customer.as_str()],
        );
        let id = self.archive.store.add_testimonial(&record, &audit).await?;
        self.archive.tag(a.message, TESTIMONIAL_TAG, None).await?;
        Ok(id)
    }

    /// Rejects a suggestion, so it is not suggested again.
    pub async fn reject(
        &self,
        message: MessageId,
        reason: &str,
        actor: &str,
    ) -> Result<i64, ArchiveError> {
        let summary = self
            .archive
            .store
            .message(message)
            .await?
            .ok_or_else(|| ArchiveError::NotFound(format!("there is no message {}", message.0)))?
            .summary;
        let record = NewTestimonial {
            message,
            excerpt: String::new(),
            attribution: String::new(),
            edited: false,
            consent_message: None,
            consent_note: None,
            topic: self.archive.topic_of(&summary).await?,
            state: TestimonialState::Rejected,
            reason: Some(reason.to_owned()),
            decided_by: actor.to_owned(),
            decided_at: now(),
            expires_at: None,
        };
        let audit = about(
            entry(
                actor,
                "reject",
                AuditSubject::Message(message),
                serde_json::json!({ "message": message.0, "reason": reason }),
            ),
            summary.correspondent.as_deref(),
        );
        Ok(self.archive.store.add_testimonial(&record, &audit).await?)
    }

    /// Revokes an approved testimonial (the customer withdrew consent, …):
    /// it leaves every list and export at once.
    pub async fn revoke(&self, id: i64, reason: &str, actor: &str) -> Result<(), ArchiveError> {
        if reason.trim().is_empty() {
            return Err(ArchiveError::Refused(
                "say why it is revoked (--reason), e.g. \"the customer withdrew consent\"".into(),
            ));
        }
        let decisions = self.archive.store.testimonials().await?;
        let customer = decisions
            .iter()
            .find(|t| t.id == id)
            .and_then(|t| t.customer.as_deref());
        let audit = about(
            entry(
                actor,
                "revoke",
                AuditSubject::Testimonial(id),
                serde_json::json!({ "reason": reason }),
            ),
            customer,
        );
        if !self
            .archive
            .store
            .change_testimonial(id, TestimonialState::Revoked, reason, &audit)
            .await?
        {
            return Err(ArchiveError::NotFound(format!(
                "there is no approved testimonial {id}; `casebook testimonial list --status all` lists them"
            )));
        }
        // The message keeps its tag while another approved testimonial of
        // it remains.
        if let Some(message) = decisions.iter().find(|t| t.id == id).map(|t| t.message) {
            let still_approved = decisions.iter().any(|t| {
                t.id != id && t.message == message && t.state == TestimonialState::Approved
            });
            if !still_approved {
                self.archive.untag(message, TESTIMONIAL_TAG).await?;
            }
        }
        Ok(())
    }

    /// Testimonials with their effective state, newest decision first.
    pub async fn list(
        &self,
        filter: TestimonialFilter,
    ) -> Result<Vec<TestimonialView>, ArchiveError> {
        let now = now();
        Ok(self
            .archive
            .store
            .testimonials()
            .await?
            .into_iter()
            .map(|record| TestimonialView {
                expired: record.state == TestimonialState::Approved
                    && record.expires_at.is_some_and(|e| e <= now),
                record,
            })
            .filter(|v| match filter {
                TestimonialFilter::All => true,
                TestimonialFilter::Usable => {
                    v.record.state == TestimonialState::Approved && !v.expired
                }
                TestimonialFilter::Expired => v.expired,
                TestimonialFilter::Rejected => v.record.state == TestimonialState::Rejected,
                TestimonialFilter::Revoked => v.record.state == TestimonialState::Revoked,
            })
            .collect())
    }

    /// What marketing may use: approved, unexpired, unrevoked — and of
    /// each only the excerpt, attribution, date, topic and edited flag.
    pub async fn published(&self) -> Result<Vec<PublishedTestimonial>, ArchiveError> {
        let mut out = Vec::new();
        for v in self.list(TestimonialFilter::Usable).await? {
            // Revocation follows an opt-out at once; this check also holds
            // if a process stopped between the two, or the customer's
            // opt-out was made under another address of theirs.
            if let Some(customer) = &v.record.customer {
                if !self
                    .archive
                    .privacy()
                    .of(customer)
                    .await?
                    .allows_testimonials()
                {
                    continue;
                }
            }
            out.push(PublishedTestimonial {
                id: v.record.id,
                excerpt: v.record.excerpt,
                attribution: v.record.attribution,
                date: v
                    .record
                    .message_date
                    .and_then(|d| OffsetDateTime::from_unix_timestamp(d).ok()),
                topic: v.record.topic,
                edited: v.record.edited,
            });
        }
        Ok(out)
    }

    /// [`Testimonials::published`], recorded in the audit log as an
    /// export by `actor` in `format`.
    pub async fn export(
        &self,
        actor: &str,
        format: &str,
    ) -> Result<Vec<PublishedTestimonial>, ArchiveError> {
        self.export_chosen(actor, format, |list| list).await
    }

    /// [`Testimonials::export`] of those `choose` keeps of what may be
    /// used; the audit entry names exactly those exported.
    pub async fn export_chosen(
        &self,
        actor: &str,
        format: &str,
        choose: impl FnOnce(Vec<PublishedTestimonial>) -> Vec<PublishedTestimonial>,
    ) -> Result<Vec<PublishedTestimonial>, ArchiveError> {
        let list = choose(self.published().await?);
        let ids: Vec<i64> = list.iter().map(|t| t.id).collect();
        self.archive
            .store
            .record_audit(&entry(
                actor,
                "export",
                AuditSubject::Testimonials,
                serde_json::json!({ "format": format, "testimonials": ids }),
            ))
            .await?;
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::last_second_of;

    #[test]
    fn a_usable_until_day_ends_at_its_last_second_utc() {
        assert_eq!(last_second_of("2027-12-31"), Some(1_830_297_599));
        assert_eq!(last_second_of(" 2027-12-31 "), Some(1_830_297_599));
        assert_eq!(last_second_of("31.12.2027"), None);
        assert_eq!(last_second_of("2027-02-30"), None);
    }
}

//! The privacy policy's promises about a person's choices: no marketing
//! unless they opted in, an unsubscribe honoured everywhere (their
//! testimonials are revoked), no disclosure to partners once they objected,
//! and mail asking for either flagged for an agent to confirm.

use crate::audit::{about, entry, now};
use crate::{Archive, ArchiveError};
use casebook_mail::EmailAddress;
use casebook_policy::privacy_request::{detect, RequestKind};
use casebook_store::AuditSubject;
use casebook_store::{
    MarketingChoice, MessageSummary, PartnerChoice, PreferenceChange, PreferenceRecord,
    RequestDecision, Stated, TestimonialState,
};
use casebook_vocabulary::{Direction, MessageId};
use std::collections::HashSet;

/// A change to a person's choices; `None` leaves a choice as it was.
#[derive(Debug, Clone)]
pub struct PrivacyUpdate {
    pub marketing: Option<MarketingChoice>,
    pub partners: Option<PartnerChoice>,
    /// The evidence: "message 42", "phone call, 3 May".
    pub source: String,
    /// Who records it.
    pub actor: String,
}

/// What recording a change did besides recording it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrivacyOutcome {
    /// Testimonials revoked because the person opted out of marketing.
    pub revoked: Vec<i64>,
}

/// A person's choices as they stand: the latest statement of each across
/// their addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonPrivacy {
    pub addresses: Vec<String>,
    pub marketing: Option<Stated<MarketingChoice>>,
    pub partners: Option<Stated<PartnerChoice>>,
}

impl PersonPrivacy {
    /// Marketing unrelated to what they wrote about needs an opt-in.
    pub fn may_receive_marketing(&self) -> bool {
        self.marketing
            .as_ref()
            .is_some_and(|m| m.value == MarketingChoice::OptIn)
    }

    /// Data may go to partners unless the person objected.
    pub fn may_go_to_partners(&self) -> bool {
        self.partners
            .as_ref()
            .is_none_or(|p| p.value == PartnerChoice::Allow)
    }

    /// Testimonials need a person who has not opted out of marketing.
    pub fn allows_testimonials(&self) -> bool {
        !self
            .marketing
            .as_ref()
            .is_some_and(|m| m.value == MarketingChoice::OptOut)
    }
}

/// An inbound message that seems to ask to unsubscribe or to stop sharing,
/// waiting for an agent.
#[derive(Debug, Clone)]
pub struct PrivacyRequest {
    pub message: MessageSummary,
    pub kinds: Vec<RequestKind>,
}

/// Normalises an address typed by a person; the error names it.
pub(crate) fn address_arg(raw: &str) -> Result<EmailAddress, ArchiveError> {
    EmailAddress::parse(raw).ok_or_else(|| {
        ArchiveError::Refused(format!(
            "{raw:?} is not an e-mail address; give one such as ann@example.com"
        ))
    })
}

fn latest<T: Clone>(
    records: &[PreferenceRecord],
    field: impl Fn(&PreferenceRecord) -> &Option<Stated<T>>,
) -> Option<Stated<T>> {
    records
        .iter()
        .filter_map(|r| field(r).as_ref())
        .max_by_key(|s| s.at)
        .cloned()
}

impl Archive {
    /// The addresses of the person `address` belongs to.
    pub(crate) async fn person_addresses(
        &self,
        address: &EmailAddress,
    ) -> Result<Vec<String>, ArchiveError> {
        Ok(self.store.person_addresses(address.as_str()).await?)
    }

    async fn revoke_testimonials_of(
        &self,
        address: &EmailAddress,
        actor: &str,
        source: &str,
    ) -> Result<Vec<i64>, ArchiveError> {
        let addresses: HashSet<String> =
            self.person_addresses(address).await?.into_iter().collect();
        let theirs: Vec<i64> = self
            .store
            .testimonials()
            .await?
            .into_iter()
            .filter(|t| {
                t.state == TestimonialState::Approved
                    && t.customer.as_ref().is_some_and(|c| addresses.contains(c))
            })
            .map(|t| t.id)
            .collect();
        for id in &theirs {
            self.testimonials()
                .revoke(
                    *id,
                    &format!("the customer opted out of marketing ({source})"),
                    actor,
                )
                .await?;
        }
        Ok(theirs)
    }

    async fn decide(
        &self,
        message: MessageId,
        decision: RequestDecision,
        actor: &str,
    ) -> Result<(), ArchiveError> {
        let sender = self
            .store
            .message(message)
            .await?
            .and_then(|m| m.summary.correspondent);
        let audit = about(
            entry(
                actor,
                &format!("privacy-request-{}", decision.as_str()),
                AuditSubject::Message(message),
                serde_json::json!({}),
            ),
            sender.as_deref(),
        );
        if !self
            .store
            .decide_request(message, decision, actor, now(), &audit)
            .await?
        {
            return Err(ArchiveError::Conflict(format!(
                "the request in message {} was already decided; `casebook audit` shows by whom",
                message.0
            )));
        }
        Ok(())
    }

    /// The sender and what a flagged message asks for.
    async fn flagged(&self, id: MessageId) -> Result<(String, Vec<RequestKind>), ArchiveError> {
        let message = self.store.message(id).await?.ok_or_else(|| {
            ArchiveError::NotFound(format!(
                "there is no message {}; `casebook privacy requests` lists flagged ones",
                id.0
            ))
        })?;
        let kinds = detect(&message.body);
        match message.summary.correspondent {
            Some(sender) if message.summary.direction == Direction::Inbound && !kinds.is_empty() => {
                Ok((sender, kinds))
            }
            _ => Err(ArchiveError::Refused(format!(
                "message {} does not ask to unsubscribe or to stop sharing; record a choice with `casebook privacy set EMAIL`",
                id.0
            ))),
        }
    }
}

/// Privacy, one feature's handle on the archive (`archive.privacy()`):
/// each person's choices (marketing, partners) and the requests that ask
/// to change them, erasure, retention and legal holds, and a person's own
/// copy of what is held on them.
pub struct Privacy<'a> {
    pub(crate) archive: &'a Archive,
}

impl Archive {
    /// This archive's [`Privacy`].
    pub fn privacy(&self) -> Privacy<'_> {
        Privacy { archive: self }
    }
}

impl Privacy<'_> {
    /// A person's choices as they stand.
    pub async fn of(&self, address: &str) -> Result<PersonPrivacy, ArchiveError> {
        let address = address_arg(address)?;
        let addresses = self.archive.person_addresses(&address).await?;
        let records = self.archive.store.preferences_of(&addresses).await?;
        Ok(PersonPrivacy {
            marketing: latest(&records, |r| &r.marketing),
            partners: latest(&records, |r| &r.partners),
            addresses,
        })
    }

    /// Every address with a recorded choice.
    pub async fn preferences(&self) -> Result<Vec<PreferenceRecord>, ArchiveError> {
        Ok(self.archive.store.all_preferences().await?)
    }

    /// Records a person's choice, audited. An opt-out of marketing revokes
    /// every approved testimonial of theirs.
    pub async fn set(
        &self,
        address: &str,
        update: &PrivacyUpdate,
    ) -> Result<PrivacyOutcome, ArchiveError> {
        let address = address_arg(address)?;
        if update.marketing.is_none() && update.partners.is_none() {
            return Err(ArchiveError::Refused(
                "nothing to record: say --marketing opt-in|opt-out and/or --partners allow|deny"
                    .into(),
            ));
        }
        if update.source.trim().is_empty() {
            return Err(ArchiveError::Refused(
                "say where this comes from (--source): a message id such as \"message 42\", or a note such as \"phone call, 3 May\"".into(),
            ));
        }
        let change = PreferenceChange {
            address: address.as_str().to_owned(),
            marketing: update.marketing,
            partners: update.partners,
            at: now(),
            by: update.actor.clone(),
            source: update.source.trim().to_owned(),
        };
        let audit = entry(
            &update.actor,
            "privacy-set",
            AuditSubject::Person(address.as_str()),
            serde_json::json!({
                "marketing": update.marketing.map(MarketingChoice::as_str),
                "partners": update.partners.map(PartnerChoice::as_str),
                "source": change.source,
            }),
        );
        self.archive.store.set_preferences(&change, &audit).await?;
        let mut outcome = PrivacyOutcome::default();
        if update.marketing == Some(MarketingChoice::OptOut) {
            outcome.revoked = self
                .archive
                .revoke_testimonials_of(&address, &update.actor, &change.source)
                .await?;
        }
        Ok(outcome)
    }

    /// Inbound messages asking to unsubscribe or to stop sharing that no
    /// agent has decided on, newest first.
    pub async fn requests(&self) -> Result<Vec<PrivacyRequest>, ArchiveError> {
        let decided: HashSet<MessageId> = self
            .archive
            .store
            .decided_requests()
            .await?
            .into_iter()
            .collect();
        let mut out = Vec::new();
        self.archive
            .each_with_body(
                |m| m.direction == Direction::Inbound && !decided.contains(&m.id),
                |message, body| {
                    let kinds = detect(&body);
                    if !kinds.is_empty() {
                        out.push(PrivacyRequest { message, kinds });
                    }
                },
            )
            .await?;
        out.sort_by_key(|r| std::cmp::Reverse(r.message.id));
        Ok(out)
    }

    /// Confirms a flagged request in one step: records what it asks for
    /// from its sender, with the message as the source.
    pub async fn confirm_request(
        &self,
        message: MessageId,
        actor: &str,
    ) -> Result<PrivacyOutcome, ArchiveError> {
        let (sender, kinds) = self.archive.flagged(message).await?;
        let update = PrivacyUpdate {
            marketing: kinds
                .contains(&RequestKind::Unsubscribe)
                .then_some(MarketingChoice::OptOut),
            partners: kinds
                .contains(&RequestKind::StopSharing)
                .then_some(PartnerChoice::Deny),
            source: format!("message {}", message.0),
            actor: actor.to_owned(),
        };
        let outcome = self.archive.privacy().set(&sender, &update).await?;
        self.archive
            .decide(message, RequestDecision::Confirmed, actor)
            .await?;
        Ok(outcome)
    }

    /// Marks a flagged message as not a request after all.
    pub async fn dismiss_request(
        &self,
        message: MessageId,
        actor: &str,
    ) -> Result<(), ArchiveError> {
        self.archive.flagged(message).await?;
        self.archive
            .decide(message, RequestDecision::Dismissed, actor)
            .await
    }
}

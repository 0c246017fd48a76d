//! A person's right to see what is held on them: everything about every
//! address of theirs, written to a folder with a README saying what each
//! file is. Nothing about anyone else.

use crate::audit::entry;
use crate::privacy::address_arg;
use crate::{Archive, ArchiveError};
use casebook_store::AuditSubject;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use time::format_description::well_known::Rfc3339;

/// What an access export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessReport {
    pub addresses: Vec<String>,
    pub dir: PathBuf,
    /// Their messages and our replies to them.
    pub messages: u64,
    pub files: Vec<String>,
}

const README: &str = "What Casebook holds on you
==========================

This folder holds everything the support archive keeps about the addresses
listed in person.json, as of the time written there.

person.json        your addresses and your choices: marketing (opt-in or
                   opt-out) and disclosure to our business partners (allowed
                   or objected to), each with when, by whom and on what
                   evidence it was recorded; corrections you asked for.
messages/ID.eml    each message you sent us and each reply we sent you,
                   byte for byte as it was received or sent.
messages/ID.json   the same message as the archive reads it: date, sender,
                   recipients, subject, text, attachments, its thread and
                   the reply it was paired with.
customer-lists.json  the records of our and our partners' customer or
                   subscription lists your address matched, and how (the
                   same address, or the domain of your company).
testimonials.json  words of yours we decided to quote (or not), with the
                   consent on record and whether the decision still stands.
audit.json         every recorded action about you: choices recorded,
                   testimonial decisions, merges of your addresses, exports.
";

fn when(at: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|d| d.format(&Rfc3339).ok())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), ArchiveError> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).map_err(|source| ArchiveError::File {
        action: "write",
        path,
        source,
    })
}

fn json_bytes(v: &impl serde::Serialize) -> Vec<u8> {
    let mut text = serde_json::to_string_pretty(v).unwrap_or_default();
    text.push('\n');
    text.into_bytes()
}

impl Archive {
    /// Writes everything held on the person `email` (every address merged
    /// with it) into `out`, which must not exist or be empty. Audited.
    pub async fn export_person(
        &self,
        email: &str,
        out: &Path,
        actor: &str,
    ) -> Result<AccessReport, ArchiveError> {
        let address = address_arg(email)?;
        if std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_some()) {
            return Err(ArchiveError::Refused(format!(
                "{} is not empty; give a new folder for the export",
                out.display()
            )));
        }
        let messages_dir = out.join("messages");
        std::fs::create_dir_all(&messages_dir).map_err(|source| ArchiveError::File {
            action: "create",
            path: messages_dir.clone(),
            source,
        })?;
        let addresses = self.store.person_addresses(address.as_str()).await?;
        let mut files = vec!["README.txt".to_owned(), "person.json".to_owned()];
        write(out, "README.txt", README.as_bytes())?;

        let privacy = self.privacy_of(address.as_str()).await?;
        let corrections = self.corrections_of(address.as_str()).await?;
        let stated = |s: Option<(&str, i64, &str, &str)>| match s {
            None => serde_json::Value::Null,
            Some((value, at, by, source)) => serde_json::json!({
                "value": value, "at": when(at), "by": by, "source": source,
            }),
        };
        write(
            out,
            "person.json",
            &json_bytes(&serde_json::json!({
                "addresses": addresses,
                "written_at": when(crate::audit::now()),
                "marketing": stated(privacy.marketing.as_ref().map(|m| (m.value.as_str(), m.at, m.by.as_str(), m.source.as_str()))),
                "partners": stated(privacy.partners.as_ref().map(|p| (p.value.as_str(), p.at, p.by.as_str(), p.source.as_str()))),
                "corrections": corrections.iter().map(|c| serde_json::json!({
                    "address": c.address, "field": c.field, "value": c.value,
                    "by": c.corrected_by, "at": when(c.corrected_at),
                })).collect::<Vec<_>>(),
            })),
        )?;

        // Their conversations, and mail where a header field names them.
        let (ids, _, _) = self.person_mail(&addresses).await?;
        for id in &ids {
            let (Some(m), Some(raw)) = (self.store.message(*id).await?, self.store.raw(*id).await?)
            else {
                continue;
            };
            write(&messages_dir, &format!("{}.eml", id.0), &raw)?;
            write(
                &messages_dir,
                &format!("{}.json", id.0),
                &json_bytes(&crate::view::MessageView::from(&m)),
            )?;
            files.push(format!("messages/{}.eml", id.0));
            files.push(format!("messages/{}.json", id.0));
        }

        let matches = self.customer_matches_of(address.as_str()).await?;
        write(
            out,
            "customer-lists.json",
            &json_bytes(&serde_json::Value::Array(
                matches
                    .iter()
                    .map(|m| {
                        serde_json::json!({
                            "address": m.correspondent,
                            "how": m.kind.as_str(),
                            "list": m.record.list,
                            "partner": m.record.partner,
                            "record": serde_json::from_str::<serde_json::Value>(&m.record.fields)
                                .unwrap_or(serde_json::Value::Null),
                        })
                    })
                    .collect(),
            )),
        )?;
        files.push("customer-lists.json".into());

        let theirs: HashSet<&str> = addresses.iter().map(String::as_str).collect();
        let testimonials: Vec<_> = self
            .store
            .testimonials()
            .await?
            .into_iter()
            .filter(|t| t.customer.as_deref().is_some_and(|c| theirs.contains(c)))
            .collect();
        write(
            out,
            "testimonials.json",
            &json_bytes(&serde_json::Value::Array(
                testimonials
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "id": t.id, "message": t.message.0, "excerpt": t.excerpt,
                            "attribution": t.attribution, "edited": t.edited,
                            "consent_message": t.consent_message.map(|m| m.0),
                            "consent_note": t.consent_note, "state": t.state.as_str(),
                            "reason": t.reason, "decided_by": t.decided_by,
                            "decided_at": when(t.decided_at), "expires_at": t.expires_at.and_then(when),
                        })
                    })
                    .collect(),
            )),
        )?;
        files.push("testimonials.json".into());

        // Entries about them by identity, never by an address in the text.
        let mut subjects: Vec<String> = testimonials
            .iter()
            .map(|t| AuditSubject::Testimonial(t.id).to_string())
            .collect();
        subjects.extend(ids.iter().map(|m| AuditSubject::Message(*m).to_string()));
        let about: Vec<serde_json::Value> = self
            .store
            .audit_about(&addresses, &subjects)
            .await?
            .into_iter()
            .map(|e| {
                serde_json::json!({
                    "at": when(e.at), "actor": e.actor, "action": e.action, "subject": e.subject,
                    "detail": serde_json::from_str::<serde_json::Value>(&e.detail).unwrap_or(serde_json::Value::Null),
                })
            })
            .collect();
        write(
            out,
            "audit.json",
            &json_bytes(&serde_json::Value::Array(about)),
        )?;
        files.push("audit.json".into());

        self.store
            .record_audit(&entry(
                actor,
                "privacy-export",
                AuditSubject::Person(address.as_str()),
                serde_json::json!({ "messages": ids.len(), "files": files.len() }),
            ))
            .await?;
        Ok(AccessReport {
            addresses,
            dir: out.to_owned(),
            messages: ids.len() as u64,
            files,
        })
    }
}

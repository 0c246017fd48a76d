//! A person's right to see what is held on them: everything about every
//! address of theirs, written to a folder with a README saying what each
//! file is. Nothing about anyone else.

use crate::audit::entry;
use crate::privacy::address_arg;
use crate::privacy::Privacy;
use crate::view::rfc3339_secs as when;
use crate::{Archive, ArchiveError};
use casebook_store::AuditSubject;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

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

/// The export folder being written, and the files written to it so far.
struct ExportDir {
    root: PathBuf,
    files: Vec<String>,
}

impl ExportDir {
    /// Writes `name` (a path under the folder) and lists it.
    async fn put(&mut self, name: String, bytes: &[u8]) -> Result<(), ArchiveError> {
        let path = self.root.join(&name);
        tokio::fs::write(&path, bytes)
            .await
            .map_err(|source| ArchiveError::File {
                action: "write",
                path,
                source,
            })?;
        self.files.push(name);
        Ok(())
    }

    async fn put_json(
        &mut self,
        name: &str,
        v: &(impl serde::Serialize + Sync),
    ) -> Result<(), ArchiveError> {
        let mut text = serde_json::to_string_pretty(v).map_err(|e| ArchiveError::File {
            action: "write",
            path: self.root.join(name),
            source: std::io::Error::other(e),
        })?;
        text.push('\n');
        self.put(name.to_owned(), text.as_bytes()).await
    }
}

impl Archive {
    /// person.json: their addresses, choices and corrections.
    async fn export_person_choices(
        &self,
        dir: &mut ExportDir,
        address: &str,
        addresses: &[String],
    ) -> Result<(), ArchiveError> {
        let privacy = self.privacy().of(address).await?;
        let corrections = self.customers().corrections_of(address).await?;
        let stated = |s: Option<(&str, i64, &str, &str)>| match s {
            None => serde_json::Value::Null,
            Some((value, at, by, source)) => serde_json::json!({
                "value": value, "at": when(at), "by": by, "source": source,
            }),
        };
        dir.put_json(
            "person.json",
            &serde_json::json!({
                "addresses": addresses,
                "written_at": when(crate::audit::now()),
                "marketing": stated(privacy.marketing.as_ref().map(|m| (m.value.as_str(), m.at, m.by.as_str(), m.source.as_str()))),
                "partners": stated(privacy.partners.as_ref().map(|p| (p.value.as_str(), p.at, p.by.as_str(), p.source.as_str()))),
                "corrections": corrections.iter().map(|c| serde_json::json!({
                    "address": c.address, "field": c.field, "value": c.value,
                    "by": c.corrected_by, "at": when(c.corrected_at),
                })).collect::<Vec<_>>(),
            }),
        ).await
    }

    /// customer-lists.json: the list records their address matched.
    async fn export_person_lists(
        &self,
        dir: &mut ExportDir,
        address: &str,
    ) -> Result<(), ArchiveError> {
        let matches = self.customers().matches_of(address).await?;
        let records: Vec<serde_json::Value> = matches
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
            .collect();
        dir.put_json("customer-lists.json", &records).await
    }

    /// testimonials.json: decisions about quoting them; returns their ids.
    async fn export_person_testimonials(
        &self,
        dir: &mut ExportDir,
        addresses: &[String],
    ) -> Result<Vec<i64>, ArchiveError> {
        let theirs: HashSet<&str> = addresses.iter().map(String::as_str).collect();
        let testimonials: Vec<_> = self
            .store
            .testimonials()
            .await?
            .into_iter()
            .filter(|t| t.customer.as_deref().is_some_and(|c| theirs.contains(c)))
            .collect();
        let decisions: Vec<serde_json::Value> = testimonials
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
            .collect();
        dir.put_json("testimonials.json", &decisions).await?;
        Ok(testimonials.iter().map(|t| t.id).collect())
    }

    /// audit.json: entries about them, found by address or by `subjects`.
    async fn export_person_audit(
        &self,
        dir: &mut ExportDir,
        addresses: &[String],
        subjects: &[String],
    ) -> Result<(), ArchiveError> {
        let about: Vec<serde_json::Value> = self
            .store
            .audit_about(addresses, subjects)
            .await?
            .into_iter()
            .map(|e| {
                serde_json::json!({
                    "at": when(e.at), "actor": e.actor, "action": e.action, "subject": e.subject,
                    "detail": serde_json::from_str::<serde_json::Value>(&e.detail).unwrap_or(serde_json::Value::Null),
                })
            })
            .collect();
        dir.put_json("audit.json", &about).await
    }
}

impl Privacy<'_> {
    /// Writes everything held on the person `email` (every address merged
    /// with it) into `out`, which must not exist or be empty. Audited.
    pub async fn export(
        &self,
        email: &str,
        out: &Path,
        actor: &str,
    ) -> Result<AccessReport, ArchiveError> {
        let address = address_arg(email)?;
        let not_empty = match tokio::fs::read_dir(out).await {
            Ok(mut entries) => matches!(entries.next_entry().await, Ok(Some(_))),
            Err(_) => false,
        };
        if not_empty {
            return Err(ArchiveError::Refused(format!(
                "{} is not empty; give a new folder for the export",
                out.display()
            )));
        }
        let messages_dir = out.join("messages");
        tokio::fs::create_dir_all(&messages_dir)
            .await
            .map_err(|source| ArchiveError::File {
                action: "create",
                path: messages_dir.clone(),
                source,
            })?;
        let addresses = self
            .archive
            .store
            .person_addresses(address.as_str())
            .await?;
        let mut dir = ExportDir {
            root: out.to_owned(),
            files: Vec::new(),
        };
        dir.put("README.txt".into(), README.as_bytes()).await?;
        self.archive
            .export_person_choices(&mut dir, address.as_str(), &addresses)
            .await?;
        // Their conversations, and mail where a header field names them.
        let (ids, _, _) = self.archive.person_mail(&addresses).await?;
        for id in &ids {
            let (Some(m), Some(raw)) = (
                self.archive.store.message(*id).await?,
                self.archive.store.raw(*id).await?,
            ) else {
                continue;
            };
            dir.put(format!("messages/{}.eml", id.0), &raw).await?;
            dir.put_json(
                &format!("messages/{}.json", id.0),
                &crate::view::MessageView::from(&m),
            )
            .await?;
        }
        self.archive
            .export_person_lists(&mut dir, address.as_str())
            .await?;
        let testimonials = self
            .archive
            .export_person_testimonials(&mut dir, &addresses)
            .await?;
        // Entries about them by identity, never by an address in the text.
        let mut subjects: Vec<String> = testimonials
            .iter()
            .map(|t| AuditSubject::Testimonial(*t).to_string())
            .collect();
        subjects.extend(ids.iter().map(|m| AuditSubject::Message(*m).to_string()));
        self.archive
            .export_person_audit(&mut dir, &addresses, &subjects)
            .await?;

        self.archive
            .store
            .record_audit(&entry(
                actor,
                "privacy-export",
                AuditSubject::Person(address.as_str()),
                serde_json::json!({ "messages": ids.len(), "files": dir.files.len() }),
            ))
            .await?;
        Ok(AccessReport {
            addresses,
            dir: out.to_owned(),
            messages: ids.len() as u64,
            files: dir.files,
        })
    }
}

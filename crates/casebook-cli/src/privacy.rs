//! `casebook privacy …`: recording a person's choices, the requests found
//! in the mail, and what is shown of them.

use crate::args::{MarketingArg, PartnersArg, PrivacyAction};
use crate::cli_actor;
use crate::output::rfc3339 as when;
use anyhow::Result;
use casebook_archive::{
    Archive, Correction, ErasureReport, MarketingChoice, MessageId, PartnerChoice, PersonPrivacy,
    PreferenceRecord, PrivacyOutcome, PrivacyRequest, PrivacyUpdate, Stated,
};
use std::io::Write;

pub async fn run(archive: &Archive, action: PrivacyAction, out: &mut impl Write) -> Result<()> {
    match action {
        PrivacyAction::Set {
            email,
            marketing,
            partners,
            source,
        } => {
            let update = PrivacyUpdate {
                marketing: marketing.map(|m| match m {
                    MarketingArg::OptIn => MarketingChoice::OptIn,
                    MarketingArg::OptOut => MarketingChoice::OptOut,
                }),
                partners: partners.map(|p| match p {
                    PartnersArg::Allow => PartnerChoice::Allow,
                    PartnersArg::Deny => PartnerChoice::Deny,
                }),
                source,
                actor: cli_actor(),
            };
            let outcome = archive.privacy().set(&email, &update).await?;
            writeln!(out, "recorded for {}", email.trim())?;
            revoked(out, &outcome)?;
        }
        PrivacyAction::Show { email, json } => {
            let person = archive.privacy().of(&email).await?;
            let corrections = archive.customers().corrections_of(&email).await?;
            show(out, &person, &corrections, json)?;
        }
        PrivacyAction::List { json } => list(out, &archive.privacy().preferences().await?, json)?,
        PrivacyAction::Requests { json } => {
            requests(out, &archive.privacy().requests().await?, json)?;
        }
        PrivacyAction::Confirm { message } => {
            let outcome = archive
                .privacy()
                .confirm_request(MessageId(message), &cli_actor())
                .await?;
            writeln!(out, "confirmed the request in message {message}")?;
            revoked(out, &outcome)?;
        }
        PrivacyAction::Correct {
            email,
            name,
            not_on_list,
        } => {
            archive
                .customers()
                .correct(
                    &email,
                    name.as_deref(),
                    not_on_list.as_deref(),
                    &cli_actor(),
                )
                .await?;
            writeln!(out, "corrected for {}", email.trim())?;
        }
        PrivacyAction::Export { email, out: dir } => {
            let report = archive.privacy().export(&email, &dir, &cli_actor()).await?;
            writeln!(
                out,
                "wrote {} files ({} messages) about {} to {}",
                report.files.len(),
                report.messages,
                report.addresses.join(", "),
                report.dir.display()
            )?;
        }
        PrivacyAction::Erase { email, dry_run } => {
            let report = archive
                .privacy()
                .erase(&email, dry_run, &cli_actor())
                .await?;
            erasure(out, &report, "of")?;
            if !report.leftovers.is_empty() {
                let ids: Vec<String> = report.leftovers.iter().map(|m| m.0.to_string()).collect();
                anyhow::bail!(
                    "the erasure is incomplete: {} stored message{} still name {}: {}\n  \
                     `casebook show ID` shows one; `casebook remove ID` removes it",
                    ids.len(),
                    if ids.len() == 1 { "" } else { "s" },
                    report.addresses.join(", "),
                    ids.join(", ")
                );
            }
        }
        PrivacyAction::Dismiss { message } => {
            archive
                .privacy()
                .dismiss_request(MessageId(message), &cli_actor())
                .await?;
            writeln!(
                out,
                "dismissed message {message}: it is not listed as a request any more"
            )?;
        }
    }
    Ok(())
}

/// What an erasure or a retention run did, or would do.
pub fn erasure(out: &mut impl Write, r: &ErasureReport, what: &str) -> std::io::Result<()> {
    let whose = if r.addresses.is_empty() {
        String::new()
    } else {
        format!(" {what} {}", r.addresses.join(", "))
    };
    if r.dry_run {
        writeln!(out, "would erase {} messages{whose}", r.messages)?;
    } else {
        writeln!(out, "erased {} messages{whose}", r.messages)?;
    }
    if !r.addresses.is_empty() {
        writeln!(
            out,
            "found {} as their conversations (sender or correspondent), {} only named in a header (To, Cc, Reply-To, Sender)",
            r.by_correspondent, r.by_header_only
        )?;
    }
    if !r.held.is_empty() {
        let ids: Vec<String> = r.held.iter().map(|m| m.0.to_string()).collect();
        writeln!(
            out,
            "kept {} messages under a legal hold: {}",
            ids.len(),
            ids.join(", ")
        )?;
    }
    Ok(())
}

fn revoked(out: &mut impl Write, outcome: &PrivacyOutcome) -> std::io::Result<()> {
    if !outcome.revoked.is_empty() {
        let ids: Vec<String> = outcome.revoked.iter().map(i64::to_string).collect();
        writeln!(
            out,
            "revoked testimonial{} {} (opted out of marketing)",
            if ids.len() == 1 { "" } else { "s" },
            ids.join(", ")
        )?;
    }
    Ok(())
}

fn stated_json<T>(s: &Option<Stated<T>>, name: fn(&T) -> &'static str) -> serde_json::Value {
    match s {
        None => serde_json::Value::Null,
        Some(s) => serde_json::json!({
            "value": name(&s.value),
            "at": when(s.at),
            "by": s.by,
            "source": s.source,
        }),
    }
}

fn stated_text<T>(s: &Option<Stated<T>>, name: fn(&T) -> &'static str, unset: &str) -> String {
    match s {
        None => unset.to_owned(),
        Some(s) => format!(
            "{} (since {}, by {}, source: {})",
            name(&s.value),
            when(s.at),
            s.by,
            s.source
        ),
    }
}

fn marketing_name(m: &MarketingChoice) -> &'static str {
    m.as_str()
}

fn partner_name(p: &PartnerChoice) -> &'static str {
    p.as_str()
}

fn show(
    out: &mut impl Write,
    p: &PersonPrivacy,
    corrections: &[Correction],
    json: bool,
) -> std::io::Result<()> {
    if json {
        let v = serde_json::json!({
            "corrections": corrections.iter().map(|c| serde_json::json!({
                "address": c.address, "field": c.field, "value": c.value,
                "by": c.corrected_by, "at": when(c.corrected_at),
            })).collect::<Vec<_>>(),
            "addresses": p.addresses,
            "marketing": stated_json(&p.marketing, marketing_name),
            "partners": stated_json(&p.partners, partner_name),
            "may_receive_marketing": p.may_receive_marketing(),
            "may_go_to_partners": p.may_go_to_partners(),
        });
        return writeln!(out, "{v}");
    }
    writeln!(out, "addresses: {}", p.addresses.join(", "))?;
    writeln!(
        out,
        "marketing: {}",
        stated_text(
            &p.marketing,
            marketing_name,
            "not stated (no marketing without an opt-in)"
        )
    )?;
    for c in corrections {
        writeln!(
            out,
            "corrected: {} = {} (by {} at {})",
            c.field,
            c.value,
            c.corrected_by,
            when(c.corrected_at)
        )?;
    }
    writeln!(
        out,
        "partners:  {}",
        stated_text(
            &p.partners,
            partner_name,
            "not stated (may be disclosed until they object)"
        )
    )
}

fn list(out: &mut impl Write, records: &[PreferenceRecord], json: bool) -> std::io::Result<()> {
    if json {
        let v: Vec<_> = records
            .iter()
            .map(|r| {
                serde_json::json!({
                    "address": r.address,
                    "marketing": stated_json(&r.marketing, marketing_name),
                    "partners": stated_json(&r.partners, partner_name),
                })
            })
            .collect();
        return writeln!(out, "{}", serde_json::Value::Array(v));
    }
    for r in records {
        writeln!(
            out,
            "{}  marketing: {}  partners: {}",
            r.address,
            r.marketing.as_ref().map_or("-", |m| m.value.as_str()),
            r.partners.as_ref().map_or("-", |p| p.value.as_str()),
        )?;
    }
    Ok(())
}

fn requests(out: &mut impl Write, list: &[PrivacyRequest], json: bool) -> std::io::Result<()> {
    if json {
        let v: Vec<_> = list
            .iter()
            .map(|r| {
                serde_json::json!({
                    "message": r.message.id.0,
                    "from": r.message.correspondent,
                    "subject": r.message.subject,
                    "date": r.message.date.and_then(casebook_archive::view::rfc3339),
                    "asks": r.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
                })
            })
            .collect();
        return writeln!(out, "{}", serde_json::Value::Array(v));
    }
    if list.is_empty() {
        return writeln!(out, "no requests waiting");
    }
    for r in list {
        let asks: Vec<&str> = r.kinds.iter().map(|k| k.as_str()).collect();
        writeln!(
            out,
            "message {}  {}  asks: {}  {:?}",
            r.message.id.0,
            r.message.correspondent.as_deref().unwrap_or("-"),
            asks.join(", "),
            r.message.subject
        )?;
    }
    writeln!(
        out,
        "confirm with `casebook privacy confirm ID`, or `casebook privacy dismiss ID`"
    )
}

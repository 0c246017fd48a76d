//! How results look: plain text for people, JSON for scripts. The JSON
//! shapes are defined here, at the edge, not on the domain types.

use casebook_archive::view::{MessageLine, MessageView, SearchView};
use casebook_archive::{
    AuditEntry, CopyDifference, CopyReport, Direction, FolderRecord, FolderSync, ImportReport,
    MessageId, MessageSummary, PublishedTestimonial, SearchPage, Stats, StoreLocation,
    StoredMessage, Suggestion, TestimonialView, ThreadId, User, WatchEvent,
};
use serde::Serialize;
use std::io::{self, Write};
use time::format_description::well_known::Rfc3339;

fn date_text(m: &MessageSummary) -> String {
    m.date
        .and_then(|d| d.format(&Rfc3339).ok())
        .unwrap_or_else(|| "(no date)".to_owned())
}

fn day_text(m: &MessageSummary) -> String {
    m.date
        .map_or_else(|| "(no date)  ".to_owned(), |d| d.date().to_string())
}

/// `3h 05m`, `2d 4h`, `45s`.
pub fn duration_text(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h {:02}m", s / 3600, s / 60 % 60),
        s => format!("{}d {}h", s / 86_400, s / 3600 % 24),
    }
}

pub fn list_line(out: &mut impl Write, m: &MessageSummary, json: bool) -> io::Result<()> {
    if json {
        serde_json::to_writer(&mut *out, &MessageLine::from(m))?;
        writeln!(out)
    } else {
        writeln!(
            out,
            "{:>7}  {:>7}  {}  {:<9}  {:<32}  {}",
            m.id.0,
            m.thread_id
                .map_or_else(|| "-".to_owned(), |t| t.0.to_string()),
            day_text(m),
            m.direction.as_str(),
            m.correspondent.as_deref().unwrap_or("-"),
            m.subject
        )
    }
}

pub fn import_report(out: &mut impl Write, r: &ImportReport, json: bool) -> io::Result<()> {
    if json {
        #[derive(Serialize)]
        struct Failure<'a> {
            source: &'a str,
            reason: &'a str,
        }
        let failed: Vec<Failure<'_>> = r
            .failed
            .iter()
            .map(|f| Failure {
                source: &f.source,
                reason: &f.reason,
            })
            .collect();
        let v = serde_json::json!({
            "files": r.files, "read": r.read, "stored": r.stored, "copies": r.copies,
            "duplicates": r.duplicates, "erased": r.erased, "failed": failed,
            "healed": r.healed.iter().map(|m| m.0).collect::<Vec<_>>(),
        });
        serde_json::to_writer(&mut *out, &v)?;
        return writeln!(out);
    }
    for f in &r.failed {
        writeln!(out, "could not store {}: {}", f.source, f.reason)?;
    }
    writeln!(
        out,
        "{} files, {} messages read, stored {} new, {} copies of known messages, {} duplicates skipped, {} could not be stored",
        r.files,
        r.read,
        r.stored,
        r.copies,
        r.duplicates,
        r.failed.len()
    )?;
    if r.erased > 0 {
        writeln!(
            out,
            "{} messages of erased persons were not imported",
            r.erased
        )?;
    }
    if !r.healed.is_empty() {
        let ids: Vec<i64> = r.healed.iter().map(|m| m.0).collect();
        writeln!(
            out,
            "healed {} damaged message{} from their original bytes (same SHA-256, verified): {ids:?}",
            ids.len(),
            if ids.len() == 1 { "" } else { "s" }
        )?;
    }
    Ok(())
}

pub fn search(
    out: &mut impl Write,
    query: &str,
    page: &SearchPage,
    json: bool,
    terminal: bool,
) -> io::Result<()> {
    if json {
        serde_json::to_writer(&mut *out, &SearchView::new(query, page))?;
        return writeln!(out);
    }
    writeln!(out, "{} found in {} ms", page.total, page.took.as_millis())?;
    for h in &page.hits {
        let m = &h.summary;
        writeln!(
            out,
            "\n{:>7}  {}  {:<9}  {}  {}",
            m.id.0,
            day_text(m),
            m.direction.as_str(),
            m.correspondent.as_deref().unwrap_or("-"),
            m.subject
        )?;
        let (open, close) = if terminal {
            ("\x1b[1m", "\x1b[0m")
        } else {
            ("[", "]")
        };
        let mut text = String::new();
        let mut at = 0;
        for r in &h.snippet.highlights {
            text.push_str(&h.snippet.text[at..r.start]);
            text.push_str(open);
            text.push_str(&h.snippet.text[r.start..r.end]);
            text.push_str(close);
            at = r.end;
        }
        text.push_str(&h.snippet.text[at..]);
        writeln!(
            out,
            "         {}",
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        )?;
    }
    Ok(())
}

/// Who the correspondent of a shown message is.
pub struct Person<'a> {
    pub customer: &'a [casebook_archive::CustomerMatch],
    /// The name they asked to be known by.
    pub known_as: Option<&'a str>,
}

pub fn show(
    out: &mut impl Write,
    m: &StoredMessage,
    thread: &[MessageSummary],
    differences: &[(MessageId, CopyDifference)],
    person: &Person<'_>,
    tags: &[String],
    json: bool,
) -> io::Result<()> {
    let customer = person.customer;
    let s = &m.summary;
    let reply = s.reply_id.and_then(|r| thread.iter().find(|t| t.id == r));
    if json {
        /// The message, and what the archive knows around it.
        #[derive(Serialize)]
        struct ShowJson<'a> {
            #[serde(flatten)]
            message: MessageView<'a>,
            customer: Vec<serde_json::Value>,
            tags: &'a [String],
            known_as: Option<&'a str>,
            copy_of: Option<i64>,
            copies: Vec<serde_json::Value>,
            locations: Vec<serde_json::Value>,
            warnings: &'a [String],
            thread: Vec<MessageLine<'a>>,
        }
        let v = ShowJson {
            message: MessageView::from(m),
            customer: customer.iter().map(crate::customers::match_json).collect(),
            tags,
            known_as: person.known_as,
            copy_of: m.primary_id.map(|p| p.0),
            copies: differences
                .iter()
                .map(|(id, d)| {
                    serde_json::json!({
                        "id": id.0,
                        "only_in_this": d.only_in_first,
                        "only_in_copy": d.only_in_second,
                        "bodies_differ": d.bodies_differ,
                    })
                })
                .collect(),
            locations: m
                .locations
                .iter()
                .map(|(f, s)| serde_json::json!({"folder": f, "source": s}))
                .collect(),
            warnings: &m.warnings,
            thread: thread.iter().map(MessageLine::from).collect(),
        };
        serde_json::to_writer_pretty(&mut *out, &v)?;
        return writeln!(out);
    }
    writeln!(
        out,
        "Message {}  ({}, {} bytes, sha256 {})",
        s.id.0,
        s.direction.as_str(),
        m.size,
        m.sha256
    )?;
    if let Some(kind) = s.automated {
        writeln!(out, "Sent by a machine: {}", kind.as_str())?;
    }
    match (&s.from_address, &s.from_name) {
        (Some(a), Some(n)) => writeln!(out, "From:     {n} <{a}>")?,
        (Some(a), None) => writeln!(out, "From:     {a}")?,
        _ => writeln!(out, "From:     (none)")?,
    }
    for r in &m.recipients {
        let kind = format!("{:?}:", r.kind);
        match &r.name {
            Some(n) => writeln!(out, "{kind:<9} {n} <{}>", r.address)?,
            None => writeln!(out, "{kind:<9} {}", r.address)?,
        }
    }
    if let Some(name) = person.known_as {
        writeln!(out, "Known as: {name} (corrected at their request)")?;
    }
    for c in customer {
        writeln!(out, "Customer: {}", crate::customers::match_text(c))?;
    }
    writeln!(out, "Date:     {}", date_text(s))?;
    writeln!(out, "Subject:  {}", s.subject)?;
    if let Some(id) = &s.message_id {
        writeln!(out, "Message-ID: <{id}>")?;
    }
    if let Some(t) = s.thread_id {
        writeln!(out, "Thread:   {} ({} messages)", t.0, thread.len())?;
    }
    if s.direction == Direction::Inbound {
        match (reply, s.response_secs) {
            (Some(r), Some(secs)) => writeln!(
                out,
                "Answered: by message {} after {}",
                r.id.0,
                duration_text(secs)
            )?,
            (Some(r), None) => writeln!(out, "Answered: by message {}", r.id.0)?,
            _ => writeln!(out, "Answered: not yet")?,
        }
    }
    if let Some(p) = m.primary_id {
        writeln!(
            out,
            "Copy of:  message {} (same Message-ID, different bytes)",
            p.0
        )?;
    }
    for (id, d) in differences {
        writeln!(
            out,
            "Copy:     message {} has this Message-ID with other bytes:",
            id.0
        )?;
        for f in &d.only_in_first {
            writeln!(out, "            only in this one: {f}")?;
        }
        for f in &d.only_in_second {
            writeln!(out, "            only in {}: {f}", id.0)?;
        }
        if d.bodies_differ {
            writeln!(
                out,
                "            and the bodies differ (`casebook raw {}` shows it)",
                id.0
            )?;
        }
    }
    for a in &m.attachments {
        writeln!(
            out,
            "Attached: {} ({}, {} bytes, sha256 {})",
            a.name.as_deref().unwrap_or("(unnamed)"),
            a.content_type,
            a.size,
            a.sha256
        )?;
    }
    for (folder, source) in &m.locations {
        writeln!(out, "Seen in:  {folder}  {source}")?;
    }
    if !tags.is_empty() {
        writeln!(out, "Tags:     {}", tags.join(", "))?;
    }
    for w in &m.warnings {
        writeln!(out, "Warning:  {w}")?;
    }
    writeln!(out, "\n{}", m.body.trim_end())
}

pub fn thread(
    out: &mut impl Write,
    id: ThreadId,
    messages: &[MessageSummary],
    json: bool,
) -> io::Result<()> {
    if json {
        let entries: Vec<MessageLine<'_>> = messages.iter().map(MessageLine::from).collect();
        serde_json::to_writer_pretty(
            &mut *out,
            &serde_json::json!({ "thread_id": id.0, "messages": entries }),
        )?;
        return writeln!(out);
    }
    writeln!(out, "Thread {} — {} messages", id.0, messages.len())?;
    for m in messages {
        let who = match m.direction {
            Direction::Inbound => format!("customer {}", m.correspondent.as_deref().unwrap_or("?")),
            Direction::Outbound => format!("us ({})", m.from_address.as_deref().unwrap_or("?")),
            Direction::Automated => format!("machine {}", m.from_address.as_deref().unwrap_or("?")),
        };
        let answer = match (m.direction, m.reply_id, m.response_secs) {
            (Direction::Inbound, Some(r), Some(secs)) => {
                format!("  → answered by {} after {}", r.0, duration_text(secs))
            }
            (Direction::Inbound, Some(r), None) => format!("  → answered by {}", r.0),
            (Direction::Inbound, None, _) => "  → not answered".to_owned(),
            _ => String::new(),
        };
        writeln!(
            out,
            "{:>7}  {}  {who}: {}{answer}",
            m.id.0,
            date_text(m),
            m.subject
        )?;
    }
    Ok(())
}

pub fn aggregate(
    out: &mut impl Write,
    a: &casebook_archive::AggregateStats,
    json: bool,
) -> io::Result<()> {
    if json {
        let v = serde_json::json!({
            "k_anonymity": a.k,
            "suppressed_cells": a.suppressed,
            "cells": a.cells.iter().map(|c| serde_json::json!({
                "month": c.month, "topic": c.topic, "inbound": c.inbound, "outbound": c.outbound,
                "answered": c.answered, "answer_rate": c.answer_rate(),
                "median_response_secs": c.median_response_secs, "correspondents": c.correspondents,
            })).collect::<Vec<_>>(),
        });
        return writeln!(out, "{v}");
    }
    writeln!(
        out,
        "month    topic       inbound  outbound  answered  median response  people"
    )?;
    for c in &a.cells {
        writeln!(
            out,
            "{:<8} {:<11} {:>7}  {:>8}  {:>7}%  {:>15}  {:>6}",
            c.month,
            c.topic,
            c.inbound,
            c.outbound,
            c.answer_rate().map_or(0, |r| (r * 100.0).round() as u64),
            c.median_response_secs
                .map_or_else(|| "-".to_owned(), duration_text),
            c.correspondents
        )?;
    }
    writeln!(
        out,
        "{} cells of fewer than {} people not shown",
        a.suppressed, a.k
    )
}

pub fn stats(out: &mut impl Write, s: &Stats, json: bool) -> io::Result<()> {
    if json {
        let v = serde_json::json!({
            "messages": s.counts.messages, "copies": s.counts.copies, "threads": s.counts.threads,
            "inbound": s.counts.inbound, "outbound": s.counts.outbound, "automated": s.counts.automated,
            "answered": s.counts.answered, "unanswered": s.counts.unanswered,
            "correspondents": s.counts.correspondents,
            "median_first_response_secs": s.median_first_response_secs,
            "index": { "documents": s.index_documents, "deleted_not_yet_merged": s.index_deleted },
        });
        serde_json::to_writer_pretty(&mut *out, &v)?;
        return writeln!(out);
    }
    writeln!(out, "messages        {}", s.counts.messages)?;
    writeln!(out, "  extra copies  {}", s.counts.copies)?;
    writeln!(out, "threads         {}", s.counts.threads)?;
    writeln!(out, "inbound         {}", s.counts.inbound)?;
    writeln!(out, "  answered      {}", s.counts.answered)?;
    writeln!(out, "  unanswered    {}", s.counts.unanswered)?;
    writeln!(out, "outbound        {}", s.counts.outbound)?;
    writeln!(out, "automated       {}", s.counts.automated)?;
    writeln!(out, "correspondents  {}", s.counts.correspondents)?;
    writeln!(
        out,
        "median first response  {}",
        s.median_first_response_secs
            .map_or_else(|| "-".to_owned(), duration_text)
    )
}

pub fn sync(out: &mut impl Write, reports: &[FolderSync], json: bool) -> io::Result<()> {
    if json {
        let v: Vec<_> = reports
            .iter()
            .map(|r| {
                serde_json::json!({
                    "account": r.account, "folder": r.folder, "fetched": r.fetched,
                    "stored": r.stored, "copies": r.copies, "duplicates": r.duplicates, "erased": r.erased,
                    "skipped": r.skipped, "rescanned": r.rescanned, "error": r.error,
                })
            })
            .collect();
        serde_json::to_writer(&mut *out, &v)?;
        return writeln!(out);
    }
    for r in reports {
        let place = if r.folder.is_empty() {
            r.account.clone()
        } else {
            format!("{}/{}", r.account, r.folder)
        };
        match &r.error {
            Some(e) => writeln!(out, "{place}: failed: {e}")?,
            None => writeln!(
                out,
                "{place}: fetched {}, stored {} new, {} copies, {} duplicates, {} skipped as too large{}{}",
                r.fetched,
                r.stored,
                r.copies,
                r.duplicates,
                r.skipped,
                if r.erased > 0 { format!(", {} of erased persons not taken in", r.erased) } else { String::new() },
                if r.rescanned { " (UIDVALIDITY changed: folder scanned again)" } else { "" }
            )?,
        }
    }
    Ok(())
}

pub fn accounts(out: &mut impl Write, records: &[FolderRecord], json: bool) -> io::Result<()> {
    if json {
        let v: Vec<_> = records
            .iter()
            .map(|r| {
                serde_json::json!({
                    "account": r.account, "folder": r.folder, "uid_validity": r.uid_validity,
                    "last_uid": r.last_uid, "server_messages": r.server_messages,
                    "archived": r.archived,
                    "last_sync": r.last_sync.and_then(|d| d.format(&Rfc3339).ok()),
                    "last_error": r.last_error,
                    "skipped": r.skipped.iter().map(|(uid, size, reason)| serde_json::json!({"uid": uid, "size": size, "reason": reason})).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &v)?;
        return writeln!(out);
    }
    if records.is_empty() {
        return writeln!(
            out,
            "no folder synced yet; `casebook sync` pulls the accounts in the config"
        );
    }
    for r in records {
        writeln!(
            out,
            "{}/{}: uidvalidity {}, last uid {}, {} on the server, {} archived, last sync {}{}",
            r.account,
            r.folder,
            r.uid_validity,
            r.last_uid,
            r.server_messages
                .map_or_else(|| "?".to_owned(), |n| n.to_string()),
            r.archived,
            r.last_sync
                .and_then(|d| d.format(&Rfc3339).ok())
                .unwrap_or_else(|| "never".to_owned()),
            r.last_error
                .as_ref()
                .map_or_else(String::new, |e| format!(", last error: {e}"))
        )?;
        for (uid, size, reason) in &r.skipped {
            writeln!(out, "    skipped uid {uid} ({size} bytes): {reason}")?;
        }
    }
    Ok(())
}

/// One line per event, as `watch` goes.
pub fn watch_event(out: &mut impl Write, event: &WatchEvent) -> io::Result<()> {
    match event {
        WatchEvent::Synced(reports) => {
            let busy: Vec<FolderSync> = reports
                .iter()
                .filter(|r| r.fetched > 0 || r.skipped > 0 || r.error.is_some())
                .cloned()
                .collect();
            sync(out, &busy, false)
        }
        WatchEvent::Idle { account, folder } => {
            writeln!(out, "{account}/{folder}: waiting for new mail (IDLE)")
        }
        WatchEvent::Retention(r) => {
            write!(out, "retention: ")?;
            crate::privacy::erasure(out, r, "of")
        }
        WatchEvent::Polling { account, every } => {
            writeln!(
                out,
                "{account}: the server has no IDLE; checking every {} s",
                every.as_secs()
            )
        }
        WatchEvent::Retrying {
            account,
            after,
            error,
        } => {
            writeln!(
                out,
                "{account}: {error}; trying again in {} s",
                after.as_secs()
            )
        }
    }
}

pub fn copy_report(
    out: &mut impl Write,
    from: &StoreLocation,
    to: &StoreLocation,
    r: &CopyReport,
) -> io::Result<()> {
    writeln!(out, "copied {from} to {to}")?;
    for (table, rows) in &r.rows {
        writeln!(out, "  {table:<17} {rows:>9} rows, same in both")?;
    }
    writeln!(
        out,
        "  raw bytes of {} messages read back and matched their SHA-256",
        r.raw_verified
    )?;
    writeln!(
        out,
        "  checksum of messages and links {}, same in both",
        r.checksum
    )
}

pub fn users(out: &mut impl Write, users: &[User], json: bool) -> io::Result<()> {
    if json {
        let list: Vec<_> = users
            .iter()
            .map(|u| serde_json::json!({ "name": u.name, "role": u.role.as_str(), "disabled": u.disabled }))
            .collect();
        return writeln!(out, "{}", serde_json::Value::Array(list));
    }
    if users.is_empty() {
        return writeln!(
            out,
            "no users yet; `casebook user add NAME --role admin` adds the first"
        );
    }
    for u in users {
        let state = if u.disabled { "  (disabled)" } else { "" };
        writeln!(out, "{:<24} {:<10}{state}", u.name, u.role.as_str())?;
    }
    Ok(())
}

pub fn suggestions(out: &mut impl Write, list: &[Suggestion], json: bool) -> io::Result<()> {
    if json {
        let v: Vec<_> = list
            .iter()
            .map(|s| {
                serde_json::json!({
                    "message": s.message.id.0,
                    "date": s.message.date.and_then(|d| d.format(&Rfc3339).ok()),
                    "subject": s.message.subject,
                    "score": s.score,
                    "quotes": s.quotes,
                    "permission": s.permission,
                })
            })
            .collect();
        return writeln!(out, "{}", serde_json::Value::Array(v));
    }
    if list.is_empty() {
        return writeln!(out, "no praise waiting for a decision");
    }
    for s in list {
        writeln!(
            out,
            "message {} · score {} · {}",
            s.message.id.0, s.score, s.message.subject
        )?;
        for q in &s.quotes {
            writeln!(out, "  “{q}”")?;
        }
        for p in &s.permission {
            writeln!(out, "  permission: “{p}”")?;
        }
    }
    Ok(())
}

fn day(d: Option<time::OffsetDateTime>) -> String {
    d.map(|d| d.date().to_string()).unwrap_or_default()
}

pub fn testimonials(out: &mut impl Write, list: &[TestimonialView], json: bool) -> io::Result<()> {
    if json {
        let v: Vec<_> = list
            .iter()
            .map(|t| {
                let r = &t.record;
                serde_json::json!({
                    "id": r.id,
                    "message": r.message.0,
                    "state": t.state_name(),
                    "excerpt": r.excerpt,
                    "attribution": r.attribution,
                    "edited": r.edited,
                    "topic": r.topic,
                    "consent_message": r.consent_message.map(|m| m.0),
                    "consent_note": r.consent_note,
                    "reason": r.reason,
                    "decided_by": r.decided_by,
                    "decided_at": time::OffsetDateTime::from_unix_timestamp(r.decided_at).ok().and_then(|d| d.format(&Rfc3339).ok()),
                    "expires_at": r.expires_at.and_then(|e| time::OffsetDateTime::from_unix_timestamp(e).ok()).and_then(|d| d.format(&Rfc3339).ok()),
                })
            })
            .collect();
        return writeln!(out, "{}", serde_json::Value::Array(v));
    }
    if list.is_empty() {
        return writeln!(out, "no testimonials in this state");
    }
    for t in list {
        let r = &t.record;
        let edited = if r.edited { " (edited)" } else { "" };
        writeln!(
            out,
            "{} · {} · message {} · {}",
            r.id,
            t.state_name(),
            r.message.0,
            r.topic
        )?;
        if !r.excerpt.is_empty() {
            writeln!(out, "  “{}”{edited} — {}", r.excerpt, r.attribution)?;
        }
        if let Some(reason) = &r.reason {
            writeln!(out, "  reason: {reason}")?;
        }
    }
    Ok(())
}

fn published_values(list: &[PublishedTestimonial]) -> Vec<serde_json::Value> {
    list.iter()
        .map(|t| {
            serde_json::json!({
                "id": t.id,
                "excerpt": t.excerpt,
                "attribution": t.attribution,
                "date": day(t.date),
                "topic": t.topic,
                "edited": t.edited,
            })
        })
        .collect()
}

pub fn published_json(out: &mut impl Write, list: &[PublishedTestimonial]) -> io::Result<()> {
    writeln!(out, "{}", serde_json::Value::Array(published_values(list)))
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

pub fn published_csv(out: &mut impl Write, list: &[PublishedTestimonial]) -> io::Result<()> {
    writeln!(out, "id,excerpt,attribution,date,topic,edited")?;
    for t in list {
        writeln!(
            out,
            "{},{},{},{},{},{}",
            t.id,
            csv_field(&t.excerpt),
            csv_field(&t.attribution),
            day(t.date),
            csv_field(&t.topic),
            t.edited
        )?;
    }
    Ok(())
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub fn published_html(out: &mut impl Write, list: &[PublishedTestimonial]) -> io::Result<()> {
    writeln!(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Testimonials</title></head><body>")?;
    for t in list {
        let edited = if t.edited {
            " <small>(edited)</small>"
        } else {
            ""
        };
        writeln!(
            out,
            "<figure data-id=\"{}\"><blockquote>{}</blockquote>{edited}<figcaption>{} · {} · {}</figcaption></figure>",
            t.id,
            html_escape(&t.excerpt),
            html_escape(&t.attribution),
            html_escape(&t.topic),
            day(t.date)
        )?;
    }
    writeln!(out, "</body></html>")
}

/// Seconds since the epoch as an RFC 3339 time (empty if out of range).
pub fn rfc3339(at: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|d| d.format(&Rfc3339).ok())
        .unwrap_or_default()
}

pub fn audit(out: &mut impl Write, log: &[AuditEntry], json: bool) -> io::Result<()> {
    let when = rfc3339;
    if json {
        let v: Vec<_> = log
            .iter()
            .map(|e| {
                serde_json::json!({
                    "at": when(e.at),
                    "actor": e.actor,
                    "action": e.action,
                    "subject": e.subject,
                    "people": e.people,
                    "detail": serde_json::from_str::<serde_json::Value>(&e.detail).unwrap_or(serde_json::Value::Null),
                })
            })
            .collect();
        return writeln!(out, "{}", serde_json::Value::Array(v));
    }
    for e in log {
        writeln!(
            out,
            "{} {} {} {} {}",
            when(e.at),
            e.actor,
            e.action,
            e.subject,
            e.detail
        )?;
    }
    Ok(())
}

/// What `casebook check` found, and what to do about it.
pub fn check(
    out: &mut impl Write,
    r: &casebook_archive::CheckReport,
    json: bool,
) -> io::Result<()> {
    let ids = |v: &[MessageId]| v.iter().map(|m| m.0).collect::<Vec<_>>();
    if json {
        let v = serde_json::json!({
            "clean": r.is_clean(),
            "raw_checked": r.raw_checked,
            "damaged": r.damaged.iter().map(|p| serde_json::json!({"id": p.id.0, "problem": p.problem, "needs_key": p.needs_key})).collect::<Vec<_>>(),
            "missing_raw": ids(&r.rows.missing_raw),
            "orphaned_raw": ids(&r.rows.orphaned_raw),
            "unattributed": ids(&r.rows.unattributed),
            "reattributed": ids(&r.reattributed),
            "restored": ids(&r.restored),
            "duplicate_raw_removed": r.duplicate_raw.iter().map(|(o, k)| serde_json::json!({"orphan": o.0, "kept": k.0})).collect::<Vec<_>>(),
            "unreadable_orphans": r.unreadable_orphans.iter().map(|(id, why)| serde_json::json!({"id": id.0, "problem": why})).collect::<Vec<_>>(),
            "orphan_rows": r.rows.orphans,
            "dangling_links": r.rows.dangling_links,
            "unthreaded": r.rows.unthreaded,
            "threads_to_fix": r.threads_to_fix,
            "missing_from_index": ids(&r.missing_from_index),
            "extra_in_index": ids(&r.extra_in_index),
            "duplicated_in_index": ids(&r.duplicated_in_index),
            "repaired_rows": r.repaired_rows,
            "reindexed": r.reindexed,
            "chain": {
                "entries": r.chain.entries,
                "head": r.chain.head,
                "broken_at": r.chain.broken_at,
                "removed_behind_the_back": ids(&r.chain.removed_behind_the_back),
                "altered": ids(&r.chain.altered),
                "unchained": ids(&r.chain.unchained),
                "accepted": ids(&r.chained),
                "quarantined": ids(&r.quarantined),
                "edited": r.chain.edited.iter().map(|(seq, m)| serde_json::json!({"entry": seq, "message": m.0})).collect::<Vec<_>>(),
                "unverified": r.chain.unverified,
                "needs_key": r.chain.needs_key,
                "unauthenticated": r.chain.unauthenticated,
                "plain_hashes": r.chain.plain_hashes,
                "head_found": r.chain.head_found,
            },
        });
        return writeln!(out, "{v}");
    }
    writeln!(out, "raw messages verified: {}", r.raw_checked)?;
    writeln!(
        out,
        "integrity chain: {} entries, head {} (note it down: a later check shows the chain was not cut back)",
        r.chain.entries, r.chain.head
    )?;
    if let Some(seq) = r.chain.broken_at {
        writeln!(
            out,
            "the integrity chain was edited (or an entry forged) at entry {seq}; entries that do not verify: {:?}",
            r.chain.edited.iter().map(|(s, m)| format!("{s} (message {})", m.0)).collect::<Vec<_>>()
        )?;
    }
    match r.chain.head_found {
        Some(true) => writeln!(out, "the chain still holds the head noted earlier")?,
        Some(false) => writeln!(
            out,
            "the chain does not hold the head noted earlier: it was cut back or rewritten — restore a backup"
        )?,
        None => {}
    }
    if let Some(fp) = &r.chain.needs_key {
        writeln!(
            out,
            "{} chain entries are authenticated with integrity key {fp}, which this config does not give: set integrity_key_file to it to verify them",
            r.chain.unverified
        )?;
    }
    if r.chain.unauthenticated > 0 {
        writeln!(
            out,
            "{} chain entries were written without the integrity key (before it was set): anyone able to write to the database could have made them",
            r.chain.unauthenticated
        )?;
    }
    if r.chain.plain_hashes > 0 {
        writeln!(
            out,
            "{} chain entries (written by an older version) hold a message's plain SHA-256",
            r.chain.plain_hashes
        )?;
    }
    for (list, what) in [
        (
            &r.chain.removed_behind_the_back,
            "removed without a trace in the chain",
        ),
        (&r.chain.altered, "changed since they were stored"),
    ] {
        if !list.is_empty() {
            writeln!(
                out,
                "messages {what}: {:?} — restore them from a backup",
                ids(list)
            )?;
        }
    }
    if !r.chain.unchained.is_empty() {
        writeln!(
            out,
            "messages the chain does not hold: {:?} — inserted behind the archive's back, or stored before the chain began; `--repair` quarantines them (tag `quarantined`), `--repair --accept-unchained` enters them if you vouch for them",
            ids(&r.chain.unchained)
        )?;
    }
    if !r.chained.is_empty() {
        writeln!(out, "entered into the chain: {:?}", ids(&r.chained))?;
    }
    if !r.quarantined.is_empty() {
        writeln!(
            out,
            "quarantined (tag `quarantined`), not entered into the chain: {:?}",
            ids(&r.quarantined)
        )?;
    }
    let mut keys: std::collections::BTreeMap<&str, Vec<i64>> = Default::default();
    for p in &r.damaged {
        match &p.needs_key {
            Some(fp) => keys.entry(fp).or_default().push(p.id.0),
            None => writeln!(
                out,
                "message {}: {} — restore it from a backup (`casebook restore`), or import its original file again",
                p.id.0, p.problem
            )?,
        }
    }
    for (fp, ids) in keys {
        writeln!(
            out,
            "{} messages are sealed with key {fp}, which this config does not give (nothing is damaged): set encryption_key_file to the key with that fingerprint — {ids:?}",
            ids.len()
        )?;
    }
    if !r.rows.missing_raw.is_empty() {
        writeln!(
            out,
            "messages without raw bytes: {:?} — only a backup has them",
            ids(&r.rows.missing_raw)
        )?;
    }
    if !r.rows.orphaned_raw.is_empty() {
        writeln!(
            out,
            "raw bytes whose message row is gone: {:?} — `casebook check --repair` rebuilds the messages from them",
            ids(&r.rows.orphaned_raw)
        )?;
    }
    if !r.reattributed.is_empty() {
        writeln!(
            out,
            "senders read again and now known: {:?}",
            ids(&r.reattributed)
        )?;
    }
    if !r.rows.unattributed.is_empty() {
        writeln!(
            out,
            "messages whose person cannot be read from their headers (no erasure or export finds them by address): {:?} — `casebook show ID` shows the header; `casebook list --unattributed` lists them; `--repair` reads them again",
            ids(&r.rows.unattributed)
        )?;
    }
    if !r.restored.is_empty() {
        writeln!(out, "restored from their raw bytes: {:?}", ids(&r.restored))?;
    }
    for (orphan, kept) in &r.duplicate_raw {
        writeln!(
            out,
            "removed the orphaned raw copy {}: the same bytes are message {}",
            orphan.0, kept.0
        )?;
    }
    for (id, why) in &r.unreadable_orphans {
        writeln!(
            out,
            "orphaned raw bytes {} cannot be read ({why}); kept as they are",
            id.0
        )?;
    }
    for (n, what) in [
        (r.rows.orphans, "rows belonging to no message"),
        (r.rows.dangling_links, "links to messages that do not exist"),
        (r.rows.unthreaded, "messages without a thread"),
        (
            r.threads_to_fix,
            "messages whose thread or reply differs from working threads out afresh",
        ),
        (
            r.missing_from_index.len() as u64,
            "messages missing from the search index",
        ),
        (
            r.extra_in_index.len() as u64,
            "search results for messages the store does not have",
        ),
        (
            r.duplicated_in_index.len() as u64,
            "messages the search index holds twice",
        ),
    ] {
        if n > 0 {
            writeln!(out, "{what}: {n} — `casebook check --repair` fixes this")?;
        }
    }
    if r.repaired_rows > 0 || r.reindexed {
        writeln!(
            out,
            "repaired: {} rows{}",
            r.repaired_rows,
            if r.reindexed { ", index rebuilt" } else { "" }
        )?;
    }
    writeln!(
        out,
        "{}",
        if r.is_clean() {
            "the archive is whole"
        } else {
            "problems found"
        }
    )
}

//! Messages: a listing line, search hits, one message with what is known
//! around it, a thread.

use super::*;
use casebook_archive::view::{count_text, MessageLine, MessageView, SearchView};
use casebook_archive::{Direction, MessageInContext, MessageSummary, SearchPage, ThreadId};
use serde::Serialize;
use std::io::{self, Write};

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
        writeln!(out, "         {}", snippet_text(&h.snippet, terminal))?;
    }
    Ok(())
}

/// A snippet on one line, its matches in bold on a terminal and in
/// brackets otherwise.
fn snippet_text(snippet: &casebook_archive::Snippet, terminal: bool) -> String {
    let (open, close) = if terminal {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("[", "]")
    };
    let mut text = String::new();
    let mut at = 0;
    for r in &snippet.highlights {
        text.push_str(&snippet.text[at..r.start]);
        text.push_str(open);
        text.push_str(&snippet.text[r.start..r.end]);
        text.push_str(close);
        at = r.end;
    }
    text.push_str(&snippet.text[at..]);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A customer as one line: `Ann Lee <ann@example.com>, Acme [partners]`.
fn customer_text(c: &casebook_archive::ConversationCustomer) -> String {
    let mut who = match (&c.name, &c.address) {
        (Some(name), Some(address)) => format!("{name} <{address}>"),
        (None, Some(address)) => address.clone(),
        (Some(name), None) => name.clone(),
        (None, None) => "(unknown sender)".to_owned(),
    };
    if let Some(company) = &c.company {
        who.push_str(&format!(", {company}"));
    }
    if !c.lists.is_empty() {
        who.push_str(&format!(" [{}]", c.lists.join(", ")));
    }
    who
}

/// `search --threads`: a conversation a paragraph (customer, state,
/// subject, the customer's own words), or the JSON document.
pub fn conversations(
    out: &mut impl Write,
    query: &str,
    page: &casebook_archive::ConversationPage,
    json: bool,
    terminal: bool,
) -> io::Result<()> {
    use casebook_archive::ConversationState as S;
    if json {
        serde_json::to_writer(
            &mut *out,
            &casebook_archive::view::ConversationSearchView::new(query, page),
        )?;
        return writeln!(out);
    }
    writeln!(
        out,
        "{}{} ({}) found in {} ms",
        if page.total_is_lower_bound {
            "at least "
        } else {
            ""
        },
        count_text(page.total, "conversation"),
        count_text(page.messages, "message"),
        page.took.as_millis()
    )?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for c in &page.hits {
        let state = match c.state {
            S::WaitingSince(since) => format!(
                "waiting {} since {}",
                duration_text((now - since).max(0)),
                rfc3339(since)
            ),
            S::Answered(Some(secs)) => format!("answered in {}", duration_text(secs)),
            S::Answered(None) => "answered".to_owned(),
            S::Replied => "replied".to_owned(),
            S::OursOnly => "ours only".to_owned(),
            S::AutomatedOnly => "automated only".to_owned(),
        };
        writeln!(
            out,
            "\nthread {:>6}  {}  {state}  {} of {} messages",
            c.thread_id.0,
            customer_text(&c.customer),
            c.matching,
            c.messages
        )?;
        writeln!(
            out,
            "         {}",
            if c.subject.is_empty() {
                "(no subject)"
            } else {
                &c.subject
            }
        )?;
        writeln!(out, "         {}", snippet_text(&c.snippet, terminal))?;
    }
    Ok(())
}

/// A message with what the archive knows around it: what `show` prints.
pub fn show(out: &mut impl Write, c: &MessageInContext, json: bool) -> io::Result<()> {
    if json {
        show_json(out, c)
    } else {
        show_text(out, c)
    }
}

/// `show --json`: the message's one JSON shape, and what the archive
/// knows around it.
fn show_json(out: &mut impl Write, c: &MessageInContext) -> io::Result<()> {
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
    let m = &c.message;
    let v = ShowJson {
        message: MessageView::from(m),
        customer: c
            .customer
            .iter()
            .map(crate::customers::match_json)
            .collect(),
        tags: &c.tags,
        known_as: c.known_as.as_deref(),
        copy_of: m.primary_id.map(|p| p.0),
        copies: c
            .copies
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
        thread: c.thread.iter().map(MessageLine::from).collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &v)?;
    writeln!(out)
}

/// `show`: a header block (who, when, where in its thread, copies,
/// attachments, where seen), then the text.
fn show_text(out: &mut impl Write, c: &MessageInContext) -> io::Result<()> {
    let m = &c.message;
    let s = &m.summary;
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
    show_people(out, c)?;
    writeln!(out, "Date:     {}", date_text(s))?;
    writeln!(out, "Subject:  {}", s.subject)?;
    if let Some(id) = &s.message_id_header {
        writeln!(out, "Message-ID: <{id}>")?;
    }
    if let Some(t) = s.thread_id {
        writeln!(out, "Thread:   {} ({} messages)", t.0, c.thread.len())?;
    }
    if s.direction == Direction::Inbound {
        let reply = s.reply_id.and_then(|r| c.thread.iter().find(|t| t.id == r));
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
    show_copies(out, c)?;
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
    if !c.tags.is_empty() {
        writeln!(out, "Tags:     {}", c.tags.join(", "))?;
    }
    for w in &m.warnings {
        writeln!(out, "Warning:  {w}")?;
    }
    writeln!(out, "\n{}", m.body.trim_end())
}

/// Sender, recipients, and who the sender is to us.
fn show_people(out: &mut impl Write, c: &MessageInContext) -> io::Result<()> {
    let s = &c.message.summary;
    match (&s.from_address, &s.from_name) {
        (Some(a), Some(n)) => writeln!(out, "From:     {n} <{a}>")?,
        (Some(a), None) => writeln!(out, "From:     {a}")?,
        _ => writeln!(out, "From:     (none)")?,
    }
    for r in &c.message.recipients {
        let kind = format!("{:?}:", r.kind);
        match &r.name {
            Some(n) => writeln!(out, "{kind:<9} {n} <{}>", r.address)?,
            None => writeln!(out, "{kind:<9} {}", r.address)?,
        }
    }
    if let Some(name) = &c.known_as {
        writeln!(out, "Known as: {name} (corrected at their request)")?;
    }
    for customer in &c.customer {
        writeln!(out, "Customer: {}", crate::customers::match_text(customer))?;
    }
    Ok(())
}

/// The message this one is a copy of, or its copies and how they differ.
fn show_copies(out: &mut impl Write, c: &MessageInContext) -> io::Result<()> {
    if let Some(p) = c.message.primary_id {
        writeln!(
            out,
            "Copy of:  message {} (same Message-ID, different bytes)",
            p.0
        )?;
    }
    for (id, d) in &c.copies {
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
    Ok(())
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

/// The conversations waiting for us: a line each (oldest first), or a JSON
/// object per line.
pub fn queue(
    out: &mut impl Write,
    page: &casebook_archive::QueuePage,
    request: &casebook_archive::QueueRequest,
    json: bool,
) -> io::Result<()> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if json {
        for e in &page.entries {
            serde_json::to_writer(
                &mut *out,
                &casebook_archive::view::QueueEntryView::new(e, now),
            )?;
            writeln!(out)?;
        }
        return Ok(());
    }
    if page.total == 0 {
        return writeln!(out, "no conversation is waiting for us");
    }
    writeln!(
        out,
        "{} conversations waiting for us, oldest first{}",
        page.total,
        match (request.offset, page.entries.len()) {
            (_, 0) => format!(" (none from {} on)", request.offset + 1),
            (offset, n) if offset > 0 || (n as u64) < page.total =>
                format!(" ({} to {})", offset + 1, offset + n),
            _ => String::new(),
        }
    )?;
    for e in &page.entries {
        writeln!(
            out,
            "{:>8}  since {}  thread {:>6}  {}  {}{}",
            super::duration_text((now - e.waiting_since).max(0)),
            super::rfc3339(e.waiting_since),
            e.thread_id.0,
            customer_text(&e.customer),
            e.subject,
            if e.waiting_messages > 1 {
                format!("  ({} messages)", e.waiting_messages)
            } else {
                String::new()
            }
        )?;
    }
    Ok(())
}

/// How we answered this before: a conversation a paragraph, or the JSON
/// document.
pub fn similar(
    out: &mut impl Write,
    id: i64,
    found: &[casebook_archive::SimilarConversation],
    json: bool,
) -> io::Result<()> {
    if json {
        serde_json::to_writer(&mut *out, &casebook_archive::view::similar_json(found))?;
        return writeln!(out);
    }
    if found.is_empty() {
        return writeln!(
            out,
            "no earlier conversation we answered is like message {id}"
        );
    }
    for s in found {
        writeln!(
            out,
            "thread {}  message {}  {}  (score {:.1})
  our reply {}: {}
",
            s.thread_id.0, s.message_id.0, s.subject, s.score, s.reply_id.0, s.reply_excerpt
        )?;
    }
    Ok(())
}

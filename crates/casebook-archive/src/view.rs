//! How a message looks to scripts (`--json`), the web API and a person's
//! own copy of their data: one shape, defined once, so a field means the
//! same wherever it is read. Ids are numbers, times RFC 3339 text (with
//! the offset the message was written in), absent values `null`.

use crate::SearchPage;
use casebook_store::{MessageSummary, Recipient, StoredAttachment, StoredMessage};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A time as every view writes one: RFC 3339.
pub fn rfc3339(t: OffsetDateTime) -> Option<String> {
    t.format(&Rfc3339).ok()
}

/// [`rfc3339`] of a time the store keeps as seconds since the epoch
/// (`None` if out of range).
pub fn rfc3339_secs(at: i64) -> Option<String> {
    OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(rfc3339)
}

/// Who a message is from, as its From header gives them.
#[derive(Debug, Serialize)]
pub struct Sender<'a> {
    pub address: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// A message as a line of a listing, a search hit or a thread.
#[derive(Debug, Serialize)]
pub struct MessageLine<'a> {
    /// The archive's number for it.
    pub id: i64,
    /// Its Message-ID header, without angle brackets.
    pub message_id: Option<&'a str>,
    pub thread_id: Option<i64>,
    pub date: Option<String>,
    /// `inbound` (from a customer), `outbound` (from us) or `automated`
    /// (sent by a machine).
    pub direction: &'static str,
    /// What kind of automated mail it is (`auto-reply`, `bounce`, …), if it is.
    pub automated: Option<&'static str>,
    pub from: Sender<'a>,
    /// The customer address the conversation is with.
    pub correspondent: Option<&'a str>,
    pub subject: &'a str,
    /// Our reply to it (for a customer's message), or the message it
    /// answers (for ours).
    pub reply_id: Option<i64>,
    /// Seconds between the two.
    pub response_secs: Option<i64>,
}

impl<'a> From<&'a MessageSummary> for MessageLine<'a> {
    fn from(s: &'a MessageSummary) -> Self {
        Self {
            id: s.id.0,
            message_id: s.message_id_header.as_deref(),
            thread_id: s.thread_id.map(|t| t.0),
            date: s.date.and_then(rfc3339),
            direction: s.direction.as_str(),
            automated: s.automated.map(|a| a.as_str()),
            from: Sender {
                address: s.from_address.as_deref(),
                name: s.from_name.as_deref(),
            },
            correspondent: s.correspondent.as_deref(),
            subject: &s.subject,
            reply_id: s.reply_id.map(|r| r.0),
            response_secs: s.response_secs,
        }
    }
}

/// A whole message: its line, then whom it went to, what it says and
/// what it carries.
#[derive(Debug, Serialize)]
pub struct MessageView<'a> {
    #[serde(flatten)]
    pub line: MessageLine<'a>,
    pub recipients: &'a [Recipient],
    pub in_reply_to: &'a [String],
    pub references: &'a [String],
    /// The text as the archive reads it (from HTML when there is no plain part).
    pub text: &'a str,
    /// Whether `text` was read from HTML.
    pub html_only: bool,
    pub attachments: &'a [StoredAttachment],
    /// SHA-256 of the stored bytes, hex.
    pub sha256: &'a str,
    /// Size of the stored bytes.
    pub size: u64,
}

impl<'a> From<&'a StoredMessage> for MessageView<'a> {
    fn from(m: &'a StoredMessage) -> Self {
        Self {
            line: MessageLine::from(&m.summary),
            recipients: &m.recipients,
            in_reply_to: &m.in_reply_to,
            references: &m.references,
            text: &m.body,
            html_only: m.html_only,
            attachments: &m.attachments,
            sha256: &m.sha256,
            size: m.size,
        }
    }
}

/// A search hit: the message's line and the passage that matched.
#[derive(Debug, Serialize)]
pub struct HitView<'a> {
    #[serde(flatten)]
    pub line: MessageLine<'a>,
    pub snippet: SnippetView<'a>,
}

/// The passage of a hit, and the byte ranges of it to highlight.
#[derive(Debug, Serialize)]
pub struct SnippetView<'a> {
    pub text: &'a str,
    pub highlights: Vec<[usize; 2]>,
}

impl<'a> SnippetView<'a> {
    pub fn new(s: &'a crate::Snippet) -> Self {
        Self {
            text: &s.text,
            highlights: s.highlights.iter().map(|r| [r.start, r.end]).collect(),
        }
    }
}

/// A page of search results.
#[derive(Debug, Serialize)]
pub struct SearchView<'a> {
    pub query: &'a str,
    /// How many messages match, on every page (at least this many when
    /// `total_is_lower_bound`).
    pub total: usize,
    /// Whether counting stopped before every match was counted.
    pub total_is_lower_bound: bool,
    pub took_ms: f64,
    pub hits: Vec<HitView<'a>>,
}

impl<'a> SearchView<'a> {
    pub fn new(query: &'a str, page: &'a SearchPage) -> Self {
        Self {
            query,
            total: page.total,
            total_is_lower_bound: page.total_is_lower_bound,
            took_ms: page.took.as_secs_f64() * 1000.0,
            hits: page
                .hits
                .iter()
                .map(|h| HitView {
                    line: MessageLine::from(&h.summary),
                    snippet: SnippetView::new(&h.snippet),
                })
                .collect(),
        }
    }
}

/// A conversation a search found, as scripts and the API read it.
#[derive(Debug, Serialize)]
pub struct ConversationView<'a> {
    pub thread_id: i64,
    pub subject: &'a str,
    pub customer: CustomerView<'a>,
    /// `waiting` (for us), `answered`, `replied` (we wrote after them,
    /// not paired as an answer), `ours` (only we wrote) or `automated`.
    pub state: &'static str,
    /// RFC 3339, UTC, when `state` is `waiting`.
    pub waiting_since: Option<String>,
    /// How long our first answer took, when `state` is `answered`.
    pub first_response_secs: Option<i64>,
    pub messages: u64,
    /// Of them, how many the query matched.
    pub matching: u64,
    /// The best-matching message.
    pub best_message: i64,
    /// The message the snippet is from (the customer's own words).
    pub snippet_message: i64,
    /// RFC 3339, UTC, of its newest message.
    pub last_date: Option<String>,
    pub snippet: SnippetView<'a>,
}

/// A page of conversations a search found.
#[derive(Debug, Serialize)]
pub struct ConversationSearchView<'a> {
    pub query: &'a str,
    /// Conversations found (at least this many when
    /// `total_is_lower_bound`).
    pub total: usize,
    pub total_is_lower_bound: bool,
    /// Messages matching (at least this many when
    /// `messages_is_lower_bound`).
    pub messages: usize,
    pub messages_is_lower_bound: bool,
    pub took_ms: f64,
    pub conversations: Vec<ConversationView<'a>>,
}

impl<'a> ConversationSearchView<'a> {
    pub fn new(query: &'a str, page: &'a crate::ConversationPage) -> Self {
        use crate::ConversationState as S;
        Self {
            query,
            total: page.total,
            total_is_lower_bound: page.total_is_lower_bound,
            messages: page.messages,
            messages_is_lower_bound: page.messages_is_lower_bound,
            took_ms: page.took.as_secs_f64() * 1000.0,
            conversations: page
                .hits
                .iter()
                .map(|c| ConversationView {
                    thread_id: c.thread_id.0,
                    subject: &c.subject,
                    customer: CustomerView::new(&c.customer),
                    state: match c.state {
                        S::WaitingSince(_) => "waiting",
                        S::Answered(_) => "answered",
                        S::Replied => "replied",
                        S::OursOnly => "ours",
                        S::AutomatedOnly => "automated",
                    },
                    waiting_since: match c.state {
                        S::WaitingSince(at) => rfc3339_secs(at),
                        _ => None,
                    },
                    first_response_secs: match c.state {
                        S::Answered(secs) => secs,
                        _ => None,
                    },
                    messages: c.messages,
                    matching: c.matching,
                    best_message: c.best.0,
                    snippet_message: c.snippet_from.0,
                    last_date: c.last_date.and_then(rfc3339_secs),
                    snippet: SnippetView::new(&c.snippet),
                })
                .collect(),
        }
    }
}

/// A conversation waiting for us, as scripts and the API read it.
#[derive(Debug, Serialize)]
pub struct QueueEntryView<'a> {
    pub thread_id: i64,
    /// The customer's latest message.
    pub latest_message: i64,
    pub subject: &'a str,
    pub customer: CustomerView<'a>,
    /// RFC 3339, UTC.
    pub waiting_since: Option<String>,
    /// Seconds from `waiting_since` to when the queue was read.
    pub waited_secs: i64,
    /// Customer messages written since our last reply.
    pub waiting_messages: u64,
}

/// Who a conversation is with.
#[derive(Debug, Serialize)]
pub struct CustomerView<'a> {
    pub address: Option<&'a str>,
    pub name: Option<&'a str>,
    pub company: Option<&'a str>,
    pub lists: &'a [String],
}

impl<'a> CustomerView<'a> {
    pub fn new(c: &'a crate::ConversationCustomer) -> Self {
        Self {
            address: c.address.as_deref(),
            name: c.name.as_deref(),
            company: c.company.as_deref(),
            lists: &c.lists,
        }
    }
}

impl<'a> QueueEntryView<'a> {
    /// `e` as read at `now` (seconds since 1970).
    pub fn new(e: &'a crate::QueueEntry, now: i64) -> Self {
        Self {
            thread_id: e.thread_id.0,
            latest_message: e.latest.0,
            subject: &e.subject,
            customer: CustomerView::new(&e.customer),
            waiting_since: rfc3339_secs(e.waiting_since),
            waited_secs: (now - e.waiting_since).max(0),
            waiting_messages: e.waiting_messages,
        }
    }
}

/// How we answered this before: the similar conversations of a message,
/// as scripts and the API read them (`{"similar": [...]}`).
pub fn similar_json(found: &[crate::SimilarConversation]) -> serde_json::Value {
    serde_json::json!({
        "similar": found.iter().map(|s| serde_json::json!({
            "thread_id": s.thread_id.0,
            "message_id": s.message_id.0,
            "subject": s.subject,
            "score": s.score,
            "reply_id": s.reply_id.0,
            "reply_excerpt": s.reply_excerpt,
        })).collect::<Vec<_>>(),
    })
}

/// A CSV field as spreadsheets read it back: quoted when it holds a
/// comma, quote or line break; and a field a spreadsheet would run as a
/// formula (starting `=`, `+`, `-`, `@`, a tab or a carriage return) is
/// kept as text by a leading apostrophe, as OWASP advises — a customer's
/// words never become a formula on the reader's machine.
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// What marketing may use as CSV: `id,excerpt,attribution,date,topic,edited`
/// (the day in UTC).
pub fn published_csv(list: &[crate::PublishedTestimonial]) -> String {
    let mut out = String::from("id,excerpt,attribution,date,topic,edited\n");
    for t in list {
        let day = t.date.map(|d| d.date().to_string()).unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            t.id,
            csv_field(&t.excerpt),
            csv_field(&t.attribution),
            day,
            csv_field(&t.topic),
            t.edited
        ));
    }
    out
}

/// Aggregate statistics as scripts and the API read them: each shown
/// cell with its counts, answer rate, median response and response
/// times per span.
pub fn aggregate_json(a: &crate::AggregateStats) -> serde_json::Value {
    serde_json::json!({
        "k_anonymity": a.k,
        "suppressed_cells": a.suppressed,
        "cells": a.cells.iter().map(|c| serde_json::json!({
            "month": c.month,
            "topic": c.topic,
            "inbound": c.inbound,
            "outbound": c.outbound,
            "answered": c.answered,
            "answer_rate": c.answer_rate(),
            "conversations": c.conversations,
            "answered_within_day": c.answered_within_day(),
            "median_response_secs": c.median_response_secs,
            "response_times": crate::RESPONSE_SPANS.iter().zip(c.response_times)
                .map(|((span, _), n)| serde_json::json!({ "span": span, "answered": n }))
                .collect::<Vec<_>>(),
            "correspondents": c.correspondents,
        })).collect::<Vec<_>>(),
    })
}

/// `1 conversation`, `2 conversations`: a count and its noun, for the CLI
/// and the web alike.
pub fn count_text(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// How a duration is written for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationStyle {
    /// For columns: `45s`, `12m`, `3h 05m`, `2d 4h`.
    Compact,
    /// For prose: `0 min`, `12 min`, `3 h 5 min`, `2 d 4 h`.
    Spelled,
}

/// A duration of `secs` seconds, in days and hours or hours and minutes
/// (or seconds, compactly, under a minute): one reckoning for the CLI and
/// the web, each in its own style.
pub fn duration_text(secs: i64, style: DurationStyle) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (style, d, h) {
        (DurationStyle::Compact, 0, 0) if secs < 60 => format!("{secs}s"),
        (DurationStyle::Compact, 0, 0) => format!("{m}m"),
        (DurationStyle::Compact, 0, _) => format!("{h}h {m:02}m"),
        (DurationStyle::Compact, _, _) => format!("{d}d {h}h"),
        (DurationStyle::Spelled, 0, 0) => format!("{m} min"),
        (DurationStyle::Spelled, 0, _) => format!("{h} h {m} min"),
        (DurationStyle::Spelled, _, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_stay_text_in_a_spreadsheet() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, \"b\""), "\"a, \"\"b\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1+2"), "'-1+2");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
    }

    #[test]
    fn durations_read_the_same_in_both_styles() {
        let cases = [
            (45, "45s", "0 min"),
            (12 * 60, "12m", "12 min"),
            (3 * 3600 + 5 * 60, "3h 05m", "3 h 5 min"),
            (2 * 86_400 + 4 * 3600 + 59, "2d 4h", "2 d 4 h"),
        ];
        for (secs, compact, spelled) in cases {
            assert_eq!(duration_text(secs, DurationStyle::Compact), compact);
            assert_eq!(duration_text(secs, DurationStyle::Spelled), spelled);
        }
    }
}

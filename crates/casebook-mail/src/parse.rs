use crate::address::{mailbox_list, Mailbox};
use crate::automated::{classify, AutomatedKind};
use crate::header::{decode_words, fields, first_value};
use casebook_vocabulary::Sha256;
use mail_parser::{HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use time::{OffsetDateTime, UtcOffset};

/// Everything Casebook reads out of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMessage {
    /// The Message-ID without angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub from: Option<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub bcc: Vec<Mailbox>,
    /// Where replies go (web forms put the customer here).
    pub reply_to: Vec<Mailbox>,
    /// Who sent it on the author's behalf (a list, an assistant).
    pub sender: Option<Mailbox>,
    /// The Date header with the sender's own offset kept.
    pub date: Option<OffsetDateTime>,
    pub subject: String,
    /// The text a person reads: text parts as they are, HTML turned into
    /// text (no markup, no URLs of images), quoted parts kept.
    pub text: String,
    /// The message has an HTML body and no plain-text alternative.
    pub html_only: bool,
    pub attachments: Vec<Attachment>,
    pub automated: Option<AutomatedKind>,
    pub warnings: Vec<ParseWarning>,
}

/// A file attached to a message, described (its bytes stay in the raw message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: Option<String>,
    pub content_type: String,
    pub size: u64,
    pub sha256: Sha256,
}

/// Something that could not be read as the standards say; the message is
/// archived all the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseWarning {
    /// The MIME structure could not be read at all; the text is the raw bytes.
    Unparsable,
    MissingFrom,
    /// A From header is there but holds no usable address.
    UnusableFrom(String),
    MissingDate,
    /// A Date header is there but is not a date.
    InvalidDate(String),
    MissingMessageId,
    /// Neither a text nor an HTML body could be found.
    NoReadableText,
    /// Over one of the [`crate::Limits`]: only part of it was read.
    OverLimit(crate::limits::OverLimit),
}

impl std::fmt::Display for ParseWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unparsable => f.write_str("mime structure unreadable; indexed as raw text"),
            Self::MissingFrom => f.write_str("no From header"),
            Self::UnusableFrom(v) => write!(f, "From header holds no address: {v:?}"),
            Self::MissingDate => f.write_str("no Date header"),
            Self::InvalidDate(v) => write!(f, "Date header is not a date: {v:?}"),
            Self::MissingMessageId => f.write_str("no Message-ID header"),
            Self::NoReadableText => f.write_str("no text or html body"),
            Self::OverLimit(o) => o.fmt(f),
        }
    }
}

/// Reads `raw` within the default [`crate::Limits`]. Never fails: what
/// cannot be read becomes a warning.
pub fn parse(raw: &[u8]) -> ParsedMessage {
    crate::limits::parse_within(raw, &crate::Limits::default())
}

/// Reads all of `raw`, without limits.
pub(crate) fn from_bytes(raw: &[u8]) -> ParsedMessage {
    let mut parsed = match mime(raw) {
        Mime::Read(message) => from_message(&message, raw),
        Mime::Unreadable => unparsable(raw),
        Mime::ParserFailed => headers_only(raw),
    };
    without_nul(&mut parsed);
    parsed
}

/// What mail-parser made of a message.
enum Mime<'a> {
    Read(Message<'a>),
    Unreadable,
    /// It panicked: mail-parser 0.11 asserts on some hostile structures
    /// (a message/rfc822 part whose body is an empty message/rfc822 at
    /// the outer boundary: found by fuzzing). One message must not end
    /// the process that reads it.
    ParserFailed,
}

fn mime(raw: &[u8]) -> Mime<'_> {
    match std::panic::catch_unwind(|| MessageParser::default().parse(raw)) {
        Ok(Some(message)) => Mime::Read(message),
        Ok(None) => Mime::Unreadable,
        Err(_) => Mime::ParserFailed,
    }
}

/// A message whose MIME structure broke the parser: its headers read as
/// usual (sender, recipients, date, threading), its body as raw text.
fn headers_only(raw: &[u8]) -> ParsedMessage {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|at| at + 2))
        .unwrap_or(raw.len());
    let (head, body) = raw.split_at(end);
    let mut parsed = match mime(head) {
        Mime::Read(message) => from_message(&message, head),
        Mime::Unreadable | Mime::ParserFailed => unparsable(raw),
    };
    parsed.text = String::from_utf8_lossy(body).into_owned();
    parsed.html_only = false;
    parsed.attachments.clear();
    if !parsed.warnings.contains(&ParseWarning::Unparsable) {
        parsed.warnings.insert(0, ParseWarning::Unparsable);
    }
    parsed
}

/// NUL characters replaced by U+FFFD in everything read out of a message:
/// text columns cannot hold them (PostgreSQL refuses the whole row), and
/// the raw bytes keep the original anyway.
fn without_nul(m: &mut ParsedMessage) {
    let clean = |s: &mut String| {
        if s.contains('\0') {
            *s = s.replace('\0', "\u{FFFD}");
        }
    };
    clean(&mut m.subject);
    clean(&mut m.text);
    for id in m
        .message_id
        .iter_mut()
        .chain(&mut m.in_reply_to)
        .chain(&mut m.references)
    {
        clean(id);
    }
    for mailbox in m
        .from
        .iter_mut()
        .chain(&mut m.to)
        .chain(&mut m.cc)
        .chain(&mut m.bcc)
        .chain(&mut m.reply_to)
        .chain(&mut m.sender)
    {
        if let Some(name) = &mut mailbox.name {
            clean(name);
        }
    }
    for a in &mut m.attachments {
        clean(&mut a.content_type);
        if let Some(name) = &mut a.name {
            clean(name);
        }
    }
    for w in &mut m.warnings {
        if let ParseWarning::UnusableFrom(v) | ParseWarning::InvalidDate(v) = w {
            clean(v);
        }
    }
}

/// The `n`-th attachment (in the order [`ParsedMessage::attachments`]
/// lists them) with its decoded bytes.
pub fn attachment(raw: &[u8], n: usize) -> Option<(Attachment, Vec<u8>)> {
    let Mime::Read(message) = mime(raw) else {
        return None;
    };
    let part = message.attachments().nth(n)?;
    Some((describe_attachment(part), part.contents().to_vec()))
}

/// The HTML of a message's HTML body parts, decoded but otherwise as
/// written (hostile: sanitise before showing it), or `None` if it has none.
pub fn html_body(raw: &[u8]) -> Option<String> {
    let Mime::Read(message) = mime(raw) else {
        return None;
    };
    let parts: Vec<String> = (0..message.html_body_count())
        .filter_map(|i| {
            let part = message.html_part(u32::try_from(i).ok()?)?;
            match &part.body {
                PartType::Html(html) => Some(html.to_string()),
                _ => None,
            }
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n<hr>\n"))
}

/// What the author of an HTML message wrote above what they quote: the
/// HTML body cut at the first quoted or forwarded part as mail clients
/// mark it (`<blockquote>`, Gmail's `gmail_quote`, Thunderbird's
/// `moz-cite-prefix`, Outlook's `divRplyFwdMsg` / `appendonsend`), as
/// text. `None` when the message has no HTML body.
pub fn html_own_text(raw: &[u8]) -> Option<String> {
    const QUOTE_MARKS: &[&str] = &[
        "<blockquote",
        "class=\"gmail_quote",
        "class=\"gmail_attr",
        "class=\"moz-cite-prefix",
        "id=\"divrplyfwdmsg",
        "id=\"appendonsend",
        "id=\"mail-editor-reference-message-container",
        "class=\"yahoo_quoted",
    ];
    let html = html_body(raw)?;
    let lower = html.to_ascii_lowercase();
    let cut = QUOTE_MARKS
        .iter()
        .filter_map(|m| lower.find(m))
        .min()
        // Cut at the start of the tag the mark is in.
        .map(|at| lower[..at].rfind('<').unwrap_or(at))
        .unwrap_or(html.len());
    Some(mail_parser::decoders::html::html_to_text(&html[..cut]))
}

fn from_message(m: &Message<'_>, raw: &[u8]) -> ParsedMessage {
    let mut warnings = Vec::new();
    // Addresses as a mail client reads them (mail-parser's stricter reading
    // loses a header that is one encoded-word, or has no angle brackets).
    let header = fields(raw);
    let addresses = |name: &str| {
        first_value(&header, name)
            .map(mailbox_list)
            .unwrap_or_default()
    };

    let message_id = m.message_id().and_then(clean_id);
    if message_id.is_none() {
        warnings.push(ParseWarning::MissingMessageId);
    }

    let from = addresses("From").into_iter().next();
    if from.is_none() {
        match first_value(&header, "From") {
            Some(v) => warnings.push(ParseWarning::UnusableFrom(
                decode_words(v).trim().to_owned(),
            )),
            None => warnings.push(ParseWarning::MissingFrom),
        }
    }

    let date = m
        .date()
        .filter(|d| d.is_valid())
        .and_then(to_offset_datetime);
    if date.is_none() {
        match m.header_raw("Date") {
            Some(v) => warnings.push(ParseWarning::InvalidDate(v.trim().to_owned())),
            None => warnings.push(ParseWarning::MissingDate),
        }
    }

    let mut text = String::new();
    for i in 0..m.text_body_count() {
        if let Some(part) = m.body_text(i) {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(part.trim_end());
        }
    }
    let html_only =
        m.html_body_count() > 0 && m.text_bodies().all(|p| matches!(p.body, PartType::Html(_)));
    if text.trim().is_empty() && m.attachment_count() == 0 {
        warnings.push(ParseWarning::NoReadableText);
    }

    let content_type = m
        .content_type()
        .map(|ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("")));
    let automated = classify(
        |name| m.header_raw(name).map(str::to_owned),
        content_type.as_deref(),
        from.as_ref().map(|f| f.address.as_str()),
    );

    ParsedMessage {
        message_id,
        in_reply_to: id_list(m.in_reply_to()),
        references: id_list(m.references()),
        from,
        to: addresses("To"),
        cc: addresses("Cc"),
        bcc: addresses("Bcc"),
        reply_to: addresses("Reply-To"),
        sender: addresses("Sender").into_iter().next(),
        date,
        subject: subject(m, &header),
        text,
        html_only,
        attachments: m.attachments().map(describe_attachment).collect(),
        automated,
        warnings,
    }
}

/// The fallback when mail-parser gives up: keep the bytes searchable.
fn unparsable(raw: &[u8]) -> ParsedMessage {
    ParsedMessage {
        message_id: None,
        in_reply_to: Vec::new(),
        references: Vec::new(),
        from: None,
        to: Vec::new(),
        cc: Vec::new(),
        bcc: Vec::new(),
        reply_to: Vec::new(),
        sender: None,
        date: None,
        subject: String::new(),
        text: String::from_utf8_lossy(raw).into_owned(),
        html_only: false,
        attachments: Vec::new(),
        automated: None,
        warnings: vec![
            ParseWarning::Unparsable,
            ParseWarning::MissingMessageId,
            ParseWarning::MissingFrom,
            ParseWarning::MissingDate,
        ],
    }
}

/// The subject as written; unlabelled 8-bit bytes read as mail clients
/// read them (UTF-8, else Windows-1252) rather than as U+FFFD.
fn subject(m: &Message<'_>, header: &[crate::header::RawField<'_>]) -> String {
    match first_value(header, "Subject") {
        Some(raw) if std::str::from_utf8(raw).is_err() => decode_words(raw).trim().to_owned(),
        _ => m.subject().unwrap_or_default().trim().to_owned(),
    }
}

fn clean_id(id: &str) -> Option<String> {
    let id = id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    (!id.is_empty()).then(|| id.to_owned())
}

fn id_list(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(t) => clean_id(t).into_iter().collect(),
        HeaderValue::TextList(list) => list.iter().filter_map(|t| clean_id(t)).collect(),
        _ => Vec::new(),
    }
}

fn to_offset_datetime(d: &mail_parser::DateTime) -> Option<OffsetDateTime> {
    let sign: i32 = if d.tz_before_gmt { -1 } else { 1 };
    let offset_secs = sign * (i32::from(d.tz_hour) * 3600 + i32::from(d.tz_minute) * 60);
    let offset = UtcOffset::from_whole_seconds(offset_secs).ok()?;
    OffsetDateTime::from_unix_timestamp(d.to_timestamp())
        .ok()
        .map(|t| t.to_offset(offset))
}

fn describe_attachment(part: &mail_parser::MessagePart<'_>) -> Attachment {
    let content_type = part.content_type().map_or_else(
        || "application/octet-stream".to_owned(),
        |ct| match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        },
    );
    let contents = part.contents();
    Attachment {
        name: part.attachment_name().map(str::to_owned),
        content_type,
        size: contents.len() as u64,
        sha256: Sha256::of(contents),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_addresses_and_keeps_the_date_offset() {
        let raw = b"From: \"Lee, Ann\" <Ann@Example.com>\r\n\
To: support@casebook.example, Bob <BOB@x.example>\r\n\
Date: Tue, 1 Jul 2008 10:52:37 +0200\r\n\
Message-ID: <m2@example.com>\r\n\
In-Reply-To: <m1@casebook.example>\r\n\
References: <m0@example.com> <m1@casebook.example>\r\n\
Subject: =?utf-8?q?Caf=C3=A9?= trunk\r\n\r\nbody\r\n";
        let m = parse(raw);
        assert_eq!(m.message_id.as_deref(), Some("m2@example.com"));
        assert_eq!(m.in_reply_to, vec!["m1@casebook.example"]);
        assert_eq!(m.references, vec!["m0@example.com", "m1@casebook.example"]);
        let from = m.from.expect("from");
        assert_eq!(from.address.as_str(), "ann@example.com");
        assert_eq!(from.name.as_deref(), Some("Lee, Ann"));
        assert_eq!(m.to.len(), 2);
        assert_eq!(m.to[1].address.as_str(), "bob@x.example");
        assert_eq!(m.subject, "Café trunk");
        let date = m.date.expect("date");
        assert_eq!(date.offset().whole_hours(), 2);
        assert_eq!(date.unix_timestamp(), 1_214_902_357);
        assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    }

    #[test]
    fn html_only_mail_gives_text_without_markup_or_urls() {
        let raw = b"From: a@b.example\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
<html><head><style>p{color:red}</style></head><body><p>Your <b>voicemail</b> works</p>\
<img src=\"http://tracker.example/pixel.gif\"></body></html>";
        let m = parse(raw);
        assert!(m.html_only);
        assert!(m.text.contains("voicemail"), "{}", m.text);
        assert!(!m.text.contains("tracker"), "{}", m.text);
        assert!(!m.text.contains("color"), "{}", m.text);
    }

    /// Found by fuzzing: this structure makes mail-parser 0.11 panic
    /// (in builds with debug assertions). The message is still read, its
    /// sender and subject found, its body kept as text.
    #[test]
    fn a_structure_that_breaks_the_mime_parser_still_gives_sender_and_text() {
        let raw = b"From: Ann Lee <ann@example.com>\r\nSubject: licence\r\n\
            Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
            Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\n\r\n\r\n--b--\r\n";
        let parsed = parse(raw);
        assert_eq!(
            parsed.from.as_ref().map(|f| f.address.as_str()),
            Some("ann@example.com")
        );
        assert_eq!(parsed.subject, "licence");
        let _ = html_body(raw);
        let _ = attachment(raw, 0);
    }

    #[test]
    fn broken_headers_become_warnings_not_failures() {
        let m = parse(b"From: nobody\nDate: yesterday-ish\nSubject: x\n\nhello");
        assert!(m.from.is_none());
        assert!(m
            .warnings
            .contains(&ParseWarning::UnusableFrom("nobody".into())));
        assert!(m
            .warnings
            .contains(&ParseWarning::InvalidDate("yesterday-ish".into())));
        assert!(m.warnings.contains(&ParseWarning::MissingMessageId));
        assert_eq!(m.text, "hello");
    }

    #[test]
    fn nul_characters_never_reach_the_text_columns() {
        let m = parse(
            b"From: \"A\0nn\" <ann@b.example>\nDate: x\0y\nSubject: hi\0there\nMessage-ID: <a\0b@c>\n\
Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nbody\0text\n\
--b\nContent-Disposition: attachment; filename=\"l\0og.txt\"\n\nx\n--b--\n",
        );
        let debug = format!("{m:?}");
        assert!(!debug.contains("\\0"), "{debug}");
        assert_eq!(m.subject, "hi\u{FFFD}there");
        assert!(m.text.contains("body\u{FFFD}text"), "{}", m.text);
        assert_eq!(crate::EmailAddress::parse("a\0b@c.example"), None);
    }

    #[test]
    fn legacy_charsets_are_decoded() {
        let raw = b"From: a@b.example\nSubject: =?koi8-r?b?8NLJ18XU?=\n\
Content-Type: text/plain; charset=shift_jis\nContent-Transfer-Encoding: base64\n\n\
k4yLnpNzgsWCzQ==\n";
        let m = parse(raw);
        assert_eq!(m.subject, "Привет");
        assert_eq!(m.text, "東京都では");
    }

    #[test]
    fn recognises_machine_mail() {
        let ooo = parse(b"From: a@b.example\nAuto-Submitted: auto-replied\n\nI am away");
        assert_eq!(ooo.automated, Some(AutomatedKind::AutoReply));
        let human = parse(b"From: a@b.example\nAuto-Submitted: no\n\nhi");
        assert_eq!(human.automated, None);
        let bounce = parse(
            b"From: MAILER-DAEMON@mx.example\nContent-Type: multipart/report; report-type=delivery-status; boundary=x\n\n--x\n\nfailed\n--x--\n",
        );
        assert_eq!(bounce.automated, Some(AutomatedKind::Bounce));
    }

    #[test]
    fn an_attachment_comes_back_decoded_and_html_as_written() {
        let raw =
            b"From: a@b.example\nSubject: log\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\
Content-Type: text/html\n\n<p onclick=x>Hi <b>there</b></p>\n--b\nContent-Type: text/plain\n\
Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=asterisk.log\n\n\
RVJST1IgY2hhbl9zaXA=\n--b--\n";
        let (meta, bytes) = attachment(raw, 0).expect("one attachment");
        assert_eq!(bytes, b"ERROR chan_sip");
        assert_eq!(meta.name.as_deref(), Some("asterisk.log"));
        assert_eq!(meta.content_type, "text/plain");
        assert!(attachment(raw, 1).is_none());
        let html = html_body(raw).expect("an html part");
        assert!(html.contains("<p onclick=x>Hi <b>there</b></p>"), "{html}");
        assert!(html_body(b"Subject: x\n\nplain only\n").is_none());
    }

    #[test]
    fn attachments_are_described_with_their_digest() {
        let raw = b"From: a@b.example\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\
Content-Type: text/plain\n\nsee log\n--b\nContent-Type: text/plain; name=asterisk.log\n\
Content-Disposition: attachment; filename=asterisk.log\n\nERROR chan_sip\n--b--\n";
        let m = parse(raw);
        assert_eq!(m.attachments.len(), 1);
        let a = &m.attachments[0];
        assert_eq!(a.name.as_deref(), Some("asterisk.log"));
        assert_eq!(a.content_type, "text/plain");
        assert_eq!(a.sha256, Sha256::of(&b"ERROR chan_sip"[..a.size as usize]));
        assert_eq!(m.text, "see log");
    }
}

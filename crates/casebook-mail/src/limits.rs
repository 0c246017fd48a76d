//! How much of one message is read. A message over a limit is still
//! stored whole and byte-exact; only what Casebook *reads out of it* (text
//! to index, attachments listed, threading headers) is cut, and the
//! message carries a warning naming the limit, so nothing is lost silently
//! and one hostile message cannot take the memory of a whole import.

use crate::parse::{from_bytes, ParseWarning, ParsedMessage};
use crate::sniff::header_block_len;

/// The limits, each configurable (`[limits]` in the config file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of a message that are parsed at all; beyond them the raw
    /// message is kept but not read (no attachments are listed, the text is
    /// what the first bytes hold).
    pub parse_bytes: usize,
    /// Bytes of text kept for search and display.
    pub text_bytes: usize,
    /// Attachments listed.
    pub parts: usize,
    /// Message-IDs kept from References (the nearest ones, at the end).
    pub references: usize,
    /// Bytes of the header block read for its fields; a larger header
    /// is flagged and its subject cut to `subject_chars`.
    pub header_bytes: usize,
    pub subject_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            parse_bytes: 64 * 1024 * 1024,
            text_bytes: 1024 * 1024,
            parts: 1_000,
            references: 1_000,
            header_bytes: 256 * 1024,
            subject_chars: 1_000,
        }
    }
}

/// Which limit a message went over, with how much there was and how much
/// was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverLimit {
    /// Only the first `read` of `size` bytes were parsed.
    Size {
        size: u64,
        read: u64,
    },
    Text {
        size: u64,
        kept: u64,
    },
    Parts {
        count: u64,
        kept: u64,
    },
    References {
        count: u64,
        kept: u64,
    },
    Header {
        size: u64,
        limit: u64,
    },
}

impl std::fmt::Display for OverLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Self::Size { size, read } => write!(
                f,
                "over limits.parse_bytes: {size} bytes, only the first {read} read (no attachments listed; the raw message is kept whole)"
            ),
            Self::Text { size, kept } => write!(
                f,
                "over limits.text_bytes: {size} bytes of text, the first {kept} indexed"
            ),
            Self::Parts { count, kept } => write!(
                f,
                "over limits.parts: {count} attachments, the first {kept} listed"
            ),
            Self::References { count, kept } => write!(
                f,
                "over limits.references: {count} References, the last {kept} used for threading"
            ),
            Self::Header { size, limit } => write!(
                f,
                "over limits.header_bytes: a header of {size} bytes (limit {limit}); subject cut"
            ),
        }
    }
}

/// Reads `raw` within `limits`. Never fails, like [`crate::parse`].
pub fn parse_within(raw: &[u8], limits: &Limits) -> ParsedMessage {
    let size = raw.len() as u64;
    let read = raw.len().min(limits.parse_bytes);
    let mut parsed = from_bytes(&raw[..read]);
    let mut over = Vec::new();
    if read < raw.len() {
        // Cut mid-part: what was listed of the last part is wrong.
        parsed.attachments.clear();
        over.push(OverLimit::Size {
            size,
            read: read as u64,
        });
    }
    if parsed.text.len() > limits.text_bytes {
        let kept = floor_char_boundary(&parsed.text, limits.text_bytes);
        over.push(OverLimit::Text {
            size: parsed.text.len() as u64,
            kept: kept as u64,
        });
        parsed.text.truncate(kept);
    }
    if parsed.attachments.len() > limits.parts {
        over.push(OverLimit::Parts {
            count: parsed.attachments.len() as u64,
            kept: limits.parts as u64,
        });
        parsed.attachments.truncate(limits.parts);
    }
    if parsed.references.len() > limits.references {
        over.push(OverLimit::References {
            count: parsed.references.len() as u64,
            kept: limits.references as u64,
        });
        let cut = parsed.references.len() - limits.references;
        parsed.references.drain(..cut);
    }
    // Only as far as the limit: a whole CRLF message would be scanned
    // for a bare blank line otherwise. The full size is measured only for
    // a header over it.
    let parsed_part = &raw[..read];
    let within = &parsed_part[..parsed_part.len().min(limits.header_bytes + 4)];
    let header = match header_block_len(within) {
        Some(len) => len,
        None => header_block_len(parsed_part).unwrap_or(parsed_part.len()),
    };
    if header > limits.header_bytes {
        over.push(OverLimit::Header {
            size: header as u64,
            limit: limits.header_bytes as u64,
        });
    }
    if parsed.subject.chars().count() > limits.subject_chars {
        parsed.subject = parsed.subject.chars().take(limits.subject_chars).collect();
    }
    parsed
        .warnings
        .extend(over.into_iter().map(ParseWarning::OverLimit));
    parsed
}

/// The largest index ≤ `at` on a character boundary of `text`.
fn floor_char_boundary(text: &str, at: usize) -> usize {
    (0..=at.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Limits {
        Limits {
            parse_bytes: 4096,
            text_bytes: 64,
            parts: 3,
            references: 5,
            header_bytes: 512,
            subject_chars: 20,
        }
    }

    fn over(m: &ParsedMessage) -> Vec<OverLimit> {
        m.warnings
            .iter()
            .filter_map(|w| match w {
                ParseWarning::OverLimit(o) => Some(*o),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn mail_within_the_limits_is_read_as_before() {
        let raw = b"From: a@b.example\nSubject: hi\nReferences: <x@y>\n\nshort text\n";
        let m = parse_within(raw, &small());
        assert_eq!(m, from_bytes(raw));
        assert!(over(&m).is_empty());
    }

    #[test]
    fn each_limit_cuts_what_is_read_and_says_so() {
        let mut raw = b"From: a@b.example\nSubject: ".to_vec();
        raw.extend("é".repeat(40).as_bytes());
        raw.extend(b"\nReferences:");
        for i in 0..9 {
            raw.extend(format!(" <r{i}@x>").as_bytes());
        }
        raw.extend(
            b"\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n",
        );
        raw.extend("ü".repeat(100).as_bytes());
        for i in 0..5 {
            raw.extend(
                format!("\n--b\nContent-Disposition: attachment; filename=p{i}.txt\n\npart {i}")
                    .as_bytes(),
            );
        }
        raw.extend(b"\n--b--\n");
        let m = parse_within(&raw, &small());
        let found = over(&m);
        assert!(
            found.contains(&OverLimit::Parts { count: 5, kept: 3 }),
            "{found:?}"
        );
        assert!(found.contains(&OverLimit::References { count: 9, kept: 5 }));
        assert!(
            matches!(found.iter().find(|o| matches!(o, OverLimit::Text { .. })), Some(OverLimit::Text { kept, .. }) if *kept <= 64)
        );
        assert_eq!(m.attachments.len(), 3);
        assert_eq!(
            m.references.first().map(String::as_str),
            Some("r4@x"),
            "the nearest kept"
        );
        assert!(
            m.text.len() <= 64 && m.text.starts_with('ü'),
            "cut on a character boundary"
        );
        assert_eq!(m.subject.chars().count(), 20);
    }

    #[test]
    fn a_message_over_parse_bytes_is_read_only_at_its_start() {
        let mut raw = b"From: big@b.example\nSubject: capture\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee the capture\n--b\nContent-Disposition: attachment; filename=c.pcap\nContent-Transfer-Encoding: base64\n\n".to_vec();
        raw.extend(b"QUJD\n".repeat(2000));
        raw.extend(b"--b--\n");
        let m = parse_within(&raw, &small());
        assert_eq!(m.subject, "capture");
        assert!(m.text.contains("see the capture"), "{}", m.text);
        assert!(m.attachments.is_empty());
        assert!(over(&m).contains(&OverLimit::Size {
            size: raw.len() as u64,
            read: 4096
        }));
    }

    #[test]
    fn a_huge_header_is_flagged() {
        let mut raw = b"From: a@b.example\nX-Junk: ".to_vec();
        raw.extend(b"x".repeat(600));
        raw.extend(b"\nSubject: fine\n\nbody\n");
        let m = parse_within(&raw, &small());
        assert!(matches!(
            over(&m)[..],
            [OverLimit::Header { limit: 512, .. }]
        ));
        assert_eq!(m.text, "body");
    }
}

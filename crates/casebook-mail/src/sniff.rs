/// Why some bytes are not mail at all (and so are refused, not archived).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotMail {
    Empty,
    /// The first line is not a header field (`Name: value`) nor an mbox `From ` line.
    NoHeaderAtStart,
    /// The header block has none of the fields every mail carries.
    NoMailHeaders,
    /// NUL bytes in the header block: a binary file.
    Binary,
}

impl std::fmt::Display for NotMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Empty => "the file is empty",
            Self::NoHeaderAtStart => "it does not start with a mail header such as `From:`",
            Self::NoMailHeaders => {
                "its header has none of From, To, Subject, Date, Message-ID, Received"
            }
            Self::Binary => "it is a binary file",
        })
    }
}

const MAIL_HEADERS: &[&str] = &[
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "received",
    "return-path",
    "delivered-to",
    "mime-version",
    "sender",
    "reply-to",
];

/// Accepts anything that could be mail, however broken; refuses what is
/// plainly something else (an image, a spreadsheet, an empty file).
pub fn check_is_mail(raw: &[u8]) -> Result<(), NotMail> {
    let start = raw
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .ok_or(NotMail::Empty)?;
    let raw = &raw[start..];
    let limit = raw.len().min(256 * 1024);
    let header_end = header_block_len(&raw[..limit]).unwrap_or(limit);
    let header = &raw[..header_end];
    let mut lines = header.split(|&b| b == b'\n');
    let mut first = lines.next().unwrap_or_default();
    if first.starts_with(b"From ") || first.starts_with(b">From ") {
        first = lines.next().unwrap_or_default();
    }
    if header_name(first).is_none() {
        // A NUL byte in a header that is also no mail header: a binary
        // file. Mail with a NUL in a header value is broken mail, kept.
        return Err(if header.contains(&0) {
            NotMail::Binary
        } else {
            NotMail::NoHeaderAtStart
        });
    }
    let known = std::iter::once(first)
        .chain(lines)
        .filter_map(header_name)
        .any(|name| MAIL_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name)));
    if known {
        Ok(())
    } else {
        Err(NotMail::NoMailHeaders)
    }
}

/// Bytes before the first blank line, whichever line ending the message
/// uses (a CRLF message's body may hold a bare "\n\n" further on); `None`
/// when `raw` holds no blank line.
pub(crate) fn header_block_len(raw: &[u8]) -> Option<usize> {
    // One walk from line end to line end, stopping at the first blank
    // line: looking for each ending through the whole text read a CRLF
    // message's body (up to 256 KiB) for a "\n\n" it does not have.
    let mut from = 0;
    while let Some(i) = raw[from..].iter().position(|&b| b == b'\n') {
        let end = from + i;
        let next = &raw[end + 1..];
        if next.first() == Some(&b'\n') {
            return Some(end);
        }
        if end > 0 && raw[end - 1] == b'\r' && next.starts_with(b"\r\n") {
            return Some(end - 1);
        }
        from = end + 1;
    }
    None
}

/// The field name of a header line, if the line is one (obsolete syntax,
/// `Subject : x`, included).
fn header_name(line: &[u8]) -> Option<&str> {
    crate::header::field_line(line).map(|(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header block ends where "\n\n" or "\r\n\r\n" first appears,
    /// whichever comes first: the plain definition, for comparison.
    fn header_block_by_definition(raw: &[u8]) -> Option<usize> {
        let lf = raw.windows(2).position(|w| w == b"\n\n");
        let crlf = raw.windows(4).position(|w| w == b"\r\n\r\n");
        match (lf, crlf) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    #[test]
    fn the_header_block_ends_at_the_first_blank_line_of_either_ending() {
        let mut cases: Vec<Vec<u8>> = [
            &b"Subject: a\n\nbody"[..],
            b"Subject: a\r\n\r\nbody\n\nmore",
            b"Subject: a\r\nTo: b\r\n\r\n",
            b"\n\n",
            b"\r\n\r\n",
            b"a\n\r\n\r\n",
            b"\r\n\n",
            b"no blank line\r\n",
            b"",
        ]
        .iter()
        .map(|c| c.to_vec())
        .collect();
        // And every short mix of the bytes that matter.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 12) as usize;
            cases.push(
                (0..len)
                    .map(|i| b"\r\nx"[((state >> (i * 2 + 8)) % 3) as usize])
                    .collect(),
            );
        }
        for raw in &cases {
            assert_eq!(
                header_block_len(raw),
                header_block_by_definition(raw),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn accepts_broken_but_recognisable_mail() {
        assert_eq!(check_is_mail(b"Subject: hi\n\nbody"), Ok(()));
        assert_eq!(check_is_mail(b"From x@y Mon Jan 1\nFrom: a@b\n\n"), Ok(()));
        assert_eq!(
            check_is_mail(b"X-Junk: 1\r\nDate: nonsense\r\n\r\n"),
            Ok(())
        );
        // Broken mail: a NUL in a header value, and a CRLF message whose
        // body holds bare newlines and NUL bytes.
        assert_eq!(check_is_mail(b"From: a@b\nSubject: x\0y\n\nbody"), Ok(()));
        assert_eq!(
            check_is_mail(b"From: a@b\r\nSubject: x\r\n\r\n\0\0\n\nrest"),
            Ok(())
        );
    }

    #[test]
    fn refuses_what_is_not_mail() {
        assert_eq!(check_is_mail(b"  \n"), Err(NotMail::Empty));
        assert_eq!(
            check_is_mail(b"\x89PNG\r\n\x1a\n\0\0"),
            Err(NotMail::Binary)
        );
        assert_eq!(
            check_is_mail(b"id,email\n1,a@b\n"),
            Err(NotMail::NoHeaderAtStart)
        );
        assert_eq!(
            check_is_mail(b"Title: notes\nAuthor: me\n\n"),
            Err(NotMail::NoMailHeaders)
        );
    }
}

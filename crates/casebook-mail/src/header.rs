//! Header fields read as mail clients read them, not as the standards
//! wish they were written: obsolete syntax (`Subject : x`), folded lines,
//! unlabelled 8-bit bytes, and encoded-words anywhere — a whole header
//! may be one (`From: =?utf-8?b?…?=`, as Python's `email` package and
//! many web forms write it), split over several, in any charset.

use mail_parser::decoders::{base64::base64_decode, charsets::map::charset_decoder};

/// Bytes of the header block read for fields; a larger header is flagged
/// by [`crate::Limits::header_bytes`] anyway.
const MAX_HEADER_BYTES: usize = 256 * 1024;

/// One header field: its name as written (without the space obsolete
/// syntax allows before the colon) and its value with folding undone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawField<'a> {
    pub name: &'a str,
    pub value: Vec<u8>,
}

/// The header fields of `raw`, in order. A leading mbox `From ` line and
/// lines that are no field are passed over.
pub(crate) fn fields(raw: &[u8]) -> Vec<RawField<'_>> {
    let raw = &raw[..raw.len().min(MAX_HEADER_BYTES)];
    let mut out: Vec<RawField<'_>> = Vec::new();
    let mut first = true;
    for line in raw.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if std::mem::take(&mut first) && line.starts_with(b"From ") {
            continue;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if let Some(last) = out.last_mut() {
                last.value.extend_from_slice(line);
            }
            continue;
        }
        if let Some((name, value)) = field_line(line) {
            out.push(RawField {
                name,
                value: value.to_vec(),
            });
        }
    }
    out
}

/// The value of the first field named `name` (any case), unfolded.
pub(crate) fn first_value<'a>(fields: &'a [RawField<'_>], name: &str) -> Option<&'a [u8]> {
    fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name))
        .map(|f| f.value.as_slice())
}

/// `Name: value` or, in obsolete syntax, `Name : value`.
pub(crate) fn field_line(line: &[u8]) -> Option<(&str, &[u8])> {
    let colon = line.iter().position(|&b| b == b':')?;
    let name = std::str::from_utf8(&line[..colon]).ok()?;
    let name = name.trim_end_matches([' ', '\t']);
    let valid = !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic());
    valid.then(|| (name, &line[colon + 1..]))
}

/// Bytes as a mail client shows them when no charset is named: UTF-8
/// where they are UTF-8, else Windows-1252 (a superset of Latin-1 in
/// every printable position).
pub(crate) fn unlabelled_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => decode_charset(b"windows-1252", bytes),
    }
}

fn decode_charset(charset: &[u8], bytes: &[u8]) -> String {
    let utf8 = charset.eq_ignore_ascii_case(b"utf-8") || charset.eq_ignore_ascii_case(b"utf8");
    match charset_decoder(charset) {
        Some(decode) if !utf8 => decode(bytes),
        // UTF-8, or a charset nobody knows: UTF-8 where it is, else the
        // unlabelled fallback.
        _ => match std::str::from_utf8(bytes) {
            Ok(s) => s.to_owned(),
            Err(_) if !utf8 => unlabelled_text(bytes),
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        },
    }
}

/// The length of the encoded-word at the start of `s`, if one is there.
pub(crate) fn encoded_word_len(s: &[u8]) -> Option<usize> {
    encoded_word(s).map(|(_, _, _, len)| len)
}

/// An encoded-word at the start of `s`: its charset, whether it is
/// base64, its payload, and its length in bytes.
fn encoded_word(s: &[u8]) -> Option<(&[u8], bool, &[u8], usize)> {
    let rest = s.strip_prefix(b"=?")?;
    let q1 = rest.iter().position(|&b| b == b'?')?;
    let charset = &rest[..q1];
    // RFC 2231 language suffix: `utf-8*en`.
    let charset = charset.split(|&b| b == b'*').next().unwrap_or(charset);
    let after = &rest[q1 + 1..];
    let (&encoding, after) = after.split_first()?;
    let after = after.strip_prefix(b"?")?;
    let end = after.windows(2).position(|w| w == b"?=")?;
    let payload = &after[..end];
    let valid = !charset.is_empty()
        && charset.iter().all(|b| b.is_ascii_graphic())
        && payload.iter().all(|&b| b.is_ascii_graphic());
    let base64 = match encoding {
        b'b' | b'B' => true,
        b'q' | b'Q' => false,
        _ => return None,
    };
    valid.then_some((charset, base64, payload, 2 + q1 + 1 + 2 + end + 2))
}

fn q_decode(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len());
    let mut i = 0;
    while i < payload.len() {
        match payload[i] {
            b'_' => out.push(b' '),
            b'=' if i + 2 < payload.len() => {
                let hex = std::str::from_utf8(&payload[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'='),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    out
}

fn b_decode(payload: &[u8]) -> Vec<u8> {
    // Mailers drop the padding now and then.
    let mut padded = payload.to_vec();
    while !padded.len().is_multiple_of(4) {
        padded.push(b'=');
    }
    base64_decode(&padded).unwrap_or_else(|| payload.to_vec())
}

/// A header value with every encoded-word decoded (whitespace between two
/// of them dropped, the bytes of neighbours in one charset joined before
/// decoding, so a character split across two words survives) and the rest
/// read as [`unlabelled_text`].
pub(crate) fn decode_words(value: &[u8]) -> String {
    let mut out = String::new();
    let mut plain: Vec<u8> = Vec::new();
    // Decoded bytes of the encoded-words in a row, with their charset.
    let mut pending: Option<(Vec<u8>, Vec<u8>)> = None;
    let mut i = 0;
    while i < value.len() {
        if let Some((charset, base64, payload, len)) = encoded_word(&value[i..]) {
            let bytes = if base64 {
                b_decode(payload)
            } else {
                q_decode(payload)
            };
            let only_space = plain.iter().all(|b| b.is_ascii_whitespace());
            match &mut pending {
                // Whitespace between two encoded-words is not shown.
                // ISO-2022 words each end in ASCII; joined, their escapes
                // would meet.
                Some((cs, buf))
                    if only_space && cs.eq_ignore_ascii_case(charset) && !stateful(charset) =>
                {
                    buf.extend_from_slice(&bytes);
                }
                Some(_) if only_space => {
                    flush(&mut out, pending.take());
                    pending = Some((charset.to_vec(), bytes));
                }
                _ => {
                    flush(&mut out, pending.take());
                    out.push_str(&unlabelled_text(&plain));
                    pending = Some((charset.to_vec(), bytes));
                }
            }
            plain.clear();
            i += len;
        } else {
            plain.push(value[i]);
            i += 1;
        }
    }
    flush(&mut out, pending);
    out.push_str(&unlabelled_text(&plain));
    out
}

/// A charset whose bytes mean something only after an escape sequence.
fn stateful(charset: &[u8]) -> bool {
    charset.len() >= 8 && charset[..8].eq_ignore_ascii_case(b"iso-2022")
}

fn flush(out: &mut String, pending: Option<(Vec<u8>, Vec<u8>)>) {
    if let Some((charset, bytes)) = pending {
        out.push_str(&decode_charset(&charset, &bytes));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_unfold_and_accept_obsolete_syntax() {
        let raw = b"From x@y Mon Jan  1 00:00:00 2001\r\nSubject : hello\r\n  world\r\nnot a field\r\nFrom: a@b\r\n\r\nBody: no\r\n";
        let f = fields(raw);
        let names: Vec<&str> = f.iter().map(|f| f.name).collect();
        assert_eq!(names, ["Subject", "From"]);
        assert_eq!(f[0].value, b" hello  world");
        assert_eq!(first_value(&f, "from"), Some(&b" a@b"[..]));
        assert_eq!(first_value(&f, "Body"), None);
    }

    #[test]
    fn encoded_words_in_any_charset_and_both_encodings() {
        for (raw, expected) in [
            (
                &b"=?utf-8?b?Ik5pbHMgR2FyY8OtYSIgPG5pbHMuZ2FyY2EyMEBkZWx0YWNjLmNvbT4=?="[..],
                "\"Nils García\" <nils.garca20@deltacc.com>",
            ),
            (
                b"=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>",
                "André Pirard <PIRARD@vm1.ulg.ac.be>",
            ),
            (b"=?koi8-r?b?8NLJ18XU?=", "Привет"),
            (b"=?shift_jis?b?k4yLnpNz?=", "東京都"),
            (b"=?gb2312?b?1tDOxA==?=", "中文"),
            (b"=?utf-8?q?Caf=C3=A9_au_lait?=", "Café au lait"),
            // Split across words, even mid-character; space between words dropped.
            (b"=?utf-8?q?Caf=C3?= =?utf-8?q?=A9?= ok", "Café ok"),
            (b"=?utf-8?b?w6k?=", "é"),
            (b"plain =?bogus?x?y?= text", "plain =?bogus?x?y?= text"),
            (b"Fr\xf6sche", "Frösche"),
            (b"=?unknown-cs?q?abc?=", "abc"),
        ] {
            assert_eq!(
                decode_words(raw),
                expected,
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }
}

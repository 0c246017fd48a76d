//! The transfer encodings and charsets mail uses, for writing test mail.

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(crate) fn base64(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Base64 broken into 76-character lines.
pub(crate) fn base64_lines(input: &[u8], eol: &str) -> String {
    let encoded = base64(input);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 76 * 2 + 2);
    for line in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push_str(eol);
    }
    out
}

/// Quoted-printable with soft line breaks at 76 characters.
pub(crate) fn quoted_printable(input: &[u8], eol: &str) -> String {
    let mut out = String::new();
    let mut line_len = 0;
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'\n' {
            out.push_str(eol);
            line_len = 0;
            i += 1;
            continue;
        }
        let piece = if (b == b' ' || b == b'\t') && input.get(i + 1).is_none_or(|&n| n == b'\n') {
            format!("={b:02X}")
        } else if (33..=126).contains(&b) && b != b'=' || b == b' ' {
            char::from(b).to_string()
        } else {
            format!("={b:02X}")
        };
        if line_len + piece.len() > 75 {
            out.push('=');
            out.push_str(eol);
            line_len = 0;
        }
        line_len += piece.len();
        out.push_str(&piece);
        i += 1;
    }
    out
}

/// `text` in `charset`, as encoding_rs knows it.
pub(crate) fn to_charset(text: &str, charset: &str) -> Vec<u8> {
    match encoding_rs::Encoding::for_label(charset.as_bytes()) {
        Some(enc) => enc.encode(text).0.into_owned(),
        None => text.as_bytes().to_vec(),
    }
}

/// An RFC 2047 encoded word for a header, or the text itself when ASCII.
pub(crate) fn header_text(text: &str, charset: &str) -> String {
    if text.is_ascii() {
        return text.to_owned();
    }
    format!("=?{charset}?B?{}?=", base64(&to_charset(text, charset)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pads() {
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"M"), "TQ==");
    }

    #[test]
    fn qp_escapes_equals_and_high_bytes() {
        assert_eq!(
            quoted_printable("a=b é\n".as_bytes(), "\n"),
            "a=3Db =C3=A9\n"
        );
    }
}

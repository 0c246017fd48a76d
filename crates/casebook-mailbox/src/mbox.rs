use std::io::BufRead;

/// Splits an mbox stream into messages, calling `each(index, bytes)` for
/// every message in order (index from 1). A message starts after a line
/// beginning with `From ` that opens the file or follows a blank line, has
/// a time of day, and does not stand inside an open MIME multipart (a
/// `git format-patch` attachment holds such a line). The separator line
/// and the blank line before the next one are not part of the message;
/// the message's own bytes (`>From ` escapes included) are kept exactly
/// as they are in the file, so messages and separators add up to the file.
pub fn split_mbox<R: BufRead>(
    mut reader: R,
    mut each: impl FnMut(usize, Vec<u8>),
) -> std::io::Result<()> {
    let mut current: Option<Vec<u8>> = None;
    let mut mime = MimeState::default();
    let mut previous_blank = true;
    let mut index = 0;
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        if previous_blank && !mime.inside_part() && is_separator(&line) {
            if let Some(msg) = current.take() {
                index += 1;
                each(index, strip_separator_blank(msg));
            }
            current = Some(Vec::new());
            mime = MimeState::default();
            previous_blank = false;
            continue;
        }
        previous_blank = line == b"\n" || line == b"\r\n";
        mime.line(&line);
        match current.as_mut() {
            Some(msg) => msg.extend_from_slice(&line),
            // Text before the first From line: a file that is one message.
            None => current = Some(line.clone()),
        }
    }
    if let Some(msg) = current {
        if msg.iter().any(|b| !b.is_ascii_whitespace()) {
            index += 1;
            each(index, strip_separator_blank(msg));
        }
    }
    Ok(())
}

/// Header bytes read for a message's boundary; beyond them it has none.
const MAX_HEADER: usize = 256 * 1024;

/// Where one message of an mbox stands: in its header (collected, to find
/// a multipart boundary), or in its body, between its first boundary line
/// and its closing one.
#[derive(Default)]
struct MimeState {
    header: Vec<u8>,
    in_body: bool,
    boundary: Option<Vec<u8>>,
    open: bool,
}

impl MimeState {
    fn inside_part(&self) -> bool {
        self.open
    }

    fn line(&mut self, line: &[u8]) {
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        if !self.in_body {
            if content.is_empty() {
                self.in_body = true;
                self.boundary = boundary_of(&self.header);
                self.header = Vec::new();
            } else if self.header.len() < MAX_HEADER {
                self.header.extend_from_slice(line);
            }
            return;
        }
        let Some(boundary) = &self.boundary else {
            return;
        };
        let Some(rest) = content.strip_prefix(b"--") else {
            return;
        };
        if let Some(after) = rest.strip_prefix(boundary.as_slice()) {
            let after = trim_end(after);
            if after == b"--" {
                self.open = false;
            } else if after.is_empty() {
                self.open = true;
            }
        }
    }
}

fn trim_end(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |p| p + 1);
    &bytes[..end]
}

/// The `boundary` parameter of a header block's Content-Type, if it is a
/// multipart one.
fn boundary_of(header: &[u8]) -> Option<Vec<u8>> {
    let text = String::from_utf8_lossy(header);
    let mut content_type = String::new();
    let mut in_field = false;
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if in_field {
                content_type.push_str(line);
            }
            continue;
        }
        in_field = line
            .split_once(':')
            .is_some_and(|(name, _)| name.trim().eq_ignore_ascii_case("content-type"));
        if in_field {
            content_type = line
                .split_once(':')
                .map(|(_, v)| v.to_owned())
                .unwrap_or_default();
        }
    }
    let lower = content_type.to_ascii_lowercase();
    if !lower.trim_start().starts_with("multipart/") {
        return None;
    }
    let at = lower.find("boundary=")? + "boundary=".len();
    let value = &content_type[at..];
    let value = match value.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next().unwrap_or(""),
        None => value
            .split(|c: char| c == ';' || c.is_whitespace())
            .next()
            .unwrap_or(""),
    };
    (!value.is_empty()).then(|| value.as_bytes().to_vec())
}

/// A `From ` line that separates messages carries a time of day
/// (`From ann@example.com Mon Jan  1 10:00:00 2024`); an unescaped body
/// line that merely starts with "From " rarely does.
fn is_separator(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"From ") else {
        return false;
    };
    rest.split(|b| b.is_ascii_whitespace()).any(|word| {
        let mut parts = word.split(|&b| b == b':');
        let hour = parts.next().unwrap_or_default();
        let minute = parts.next().unwrap_or_default();
        (1..=2).contains(&hour.len())
            && minute.len() == 2
            && hour.iter().chain(minute).all(u8::is_ascii_digit)
    })
}

/// Removes the one blank line that mbox puts between messages.
fn strip_separator_blank(mut msg: Vec<u8>) -> Vec<u8> {
    if msg.ends_with(b"\r\n\r\n") {
        msg.truncate(msg.len() - 2);
    } else if msg.ends_with(b"\n\n") {
        msg.truncate(msg.len() - 1);
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(input: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        split_mbox(input, |_, m| out.push(m)).expect("in-memory read");
        out
    }

    #[test]
    fn splits_on_from_lines_after_blank_lines_only() {
        let input = b"From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\nFrom here on, body.\n>From escaped\n\nFrom c@d Tue Jan  2 00:00:00 2024\nSubject: two\n\nbody two\n";
        let msgs = split(input);
        assert_eq!(msgs.len(), 2);
        assert_eq!(
            msgs[0],
            b"Subject: one\n\nFrom here on, body.\n>From escaped\n".to_vec()
        );
        assert_eq!(msgs[1], b"Subject: two\n\nbody two\n".to_vec());
    }

    #[test]
    fn keeps_crlf_line_ends() {
        let msgs = split(b"From x Sat Jan  6 10:00:00 2024\r\nSubject: a\r\n\r\nbody\r\n\r\nFrom y Sat Jan  6 11:00:00 2024\r\nSubject: b\r\n\r\nz\r\n");
        assert_eq!(msgs[0], b"Subject: a\r\n\r\nbody\r\n".to_vec());
        assert_eq!(msgs[1], b"Subject: b\r\n\r\nz\r\n".to_vec());
    }

    #[test]
    fn a_from_line_inside_an_open_mime_part_is_not_a_separator() {
        let patch_mail = b"From: Ann <ann@x.example>\nSubject: patch\nContent-Type: multipart/mixed;\n boundary=\"=-b1\"\n\n--=-b1\nContent-Type: text/plain\n\nSee the patch.\n--=-b1\nContent-Type: text/x-patch; name=0001.patch\n\nFrom fc88cba Mon Sep 17 00:00:00 2001\nFrom: Ann <ann@x.example>\nSubject: [PATCH] fix\n\n--- a/x\n--=-b1--\n";
        let mut input = b"From ann@x.example Mon Jan  1 00:00:00 2024\n".to_vec();
        input.extend_from_slice(patch_mail);
        input.extend_from_slice(
            b"\nFrom bob@y.example Tue Jan  2 00:00:00 2024\nSubject: two\n\nbody two\n",
        );
        let msgs = split(&input);
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert_eq!(msgs[0], patch_mail.to_vec());
        assert_eq!(msgs[1], b"Subject: two\n\nbody two\n".to_vec());
        // Messages, separator lines and the blank lines between add up.
        let separators = "From ann@x.example Mon Jan  1 00:00:00 2024\n".len()
            + "\nFrom bob@y.example Tue Jan  2 00:00:00 2024\n".len();
        assert_eq!(msgs[0].len() + msgs[1].len() + separators, input.len());
    }

    #[test]
    fn empty_input_has_no_messages() {
        assert!(split(b"").is_empty());
        assert!(split(b"\n\n").is_empty());
    }
}

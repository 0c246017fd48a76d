use std::io::BufRead;

/// Splits an mbox stream into messages, calling `each(index, bytes)` for
/// every message in order (index from 1). A message starts after a line
/// beginning with `From ` that opens the file or follows a blank line.
/// The separator line and the blank line before the next one are not part
/// of the message; the message's own bytes (`>From ` escapes included) are
/// kept exactly as they are in the file.
pub fn split_mbox<R: BufRead>(
    mut reader: R,
    mut each: impl FnMut(usize, Vec<u8>),
) -> std::io::Result<()> {
    let mut current: Option<Vec<u8>> = None;
    let mut previous_blank = true;
    let mut index = 0;
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        if previous_blank && is_separator(&line) {
            if let Some(msg) = current.take() {
                index += 1;
                each(index, strip_separator_blank(msg));
            }
            current = Some(Vec::new());
            previous_blank = false;
            continue;
        }
        previous_blank = line == b"\n" || line == b"\r\n";
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
    fn empty_input_has_no_messages() {
        assert!(split(b"").is_empty());
        assert!(split(b"\n\n").is_empty());
    }
}

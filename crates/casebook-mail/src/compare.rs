/// How two copies of one message (same Message-ID, different bytes) differ,
/// so a person sees the difference instead of having it hidden.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CopyDifference {
    /// Header fields (unfolded) only the first copy has.
    pub only_in_first: Vec<String>,
    /// Header fields (unfolded) only the second copy has.
    pub only_in_second: Vec<String>,
    /// The bodies (everything after the header) differ, line ends aside.
    pub bodies_differ: bool,
}

/// Compares two raw messages header field by header field.
pub fn compare_copies(first: &[u8], second: &[u8]) -> CopyDifference {
    let (head_a, body_a) = split_header(first);
    let (head_b, body_b) = split_header(second);
    let fields_a = header_fields(head_a);
    let fields_b = header_fields(head_b);
    CopyDifference {
        only_in_first: fields_a
            .iter()
            .filter(|f| !fields_b.contains(f))
            .cloned()
            .collect(),
        only_in_second: fields_b
            .iter()
            .filter(|f| !fields_a.contains(f))
            .cloned()
            .collect(),
        bodies_differ: normalized_lines(body_a) != normalized_lines(body_b),
    }
}

fn split_header(raw: &[u8]) -> (&[u8], &[u8]) {
    let lf = raw
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|p| (p, p + 2));
    let crlf = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| (p, p + 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => {
            let (end, body) = if a.0 < b.0 { a } else { b };
            (&raw[..end], &raw[body..])
        }
        (Some((end, body)), None) | (None, Some((end, body))) => (&raw[..end], &raw[body..]),
        (None, None) => (raw, &[]),
    }
}

/// Header fields with continuation lines joined and line ends dropped.
fn header_fields(header: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(header);
    let mut fields: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        match (line.starts_with([' ', '\t']), fields.last_mut()) {
            (true, Some(last)) => {
                last.push(' ');
                last.push_str(line.trim());
            }
            _ => fields.push(line.to_owned()),
        }
    }
    fields
}

fn normalized_lines(body: &[u8]) -> Vec<&[u8]> {
    body.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_fields_that_differ() {
        let a =
            b"Received: from mx1\r\nSubject: Trunk\r\n  down\r\nMessage-ID: <x@y>\r\n\r\nbody\r\n";
        let b = b"Received: from mx2\nReceived: from mx1\nSubject: Trunk down\nMessage-ID: <x@y>\n\nbody\n";
        let d = compare_copies(a, b);
        assert_eq!(d.only_in_first, Vec::<String>::new());
        assert_eq!(d.only_in_second, vec!["Received: from mx2".to_owned()]);
        assert!(!d.bodies_differ);
        let c = b"Subject: Trunk down\nMessage-ID: <x@y>\n\nbody\n-- \nsent via list\n";
        let d = compare_copies(b, c);
        assert_eq!(
            d.only_in_first,
            vec!["Received: from mx2", "Received: from mx1"]
        );
        assert!(d.bodies_differ);
    }
}

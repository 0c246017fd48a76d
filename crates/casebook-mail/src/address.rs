use crate::header::{decode_words, encoded_word_len, unlabelled_text};
use std::fmt;

/// An e-mail address in its comparable form: trimmed, without angle
/// brackets, lower-case. Two spellings of one mailbox compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Normalises `raw`; `None` when it is no address: exactly one `@`
    /// outside a quoted local part, a local part, and a domain of
    /// letters, digits, `-`, `_` and dots (internationalised domains in
    /// their ASCII form, as lists and DNS compare them) or an address
    /// literal in brackets.
    pub fn parse(raw: &str) -> Option<Self> {
        let trimmed = raw
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return None;
        }
        let (local, domain) = trimmed.rsplit_once('@')?;
        let quoted = local.len() >= 2 && local.starts_with('"') && local.ends_with('"');
        if local.is_empty() || (!quoted && (local.contains('@') || local.contains('"'))) {
            return None;
        }
        let domain = ascii_domain(domain.trim_end_matches('.'))?;
        Some(Self(format!("{}@{domain}", local.to_lowercase())))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the last `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `domain` lower-case, in ASCII (punycode for an internationalised
/// one), if it is a domain or an address literal.
fn ascii_domain(domain: &str) -> Option<String> {
    if domain.starts_with('[') && domain.ends_with(']') && domain.len() > 2 {
        return Some(domain.to_lowercase());
    }
    let ascii = if domain.is_ascii() {
        domain.to_ascii_lowercase()
    } else {
        idna::domain_to_ascii(domain).ok()?
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    (!ascii.is_empty() && ascii.len() <= 253 && ascii.split('.').all(label_ok)).then_some(ascii)
}

/// A display name with its address, as in `Ann Example <ann@example.com>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub address: EmailAddress,
    pub name: Option<String>,
}

/// The mailboxes a person reading an address header (From, To, Cc, Bcc,
/// Reply-To, Sender: the raw value, unfolded) would see. Lenient like a
/// mail client: a whole header as one or several encoded-words, quoted or
/// encoded display names, comments, groups, missing angle brackets,
/// trailing garbage. An entry with no address in it at all is left out.
pub(crate) fn mailbox_list(value: &[u8]) -> Vec<Mailbox> {
    let text = unlabelled_text(value);
    let mut out = Vec::new();
    for item in split_items(&text) {
        read_item(item, &mut out, true);
    }
    out
}

fn read_item(item: &str, out: &mut Vec<Mailbox>, may_decode: bool) {
    if let Some(m) = structured(item) {
        out.push(m);
        return;
    }
    // `=?utf-8?b?…?=` for the whole entry: what it says, read as a list.
    if may_decode && item.contains("=?") {
        let decoded = decode_words(item.as_bytes());
        let before = out.len();
        for inner in split_items(&decoded) {
            read_item(inner, out, false);
        }
        if out.len() > before {
            return;
        }
    }
    // An address a reader still sees, in quotes or a comment.
    if let Some(address) = any_address(&decode_words(item.as_bytes())) {
        out.push(Mailbox {
            address,
            name: None,
        });
    }
}

/// Where a scan over header text is: inside quotes, a comment, angle
/// brackets, or at the top.
#[derive(Default)]
struct Scan {
    quoted: bool,
    escaped: bool,
    comment: usize,
    angle: bool,
}

impl Scan {
    /// Takes `c`; true when it is at the top level (outside quotes,
    /// comments and angle brackets, and not itself one of their marks).
    fn top(&mut self, c: char) -> bool {
        if self.escaped {
            self.escaped = false;
            return false;
        }
        match c {
            '\\' if self.quoted || self.comment > 0 => self.escaped = true,
            '"' if self.comment == 0 && !self.angle => self.quoted = !self.quoted,
            _ if self.quoted => {}
            '(' if !self.angle => self.comment += 1,
            ')' if self.comment > 0 => self.comment -= 1,
            _ if self.comment > 0 => {}
            '<' => self.angle = true,
            '>' if self.angle => self.angle = false,
            _ if self.angle => {}
            _ => return true,
        }
        false
    }
}

/// Entries of an address list: split on top-level `,` and `;`, a group's
/// name (`Team: a@x, b@y;`) dropped. Encoded-words are passed over whole
/// (lenient mailers leave `,` and `:` unencoded in them).
fn split_items(text: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut scan = Scan::default();
    let mut start = 0;
    let mut skip_to = 0;
    for (i, c) in text.char_indices() {
        if i < skip_to {
            continue;
        }
        let top = scan.top(c);
        if !top {
            continue;
        }
        if c == '=' {
            if let Some(len) = encoded_word_len(&text.as_bytes()[i..]) {
                skip_to = i + len;
                continue;
            }
        }
        match c {
            ',' | ';' => {
                items.push(&text[start..i]);
                start = i + 1;
            }
            ':' => start = i + 1,
            _ => {}
        }
    }
    items.push(&text[start..]);
    items.retain(|i| !i.trim().is_empty());
    items
}

/// An entry read by its structure: `name <addr>`, `addr (name)`,
/// `name addr` without brackets.
fn structured(item: &str) -> Option<Mailbox> {
    let mut scan = Scan::default();
    let mut open = None;
    let mut close = None;
    for (i, c) in item.char_indices() {
        let was_angle = scan.angle;
        scan.top(c);
        if c == '<' && !was_angle && scan.angle && open.is_none() {
            open = Some(i);
        } else if c == '>' && was_angle && !scan.angle && open.is_some() && close.is_none() {
            close = Some(i);
        }
    }
    if let Some(open) = open {
        let inner = &item[open + 1..close.unwrap_or(item.len())];
        // A source route, `<@relay,@relay:ann@example.com>`.
        let inner = match inner.trim_start().starts_with('@') {
            true => inner.rsplit_once(':').map_or(inner, |(_, a)| a),
            false => inner,
        };
        if let Some(address) = EmailAddress::parse(&compact_addr_spec(inner)) {
            return Some(Mailbox {
                address,
                name: phrase(&item[..open]),
            });
        }
    }
    let (bare, comments) = without_comments(item);
    if let Some(address) = EmailAddress::parse(&compact_addr_spec(&bare)) {
        return Some(Mailbox {
            address,
            name: comments.iter().find_map(|c| phrase(c)),
        });
    }
    // `Ann Lee ann@example.com`: one word is the address, the rest the name.
    let words: Vec<&str> = bare.split_whitespace().collect();
    let at = words
        .iter()
        .position(|w| w.contains('@') && EmailAddress::parse(w).is_some())?;
    let address = EmailAddress::parse(words[at])?;
    let rest: Vec<&str> = words
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != at)
        .map(|(_, w)| *w)
        .collect();
    Some(Mailbox {
        address,
        name: phrase(&rest.join(" ")),
    })
}

/// An addr-spec in obsolete syntax made plain: comments and the white
/// space allowed around its dots and `@` gone (`jdoe@machine. example`).
fn compact_addr_spec(raw: &str) -> String {
    let (bare, _) = without_comments(raw);
    let mut out = String::with_capacity(bare.len());
    let mut pending_space = false;
    for c in bare.trim().chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space && !matches!(c, '.' | '@') && !out.ends_with(['.', '@']) {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out
}

/// `item` without its comments, and the comments' texts.
fn without_comments(item: &str) -> (String, Vec<String>) {
    let mut bare = String::new();
    let mut comments = Vec::new();
    let mut current = String::new();
    let mut scan = Scan::default();
    for c in item.chars() {
        let depth = scan.comment;
        scan.top(c);
        if depth == 0 && scan.comment == 0 {
            bare.push(c);
        } else if depth > 0 && scan.comment == 0 {
            comments.push(std::mem::take(&mut current));
        } else if depth > 0 {
            current.push(c);
        }
    }
    (bare, comments)
}

/// A display name as a reader sees it: quotes and escapes gone,
/// encoded-words decoded, comments dropped, spaces collapsed.
fn phrase(raw: &str) -> Option<String> {
    let (bare, _) = without_comments(raw);
    let mut unquoted = String::with_capacity(bare.len());
    let mut escaped = false;
    for c in bare.chars() {
        match c {
            _ if escaped => {
                unquoted.push(c);
                escaped = false;
            }
            '\\' => escaped = true,
            '"' => {}
            _ => unquoted.push(c),
        }
    }
    let decoded = decode_words(unquoted.as_bytes());
    let name = decoded
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace())
        .to_owned();
    (!name.is_empty()).then_some(name)
}

/// The first word of `text` that is an address, wherever it stands.
fn any_address(text: &str) -> Option<EmailAddress> {
    text.split(|c: char| c.is_whitespace() || "<>()\",;:'".contains(c))
        .filter(|w| w.contains('@'))
        .find_map(EmailAddress::parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_brackets_and_spaces() {
        let a = EmailAddress::parse("  <Ann.Lee@Example.COM> ").map(|a| a.0);
        assert_eq!(a.as_deref(), Some("ann.lee@example.com"));
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        assert_eq!(EmailAddress::parse("undisclosed-recipients"), None);
        assert_eq!(EmailAddress::parse("@example.com"), None);
        assert_eq!(EmailAddress::parse("ann@"), None);
        assert_eq!(EmailAddress::parse("a b@example.com"), None);
        assert_eq!(EmailAddress::parse("two@@signs.com"), None);
        assert_eq!(EmailAddress::parse("ann@exa!mple.com"), None);
        assert_eq!(EmailAddress::parse("ann@example..com"), None);
    }

    #[test]
    fn internationalised_domains_compare_in_ascii() {
        let a = EmailAddress::parse("Jörg@Bücher.Example").map(|a| a.0);
        assert_eq!(a.as_deref(), Some("jörg@xn--bcher-kva.example"));
        let literal = EmailAddress::parse("root@[192.0.2.1]").map(|a| a.0);
        assert_eq!(literal.as_deref(), Some("root@[192.0.2.1]"));
    }

    #[test]
    fn domain_is_after_the_last_at() {
        let a = EmailAddress::parse("\"x@y\"@corp.example").map(|a| a.domain().to_owned());
        assert_eq!(a.as_deref(), Some("corp.example"));
    }
}

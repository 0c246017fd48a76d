//! The fuzz targets: for each parser of outside input, what must hold
//! whatever the bytes. libFuzzer runs them (the `fuzz/` crate, started by
//! `scripts/fuzz`); the tests replay every seed and every input a fuzzer
//! once found a fault with (`fuzz/regressions/TARGET/`) on each run of the
//! suite, so the targets cannot rot and a fixed fault stays fixed.
//!
//! A target takes any bytes and panics only when a property of the
//! product breaks; an error for bad input is an answer, not a fault.

pub mod inert;
pub mod seeds;

use std::collections::HashSet;
use std::path::Path;

/// A target: its name (also its binary's in `fuzz/`) and its check.
pub struct Target {
    pub name: &'static str,
    pub check: fn(&[u8]),
}

/// Every target.
pub const TARGETS: &[Target] = &[
    Target {
        name: "parse",
        check: parse,
    },
    Target {
        name: "mbox",
        check: mbox,
    },
    Target {
        name: "maildir",
        check: maildir,
    },
    Target {
        name: "query",
        check: query,
    },
    Target {
        name: "customer_list",
        check: customer_list,
    },
    Target {
        name: "config",
        check: config,
    },
    Target {
        name: "raw_open",
        check: raw_open,
    },
    Target {
        name: "html_clean",
        check: html_clean,
    },
    Target {
        name: "praise",
        check: praise,
    },
    Target {
        name: "privacy_request",
        check: privacy_request,
    },
];

/// Limits small enough that fuzz inputs cross them.
const TIGHT: casebook_mail::Limits = casebook_mail::Limits {
    parse_bytes: 2048,
    text_bytes: 256,
    parts: 3,
    references: 4,
    header_bytes: 512,
    subject_chars: 20,
};

/// Raw bytes → what the archive stores of a message: parsing never fails
/// or panics, no NUL reaches a text column, every limit holds, and
/// attachments and the HTML body read back.
pub fn parse(raw: &[u8]) {
    let parsed = casebook_mail::parse(raw);
    for text in [&parsed.subject, &parsed.text] {
        assert!(!text.contains('\0'), "NUL reaches a text column");
    }
    let cut = casebook_mail::parse_within(raw, &TIGHT);
    assert!(cut.text.len() <= TIGHT.text_bytes);
    assert!(cut.attachments.len() <= TIGHT.parts);
    assert!(cut.references.len() <= TIGHT.references);
    assert!(cut.subject.chars().count() <= TIGHT.subject_chars);
    for n in 0..parsed.attachments.len().min(4) {
        let _ = casebook_mail::attachment(raw, n);
    }
    let _ = casebook_mail::html_body(raw);
    let _ = casebook_mail::check_is_mail(raw);
    let _ = casebook_mail::normalize_subject(&parsed.subject);
}

/// The mbox splitter: its messages come out of the input, never more
/// bytes than went in.
pub fn mbox(data: &[u8]) {
    let mut total = 0usize;
    let _ = casebook_mailbox::split_mbox(data, |_, m| total += m.len());
    assert!(total <= data.len(), "{total} bytes out of {}", data.len());
}

/// Maildir folders a fuzzer may write into (a folder byte picks one).
const FOLDERS: [&str; 8] = [
    "cur",
    "new",
    "tmp",
    ".Sent/cur",
    ".Sent/new",
    ".Junk.Sub/cur",
    "odd dir/cur",
    "cur/nested",
];
/// File name endings a fuzzer may give (a flags byte picks one).
const FLAGS: [&str; 6] = ["", ":2,S", ":2,", ":2,RST", ":1,x", ":2,S:2,T"];

/// The Maildir (and folder-of-files) reader. The input describes a tree —
/// entries separated by 0xFF, each a folder byte, a flags byte and the
/// file's contents — written to a temp dir and read back: discovery and
/// reading never panic, every message read is a file that was written
/// (or, for a file read as mbox, a piece of one), no place is read twice.
pub fn maildir(data: &[u8]) {
    let Ok(root) = tempfile::tempdir() else {
        return;
    };
    let maildir = root.path().join("Maildir");
    let mut written = HashSet::new();
    for (i, entry) in data.split(|&b| b == 0xFF).take(64).enumerate() {
        let (Some(&folder), Some(&flags)) = (entry.first(), entry.get(1)) else {
            continue;
        };
        let dir = maildir.join(FOLDERS[usize::from(folder) % FOLDERS.len()]);
        if std::fs::create_dir_all(&dir).is_err() {
            continue;
        }
        let name = format!("{i}.fuzz{}", FLAGS[usize::from(flags) % FLAGS.len()]);
        if std::fs::write(dir.join(name), &entry[2..]).is_ok() {
            written.insert(entry[2..].to_vec());
        }
    }
    let Ok(sources) = casebook_mailbox::discover(&maildir) else {
        return;
    };
    let mut seen_places = HashSet::new();
    for source in sources {
        source.read(&mut |item| {
            if let Ok(found) = item {
                // A file that starts with "From " is read as an mbox: its
                // messages are pieces of it, without the separator lines.
                let piece_of_a_file = written.contains(&found.bytes)
                    || written.iter().any(|w| {
                        found.bytes.len() < w.len()
                            && w.windows(found.bytes.len().max(1))
                                .any(|part| part == found.bytes)
                    });
                assert!(piece_of_a_file, "read bytes nobody wrote");
                assert!(
                    seen_places.insert(found.location.source.clone()),
                    "read twice: {}",
                    found.location.source
                );
            }
        });
    }
}

/// The query language: any text parses to an expression or an error whose
/// position lies inside the query.
pub fn query(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = casebook_search::parse_query(text) {
            assert!(e.position <= text.chars().count());
        }
    }
}

/// The CSV list reader: any bytes give records (each with a usable
/// address) or an error, never a panic.
pub fn customer_list(data: &[u8]) {
    if let Ok(list) = casebook_customers::read_list(data, &[]) {
        for r in &list.records {
            assert!(r.address.contains('@'), "record without an address");
        }
    }
}

/// The config file: any text is a config or an error naming the file.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzzed-casebook.toml");
    if let Err(e) = casebook_config::Config::parse(text, path) {
        let message = e.to_string();
        assert!(
            message.contains("fuzzed-casebook.toml"),
            "an error that does not name the file: {message}"
        );
    }
}

/// A message, compressed and sealed as the store keeps it, then changed
/// by the input; and the input itself as a stored value. Opening either
/// gives the original bytes or an error — never other bytes, never a
/// panic. (The key is fixed: what is fuzzed is what an attacker with
/// write access to the database, not to the key, can do.)
pub fn raw_open(data: &[u8]) {
    let Some(key) = casebook_store::RawKey::from_hex(&"5a".repeat(32)) else {
        panic!("the fixed key does not read");
    };
    let keys = std::slice::from_ref(&key);
    let original = b"From: ann@example.com\r\nSubject: PIN\r\n\r\nThe PIN is 4711.\r\n".repeat(4);
    let Ok(sealed) = casebook_store::compress_raw(&original, Some(&key)) else {
        panic!("sealing failed");
    };
    // The input as edits: pairs of (position, XOR mask); a first byte of
    // 0xFF cuts the value at the next byte's position instead.
    let mut changed = sealed.bytes().to_vec();
    match data {
        [0xFF, at, ..] => changed.truncate(usize::from(*at) % (changed.len() + 1)),
        _ => {
            for pair in data.chunks_exact(2) {
                let at = usize::from(pair[0]) % changed.len();
                changed[at] ^= pair[1];
            }
        }
    }
    let untouched = changed == sealed.bytes();
    match casebook_store::open_raw(&changed, original.len(), keys) {
        Ok(opened) => assert_eq!(opened, original, "a changed value opened to other bytes"),
        Err(_) => assert!(!untouched, "the untouched value did not open"),
    }
    if let Ok(opened) = casebook_store::open_raw_unsized(&changed, keys) {
        assert_eq!(opened, original, "a changed value opened to other bytes");
    }
    // Any bytes as a stored value: bounded by the size the row claims.
    let _ = casebook_store::open_raw(data, data.len().min(1 << 16), keys);
}

/// HTML cleaning for the message frame: what comes out is inert (no
/// script, no event handler, no `javascript:` link), or the HTML is
/// refused naming the cap it is over.
pub fn html_clean(data: &[u8]) {
    let html = String::from_utf8_lossy(data);
    if let Ok(clean) = casebook_web::clean_message_html(&html) {
        if let Err(why) = inert::check(&clean) {
            panic!("cleaned HTML is not inert ({why}): {clean}");
        }
    }
}

/// The praise detector: folding a message hides no line, and every quote
/// and permission it suggests stands word for word in the customer's own
/// words — the rule testimonials are published under.
pub fn praise(data: &[u8]) {
    use casebook_policy::praise;
    let text = String::from_utf8_lossy(data);
    // Folding a message for reading hides nothing: every line is in one
    // passage, in order.
    let lines: Vec<&str> = praise::passages(&text)
        .into_iter()
        .flat_map(praise::Passage::into_lines)
        .collect();
    assert_eq!(
        lines,
        text.lines().collect::<Vec<_>>(),
        "a line lost in folding"
    );
    if let Some(found) = praise::assess(&text, false) {
        for quote in found.quotes.iter().chain(&found.permission) {
            assert!(
                praise::appears_verbatim(quote, &text),
                "suggested words the customer did not write: {quote:?}"
            );
        }
    }
}

/// The privacy-request detector: each kind at most once, the same answer
/// twice.
pub fn privacy_request(data: &[u8]) {
    use casebook_policy::privacy_request::detect;
    let text = String::from_utf8_lossy(data);
    let kinds = detect(&text);
    let distinct: HashSet<_> = kinds.iter().collect();
    assert_eq!(distinct.len(), kinds.len(), "a kind twice: {kinds:?}");
    assert_eq!(detect(&text), kinds, "two answers for one text");
}

//! mail-parser's `resources/`: its address cases, and its 160-odd test
//! messages. Casebook reads addresses leniently, in its own code: it must
//! find every address mail-parser finds, and no others but those a reader
//! would also see.

use std::path::PathBuf;

/// The registry copy of the mail-parser crate this workspace builds with.
fn resources() -> PathBuf {
    let lock = include_str!("../../../../Cargo.lock");
    let version = lock
        .split("[[package]]")
        .find(|p| p.contains("name = \"mail-parser\""))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"').to_owned())
        .expect("mail-parser in Cargo.lock");
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME or CARGO_HOME")).join(".cargo")
        });
    let src = home.join("registry/src");
    let entries =
        std::fs::read_dir(&src).unwrap_or_else(|e| panic!("cannot read {}: {e}", src.display()));
    for registry in entries.flatten() {
        let dir = registry
            .path()
            .join(format!("mail-parser-{version}/resources"));
        if dir.is_dir() {
            return dir;
        }
    }
    panic!(
        "mail-parser {version}'s resources/ not found under {}",
        src.display()
    )
}

/// Addresses in mail-parser's expected value, comparable: obsolete spaces
/// and comments gone, then normalised; what is no address (a URL, `NO`)
/// left out.
fn expected_addresses(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(a)) = map.get("address") {
                let compact: String = a.chars().filter(|c| !c.is_whitespace()).collect();
                if let Some(a) = casebook_mail::EmailAddress::parse(&compact) {
                    out.push(a.to_string());
                }
            }
            map.values().for_each(|v| expected_addresses(v, out));
        }
        serde_json::Value::Array(list) => list.iter().for_each(|v| expected_addresses(v, out)),
        _ => {}
    }
}

fn from_of(header: &str) -> Vec<String> {
    let raw = format!("To: {header}\n\nbody\n");
    casebook_mail::parse(raw.as_bytes())
        .to
        .into_iter()
        .map(|m| m.address.to_string())
        .collect()
}

#[test]
fn every_address_mail_parser_finds_is_found() {
    let path = resources().join("address.json");
    let cases: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&path).expect("address.json")).expect("json");
    assert!(cases.len() > 50, "{} cases", cases.len());
    // Beyond mail-parser: the mailbox behind an obsolete source route.
    let extras = ["mary@example.net"];
    let mut compared = 0;
    for case in &cases {
        let header = case["header"].as_str().expect("header");
        // A header ends at a line that does not start with white space.
        let header = header
            .split('\n')
            .enumerate()
            .take_while(|(i, l)| *i == 0 || l.starts_with([' ', '\t']))
            .map(|(_, l)| l)
            .collect::<Vec<_>>()
            .join("\n");
        let mut expected = Vec::new();
        expected_addresses(&case["expected"], &mut expected);
        expected.dedup();
        let found = from_of(&header);
        for a in &expected {
            assert!(found.contains(a), "{header:?}: {a} not found in {found:?}");
        }
        for a in &found {
            assert!(
                expected.contains(a) || extras.contains(&a.as_str()),
                "{header:?}: {a} found, mail-parser says {expected:?}"
            );
        }
        compared += expected.len();
    }
    assert!(compared > 60, "only {compared} addresses compared");
}

#[test]
fn the_test_messages_keep_every_sender_mail_parser_reads() {
    let mut files = Vec::new();
    let root = resources().join("eml");
    for dir in std::fs::read_dir(&root).expect("eml/").flatten() {
        for f in std::fs::read_dir(dir.path()).expect("a folder").flatten() {
            if f.path().extension().is_some_and(|e| e == "eml") {
                files.push(f.path());
            }
        }
    }
    assert!(files.len() > 100, "{} messages", files.len());
    let mut senders = 0;
    for file in &files {
        let raw = std::fs::read(file).expect("a message");
        let ours = casebook_mail::parse(&raw);
        let theirs = mail_parser::MessageParser::default().parse(&raw);
        let their_from = theirs
            .as_ref()
            .and_then(|m| m.from())
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .and_then(casebook_mail::EmailAddress::parse);
        if let Some(a) = their_from {
            senders += 1;
            let ours = ours.from.as_ref().map(|f| &f.address);
            assert_eq!(ours, Some(&a), "{}", file.display());
        }
    }
    assert!(senders > 50, "only {senders} senders compared");
}

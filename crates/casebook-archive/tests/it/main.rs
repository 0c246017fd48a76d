//! Integration tests of the archive layer: real files, a real store (SQLite,
//! or PostgreSQL when `scripts/test` runs the suite on it) and a real index
//! in a temp dir, compared with the generated corpus's ground truth and
//! with hand-written broken mail.

mod corpus;
mod malformed;
mod privacy;
mod properties;
mod recovery;
mod search;
mod similar;
mod statistics;
mod testimonials;

use casebook_archive::{Archive, MessageId, NoProgress, StoreLocation};
use casebook_config::Config;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub fn our_config() -> Config {
    Config::parse(
        &format!("our_domains = [\"{}\"]", casebook_corpus::OUR_DOMAIN),
        Path::new("test.toml"),
    )
    .expect("valid config")
}

/// The config of the archive in `data_dir`, with the database this test
/// run's backend gives it.
pub fn config_for(data_dir: &Path) -> Config {
    let mut config = our_config();
    config.database_url = casebook_testkit::database_url(data_dir)
        .map(|url| StoreLocation::parse(&url).expect("test database URL"));
    config
}

pub async fn open(dir: &Path) -> Archive {
    Archive::open(dir, config_for(dir))
        .await
        .expect("archive opens")
}

pub async fn import(archive: &Archive, paths: &[PathBuf]) -> casebook_archive::ImportReport {
    archive
        .import(paths, &NoProgress)
        .await
        .expect("import runs")
}

/// The files of the corpus in `corpus` (its Maildir, ours and theirs)
/// dealt in turn into `n` folders of .eml files, `part0` to `partN`:
/// replies land in later parts than what they answer, and the other way
/// round.
pub fn deal_into_parts(corpus: &Path, n: usize) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["cur", "new", ".Sent/cur", ".Sent/new"]
        .iter()
        .filter_map(|d| std::fs::read_dir(corpus.join("Maildir").join(d)).ok())
        .flatten()
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let parts: Vec<PathBuf> = (0..n).map(|i| corpus.join(format!("part{i}"))).collect();
    for (i, file) in files.iter().enumerate() {
        let dir = &parts[i % n];
        std::fs::create_dir_all(dir).expect("part");
        std::fs::copy(file, dir.join(format!("{i}.eml"))).expect("copy");
    }
    parts
}

/// The repository's `tests/messages` folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/messages")
}

/// Maps every stored message (copies too) to its corpus key, read from
/// its raw bytes' `X-Corpus-Key` header.
pub async fn keys(archive: &Archive) -> HashMap<String, MessageId> {
    every_raw(archive)
        .await
        .into_iter()
        .map(|(id, _, raw)| (corpus_key(&raw), id))
        .collect()
}

/// Maps each of the first 100 messages' Message-ID to its number (for
/// tests of a few hand-written messages).
pub async fn keys_by_message_id(archive: &Archive) -> HashMap<String, MessageId> {
    archive
        .list(MessageId(0), 100, false)
        .await
        .expect("list")
        .into_iter()
        .filter_map(|m| m.message_id_header.map(|mid| (mid, m.id)))
        .collect()
}

/// Every stored message, copies too: its id, the summary of the message
/// it belongs to (a copy's original), and its raw bytes.
pub async fn every_raw(
    archive: &Archive,
) -> Vec<(MessageId, casebook_archive::MessageSummary, Vec<u8>)> {
    let mut out = Vec::new();
    let mut after = MessageId(0);
    loop {
        let page = archive.list(after, 500, false).await.expect("list");
        let Some(last) = page.last() else { break };
        after = last.id;
        for m in page {
            let message = archive.message(m.id).await.expect("read").expect("exists");
            for id in std::iter::once(m.id).chain(message.copies) {
                let raw = archive.raw(id).await.expect("raw").expect("exists");
                out.push((id, m.clone(), raw));
            }
        }
    }
    out
}

fn corpus_key(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    text.lines()
        .find_map(|l| l.strip_prefix("X-Corpus-Key: "))
        .map(|k| k.trim().to_owned())
        .expect("every corpus message has a key")
}

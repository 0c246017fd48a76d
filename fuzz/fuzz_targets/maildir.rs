//! The Maildir (and folder-of-files) reader: the input describes a tree —
//! entries separated by 0xFF, each a folder selector byte, a flags byte and
//! the file's contents — written to a temp dir and read back. Discovery and
//! reading never panic, every message read is a file that was written (or,
//! for a file read as mbox, a piece of one), and no place is read twice.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;

const FOLDERS: [&str; 8] = [
    "cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Junk.Sub/cur", "odd dir/cur", "cur/nested",
];
const FLAGS: [&str; 6] = ["", ":2,S", ":2,", ":2,RST", ":1,x", ":2,S:2,T"];

fuzz_target!(|data: &[u8]| {
    let Ok(root) = tempfile::tempdir() else { return };
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
    let Ok(sources) = casebook_mailbox::discover(&maildir) else { return };
    let mut seen_places = HashSet::new();
    for source in sources {
        source.read(&mut |item| {
            if let Ok(found) = item {
                // A file that starts with "From " is read as an mbox: its
                // messages are pieces of it, without the separator lines.
                let piece_of_a_file = written.contains(&found.bytes)
                    || written.iter().any(|w| {
                        found.bytes.len() < w.len()
                            && w.windows(found.bytes.len().max(1)).any(|part| part == found.bytes)
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
});

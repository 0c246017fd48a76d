use crate::{mbox::split_mbox, FoundMessage, Location, SourceError};
use std::fs;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// What kind of mail store a path holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A folder with `cur/` and `new/`.
    Maildir,
    /// A file of messages separated by `From ` lines.
    Mbox,
    /// A file holding one message.
    Eml,
    /// A Maildir's `tmp/`: deliveries that never finished. Each file is
    /// named as not taken in, never read as mail.
    MaildirTmp,
}

/// One place to read mail from, with the folder name its messages get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub kind: SourceKind,
    pub path: PathBuf,
    pub folder: String,
}

/// Finds every mail source at or below `path`: a Maildir and its Dovecot
/// subfolders, an mbox, an `.eml`, or a folder holding any of these.
pub fn discover(path: &Path) -> Result<Vec<Source>, SourceError> {
    let meta = fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => SourceError::Missing {
            path: path.to_owned(),
        },
        _ => read_error(path, e),
    })?;
    let mut found = Vec::new();
    if meta.is_dir() {
        walk_dir(path, &folder_name_of(path), &mut found)?;
    } else {
        found.push(file_source(path, &folder_name_of_file(path))?);
    }
    Ok(found)
}

fn walk_dir(dir: &Path, folder: &str, found: &mut Vec<Source>) -> Result<(), SourceError> {
    if is_maildir(dir) {
        found.push(Source {
            kind: SourceKind::Maildir,
            path: dir.to_owned(),
            folder: folder.to_owned(),
        });
        if dir.join("tmp").is_dir() {
            found.push(Source {
                kind: SourceKind::MaildirTmp,
                path: dir.join("tmp"),
                folder: folder.to_owned(),
            });
        }
        for entry in SortedNames::read(dir)?.paths() {
            let name = entry
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            if let Some(sub) = name.strip_prefix('.') {
                // Dovecot's Maildir++ layout: subfolders are `.Name` (and
                // `.A.B`) beside cur/new/tmp; other dot entries are hidden.
                if !sub.is_empty() && is_maildir(&entry) {
                    walk_dir(&entry, &sub.replace('.', "/"), found)?;
                }
                continue;
            }
            if matches!(name.as_str(), "cur" | "new" | "tmp") || is_bookkeeping(&name) {
                continue;
            }
            // The filesystem layout (mbsync's `SubFolders Verbatim`,
            // Dovecot's `LAYOUT=fs`): folders inside the Maildir, at any
            // depth, and loose message files beside cur/ and new/.
            let child = if folder == "INBOX" {
                name.clone()
            } else {
                format!("{folder}/{name}")
            };
            if entry.is_dir() {
                walk_dir(&entry, &child, found)?;
            } else if entry.is_file() {
                found.push(file_source(&entry, folder)?);
            }
        }
        return Ok(());
    }
    for entry in SortedNames::read(dir)?.paths() {
        let name = entry
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if name.starts_with('.') || is_bookkeeping(&name) {
            continue;
        }
        if entry.is_dir() {
            walk_dir(&entry, &name, found)?;
        } else if entry.is_file() {
            found.push(file_source(&entry, folder)?);
        }
    }
    Ok(())
}

/// Files a mail store keeps beside the mail (Dovecot's indexes and UID
/// lists, Courier's, quota files, subscriptions): not mail, not reported.
fn is_bookkeeping(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "maildirfolder",
        "maildirsize",
        "subscriptions",
        "dovecot-shared",
        "courierimapsubscribed",
    ];
    NAMES.contains(&name)
        || name.starts_with("dovecot.")
        || name.starts_with("dovecot-")
        || name.starts_with("courierimap")
}

fn file_source(path: &Path, folder: &str) -> Result<Source, SourceError> {
    let mut head = [0u8; 5];
    let mut file = fs::File::open(path).map_err(|e| read_error(path, e))?;
    let n = read_up_to(&mut file, &mut head).map_err(|e| read_error(path, e))?;
    // An `.eml` is one message, whatever lines its body holds.
    let eml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("eml") || e.eq_ignore_ascii_case("msg"));
    let kind = if !eml && &head[..n] == b"From " {
        SourceKind::Mbox
    } else {
        SourceKind::Eml
    };
    Ok(Source {
        kind,
        path: path.to_owned(),
        folder: folder.to_owned(),
    })
}

fn read_up_to(file: &mut fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

impl Source {
    /// Reads every message of this source in a stable order, handing each
    /// (or the error that kept it from being read) to `each`.
    pub fn read(&self, each: &mut dyn FnMut(Result<FoundMessage, SourceError>)) {
        match self.kind {
            SourceKind::Eml => each(
                fs::read(&self.path)
                    .map_err(|e| read_error(&self.path, e))
                    .map(|bytes| FoundMessage {
                        location: self.location(self.path.display().to_string()),
                        bytes: without_envelope_line(bytes),
                    }),
            ),
            SourceKind::MaildirTmp => match SortedNames::read(&self.path) {
                Ok(files) => files
                    .paths()
                    .filter(|f| f.is_file())
                    .for_each(|path| each(Err(SourceError::Unfinished { path }))),
                Err(e) => each(Err(e)),
            },
            SourceKind::Mbox => self.read_mbox(each),
            SourceKind::Maildir => self.read_maildir(each),
        }
    }

    fn location(&self, source: String) -> Location {
        Location {
            source,
            folder: self.folder.clone(),
        }
    }

    fn read_mbox(&self, each: &mut dyn FnMut(Result<FoundMessage, SourceError>)) {
        let file = match fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) => return each(Err(read_error(&self.path, e))),
        };
        let result = split_mbox(BufReader::with_capacity(1 << 20, file), |index, bytes| {
            each(Ok(FoundMessage {
                location: self.location(format!("{}#{index}", self.path.display())),
                bytes,
            }))
        });
        if let Err(e) = result {
            each(Err(read_error(&self.path, e)));
        }
    }

    fn read_maildir(&self, each: &mut dyn FnMut(Result<FoundMessage, SourceError>)) {
        for sub in ["cur", "new"] {
            let dir = self.path.join(sub);
            let names = match SortedNames::read(&dir) {
                Ok(names) => names,
                Err(e) => return each(Err(e)),
            };
            for file in names.paths().filter(|p| p.is_file()) {
                let item = fs::read(&file)
                    .map_err(|e| read_error(&file, e))
                    .map(|bytes| FoundMessage {
                        location: self.location(maildir_identity(&file)),
                        bytes,
                    });
                each(item);
            }
        }
    }
}

/// A single message saved with its mbox envelope line (`From ann@x Mon
/// …`) first, as some clients save one: the message is what follows it.
fn without_envelope_line(bytes: Vec<u8>) -> Vec<u8> {
    if !bytes.starts_with(b"From ") {
        return bytes;
    }
    match bytes.iter().position(|&b| b == b'\n') {
        Some(end) => bytes[end + 1..].to_vec(),
        None => bytes,
    }
}

/// A Maildir file's name changes with its flags (`:2,S` when read) and it
/// moves from new/ to cur/; its identity is the folder and the unique part.
fn maildir_identity(file: &Path) -> String {
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    let unique = name.split_once(':').map_or(&*name, |(u, _)| u);
    let folder = file
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new(""));
    format!("{}/{unique}", folder.display())
}

fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() && dir.join("new").is_dir()
}

/// A folder's entry names in byte order, held as one buffer and a span
/// per name: a Maildir folder of a million messages costs its names'
/// bytes and 16 bytes each (~48 MB), not a path each (~105 MB).
struct SortedNames {
    dir: PathBuf,
    bytes: Vec<u8>,
    spans: Vec<(usize, usize)>,
}

impl SortedNames {
    fn read(dir: &Path) -> Result<Self, SourceError> {
        use std::os::unix::ffi::OsStrExt;
        let (mut bytes, mut spans) = (Vec::new(), Vec::new());
        for entry in fs::read_dir(dir).map_err(|e| read_error(dir, e))? {
            let name = entry.map_err(|e| read_error(dir, e))?.file_name();
            let start = bytes.len();
            bytes.extend_from_slice(name.as_bytes());
            spans.push((start, bytes.len()));
        }
        spans.sort_unstable_by(|a, b| bytes[a.0..a.1].cmp(&bytes[b.0..b.1]));
        Ok(Self {
            dir: dir.to_owned(),
            bytes,
            spans,
        })
    }

    /// Each entry's path, in order.
    fn paths(&self) -> impl Iterator<Item = PathBuf> + '_ {
        use std::os::unix::ffi::OsStrExt;
        self.spans.iter().map(|&(start, end)| {
            self.dir
                .join(std::ffi::OsStr::from_bytes(&self.bytes[start..end]))
        })
    }
}

fn folder_name_of(dir: &Path) -> String {
    if is_maildir(dir) {
        return "INBOX".to_owned();
    }
    dir.file_name()
        .map_or_else(|| "INBOX".to_owned(), |n| n.to_string_lossy().into_owned())
}

fn folder_name_of_file(file: &Path) -> String {
    file.parent()
        .and_then(Path::file_name)
        .map_or_else(|| "INBOX".to_owned(), |n| n.to_string_lossy().into_owned())
}

fn read_error(path: &Path, source: std::io::Error) -> SourceError {
    SourceError::Read {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, bytes: &[u8]) {
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, bytes).expect("write");
    }

    #[test]
    fn a_folders_names_come_in_byte_order_as_paths() {
        let dir = tempfile::tempdir().expect("tempdir");
        let names = ["b", "a:2,S", "B", "aa", "ä", "1700000000.x"];
        for n in names {
            write(&dir.path().join(n), b"x");
        }
        let mut expected: Vec<PathBuf> = names.iter().map(|n| dir.path().join(n)).collect();
        expected.sort();
        let read = SortedNames::read(dir.path()).expect("read");
        assert_eq!(read.paths().collect::<Vec<_>>(), expected);
        assert!(SortedNames::read(&dir.path().join("missing")).is_err());
    }

    fn read_all(root: &Path) -> Vec<(String, String, Vec<u8>)> {
        let mut out = Vec::new();
        for source in discover(root).expect("discover") {
            source.read(&mut |item| {
                let m = item.expect("readable");
                out.push((m.location.folder, m.location.source, m.bytes));
            });
        }
        out
    }

    #[test]
    fn maildir_with_dovecot_subfolders() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let md = tmp.path().join("support");
        write(&md.join("cur/1.host:2,S"), b"Subject: a\n\n");
        write(&md.join("new/2.host"), b"Subject: b\n\n");
        fs::create_dir_all(md.join("tmp")).expect("mkdir");
        write(&md.join(".Sent/cur/3.host:2,"), b"Subject: c\n\n");
        fs::create_dir_all(md.join(".Sent/new")).expect("mkdir");
        let got = read_all(&md);
        let folders: Vec<_> = got.iter().map(|(f, _, _)| f.as_str()).collect();
        assert_eq!(folders, ["INBOX", "INBOX", "Sent"]);
        assert!(got[0].1.ends_with("support/1.host"), "{}", got[0].1);
    }

    #[test]
    fn mbox_and_eml_in_a_folder_tree() {
        let tmp = tempfile::tempdir().expect("tempdir");
        write(
            &tmp.path().join("archive/2008.mbox"),
            b"From a Mon Jan  1 00:00:00 2024\nSubject: 1\n\nx\n\nFrom b Mon Jan  1 00:00:01 2024\nSubject: 2\n\ny\n",
        );
        write(
            &tmp.path().join("archive/old/one.eml"),
            b"Subject: 3\n\nz\n",
        );
        let got = read_all(&tmp.path().join("archive"));
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].0, "archive");
        assert!(got[0].1.ends_with("2008.mbox#1"));
        assert!(got[1].1.ends_with("2008.mbox#2"));
        assert_eq!(got[2].0, "old");
        assert_eq!(got[2].2, b"Subject: 3\n\nz\n");
    }

    /// What every file under a tree became: (folder, file name) read as
    /// mail, and the files named as not taken in.
    fn account(root: &Path) -> (Vec<(String, String)>, Vec<String>) {
        let mut read = Vec::new();
        let mut refused = Vec::new();
        for source in discover(root).expect("discover") {
            source.read(&mut |item| match item {
                Ok(m) => {
                    let name = m
                        .location
                        .source
                        .rsplit('/')
                        .next()
                        .unwrap_or("")
                        .to_owned();
                    read.push((m.location.folder, name));
                }
                Err(e) => refused.push(format!("{}: {e}", e.path().display())),
            });
        }
        read.sort();
        (read, refused)
    }

    #[test]
    fn the_filesystem_layout_at_any_depth_and_loose_files_are_read() {
        // As mbsync's `SubFolders Verbatim` and Dovecot's LAYOUT=fs leave it.
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("mail");
        let mail = b"Subject: x\n\nbody\n";
        write(&root.join("cur/1.h:2,S"), mail);
        fs::create_dir_all(root.join("new")).expect("mkdir");
        write(&root.join("tmp/9.h"), mail);
        write(&root.join("dovecot-uidlist"), b"3 V1 N2\n");
        write(&root.join("dovecot.index.log"), b"\0\0");
        write(&root.join("projects/cur/2.h:2,"), mail);
        write(&root.join("projects/new/3.h"), mail);
        write(&root.join("projects/maildirfolder"), b"");
        write(&root.join("projects/2009/new/4.h"), mail);
        fs::create_dir_all(root.join("projects/2009/cur")).expect("mkdir");
        write(&root.join("projects/loose-5"), mail);
        write(&root.join("loose/6"), mail);
        write(&root.join("loose/7.eml"), mail);
        write(&root.join(".Sent/cur/8.h:2,S"), mail);
        fs::create_dir_all(root.join(".Sent/new")).expect("mkdir");
        write(&root.join(".Sent/archive/cur/10.h"), mail);
        fs::create_dir_all(root.join(".Sent/archive/new")).expect("mkdir");
        let (read, refused) = account(&root);
        let got: Vec<(&str, &str)> = read.iter().map(|(f, n)| (f.as_str(), n.as_str())).collect();
        assert_eq!(
            got,
            [
                ("INBOX", "1.h"),
                ("Sent", "8.h"),
                ("Sent/archive", "10.h"),
                ("loose", "6"),
                ("loose", "7.eml"),
                ("projects", "2.h"),
                ("projects", "3.h"),
                ("projects", "loose-5"),
                ("projects/2009", "4.h"),
            ]
        );
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(
            refused[0].contains("tmp/9.h: a Maildir tmp/ file"),
            "{refused:?}"
        );
    }

    #[test]
    fn an_eml_is_one_message_whatever_its_body_holds() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let message = b"From: Ann <ann@x.example>\nSubject: patch\n\nSee below.\n\nFrom fc88cba Mon Sep 17 00:00:00 2001\nFrom: Ann <ann@x.example>\n";
        let mut saved = b"From ann@x.example Mon Jan  1 00:00:00 2024\n".to_vec();
        saved.extend_from_slice(message);
        write(&tmp.path().join("patch.eml"), &saved);
        let got = read_all(&tmp.path().join("patch.eml"));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].2, message.to_vec());
    }

    #[test]
    fn a_missing_path_is_named() {
        let err = discover(Path::new("/nonexistent/casebook/x")).expect_err("missing");
        assert!(err
            .to_string()
            .contains("/nonexistent/casebook/x does not exist"));
    }
}

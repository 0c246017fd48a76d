//! Writing the corpus as a Maildir and as mbox files.

use crate::{CorpusError, MessageDraft, Truth, TruthMessage};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes messages as they are made: each to its Maildir file and to the
/// end of its mbox.
pub(crate) struct Writer {
    out: PathBuf,
    maildir: PathBuf,
    sent: PathBuf,
    inbox_mbox: BufWriter<File>,
    sent_mbox: BufWriter<File>,
}

impl Writer {
    pub(crate) fn create(out: &Path) -> Result<Self, CorpusError> {
        let maildir = out.join("Maildir");
        let sent = maildir.join(".Sent");
        for dir in [&maildir, &sent] {
            for sub in ["cur", "new", "tmp"] {
                mkdir(&dir.join(sub))?;
            }
        }
        mkdir(&out.join("mbox"))?;
        Ok(Self {
            out: out.to_owned(),
            inbox_mbox: create(&out.join("mbox/INBOX"))?,
            sent_mbox: create(&out.join("mbox/Sent"))?,
            maildir,
            sent,
        })
    }

    /// Writes message `i` of the corpus.
    pub(crate) fn write(
        &mut self,
        i: usize,
        draft: &MessageDraft,
        t: &TruthMessage,
    ) -> Result<(), CorpusError> {
        let bytes = draft.render();
        let outbound = t.direction == "outbound";
        let folder = if outbound { &self.sent } else { &self.maildir };
        // Some mail is still new, some has been seen (and renamed with flags).
        let name = if i.is_multiple_of(3) {
            format!("new/{}.{}.casebook", draft.date, i)
        } else {
            format!("cur/{}.{}.casebook:2,S", draft.date, i)
        };
        write_file(&folder.join(name), &bytes)?;
        let (mbox, name) = if outbound {
            (&mut self.sent_mbox, "mbox/Sent")
        } else {
            (&mut self.inbox_mbox, "mbox/INBOX")
        };
        let mut entry = Vec::with_capacity(bytes.len() + 128);
        append_mbox(&mut entry, draft, &bytes);
        mbox.write_all(&entry).map_err(|source| CorpusError::Write {
            path: self.out.join(name),
            source,
        })
    }

    /// Ends the mbox files and writes `truth.json`.
    pub(crate) fn finish(mut self, truth: &Truth) -> Result<(), CorpusError> {
        for (mbox, name) in [
            (&mut self.inbox_mbox, "mbox/INBOX"),
            (&mut self.sent_mbox, "mbox/Sent"),
        ] {
            mbox.flush().map_err(|source| CorpusError::Write {
                path: self.out.join(name),
                source,
            })?;
        }
        let json = serde_json::to_vec_pretty(truth).unwrap_or_default();
        write_file(&self.out.join("truth.json"), &json)
    }
}

fn create(path: &Path) -> Result<BufWriter<File>, CorpusError> {
    File::create(path)
        .map(|f| BufWriter::with_capacity(1 << 20, f))
        .map_err(|source| CorpusError::Write {
            path: path.to_owned(),
            source,
        })
}

/// mbox: a `From ` line, the message with body `From ` lines escaped, a blank line.
fn append_mbox(mbox: &mut Vec<u8>, draft: &MessageDraft, bytes: &[u8]) {
    let stamp = crate::render::rfc2822(draft.date, 0);
    // asctime style: "Tue Jul  1 10:52:37 2008"
    let parts: Vec<&str> = stamp.split(' ').collect();
    let asctime = format!(
        "{} {} {:>2} {} {}",
        parts[0].trim_end_matches(','),
        parts[2],
        parts[1].trim_start_matches('0'),
        parts[4],
        parts[3]
    );
    let _ = writeln!(mbox, "From {} {asctime}", draft.from);
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"From ") {
            mbox.push(b'>');
        }
        mbox.extend_from_slice(line);
    }
    if !bytes.ends_with(b"\n") {
        mbox.push(b'\n');
    }
    mbox.extend_from_slice(if draft.crlf { b"\r\n" } else { b"\n" });
}

fn mkdir(dir: &Path) -> Result<(), CorpusError> {
    fs::create_dir_all(dir).map_err(|source| CorpusError::Write {
        path: dir.to_owned(),
        source,
    })
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CorpusError> {
    fs::write(path, bytes).map_err(|source| CorpusError::Write {
        path: path.to_owned(),
        source,
    })
}

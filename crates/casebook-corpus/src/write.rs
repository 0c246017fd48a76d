//! Writing the corpus as a Maildir and as mbox files.

use crate::{CorpusError, MessageDraft, Truth};
use std::fs;
use std::io::Write;
use std::path::Path;

pub(crate) fn write_all(
    out: &Path,
    drafts: &[MessageDraft],
    truth: &Truth,
) -> Result<(), CorpusError> {
    let maildir = out.join("Maildir");
    let sent = maildir.join(".Sent");
    for dir in [&maildir, &sent] {
        for sub in ["cur", "new", "tmp"] {
            mkdir(&dir.join(sub))?;
        }
    }
    mkdir(&out.join("mbox"))?;
    let mut inbox_mbox = Vec::new();
    let mut sent_mbox = Vec::new();
    for (i, (draft, t)) in drafts.iter().zip(&truth.messages).enumerate() {
        let bytes = draft.render();
        let folder = if t.direction == "outbound" {
            &sent
        } else {
            &maildir
        };
        // Some mail is still new, some has been seen (and renamed with flags).
        let name = if i % 3 == 0 {
            format!("new/{}.{}.casebook", draft.date, i)
        } else {
            format!("cur/{}.{}.casebook:2,S", draft.date, i)
        };
        write_file(&folder.join(name), &bytes)?;
        let mbox = if t.direction == "outbound" {
            &mut sent_mbox
        } else {
            &mut inbox_mbox
        };
        append_mbox(mbox, draft, &bytes);
    }
    write_file(&out.join("mbox/INBOX"), &inbox_mbox)?;
    write_file(&out.join("mbox/Sent"), &sent_mbox)?;
    let json = serde_json::to_vec_pretty(truth).unwrap_or_default();
    write_file(&out.join("truth.json"), &json)
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

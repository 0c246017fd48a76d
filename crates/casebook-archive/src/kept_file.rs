//! Files kept beside the search index that only save work (the filter
//! sets, the statistics' records and last count, the waiting list): read
//! only up to a size this code writes, replaced whole by a rename, and
//! never trusted further than their own checks — a file that cannot be
//! read is ignored and its contents worked out again from the store.

use std::path::{Path, PathBuf};

/// The file's bytes, or `None` when it is missing, unreadable or larger
/// than `max_bytes` (not one this code wrote); `what` names it in the log.
pub(crate) async fn read(path: &Path, max_bytes: u64, what: &str) -> Option<Vec<u8>> {
    let size = tokio::fs::metadata(path).await.ok()?.len();
    if size > max_bytes {
        tracing::warn!(path = %path.display(), size, "ignoring a {what} file larger than this version writes");
        return None;
    }
    tokio::fs::read(path).await.ok()
}

/// The file's contents as `decode` reads them, or `None` when it is
/// missing, too large, or `decode` refuses it (logged: the contents are
/// then worked out again from the store); `what` names it in the log.
pub(crate) async fn read_decoded<T>(
    path: &Path,
    max_bytes: u64,
    what: &str,
    decode: impl FnOnce(&[u8]) -> Option<T>,
) -> Option<T> {
    let bytes = read(path, max_bytes, what).await?;
    let decoded = decode(&bytes);
    if decoded.is_none() {
        tracing::warn!(path = %path.display(), "ignoring a {what} file that cannot be read: its contents are worked out again from the store");
    }
    decoded
}

/// Replaces the file at `path` by `bytes` whole (written beside it, then
/// renamed). Failing to write it is logged: the next process works its
/// contents out from the store.
pub(crate) async fn write(path: &Path, bytes: &[u8], what: &str) {
    let partial = PathBuf::from(format!("{}.{}.partial", path.display(), std::process::id()));
    let written = async {
        tokio::fs::write(&partial, bytes).await?;
        tokio::fs::rename(&partial, path).await
    }
    .await;
    if let Err(e) = written {
        tracing::debug!(path = %path.display(), error = %e, "could not keep the {what} on disk");
        let _ = tokio::fs::remove_file(&partial).await;
    }
}

/// Appends `text` as its length (4 bytes, little-endian) and its UTF-8.
pub(crate) fn put_text(out: &mut Vec<u8>, text: &str) {
    out.extend((text.len() as u32).to_le_bytes());
    out.extend(text.as_bytes());
}

/// Reads little-endian numbers and [`put_text`]'s texts off the front of a
/// byte slice; `None` when it is cut short.
pub(crate) struct Reader<'a>(pub(crate) &'a [u8]);

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    pub(crate) fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    pub(crate) fn text(&mut self) -> Option<&'a str> {
        let len = usize::try_from(self.u32()?).ok()?;
        std::str::from_utf8(self.take(len)?).ok()
    }
}

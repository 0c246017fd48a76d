use crate::connect::within;
use crate::error::ImapError;
use async_imap::types::NameAttribute;
use futures_util::StreamExt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The connection under the IMAP session: plain (loopback, or before
/// STARTTLS) or TLS.
#[derive(Debug)]
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A folder on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    pub name: String,
    /// Marked `\Sent` by the server (RFC 6154 SPECIAL-USE).
    pub sent: bool,
    /// Cannot be opened (`\Noselect`), such as a parent of other folders.
    pub selectable: bool,
}

/// What EXAMINE tells of a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderStatus {
    pub uid_validity: u32,
    pub uid_next: Option<u32>,
    /// Messages in the folder.
    pub exists: u32,
}

/// A logged-in connection.
pub struct ImapSession {
    session: async_imap::Session<Stream>,
    timeout: Duration,
}

fn protocol(what: impl Into<String>) -> impl FnOnce(async_imap::error::Error) -> ImapError {
    let what = what.into();
    move |source| ImapError::Protocol { what, source }
}

impl ImapSession {
    pub(crate) fn new(session: async_imap::Session<Stream>, timeout: Duration) -> Self {
        Self { session, timeout }
    }

    /// Every folder, with SPECIAL-USE `\Sent` marked.
    pub async fn folders(&mut self) -> Result<Vec<Folder>, ImapError> {
        let timeout = self.timeout;
        let listing = async {
            let mut names = self.session.list(Some(""), Some("*")).await?;
            let mut folders = Vec::new();
            while let Some(name) = names.next().await {
                let name = name?;
                let attributes = name.attributes();
                folders.push(Folder {
                    name: name.name().to_owned(),
                    sent: attributes.iter().any(|a| matches!(a, NameAttribute::Sent)),
                    selectable: !attributes
                        .iter()
                        .any(|a| matches!(a, NameAttribute::NoSelect)),
                });
            }
            Ok::<_, async_imap::error::Error>(folders)
        };
        within(timeout, "listing folders", listing)
            .await?
            .map_err(protocol("listing folders"))
    }

    /// Opens `folder` read-only (EXAMINE): nothing in it can change.
    pub async fn examine(&mut self, folder: &str) -> Result<FolderStatus, ImapError> {
        let what = format!("opening folder {folder:?}");
        let mailbox = within(self.timeout, &what, self.session.examine(folder))
            .await?
            .map_err(protocol(what))?;
        let uid_validity = mailbox
            .uid_validity
            .ok_or_else(|| ImapError::NoUidValidity {
                folder: folder.to_owned(),
            })?;
        Ok(FolderStatus {
            uid_validity,
            uid_next: mailbox.uid_next,
            exists: mailbox.exists,
        })
    }

    /// UID and size of every message with a UID of `from` or above in the
    /// open folder, in UID order.
    pub async fn uid_sizes(&mut self, from: u32) -> Result<Vec<(u32, u32)>, ImapError> {
        let timeout = self.timeout;
        let listing = async {
            let mut fetches = self
                .session
                .uid_fetch(format!("{}:*", from.max(1)), "(UID RFC822.SIZE)")
                .await?;
            let mut out = Vec::new();
            while let Some(f) = fetches.next().await {
                let f = f?;
                // "n:*" names the last message even when its UID is below n.
                if let (Some(uid), Some(size)) = (f.uid, f.size) {
                    if uid >= from {
                        out.push((uid, size));
                    }
                }
            }
            Ok::<_, async_imap::error::Error>(out)
        };
        let mut sizes = within(timeout, "listing message sizes", listing)
            .await?
            .map_err(protocol("listing message sizes"))?;
        sizes.sort_unstable();
        sizes.dedup_by_key(|s| s.0);
        Ok(sizes)
    }

    /// Fetches the raw bytes of `uids` (BODY.PEEK[]: nothing is marked
    /// read), handing each to `each` as it arrives. The timeout applies to
    /// each response, not to the whole transfer.
    pub async fn fetch(
        &mut self,
        uids: &[u32],
        each: &mut dyn FnMut(u32, Vec<u8>),
    ) -> Result<(), ImapError> {
        if uids.is_empty() {
            return Ok(());
        }
        let set = uid_set(uids);
        let timeout = self.timeout;
        let mut fetches = within(
            timeout,
            "asking for messages",
            self.session.uid_fetch(&set, "(UID BODY.PEEK[])"),
        )
        .await?
        .map_err(protocol("asking for messages"))?;
        while let Some(f) = within(timeout, "receiving messages", fetches.next()).await? {
            let f = f.map_err(protocol("receiving messages"))?;
            if let (Some(uid), Some(body)) = (f.uid, f.body()) {
                each(uid, body.to_vec());
            }
        }
        Ok(())
    }

    /// Whether the server offers IDLE (RFC 2177).
    pub async fn supports_idle(&mut self) -> Result<bool, ImapError> {
        let caps = within(
            self.timeout,
            "asking for capabilities",
            self.session.capabilities(),
        )
        .await?
        .map_err(protocol("asking for capabilities"))?;
        Ok(caps.has_str("IDLE"))
    }

    /// Opens `folder` read-only and waits in IDLE until the server reports a
    /// change (returns `true`) or `max_wait` passes (`false`). Mail that came
    /// after the caller last looked (its UIDNEXT differs from
    /// `known_uid_next`) is a change at once: IDLE reports only what comes
    /// after it starts.
    pub async fn idle(
        mut self,
        folder: &str,
        max_wait: Duration,
        known_uid_next: Option<u32>,
    ) -> Result<(Self, bool), ImapError> {
        let status = self.examine(folder).await?;
        if known_uid_next.is_some() && status.uid_next != known_uid_next {
            return Ok((self, true));
        }
        let timeout = self.timeout;
        let mut handle = self.session.idle();
        within(timeout, "starting IDLE", handle.init())
            .await?
            .map_err(protocol("starting IDLE"))?;
        let changed = {
            let (wait, _stop) = handle.wait_with_timeout(max_wait);
            let outcome = wait.await.map_err(protocol("waiting in IDLE"))?;
            matches!(
                outcome,
                async_imap::extensions::idle::IdleResponse::NewData(_)
            )
        };
        let session = within(timeout, "ending IDLE", handle.done())
            .await?
            .map_err(protocol("ending IDLE"))?;
        // Nobody reads the unsolicited responses; keep their queue from filling.
        while session.unsolicited_responses.try_recv().is_ok() {}
        Ok((Self { session, timeout }, changed))
    }

    pub async fn logout(mut self) {
        let _ = within(self.timeout, "logging out", self.session.logout()).await;
    }
}

/// `1:3,7,9:10` for the UIDs `1 2 3 7 9 10` (sorted or not).
fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}:{end}")
        });
        i += 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    #[test]
    fn uid_sets_compress_runs() {
        assert_eq!(super::uid_set(&[9, 1, 2, 3, 7, 10]), "1:3,7,9:10");
        assert_eq!(super::uid_set(&[5]), "5");
    }
}

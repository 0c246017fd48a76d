//! Pulling mail from IMAP accounts into the archive, incrementally by UID.
//!
//! Per folder: EXAMINE it, compare its UIDVALIDITY with the stored one (a
//! change re-scans the folder from UID 1; what is archived already is
//! recognised by its bytes), list UIDs and sizes above the watermark, and
//! fetch in chunks. Each chunk is stored in one transaction together with
//! the folder's new watermark, so a crash at any instant loses nothing and
//! stores nothing twice. One account failing does not stop the others.

use crate::erasure::ErasedFilter;
use crate::import::{map_on_two_threads, prepare_message};
use crate::{Archive, ArchiveError};
use casebook_config::{Account, OAuthMechanism, Secret, Security};
use casebook_imap::{connect, ImapSession, Login, Server};
use casebook_store::{SkippedMessage, Stored, Watermark};
use std::time::Duration;
use tracing::Instrument;

/// About the most bytes of mail a fetch chunk holds. Up to six chunks are
/// in flight (one fetched, two waiting, one parsed, one waiting, one
/// stored), so this bounds what a sync holds of the mail itself. Syncing
/// 30,000 realistic messages (308 MB, `scripts/bench-sync`, medians of 2,
/// BENCHMARKS.md session 21): 32 MiB peaked at 344 MB, 8 MiB 278 MB and
/// 7.6 s, 4 MiB 216 MB and 7.3 s (smaller chunks overlap the stages
/// better). Small mail reaches the account's `batch_messages` first.
const CHUNK_BYTES: u64 = 4 * 1024 * 1024;

/// What a sync did in one folder (or, with `folder` empty, why an account
/// could not be synced at all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderSync {
    pub account: String,
    pub folder: String,
    pub fetched: u64,
    pub stored: u64,
    pub copies: u64,
    pub duplicates: u64,
    /// Mail of erased persons, not taken in.
    pub erased: u64,
    /// Over the size limit: recorded, listed by `casebook accounts`, not fetched.
    pub skipped: u64,
    /// The folder's UIDVALIDITY changed, so it was scanned again from the start.
    pub rescanned: bool,
    /// The server's UIDNEXT when the folder was opened for this sync.
    pub uid_next: Option<u32>,
    /// Messages in the folder on the server when it was opened.
    pub server_messages: Option<u32>,
    pub error: Option<String>,
}

/// Told of each chunk a sync stores, for progress bars.
pub trait SyncProgress: Sync {
    fn stored(&self, account: &str, folder: &str, messages: u64, bytes: u64);
}

/// Progress that goes to the log only.
pub struct LogProgress;

impl SyncProgress for LogProgress {
    fn stored(&self, account: &str, folder: &str, messages: u64, bytes: u64) {
        tracing::info!(account, folder, messages, bytes, "stored a chunk");
    }
}

impl Archive {
    /// Syncs every configured account (or only `only`), then threads and
    /// indexes what arrived.
    pub async fn sync(
        &self,
        only: Option<&str>,
        progress: &dyn SyncProgress,
    ) -> Result<Vec<FolderSync>, ArchiveError> {
        let accounts = self.accounts_named(only)?;
        // Mail is indexed as each chunk is stored, on the index's own
        // threads, while the next chunk is on the wire.
        let feed = std::sync::Mutex::new(crate::settle::KeptWhileStoring::with_index(
            self.start_feed().await,
            self.config.threading_batch_messages,
        ));
        let mut reports = Vec::new();
        for account in accounts {
            let span = tracing::info_span!("sync", account = %account.name);
            reports.extend(
                self.sync_account_fed(account, progress, &feed)
                    .instrument(span)
                    .await?,
            );
        }
        let feed = feed.into_inner().map_err(|_| feed_failed())?;
        self.settle_kept(feed).await?;
        Ok(reports)
    }

    /// The configured accounts, or only the one called `only`.
    pub(crate) fn accounts_named(&self, only: Option<&str>) -> Result<Vec<&Account>, ArchiveError> {
        let accounts: Vec<&Account> = self
            .config
            .accounts
            .iter()
            .filter(|a| only.is_none_or(|name| a.name == name))
            .collect();
        if accounts.is_empty() {
            return Err(ArchiveError::NoAccount {
                name: only.map(str::to_owned),
            });
        }
        Ok(accounts)
    }

    pub(crate) async fn sync_account(
        &self,
        account: &Account,
        progress: &dyn SyncProgress,
    ) -> Result<Vec<FolderSync>, ArchiveError> {
        self.sync_account_fed(account, progress, &std::sync::Mutex::default())
            .await
    }

    /// [`Archive::sync_account`], indexing what it stores into `feed` (if
    /// there is one).
    async fn sync_account_fed(
        &self,
        account: &Account,
        progress: &dyn SyncProgress,
        feed: &SharedKept,
    ) -> Result<Vec<FolderSync>, ArchiveError> {
        self.check_write_key().await?;
        let failed = |folder: &str, error: String| FolderSync {
            account: account.name.clone(),
            folder: folder.to_owned(),
            error: Some(error),
            ..FolderSync::default()
        };
        let mut session = match self.imap_login(account).await {
            Ok(session) => session,
            Err(error) => {
                let error = error.to_string();
                self.store
                    .record_folder_sync(&account.name, &account.inbound, None, Some(&error))
                    .await?;
                return Ok(vec![failed("", error)]);
            }
        };
        let mut reports = Vec::new();
        let folders = match session.folders().await {
            Ok(f) => f,
            Err(e) => return Ok(vec![failed("", e.to_string())]),
        };
        let sent = account.sent.clone().or_else(|| {
            folders
                .iter()
                .find(|f| f.sent)
                .or_else(|| folders.iter().find(|f| f.name.eq_ignore_ascii_case("Sent")))
                .map(|f| f.name.clone())
        });
        let mut plan = vec![(account.inbound.clone(), false)];
        match sent {
            Some(name) => plan.push((name, true)),
            None => reports.push(failed(
                "Sent",
                "the server marks no folder \\Sent and has none named Sent; set `sent` for this account".into(),
            )),
        }
        // The account's folders are pulled at the same time, each over a
        // connection of its own (the first reuses the one already open).
        let mut first = Some(session);
        let mut runs = Vec::with_capacity(plan.len());
        for (folder, is_sent) in plan {
            let session = first.take();
            runs.push(async move {
                let outcome = match session {
                    Some(s) => Ok(s),
                    None => self.imap_login(account).await,
                };
                let mut session = match outcome {
                    Ok(s) => s,
                    Err(error) => return Ok(failed(&folder, error.to_string())),
                };
                let report = match self
                    .sync_folder(&mut session, account, &folder, is_sent, progress, feed)
                    .await
                {
                    Ok(report) => report,
                    Err(ArchiveError::Imap(e)) => failed(&folder, e.to_string()),
                    Err(other) => return Err(other),
                };
                session.logout().await;
                self.store
                    .record_folder_sync(
                        &account.name,
                        &folder,
                        report.server_messages,
                        report.error.as_deref(),
                    )
                    .await?;
                Ok(report)
            });
        }
        for outcome in futures_util::future::join_all(runs).await {
            reports.push(outcome?);
        }
        Ok(reports)
    }

    pub(crate) async fn imap_login(&self, account: &Account) -> Result<ImapSession, AccountError> {
        let server = Server {
            host: account.host.clone(),
            port: account.port,
            security: match account.security {
                Security::Tls => casebook_imap::Security::Tls,
                Security::StartTls => casebook_imap::Security::StartTls,
                Security::Plain => casebook_imap::Security::Plain,
            },
            ca_file: account.ca_file.clone(),
            timeout: Duration::from_secs(account.timeout_secs),
        };
        let login = match &account.secret {
            Secret::PasswordEnv(var) => Login::Password {
                user: account.username.clone(),
                password: std::env::var(var)
                    .map_err(|_| AccountError::PasswordEnvUnset { var: var.clone() })?,
            },
            Secret::PasswordCommand(cmd) => Login::Password {
                user: account.username.clone(),
                password: run_secret_command(cmd, "password_command").await?,
            },
            Secret::OAuthTokenCommand { command, mechanism } => Login::OAuth2 {
                user: account.username.clone(),
                token: run_secret_command(command, "oauth_token_command").await?,
                mechanism: match mechanism {
                    OAuthMechanism::XOAuth2 => casebook_imap::OAuthMechanism::XOAuth2,
                    OAuthMechanism::OAuthBearer => casebook_imap::OAuthMechanism::OAuthBearer,
                },
            },
        };
        Ok(connect(&server, &login).await?)
    }

    async fn sync_folder(
        &self,
        session: &mut ImapSession,
        account: &Account,
        folder: &str,
        is_sent: bool,
        progress: &dyn SyncProgress,
        feed: &SharedKept,
    ) -> Result<FolderSync, ArchiveError> {
        let mut report = FolderSync {
            account: account.name.clone(),
            folder: folder.to_owned(),
            ..FolderSync::default()
        };
        let status = session.examine(folder).await?;
        report.uid_next = status.uid_next;
        report.server_messages = Some(status.exists);
        let state = self.store.folder_state(&account.name, folder).await?;
        let from = match state {
            Some(s) if s.uid_validity == status.uid_validity => s.last_uid.saturating_add(1),
            Some(s) if s.uid_validity != 0 => {
                tracing::warn!(
                    folder,
                    old = s.uid_validity,
                    new = status.uid_validity,
                    "UIDVALIDITY changed; scanning the folder again"
                );
                report.rescanned = true;
                1
            }
            _ => 1,
        };
        let sizes = session.uid_sizes(from).await?;
        let run = FolderRun {
            archive: self,
            account,
            folder,
            uid_validity: status.uid_validity,
            is_sent,
        };
        // The network, parsing and storing overlap: while one chunk is
        // stored, the next is parsed and the one after it fetched. Chunks
        // are stored in order, each with its watermark, so an interruption
        // anywhere leaves the watermark at what is stored.
        let (fetched_tx, fetched_rx) = tokio::sync::mpsc::channel(2);
        // Parsing is a stage of its own, so a folder's next chunk is parsed
        // while the one before it is stored: with one folder left (or one
        // folder only) the two would otherwise take turns on the cores.
        let (parsed_tx, parsed_rx) = tokio::sync::mpsc::channel(1);
        let erased = self.erased_filter().await?;
        let (skipped, parsed, stored) = tokio::join!(
            run.fetch(session, &sizes, fetched_tx),
            run.parse(fetched_rx, parsed_tx),
            run.store(parsed_rx, &erased, progress, feed),
        );
        // What was stored counts even when fetching failed part way.
        let stored = stored?;
        parsed?;
        report.fetched = stored.fetched;
        report.stored = stored.stored;
        report.copies = stored.copies;
        report.duplicates = stored.duplicates;
        report.erased = stored.erased;
        report.skipped = skipped?;
        if sizes.is_empty() && state.is_none_or(|s| s.uid_validity != status.uid_validity) {
            // An empty folder: remember its UIDVALIDITY all the same.
            self.store.insert(&[], Some(&run.watermark(0))).await?;
        }
        Ok(report)
    }
}

/// A fetched chunk: each message's UID and bytes, and the chunk's highest
/// UID (every UID up to it was fetched or recorded as skipped).
type Fetched = (Vec<(u32, Vec<u8>)>, u32);

/// One folder of one account being synced: its three stages, each its
/// own task joined by bounded channels. Each stage owns the ends it holds,
/// so a stage stopping on an error drops them and the others stop
/// instead of waiting on a full channel.
struct FolderRun<'a> {
    archive: &'a Archive,
    account: &'a Account,
    folder: &'a str,
    uid_validity: u32,
    is_sent: bool,
}

impl FolderRun<'_> {
    /// The folder's watermark at `last_uid`.
    fn watermark(&self, last_uid: u32) -> Watermark {
        Watermark {
            account: self.account.name.clone(),
            folder: self.folder.to_owned(),
            uid_validity: self.uid_validity,
            last_uid,
        }
    }

    /// Fetches the UIDs of `sizes` in chunks (bounded by count and bytes),
    /// recording messages over the size limit instead; how many it skipped.
    async fn fetch(
        &self,
        session: &mut ImapSession,
        sizes: &[(u32, u32)],
        chunks_out: tokio::sync::mpsc::Sender<Fetched>,
    ) -> Result<u64, ArchiveError> {
        let account = self.account;
        let mut skipped = 0;
        for chunk in chunks(sizes, account.batch_messages, account.max_message_bytes) {
            let Some(&(last_uid, _)) = chunk.last() else {
                continue;
            };
            let mut wanted = Vec::with_capacity(chunk.len());
            for &(uid, size) in chunk {
                if u64::from(size) > account.max_message_bytes {
                    self.archive
                        .store
                        .record_skipped(&SkippedMessage {
                            account: account.name.clone(),
                            folder: self.folder.to_owned(),
                            uid_validity: self.uid_validity,
                            uid,
                            size: u64::from(size),
                            reason: format!(
                                "larger than max_message_bytes ({})",
                                account.max_message_bytes
                            ),
                        })
                        .await?;
                    skipped += 1;
                } else {
                    wanted.push(uid);
                }
            }
            let mut fetched: Vec<(u32, Vec<u8>)> = Vec::with_capacity(wanted.len());
            session
                .fetch(&wanted, &mut |uid, bytes| fetched.push((uid, bytes)))
                .await?;
            if chunks_out.send((fetched, last_uid)).await.is_err() {
                break; // a later stage stopped on an error of its own
            }
        }
        Ok(skipped)
    }

    /// Parses each fetched chunk into messages to store.
    async fn parse(
        &self,
        mut chunks_in: tokio::sync::mpsc::Receiver<Fetched>,
        parsed_out: tokio::sync::mpsc::Sender<Parsed>,
    ) -> Result<(), ArchiveError> {
        while let Some((fetched, last_uid)) = chunks_in.recv().await {
            let messages = fetched.len() as u64;
            let bytes: u64 = fetched.iter().map(|(_, b)| b.len() as u64).sum();
            let batch = self
                .archive
                .prepare_fetched(
                    fetched,
                    self.account,
                    self.folder,
                    self.uid_validity,
                    self.is_sent,
                )
                .await?;
            let parsed = Parsed {
                batch,
                last_uid,
                messages,
                bytes,
            };
            if parsed_out.send(parsed).await.is_err() {
                break; // the storing stage stopped on an error of its own
            }
        }
        Ok(())
    }

    /// Stores each parsed chunk with its watermark in one transaction
    /// (leaving out erased people's mail), hands what it stored to the
    /// index feed, and counts what happened.
    async fn store(
        &self,
        mut parsed_in: tokio::sync::mpsc::Receiver<Parsed>,
        erased: &ErasedFilter,
        progress: &dyn SyncProgress,
        feed: &SharedKept,
    ) -> Result<FolderSync, ArchiveError> {
        let (account, folder) = (self.account, self.folder);
        let mut counts = FolderSync::default();
        while let Some(parsed) = parsed_in.recv().await {
            let Parsed {
                mut batch,
                last_uid,
                messages,
                bytes,
            } = parsed;
            counts.fetched += messages;
            let before = batch.len();
            batch.retain(|m| !erased.is_erased(m));
            if batch.len() < before {
                tracing::info!(
                    account = %account.name,
                    folder,
                    skipped = before - batch.len(),
                    "mail of erased persons not synced"
                );
                counts.erased += (before - batch.len()) as u64;
            }
            let stored = self
                .archive
                .store
                .insert(&batch, Some(&self.watermark(last_uid)))
                .await?;
            feed.lock()
                .map_err(|_| feed_failed())?
                .stored(&batch, &stored.outcomes, stored.seq)
                .map_err(|e| self.archive.index_failure(e))?;
            for outcome in stored.outcomes {
                match outcome {
                    Stored::New(_) => counts.stored += 1,
                    Stored::Copy { .. } => counts.copies += 1,
                    Stored::Duplicate(_) => counts.duplicates += 1,
                }
            }
            progress.stored(&account.name, folder, messages, bytes);
        }
        Ok(counts)
    }
}

impl Archive {
    /// Parses fetched messages on two threads, off the async side.
    async fn prepare_fetched(
        &self,
        fetched: Vec<(u32, Vec<u8>)>,
        account: &Account,
        folder: &str,
        uid_validity: u32,
        is_sent: bool,
    ) -> Result<Vec<casebook_store::NewMessage>, ArchiveError> {
        let settings = self.ingest_settings();
        let (name, folder) = (account.name.clone(), folder.to_owned());
        let prepared = tokio::task::spawn_blocking(move || {
            map_on_two_threads(fetched, |(uid, bytes)| {
                let source = casebook_store::ImapSource {
                    account: &name,
                    folder: &folder,
                    uid_validity,
                    uid,
                }
                .to_string();
                prepare_message(&bytes, folder.clone(), source, &settings, is_sent)
            })
        })
        .await
        .ok()
        .flatten()
        .ok_or_else(|| {
            ArchiveError::Pipeline("a parser thread failed; run the sync again".into())
        })?;
        let mut batch = Vec::with_capacity(prepared.len());
        for item in prepared {
            match item {
                Ok(m) => batch.push(m),
                Err((source, reason)) => {
                    tracing::error!(source, reason, "cannot prepare a fetched message")
                }
            }
        }
        Ok(batch)
    }
}

/// A fetched chunk, parsed and waiting to be stored.
struct Parsed {
    batch: Vec<casebook_store::NewMessage>,
    /// The highest UID of the chunk as fetched (the watermark once stored).
    last_uid: u32,
    /// How many messages and bytes were fetched (the progress shown).
    messages: u64,
    bytes: u64,
}

/// What a sync keeps of what it stores, shared between its folders.
type SharedKept = std::sync::Mutex<crate::settle::KeptWhileStoring>;

/// A folder's sync panicked while indexing (the feed's lock is poisoned).
fn feed_failed() -> ArchiveError {
    ArchiveError::Pipeline("indexing failed; run the sync again".into())
}

/// How many messages a folder's first chunk holds at most; each next chunk
/// holds twice as many, up to the account's `batch_messages`. Storing waits
/// for a whole chunk to be fetched and parsed, so a small first chunk starts
/// it while the rest is on the way (about a quarter of a second sooner with
/// chunks of 2,000 against Dovecot on loopback).
const FIRST_CHUNK_MESSAGES: usize = 250;

/// Splits (uid, size) pairs into fetch chunks of at most `messages`
/// messages (fewer at first: [`FIRST_CHUNK_MESSAGES`]) and about
/// CHUNK_BYTES bytes (messages over `limit` count nothing: they are not
/// fetched).
fn chunks(sizes: &[(u32, u32)], messages: usize, limit: u64) -> Vec<&[(u32, u32)]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0u64;
    let mut most = messages.clamp(1, FIRST_CHUNK_MESSAGES);
    for (i, &(_, size)) in sizes.iter().enumerate() {
        let size = u64::from(size);
        let counted = if size > limit { 0 } else { size };
        if i > start && (i - start >= most || bytes + counted > CHUNK_BYTES) {
            out.push(&sizes[start..i]);
            start = i;
            bytes = 0;
            most = most.saturating_mul(2).min(messages.max(1));
        }
        bytes += counted;
    }
    if start < sizes.len() {
        out.push(&sizes[start..]);
    }
    out
}

/// Why an account's server could not be logged in to. Messages name the
/// config key, never the secret.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the environment variable {var} (password_env) is not set")]
    PasswordEnvUnset { var: String },
    #[error("cannot run {key}: {source}")]
    SecretCommandStart {
        key: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("{key} failed ({status}): {stderr}")]
    SecretCommandFailed {
        key: &'static str,
        status: std::process::ExitStatus,
        stderr: String,
    },
    #[error("{key} printed something that is not UTF-8")]
    SecretNotUtf8 { key: &'static str },
    #[error("{key} printed nothing")]
    SecretEmpty { key: &'static str },
    #[error(transparent)]
    Imap(#[from] casebook_imap::ImapError),
}

/// Runs a configured secret command with `sh -c` and returns what it
/// printed, without the final newline.
async fn run_secret_command(command: &str, key: &'static str) -> Result<String, AccountError> {
    let output = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|source| AccountError::SecretCommandStart { key, source })?;
    if !output.status.success() {
        return Err(AccountError::SecretCommandFailed {
            key,
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    let secret =
        String::from_utf8(output.stdout).map_err(|_| AccountError::SecretNotUtf8 { key })?;
    let secret = secret.trim_end_matches(['\n', '\r']).to_owned();
    if secret.is_empty() {
        return Err(AccountError::SecretEmpty { key });
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_bound_count_and_bytes() {
        let lens = |sizes: &[(u32, u32)], messages, limit| -> Vec<usize> {
            chunks(sizes, messages, limit)
                .iter()
                .map(|c| c.len())
                .collect()
        };
        let many: Vec<(u32, u32)> = (1..=5000).map(|u| (u, 100)).collect();
        assert_eq!(
            lens(&many, 2000, 1_000_000),
            [250, 500, 1000, 2000, 1250],
            "small at first, then doubling up to the batch size"
        );
        assert_eq!(lens(&many[..1200], 500, 1_000_000), [250, 500, 450]);
        assert_eq!(lens(&many[..5], 1, 1_000_000), [1, 1, 1, 1, 1]);
        assert_eq!(lens(&many[..5], 0, 1_000_000), [1, 1, 1, 1, 1]);
        let big = [(1, 3_000_000), (2, 3_000_000), (3, 90_000_000), (4, 1)];
        assert_eq!(
            lens(&big, 2000, 50_000_000),
            [1, 3],
            "the oversized one adds no bytes"
        );
    }

    #[tokio::test]
    async fn secret_commands_report_failures_without_the_secret() {
        assert_eq!(
            run_secret_command("printf 's3cret\\n'", "password_command")
                .await
                .ok(),
            Some("s3cret".into())
        );
        let e = run_secret_command("echo oops >&2; exit 3", "password_command")
            .await
            .expect_err("fails")
            .to_string();
        assert!(
            e.contains("password_command failed") && e.contains("oops"),
            "{e}"
        );
        let e = run_secret_command("true", "oauth_token_command")
            .await
            .expect_err("empty")
            .to_string();
        assert_eq!(e, "oauth_token_command printed nothing");
    }
}

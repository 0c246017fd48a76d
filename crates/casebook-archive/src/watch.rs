//! `watch`: keep every account's mail flowing in until told to stop. After
//! each sync the inbound folder is watched with IDLE (or polled where the
//! server has no IDLE); a failure is retried with a growing pause.

use crate::sync::{FolderSync, LogProgress};
use crate::{Archive, ArchiveError};
use casebook_config::Account;
use std::time::Duration;
use tokio::sync::watch;

/// How long one IDLE lasts before the connection is refreshed (servers
/// drop idle connections after 30 minutes; RFC 2177 says re-issue sooner).
const IDLE_FOR: Duration = Duration::from_secs(5 * 60);
/// How often a server without IDLE is asked for new mail.
const POLL_EVERY: Duration = Duration::from_secs(60);
const MAX_BACKOFF: Duration = Duration::from_secs(5 * 60);
/// How often `watch` applies the retention period.
const RETENTION_EVERY: Duration = Duration::from_secs(24 * 60 * 60);
/// How soon a failed retention run is tried again.
const RETENTION_RETRY: Duration = Duration::from_secs(60 * 60);

/// What `watch` is doing, for the person or log watching it.
#[derive(Debug, Clone)]
pub enum WatchEvent {
    Synced(Vec<FolderSync>),
    /// Waiting in IDLE for new mail in this folder.
    Idle {
        account: String,
        folder: String,
    },
    /// The server has no IDLE: polling.
    Polling {
        account: String,
        every: Duration,
    },
    /// The retention period was applied: mail older than it erased.
    Retention(crate::ErasureReport),
    /// Something failed; trying again after this pause.
    Retrying {
        account: String,
        after: Duration,
        error: String,
    },
}

impl Archive {
    /// Syncs and then waits for new mail, for every account (or only
    /// `only`), until `stop` turns true. Returns once every account loop
    /// has stopped.
    pub async fn watch(
        &self,
        only: Option<&str>,
        mut stop: watch::Receiver<bool>,
        report: &(dyn Fn(WatchEvent) + Sync),
    ) -> Result<(), ArchiveError> {
        let accounts = self.accounts_named(only)?;
        let loops = accounts
            .into_iter()
            .map(|a| self.watch_account(a, stop.clone(), report));
        tokio::select! {
            result = futures_util::future::try_join_all(loops) => result.map(|_| ()),
            result = self.retention_daily(stop.clone(), report) => result,
            _ = stop.wait_for(|s| *s) => Ok(()),
        }
    }

    /// With `retention_days` set: applies it now and every day after,
    /// until told to stop. Without: waits for the stop.
    async fn retention_daily(
        &self,
        mut stop: watch::Receiver<bool>,
        report: &(dyn Fn(WatchEvent) + Sync),
    ) -> Result<(), ArchiveError> {
        if self.config.retention_days.is_none() {
            let _ = stop.wait_for(|s| *s).await;
            return Ok(());
        }
        loop {
            // A failure (the database away for a moment) must not stop the
            // mail from flowing: it is reported and tried again in an hour.
            let next = match self.privacy().apply_retention(false, "watch").await {
                Ok(done) => {
                    report(WatchEvent::Retention(done));
                    RETENTION_EVERY
                }
                Err(e) => {
                    report(WatchEvent::Retrying {
                        account: "retention".into(),
                        after: RETENTION_RETRY,
                        error: e.to_string(),
                    });
                    RETENTION_RETRY
                }
            };
            if pause(&mut stop, next).await {
                return Ok(());
            }
        }
    }

    async fn watch_account(
        &self,
        account: &Account,
        mut stop: watch::Receiver<bool>,
        report: &(dyn Fn(WatchEvent) + Sync),
    ) -> Result<(), ArchiveError> {
        let mut backoff = Duration::from_secs(1);
        loop {
            let reports = self.sync_account(account, &LogProgress).await?;
            self.settle().await?;
            let failure = reports.iter().find_map(|r| r.error.clone());
            let uid_next = reports
                .iter()
                .find(|r| r.folder == account.inbound)
                .and_then(|r| r.uid_next);
            report(WatchEvent::Synced(reports));
            let outcome = match failure {
                Some(error) => Err(error),
                None => self
                    .wait_for_mail(account, uid_next, &mut stop, report)
                    .await
                    .map_err(|e| e.to_string()),
            };
            match outcome {
                Ok(true) => return Ok(()),
                Ok(false) => backoff = Duration::from_secs(1),
                Err(error) => {
                    report(WatchEvent::Retrying {
                        account: account.name.clone(),
                        after: backoff,
                        error,
                    });
                    if pause(&mut stop, backoff).await {
                        return Ok(());
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// Waits for a change in the inbound folder. `Ok(true)`: told to stop.
    async fn wait_for_mail(
        &self,
        account: &Account,
        known_uid_next: Option<u32>,
        stop: &mut watch::Receiver<bool>,
        report: &(dyn Fn(WatchEvent) + Sync),
    ) -> Result<bool, crate::sync::AccountError> {
        let mut session = self.imap_login(account).await?;
        if !session.supports_idle().await? {
            session.logout().await;
            report(WatchEvent::Polling {
                account: account.name.clone(),
                every: POLL_EVERY,
            });
            return Ok(pause(stop, POLL_EVERY).await);
        }
        report(WatchEvent::Idle {
            account: account.name.clone(),
            folder: account.inbound.clone(),
        });
        tokio::select! {
            result = session.idle(&account.inbound, IDLE_FOR, known_uid_next) => {
                let (session, _changed) = result?;
                session.logout().await;
                Ok(false)
            }
            _ = stop.wait_for(|s| *s) => Ok(true),
        }
    }
}

/// Sleeps `how_long` unless told to stop first; `true` when told to stop.
async fn pause(stop: &mut watch::Receiver<bool>, how_long: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(how_long) => false,
        _ = stop.wait_for(|s| *s) => true,
    }
}

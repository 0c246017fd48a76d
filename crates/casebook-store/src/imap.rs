//! Where each IMAP folder's sync stands, and how a message fetched over
//! IMAP records where it came from.

use crate::error::{During, StoreError};
use crate::model::*;
use crate::store::Store;
use sqlx::Row;
use time::OffsetDateTime;

/// Where a message was fetched from over IMAP, as its location's
/// `source` records it, in RFC 5092's form:
/// `imap://ACCOUNT/FOLDER;UIDVALIDITY=V/;UID=U`. Written and read only
/// through this type, so the sync that writes it and the queries that
/// read it cannot disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImapSource<'a> {
    /// The account's name in the config.
    pub account: &'a str,
    pub folder: &'a str,
    pub uid_validity: u32,
    pub uid: u32,
}

impl ImapSource<'_> {
    /// What every source of `account` starts with.
    pub fn account_prefix(account: &str) -> String {
        format!("imap://{account}/")
    }
}

impl std::fmt::Display for ImapSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}{};UIDVALIDITY={}/;UID={}",
            Self::account_prefix(self.account),
            self.folder,
            self.uid_validity,
            self.uid
        )
    }
}

impl Store {
    /// Where a folder's sync stands, if it was ever synced.
    pub async fn folder_state(
        &self,
        account: &str,
        folder: &str,
    ) -> Result<Option<FolderState>, StoreError> {
        let row = sqlx::query_as::<_, (i64, i64)>(
            "SELECT uid_validity, last_uid FROM imap_folders WHERE account = $1 AND folder = $2",
        )
        .bind(account)
        .bind(folder)
        .fetch_optional(&self.pool)
        .await
        .during("reading a folder's watermark")?;
        Ok(row.map(|(v, u)| FolderState {
            uid_validity: u32::try_from(v).unwrap_or(0),
            last_uid: u32::try_from(u).unwrap_or(0),
        }))
    }

    /// Records how a folder's sync ended: the server's message count and the
    /// error, if any (cleared by a sync that worked).
    pub async fn record_folder_sync(
        &self,
        account: &str,
        folder: &str,
        server_messages: Option<u32>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.note_write();
        sqlx::query(
            "INSERT INTO imap_folders (account, folder, uid_validity, last_uid, server_messages, last_sync, last_error) \
             VALUES ($1, $2, 0, 0, $3, $4, $5) \
             ON CONFLICT (account, folder) DO UPDATE SET \
               server_messages = COALESCE(excluded.server_messages, imap_folders.server_messages), \
               last_sync = excluded.last_sync, last_error = excluded.last_error",
        )
        .bind(account)
        .bind(folder)
        .bind(server_messages.map(i64::from))
        .bind(OffsetDateTime::now_utc().unix_timestamp())
        .bind(error)
        .execute(&self.pool)
        .await
        .during("recording a folder's sync")?;
        Ok(())
    }

    /// Records a message a sync passed over, with why.
    pub async fn record_skipped(&self, skipped: &SkippedMessage) -> Result<(), StoreError> {
        self.note_write();
        sqlx::query(
            "INSERT INTO imap_skipped (account, folder, uid_validity, uid, size, reason, seen_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(&skipped.account)
        .bind(&skipped.folder)
        .bind(i64::from(skipped.uid_validity))
        .bind(i64::from(skipped.uid))
        .bind(skipped.size as i64)
        .bind(&skipped.reason)
        .bind(OffsetDateTime::now_utc().unix_timestamp())
        .execute(&self.pool)
        .await
        .during("recording a skipped message")?;
        Ok(())
    }

    /// Every synced folder with its state, how many messages the archive has
    /// from it, and what was skipped.
    pub async fn folder_records(&self) -> Result<Vec<FolderRecord>, StoreError> {
        let d = "listing synced folders";
        let rows = sqlx::query(
            "SELECT account, folder, uid_validity, last_uid, server_messages, last_sync, last_error \
             FROM imap_folders ORDER BY account, folder",
        )
        .fetch_all(&self.pool)
        .await
        .during(d)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let account: String = row.try_get(0).during(d)?;
            let folder: String = row.try_get(1).during(d)?;
            let skipped = sqlx::query_as::<_, (i64, i64, String)>(
                "SELECT uid, size, reason FROM imap_skipped WHERE account = $1 AND folder = $2 ORDER BY uid",
            )
            .bind(&account)
            .bind(&folder)
            .fetch_all(&self.pool)
            .await
            .during(d)?;
            // (substr counts characters on both backends, as chars() does.)
            let prefix = ImapSource::account_prefix(&account);
            let archived = sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM locations WHERE folder = $1 AND substr(source, 1, $2) = $3",
            )
            .bind(&folder)
            // (an int4: PostgreSQL has no substr(text, int, bigint))
            .bind(i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX))
            .bind(&prefix)
            .fetch_one(&self.pool)
            .await
            .during(d)?;
            out.push(FolderRecord {
                uid_validity: u32::try_from(row.try_get::<i64, _>(2).during(d)?).unwrap_or(0),
                last_uid: u32::try_from(row.try_get::<i64, _>(3).during(d)?).unwrap_or(0),
                server_messages: row
                    .try_get::<Option<i64>, _>(4)
                    .during(d)?
                    .map(|n| n as u64),
                last_sync: row
                    .try_get::<Option<i64>, _>(5)
                    .during(d)?
                    .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok()),
                last_error: row.try_get(6).during(d)?,
                archived: archived as u64,
                skipped: skipped
                    .into_iter()
                    .map(|(uid, size, reason)| {
                        (u32::try_from(uid).unwrap_or(0), size as u64, reason)
                    })
                    .collect(),
                account,
                folder,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::ImapSource;

    #[test]
    fn an_imap_source_is_written_as_rfc_5092_says_and_starts_with_its_account() {
        let source = ImapSource {
            account: "support",
            folder: "INBOX/Kunden;2024",
            uid_validity: 1_700_000_000,
            uid: 42,
        }
        .to_string();
        assert_eq!(
            source,
            "imap://support/INBOX/Kunden;2024;UIDVALIDITY=1700000000/;UID=42"
        );
        assert!(source.starts_with(&ImapSource::account_prefix("support")));
        assert!(!source.starts_with(&ImapSource::account_prefix("supp")));
    }
}

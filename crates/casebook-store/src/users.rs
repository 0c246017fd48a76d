//! Users, API tokens, web sessions, failed logins and message tags. Secrets
//! arrive here already hashed; the store never sees a password or a token.

use crate::error::{During, StoreError};
use crate::model::{Role, UserRecord};
use crate::store::Store;
use casebook_vocabulary::MessageId;
use sqlx::any::AnyRow;
use sqlx::Row;

const USER_COLUMNS: &str =
    "u.id, u.name, u.role, u.password_hash, u.disabled, u.created_at, u.display_timezone";

fn user(row: &AnyRow) -> Result<UserRecord, StoreError> {
    let d = "reading a user";
    let role: String = row.try_get("role").during(d)?;
    Ok(UserRecord {
        id: row.try_get("id").during(d)?,
        name: row.try_get("name").during(d)?,
        role: Role::from_str_opt(&role).ok_or_else(|| StoreError::Query {
            action: d,
            source: sqlx::Error::Decode(format!("unknown role {role:?}").into()),
        })?,
        password_hash: row.try_get("password_hash").during(d)?,
        disabled: row.try_get::<i64, _>("disabled").during(d)? != 0,
        created_at: row.try_get("created_at").during(d)?,
        display_timezone: row.try_get("display_timezone").during(d)?,
    })
}

/// How many failed logins are allowed before attempts are refused.
#[derive(Debug, Clone)]
pub struct LoginLimits {
    /// Failures older than this do not count.
    pub since: i64,
    /// An address a name logged in from after this is known for it.
    pub known_since: i64,
    /// Failures for one name (from addresses it is not known at; from a
    /// known address, that address's own failures for the name).
    pub per_name: u64,
    /// Failures from one client address, whatever the names.
    pub per_client: u64,
}

/// Whether a login attempt may check its password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginTurn {
    Allowed,
    /// Too many failures for this name.
    NameLocked,
    /// Too many failures from this client address.
    ClientLocked,
}

impl Store {
    /// Adds a user; `Ok(None)` if the name is taken.
    pub async fn add_user(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        self.note_write();
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO users (name, role, password_hash, disabled, created_at) \
             VALUES ($1, $2, $3, 0, $4) ON CONFLICT (name) DO NOTHING RETURNING id",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .during("adding a user")
    }

    pub async fn user_by_name(&self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.name = $1"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .during("reading a user")?;
        row.as_ref().map(user).transpose()
    }

    pub async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u ORDER BY u.name"
        ))
        .fetch_all(&self.pool)
        .await
        .during("listing users")?;
        rows.iter().map(user).collect()
    }

    /// Records the time zone user `id` chose (`None`: the config's).
    pub async fn set_display_timezone(
        &self,
        id: i64,
        zone: Option<&str>,
    ) -> Result<(), StoreError> {
        self.note_write();
        sqlx::query("UPDATE users SET display_timezone = $1 WHERE id = $2")
            .bind(zone)
            .bind(id)
            .execute(&self.pool)
            .await
            .during("recording a user's time zone")?;
        Ok(())
    }

    /// Disables (or enables) a user, ending their sessions and voiding
    /// their tokens when disabling. Returns whether the user exists.
    pub async fn set_user_disabled(&self, name: &str, disabled: bool) -> Result<bool, StoreError> {
        self.note_write();
        let mut tx = self.pool.begin().await.during("starting a transaction")?;
        let id: Option<i64> =
            sqlx::query_scalar("UPDATE users SET disabled = $1 WHERE name = $2 RETURNING id")
                .bind(i64::from(disabled))
                .bind(name)
                .fetch_optional(&mut *tx)
                .await
                .during("disabling a user")?;
        if let (Some(id), true) = (id, disabled) {
            for sql in [
                "DELETE FROM sessions WHERE user_id = $1",
                "DELETE FROM api_tokens WHERE user_id = $1",
            ] {
                sqlx::query(sql)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .during("ending a disabled user's sessions")?;
            }
        }
        tx.commit().await.during("committing a user change")?;
        Ok(id.is_some())
    }

    /// Sets a user's password and ends their sessions. Returns whether the
    /// user exists.
    pub async fn set_password(&self, name: &str, password_hash: &str) -> Result<bool, StoreError> {
        self.note_write();
        let mut tx = self.pool.begin().await.during("starting a transaction")?;
        let id: Option<i64> =
            sqlx::query_scalar("UPDATE users SET password_hash = $1 WHERE name = $2 RETURNING id")
                .bind(password_hash)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await
                .during("setting a password")?;
        if let Some(id) = id {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .during("ending sessions after a new password")?;
        }
        tx.commit().await.during("committing a new password")?;
        Ok(id.is_some())
    }

    pub async fn add_token(
        &self,
        user_id: i64,
        token_sha256: &str,
        label: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.note_write();
        sqlx::query(
            "INSERT INTO api_tokens (user_id, token_sha256, label, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(user_id)
        .bind(token_sha256)
        .bind(label)
        .bind(now)
        .execute(&self.pool)
        .await
        .during("storing an API token")?;
        Ok(())
    }

    /// The enabled user holding the token with this digest.
    pub async fn user_by_token(
        &self,
        token_sha256: &str,
    ) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_sha256 = $1 AND u.disabled = 0"
        ))
        .bind(token_sha256)
        .fetch_optional(&self.pool)
        .await
        .during("checking an API token")?;
        row.as_ref().map(user).transpose()
    }

    pub async fn add_session(
        &self,
        token_sha256: &str,
        user_id: i64,
        csrf: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.note_write();
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .during("clearing expired sessions")?;
        sqlx::query(
            "INSERT INTO sessions (token_sha256, user_id, csrf, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_sha256)
        .bind(user_id)
        .bind(csrf)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .during("starting a session")?;
        Ok(())
    }

    /// The enabled user of an unexpired session, with its CSRF token.
    pub async fn session(
        &self,
        token_sha256: &str,
        now: i64,
    ) -> Result<Option<(UserRecord, String)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_sha256 = $1 AND s.expires_at >= $2 AND u.disabled = 0"
        ))
        .bind(token_sha256)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .during("checking a session")?;
        match row {
            None => Ok(None),
            Some(row) => {
                let csrf: String = row.try_get("csrf").during("checking a session")?;
                Ok(Some((user(&row)?, csrf)))
            }
        }
    }

    pub async fn end_session(&self, token_sha256: &str) -> Result<(), StoreError> {
        self.note_write();
        sqlx::query("DELETE FROM sessions WHERE token_sha256 = $1")
            .bind(token_sha256)
            .execute(&self.pool)
            .await
            .during("ending a session")?;
        Ok(())
    }

    /// Starts a login attempt for `name` from `client` (an address, or
    /// the network an IPv6 address belongs to): in one write turn, counts
    /// the failures that bear on it since `limits.since` and, if it may
    /// go ahead, records it as a failure (cleared by
    /// [`Store::login_succeeded`] if the password matches). Parallel
    /// attempts therefore cannot all pass the count.
    ///
    /// From an address `name` has logged in from since
    /// `limits.known_since`, only that address's own failures for the name
    /// count: guesses from elsewhere cannot lock a user out where they
    /// work. From any other address, the name's failures from addresses
    /// it is not known at count, and so do all the address's failures
    /// whatever the names.
    pub async fn begin_login_attempt(
        &self,
        name: &str,
        client: &str,
        now: i64,
        limits: &LoginLimits,
    ) -> Result<LoginTurn, StoreError> {
        let d = "recording a login attempt";
        let mut tx = self.begin_bookkeeping().await?;
        sqlx::query("DELETE FROM login_failures WHERE at < $1")
            .bind(now - 86_400)
            .execute(&mut *tx)
            .await
            .during(d)?;
        let known: Option<i64> = sqlx::query_scalar(
            "SELECT last_at FROM login_addresses WHERE name = $1 AND client = $2 AND last_at >= $3",
        )
        .bind(name)
        .bind(client)
        .bind(limits.known_since)
        .fetch_optional(&mut *tx)
        .await
        .during(d)?;
        let turn = if known.is_some() {
            let own: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM login_failures WHERE name = $1 AND client = $2 AND at >= $3",
            )
            .bind(name)
            .bind(client)
            .bind(limits.since)
            .fetch_one(&mut *tx)
            .await
            .during(d)?;
            if own as u64 >= limits.per_name {
                LoginTurn::NameLocked
            } else {
                LoginTurn::Allowed
            }
        } else {
            let from_client: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM login_failures WHERE client = $1 AND at >= $2",
            )
            .bind(client)
            .bind(limits.since)
            .fetch_one(&mut *tx)
            .await
            .during(d)?;
            let for_name: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM login_failures f WHERE f.name = $1 AND f.at >= $2 \
                 AND NOT EXISTS (SELECT 1 FROM login_addresses a \
                                 WHERE a.name = f.name AND a.client = f.client AND a.last_at >= $3)",
            )
            .bind(name)
            .bind(limits.since)
            .bind(limits.known_since)
            .fetch_one(&mut *tx)
            .await
            .during(d)?;
            if from_client as u64 >= limits.per_client {
                LoginTurn::ClientLocked
            } else if for_name as u64 >= limits.per_name {
                LoginTurn::NameLocked
            } else {
                LoginTurn::Allowed
            }
        };
        if turn != LoginTurn::Allowed {
            tx.rollback().await.during(d)?;
            return Ok(turn);
        }
        sqlx::query("INSERT INTO login_failures (name, client, at) VALUES ($1, $2, $3)")
            .bind(name)
            .bind(client)
            .bind(now)
            .execute(&mut *tx)
            .await
            .during(d)?;
        tx.commit().await.during(d)?;
        Ok(LoginTurn::Allowed)
    }

    /// `name`'s password just matched from `client`: forgets the failures
    /// it had there and remembers the address as one the name logs in
    /// from (addresses not used since `known_since` are forgotten).
    pub async fn login_succeeded(
        &self,
        name: &str,
        client: &str,
        now: i64,
        known_since: i64,
    ) -> Result<(), StoreError> {
        let d = "recording a login";
        let mut tx = self.begin_bookkeeping().await?;
        sqlx::query("DELETE FROM login_failures WHERE name = $1 AND client = $2")
            .bind(name)
            .bind(client)
            .execute(&mut *tx)
            .await
            .during(d)?;
        sqlx::query("DELETE FROM login_addresses WHERE last_at < $1")
            .bind(known_since)
            .execute(&mut *tx)
            .await
            .during(d)?;
        sqlx::query(
            "INSERT INTO login_addresses (name, client, last_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name, client) DO UPDATE SET last_at = excluded.last_at",
        )
        .bind(name)
        .bind(client)
        .bind(now)
        .execute(&mut *tx)
        .await
        .during(d)?;
        tx.commit().await.during(d)?;
        Ok(())
    }

    /// Tags a message (a tag it has is left as it is). The message is
    /// stamped with a new change number so every index picks the tag up.
    /// Returns false if there is no such message.
    pub async fn add_tag(
        &self,
        message: MessageId,
        tag: &str,
        user_id: Option<i64>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let (mut tx, seq) = self.begin_write().await?;
        let found: Option<i64> =
            sqlx::query_scalar("UPDATE messages SET change_seq = $1 WHERE id = $2 RETURNING id")
                .bind(seq)
                .bind(message.0)
                .fetch_optional(&mut *tx)
                .await
                .during("tagging a message")?;
        if found.is_none() {
            tx.rollback().await.during("tagging a message")?;
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO message_tags (message, tag, added_by, added_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (message, tag) DO NOTHING",
        )
        .bind(message.0)
        .bind(tag)
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .during("tagging a message")?;
        tx.commit().await.during("committing a tag")?;
        Ok(true)
    }

    /// Removes a tag from a message; returns whether it had it.
    pub async fn remove_tag(&self, message: MessageId, tag: &str) -> Result<bool, StoreError> {
        let (mut tx, seq) = self.begin_write().await?;
        let removed = sqlx::query("DELETE FROM message_tags WHERE message = $1 AND tag = $2")
            .bind(message.0)
            .bind(tag)
            .execute(&mut *tx)
            .await
            .during("untagging a message")?
            .rows_affected();
        if removed == 0 {
            tx.rollback().await.during("untagging a message")?;
            return Ok(false);
        }
        sqlx::query("UPDATE messages SET change_seq = $1 WHERE id = $2")
            .bind(seq)
            .bind(message.0)
            .execute(&mut *tx)
            .await
            .during("untagging a message")?;
        tx.commit().await.during("committing a removed tag")?;
        Ok(true)
    }

    /// A message's tags, sorted.
    pub async fn tags(&self, message: MessageId) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("SELECT tag FROM message_tags WHERE message = $1 ORDER BY tag")
            .bind(message.0)
            .fetch_all(&self.pool)
            .await
            .during("reading tags")
    }
}

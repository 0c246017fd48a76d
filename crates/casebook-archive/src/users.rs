//! Users and roles, logins and their throttling, API tokens, web
//! sessions, and the tags agents give messages. Passwords and secrets are
//! made and checked by `casebook-credentials`; the store only ever sees
//! digests.

use crate::audit::now;
use crate::{Archive, ArchiveError};
use casebook_credentials::{digest, dummy_hash, hash_password, random_secret};
use casebook_store::{LoginLimits, LoginTurn, Role, UserRecord};
use casebook_vocabulary::MessageId;

/// How long a web session lasts.
pub const SESSION_SECS: i64 = 12 * 3600;
/// Failed logins within this window…
const FAILURE_WINDOW_SECS: i64 = 15 * 60;
/// …beyond this many for one name lock the name, from the addresses it
/// has not logged in from, until the window has passed (from an address
/// it is known at, only that address's own failures count)…
const FAILURES_PER_NAME: u64 = 5;
/// …and beyond this many from one client address, whatever the names,
/// lock that address out of every name it is not known for.
const FAILURES_PER_CLIENT: u64 = 20;
/// An address a name logged in from is known for it this long.
const KNOWN_ADDRESS_SECS: i64 = 90 * 86_400;

/// A user, without their password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    /// The time zone they chose for the pages' dates (an IANA name the
    /// web app checked); `None`: the config's `display_timezone`.
    pub display_timezone: Option<String>,
}

impl From<UserRecord> for User {
    fn from(r: UserRecord) -> Self {
        Self {
            id: r.id,
            name: r.name,
            role: r.role,
            disabled: r.disabled,
            display_timezone: r.display_timezone,
        }
    }
}

/// A logged-in browser: who, and the token its forms must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: User,
    pub csrf: String,
}

/// What a login attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    /// The cookie value to set (shown once) and the session it opens.
    Started { token: String, session: Session },
    /// Wrong name or password (not saying which), or a disabled user.
    Refused,
    /// Too many failures lately; try again after this long.
    Throttled {
        retry_after_secs: i64,
        locked: Locked,
    },
}

/// What too many failed logins locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locked {
    /// The name, from addresses it has not logged in from.
    Name,
    /// The client's address, for names not known there.
    Client,
}

/// The address login failures are counted by: an IPv4 address as it is,
/// an IPv6 address by its /64 network (what one subscriber is given, so
/// hopping between its addresses does not reset the count).
fn login_client(address: std::net::IpAddr) -> String {
    use std::net::IpAddr;
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let network = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{network}/64")
            }
        },
    }
}

fn check_name(name: &str) -> Result<(), ArchiveError> {
    let ok = !name.is_empty()
        && name.chars().count() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(ArchiveError::BadUserName(name.to_owned()))
    }
}

impl Archive {
    /// Tags a message (searchable as `tag:NAME` once the index catches
    /// up, which this does). Returns false if there is no such message.
    pub async fn tag(
        &self,
        id: MessageId,
        tag: &str,
        by: Option<&User>,
    ) -> Result<bool, ArchiveError> {
        let tag = casebook_search::normalize_tag(tag)
            .ok_or_else(|| ArchiveError::BadTag(tag.to_owned()))?;
        let tagged = self
            .store
            .add_tag(id, &tag, by.map(|u| u.id), now())
            .await?;
        self.settle_unless_busy().await?;
        Ok(tagged)
    }

    /// Removes a tag; returns whether the message had it.
    pub async fn untag(&self, id: MessageId, tag: &str) -> Result<bool, ArchiveError> {
        let tag = casebook_search::normalize_tag(tag)
            .ok_or_else(|| ArchiveError::BadTag(tag.to_owned()))?;
        let removed = self.store.remove_tag(id, &tag).await?;
        self.settle_unless_busy().await?;
        Ok(removed)
    }

    pub async fn tags(&self, id: MessageId) -> Result<Vec<String>, ArchiveError> {
        Ok(self.store.tags(id).await?)
    }
}

/// Users, one feature's handle on the archive (`archive.users()`): staff
/// accounts and their roles, passwords and API tokens, logins (throttled)
/// and web sessions.
pub struct Users<'a> {
    pub(crate) archive: &'a Archive,
}

impl Archive {
    /// This archive's [`Users`].
    pub fn users(&self) -> Users<'_> {
        Users { archive: self }
    }
}

impl Users<'_> {
    pub async fn add(&self, name: &str, role: Role, password: &str) -> Result<User, ArchiveError> {
        check_name(name)?;
        let hash = hash_password(password).await?;
        let id = self
            .archive
            .store
            .add_user(name, role, &hash, now())
            .await?
            .ok_or_else(|| ArchiveError::UserExists(name.to_owned()))?;
        tracing::info!(user = name, role = role.as_str(), "user added");
        Ok(User {
            id,
            name: name.to_owned(),
            role,
            disabled: false,
            display_timezone: None,
        })
    }

    pub async fn list(&self) -> Result<Vec<User>, ArchiveError> {
        Ok(self
            .archive
            .store
            .users()
            .await?
            .into_iter()
            .map(User::from)
            .collect())
    }

    /// Disables a user: their sessions end and their tokens stop working.
    pub async fn disable(&self, name: &str) -> Result<(), ArchiveError> {
        if !self.archive.store.set_user_disabled(name, true).await? {
            return Err(ArchiveError::UnknownUser(name.to_owned()));
        }
        tracing::info!(user = name, "user disabled");
        Ok(())
    }

    /// Sets a new password; the user's sessions end.
    pub async fn set_password(&self, name: &str, password: &str) -> Result<(), ArchiveError> {
        let hash = hash_password(password).await?;
        if !self.archive.store.set_password(name, &hash).await? {
            return Err(ArchiveError::UnknownUser(name.to_owned()));
        }
        tracing::info!(user = name, "password changed");
        Ok(())
    }

    /// Creates an API token for a user and returns it: it is shown once,
    /// only its digest is kept.
    pub async fn create_token(&self, name: &str, label: &str) -> Result<String, ArchiveError> {
        let user = self
            .archive
            .store
            .user_by_name(name)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(|| ArchiveError::UnknownUser(name.to_owned()))?;
        let token = random_secret("cbt_")?;
        self.archive
            .store
            .add_token(user.id, &digest(&token), label, now())
            .await?;
        tracing::info!(user = name, label, "API token created");
        Ok(token)
    }

    /// The enabled user an API token belongs to.
    pub async fn for_token(&self, token: &str) -> Result<Option<User>, ArchiveError> {
        Ok(self
            .archive
            .store
            .user_by_token(&digest(token))
            .await?
            .map(User::from))
    }

    /// Checks a name and password from a client at `client` and opens a
    /// session. Failures are logged and counted by name and by address:
    /// after too many for one name it is locked for a while, even for the
    /// right password, except from addresses it has logged in from; after
    /// too many from one address, that address is locked for names it is
    /// not known for.
    pub async fn log_in(
        &self,
        name: &str,
        password: &str,
        client: std::net::IpAddr,
    ) -> Result<Login, ArchiveError> {
        // A name no user can have (over 64 characters, odd characters) is
        // refused before anything is recorded or logged: an outsider must
        // not fill the disk through the login form.
        if check_name(name).is_err() {
            return Ok(Login::Refused);
        }
        let now = now();
        let client = login_client(client);
        let limits = LoginLimits {
            since: now - FAILURE_WINDOW_SECS,
            known_since: now - KNOWN_ADDRESS_SECS,
            per_name: FAILURES_PER_NAME,
            per_client: FAILURES_PER_CLIENT,
        };
        // The attempt counts as a failure before the password is checked,
        // in one write turn with the count: parallel guesses cannot all
        // pass it.
        let locked = match self
            .archive
            .store
            .begin_login_attempt(name, &client, now, &limits)
            .await?
        {
            LoginTurn::Allowed => None,
            LoginTurn::NameLocked => Some(Locked::Name),
            LoginTurn::ClientLocked => Some(Locked::Client),
        };
        if let Some(locked) = locked {
            tracing::warn!(
                user = name,
                client,
                ?locked,
                "login refused: too many failed attempts"
            );
            return Ok(Login::Throttled {
                retry_after_secs: FAILURE_WINDOW_SECS,
                locked,
            });
        }
        let user = self.archive.store.user_by_name(name).await?;
        // Password checks take ~19 MiB each: a few at a time, whatever the
        // concurrency. An unknown name costs the same check as a known
        // one, so response times do not tell names apart.
        let matches = match &user {
            Some(u) => {
                self.archive
                    .password_checks
                    .matches(password, &u.password_hash)
                    .await
            }
            None => {
                let dummy = dummy_hash().await;
                self.archive.password_checks.matches(password, dummy).await;
                false
            }
        };
        match user {
            Some(u) if matches && !u.disabled => {
                self.archive
                    .store
                    .login_succeeded(name, &client, now, limits.known_since)
                    .await?;
                let token = random_secret("cbs_")?;
                let csrf = random_secret("")?;
                self.archive
                    .store
                    .add_session(&digest(&token), u.id, &csrf, now, now + SESSION_SECS)
                    .await?;
                tracing::info!(user = name, client, "logged in");
                Ok(Login::Started {
                    token,
                    session: Session {
                        user: u.into(),
                        csrf,
                    },
                })
            }
            _ => {
                tracing::warn!(user = name, client, "failed login");
                Ok(Login::Refused)
            }
        }
    }

    /// The session a cookie value opens, if it is current.
    /// Records the time zone `user` chose for the pages (`None`: the
    /// config's). The caller has checked it is one.
    pub async fn set_display_timezone(
        &self,
        user: &User,
        zone: Option<&str>,
    ) -> Result<(), ArchiveError> {
        Ok(self
            .archive
            .store
            .set_display_timezone(user.id, zone)
            .await?)
    }

    pub async fn session(&self, token: &str) -> Result<Option<Session>, ArchiveError> {
        Ok(self
            .archive
            .store
            .session(&digest(token), now())
            .await?
            .map(|(user, csrf)| Session {
                user: user.into(),
                csrf,
            }))
    }

    pub async fn log_out(&self, token: &str) -> Result<(), ArchiveError> {
        Ok(self.archive.store.end_session(&digest(token)).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_plain() {
        assert!(check_name("ann.lee@casebook.example").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("ann lee").is_err());
        assert!(check_name("<script>").is_err());
    }

    #[test]
    fn login_failures_count_by_address_or_ipv6_network() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().expect("address");
        assert_eq!(login_client(ip("192.0.2.7")), "192.0.2.7");
        assert_eq!(login_client(ip("::ffff:192.0.2.7")), "192.0.2.7");
        assert_eq!(
            login_client(ip("2001:db8:1:2:aaaa::1")),
            login_client(ip("2001:db8:1:2:bbbb::9"))
        );
        assert_eq!(login_client(ip("2001:db8:1:2::1")), "2001:db8:1:2::/64");
        assert_ne!(
            login_client(ip("2001:db8:1:2::1")),
            login_client(ip("2001:db8:1:3::1"))
        );
    }
}

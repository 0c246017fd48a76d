//! Users and roles, passwords (argon2id), API tokens, web sessions, and
//! the tags agents give messages. Secrets are hashed here; the store only
//! ever sees digests.

use crate::audit::now;
use crate::{Archive, ArchiveError};
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::Argon2;
use casebook_store::{LoginLimits, LoginTurn, Role, UserRecord};
use casebook_vocabulary::MessageId;
use sha2::Digest;

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
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
}

impl From<UserRecord> for User {
    fn from(r: UserRecord) -> Self {
        Self {
            id: r.id,
            name: r.name,
            role: r.role,
            disabled: r.disabled,
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

/// 32 random bytes as hex, with a prefix saying what it is.
fn random_secret(prefix: &str) -> Result<String, ArchiveError> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| ArchiveError::NoRandomness(e.to_string()))?;
    Ok(format!("{prefix}{}", hex(&bytes)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn digest(secret: &str) -> String {
    hex(&sha2::Sha256::digest(secret.as_bytes()))
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

async fn hash_password(password: &str) -> Result<String, ArchiveError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ArchiveError::WeakPassword(MIN_PASSWORD_CHARS));
    }
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| ArchiveError::NoRandomness(e.to_string()))?;
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| ArchiveError::PasswordHash(e.to_string()))?
    .map_err(ArchiveError::PasswordHash)
}

/// A hash of no one's password, checked for names that have no user.
async fn dummy_hash() -> &'static str {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_init(|| async {
        let mut secret = [0u8; 16];
        let _ = getrandom::getrandom(&mut secret);
        hash_password(&hex(&secret)).await.unwrap_or_default()
    })
    .await
}

/// The most memory a stored hash may ask a check for, in argon2 blocks of
/// 1 KiB: 64 MiB, over three times what this version's hashes use
/// (19 MiB). A hash asking for more (a tampered row) matches nothing.
const MAX_CHECK_BLOCKS: usize = 64 * 1024;

/// Whether `password` is the one `hash` (a PHC string) was made from,
/// worked out in `blocks`, the checking thread's own memory: kept from
/// check to check, so no check pays for fresh pages and every check takes
/// the same time, whichever thread it lands on.
fn password_matches(password: &str, hash: &str, blocks: &mut Vec<argon2::Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(params) = argon2::Params::try_from(&parsed) else {
        return false;
    };
    let Ok(algorithm) = argon2::Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(argon2::Version::try_from) {
        None => argon2::Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let count = params.block_count();
    if count > MAX_CHECK_BLOCKS {
        return false;
    }
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    if blocks.len() < count {
        blocks.resize(count, argon2::Block::default());
    }
    let mut computed = [0u8; 64];
    let Some(computed) = computed.get_mut(..expected.len()) else {
        return false;
    };
    if Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt, computed, &mut blocks[..count])
        .is_err()
    {
        return false;
    }
    // `Output`'s equality is constant-time.
    argon2::password_hash::Output::new(computed).is_ok_and(|computed| computed == expected)
}

/// A password to check and where the answer goes.
type PasswordJob = (String, String, tokio::sync::oneshot::Sender<bool>);

/// Password checks, on threads of their own, a fixed few, each with its
/// own argon2 memory kept from check to check: ~19 MiB per check, and on
/// the runtime's pool of blocking threads each thread kept an allocator
/// arena of freed checks (a 5-second flood of wrong passwords from
/// rotating addresses took the server from 16 MB to 487 MB with only two
/// checks at a time); memory allocated afresh per check also made checks
/// on one thread slower than on the other (fresh pages), which told
/// unknown names from known ones. Checks queue for the threads; the
/// threads end with the archive.
pub(crate) struct PasswordChecks {
    jobs: std::sync::mpsc::Sender<PasswordJob>,
}

impl PasswordChecks {
    pub(crate) fn start(threads: usize) -> Result<Self, ArchiveError> {
        let (jobs, queue) = std::sync::mpsc::channel::<PasswordJob>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for n in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("password-check-{n}"))
                .spawn(move || {
                    let mut blocks = Vec::new();
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        let Ok((password, hash, answer)) = job else {
                            return;
                        };
                        let _ = answer.send(password_matches(&password, &hash, &mut blocks));
                    }
                })
                .map_err(|e| {
                    ArchiveError::PasswordHash(format!("cannot start a password-check thread: {e}"))
                })?;
        }
        Ok(Self { jobs })
    }

    /// Whether `password` matches `hash`, checked in turn.
    async fn matches(&self, password: &str, hash: &str) -> bool {
        let (answer, answered) = tokio::sync::oneshot::channel();
        if self
            .jobs
            .send((password.to_owned(), hash.to_owned(), answer))
            .is_err()
        {
            return false;
        }
        answered.await.unwrap_or(false)
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

    #[tokio::test]
    async fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse battery").await.expect("hash");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        let checks = PasswordChecks::start(1).expect("a thread");
        assert!(checks.matches("correct horse battery", &hash).await);
        assert!(!checks.matches("correct horse battery!", &hash).await);
        assert!(!checks.matches("anything", "not a hash").await);
        assert!(matches!(
            hash_password("short").await,
            Err(ArchiveError::WeakPassword(MIN_PASSWORD_CHARS))
        ));
    }

    /// Hashes made by argon2's own hasher with other algorithms, versions,
    /// costs and lengths (what an older or a tuned install stored) are
    /// checked as argon2's own verifier checks them, in one thread's
    /// memory reused from a bigger check to smaller ones.
    #[test]
    fn a_check_in_kept_memory_agrees_with_argon2s_own_verifier() {
        use argon2::password_hash::PasswordVerifier;
        use argon2::{Algorithm, Params, Version};
        let salt = SaltString::encode_b64(b"a salt of sixteen").expect("salt");
        let mut blocks = Vec::new();
        let shapes = [
            (Algorithm::Argon2id, Version::V0x13, 2048, 2, 2, 32),
            (Algorithm::Argon2i, Version::V0x13, 64, 3, 1, 16),
            (Algorithm::Argon2d, Version::V0x10, 256, 1, 4, 64),
            (Algorithm::Argon2id, Version::V0x13, 19 * 1024, 2, 1, 32),
        ];
        for (algorithm, version, m, t, p, len) in shapes {
            let params = Params::new(m, t, p, Some(len)).expect("params");
            let argon = Argon2::new(algorithm, version, params);
            let hash = argon
                .hash_password(b"correct horse battery", &salt)
                .expect("hash")
                .to_string();
            let parsed = PasswordHash::new(&hash).expect("parsed");
            for password in ["correct horse battery", "correct horse battery!", ""] {
                let theirs = argon.verify_password(password.as_bytes(), &parsed).is_ok();
                let ours = password_matches(password, &hash, &mut blocks);
                assert_eq!(ours, theirs, "{hash} with {password:?}");
            }
            assert!(password_matches(
                "correct horse battery",
                &hash,
                &mut blocks
            ));
        }
        assert_eq!(blocks.len(), 19 * 1024, "memory kept, not given back");
        // A stored hash asking for more memory than a check may take
        // (a tampered row) matches nothing, and takes nothing.
        let greedy = "$argon2id$v=19$m=1048576,t=1,p=1$YSBzYWx0IG9mIHNpeHRlZW4$\
                      AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(PasswordHash::new(greedy).is_ok(), "the hash must parse");
        assert!(!password_matches("anything", greedy, &mut blocks));
        assert_eq!(blocks.len(), 19 * 1024);
    }

    #[test]
    fn user_names_are_plain() {
        assert!(check_name("ann.lee@casebook.example").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("ann lee").is_err());
        assert!(check_name("<script>").is_err());
    }

    #[test]
    fn secrets_are_random_and_stored_as_digests() {
        let a = random_secret("cbt_").expect("random");
        let b = random_secret("cbt_").expect("random");
        assert_ne!(a, b);
        assert_eq!(a.len(), 4 + 64);
        assert_eq!(digest(&a).len(), 64);
        assert_ne!(digest(&a), a);
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

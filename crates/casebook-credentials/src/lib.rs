//! Staff credentials: passwords hashed with argon2id and checked on a few
//! threads of their own that keep their memory from check to check (so a
//! flood of wrong passwords cannot grow the server, and every check takes
//! the same time whether the name exists or not), and the random secrets
//! behind API tokens and web sessions, of which the store only ever sees
//! a digest.

use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::Argon2;
use sha2::Digest;

/// What went wrong making or checking a credential.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CredentialError {
    /// The password is shorter than this many characters.
    #[error("the password is too short: use at least {0} characters")]
    WeakPassword(usize),
    #[error("no randomness from the system: {0}")]
    NoRandomness(String),
    #[error("cannot hash a password: {0}")]
    Hash(String),
}

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// 32 random bytes as hex, with a prefix saying what it is.
pub fn random_secret(prefix: &str) -> Result<String, CredentialError> {
    Ok(format!("{prefix}{}", random_hex(32)?))
}

/// `bytes` random bytes from the system, as hex.
pub fn random_hex(bytes: usize) -> Result<String, CredentialError> {
    let mut buf = vec![0u8; bytes];
    getrandom::getrandom(&mut buf).map_err(|e| CredentialError::NoRandomness(e.to_string()))?;
    Ok(hex(&buf))
}

/// HMAC-SHA256 of `text` under `key`, as hex: a digest only the key's
/// holder can make again (erased people's addresses are kept so).
pub fn keyed_digest(key: &[u8], text: &str) -> String {
    use hmac::Mac;
    match hmac::Hmac::<sha2::Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(text.as_bytes());
            hex(&mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; this cannot happen.
        Err(_) => String::new(),
    }
}

/// Bytes as lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the store keeps of a token: its SHA-256, as hex.
pub fn digest(secret: &str) -> String {
    hex(&sha2::Sha256::digest(secret.as_bytes()))
}

/// An argon2id hash (PHC string) of `password`, with a fresh salt, made
/// on a blocking thread; a password shorter than [`MIN_PASSWORD_CHARS`]
/// is refused.
pub async fn hash_password(password: &str) -> Result<String, CredentialError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(CredentialError::WeakPassword(MIN_PASSWORD_CHARS));
    }
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| CredentialError::NoRandomness(e.to_string()))?;
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| CredentialError::Hash(e.to_string()))?
    .map_err(CredentialError::Hash)
}

/// A hash of no one's password, checked for names that have no user.
pub async fn dummy_hash() -> &'static str {
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
pub struct PasswordChecks {
    jobs: std::sync::mpsc::Sender<PasswordJob>,
}

impl PasswordChecks {
    /// Starts `threads` checking threads.
    pub fn start(threads: usize) -> Result<Self, CredentialError> {
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
                    CredentialError::Hash(format!("cannot start a password-check thread: {e}"))
                })?;
        }
        Ok(Self { jobs })
    }

    /// Whether `password` matches `hash`, checked in turn.
    pub async fn matches(&self, password: &str, hash: &str) -> bool {
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
            Err(CredentialError::WeakPassword(MIN_PASSWORD_CHARS))
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
    fn keyed_digests_depend_on_the_key_and_the_text() {
        let a = keyed_digest(b"key one", "ann@example.com");
        assert_eq!(a.len(), 64);
        assert_eq!(a, keyed_digest(b"key one", "ann@example.com"));
        assert_ne!(a, keyed_digest(b"key two", "ann@example.com"));
        assert_ne!(a, keyed_digest(b"key one", "bob@example.com"));
        assert_eq!(random_hex(8).expect("random").len(), 16);
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
}

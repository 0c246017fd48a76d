//! The configuration file, typed once at start-up.

use casebook_mail::{EmailAddress, Limits};
use casebook_store::StoreLocation;
use std::path::{Path, PathBuf};

/// Messages a sync fetches and stores per transaction unless an account
/// says otherwise. Each transaction rewrites the pages of the store's
/// indexes it touches (keys by digest and Message-ID fall all over them),
/// so fewer, larger ones make a first sync faster: 30,000 messages took
/// ~3.3 s at 2,000 against ~3.7 s at 500. Memory stays bounded by bytes
/// (32 MiB a batch) whatever the count.
pub const DEFAULT_BATCH_MESSAGES: usize = 2000;
const MAX_BATCH_MESSAGES: usize = 100_000;

/// Messages threaded at a time unless the config says otherwise: ~25–60 MB
/// of rows (with the threads they join), so a first import's threading
/// stays far under its 300 MB whatever the archive's size.
pub const DEFAULT_THREADING_BATCH: usize = 25_000;
/// At most this many: a million rows are about a gigabyte (the error
/// message says the same number).
const MAX_THREADING_BATCH: usize = 1_000_000;

/// Settings from `casebook.toml`; every key is documented in
/// `config/casebook.example.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Mail from these addresses is our reply (outbound).
    pub our_addresses: Vec<EmailAddress>,
    /// Mail from any address at these domains is our reply (outbound).
    pub our_domains: Vec<String>,
    /// Providers' domains (besides the built-in list) that never make a
    /// customer match by domain.
    pub free_mail_domains: Vec<String>,
    /// Raw messages (and so attachments) are stored sealed with the key in
    /// this file (64 hex digits; `casebook keygen` makes one).
    pub encryption_key_file: Option<PathBuf>,
    /// Integrity chain entries are authenticated (HMAC-SHA256) with the
    /// key in this file, kept outside the database (`casebook keygen`
    /// makes one): then nobody who can only write to the database can
    /// forge an entry that verifies.
    pub integrity_key_file: Option<PathBuf>,
    /// Mail older than this many days is erased by `casebook retention
    /// apply` (and daily by `casebook watch`), but held mail.
    pub retention_days: Option<u32>,
    /// Aggregate statistics suppress every cell covering fewer distinct
    /// correspondents than this.
    pub k_anonymity: u32,
    /// How far apart two messages of one correspondent with the same subject
    /// may be and still be threaded together when reply headers are missing.
    pub thread_subject_window_days: u32,
    /// Messages threads are worked out for at a time: what threading holds
    /// in memory (about 1–2 KB each, with the threads they join) whatever
    /// the archive's size. A first import of a million messages is
    /// threaded in rounds of this many.
    pub threading_batch_messages: usize,
    /// MiB of database pages the one connection that writes keeps
    /// (SQLite): what a large import or list import holds besides the
    /// readers' caches. More keeps more of the randomly placed index
    /// entries a batch changes cached for the next.
    pub write_cache_mib: u32,
    /// MiB of database pages each of the four reading connections keeps
    /// (SQLite): reading the whole archive back, as the index's catch-up
    /// after a large import does, fills all four.
    pub read_cache_mib: u32,
    /// Where the search index (and, by default, the SQLite database) live,
    /// unless `--data` says otherwise.
    pub data_dir: Option<PathBuf>,
    /// The database, when not `casebook.db` in the data folder:
    /// `postgres://…` for a shared archive, `sqlite://…` for another file.
    pub database_url: Option<StoreLocation>,
    /// IMAP accounts to sync (`[[account]]`).
    pub accounts: Vec<Account>,
    /// How much of one message is read (`[limits]`); what is over them is
    /// stored whole and tagged `over-limit`.
    pub limits: Limits,
    /// `casebook serve` speaks HTTPS itself with this certificate and key
    /// (PEM); without them it speaks HTTP (behind a proxy that does TLS).
    pub tls: Option<TlsFiles>,
    /// The IANA time zone the web pages show dates in (`UTC` unless set);
    /// checked against the system's time zone database.
    pub display_timezone: String,
}

/// A server certificate (with its chain) and its private key, PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// One IMAP account (`[[account]]` in the config file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub secret: Secret,
    pub ca_file: Option<PathBuf>,
    /// The folder customers write to.
    pub inbound: String,
    /// Our replies; `None`: the folder the server marks `\Sent`, else `Sent`.
    pub sent: Option<String>,
    /// Messages larger than this are recorded as skipped, not fetched.
    pub max_message_bytes: u64,
    /// Messages fetched, and stored in one transaction, at a time.
    pub batch_messages: usize,
    pub timeout_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    Tls,
    StartTls,
    Plain,
}

/// Where an account's secret comes from; never the config file itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    /// The password is in this environment variable.
    PasswordEnv(String),
    /// This shell command prints the password.
    PasswordCommand(String),
    /// This shell command prints an OAuth 2 access token (XOAUTH2 or OAUTHBEARER).
    OAuthTokenCommand {
        command: String,
        mechanism: OAuthMechanism,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthMechanism {
    XOAuth2,
    OAuthBearer,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            our_addresses: Vec::new(),
            our_domains: Vec::new(),
            free_mail_domains: Vec::new(),
            retention_days: None,
            k_anonymity: 5,
            display_timezone: "UTC".to_owned(),
            encryption_key_file: None,
            integrity_key_file: None,
            thread_subject_window_days: 30,
            threading_batch_messages: DEFAULT_THREADING_BATCH,
            write_cache_mib: casebook_store::DEFAULT_WRITER_CACHE_MIB,
            read_cache_mib: casebook_store::DEFAULT_READER_CACHE_MIB,
            data_dir: None,
            database_url: None,
            accounts: Vec::new(),
            limits: Limits::default(),
            tls: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {}: {message}", path.display())]
    Syntax { path: PathBuf, message: String },
    #[error("config file {}: `{key}` = {value:?}: {problem}", path.display())]
    Invalid {
        path: PathBuf,
        key: String,
        value: String,
        problem: &'static str,
    },
    #[error("the encryption key file {} {problem}", path.display())]
    Key { path: PathBuf, problem: String },
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    our_addresses: Vec<String>,
    #[serde(default)]
    our_domains: Vec<String>,
    #[serde(default)]
    free_mail_domains: Vec<String>,
    thread_subject_window_days: Option<u32>,
    threading_batch_messages: Option<usize>,
    write_cache_mib: Option<u32>,
    read_cache_mib: Option<u32>,
    retention_days: Option<u32>,
    k_anonymity: Option<u32>,
    display_timezone: Option<String>,
    encryption_key_file: Option<PathBuf>,
    integrity_key_file: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    #[serde(default)]
    account: Vec<RawAccount>,
    limits: Option<RawLimits>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    parse_bytes: Option<u64>,
    text_bytes: Option<u64>,
    parts: Option<u64>,
    references: Option<u64>,
    header_bytes: Option<u64>,
    subject_chars: Option<u64>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    name: String,
    host: String,
    port: Option<u16>,
    security: String,
    username: String,
    password_env: Option<String>,
    password_command: Option<String>,
    oauth_token_command: Option<String>,
    oauth_mechanism: Option<String>,
    ca_file: Option<PathBuf>,
    inbound: Option<String>,
    sent: Option<String>,
    max_message_bytes: Option<u64>,
    batch_messages: Option<u64>,
    timeout_secs: Option<u64>,
}

/// Reads each part of a config file's TOML into its type; every error
/// names the file, the key and the value, and says what to write instead.
struct Check<'a> {
    path: &'a Path,
}

impl Check<'_> {
    fn invalid(&self, key: impl Into<String>, value: &str, problem: &'static str) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_owned(),
            key: key.into(),
            value: value.to_owned(),
            problem,
        }
    }

    fn addresses(&self, key: &str, list: &[String]) -> Result<Vec<EmailAddress>, ConfigError> {
        list.iter()
            .enumerate()
            .map(|(i, a)| {
                EmailAddress::parse(a).ok_or_else(|| {
                    self.invalid(
                        format!("{key}[{i}]"),
                        a,
                        "not an e-mail address; write it as name@domain",
                    )
                })
            })
            .collect()
    }

    fn domains(&self, key: &str, list: &[String]) -> Result<Vec<String>, ConfigError> {
        list.iter()
            .enumerate()
            .map(|(i, d)| {
                let domain = d.trim().trim_start_matches('@').to_lowercase();
                if domain.is_empty() || domain.contains('@') || domain.contains(char::is_whitespace)
                {
                    return Err(self.invalid(
                        format!("{key}[{i}]"),
                        d,
                        "not a domain; write it as example.com",
                    ));
                }
                Ok(domain)
            })
            .collect()
    }

    fn database_url(&self, url: Option<&str>) -> Result<Option<StoreLocation>, ConfigError> {
        let Some(url) = url else { return Ok(None) };
        let location = StoreLocation::parse(url).map_err(|_| {
            self.invalid(
                "database_url",
                url,
                "write postgres://user@host:port/database or sqlite:///path/to/casebook.db",
            )
        })?;
        if has_password(url) {
            return Err(self.invalid(
                "database_url",
                &location.to_string(),
                "the config file holds no passwords; drop it from the URL and put it in \
                 PGPASSWORD or ~/.pgpass, or pass the whole URL in CASEBOOK_DATABASE_URL",
            ));
        }
        Ok(Some(location))
    }

    fn tls(
        &self,
        cert: Option<PathBuf>,
        key: Option<PathBuf>,
    ) -> Result<Option<TlsFiles>, ConfigError> {
        match (cert, key) {
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => Ok(Some(TlsFiles { cert, key })),
            (Some(_), None) => Err(self.invalid(
                "tls_key",
                "",
                "tls_cert is set, so tls_key must name the certificate's private key (PEM)",
            )),
            (None, Some(_)) => Err(self.invalid(
                "tls_cert",
                "",
                "tls_key is set, so tls_cert must name the server certificate (PEM)",
            )),
        }
    }

    fn retention_days(&self, days: Option<u32>) -> Result<Option<u32>, ConfigError> {
        match days {
            Some(0) => Err(self.invalid(
                "retention_days",
                "0",
                "must be at least 1 day; leave it out to keep mail for ever",
            )),
            other => Ok(other),
        }
    }

    fn k_anonymity(&self, k: Option<u32>) -> Result<u32, ConfigError> {
        let k = k.unwrap_or(5);
        if k < 2 {
            return Err(self.invalid(
                "k_anonymity",
                &k.to_string(),
                "must be at least 2, or a cell could describe one person",
            ));
        }
        Ok(k)
    }

    fn display_timezone(&self, name: Option<String>) -> Result<String, ConfigError> {
        let Some(name) = name else {
            return Ok("UTC".to_owned());
        };
        if name.trim().eq_ignore_ascii_case("utc") {
            return Ok("UTC".to_owned());
        }
        match jiff::tz::TimeZone::get(name.trim()) {
            Ok(_) => Ok(name.trim().to_owned()),
            Err(_) => Err(self.invalid(
                "display_timezone",
                &name,
                "is not a time zone this machine knows: use an IANA name such as UTC, \
                 Europe/Berlin or America/New_York (Debian's tzdata package installs them)",
            )),
        }
    }

    fn subject_window(&self, days: Option<u32>) -> Result<u32, ConfigError> {
        let window = days.unwrap_or(30);
        if window == 0 || window > 3650 {
            return Err(self.invalid(
                "thread_subject_window_days",
                &window.to_string(),
                "must be between 1 and 3650 days",
            ));
        }
        Ok(window)
    }

    fn threading_batch(&self, messages: Option<usize>) -> Result<usize, ConfigError> {
        let batch = messages.unwrap_or(DEFAULT_THREADING_BATCH);
        if !(100..=MAX_THREADING_BATCH).contains(&batch) {
            return Err(self.invalid(
                "threading_batch_messages",
                &batch.to_string(),
                "must be between 100 and 1000000",
            ));
        }
        Ok(batch)
    }

    /// A page cache's MiB (`key`), `default` when not given.
    fn page_cache(&self, key: &str, mib: Option<u32>, default: u32) -> Result<u32, ConfigError> {
        let mib = mib.unwrap_or(default);
        if !(4..=1024).contains(&mib) {
            return Err(self.invalid(key, &mib.to_string(), "must be between 4 and 1024 (MiB)"));
        }
        Ok(mib)
    }

    /// The `i`th `[[account]]`, whose name must differ from those `before` it.
    fn account(&self, i: usize, a: RawAccount, before: &[Account]) -> Result<Account, ConfigError> {
        let key = |k: &str| format!("account[{i}].{k}");
        if a.name.trim().is_empty() || before.iter().any(|b| b.name == a.name) {
            return Err(self.invalid(
                key("name"),
                &a.name,
                "every account needs a name of its own",
            ));
        }
        let security = match a.security.as_str() {
            "tls" => Security::Tls,
            "starttls" => Security::StartTls,
            "plain" => Security::Plain,
            _ => {
                return Err(self.invalid(
                    key("security"),
                    &a.security,
                    "write \"tls\", \"starttls\" or \"plain\"",
                ))
            }
        };
        let loopback = a.host.eq_ignore_ascii_case("localhost")
            || a.host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if security == Security::Plain && !loopback {
            return Err(self.invalid(
                key("security"),
                &a.security,
                "\"plain\" sends the password in clear and is allowed only for a loopback host; use \"tls\" or \"starttls\"",
            ));
        }
        let mechanism = match a.oauth_mechanism.as_deref() {
            None | Some("xoauth2") => OAuthMechanism::XOAuth2,
            Some("oauthbearer") => OAuthMechanism::OAuthBearer,
            Some(other) => {
                return Err(self.invalid(
                    key("oauth_mechanism"),
                    other,
                    "write \"xoauth2\" or \"oauthbearer\"",
                ))
            }
        };
        let secret = match (a.password_env, a.password_command, a.oauth_token_command) {
            (Some(env), None, None) => Secret::PasswordEnv(env),
            (None, Some(cmd), None) => Secret::PasswordCommand(cmd),
            (None, None, Some(cmd)) => Secret::OAuthTokenCommand { command: cmd, mechanism },
            _ => {
                return Err(self.invalid(
                    key("password_env"),
                    &a.name,
                    "give exactly one of password_env, password_command or oauth_token_command (passwords are never written in the config)",
                ))
            }
        };
        let batch_messages = match a.batch_messages {
            None => DEFAULT_BATCH_MESSAGES,
            Some(n) if (1..=MAX_BATCH_MESSAGES as u64).contains(&n) => n as usize,
            Some(n) => {
                return Err(self.invalid(
                    key("batch_messages"),
                    &n.to_string(),
                    "must be between 1 and 100000 (default 2000)",
                ))
            }
        };
        Ok(Account {
            port: a
                .port
                .unwrap_or(if security == Security::Tls { 993 } else { 143 }),
            name: a.name,
            host: a.host,
            security,
            username: a.username,
            secret,
            ca_file: a.ca_file,
            inbound: a.inbound.unwrap_or_else(|| "INBOX".to_owned()),
            sent: a.sent,
            max_message_bytes: a.max_message_bytes.unwrap_or(50 * 1024 * 1024),
            batch_messages,
            timeout_secs: a.timeout_secs.unwrap_or(60).max(1),
        })
    }

    fn limits(&self, raw: Option<RawLimits>) -> Result<Limits, ConfigError> {
        let d = Limits::default();
        let Some(l) = raw else { return Ok(d) };
        let pick = |key: &str, value: Option<u64>, default: usize, least: u64, problem| match value
        {
            None => Ok(default),
            Some(v) if v < least => {
                Err(self.invalid(format!("limits.{key}"), &v.to_string(), problem))
            }
            Some(v) => Ok(usize::try_from(v).unwrap_or(usize::MAX)),
        };
        Ok(Limits {
            parse_bytes: pick(
                "parse_bytes",
                l.parse_bytes,
                d.parse_bytes,
                65_536,
                "must be at least 65536 (64 KiB), so every header is read",
            )?,
            text_bytes: pick(
                "text_bytes",
                l.text_bytes,
                d.text_bytes,
                1_024,
                "must be at least 1024 bytes",
            )?,
            parts: pick("parts", l.parts, d.parts, 1, "must be at least 1")?,
            references: pick(
                "references",
                l.references,
                d.references,
                1,
                "must be at least 1, or replies cannot be threaded",
            )?,
            header_bytes: pick(
                "header_bytes",
                l.header_bytes,
                d.header_bytes,
                1_024,
                "must be at least 1024 bytes",
            )?,
            subject_chars: pick(
                "subject_chars",
                l.subject_chars,
                d.subject_chars,
                20,
                "must be at least 20 characters",
            )?,
        })
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Reads the TOML `text`; `path` names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_owned(),
            message: e.to_string().trim_end().replace('\n', "\n  "),
        })?;
        // Checked in the order the keys are documented: the first
        // problem is the one reported.
        let check = Check { path };
        let our_addresses = check.addresses("our_addresses", &raw.our_addresses)?;
        let our_domains = check.domains("our_domains", &raw.our_domains)?;
        let free_mail_domains = check.domains("free_mail_domains", &raw.free_mail_domains)?;
        let database_url = check.database_url(raw.database_url.as_deref())?;
        let tls = check.tls(raw.tls_cert, raw.tls_key)?;
        let retention_days = check.retention_days(raw.retention_days)?;
        let k_anonymity = check.k_anonymity(raw.k_anonymity)?;
        let display_timezone = check.display_timezone(raw.display_timezone)?;
        let thread_subject_window_days = check.subject_window(raw.thread_subject_window_days)?;
        let threading_batch_messages = check.threading_batch(raw.threading_batch_messages)?;
        let write_cache_mib = check.page_cache(
            "write_cache_mib",
            raw.write_cache_mib,
            casebook_store::DEFAULT_WRITER_CACHE_MIB,
        )?;
        let read_cache_mib = check.page_cache(
            "read_cache_mib",
            raw.read_cache_mib,
            casebook_store::DEFAULT_READER_CACHE_MIB,
        )?;
        let mut accounts: Vec<Account> = Vec::new();
        for (i, a) in raw.account.into_iter().enumerate() {
            let account = check.account(i, a, &accounts)?;
            accounts.push(account);
        }
        Ok(Self {
            limits: check.limits(raw.limits)?,
            our_addresses,
            our_domains,
            free_mail_domains,
            retention_days,
            k_anonymity,
            encryption_key_file: raw.encryption_key_file,
            integrity_key_file: raw.integrity_key_file,
            thread_subject_window_days,
            threading_batch_messages,
            write_cache_mib,
            read_cache_mib,
            data_dir: raw.data_dir,
            database_url,
            accounts,
            tls,
            display_timezone,
        })
    }

    /// Where the archive's database is for the data folder `data_dir`.
    /// The key in `encryption_key_file`, read now; none without one.
    pub fn encryption_key(&self) -> Result<Option<casebook_store::RawKey>, ConfigError> {
        let Some(path) = &self.encryption_key_file else {
            return Ok(None);
        };
        read_key(path).map(Some)
    }

    /// The key in `integrity_key_file`, read now; none without one.
    pub fn integrity_key(&self) -> Result<Option<casebook_store::ChainKey>, ConfigError> {
        let Some(path) = &self.integrity_key_file else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Key {
            path: path.to_owned(),
            problem: format!("cannot be read: {e}"),
        })?;
        casebook_store::ChainKey::from_hex(&text)
            .map(Some)
            .ok_or_else(|| ConfigError::Key {
                path: path.to_owned(),
                problem: "does not hold a key (64 hexadecimal digits); `casebook keygen --out FILE` makes one".into(),
            })
    }

    /// The database connections' page caches these settings ask for.
    pub fn page_caches(&self) -> casebook_store::PageCaches {
        casebook_store::PageCaches {
            write_mib: self.write_cache_mib,
            read_mib: self.read_cache_mib,
        }
    }

    pub fn store_location(&self, data_dir: &Path) -> StoreLocation {
        self.database_url
            .clone()
            .unwrap_or_else(|| StoreLocation::sqlite(&data_dir.join("casebook.db")))
    }

    /// Whether mail from `address` is ours.
    pub fn is_ours(&self, address: &EmailAddress) -> bool {
        self.our_addresses.contains(address)
            || self.our_domains.iter().any(|d| {
                let domain = address.domain();
                domain == d || domain.ends_with(&format!(".{d}"))
            })
    }
}

/// Whether a URL carries a password (`scheme://user:password@host`).
fn has_password(url: &str) -> bool {
    url.split_once("://")
        .map(|(_, rest)| &rest[..rest.find(['/', '?']).unwrap_or(rest.len())])
        .and_then(|authority| authority.rsplit_once('@'))
        .is_some_and(|(userinfo, _)| userinfo.contains(':'))
}

/// The key in a key file; the error names the file and says what to do.
pub fn read_key(path: &Path) -> Result<casebook_store::RawKey, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Key {
        path: path.to_owned(),
        problem: format!("cannot be read: {e}"),
    })?;
    casebook_store::RawKey::from_hex(&text).ok_or_else(|| ConfigError::Key {
        path: path.to_owned(),
        problem:
            "does not hold a key (64 hexadecimal digits); `casebook keygen --out FILE` makes one"
                .into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("casebook.toml"))
    }

    #[test]
    fn reads_addresses_and_domains() {
        let c = parse(
            "our_addresses = [\"Support@Casebook.example\"]\nour_domains = [\"@Digium.example\"]\n",
        )
        .expect("valid");
        assert!(c.is_ours(&EmailAddress::parse("support@casebook.example").expect("addr")));
        assert!(c.is_ours(&EmailAddress::parse("bob@mail.digium.example").expect("addr")));
        assert!(!c.is_ours(&EmailAddress::parse("bob@notdigium.example").expect("addr")));
    }

    #[test]
    fn database_url_chooses_the_store_and_holds_no_password() {
        let c = parse("database_url = \"postgres://casebook@db.internal:5432/casebook\"\n")
            .expect("valid");
        assert_eq!(
            c.store_location(Path::new("data")),
            StoreLocation::Postgres("postgres://casebook@db.internal:5432/casebook".into())
        );
        assert_eq!(
            Config::default().store_location(Path::new("data")),
            StoreLocation::sqlite(Path::new("data/casebook.db"))
        );
        let e = parse("database_url = \"postgres://casebook:hunter2@db/casebook\"\n")
            .expect_err("a password in the file");
        let text = e.to_string();
        assert!(text.contains("`database_url`"), "{text}");
        assert!(text.contains("PGPASSWORD"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        let e = parse("database_url = \"mysql://db/casebook\"\n").expect_err("unknown scheme");
        assert!(e.to_string().contains("postgres://user@host"), "{e}");
    }

    #[test]
    fn the_display_zone_is_a_zone_this_machine_knows() {
        assert_eq!(parse("").expect("valid").display_timezone, "UTC");
        let c = parse("display_timezone = \"Europe/Berlin\"\n").expect("valid");
        assert_eq!(c.display_timezone, "Europe/Berlin");
        let e = parse("display_timezone = \"Mars/Olympus\"\n").expect_err("no such zone");
        let text = e.to_string();
        assert!(
            text.contains("`display_timezone` = \"Mars/Olympus\""),
            "{text}"
        );
        assert!(text.contains("IANA name"), "{text}");
    }

    #[test]
    fn tls_needs_both_a_certificate_and_a_key() {
        let c =
            parse("tls_cert = \"/etc/casebook/cert.pem\"\ntls_key = \"/etc/casebook/key.pem\"\n")
                .expect("valid");
        assert_eq!(
            c.tls.map(|t| t.key),
            Some(PathBuf::from("/etc/casebook/key.pem"))
        );
        let e = parse("tls_cert = \"/etc/casebook/cert.pem\"\n").expect_err("no key");
        assert!(e.to_string().contains("`tls_key`"), "{e}");
    }

    #[test]
    fn limits_default_and_refuse_values_that_would_lose_reading() {
        assert_eq!(parse("").expect("valid").limits, Limits::default());
        let c = parse("[limits]\nparts = 50\ntext_bytes = 4096\n").expect("valid");
        assert_eq!((c.limits.parts, c.limits.text_bytes), (50, 4096));
        assert_eq!(c.limits.parse_bytes, Limits::default().parse_bytes);
        let e = parse("[limits]\nparse_bytes = 100\n").expect_err("too small");
        assert!(
            e.to_string().contains("`limits.parse_bytes` = \"100\""),
            "{e}"
        );
        let e = parse("[limits]\npart = 5\n").expect_err("unknown key");
        assert!(e.to_string().contains("part"), "{e}");
    }

    #[test]
    fn the_documented_example_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/casebook.example.toml");
        let c = Config::load(&path).expect("example config parses");
        assert_eq!(c.our_domains, ["casebook.example"]);
        assert_eq!(c.thread_subject_window_days, 30);
        assert_eq!(c.accounts.len(), 1);
        assert_eq!(c.accounts[0].security, Security::Tls);
    }

    #[test]
    fn accounts_take_secrets_from_outside_and_refuse_plain_off_loopback() {
        let c = parse(
            "[[account]]\nname = \"support\"\nhost = \"imap.example.com\"\nsecurity = \"tls\"\n\
             username = \"support\"\npassword_env = \"IMAP_PASSWORD\"\n",
        )
        .expect("valid");
        assert_eq!(c.accounts[0].port, 993);
        assert_eq!(c.accounts[0].inbound, "INBOX");
        assert_eq!(
            c.accounts[0].secret,
            Secret::PasswordEnv("IMAP_PASSWORD".into())
        );
        let e = parse(
            "[[account]]\nname = \"a\"\nhost = \"imap.example.com\"\nsecurity = \"plain\"\n\
             username = \"u\"\npassword_env = \"P\"\n",
        )
        .expect_err("plain off loopback");
        assert!(e.to_string().contains("`account[0].security`"), "{e}");
        let e = parse(
            "[[account]]\nname = \"a\"\nhost = \"127.0.0.1\"\nsecurity = \"plain\"\nusername = \"u\"\n",
        )
        .expect_err("no secret");
        assert!(e.to_string().contains("exactly one of password_env"), "{e}");
        let e = parse("[[account]]\nname = \"a\"\nhost = \"h\"\nsecurity = \"tls\"\nusername = \"u\"\npassword = \"x\"\n")
            .expect_err("password in config");
        assert!(e.to_string().contains("unknown field `password`"), "{e}");
    }

    #[test]
    fn batch_messages_defaults_and_refuses_zero() {
        let account = |extra: &str| {
            format!(
                "[[account]]\nname = \"a\"\nhost = \"h\"\nsecurity = \"tls\"\nusername = \"u\"\n\
                 password_env = \"P\"\n{extra}"
            )
        };
        let c = parse(&account("")).expect("valid");
        assert_eq!(c.accounts[0].batch_messages, DEFAULT_BATCH_MESSAGES);
        let c = parse(&account("batch_messages = 100\n")).expect("valid");
        assert_eq!(c.accounts[0].batch_messages, 100);
        let e = parse(&account("batch_messages = 0\n")).expect_err("zero");
        assert_eq!(
            e.to_string(),
            "config file casebook.toml: `account[0].batch_messages` = \"0\": must be between 1 and 100000 (default 2000)"
        );
    }

    #[test]
    fn errors_name_the_key_and_the_fix() {
        let e = parse("our_addresses = [\"ok@x.example\", \"support\"]").expect_err("bad");
        assert_eq!(
            e.to_string(),
            "config file casebook.toml: `our_addresses[1]` = \"support\": not an e-mail address; write it as name@domain"
        );
        let e = parse("our_adresses = []").expect_err("typo");
        assert!(
            e.to_string().contains("unknown field `our_adresses`"),
            "{e}"
        );
        let e = parse("thread_subject_window_days = 0").expect_err("zero");
        assert!(e.to_string().contains("thread_subject_window_days"), "{e}");
    }

    #[test]
    fn the_page_caches_default_to_64_and_16_mib_and_refuse_what_would_starve_or_swamp_them() {
        let defaults = parse("").expect("empty");
        assert_eq!(
            (defaults.write_cache_mib, defaults.read_cache_mib),
            (64, 16)
        );
        let set = parse("write_cache_mib = 16\nread_cache_mib = 4").expect("16, 4");
        assert_eq!(
            set.page_caches(),
            casebook_store::PageCaches {
                write_mib: 16,
                read_mib: 4
            }
        );
        for key in ["write_cache_mib", "read_cache_mib"] {
            for bad in [2, 4096] {
                let text = format!("{key} = {bad}");
                let e = parse(&text).expect_err(&text);
                assert!(
                    e.to_string().contains(&format!("`{key}` = \""))
                        && e.to_string().contains("between 4 and 1024"),
                    "{e}"
                );
            }
        }
    }
}

//! The configuration file, typed once at start-up.

use casebook_mail::EmailAddress;
use std::path::{Path, PathBuf};

/// Settings from `casebook.toml`; every key is documented in
/// `config/casebook.example.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Mail from these addresses is our reply (outbound).
    pub our_addresses: Vec<EmailAddress>,
    /// Mail from any address at these domains is our reply (outbound).
    pub our_domains: Vec<String>,
    /// How far apart two messages of one correspondent with the same subject
    /// may be and still be threaded together when reply headers are missing.
    pub thread_subject_window_days: u32,
    /// Where the database and index live, unless `--data` says otherwise.
    pub data_dir: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            our_addresses: Vec::new(),
            our_domains: Vec::new(),
            thread_subject_window_days: 30,
            data_dir: None,
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
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    our_addresses: Vec<String>,
    #[serde(default)]
    our_domains: Vec<String>,
    thread_subject_window_days: Option<u32>,
    data_dir: Option<PathBuf>,
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
        let invalid = |key: String, value: &str, problem| ConfigError::Invalid {
            path: path.to_owned(),
            key,
            value: value.to_owned(),
            problem,
        };
        let mut our_addresses = Vec::new();
        for (i, a) in raw.our_addresses.iter().enumerate() {
            our_addresses.push(EmailAddress::parse(a).ok_or_else(|| {
                invalid(
                    format!("our_addresses[{i}]"),
                    a,
                    "not an e-mail address; write it as name@domain",
                )
            })?);
        }
        let mut our_domains = Vec::new();
        for (i, d) in raw.our_domains.iter().enumerate() {
            let domain = d.trim().trim_start_matches('@').to_lowercase();
            if domain.is_empty() || domain.contains('@') || domain.contains(char::is_whitespace) {
                return Err(invalid(
                    format!("our_domains[{i}]"),
                    d,
                    "not a domain; write it as example.com",
                ));
            }
            our_domains.push(domain);
        }
        let window = raw.thread_subject_window_days.unwrap_or(30);
        if window == 0 || window > 3650 {
            return Err(invalid(
                "thread_subject_window_days".to_owned(),
                &window.to_string(),
                "must be between 1 and 3650 days",
            ));
        }
        Ok(Self {
            our_addresses,
            our_domains,
            thread_subject_window_days: window,
            data_dir: raw.data_dir,
        })
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
    fn the_documented_example_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/casebook.example.toml");
        let c = Config::load(&path).expect("example config parses");
        assert_eq!(c.our_domains, ["casebook.example"]);
        assert_eq!(c.thread_subject_window_days, 30);
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
}

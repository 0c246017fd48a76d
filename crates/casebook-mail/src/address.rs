use std::fmt;

/// An e-mail address in its comparable form: trimmed, without angle
/// brackets, lower-case. Two spellings of one mailbox compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Normalises `raw`; `None` when nothing usable is left (empty, or no `@`).
    pub fn parse(raw: &str) -> Option<Self> {
        let trimmed = raw
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        let (local, domain) = trimmed.rsplit_once('@')?;
        if local.is_empty()
            || domain.is_empty()
            || trimmed.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return None;
        }
        Some(Self(trimmed.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the last `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A display name with its address, as in `Ann Example <ann@example.com>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub address: EmailAddress,
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_brackets_and_spaces() {
        let a = EmailAddress::parse("  <Ann.Lee@Example.COM> ").map(|a| a.0);
        assert_eq!(a.as_deref(), Some("ann.lee@example.com"));
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        assert_eq!(EmailAddress::parse("undisclosed-recipients"), None);
        assert_eq!(EmailAddress::parse("@example.com"), None);
        assert_eq!(EmailAddress::parse("ann@"), None);
        assert_eq!(EmailAddress::parse("a b@example.com"), None);
    }

    #[test]
    fn domain_is_after_the_last_at() {
        let a = EmailAddress::parse("\"x@y\"@corp.example").map(|a| a.domain().to_owned());
        assert_eq!(a.as_deref(), Some("corp.example"));
    }
}

//! Addresses as lists and mail are compared: trimmed, without `mailto:`
//! or angle brackets, lower-case (providers treat the local part without
//! case too), internationalised domains in their ASCII (punycode) form.

/// Providers whose domain says nothing about a person's company: a match
/// by domain never uses them. The config's `free_mail_domains` adds more.
pub const FREE_MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.co.uk",
    "yahoo.fr",
    "yahoo.de",
    "yahoo.co.jp",
    "ymail.com",
    "hotmail.com",
    "hotmail.co.uk",
    "hotmail.fr",
    "hotmail.de",
    "outlook.com",
    "outlook.de",
    "live.com",
    "msn.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "proton.me",
    "protonmail.com",
    "zoho.com",
    "gmx.de",
    "gmx.net",
    "gmx.at",
    "web.de",
    "t-online.de",
    "freenet.de",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "libero.it",
    "mail.ru",
    "yandex.ru",
    "qq.com",
    "163.com",
    "126.com",
    "naver.com",
];

/// The comparable form of `raw`, or `None` when it is no address.
pub fn normalize_address(raw: &str) -> Option<String> {
    let trimmed = raw.trim().trim_matches('"').trim();
    // "Ann Lee <ann@example.com>": the address in the brackets.
    let trimmed = match trimmed.rsplit_once('<') {
        Some((_, rest)) => rest.split_once('>').map_or(rest, |(inner, _)| inner),
        None => trimmed,
    };
    let trimmed = trimmed
        .strip_prefix("mailto:")
        .or_else(|| trimmed.strip_prefix("MAILTO:"))
        .unwrap_or(trimmed);
    let address = casebook_mail::EmailAddress::parse(trimmed)?;
    // A list's address is someone's on the internet: a domain with a dot.
    let domain = address.domain();
    (domain.contains('.') || domain == "localhost").then(|| address.to_string())
}

/// Whether `domain` (ASCII, lower-case) is a free-mail provider's.
pub fn is_free_mail(domain: &str, extra: &[String]) -> bool {
    FREE_MAIL_DOMAINS.contains(&domain) || extra.iter().any(|d| d.eq_ignore_ascii_case(domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_compare_without_case_space_or_unicode_domains() {
        for (raw, expected) in [
            ("  Ann.Lee@Example.COM ", Some("ann.lee@example.com")),
            ("<ann@example.com>", Some("ann@example.com")),
            ("Ann Lee <Ann@Example.com>", Some("ann@example.com")),
            ("mailto:ann@example.com", Some("ann@example.com")),
            ("ann@bücher.example", Some("ann@xn--bcher-kva.example")),
            ("ann@example.com.", Some("ann@example.com")),
            ("ann", None),
            ("ann@", None),
            ("ann@nodot", None),
            ("two@@signs.com", None),
            ("ann@exa mple.com", None),
            ("ann@-bad.example!", None),
            ("n/a", None),
            ("", None),
        ] {
            assert_eq!(normalize_address(raw).as_deref(), expected, "{raw:?}");
        }
    }

    #[test]
    fn free_mail_is_built_in_and_configurable() {
        assert!(is_free_mail("gmail.com", &[]));
        assert!(!is_free_mail("acme.example", &[]));
        assert!(is_free_mail("acme.example", &["ACME.example".to_owned()]));
    }
}

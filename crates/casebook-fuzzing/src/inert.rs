//! Whether serialised HTML (as the cleaner writes it: well-formed, text
//! escaped, attribute values quoted) can run anything: a script-bearing
//! element, an event handler, or a link or source that is a script.

/// Elements that run or embed something whatever their attributes.
const ACTIVE: &[&str] = &[
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "style", "link", "meta",
    "base", "form", "svg", "math", "template",
];
/// Attributes whose value is followed as a URL.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "background",
    "poster",
    "srcset",
];

/// `Ok` if `html` is inert, else what is not.
pub fn check(html: &str) -> Result<(), String> {
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        let tag = &rest[open + 1..];
        let name_len = tag
            .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
            .unwrap_or(tag.len());
        let name = tag[..name_len].to_ascii_lowercase();
        if name.starts_with('!') || name.is_empty() {
            // A comment or doctype: its end is the next '>' (the cleaner
            // drops comments; one that survives holds nothing active).
            rest = tag.find('>').map_or("", |end| &tag[end + 1..]);
            continue;
        }
        if ACTIVE.contains(&name.as_str()) {
            return Err(format!("a <{name}> element"));
        }
        let (attributes, after) = attributes(&tag[name_len..]);
        for (attribute, value) in attributes {
            let attribute = attribute.to_ascii_lowercase();
            if attribute.starts_with("on") {
                return Err(format!("an event handler {attribute}"));
            }
            if attribute == "style" {
                return Err("a style attribute".into());
            }
            if URL_ATTRIBUTES.contains(&attribute.as_str()) && runs(&value) {
                return Err(format!("{attribute}={value:?}"));
            }
        }
        rest = after;
    }
    Ok(())
}

/// Whether a URL, as a browser reads it, is a script. The URL standard
/// strips C0 controls and spaces at either end and removes tabs and line
/// breaks anywhere; any other character in the scheme makes it no scheme
/// at all (a relative URL), so `java\u{8}script:` runs nothing.
fn runs(url: &str) -> bool {
    let decoded = url
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#x9;", "\t")
        .replace("&#xa;", "\n")
        .replace("&#xd;", "\r");
    let read: String = decoded
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let Some((scheme, _)) = read.split_once(':') else {
        return false;
    };
    matches!(
        scheme.to_ascii_lowercase().as_str(),
        "javascript" | "vbscript" | "livescript"
    )
}

/// A tag's attributes (name, value) and what follows its `>`.
fn attributes(mut s: &str) -> (Vec<(String, String)>, &str) {
    let mut found = Vec::new();
    loop {
        s = s.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
        if s.is_empty() {
            return (found, s);
        }
        if let Some(after) = s.strip_prefix('>') {
            return (found, after);
        }
        let name_len = s
            .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '>' || c == '/')
            .unwrap_or(s.len())
            .max(1);
        let name = s[..name_len].to_owned();
        s = s[name_len..].trim_start();
        let mut value = String::new();
        if let Some(v) = s.strip_prefix('=') {
            let v = v.trim_start();
            match v.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let body = &v[1..];
                    let end = body.find(q).unwrap_or(body.len());
                    value = body[..end].to_owned();
                    s = body.get(end + 1..).unwrap_or("");
                }
                _ => {
                    let end = v
                        .find(|c: char| c.is_ascii_whitespace() || c == '>')
                        .unwrap_or(v.len());
                    value = v[..end].to_owned();
                    s = &v[end..];
                }
            }
        }
        found.push((name, value));
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn scripts_handlers_and_script_links_are_found() {
        assert!(check(r#"<p>Hello <a href="https://x.example/">x</a></p>"#).is_ok());
        assert!(check(r#"<p title="a> onclick=alert(1) <script>">text</p>"#).is_ok());
        assert!(check("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>").is_ok());
        // Found by fuzzing: a backspace inside the scheme makes it a
        // relative URL to a browser, not a script.
        assert!(check("<a href=\" java\u{8}script:alert(1)\">x</a>").is_ok());
        for active in [
            "<script>alert(1)</script>",
            r#"<img src="x" onerror="alert(1)">"#,
            r#"<p ONCLICK=alert(1)>x</p>"#,
            r#"<a href=" java&#x9;script:alert(1)">x</a>"#,
            "<a href=\"\u{1}java\tscr\nipt:alert(1)\">x</a>",
            r#"<a href="JavaScript:alert(1)">x</a>"#,
            r#"<svg><circle/></svg>"#,
            r#"<p style="background:url(x)">x</p>"#,
            r#"<iframe src="https://x.example/"></iframe>"#,
        ] {
            assert!(check(active).is_err(), "{active}");
        }
    }
}

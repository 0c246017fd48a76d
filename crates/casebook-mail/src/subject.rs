/// A subject with reply and forward prefixes and list tags taken off,
/// white space folded and letters lower-cased: what threading compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizedSubject {
    pub text: String,
    /// The subject carried a reply or forward prefix (`Re:`, `AW:`, `Fwd:` …).
    pub had_reply_prefix: bool,
}

/// Prefixes mail clients put before a subject, in the languages our
/// customers write in. Compared case-insensitively, followed by `:`.
const REPLY_PREFIXES: &[&str] = &[
    "re", "fw", "fwd", "aw", "wg", "sv", "vs", "antw", "doorst", "tr", "rif", "r", "ref", "enc",
    "odp", "res", "vb", "ynt", "回复", "答复", "转发", "回覆", "転送", "返信",
];

/// Strips `Re:`, `Fwd:`, `AW:`, `SV:`, `Re[2]:`, `[tags]` and the like, any
/// number of times and in any order.
pub fn normalize_subject(subject: &str) -> NormalizedSubject {
    let mut rest = subject.trim();
    let mut had_reply_prefix = false;
    loop {
        if let Some(after) = strip_tag(rest) {
            rest = after;
        } else if let Some(after) = strip_reply_prefix(rest) {
            rest = after;
            had_reply_prefix = true;
        } else {
            break;
        }
    }
    let text = rest
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    NormalizedSubject {
        text,
        had_reply_prefix,
    }
}

/// `[SIP] rest` → `rest`.
fn strip_tag(s: &str) -> Option<&str> {
    let inner = s.strip_prefix('[')?;
    let end = inner.find(']')?;
    let after = inner[end + 1..].trim_start();
    // A subject that is only a tag keeps it: "[URGENT]" alone is the subject.
    (!after.is_empty()).then_some(after)
}

/// `Re: rest`, `RE[2]: rest`, `Re(3): rest`, `回复：rest` → `rest`.
fn strip_reply_prefix(s: &str) -> Option<&str> {
    let word_end = s
        .char_indices()
        .find(|(_, c)| !c.is_alphabetic())
        .map_or(s.len(), |(i, _)| i);
    let word = &s[..word_end];
    if word.is_empty()
        || !REPLY_PREFIXES
            .iter()
            .any(|p| p.eq_ignore_ascii_case(word) || *p == word)
    {
        return None;
    }
    let mut after = &s[word_end..];
    // A counter such as [2] or (2).
    for (open, close) in [('[', ']'), ('(', ')')] {
        if let Some(inner) = after.strip_prefix(open) {
            let end = inner.find(close)?;
            if !inner[..end].chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            after = &inner[end + 1..];
        }
    }
    let after = after.trim_start();
    let after = after
        .strip_prefix(':')
        .or_else(|| after.strip_prefix('：'))?;
    Some(after.trim_start())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> (String, bool) {
        let n = normalize_subject(s);
        (n.text, n.had_reply_prefix)
    }

    #[test]
    fn strips_prefixes_in_many_languages_and_tags() {
        assert_eq!(norm("Re: Help"), ("help".into(), true));
        assert_eq!(
            norm("AW: SV: Fwd:  Invoice   42"),
            ("invoice 42".into(), true)
        );
        assert_eq!(norm("[Support] RE[3]: Dialplan"), ("dialplan".into(), true));
        assert_eq!(
            norm("Re(2): [ticket-9] Voicemail"),
            ("voicemail".into(), true)
        );
        assert_eq!(norm("回复：通话质量"), ("通话质量".into(), true));
    }

    #[test]
    fn leaves_words_that_merely_start_like_a_prefix() {
        assert_eq!(norm("Return policy"), ("return policy".into(), false));
        assert_eq!(norm("Fwd licence"), ("fwd licence".into(), false));
        assert_eq!(norm("[URGENT]"), ("[urgent]".into(), false));
    }
}

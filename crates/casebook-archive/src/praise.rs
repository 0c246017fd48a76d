//! Finding praise worth quoting in a customer's own words, and checking
//! that a quote is verbatim. Pure functions over text; no I/O.

/// What makes a message a testimonial candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PraiseFinding {
    /// Higher is better; see [`assess`].
    pub score: u32,
    /// Sentences of praise, as written.
    pub quotes: Vec<String>,
    /// Sentences in which the customer lets us quote them.
    pub permission: Vec<String>,
}

/// Words and phrases of praise (lowercase). "Thanks" alone is politeness,
/// not praise, so it is not among them.
const PRAISE: &[&str] = &[
    "excellent",
    "fantastic",
    "outstanding",
    "superb",
    "brilliant",
    "amazing",
    "wonderful",
    "impressed",
    "best support",
    "best service",
    "great support",
    "great service",
    "great job",
    "great work",
    "well done",
    "appreciate",
    "grateful",
    "thank you so much",
    "many thanks to",
    "worked perfectly",
    "works perfectly",
    "very helpful",
    "so helpful",
    "extremely helpful",
    "quick and friendly",
    "highly recommend",
];

/// Sentences carrying these are complaints or hedges, whatever else they say.
const DOUBT: &[&str] = &[
    "not ",
    "n't",
    "still ",
    "but ",
    "however",
    "unfortunately",
    "is back",
    "?",
];

/// The customer lets us quote them.
const PERMISSION: &[&str] = &[
    "quote me",
    "quote us",
    "may quote",
    "can quote",
    "free to quote",
    "as a testimonial",
    "use this as",
    "you may use this",
    "you can use this",
    "feel free to use",
    "happy to be quoted",
    "may be quoted",
];

/// The lines a customer wrote themselves: quoted lines (`>`), what follows
/// an "On … wrote:" line or an "-----Original Message-----" marker, and
/// the signature (after `-- `) are not theirs.
pub fn own_words(text: &str) -> String {
    let mut out = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        let lower = trimmed.to_lowercase();
        if trimmed == "--"
            || line.starts_with("-- ")
            || lower.starts_with("-----original message")
            || (lower.starts_with("on ") && lower.ends_with("wrote:"))
        {
            break;
        }
        if trimmed.starts_with('>') {
            continue;
        }
        out.push(line);
    }
    out.join("\n")
}

/// Sentences: split after `.`, `!` or `?` and at blank lines.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for paragraph in text.split("\n\n") {
        let flat = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut current = String::new();
        let mut chars = flat.chars().peekable();
        while let Some(c) = chars.next() {
            current.push(c);
            if matches!(c, '.' | '!' | '?') && chars.peek().is_none_or(|n| *n == ' ') {
                let s = current.trim();
                if !s.is_empty() {
                    out.push(s.to_owned());
                }
                current.clear();
            }
        }
        let s = current.trim();
        if !s.is_empty() {
            out.push(s.to_owned());
        }
    }
    out
}

fn has_any(sentence: &str, words: &[&str]) -> bool {
    let lower = sentence.to_lowercase();
    words.iter().any(|w| lower.contains(w))
}

/// Praise in a customer's message, if there is any: each sentence of
/// praise scores 10 (three at most count), permission to quote adds 15,
/// and a thread we had answered before adds 5.
pub fn assess(text: &str, answered_before: bool) -> Option<PraiseFinding> {
    let own = own_words(text);
    let all = sentences(&own);
    let quotes: Vec<String> = all
        .iter()
        .filter(|s| has_any(s, PRAISE) && !has_any(s, DOUBT))
        .cloned()
        .collect();
    if quotes.is_empty() {
        return None;
    }
    let permission: Vec<String> = all
        .iter()
        .filter(|s| {
            has_any(s, PERMISSION) && !has_any(s, &["not ", "n't", "don't", "please do not"])
        })
        .cloned()
        .collect();
    let score = 10 * quotes.len().min(3) as u32
        + if permission.is_empty() { 0 } else { 15 }
        + if answered_before { 5 } else { 0 };
    Some(PraiseFinding {
        score,
        quotes,
        permission,
    })
}

/// Text compared for the verbatim rule: quote markers (`>`) at line starts
/// gone, all whitespace one space, typographic quotes and dashes as their
/// plain forms, case kept.
pub fn normalize_for_match(text: &str) -> String {
    let unquoted: Vec<&str> = text
        .lines()
        .map(|l| l.trim_start().trim_start_matches(['>', ' ']).trim_end())
        .collect();
    unquoted
        .join(" ")
        .chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201F}' | '\u{2033}' => '"',
            '\u{2013}' | '\u{2014}' => '-',
            '\u{00A0}' | '\u{2007}' | '\u{202F}' => ' ',
            c => c,
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `excerpt` stands in `text` word for word (see
/// [`normalize_for_match`] for what does not count as a change).
pub fn appears_verbatim(excerpt: &str, text: &str) -> bool {
    let excerpt = normalize_for_match(excerpt);
    !excerpt.is_empty() && normalize_for_match(text).contains(&excerpt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn praise_in_the_customers_own_words_is_found_with_permission() {
        let text = "Hi Sam,\n\nExcellent work! The fix worked perfectly and our call centre is \
                    running again. Feel free to quote me on your website.\n\nAnn\n\n\
                    > Please restart the trunk.\n";
        let found = assess(text, true).expect("praise");
        assert_eq!(found.quotes[0], "Excellent work!");
        assert_eq!(found.quotes.len(), 2);
        assert_eq!(found.permission, ["Feel free to quote me on your website."]);
        assert_eq!(found.score, 10 * 2 + 15 + 5);
    }

    #[test]
    fn complaints_politeness_and_quoted_praise_are_not_praise() {
        assert_eq!(
            assess(
                "Hi,\n\nthanks, but the problem is back: calls drop.\n",
                true
            ),
            None
        );
        assert_eq!(assess("Thanks, I will try that tomorrow.\n", false), None);
        assert_eq!(
            assess(
                "Still broken.\n\n> Excellent work, best support ever!\n",
                false
            ),
            None
        );
        assert_eq!(
            assess("Is this really the best support you can offer?\n", false),
            None
        );
        assert_eq!(
            assess(
                "Broken again.\n-- \nBest support in town! ACME Ltd\n",
                false
            ),
            None,
            "a signature is not the message"
        );
    }

    #[test]
    fn permission_refused_is_not_permission() {
        let found = assess("Fantastic help. Please do not quote me.\n", false).expect("praise");
        assert!(found.permission.is_empty());
    }

    #[test]
    fn verbatim_allows_line_breaks_quoting_and_typography_only() {
        let text = "Our call centre is running again.\n> Your engineers are\n> fantastic \u{2014} \u{201C}truly\u{201D}.";
        assert!(appears_verbatim(
            "Your engineers are fantastic - \"truly\".",
            text
        ));
        assert!(appears_verbatim("running again.   Your engineers", text));
        assert!(
            !appears_verbatim("Your engineers are great", text),
            "an edit"
        );
        assert!(
            !appears_verbatim("your engineers are fantastic", text),
            "case matters"
        );
        assert!(!appears_verbatim("   ", text));
        assert!(appears_verbatim(
            "Übergabe klappt",
            "Die Übergabe\nklappt jetzt."
        ));
    }
}

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
    "hervorragend",
    "ausgezeichnet",
    "großartig",
    "fantastique",
    "formidable",
    "excelente",
    "eccellente",
    "uitstekend",
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

/// The customer lets us quote them (lowercase, straight apostrophes):
/// English as customers write it, and the languages privacy requests are
/// recognised in.
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
    "use my name",
    "use our name",
    "happy for you to use",
    "happy for you to quote",
    "happy for you to share",
    "you have my permission",
    "you have our permission",
    "go ahead and share",
    "dürfen mich zitieren",
    "können mich zitieren",
    "gerne zitieren",
    "dürfen sie gerne verwenden",
    "meinen namen verwenden",
    "vous pouvez me citer",
    "n'hésitez pas à me citer",
    "vous pouvez utiliser mon nom",
    "pueden citarme",
    "puede citarme",
    "pueden usar mi nombre",
    "potete citarmi",
    "può citarmi",
    "u mag mij citeren",
    "mogen mij citeren",
    "podem me citar",
    "можете меня цитировать",
    "можете процитировать",
    "引用して構いません",
    "引用していただいて",
    "可以引用",
];

/// Refusals that a permission phrase may stand in ("please do not quote me").
const REFUSAL: &[&str] = &[
    "not ",
    "n't",
    "please do not",
    "nicht",
    "ne pas",
    "ne me",
    "no me",
    "non ",
    "niet",
    "не ",
];

/// Where what a customer wrote ends and what they quote or forward
/// begins: the attribution lines mail clients write above a quote (Gmail,
/// Apple Mail, Thunderbird, Outlook, in the languages of the archive),
/// separators and forwarding markers.
fn starts_quoted_part(lower: &str) -> bool {
    const MARKERS: &[&str] = &[
        "-----original message",
        "----- original message",
        "---------- forwarded message",
        "-------- forwarded message",
        "begin forwarded message:",
        "-------- message transféré",
        "-------- original-nachricht",
        "-----ursprüngliche nachricht",
        "-----message d'origine",
        "-----mensaje original",
        "-------- weitergeleitete nachricht",
    ];
    // "On … Sam wrote:", "Am … schrieb Sam:", "Le … Sam a écrit :".
    const ATTRIBUTION_VERBS: &[&str] = &[
        " wrote",
        " schrieb ",
        " schrieb:",
        " a écrit",
        " escribió",
        " ha scritto",
        " schreef",
        " escreveu",
        " написал",
    ];
    MARKERS.iter().any(|m| lower.starts_with(m))
        || (lower.ends_with(':')
            && ATTRIBUTION_VERBS.iter().any(|v| lower.contains(v))
            && ["on ", "am ", "le ", "el ", "il ", "op ", "em ", "в ", "20", "19"]
                .iter()
                .any(|s| lower.starts_with(s)))
        // Outlook's separator line above the quoted message's headers.
        || (lower.len() >= 20 && lower.chars().all(|c| c == '_'))
}

/// Outlook's block of the quoted message's headers: `From:` with `Sent:`
/// or `Date:` in the next lines. `lower` is line `at` trimmed and
/// lower-cased.
fn starts_outlook_header(lower: &str, lines: &[&str], at: usize) -> bool {
    let starts = |line: &str, names: &[&str]| names.iter().any(|n| line.starts_with(n));
    starts(
        lower,
        &["from:", "von:", "de :", "de:", "da:", "van:", "от:"],
    ) && lines[at + 1..].iter().take(4).any(|l| {
        starts(
            &l.trim().to_lowercase(),
            &[
                "sent:",
                "date:",
                "gesendet:",
                "envoyé :",
                "envoyé:",
                "enviado:",
                "inviato:",
                "verzonden:",
                "отправлено:",
                "to:",
                "an:",
            ],
        )
    })
}

/// A run of a message's lines, as a reader sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Passage<'a> {
    /// Lines the writer wrote themselves.
    Own(Vec<&'a str>),
    /// Quoted lines (`>`) between their own.
    Quoted(Vec<&'a str>),
    /// From their signature (`-- `) to the end.
    Signature(Vec<&'a str>),
    /// From an attribution ("On … wrote:"), a forwarding or "Original
    /// Message" marker or an Outlook header block to the end: the history
    /// their program quoted.
    History(Vec<&'a str>),
}

impl<'a> Passage<'a> {
    /// The passage's lines, whatever kind it is.
    pub fn into_lines(self) -> Vec<&'a str> {
        match self {
            Passage::Own(l) | Passage::Quoted(l) | Passage::Signature(l) | Passage::History(l) => l,
        }
    }
}

/// `text` in passages, in order: the writer's own lines, quoted lines
/// between them, and their signature or the quoted history at the end
/// (see [`own_words`] for what is whose).
pub fn passages(text: &str) -> Vec<Passage<'_>> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<Passage<'_>> = Vec::new();
    // Each line is lower-cased once, as the next line of the one before
    // it (snippets run this over every message a search page shows; it
    // lower-cased each line three times and copied it into a new string
    // joined to the next).
    let mut next_lower: Option<String> = None;
    let mut wrapped = String::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        let lower = next_lower.take().unwrap_or_else(|| trimmed.to_lowercase());
        if trimmed == "--" || line.starts_with("-- ") {
            out.push(Passage::Signature(lines[i..].to_vec()));
            break;
        }
        next_lower = lines.get(i + 1).map(|next| next.trim().to_lowercase());
        // An attribution a client wrapped over two lines.
        let wrapped_attribution = !lower.is_empty()
            && !lower.ends_with(['.', '!', '?'])
            && next_lower.as_deref().is_some_and(|next| {
                wrapped.clear();
                wrapped.push_str(&lower);
                wrapped.push(' ');
                wrapped.push_str(next);
                starts_quoted_part(&wrapped)
            });
        if starts_quoted_part(&lower)
            || wrapped_attribution
            || starts_outlook_header(&lower, &lines, i)
            || introduces_quote(&lines, i)
        {
            out.push(Passage::History(lines[i..].to_vec()));
            break;
        }
        let quoted = trimmed.starts_with('>');
        match (out.last_mut(), quoted) {
            (Some(Passage::Quoted(run)), true) | (Some(Passage::Own(run)), false) => run.push(line),
            (_, true) => out.push(Passage::Quoted(vec![line])),
            (_, false) => out.push(Passage::Own(vec![line])),
        }
    }
    out
}

/// The lines a customer wrote themselves. Not theirs: quoted lines (`>`),
/// everything from an attribution line ("On … wrote:", also when a client
/// wrapped it over two lines, and its forms in other languages), a
/// forwarding or "Original Message" marker, or an Outlook header block
/// onwards, and the signature (after `-- `).
pub fn own_words(text: &str) -> String {
    let own: Vec<&str> = passages(text)
        .into_iter()
        .flat_map(|p| match p {
            Passage::Own(lines) => lines,
            _ => Vec::new(),
        })
        .collect();
    own.join("\n")
}

/// Whether line `i` is an attribution in a form no list names ("Ann Lee
/// wrote:", "Support team schrieb:") because the next line that is not
/// blank is quoted.
fn introduces_quote(lines: &[&str], i: usize) -> bool {
    let line = lines[i].trim_end();
    line.ends_with(':')
        && !line.trim_start().starts_with('>')
        && lines[i + 1..]
            .iter()
            .find(|l| !l.trim().is_empty())
            .is_some_and(|next| next.trim_start().starts_with('>'))
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
    let lower = sentence.to_lowercase().replace('\u{2019}', "'");
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
        .filter(|s| has_any(s, PERMISSION) && !has_any(s, REFUSAL))
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

/// Whether `excerpt` stands word for word in what the customer wrote
/// themselves in `text` ([`own_words`]: never in quoted text, forwarded
/// parts or the signature), starting and ending on word boundaries (see
/// [`normalize_for_match`] for what does not count as a change).
pub fn appears_verbatim(excerpt: &str, text: &str) -> bool {
    stands_in(excerpt, &own_words(text))
}

/// Whether `excerpt` stands in `text` word for word, on word boundaries,
/// quoted or not.
pub fn stands_in(excerpt: &str, text: &str) -> bool {
    let excerpt = normalize_for_match(excerpt);
    if excerpt.is_empty() {
        return false;
    }
    let text = normalize_for_match(text);
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    text.match_indices(&excerpt).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + excerpt.len()..].chars().next();
        // A boundary unless a letter or digit runs on across it.
        let starts = !(word(before) && word(excerpt.chars().next()));
        let ends = !(word(after) && word(excerpt.chars().next_back()));
        starts && ends
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line of `text`, as the passages give them back.
    fn rejoined(text: &str) -> Vec<&str> {
        passages(text)
            .into_iter()
            .flat_map(Passage::into_lines)
            .collect()
    }

    /// Folding hides nothing: each line is in exactly one passage, in
    /// order, whatever program wrote the message.
    #[test]
    fn passages_keep_every_line_in_order() {
        let outlook = "Still silent.\r\n\r\n________________________________\r\nFrom: Sam <sam@casebook.example>\r\nSent: Monday, June 2, 2008 10:00 AM\r\nTo: Carol\r\nSubject: RE: Voicemail\r\n\r\nPlease record it again.\r\n";
        let gmail = "Thanks!\n\nOn Tue, Jul 1, 2008 at 1:30 PM Sam <sam@casebook.example> wrote:\n> Please record the greeting.\n";
        let interleaved = "> Which trunk?\nThe one to Berlin.\n> Since when?\n> (roughly)\nMonday.\n-- \nAnn Lee\nACME\n";
        for text in [outlook, gmail, interleaved, "", "one line", "\n\n"] {
            assert_eq!(rejoined(text), text.lines().collect::<Vec<_>>(), "{text:?}");
        }
        let kinds: Vec<&str> = passages(interleaved)
            .iter()
            .map(|p| match p {
                Passage::Own(_) => "own",
                Passage::Quoted(_) => "quoted",
                Passage::Signature(_) => "signature",
                Passage::History(_) => "history",
            })
            .collect();
        assert_eq!(kinds, ["quoted", "own", "quoted", "own", "signature"]);
        assert!(matches!(
            passages(outlook).last(),
            Some(Passage::History(_))
        ));
        assert!(matches!(passages(gmail).last(), Some(Passage::History(_))));
        assert_eq!(own_words(interleaved), "The one to Berlin.\nMonday.");
    }

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
    fn verbatim_allows_line_breaks_and_typography_only() {
        let text = "Our call centre is running again. Your engineers are\nfantastic \u{2014} \u{201C}truly\u{201D}.";
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

    #[test]
    fn verbatim_refuses_partial_words() {
        let text = "Your support is greatly overrated.";
        assert!(!appears_verbatim("Your support is great", text));
        assert!(!appears_verbatim("our support is greatly", text));
        assert!(appears_verbatim("Your support is greatly", text));
        assert!(appears_verbatim("support is greatly overrated.", text));
    }

    /// Replies as clients quote: each fixture's quoted part holds the
    /// words "Restart the trunk and it works", which are ours.
    const REPLIES: &[(&str, &str)] = &[
        (
            "plain > quoting",
            "Thanks, all good now.\n\n> Restart the trunk and it works.\n",
        ),
        (
            "Gmail, attribution wrapped over two lines",
            "Thanks, all good now.\n\nOn Mon, 3 Jun 2024 at 10:02, Sam Support <\nsupport@casebook.example> wrote:\n\nRestart the trunk and it works.\n",
        ),
        (
            "Apple Mail",
            "Thanks, all good now.\n\nSent from my iPhone\n\nOn 3 Jun 2024, at 10:02, Sam Support <support@casebook.example> wrote:\n\nRestart the trunk and it works.\n",
        ),
        (
            "Thunderbird, German",
            "Danke, alles gut.\n\nAm 03.06.24 um 10:02 schrieb Sam Support:\nRestart the trunk and it works.\n",
        ),
        (
            "Outlook, header block below a rule, no quote marks",
            "Thanks, all good now.\n\n________________________________\nFrom: Sam Support <support@casebook.example>\nSent: Monday, June 3, 2024 10:02 AM\nTo: Ann Lee\nSubject: RE: Trunk\n\nRestart the trunk and it works.\n",
        ),
        (
            "Outlook, header block alone",
            "Thanks, all good now.\n\nFrom: Sam Support\nSent: Monday, June 3, 2024 10:02 AM\nSubject: RE: Trunk\n\nRestart the trunk and it works.\n",
        ),
        (
            "Outlook Express, Original Message",
            "Thanks, all good now.\n\n-----Original Message-----\nRestart the trunk and it works.\n",
        ),
        (
            "forwarded",
            "Thanks, all good now.\n\n---------- Forwarded message ---------\nRestart the trunk and it works.\n",
        ),
        (
            "French",
            "Merci, tout va bien.\n\nLe lun. 3 juin 2024 à 10:02, Sam Support <support@casebook.example> a écrit :\nRestart the trunk and it works.\n",
        ),
        (
            "signature",
            "Thanks, all good now.\n-- \nAnn Lee, ACME. Restart the trunk and it works.\n",
        ),
    ];

    #[test]
    fn quoted_forwarded_and_signature_text_is_not_the_customers() {
        for (client, text) in REPLIES {
            assert!(
                !appears_verbatim("Restart the trunk and it works.", text),
                "{client}: quoted words taken as the customer's"
            );
            assert!(
                stands_in("Restart the trunk and it works.", text),
                "{client}: the fixture holds the words"
            );
            let own = own_words(text);
            assert!(
                own.contains("all good")
                    || own.contains("alles gut")
                    || own.contains("tout va bien"),
                "{client}: the customer's own words lost: {own:?}"
            );
        }
    }

    #[test]
    fn an_attribution_in_no_known_form_ends_the_own_words_before_a_quote() {
        let own = own_words("Thanks, all good now.\n\nSam Support wrote:\n> Restart the trunk.\n");
        assert_eq!(own.trim_end(), "Thanks, all good now.");
        let own = own_words("Here is what I ran:\n\nasterisk -rx 'sip show peers'\nThanks!\n");
        assert!(
            own.contains("asterisk -rx") && own.contains("Thanks!"),
            "{own:?}"
        );
    }

    #[test]
    fn permission_as_customers_write_it() {
        for text in [
            "Excellent support. You can use my name.",
            "Excellent support! Feel free to quote me.",
            "Excellent support. Happy for you to use this on your site.",
            "Hervorragend, vielen Dank. Sie dürfen mich zitieren.",
            "Excellent travail. Vous pouvez me citer.",
        ] {
            let found = assess(text, false).expect("praise");
            assert_eq!(found.permission.len(), 1, "{text}: {found:?}");
        }
        let refused =
            assess("Excellent support. Please don't use my name.", false).expect("praise");
        assert!(refused.permission.is_empty());
        let quoted = assess(
            "Excellent support.\n\n> Feel free to quote me, said another customer.\n",
            false,
        )
        .expect("praise");
        assert!(quoted.permission.is_empty(), "permission from quoted text");
    }
}

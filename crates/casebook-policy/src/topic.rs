//! The product topic of a conversation, for statistics that must not
//! quote anyone: a fixed set of names, found by keywords in the subject
//! and text. Pure.

/// Topics in the order they are tried; the first with a keyword wins.
const TOPICS: &[(&str, &[&str])] = &[
    (
        "sip-trunk",
        &["sip trunk", "trunk", "register", "carrier", "транк"],
    ),
    (
        "voicemail",
        &[
            "voicemail",
            "voice mail",
            "greeting",
            "messagerie vocale",
            "mailbox pin",
        ],
    ),
    (
        "dialplan",
        &[
            "dialplan",
            "extensions.conf",
            "pattern",
            "context",
            "内線転送",
        ],
    ),
    (
        "licence",
        &["licence", "license", "activation", "subscription key"],
    ),
    (
        "invoice",
        &[
            "invoice", "billing", "payment", "refund", "rechnung", "facture",
        ],
    ),
    (
        "codec",
        &[
            "codec",
            "g.729",
            "g729",
            "opus",
            "audio quality",
            "echo",
            "回声",
            "通话质量",
        ],
    ),
    (
        "queue",
        &["queue", "call centre", "call center", "agents log"],
    ),
];

/// Every topic's name, `other` last.
pub fn topic_names() -> impl Iterator<Item = &'static str> {
    TOPICS.iter().map(|(name, _)| *name).chain(["other"])
}

/// The topic of a message with this subject and text; `other` when none
/// fits.
pub fn topic_of(subject: &str, text: &str) -> &'static str {
    let first_fitting = |lowered: &str| {
        TOPICS
            .iter()
            .find(|(_, words)| words.iter().any(|w| lowered.contains(w)))
    };
    // The text is lowered only when the subject says nothing: it is worked
    // out for every message stored, and most subjects name the topic.
    first_fitting(&subject.to_lowercase())
        .or_else(|| first_fitting(&text.to_lowercase()))
        .map_or("other", |(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::topic_of;

    #[test]
    fn the_subject_decides_before_the_text() {
        assert_eq!(
            topic_of("SIP trunk down", "the invoice is fine"),
            "sip-trunk"
        );
        assert_eq!(
            topic_of("Re: question", "Please send the invoice again"),
            "invoice"
        );
        assert_eq!(topic_of("Voicemail greeting problem", ""), "voicemail");
        assert_eq!(topic_of("Hello", "Nothing to see"), "other");
    }
}

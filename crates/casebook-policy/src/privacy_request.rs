//! Recognising mail that asks us to stop marketing (an unsubscribe) or to
//! stop passing the sender's data to partners, in the languages of the
//! archive. Pure functions over text; an agent confirms each finding.

use crate::praise::own_words;

/// What a message asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// No more marketing: opt out.
    Unsubscribe,
    /// No disclosure to partners.
    StopSharing,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unsubscribe => "unsubscribe",
            Self::StopSharing => "stop-sharing",
        }
    }
}

/// Phrases of an unsubscribe (lowercase, straight apostrophes): English,
/// German, French, Spanish, Italian, Dutch, Portuguese, Russian, Japanese,
/// Chinese.
const UNSUBSCRIBE: &[&str] = &[
    "unsubscribe",
    "remove me from your mailing list",
    "remove me from your list",
    "take me off your list",
    "take me off your mailing list",
    "stop sending me",
    "opt me out",
    "opt out of",
    "no more marketing",
    "no more newsletters",
    "don't send me any more",
    "do not send me any more",
    "newsletter abbestellen",
    "abbestellen",
    "vom newsletter abmelden",
    "keine werbung mehr",
    "keine werbe-e-mails",
    "aus ihrem verteiler",
    "me désabonner",
    "me désinscrire",
    "désabonnez-moi",
    "désinscrivez-moi",
    "ne plus recevoir vos",
    "darme de baja",
    "darse de baja",
    "dar de baja mi",
    "no quiero recibir más",
    "cancellarmi dalla",
    "disiscrivermi",
    "non voglio più ricevere",
    "afmelden voor de nieuwsbrief",
    "uitschrijven",
    "cancelar a minha inscrição",
    "descadastrar",
    "отписаться",
    "отпишите меня",
    "не присылайте мне",
    "配信停止",
    "配信を停止",
    "購読解除",
    "退订",
    "取消订阅",
];

/// Phrases of an objection to disclosure to partners.
const STOP_SHARING: &[&str] = &[
    "do not share my",
    "don't share my",
    "stop sharing my",
    "not to share my",
    "do not pass my",
    "don't pass my",
    "do not pass on my",
    "don't pass on my",
    "do not disclose my",
    "don't disclose my",
    "do not sell my",
    "don't sell my",
    "object to sharing",
    "object to the sharing",
    "object to disclosure",
    "object to the disclosure",
    "nicht an dritte weitergeben",
    "nicht an ihre partner weitergeben",
    "widerspreche der weitergabe",
    "keine weitergabe meiner",
    "ne partagez pas mes",
    "ne pas partager mes",
    "ne communiquez pas mes",
    "m'oppose au partage",
    "m'oppose à la transmission",
    "no compartan mis",
    "no compartir mis",
    "me opongo a la cesión",
    "non condividete i miei",
    "non cedete i miei",
    "deel mijn gegevens niet",
    "não partilhem os meus",
    "não compartilhem meus",
    "не передавайте мои",
    "не передавать мои",
    "第三者に提供しないで",
    "第三者への提供を停止",
    "不要向第三方",
    "不要共享我的",
    "不要分享我的",
];

/// What the customer's own words (not quoted text, not signatures) ask
/// for, each kind once, in a fixed order.
pub fn detect(text: &str) -> Vec<RequestKind> {
    let own = own_words(text)
        .to_lowercase()
        .replace(['\u{2019}', '`'], "'");
    let mut found = Vec::new();
    if UNSUBSCRIBE.iter().any(|p| own.contains(p)) {
        found.push(RequestKind::Unsubscribe);
    }
    if STOP_SHARING.iter().any(|p| own.contains(p)) {
        found.push(RequestKind::StopSharing);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use RequestKind::{StopSharing, Unsubscribe};

    #[test]
    fn finds_requests_in_several_languages() {
        for (text, expected) in [
            (
                "Please unsubscribe me from your newsletter.",
                vec![Unsubscribe],
            ),
            ("Bitte den Newsletter abbestellen.", vec![Unsubscribe]),
            ("Merci de me désinscrire de vos envois.", vec![Unsubscribe]),
            ("Отпишите меня от рассылки.", vec![Unsubscribe]),
            ("配信停止をお願いします。", vec![Unsubscribe]),
            ("Don’t share my details with anyone.", vec![StopSharing]),
            (
                "Bitte meine Daten nicht an Dritte weitergeben.",
                vec![StopSharing],
            ),
            (
                "Unsubscribe me, and do not pass on my address to partners.",
                vec![Unsubscribe, StopSharing],
            ),
        ] {
            assert_eq!(detect(text), expected, "{text}");
        }
    }

    #[test]
    fn quoted_text_and_ordinary_support_mail_are_not_requests() {
        assert!(detect("Thanks, that fixed it.\n\n> To unsubscribe, reply STOP.").is_empty());
        assert!(detect("Our SIP trunk is shared with a partner office.").is_empty());
        assert!(
            detect("Hi,\n\nthe trunk is down.\n\n-- \nTo unsubscribe from this list ...")
                .is_empty()
        );
    }
}

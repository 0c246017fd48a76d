/// Mail sent by a machine rather than a person: archived and searchable,
/// but neither a customer message to answer nor one of our replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AutomatedKind {
    /// Out-of-office and other automatic answers.
    AutoReply,
    /// Delivery status notifications (bounces).
    Bounce,
    /// Bulk and list mail (`Precedence: bulk`).
    Bulk,
}

impl AutomatedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AutoReply => "auto-reply",
            Self::Bounce => "bounce",
            Self::Bulk => "bulk",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        match s {
            "auto-reply" => Some(Self::AutoReply),
            "bounce" => Some(Self::Bounce),
            "bulk" => Some(Self::Bulk),
            _ => None,
        }
    }
}

/// What the headers say about who wrote the message. `header` looks a
/// header up by name (case-insensitively), `content_type` is the top-level
/// `type/subtype`, `from` the sender's address.
pub(crate) fn classify(
    header: impl Fn(&str) -> Option<String>,
    content_type: Option<&str>,
    from: Option<&str>,
) -> Option<AutomatedKind> {
    if content_type.is_some_and(|ct| ct.eq_ignore_ascii_case("multipart/report")) {
        return Some(AutomatedKind::Bounce);
    }
    if let Some(local) = from.and_then(|f| f.split('@').next()) {
        if local.eq_ignore_ascii_case("mailer-daemon") || local.eq_ignore_ascii_case("postmaster") {
            return Some(AutomatedKind::Bounce);
        }
    }
    if let Some(v) = header("Auto-Submitted") {
        if !v.trim().eq_ignore_ascii_case("no") {
            return Some(AutomatedKind::AutoReply);
        }
    }
    for h in ["X-Autoreply", "X-Autorespond", "X-Autoresponder"] {
        if header(h).is_some() {
            return Some(AutomatedKind::AutoReply);
        }
    }
    match header("Precedence").map(|v| v.trim().to_ascii_lowercase()) {
        Some(v) if v == "auto_reply" => Some(AutomatedKind::AutoReply),
        Some(v) if v == "bulk" || v == "junk" || v == "list" => Some(AutomatedKind::Bulk),
        _ => None,
    }
}

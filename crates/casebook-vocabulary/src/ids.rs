use std::fmt;

/// A message's number in the archive (one per distinct raw message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(pub i64);

/// A conversation's number: the smallest [`MessageId`] among its messages,
/// so the same mail always gives the same threads whatever the arrival order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ThreadId(pub i64);

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for ThreadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Who a message is from, seen from the company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From a customer (anyone not us).
    Inbound,
    /// Our reply: From is one of our addresses or domains.
    Outbound,
    /// Sent by a machine (auto-reply, bounce, bulk): neither to answer nor an answer.
    Automated,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
            Self::Automated => "automated",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        match s {
            "inbound" => Some(Self::Inbound),
            "outbound" => Some(Self::Outbound),
            "automated" => Some(Self::Automated),
            _ => None,
        }
    }
}

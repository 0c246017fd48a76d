//! What threading reads of a message and what it decides for one: the
//! rows the store hands over and takes back, and the pure threading code
//! works on, so neither side depends on the other.

use crate::{Direction, MessageId, Sha256, ThreadId};

/// What threading and reply pairing need of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRow {
    pub id: MessageId,
    pub sha256: Sha256,
    /// The Message-ID header, without angle brackets (`id` is the row).
    pub message_id_header: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub correspondent: Option<String>,
    pub subject: String,
    pub date: Option<i64>,
    pub direction: Direction,
    pub thread_id: Option<ThreadId>,
    pub reply_id: Option<MessageId>,
    pub response_secs: Option<i64>,
}

/// A new thread and pairing for one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadUpdate {
    pub id: MessageId,
    pub thread_id: ThreadId,
    pub reply_id: Option<MessageId>,
    pub response_secs: Option<i64>,
    /// The thread it leaves for `thread_id`, if it was in another: what
    /// is kept per conversation (the queue's list) is worked out again
    /// for the messages left behind there too.
    pub left_thread: Option<ThreadId>,
}

//! The conversations waiting for us: threads whose customer has written
//! since our last reply and has no answer yet.

use crate::error::{During, StoreError};
use crate::store::Store;
use casebook_vocabulary::{MessageId, ThreadId};

/// A conversation waiting for our reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub thread_id: ThreadId,
    /// When the first customer message we have not answered arrived
    /// (seconds since 1970, UTC).
    pub since: i64,
    /// Customer messages written since our last reply, none answered.
    pub messages: u64,
    /// The latest of them.
    pub last: MessageId,
}

/// Which waiting conversations to give.
#[derive(Debug, Clone, Default)]
pub struct WaitingFilter<'a> {
    /// Only conversations with a message carrying this tag.
    pub tag: Option<&'a str>,
    /// Only those whose waiting messages are about this topic.
    pub topic: Option<&'a str>,
}

impl Store {
    /// Every conversation waiting for us, oldest waiting first: its
    /// customer messages (inbound, not copies) that have no reply paired
    /// with them and came after every message we sent in the thread.
    /// A row per waiting conversation is held, never a message.
    pub async fn waiting(&self, filter: &WaitingFilter<'_>) -> Result<Vec<Waiting>, StoreError> {
        let mut conditions = String::new();
        if filter.tag.is_some() {
            conditions.push_str(
                " AND EXISTS (SELECT 1 FROM message_tags t JOIN messages x ON x.id = t.message \
                 WHERE x.thread_id = m.thread_id AND t.tag = $1)",
            );
        }
        if filter.topic.is_some() {
            let n = 1 + usize::from(filter.tag.is_some());
            conditions.push_str(&format!(" AND m.topic = ${n}"));
        }
        let sql = format!(
            "SELECT m.thread_id, MIN(m.date), COUNT(*), MAX(m.id) FROM messages m \
             WHERE m.direction = 'inbound' AND m.primary_id IS NULL AND m.reply_id IS NULL \
             AND m.thread_id IS NOT NULL AND m.date IS NOT NULL{conditions} \
             AND NOT EXISTS (SELECT 1 FROM messages o WHERE o.thread_id = m.thread_id \
                             AND o.direction = 'outbound' AND o.date >= m.date) \
             GROUP BY m.thread_id ORDER BY MIN(m.date), m.thread_id"
        );
        let mut q = sqlx::query_as::<_, (i64, i64, i64, i64)>(&sql);
        if let Some(tag) = filter.tag {
            q = q.bind(tag);
        }
        if let Some(topic) = filter.topic {
            q = q.bind(topic);
        }
        let rows = q
            .fetch_all(&self.pool)
            .await
            .during("finding the conversations waiting for us")?;
        Ok(rows
            .into_iter()
            .map(|(thread, since, messages, last)| Waiting {
                thread_id: ThreadId(thread),
                since,
                messages: messages as u64,
                last: MessageId(last),
            })
            .collect())
    }
}

//! The conversations waiting for us: threads whose customer has written
//! since our last reply and has no answer yet.

use crate::error::{During, StoreError};
use crate::sql::param_list;
use crate::store::{Store, ROWS_PER_STATEMENT};
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

/// A message written since a count of writes, and its thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Changed {
    pub id: MessageId,
    pub thread_id: Option<ThreadId>,
}

impl Store {
    /// Every conversation waiting for us, oldest waiting first: its
    /// customer messages (inbound, not copies) that have no reply paired
    /// with them and came after every message we sent in the thread.
    /// A row per waiting conversation is held, never a message.
    pub async fn waiting(&self, filter: &WaitingFilter<'_>) -> Result<Vec<Waiting>, StoreError> {
        self.waiting_where(filter, &[]).await
    }

    /// The conversations among `threads` that wait for us, as
    /// [`Store::waiting`] gives them (oldest waiting first).
    pub async fn waiting_in(&self, threads: &[ThreadId]) -> Result<Vec<Waiting>, StoreError> {
        let mut found = Vec::new();
        for chunk in threads.chunks(ROWS_PER_STATEMENT) {
            found.extend(self.waiting_where(&WaitingFilter::default(), chunk).await?);
        }
        found.sort_by_key(|w| (w.since, w.thread_id.0));
        Ok(found)
    }

    /// The messages whose `state_write` is above `after` (stored, given
    /// a thread or a reply, made a copy since that count of writes) with
    /// their threads; `None` when there are more than `most`.
    pub async fn written_since(
        &self,
        after: u64,
        most: usize,
    ) -> Result<Option<Vec<Changed>>, StoreError> {
        let rows: Vec<(i64, Option<i64>)> =
            sqlx::query_as("SELECT id, thread_id FROM messages WHERE state_write > $1 LIMIT $2")
                .bind(i64::try_from(after).unwrap_or(i64::MAX))
                .bind(i64::try_from(most.saturating_add(1)).unwrap_or(i64::MAX))
                .fetch_all(&self.pool)
                .await
                .during("reading the messages changed since the queue was read")?;
        if rows.len() > most {
            return Ok(None);
        }
        Ok(Some(
            rows.into_iter()
                .map(|(id, thread)| Changed {
                    id: MessageId(id),
                    thread_id: thread.map(ThreadId),
                })
                .collect(),
        ))
    }

    /// [`Store::waiting`], of `threads` only when there are any.
    async fn waiting_where(
        &self,
        filter: &WaitingFilter<'_>,
        threads: &[ThreadId],
    ) -> Result<Vec<Waiting>, StoreError> {
        let mut conditions = String::new();
        let mut next = 1;
        if filter.tag.is_some() {
            conditions.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM message_tags t JOIN messages x ON x.id = t.message \
                 WHERE x.thread_id = m.thread_id AND t.tag = ${next})"
            ));
            next += 1;
        }
        if filter.topic.is_some() {
            conditions.push_str(&format!(" AND m.topic = ${next}"));
            next += 1;
        }
        if !threads.is_empty() {
            let list = param_list(self.backend(), threads.len(), next);
            conditions.push_str(&format!(" AND m.thread_id IN ({list})"));
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
        for thread in threads {
            q = q.bind(thread.0);
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

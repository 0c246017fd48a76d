//! What the statistics that identify nobody read: each conversation
//! message's month, topic, direction, answer and person, as small columns
//! streamed in one pass (no message text), and the topics of mail stored
//! before topics were recorded.

use crate::error::{During, StoreError};
use crate::sql::value_rows;
use crate::store::Store;
use casebook_vocabulary::MessageId;
use futures_util::TryStreamExt;

/// One message as statistics see it ([`Store::each_stat_row`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatSource {
    /// Seconds since 1970 (UTC).
    pub date: i64,
    pub topic: String,
    pub inbound: bool,
    pub answered: bool,
    pub response_secs: Option<i64>,
    /// The person the message is with: the primary address of the person
    /// its correspondent is linked to, else the correspondent.
    pub person: String,
    /// The conversation it is in (none until threaded).
    pub thread: Option<i64>,
}

impl Store {
    /// Up to `limit` messages whose topic is not recorded yet, after
    /// `after`, with their subject and text.
    pub async fn messages_without_topic(
        &self,
        after: MessageId,
        limit: u32,
    ) -> Result<Vec<(MessageId, String, String)>, StoreError> {
        sqlx::query_as::<_, (i64, String, String)>(
            "SELECT id, subject, body FROM messages WHERE topic IS NULL AND id > $1 \
             ORDER BY id LIMIT $2",
        )
        .bind(after.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .during("reading messages without a topic")
        .map(|rows| {
            rows.into_iter()
                .map(|(id, subject, body)| (MessageId(id), subject, body))
                .collect()
        })
    }

    /// Records messages' topics. Nothing any reader keeps depends on them
    /// (the index and the filters do not), so the write is not counted.
    pub async fn record_topics(&self, topics: &[(MessageId, &str)]) -> Result<(), StoreError> {
        if topics.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_bookkeeping().await?;
        for chunk in topics.chunks(crate::store::ROWS_PER_STATEMENT) {
            let sql = format!(
                "WITH t (id, topic) AS (VALUES {}) \
                 UPDATE messages SET topic = t.topic FROM t WHERE messages.id = t.id",
                value_rows(self.backend(), chunk.len(), 2)
            );
            let mut q = sqlx::query(&sql);
            for (id, topic) in chunk {
                q = q.bind(id.0).bind(*topic);
            }
            q.execute(&mut *tx).await.during("recording topics")?;
        }
        tx.commit().await.during("recording topics")
    }

    /// Every inbound and outbound message (not a copy) with a date, a
    /// correspondent and a topic, as [`StatSource`], one at a time to
    /// `visit`: a row is held while it is visited, never the archive. With
    /// `changed_after`, only the messages stored or changed after that count
    /// of writes (`state_write`), each given as counted or not (a message
    /// that became a copy, say, no longer is).
    pub async fn each_stat_row(
        &self,
        changed_after: Option<u64>,
        mut visit: impl FnMut(MessageId, Option<StatSource>),
    ) -> Result<(), StoreError> {
        let columns = "SELECT m.id, m.date, m.topic, m.direction, m.primary_id, m.reply_id, \
             m.response_secs, COALESCE(p.person, m.correspondent), m.thread_id \
             FROM messages m LEFT JOIN person_links p ON p.address = m.correspondent";
        let sql = match changed_after {
            Some(_) => format!("{columns} WHERE m.state_write > $1"),
            None => format!(
                "{columns} WHERE m.direction IN ('inbound', 'outbound') AND m.primary_id IS NULL \
                 AND m.date IS NOT NULL AND m.correspondent IS NOT NULL AND m.topic IS NOT NULL"
            ),
        };
        type Row = (
            i64,
            Option<i64>,
            Option<String>,
            String,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<i64>,
        );
        let mut query = sqlx::query_as::<_, Row>(&sql);
        if let Some(after) = changed_after {
            query = query.bind(after as i64);
        }
        let mut rows = query.fetch(&self.pool);
        while let Some((
            id,
            date,
            topic,
            direction,
            primary,
            reply,
            response_secs,
            person,
            thread,
        )) = rows
            .try_next()
            .await
            .during("reading messages for statistics")?
        {
            let counted = matches!(direction.as_str(), "inbound" | "outbound") && primary.is_none();
            let source = match (date, topic, person) {
                (Some(date), Some(topic), Some(person)) if counted => Some(StatSource {
                    date,
                    topic,
                    inbound: direction == "inbound",
                    answered: reply.is_some(),
                    response_secs,
                    person,
                    thread,
                }),
                _ => None,
            };
            visit(MessageId(id), source);
        }
        Ok(())
    }
}

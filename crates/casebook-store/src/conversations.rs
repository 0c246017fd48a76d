//! Conversations as search results show them: which thread each found
//! message is in, and each thread in a few numbers (how many messages,
//! who wrote first, whether it waits for us or how soon we answered).

use crate::error::{During, StoreError};
use crate::location::Backend;
use crate::store::Store;
use casebook_vocabulary::{BeyondThreadMap, MessageId, ThreadId, ThreadMap};
use futures_util::TryStreamExt;
use sqlx::Row;

/// A thread in numbers (see [`Store::conversation_outlines`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationOutline {
    pub thread_id: ThreadId,
    /// Its messages, copies not counted.
    pub messages: u64,
    /// Of them, from the customer (inbound).
    pub from_customer: u64,
    /// Of them, ours (outbound).
    pub ours: u64,
    /// The customer's first message (oldest by date).
    pub first_customer: Option<MessageId>,
    /// When its newest message was written (seconds since 1970, UTC).
    pub last_date: Option<i64>,
    /// When the first customer message we have not answered arrived,
    /// if the conversation waits for us (the queue's rule).
    pub waiting_since: Option<i64>,
    /// How long our first reply to the customer took, if we answered.
    pub first_response_secs: Option<i64>,
    /// Whether any customer message has a reply of ours.
    pub answered: bool,
}

/// SQLite looks a row up by its number, reading its text pages to reach
/// `thread_id`, unless told to read the index that holds both (migration
/// 0024).
fn thread_of_hint(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "INDEXED BY messages_thread_of",
        Backend::Postgres => "",
    }
}

impl Store {
    /// The thread of each of these messages, in the order asked; a message
    /// the store no longer holds, or not yet threaded, is left out.
    ///
    /// Each statement answers in one text row, "id thread id thread …",
    /// rather than a row a message: a search page asks for thousands,
    /// and the database driver's cost of a row (a hand-off between its
    /// thread and ours, a row and its columns built and dropped) was most
    /// of the page's time, ten times the lookups themselves.
    pub async fn threads_of(
        &self,
        ids: &[MessageId],
    ) -> Result<Vec<(MessageId, ThreadId)>, StoreError> {
        let d = "reading the threads of search hits";
        let rows = self
            .rows_of(
                ids,
                |list| {
                    format!(
                        "SELECT string_agg(CAST(id AS TEXT) || ' ' || CAST(thread_id AS TEXT), ' ') \
                         FROM messages {} WHERE id IN ({list}) AND thread_id IS NOT NULL",
                        thread_of_hint(self.backend())
                    )
                },
                d,
            )
            .await?;
        let mut found = std::collections::HashMap::with_capacity(ids.len());
        for row in &rows {
            let packed: Option<String> = row.try_get(0).during(d)?;
            let mut numbers = packed.as_deref().unwrap_or("").split_ascii_whitespace();
            while let Some(id) = numbers.next() {
                let pair = (id.parse(), numbers.next().map(str::parse));
                let (Ok(id), Some(Ok(thread))) = pair else {
                    let unreadable = format!("an id and its thread in `{id} …`");
                    return Err(sqlx::Error::Decode(unreadable.into())).during(d);
                };
                found.insert(MessageId(id), ThreadId(thread));
            }
        }
        Ok(ids
            .iter()
            .filter_map(|id| found.get(id).map(|t| (*id, *t)))
            .collect())
    }

    /// Records in `map` the thread of every message (`after: None`), or of
    /// those whose `state_write` is above `after` (what changed since the
    /// map was read at that count of writes: every change of a message's
    /// thread records it). Read as a stream, four bytes a message held.
    /// A message or thread number the map cannot hold stops the reading
    /// (`Ok(Err(..))`): the map is then not to be used.
    pub async fn read_threads(
        &self,
        after: Option<u64>,
        map: &mut ThreadMap,
    ) -> Result<Result<(), BeyondThreadMap>, StoreError> {
        let sql = match after {
            Some(_) => "SELECT id, thread_id FROM messages WHERE state_write > $1",
            None => "SELECT id, thread_id FROM messages WHERE thread_id IS NOT NULL",
        };
        let mut q = sqlx::query_as::<_, (i64, Option<i64>)>(sql);
        if let Some(after) = after {
            q = q.bind(after as i64);
        }
        let mut rows = q.fetch(&self.pool);
        while let Some((id, thread)) = rows.try_next().await.during("reading threads")? {
            if let Err(beyond) = map.set(MessageId(id), thread.map(ThreadId)) {
                return Ok(Err(beyond));
            }
        }
        Ok(Ok(()))
    }

    /// Each of these threads in numbers, in the order asked (a thread
    /// with no message left is left out). One row per thread is read,
    /// whatever its length.
    pub async fn conversation_outlines(
        &self,
        threads: &[ThreadId],
    ) -> Result<Vec<ConversationOutline>, StoreError> {
        let d = "reading conversations";
        // Thread numbers bound as rows_of binds ids: both are numbers.
        let as_ids: Vec<MessageId> = threads.iter().map(|t| MessageId(t.0)).collect();
        let mut found = std::collections::HashMap::with_capacity(threads.len());
        let rows = self
            .rows_of(
                &as_ids,
                |list| {
                    format!(
                        "SELECT m.thread_id, COUNT(*), \
                         SUM(CASE WHEN m.direction = 'inbound' THEN 1 ELSE 0 END), \
                         SUM(CASE WHEN m.direction = 'outbound' THEN 1 ELSE 0 END), \
                         (SELECT f.id FROM messages f WHERE f.thread_id = m.thread_id \
                          AND f.primary_id IS NULL AND f.direction = 'inbound' \
                          ORDER BY CASE WHEN f.date IS NULL THEN 1 ELSE 0 END, f.date, f.id \
                          LIMIT 1), \
                         MAX(m.date), \
                         MIN(CASE WHEN m.direction = 'inbound' AND m.reply_id IS NULL \
                             AND m.date IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages o \
                             WHERE o.thread_id = m.thread_id AND o.direction = 'outbound' \
                             AND o.date >= m.date) THEN m.date END), \
                         (SELECT f.response_secs FROM messages f \
                          WHERE f.thread_id = m.thread_id AND f.primary_id IS NULL \
                          AND f.direction = 'inbound' AND f.reply_id IS NOT NULL \
                          ORDER BY CASE WHEN f.date IS NULL THEN 1 ELSE 0 END, f.date, f.id \
                          LIMIT 1), \
                         SUM(CASE WHEN m.direction = 'inbound' AND m.reply_id IS NOT NULL \
                             THEN 1 ELSE 0 END) \
                         FROM messages m WHERE m.thread_id IN ({list}) \
                         AND m.primary_id IS NULL GROUP BY m.thread_id"
                    )
                },
                d,
            )
            .await?;
        for row in &rows {
            let n = |i: usize| -> Result<u64, StoreError> {
                Ok(u64::try_from(row.try_get::<i64, _>(i).during(d)?).unwrap_or(0))
            };
            let thread_id = ThreadId(row.try_get(0).during(d)?);
            found.insert(
                thread_id,
                ConversationOutline {
                    thread_id,
                    messages: n(1)?,
                    from_customer: n(2)?,
                    ours: n(3)?,
                    first_customer: row.try_get::<Option<i64>, _>(4).during(d)?.map(MessageId),
                    last_date: row.try_get(5).during(d)?,
                    waiting_since: row.try_get(6).during(d)?,
                    first_response_secs: row.try_get(7).during(d)?,
                    answered: n(8)? > 0,
                },
            );
        }
        Ok(threads.iter().filter_map(|t| found.remove(t)).collect())
    }
}

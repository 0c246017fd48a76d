//! What the filters the search index cannot answer alone select
//! (`is:answered`, `is:unanswered`, `customer:`), read as sets of message
//! numbers, whole or as what changed after a count of writes (see
//! [`FilterMarks`]).

use crate::error::{During, StoreError};
use crate::location::Backend;
use crate::sql::param_list;
use crate::store::Store;
use casebook_vocabulary::{MessageId, MessageSet};
use futures_util::TryStreamExt;

/// The count of writes of the transaction running the statement it is in:
/// what a write records in `messages.state_write` of the rows it changes
/// in a way the filters see (migration 0019).
pub(crate) const THIS_WRITE: &str = "(SELECT writes FROM change_counter WHERE id = 1)";

/// Where the store stands for the filters' sets: a set read (or brought
/// up to date) at `writes` is brought up to date later by the messages
/// whose `state_write` is above it; customer sets are read again when a
/// list changed after it (`lists`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FilterMarks {
    /// The store's count of writes ([`Store::writes`]).
    pub writes: u64,
    /// The count of writes at which a customer list last changed.
    pub lists: u64,
    /// The count of writes at which messages were last removed or
    /// addresses merged into a person or separated: what no message's
    /// `state_write` shows.
    pub stats: u64,
}

impl Store {
    /// The store's [`FilterMarks`] now.
    pub async fn filter_marks(&self) -> Result<FilterMarks, StoreError> {
        let (writes, lists, stats) = sqlx::query_as::<_, (i64, i64, i64)>(
            "SELECT writes, lists_write, stats_write FROM change_counter WHERE id = 1",
        )
        .fetch_one(&self.pool)
        .await
        .during("reading the change counter")?;
        Ok(FilterMarks {
            writes: writes as u64,
            lists: lists as u64,
            stats: stats as u64,
        })
    }

    /// Inbound messages (not copies) one of our replies is paired with
    /// (`answered`) and those none is (`unanswered`). With `after`, the
    /// sets are brought up to date by the messages changed after that
    /// count of writes; without, they are filled from every message.
    /// Read as a stream: a bit per message held, never a row.
    pub async fn read_answered(
        &self,
        after: Option<u64>,
        answered: &mut MessageSet,
        unanswered: &mut MessageSet,
    ) -> Result<(), StoreError> {
        let columns = "SELECT id, direction, primary_id, reply_id FROM messages";
        let sql = match after {
            Some(_) => format!("{columns} WHERE state_write > $1"),
            None => format!("{columns} WHERE direction = 'inbound' AND primary_id IS NULL"),
        };
        let mut q = sqlx::query_as::<_, (i64, String, Option<i64>, Option<i64>)>(&sql);
        if let Some(after) = after {
            q = q.bind(after as i64);
        }
        let mut rows = q.fetch(&self.pool);
        while let Some((id, direction, primary, reply)) =
            rows.try_next().await.during("reading answered mail")?
        {
            let id = MessageId(id);
            let inbound = direction == "inbound" && primary.is_none();
            match (inbound, reply.is_some()) {
                (true, true) => {
                    answered.insert(id);
                    unanswered.remove(id);
                }
                (true, false) => {
                    unanswered.insert(id);
                    answered.remove(id);
                }
                (false, _) => {
                    answered.remove(id);
                    unanswered.remove(id);
                }
            }
        }
        Ok(())
    }

    /// Messages whose correspondent is on a list (`list`, or any), by
    /// address or, outside `free_mail`, by the domain of a record. With
    /// `after`, `set` is brought up to date by the messages changed after
    /// that count of writes (the lists being as they were); without, it is
    /// filled from every message.
    pub async fn read_customer_messages(
        &self,
        list: Option<&str>,
        free_mail: &[String],
        after: Option<u64>,
        set: &mut MessageSet,
    ) -> Result<(), StoreError> {
        let lists = "SELECT id FROM customer_lists WHERE (CAST($1 AS TEXT) IS NULL OR name = CAST($1 AS TEXT))";
        // No list to be on (the usual case before any is imported): no
        // message is, and none is looked up (a pass over every message).
        let any_list: Option<i64> = sqlx::query_scalar(&format!("{lists} LIMIT 1"))
            .bind(list)
            .fetch_optional(&self.pool)
            .await
            .during("finding customers' messages")?;
        if any_list.is_none() {
            *set = MessageSet::new();
            return Ok(());
        }
        // The domain of an address: SQLite and PostgreSQL name the string
        // functions differently.
        let domain = match self.backend() {
            Backend::Sqlite => "substr(m.correspondent, instr(m.correspondent, '@') + 1)",
            Backend::Postgres => "split_part(m.correspondent, '@', 2)",
        };
        let free = if free_mail.is_empty() {
            String::new()
        } else {
            format!(
                " AND r.domain NOT IN ({})",
                param_list(Backend::Postgres, free_mail.len(), 2)
            )
        };
        // From each message to the records by index (address, then
        // domain): a lookup per message, never a scan of the lists.
        let on_a_list = format!(
            "m.correspondent IS NOT NULL AND (\
             EXISTS (SELECT 1 FROM customer_records r WHERE r.address = m.correspondent \
                     AND r.list IN ({lists})) \
             OR EXISTS (SELECT 1 FROM customer_records r WHERE r.domain = {domain} \
                        AND r.list IN ({lists}){free}))"
        );
        let sql = match after {
            Some(_) => format!(
                "SELECT m.id, CAST(CASE WHEN {on_a_list} THEN 1 ELSE 0 END AS BIGINT) \
                 FROM messages m WHERE m.state_write > ${}",
                free_mail.len() + 2
            ),
            None => format!("SELECT m.id, CAST(1 AS BIGINT) FROM messages m WHERE {on_a_list}"),
        };
        let mut q = sqlx::query_as::<_, (i64, i64)>(&sql).bind(list);
        for d in free_mail {
            q = q.bind(d);
        }
        if let Some(after) = after {
            q = q.bind(after as i64);
        }
        let mut rows = q.fetch(&self.pool);
        while let Some((id, on_list)) = rows
            .try_next()
            .await
            .during("finding customers' messages")?
        {
            match on_list {
                0 => set.remove(MessageId(id)),
                _ => set.insert(MessageId(id)),
            }
        }
        Ok(())
    }
}

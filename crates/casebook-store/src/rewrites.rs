//! Statements that rewrite message rows, cut by the messages' sizes.
//!
//! Changing a column of a message's row can rewrite the whole row, its
//! text too (SQLite writes the record anew when its length changes, as
//! setting a thread or clearing one does), and a statement keeps every
//! page it replaced in memory until it ends (`temp_store = MEMORY`, kept
//! for speed). A statement here rewrites at most
//! [`REWRITTEN_BYTES_PER_STATEMENT`] of messages by their stored sizes:
//! 400 rows of 1 MB of text each took 400 MB. PostgreSQL keeps a large
//! value where it is when other columns change: one statement.

use crate::error::{During, StoreError};
use crate::location::Backend;
use crate::sql::param_list;
use casebook_vocabulary::MessageId;
use sqlx::{Any, Transaction};
use std::collections::HashMap;

/// Bytes of messages one statement that changes their rows rewrites at
/// most (SQLite). Sizes are the stored messages' (at least their text).
pub(crate) const REWRITTEN_BYTES_PER_STATEMENT: u64 = 8 * 1024 * 1024;

/// What a message's row holds besides its text, about.
const ROW_OVERHEAD_BYTES: u64 = 512;

/// `items` cut into runs whose messages' sizes (`size_of`) add up to at
/// most [`REWRITTEN_BYTES_PER_STATEMENT`] (one larger message goes
/// alone); on PostgreSQL, one run.
pub(crate) fn cut_by_size<T>(
    backend: Backend,
    items: &[T],
    size_of: impl Fn(&T) -> u64,
) -> Vec<&[T]> {
    if backend != Backend::Sqlite || items.is_empty() {
        return vec![items];
    }
    let mut runs = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (i, item) in items.iter().enumerate() {
        let size = size_of(item).saturating_add(ROW_OVERHEAD_BYTES);
        if i > start && bytes.saturating_add(size) > REWRITTEN_BYTES_PER_STATEMENT {
            runs.push(&items[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes = bytes.saturating_add(size);
    }
    runs.push(&items[start..]);
    runs
}

/// The stored size of a message as its row gives it (never negative).
pub(crate) fn stored_size(size: i64) -> u64 {
    u64::try_from(size).unwrap_or(0)
}

/// The stored sizes of messages `ids`, by message (SQLite only: on
/// PostgreSQL sizes do not matter, and none is read; a message not found
/// counts as 0).
pub(crate) async fn sizes_of(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    ids: &[MessageId],
) -> Result<HashMap<MessageId, u64>, StoreError> {
    if backend != Backend::Sqlite || ids.len() < 2 {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT id, size FROM messages WHERE id IN ({})",
        param_list(backend, ids.len(), 1)
    );
    let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
    for id in ids {
        q = q.bind(id.0);
    }
    Ok(q.fetch_all(&mut **tx)
        .await
        .during("reading the sizes of messages to change")?
        .into_iter()
        .map(|(id, size)| (MessageId(id), stored_size(size)))
        .collect())
}

/// Sets `set` on the messages `which` picks (an SQL condition on
/// `messages` binding `ids` as `$1`, `$2`, ...), in statements cut by
/// their sizes. The messages are found first (their ids and sizes), then
/// changed by id.
pub(crate) async fn set_on_messages(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    which: &str,
    ids: &[MessageId],
    set: &str,
    action: &'static str,
) -> Result<(), StoreError> {
    let sql = format!("SELECT id, size FROM messages WHERE {which}");
    let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
    for id in ids {
        q = q.bind(id.0);
    }
    let found = q.fetch_all(&mut **tx).await.during(action)?;
    for run in cut_by_size(backend, &found, |&(_, size)| stored_size(size)) {
        for rows in run.chunks(crate::store::ROWS_PER_STATEMENT) {
            if rows.is_empty() {
                continue;
            }
            let sql = format!(
                "UPDATE messages SET {set} WHERE id IN ({})",
                param_list(backend, rows.len(), 1)
            );
            let mut q = sqlx::query(&sql);
            for (id, _) in rows {
                q = q.bind(*id);
            }
            q.execute(&mut **tx).await.during(action)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_hold_at_most_the_bound_and_a_larger_message_goes_alone() {
        let mib = 1024 * 1024;
        let sizes = [3 * mib, 3 * mib, 3 * mib, 20 * mib, 1, 1];
        let runs = cut_by_size(Backend::Sqlite, &sizes, |&s| s);
        let lens: Vec<usize> = runs.iter().map(|r| r.len()).collect();
        assert_eq!(lens, vec![2, 1, 1, 2]);
        assert_eq!(runs.iter().map(|r| r.len()).sum::<usize>(), sizes.len());
        assert_eq!(cut_by_size(Backend::Postgres, &sizes, |&s| s).len(), 1);
        let none: [u64; 0] = [];
        assert_eq!(cut_by_size(Backend::Sqlite, &none, |&s| s), vec![&none[..]]);
    }
}

//! Recording threads and reply pairs, and removing messages.

use crate::decode::{copy_parents, thread_row};
use crate::error::{During, StoreError};
use crate::filters::THIS_WRITE;
use crate::location::Backend;
use crate::model::*;
use crate::rewrites::{cut_by_size, set_on_messages, sizes_of};
use crate::sql::{param_list, value_rows};
use crate::store::{Store, ROWS_PER_STATEMENT};
use casebook_vocabulary::{MessageId, ThreadId};
use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};
use std::collections::HashMap;

impl Store {
    /// How many messages wait for a thread (an index's entries counted).
    pub async fn unthreaded_count(&self) -> Result<u64, StoreError> {
        sqlx::query_scalar::<_, i64>(&count_unthreaded(self.backend()))
            .fetch_one(&self.pool)
            .await
            .during("counting unthreaded messages")
            .map(|n| n as u64)
    }

    /// Whether stored messages wait for a thread.
    pub async fn has_unthreaded(&self) -> Result<bool, StoreError> {
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM messages {} \
             WHERE thread_id IS NULL AND primary_id IS NULL LIMIT 1) AS waiting",
            unthreaded_hint(self.backend())
        );
        sqlx::query_scalar::<_, i64>(&sql)
            .fetch_one(&self.pool)
            .await
            .during("looking for unthreaded messages")
            .map(|n| n != 0)
    }

    /// Starts re-threading: a write transaction, so no other process stores
    /// or threads until [`Rethreading::apply`] commits (or it is dropped).
    /// Threads worked out from what this transaction reads cannot overwrite
    /// those another process worked out from newer rows.
    pub async fn begin_rethreading(&self) -> Result<Rethreading, StoreError> {
        // Every other writer waits until the threads are applied. No
        // change number: the search index holds no threads, so a settle
        // that re-threads leaves the index's checkpoint current.
        let tx = self.begin_write_unnumbered().await?;
        Ok(Rethreading {
            tx,
            backend: self.backend(),
            wrote: false,
        })
    }

    /// Removes messages (with their copies' raw bytes and places), leaving
    /// a record so every process's search index drops them. Returns how many
    /// were removed.
    pub async fn remove_messages(
        &self,
        ids: &[MessageId],
        entry: &crate::model::AuditEntry,
    ) -> Result<u64, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let (mut tx, seq) = self.begin_write().await?;
        let removed = self
            .remove_in(&mut tx, seq, ids, crate::chain::ChainKind::Removed)
            .await?;
        crate::audit::audit(&mut tx, entry).await?;
        tx.commit().await.during("committing removals")?;
        Ok(removed)
    }

    /// [`Store::remove_messages`] inside a write transaction numbered `seq`.
    pub(crate) async fn remove_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        seq: i64,
        ids: &[MessageId],
        kind: crate::chain::ChainKind,
    ) -> Result<u64, StoreError> {
        let mut removed = 0;
        if !ids.is_empty() {
            crate::customers::mark_people_changed(tx).await?;
        }
        let d = "removing messages";
        let backend = self.backend();
        let mut runs = Vec::new();
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let sizes = sizes_of(tx, backend, chunk).await?;
            runs.extend(cut_by_size(backend, chunk, |id| {
                sizes.get(id).copied().unwrap_or(0)
            }));
        }
        for chunk in runs {
            let list = param_list(backend, chunk.len(), 1);
            // Their threads are worked out afresh without them; what
            // answered them or copied them is unlinked. Rows found first,
            // then changed in statements cut by their sizes.
            for (which, set) in [
                (
                    format!("thread_id IN (SELECT thread_id FROM messages WHERE id IN ({list}))"),
                    format!("thread_id = NULL, state_write = {THIS_WRITE}"),
                ),
                (
                    format!("reply_id IN ({list})"),
                    format!("reply_id = NULL, response_secs = NULL, state_write = {THIS_WRITE}"),
                ),
                (
                    format!("primary_id IN ({list})"),
                    format!("primary_id = NULL, state_write = {THIS_WRITE}"),
                ),
            ] {
                set_on_messages(tx, backend, &which, chunk, &set, d).await?;
            }
            for sql in [
                format!("DELETE FROM raw_messages WHERE message IN ({list})"),
                format!("DELETE FROM message_tags WHERE message IN ({list})"),
                format!("DELETE FROM testimonials WHERE message IN ({list})"),
                format!("UPDATE testimonials SET consent_message = NULL WHERE consent_message IN ({list})"),
                format!("DELETE FROM locations WHERE message IN ({list})"),
                format!("DELETE FROM message_links WHERE message IN ({list})"),
                format!("DELETE FROM message_addresses WHERE message IN ({list})"),
                format!("DELETE FROM privacy_request_decisions WHERE message IN ({list})"),
            ] {
                let mut q = sqlx::query(&sql);
                for id in chunk {
                    q = q.bind(id.0);
                }
                q.execute(&mut **tx).await.during(d)?;
            }
            let sql = format!("DELETE FROM messages WHERE id IN ({list}) RETURNING id, sha256");
            let mut q = sqlx::query_as::<_, (i64, Vec<u8>)>(&sql);
            for id in chunk {
                q = q.bind(id.0);
            }
            let deleted = q.fetch_all(&mut **tx).await.during(d)?;
            let entries: Vec<(i64, casebook_vocabulary::Sha256)> = deleted
                .iter()
                .map(|(id, sha)| (*id, crate::decode::digest(sha)))
                .collect();
            crate::chain::append(
                tx,
                self.backend(),
                kind,
                &entries,
                self.chain_key.as_deref(),
            )
            .await?;
            if kind == crate::chain::ChainKind::Erased {
                let ids: Vec<i64> = entries.iter().map(|(id, _)| *id).collect();
                crate::chain::forget_salts(tx, self.backend(), &ids).await?;
            }
            let gone: Vec<i64> = deleted.into_iter().map(|(id, _)| id).collect();
            removed += gone.len() as u64;
            if !gone.is_empty() {
                let sql = format!(
                    "INSERT INTO removed_messages (id, change_seq) VALUES {} \
                     ON CONFLICT (id) DO UPDATE SET change_seq = excluded.change_seq",
                    value_rows(self.backend(), gone.len(), 2)
                );
                let mut q = sqlx::query(&sql);
                for id in &gone {
                    q = q.bind(*id).bind(seq);
                }
                q.execute(&mut **tx).await.during(d)?;
            }
        }
        Ok(removed)
    }
}

/// A re-threading in progress: read the rows, work out the changes, apply.
pub struct Rethreading {
    tx: Transaction<'static, Any>,
    backend: Backend,
    /// Something besides threads was written (link keys): commit even with
    /// no thread changed.
    wrote: bool,
}

impl Rethreading {
    /// What threading needs, for every message that is not a copy.
    pub async fn rows(&mut self) -> Result<Vec<ThreadRow>, StoreError> {
        let sql = format!("SELECT {THREAD_COLUMNS} FROM messages WHERE primary_id IS NULL");
        let mut rows = decoded(
            sqlx::query(&sql).fetch(&mut *self.tx),
            thread_row,
            "reading messages for threading",
        )
        .await?;
        self.merge_every_copy(&mut rows).await?;
        Ok(rows)
    }

    /// [`Rethreading::rows`], taking the messages in `in_memory` (rows this
    /// process made with [`NewMessage::thread_row`] as it stored them) from
    /// memory: of those only the id and the thread columns are read, the
    /// rest of a row never changes once stored. A known message that is
    /// gone, or became a copy, is left out, as reading would.
    pub async fn rows_reusing(
        &mut self,
        mut in_memory: HashMap<MessageId, ThreadRow>,
    ) -> Result<Vec<ThreadRow>, StoreError> {
        let current = sqlx::query_as::<_, (i64, Option<i64>, Option<i64>, Option<i64>)>(
            "SELECT id, thread_id, reply_id, response_secs FROM messages WHERE primary_id IS NULL",
        )
        .fetch_all(&mut *self.tx)
        .await
        .during("reading messages for threading")?;
        let mut rows = Vec::with_capacity(current.len());
        let mut unknown = Vec::new();
        for (id, thread_id, reply_id, response_secs) in current {
            match in_memory.remove(&MessageId(id)) {
                Some(mut row) => {
                    row.thread_id = thread_id.map(ThreadId);
                    row.reply_id = reply_id.map(MessageId);
                    row.response_secs = response_secs;
                    rows.push(row);
                }
                None => unknown.push(id),
            }
        }
        let read = self
            .rows_in(
                &unknown,
                |list| format!("SELECT {THREAD_COLUMNS} FROM messages WHERE id IN ({list})"),
                thread_row,
                "reading messages for threading",
            )
            .await?;
        rows.extend(read);
        self.merge_every_copy(&mut rows).await?;
        Ok(rows)
    }

    /// Adds every copy's parents to its original among `rows`.
    async fn merge_every_copy(&mut self, rows: &mut [ThreadRow]) -> Result<(), StoreError> {
        let copies = decoded(
            sqlx::query(
                "SELECT primary_id, in_reply_to, refs FROM messages WHERE primary_id IS NOT NULL",
            )
            .fetch(&mut *self.tx),
            copy_parents,
            "reading copies for threading",
        )
        .await?;
        merge_copies(rows, copies);
        Ok(())
    }

    /// The highest message id given so far (about how many there are).
    pub async fn highest_id(&mut self) -> Result<MessageId, StoreError> {
        sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(id), 0) FROM messages")
            .fetch_one(&mut *self.tx)
            .await
            .during("reading the highest message id")
            .map(MessageId)
    }

    /// How many messages wait for a thread (read from the index of them).
    pub async fn unthreaded_count(&mut self) -> Result<u64, StoreError> {
        sqlx::query_scalar::<_, i64>(&count_unthreaded(self.backend))
            .fetch_one(&mut *self.tx)
            .await
            .during("counting unthreaded messages")
            .map(|n| n as u64)
    }

    /// The first `limit` messages, by id, that wait for a thread (new
    /// ones, those whose thread lost a message, originals that gained a
    /// copy).
    pub async fn unthreaded_rows(&mut self, limit: usize) -> Result<Vec<ThreadRow>, StoreError> {
        let hint = unthreaded_hint(self.backend);
        let sql = format!(
            "SELECT {THREAD_COLUMNS} FROM messages {hint} \
             WHERE thread_id IS NULL AND primary_id IS NULL ORDER BY id LIMIT $1"
        );
        let mut rows = decoded(
            sqlx::query(&sql)
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch(&mut *self.tx),
            thread_row,
            "reading unthreaded messages",
        )
        .await?;
        self.merge_copies_of(&mut rows).await?;
        Ok(rows)
    }

    /// Up to `limit` message ids (not copies) after `after`, in order: a
    /// page of the archive to work through without holding it.
    pub async fn ids_after(
        &mut self,
        after: MessageId,
        limit: usize,
    ) -> Result<Vec<MessageId>, StoreError> {
        sqlx::query_scalar::<_, i64>(
            "SELECT id FROM messages WHERE primary_id IS NULL AND id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after.0)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&mut *self.tx)
        .await
        .during("paging through messages")
        .map(|ids| ids.into_iter().map(MessageId).collect())
    }

    /// What threading needs of these messages (copies' parents merged into
    /// their originals); ids that are copies or gone are left out.
    pub async fn rows_of(&mut self, ids: &[MessageId]) -> Result<Vec<ThreadRow>, StoreError> {
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        self.rows_with("id", &ids, "reading messages for threading")
            .await
    }

    /// What threading needs of the messages (not copies) whose `column`
    /// is one of `values`, copies' parents merged into their originals.
    async fn rows_with(
        &mut self,
        column: &str,
        values: &[i64],
        action: &'static str,
    ) -> Result<Vec<ThreadRow>, StoreError> {
        let mut rows = self
            .rows_in(
                values,
                |list| {
                    format!(
                        "SELECT {THREAD_COLUMNS} FROM messages \
                         WHERE {column} IN ({list}) AND primary_id IS NULL"
                    )
                },
                thread_row,
                action,
            )
            .await?;
        self.merge_copies_of(&mut rows).await?;
        Ok(rows)
    }

    /// Up to `limit` copies (their own ids and headers) after `after`, in
    /// order, for [`Rethreading::add_links`].
    pub async fn copy_rows_after(
        &mut self,
        after: MessageId,
        limit: usize,
    ) -> Result<Vec<ThreadRow>, StoreError> {
        let sql = format!(
            "SELECT {THREAD_COLUMNS} FROM messages WHERE primary_id IS NOT NULL AND id > $1 \
             ORDER BY id LIMIT $2"
        );
        decoded(
            sqlx::query(&sql)
                .bind(after.0)
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch(&mut *self.tx),
            thread_row,
            "reading copies for threading",
        )
        .await
    }

    /// Every message of these threads.
    pub async fn thread_rows(
        &mut self,
        threads: &[ThreadId],
    ) -> Result<Vec<ThreadRow>, StoreError> {
        let threads: Vec<i64> = threads.iter().map(|t| t.0).collect();
        self.rows_with("thread_id", &threads, "reading threads")
            .await
    }

    /// The threads of messages (or of the originals of copies) that carry
    /// one of `message_ids` as their Message-ID or have one of `keys`
    /// among their link keys: each once, in ascending order.
    pub async fn threads_linked_to(
        &mut self,
        message_ids: &[&str],
        keys: &[i64],
    ) -> Result<Vec<ThreadId>, StoreError> {
        let threads = self
            .linked(
                message_ids,
                keys,
                "thread_id",
                "AND p.thread_id IS NOT NULL",
            )
            .await?;
        Ok(threads.into_iter().map(ThreadId).collect())
    }

    /// The messages (originals, for copies) that carry one of
    /// `message_ids` as their Message-ID or have one of `keys` among their
    /// link keys, threaded or not: each once, in ascending order.
    pub async fn messages_linked_to(
        &mut self,
        message_ids: &[&str],
        keys: &[i64],
    ) -> Result<Vec<MessageId>, StoreError> {
        let ids = self.linked(message_ids, keys, "id", "").await?;
        Ok(ids.into_iter().map(MessageId).collect())
    }

    /// `column` of the originals `p` of messages linked to `message_ids`
    /// or `keys`, where `condition` holds of `p`.
    ///
    /// Each original is found by its id from the message that links to it
    /// (a lookup per row, in a subquery the planner cannot turn around):
    /// as a join, PostgreSQL with statistics from before a bulk import
    /// walked every threaded message for each statement (a million-message
    /// import stalled on it).
    async fn linked(
        &mut self,
        message_ids: &[&str],
        keys: &[i64],
        column: &str,
        condition: &str,
    ) -> Result<std::collections::BTreeSet<i64>, StoreError> {
        let original = |of: &str| {
            format!(
                "(SELECT p.{column} FROM messages p \
                 WHERE p.id = COALESCE({of}.primary_id, {of}.id) {condition})"
            )
        };
        let mut found = std::collections::BTreeSet::new();
        for chunk in message_ids.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "SELECT DISTINCT {} FROM messages m WHERE m.message_id IN ({})",
                original("m"),
                param_list(self.backend, chunk.len(), 1)
            );
            let mut q = sqlx::query_scalar::<_, Option<i64>>(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            found.extend(
                q.fetch_all(&mut *self.tx)
                    .await
                    .during("finding linked messages")?
                    .into_iter()
                    .flatten(),
            );
        }
        for chunk in keys.chunks(LINK_KEYS_PER_STATEMENT) {
            let sql = format!(
                "SELECT DISTINCT (SELECT {} FROM messages m WHERE m.id = l.message) \
                 FROM message_links l WHERE l.key IN ({})",
                original("m"),
                param_list(self.backend, chunk.len(), 1)
            );
            let mut q = sqlx::query_scalar::<_, Option<i64>>(&sql);
            for key in chunk {
                q = q.bind(*key);
            }
            found.extend(
                q.fetch_all(&mut *self.tx)
                    .await
                    .during("finding linked messages")?
                    .into_iter()
                    .flatten(),
            );
        }
        Ok(found)
    }

    /// Whether every message's link keys are recorded (not so in an
    /// archive from before them, or one just copied).
    pub async fn links_complete(&mut self) -> Result<bool, StoreError> {
        sqlx::query_scalar::<_, i64>("SELECT complete FROM message_links_state WHERE id = 1")
            .fetch_optional(&mut *self.tx)
            .await
            .during("reading the state of link keys")
            .map(|c| c == Some(1))
    }

    /// Forgets every message's link keys, to record them afresh with
    /// [`Rethreading::add_links`] and [`Rethreading::links_now_complete`]
    /// (committed by [`Rethreading::apply`]).
    pub async fn clear_links(&mut self) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM message_links")
            .execute(&mut *self.tx)
            .await
            .during("rewriting link keys")?;
        self.wrote = true;
        Ok(())
    }

    /// Records these messages' link keys.
    pub async fn add_links(&mut self, links: &[(MessageId, Vec<i64>)]) -> Result<(), StoreError> {
        let rows: Vec<(i64, i64)> = links
            .iter()
            .flat_map(|(id, keys)| keys.iter().map(move |key| (*key, id.0)))
            .collect();
        insert_link_rows(&mut self.tx, self.backend, &rows).await?;
        self.wrote = true;
        Ok(())
    }

    /// Every message's link keys are recorded.
    pub async fn links_now_complete(&mut self) -> Result<(), StoreError> {
        sqlx::query("UPDATE message_links_state SET complete = 1 WHERE id = 1")
            .execute(&mut *self.tx)
            .await
            .during("rewriting link keys")?;
        self.wrote = true;
        Ok(())
    }

    /// Adds the parents the copies of `rows` name (see [`merge_copies`]).
    async fn merge_copies_of(&mut self, rows: &mut [ThreadRow]) -> Result<(), StoreError> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id.0).collect();
        let copies = self
            .rows_in(
                &ids,
                |list| {
                    format!(
                        "SELECT primary_id, in_reply_to, refs FROM messages \
                         WHERE primary_id IN ({list})"
                    )
                },
                copy_parents,
                "reading copies for threading",
            )
            .await?;
        merge_copies(rows, copies);
        Ok(())
    }

    /// The rows `select` reads for `values`, in statements of at most
    /// [`ROWS_PER_STATEMENT`] values (`select` is given one statement's
    /// placeholder list), each decoded as it arrives.
    async fn rows_in<T>(
        &mut self,
        values: &[i64],
        select: impl Fn(&str) -> String,
        decode: fn(&AnyRow) -> Result<T, StoreError>,
        action: &'static str,
    ) -> Result<Vec<T>, StoreError> {
        let mut rows = Vec::new();
        for chunk in values.chunks(ROWS_PER_STATEMENT) {
            let sql = select(&param_list(self.backend, chunk.len(), 1));
            let mut q = sqlx::query(&sql);
            for value in chunk {
                q = q.bind(*value);
            }
            rows.extend(decoded(q.fetch(&mut *self.tx), decode, action).await?);
        }
        Ok(rows)
    }

    /// Records new threads and pairings and commits (with nothing to
    /// record it rolls back). No row's change number moves: the search
    /// index holds no threads or reply pairs.
    pub async fn apply(mut self, updates: &[ThreadUpdate]) -> Result<(), StoreError> {
        self.record(updates).await?;
        self.commit().await
    }

    /// Ends without changing anything (what a check does).
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.tx.rollback().await.during("ending a re-threading")
    }

    /// Commits what was recorded (with nothing recorded it rolls back).
    pub async fn commit(self) -> Result<(), StoreError> {
        if !self.wrote {
            return self.tx.rollback().await.during("ending a re-threading");
        }
        self.tx.commit().await.during("committing threads")
    }

    /// Records new threads and pairings, to be committed with the rest by
    /// [`Rethreading::commit`]: a re-threading in rounds records each as
    /// it goes instead of holding every change. A message whose thread,
    /// reply or response time changed records this write as its
    /// `state_write` (what brings the kept answered sets and statistics,
    /// which count conversations, up to date).
    pub async fn record(&mut self, updates: &[ThreadUpdate]) -> Result<(), StoreError> {
        if !updates.is_empty() {
            self.wrote = true;
        }
        for rows in updates.chunks(ROWS_PER_STATEMENT) {
            let ids: Vec<MessageId> = rows.iter().map(|u| u.id).collect();
            let sizes = sizes_of(&mut self.tx, self.backend, &ids).await?;
            let size_of = |u: &ThreadUpdate| sizes.get(&u.id).copied().unwrap_or(0);
            for chunk in cut_by_size(self.backend, rows, size_of) {
                self.record_statement(chunk).await?;
            }
        }
        // A conversation some messages left and others stayed in changed
        // too: those left behind record this write as well, so what is
        // kept per conversation (the queue) is worked out again for it.
        let mut left: Vec<i64> = updates
            .iter()
            .filter_map(|u| u.left_thread)
            .map(|t| t.0)
            .collect();
        left.sort_unstable();
        left.dedup();
        for chunk in left.chunks(ROWS_PER_STATEMENT) {
            let list = param_list(self.backend, chunk.len(), 1);
            let sql = format!(
                "UPDATE messages SET state_write = {THIS_WRITE} WHERE thread_id IN ({list}) \
                 AND state_write <> {THIS_WRITE}"
            );
            let mut q = sqlx::query(&sql);
            for thread in chunk {
                q = q.bind(thread);
            }
            q.execute(&mut *self.tx)
                .await
                .during("recording the conversations messages left")?;
        }
        Ok(())
    }

    /// One statement recording `chunk`'s threads.
    async fn record_statement(&mut self, chunk: &[ThreadUpdate]) -> Result<(), StoreError> {
        let sql = format!(
            "WITH u (id, thread_id, reply_id, response_secs) AS (VALUES {}) \
             UPDATE messages SET thread_id = u.thread_id, reply_id = u.reply_id, \
             response_secs = u.response_secs, state_write = CASE \
             WHEN messages.thread_id = u.thread_id \
              AND (messages.reply_id = u.reply_id \
                   OR (messages.reply_id IS NULL AND u.reply_id IS NULL)) \
              AND (messages.response_secs = u.response_secs \
                   OR (messages.response_secs IS NULL AND u.response_secs IS NULL)) \
             THEN messages.state_write ELSE {THIS_WRITE} END FROM u WHERE messages.id = u.id",
            value_rows(self.backend, chunk.len(), 4),
        );
        let mut q = sqlx::query(&sql);
        for u in chunk {
            q = q
                .bind(u.id.0)
                .bind(u.thread_id.0)
                .bind(u.reply_id.map(|r| r.0))
                .bind(u.response_secs);
        }
        q.execute(&mut *self.tx).await.during("recording threads")?;
        Ok(())
    }
}

/// Link keys per lookup statement. PostgreSQL reads a small archive's
/// `message_links` whole for each lookup rather than by index; with 500
/// keys a statement those scans were half of a 30,000-message import
/// (218 statements, 5.8 s of 14 s), with 2,000 threading kept up with
/// indexing.
const LINK_KEYS_PER_STATEMENT: usize = 2_000;

/// Writes `(key, message)` rows of `message_links`, several hundred per
/// statement; a row already there is left as it is.
pub(crate) async fn insert_link_rows(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    rows: &[(i64, i64)],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(LINK_KEYS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO message_links (key, message) VALUES {} ON CONFLICT DO NOTHING",
            value_rows(backend, chunk.len(), 2)
        );
        let mut q = sqlx::query(&sql);
        for (key, id) in chunk {
            q = q.bind(*key).bind(*id);
        }
        q.execute(&mut **tx).await.during("recording link keys")?;
    }
    Ok(())
}

/// SQLite's planner otherwise walks every copy's NULL thread_id in
/// messages_by_thread instead of the partial index that holds exactly the
/// waiting messages.
/// Counts the messages waiting for a thread, through their index.
fn count_unthreaded(backend: Backend) -> String {
    format!(
        "SELECT COUNT(*) FROM messages {} WHERE thread_id IS NULL AND primary_id IS NULL",
        unthreaded_hint(backend)
    )
}

fn unthreaded_hint(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "INDEXED BY messages_unthreaded",
        Backend::Postgres => "",
    }
}

/// What threading reads of a message.
const THREAD_COLUMNS: &str = "id, sha256, message_id, in_reply_to, refs, correspondent, subject, \
     date, direction, thread_id, reply_id, response_secs";

/// A copy (same Message-ID, other bytes) may name parents its original
/// does not; the family is threaded by all of them, so which of the two
/// arrived first does not change the threads.
fn merge_copies(rows: &mut [ThreadRow], copies: Vec<(i64, Vec<String>)>) {
    if copies.is_empty() {
        return;
    }
    let position: HashMap<i64, usize> = rows.iter().enumerate().map(|(i, r)| (r.id.0, i)).collect();
    for (primary, parents) in copies {
        let Some(&i) = position.get(&primary) else {
            continue;
        };
        let row = &mut rows[i];
        let mut extra: Vec<String> = parents
            .into_iter()
            .filter(|p| !row.references.contains(p) && !row.in_reply_to.contains(p))
            .collect();
        extra.dedup();
        // In front: the last reference still names the original's parent.
        extra.append(&mut row.references);
        row.references = extra;
    }
}

/// Every row of `rows` decoded as it arrives, so a round of threading
/// holds one form of each message (the decoded one), not both.
async fn decoded<'a, T>(
    mut rows: futures_util::stream::BoxStream<'a, Result<AnyRow, sqlx::Error>>,
    decode: fn(&AnyRow) -> Result<T, StoreError>,
    action: &'static str,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    while let Some(row) = rows.try_next().await.during(action)? {
        out.push(decode(&row)?);
    }
    Ok(out)
}

//! Reading messages: one message, a thread, listings, counts, and what the
//! search index must catch up on.

use crate::decode::{from_json, hex, index_row, summary, SUMMARY_COLUMNS};
use crate::error::{During, StoreError};
use crate::model::*;
use crate::raw::decompress_raw;
use crate::sql::param_list;
use crate::store::Store;
use casebook_vocabulary::{MessageId, Sha256, ThreadId};
use futures_util::TryStreamExt;
use sqlx::Row;
use std::collections::HashMap;

/// Ids asked about in one statement (PostgreSQL takes at most 65,535
/// parameters, SQLite 32,766).
const IDS_PER_STATEMENT: usize = 2_000;

/// Response times are summed by spans of this many seconds (migration
/// 0027's `secs / 4096`, written out in its SQL and in the statements
/// below that sum them).
const RESPONSE_SPAN_SECS: i64 = 4096;
/// Each response time of answered inbound mail and how many took it,
/// counted from the messages: what `response_times` keeps.
const RESPONSE_TIMES_COUNTED: &str = "SELECT response_secs AS secs, COUNT(*) AS messages \
     FROM messages WHERE primary_id IS NULL AND direction = 'inbound' \
     AND response_secs IS NOT NULL GROUP BY response_secs";
/// The kept response times summed by span: what `response_time_spans`
/// keeps.
const RESPONSE_SPANS_SUMMED: &str =
    "SELECT secs / 4096 AS span, SUM(messages) AS messages FROM response_times GROUP BY secs / 4096";

/// What the index is made from.
const INDEX_COLUMNS: &str = "id, change_seq, date, direction, from_address, from_name, \
     recipients, subject, body, attachments";

/// A search hit as the store has it (see [`Store::hits_with_openings`]).
#[derive(Debug, Clone)]
pub struct HitRow {
    pub summary: MessageSummary,
    /// The message's change number: its text is the same while this is.
    pub change: u64,
    /// The opening of its text; `None` for a long message.
    pub opening: Option<String>,
}

/// A row of nine totals, in the order [`Store::counts`] reads them.
fn counts_from(row: &sqlx::any::AnyRow, d: &'static str) -> Result<MessageCounts, StoreError> {
    let n = |i: usize| -> Result<u64, StoreError> {
        Ok(u64::try_from(row.try_get::<i64, _>(i).during(d)?).unwrap_or(0))
    };
    let inbound = n(3)?;
    let answered = n(6)?;
    Ok(MessageCounts {
        messages: n(0)?,
        copies: n(1)?,
        threads: n(2)?,
        inbound,
        outbound: n(4)?,
        automated: n(5)?,
        answered,
        unanswered: inbound.saturating_sub(answered),
        correspondents: n(7)?,
        timed: n(8)?,
    })
}

impl Store {
    /// The original bytes of a message, exactly as received; an error
    /// ([`StoreError::RawMismatch`]) when they no longer match their SHA-256.
    pub async fn raw(&self, id: MessageId) -> Result<Option<Vec<u8>>, StoreError> {
        match self.raw_unverified(id).await? {
            Some((bytes, true)) => Ok(Some(bytes)),
            Some((_, false)) => Err(StoreError::RawMismatch { id: id.0 }),
            None => Ok(None),
        }
    }

    /// A message's raw bytes as they are stored, and whether they still
    /// match the SHA-256 they were stored with ([`Store::raw`] refuses
    /// bytes that do not).
    pub async fn raw_unverified(
        &self,
        id: MessageId,
    ) -> Result<Option<(Vec<u8>, bool)>, StoreError> {
        let row = sqlx::query(
            "SELECT r.compressed, m.size, m.sha256 FROM raw_messages r JOIN messages m ON m.id = r.message \
             WHERE r.message = $1",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .during("reading raw bytes")?;
        let Some(row) = row else {
            return Ok(None);
        };
        let compressed: Vec<u8> = row.try_get(0).during("reading raw bytes")?;
        let size: i64 = row.try_get(1).during("reading raw bytes")?;
        let sha: Vec<u8> = row.try_get(2).during("reading raw bytes")?;
        let bytes = decompress_raw(
            id.0,
            &compressed,
            usize::try_from(size).unwrap_or(0),
            &self.raw_keys,
        )?;
        let matches = Sha256::of(&bytes) == crate::decode::digest(&sha);
        Ok(Some((bytes, matches)))
    }

    /// Up to `limit` messages (not copies) changed after change `seq`,
    /// with the change number each carries, in order of change number and
    /// id after `after` (the last of the page before; `None` for the
    /// first): what an index that caught up to `seq` reads again, a page at
    /// a time. Each page starts where the last ended in the index of change
    /// numbers, so paging through a million rows stays one pass.
    pub async fn changed_since(
        &self,
        seq: u64,
        after: Option<(u64, MessageId)>,
        limit: u32,
    ) -> Result<Vec<(MessageId, u64)>, StoreError> {
        let (from, after_id) = after.map_or((seq + 1, 0), |(s, id)| (s, id.0));
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT id, change_seq FROM messages WHERE change_seq >= $1 \
             AND (change_seq > $1 OR id > $2) AND primary_id IS NULL \
             ORDER BY change_seq, id LIMIT $3",
        )
        .bind(from as i64)
        .bind(after_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .during("reading what changed")?;
        Ok(rows
            .into_iter()
            .map(|(id, seq)| (MessageId(id), seq as u64))
            .collect())
    }

    /// Each message of `ids` the index is made from (copies are not
    /// indexed), with its tags, handed to `each` in id order as the
    /// database hands it over: a row is let go before the next is read, so
    /// a page of large messages (up to `limits.text_bytes` of text each)
    /// is never held at once.
    pub async fn each_index_row<E: From<StoreError>>(
        &self,
        ids: &[MessageId],
        mut each: impl FnMut(IndexRow) -> Result<(), E>,
    ) -> Result<(), E> {
        let d = "reading messages to index";
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let list = param_list(self.backend(), chunk.len(), 1);
            let mut tags = self.tags_of(chunk, &list).await?;
            let sql = format!(
                "SELECT {INDEX_COLUMNS} FROM messages WHERE primary_id IS NULL \
                 AND id IN ({list}) ORDER BY id"
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id.0);
            }
            let mut rows = query.fetch(&self.pool);
            while let Some(row) = rows.try_next().await.during(d)? {
                let mut row = index_row(&row)?;
                row.tags = tags.remove(&row.id.0).unwrap_or_default();
                each(row)?;
            }
        }
        Ok(())
    }

    /// The tags of messages `ids` (bound as `list`), by message.
    async fn tags_of(
        &self,
        ids: &[MessageId],
        list: &str,
    ) -> Result<HashMap<i64, Vec<String>>, StoreError> {
        let sql = format!(
            "SELECT message, tag FROM message_tags WHERE message IN ({list}) ORDER BY message, tag"
        );
        let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
        for id in ids {
            q = q.bind(id.0);
        }
        let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
        for (message, tag) in q
            .fetch_all(&self.pool)
            .await
            .during("reading tags to index")?
        {
            tags.entry(message).or_default().push(tag);
        }
        Ok(tags)
    }

    /// Messages removed by changes after `seq`: what every index must drop.
    pub async fn removed_since(&self, seq: u64) -> Result<Vec<MessageId>, StoreError> {
        sqlx::query_scalar::<_, i64>(
            "SELECT id FROM removed_messages WHERE change_seq > $1 ORDER BY id",
        )
        .bind(seq as i64)
        .fetch_all(&self.pool)
        .await
        .during("reading removed messages")
        .map(|ids| ids.into_iter().map(MessageId).collect())
    }

    pub async fn message(&self, id: MessageId) -> Result<Option<StoredMessage>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SUMMARY_COLUMNS}, sha256, size, primary_id, recipients, in_reply_to, \
             refs, body, html_only, attachments, warnings FROM messages WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .during("reading a message")?;
        let Some(row) = row else { return Ok(None) };
        let d = "reading a message";
        let primary_id: Option<i64> = row.try_get("primary_id").during(d)?;
        let sha: Vec<u8> = row.try_get("sha256").during(d)?;
        let locations = sqlx::query_as::<_, (String, String)>(
            "SELECT folder, source FROM locations WHERE message = $1 ORDER BY first_seen, source",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .during("reading where a message was seen")?;
        let family = primary_id.unwrap_or(id.0);
        let copies = sqlx::query_scalar::<_, i64>(
            "SELECT id FROM messages WHERE (primary_id = $1 OR id = $1) AND id <> $2 ORDER BY id",
        )
        .bind(family)
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .during("reading copies")?;
        Ok(Some(StoredMessage {
            summary: summary(&row)?,
            sha256: hex(&sha),
            size: row.try_get::<i64, _>("size").during(d)? as u64,
            primary_id: primary_id.map(MessageId),
            recipients: from_json(&row, "recipients")?,
            in_reply_to: from_json(&row, "in_reply_to")?,
            references: from_json(&row, "refs")?,
            body: row.try_get("body").during(d)?,
            html_only: row.try_get::<i64, _>("html_only").during(d)? != 0,
            attachments: from_json(&row, "attachments")?,
            warnings: from_json(&row, "warnings")?,
            locations,
            copies: copies.into_iter().map(MessageId).collect(),
        }))
    }

    /// The messages of a thread, oldest first.
    pub async fn thread(&self, thread: ThreadId) -> Result<Vec<MessageSummary>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM messages WHERE thread_id = $1 AND primary_id IS NULL \
             ORDER BY CASE WHEN date IS NULL THEN 1 ELSE 0 END, date, id"
        ))
        .bind(thread.0)
        .fetch_all(&self.pool)
        .await
        .during("reading a thread")?;
        rows.iter().map(summary).collect()
    }

    /// Up to `limit` messages (not copies) with ids above `after`, in id order.
    pub async fn list(
        &self,
        after: MessageId,
        limit: u32,
        unattributed_only: bool,
    ) -> Result<Vec<MessageSummary>, StoreError> {
        let only = if unattributed_only {
            "AND correspondent IS NULL"
        } else {
            ""
        };
        let rows = sqlx::query(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM messages WHERE id > $1 AND primary_id IS NULL {only} \
             ORDER BY id LIMIT $2"
        ))
        .bind(after.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .during("listing messages")?;
        rows.iter().map(summary).collect()
    }

    /// Summaries of the given messages, in the order asked; ids the store
    /// does not hold are left out.
    pub async fn summaries(&self, ids: &[MessageId]) -> Result<Vec<MessageSummary>, StoreError> {
        let rows = self
            .rows_of(
                ids,
                |list| format!("SELECT {SUMMARY_COLUMNS} FROM messages WHERE id IN ({list})"),
                "reading messages",
            )
            .await?;
        let mut found = HashMap::with_capacity(rows.len());
        for row in &rows {
            let s = summary(row)?;
            found.insert(s.id, s);
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// Summaries and recorded topics (none for mail stored before topics
    /// were) of the given messages, in the order asked; ids the store does
    /// not hold are left out. No text is read.
    pub async fn summaries_with_topics(
        &self,
        ids: &[MessageId],
    ) -> Result<Vec<(MessageSummary, Option<String>)>, StoreError> {
        let d = "reading messages' topics";
        let rows = self
            .rows_of(
                ids,
                |list| {
                    format!("SELECT {SUMMARY_COLUMNS}, topic FROM messages WHERE id IN ({list})")
                },
                d,
            )
            .await?;
        let mut found = HashMap::with_capacity(rows.len());
        for row in &rows {
            let s = summary(row)?;
            let topic: Option<String> = row.try_get("topic").during(d)?;
            found.insert(s.id, (s, topic));
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// Summaries and bodies of the given messages, in the order asked;
    /// ids the store does not hold (removed since) are left out.
    pub async fn summaries_with_bodies(
        &self,
        ids: &[MessageId],
    ) -> Result<Vec<(MessageSummary, String)>, StoreError> {
        let rows = self
            .rows_of(
                ids,
                |list| format!("SELECT {SUMMARY_COLUMNS}, body FROM messages WHERE id IN ({list})"),
                "reading search hits",
            )
            .await?;
        let mut found = HashMap::with_capacity(rows.len());
        for row in &rows {
            let s = summary(row)?;
            let body: String = row.try_get("body").during("reading search hits")?;
            found.insert(s.id, (s, body));
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// Search hits: each message's summary, its change number, and the
    /// first `chars` characters of its text — for messages of at most
    /// `whole_up_to` raw bytes only. A longer message's text is left out
    /// (`None`): reading even the opening of a long text makes the
    /// database load all of it (SQLite reads the whole overflow chain,
    /// PostgreSQL detoasts the whole value), 2.3 ms for ten 1 MiB texts,
    /// so the caller keeps those openings ([`Store::openings`]).
    pub async fn hits_with_openings(
        &self,
        ids: &[MessageId],
        chars: u32,
        whole_up_to: u64,
    ) -> Result<Vec<HitRow>, StoreError> {
        let d = "reading search hits";
        let rows = self
            .rows_of(
                ids,
                |list| {
                    format!(
                        "SELECT {SUMMARY_COLUMNS}, change_seq, \
                         CASE WHEN size <= {whole_up_to} THEN SUBSTR(body, 1, {chars}) END AS opening \
                         FROM messages WHERE id IN ({list})"
                    )
                },
                d,
            )
            .await?;
        let mut found = HashMap::with_capacity(rows.len());
        for row in &rows {
            let summary = summary(row)?;
            let change: i64 = row.try_get("change_seq").during(d)?;
            let opening: Option<String> = row.try_get("opening").during(d)?;
            found.insert(
                summary.id,
                HitRow {
                    summary,
                    change: change as u64,
                    opening,
                },
            );
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// The first `chars` characters of these messages' text.
    pub async fn openings(
        &self,
        ids: &[MessageId],
        chars: u32,
    ) -> Result<Vec<(MessageId, String)>, StoreError> {
        let d = "reading the openings of long messages";
        let rows = self
            .rows_of(
                ids,
                |list| {
                    format!(
                        "SELECT id, SUBSTR(body, 1, {chars}) AS opening FROM messages WHERE id IN ({list})"
                    )
                },
                d,
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    MessageId(row.try_get("id").during(d)?),
                    row.try_get("opening").during(d)?,
                ))
            })
            .collect()
    }

    /// The rows `select` reads for these ids: it is given a statement's
    /// placeholder list, one per id, for up to [`IDS_PER_STATEMENT`] ids
    /// at a time (both databases cap a statement's parameters; a caller
    /// asking for 100,000 ids gets them in rounds, not an error).
    pub(crate) async fn rows_of(
        &self,
        ids: &[MessageId],
        select: impl Fn(&str) -> String,
        action: &'static str,
    ) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
        let mut rows = Vec::new();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let sql = select(&param_list(self.backend(), chunk.len(), 1));
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id.0);
            }
            rows.extend(query.fetch_all(&self.pool).await.during(action)?);
        }
        Ok(rows)
    }

    /// The archive's totals, as the triggers of migration 0018 keep them
    /// (one row: the same cost at any size).
    pub async fn counts(&self) -> Result<MessageCounts, StoreError> {
        let d = "reading the archive's totals";
        let row = sqlx::query(
            "SELECT messages, copies, threads, inbound, outbound, automated, answered, \
             correspondents, timed FROM message_totals WHERE id = 1",
        )
        .fetch_one(&self.pool)
        .await
        .during(d)?;
        counts_from(&row, d)
    }

    /// The totals counted afresh from every message: what
    /// [`Store::counts`] must equal (`check` compares them).
    pub async fn recount(&self) -> Result<MessageCounts, StoreError> {
        let d = "counting messages";
        let row = sqlx::query(
            "SELECT \
               COUNT(*) FILTER (WHERE primary_id IS NULL), \
               COUNT(*) FILTER (WHERE primary_id IS NOT NULL), \
               COUNT(DISTINCT thread_id), \
               COUNT(*) FILTER (WHERE primary_id IS NULL AND direction = 'inbound'), \
               COUNT(*) FILTER (WHERE primary_id IS NULL AND direction = 'outbound'), \
               COUNT(*) FILTER (WHERE primary_id IS NULL AND direction = 'automated'), \
               COUNT(*) FILTER (WHERE primary_id IS NULL AND direction = 'inbound' AND reply_id IS NOT NULL), \
               COUNT(DISTINCT correspondent) FILTER (WHERE primary_id IS NULL AND direction <> 'automated'), \
               COUNT(*) FILTER (WHERE primary_id IS NULL AND direction = 'inbound' AND response_secs IS NOT NULL) \
             FROM messages",
        )
        .fetch_one(&self.pool)
        .await
        .during(d)?;
        counts_from(&row, d)
    }

    /// Counts the totals afresh from every message and keeps those (what
    /// `check --repair` does when they differ), in one write transaction.
    pub async fn count_totals_again(&self) -> Result<(), StoreError> {
        let d = "counting the totals again";
        let mut tx = self.begin_write_unnumbered().await?;
        for sql in [
            "DELETE FROM thread_sizes",
            "DELETE FROM correspondent_sizes",
            "INSERT INTO thread_sizes (thread_id, messages) \
             SELECT thread_id, COUNT(*) FROM messages WHERE thread_id IS NOT NULL GROUP BY thread_id",
            "INSERT INTO correspondent_sizes (correspondent, messages) \
             SELECT correspondent, COUNT(*) FROM messages WHERE primary_id IS NULL \
             AND direction <> 'automated' AND correspondent IS NOT NULL GROUP BY correspondent",
            "UPDATE message_totals SET \
             messages = (SELECT COUNT(*) FROM messages WHERE primary_id IS NULL), \
             copies = (SELECT COUNT(*) FROM messages WHERE primary_id IS NOT NULL), \
             inbound = (SELECT COUNT(*) FROM messages WHERE primary_id IS NULL AND direction = 'inbound'), \
             outbound = (SELECT COUNT(*) FROM messages WHERE primary_id IS NULL AND direction = 'outbound'), \
             automated = (SELECT COUNT(*) FROM messages WHERE primary_id IS NULL AND direction = 'automated'), \
             answered = (SELECT COUNT(*) FROM messages WHERE primary_id IS NULL \
                 AND direction = 'inbound' AND reply_id IS NOT NULL), \
             timed = (SELECT COUNT(*) FROM messages WHERE primary_id IS NULL \
                 AND direction = 'inbound' AND response_secs IS NOT NULL), \
             threads = (SELECT COUNT(*) FROM thread_sizes), \
             correspondents = (SELECT COUNT(*) FROM correspondent_sizes) \
             WHERE id = 1",
            "DELETE FROM response_times",
            "DELETE FROM response_time_spans",
            &format!("INSERT INTO response_times (secs, messages) {RESPONSE_TIMES_COUNTED}"),
            &format!("INSERT INTO response_time_spans (span, messages) {RESPONSE_SPANS_SUMMED}"),
        ] {
            sqlx::query(sql).execute(&mut *tx).await.during(d)?;
        }
        tx.commit().await.during(d)
    }

    /// The median response time of answered inbound messages (the mean of
    /// the two middle ones of an even count), counted along the kept
    /// response times (migration 0027): every span (a row per 4096 s of
    /// response times that occur: 42 at the compact million), then the
    /// times of the one or two spans holding the middle (at most
    /// [`RESPONSE_SPAN_SECS`] rows each), whatever the archive's size. Read
    /// in one snapshot, so a write committed meanwhile cannot put the
    /// spans and the times at odds.
    pub async fn median_response_secs(&self) -> Result<Option<i64>, StoreError> {
        let d = "reading the median response time";
        let mut tx = self.pool.begin().await.during(d)?;
        if self.backend() == crate::location::Backend::Postgres {
            // Each statement of a transaction sees the same snapshot only
            // at this level (SQLite's read transaction always does).
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .execute(&mut *tx)
                .await
                .during(d)?;
        }
        let spans: Vec<(i64, i64)> =
            sqlx::query_as("SELECT span, messages FROM response_time_spans ORDER BY span")
                .fetch_all(&mut *tx)
                .await
                .during(d)?;
        let timed: i64 = spans.iter().map(|&(_, messages)| messages).sum();
        if timed <= 0 {
            return Ok(None);
        }
        let lower = response_time_at(&mut tx, &spans, (timed - 1) / 2).await?;
        let median = if timed % 2 == 0 {
            (lower + response_time_at(&mut tx, &spans, timed / 2).await?) / 2
        } else {
            lower
        };
        tx.rollback().await.during(d)?;
        Ok(Some(median))
    }

    /// Whether the kept response times (migration 0027) differ from
    /// counting the messages' response times again, or their spans from
    /// summing the times (what `check` compares with the totals).
    pub async fn response_times_differ(&self) -> Result<bool, StoreError> {
        let d = "counting response times";
        let mut differing = 0i64;
        // Kept rows and counted rows, the counted ones negated: a key whose
        // sum is not 0 differs.
        for sql in [
            format!(
                "SELECT COUNT(*) FROM (SELECT secs FROM ( \
                   SELECT secs, messages FROM response_times \
                   UNION ALL SELECT secs, -messages FROM ({RESPONSE_TIMES_COUNTED}) c \
                 ) t GROUP BY secs HAVING SUM(messages) <> 0) differing"
            ),
            format!(
                "SELECT COUNT(*) FROM (SELECT span FROM ( \
                   SELECT span, messages FROM response_time_spans \
                   UNION ALL SELECT span, -messages FROM ({RESPONSE_SPANS_SUMMED}) c \
                 ) s GROUP BY span HAVING SUM(messages) <> 0) differing"
            ),
        ] {
            let n: i64 = sqlx::query_scalar(&sql)
                .fetch_one(&self.pool)
                .await
                .during(d)?;
            differing += n;
        }
        Ok(differing > 0)
    }
}

/// The response time at `rank` (0: the shortest) among the timed
/// messages: found in `spans` (as read, in order), then along the times
/// of its span.
async fn response_time_at(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    spans: &[(i64, i64)],
    rank: i64,
) -> Result<i64, StoreError> {
    let d = "reading the median response time";
    let disagree = || StoreError::TotalsDisagree {
        what: "response times",
    };
    let mut before = 0i64;
    let mut holding = None;
    for &(span, messages) in spans {
        if before + messages > rank {
            holding = Some(span);
            break;
        }
        before += messages;
    }
    let span = holding.ok_or_else(disagree)?;
    let mut times = sqlx::query_as::<_, (i64, i64)>(
        "SELECT secs, messages FROM response_times \
         WHERE secs >= $1 AND secs < $2 ORDER BY secs",
    )
    .bind(span * RESPONSE_SPAN_SECS)
    .bind((span + 1) * RESPONSE_SPAN_SECS)
    .fetch(&mut **tx);
    while let Some((secs, messages)) = times.try_next().await.during(d)? {
        if before + messages > rank {
            return Ok(secs);
        }
        before += messages;
    }
    Err(disagree())
}

//! Rows back into the store's types.

use crate::error::{During, StoreError};
use crate::model::*;
use casebook_mail::AutomatedKind;
use casebook_vocabulary::{Direction, MessageId, Sha256, ThreadId};
use sqlx::any::AnyRow;
use sqlx::Row;
use time::{OffsetDateTime, UtcOffset};

pub(crate) const SUMMARY_COLUMNS: &str = "id, message_id, thread_id, direction, automated, \
     correspondent, from_address, from_name, date, date_offset, subject, reply_id, response_secs";

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    row: &AnyRow,
    column: &str,
) -> Result<T, StoreError> {
    let text: String = row.try_get(column).during("reading a message")?;
    serde_json::from_str(&text).map_err(|e| StoreError::Query {
        action: "decoding a stored list",
        source: sqlx::Error::Decode(Box::new(e)),
    })
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A digest column back into a [`Sha256`] (the schema only stores 32 bytes).
pub(crate) fn digest(bytes: &[u8]) -> Sha256 {
    let mut d = [0u8; 32];
    if bytes.len() == 32 {
        d.copy_from_slice(bytes);
    }
    Sha256(d)
}

fn direction(row: &AnyRow) -> Result<Direction, StoreError> {
    let s: String = row.try_get("direction").during("reading a message")?;
    Direction::from_str_opt(&s).ok_or_else(|| StoreError::Query {
        action: "reading a message",
        source: sqlx::Error::Decode(format!("unknown direction {s:?}").into()),
    })
}

fn message_id_column(row: &AnyRow, column: &str) -> Result<Option<MessageId>, StoreError> {
    Ok(row
        .try_get::<Option<i64>, _>(column)
        .during("reading a message")?
        .map(MessageId))
}

pub(crate) fn summary(row: &AnyRow) -> Result<MessageSummary, StoreError> {
    let d = "reading a message";
    let date: Option<i64> = row.try_get("date").during(d)?;
    let offset: Option<i64> = row.try_get("date_offset").during(d)?;
    let automated: Option<String> = row.try_get("automated").during(d)?;
    Ok(MessageSummary {
        id: MessageId(row.try_get("id").during(d)?),
        message_id_header: row.try_get("message_id").during(d)?,
        thread_id: row
            .try_get::<Option<i64>, _>("thread_id")
            .during(d)?
            .map(ThreadId),
        direction: direction(row)?,
        automated: automated.as_deref().and_then(AutomatedKind::from_str_opt),
        correspondent: row.try_get("correspondent").during(d)?,
        from_address: row.try_get("from_address").during(d)?,
        from_name: row.try_get("from_name").during(d)?,
        date: date.and_then(|secs| to_datetime(secs, offset)),
        subject: row.try_get("subject").during(d)?,
        reply_id: message_id_column(row, "reply_id")?,
        response_secs: row.try_get("response_secs").during(d)?,
    })
}

fn to_datetime(secs: i64, offset: Option<i64>) -> Option<OffsetDateTime> {
    let utc = OffsetDateTime::from_unix_timestamp(secs).ok()?;
    let offset = offset
        .and_then(|o| i32::try_from(o).ok())
        .and_then(|o| UtcOffset::from_whole_seconds(o).ok())
        .unwrap_or(UtcOffset::UTC);
    Some(utc.to_offset(offset))
}

pub(crate) fn thread_row(row: &AnyRow) -> Result<ThreadRow, StoreError> {
    let d = "reading messages for threading";
    let sha: Vec<u8> = row.try_get("sha256").during(d)?;
    Ok(ThreadRow {
        id: MessageId(row.try_get("id").during(d)?),
        sha256: digest(&sha),
        message_id_header: row.try_get("message_id").during(d)?,
        in_reply_to: from_json(row, "in_reply_to")?,
        references: from_json(row, "refs")?,
        correspondent: row.try_get("correspondent").during(d)?,
        subject: row.try_get("subject").during(d)?,
        date: row.try_get("date").during(d)?,
        direction: direction(row)?,
        thread_id: row
            .try_get::<Option<i64>, _>("thread_id")
            .during(d)?
            .map(ThreadId),
        reply_id: message_id_column(row, "reply_id")?,
        response_secs: row.try_get("response_secs").during(d)?,
    })
}

/// A copy's original and the parents its headers name.
pub(crate) fn copy_parents(row: &AnyRow) -> Result<(i64, Vec<String>), StoreError> {
    let primary: i64 = row
        .try_get("primary_id")
        .during("reading copies for threading")?;
    let mut parents: Vec<String> = from_json(row, "refs")?;
    parents.extend(from_json::<Vec<String>>(row, "in_reply_to")?);
    Ok((primary, parents))
}

pub(crate) fn index_row(row: &AnyRow) -> Result<IndexRow, StoreError> {
    let d = "reading messages to index";
    let from_address: Option<String> = row.try_get("from_address").during(d)?;
    let from_name: Option<String> = row.try_get("from_name").during(d)?;
    let recipients: Vec<Recipient> = from_json(row, "recipients")?;
    let attachments: Vec<StoredAttachment> = from_json(row, "attachments")?;
    Ok(IndexRow {
        id: MessageId(row.try_get("id").during(d)?),
        change_seq: row.try_get::<i64, _>("change_seq").during(d)? as u64,
        date: row.try_get("date").during(d)?,
        direction: direction(row)?,
        from: from_text(from_name.as_deref(), from_address.as_deref()),
        recipients: recipients_text(&recipients),
        subject: row.try_get("subject").during(d)?,
        body: row.try_get("body").during(d)?,
        has_attachments: !attachments.is_empty(),
        tags: Vec::new(),
    })
}

impl IndexRow {
    /// The row [`Store::each_index_row`](crate::Store::each_index_row) would hand over
    /// for `m`, stored as `id` at change `change_seq`, without reading it:
    /// for indexing mail as it is stored.
    pub fn of_new(m: &NewMessage, id: MessageId, change_seq: u64) -> IndexRow {
        let p = &m.parsed;
        IndexRow {
            id,
            change_seq,
            date: p.date.map(|d| d.unix_timestamp()),
            direction: m.direction,
            from: from_text(
                p.from.as_ref().and_then(|f| f.name.as_deref()),
                p.from.as_ref().map(|f| f.address.as_str()),
            ),
            recipients: recipients_text(&crate::insert::recipients_of(p)),
            subject: p.subject.clone(),
            body: p.text.clone(),
            has_attachments: !p.attachments.is_empty(),
            tags: if crate::insert::over_limit(p) {
                vec![crate::insert::OVER_LIMIT_TAG.to_owned()]
            } else {
                Vec::new()
            },
        }
    }
}

impl NewMessage {
    /// What threading reads of this message, stored as `id`, from the
    /// message itself: the fields [`crate::Rethreading::rows`] reads back,
    /// with no thread or reply yet.
    pub fn thread_row(&self, id: MessageId) -> ThreadRow {
        let m = self;
        let p = &m.parsed;
        ThreadRow {
            id,
            sha256: m.sha256,
            message_id_header: p.message_id.clone(),
            in_reply_to: p.in_reply_to.clone(),
            references: p.references.clone(),
            correspondent: m.correspondent.as_ref().map(|c| c.as_str().to_owned()),
            subject: p.subject.clone(),
            date: p.date.map(|d| d.unix_timestamp()),
            direction: m.direction,
            thread_id: None,
            reply_id: None,
            response_secs: None,
        }
    }
}

/// The sender as the index holds it: name, then address.
fn from_text(name: Option<&str>, address: Option<&str>) -> String {
    [name, address]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The recipients as the index holds them.
fn recipients_text(recipients: &[Recipient]) -> String {
    recipients
        .iter()
        .map(|r| match &r.name {
            Some(n) => format!("{n} {}", r.address),
            None => r.address.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

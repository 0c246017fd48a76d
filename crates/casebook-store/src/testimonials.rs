//! Testimonial decisions. Every decision is written in the same
//! transaction as its audit entry.

use crate::audit::audit;
use crate::error::{During, StoreError};
use crate::model::{AuditEntry, TestimonialRecord, TestimonialState};
use crate::store::Store;
use casebook_vocabulary::MessageId;
use sqlx::any::AnyRow;
use sqlx::Row;

fn testimonial(row: &AnyRow) -> Result<TestimonialRecord, StoreError> {
    let d = "reading a testimonial";
    let state: String = row.try_get("state").during(d)?;
    Ok(TestimonialRecord {
        id: row.try_get("id").during(d)?,
        message: MessageId(row.try_get("message").during(d)?),
        excerpt: row.try_get("excerpt").during(d)?,
        attribution: row.try_get("attribution").during(d)?,
        edited: row.try_get::<i64, _>("edited").during(d)? != 0,
        consent_message: row
            .try_get::<Option<i64>, _>("consent_message")
            .during(d)?
            .map(MessageId),
        consent_note: row.try_get("consent_note").during(d)?,
        topic: row.try_get("topic").during(d)?,
        state: TestimonialState::from_str_opt(&state).ok_or_else(|| StoreError::Query {
            action: d,
            source: sqlx::Error::Decode(format!("unknown state {state:?}").into()),
        })?,
        reason: row.try_get("reason").during(d)?,
        decided_by: row.try_get("decided_by").during(d)?,
        decided_at: row.try_get("decided_at").during(d)?,
        expires_at: row.try_get("expires_at").during(d)?,
        message_date: row.try_get("message_date").during(d)?,
        customer: row.try_get("customer").during(d)?,
    })
}

/// A decision to record.
#[derive(Debug, Clone)]
pub struct NewTestimonial {
    pub message: MessageId,
    pub excerpt: String,
    pub attribution: String,
    pub edited: bool,
    pub consent_message: Option<MessageId>,
    pub consent_note: Option<String>,
    pub topic: String,
    pub state: TestimonialState,
    pub reason: Option<String>,
    pub decided_by: String,
    pub decided_at: i64,
    pub expires_at: Option<i64>,
}

impl Store {
    /// Records a decision (approved or rejected) with its audit entry;
    /// returns the testimonial's id.
    pub async fn add_testimonial(
        &self,
        t: &NewTestimonial,
        entry: &AuditEntry,
    ) -> Result<i64, StoreError> {
        self.note_write();
        let mut tx = self.pool.begin().await.during("starting a transaction")?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO testimonials (message, excerpt, attribution, edited, consent_message, \
             consent_note, topic, state, reason, decided_by, decided_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(t.message.0)
        .bind(&t.excerpt)
        .bind(&t.attribution)
        .bind(i64::from(t.edited))
        .bind(t.consent_message.map(|m| m.0))
        .bind(t.consent_note.as_deref())
        .bind(&t.topic)
        .bind(t.state.as_str())
        .bind(t.reason.as_deref())
        .bind(&t.decided_by)
        .bind(t.decided_at)
        .bind(t.expires_at)
        .fetch_one(&mut *tx)
        .await
        .during("recording a testimonial")?;
        let mut entry = entry.clone();
        entry.subject = format!("testimonial {id}");
        audit(&mut tx, &entry).await?;
        tx.commit().await.during("committing a testimonial")?;
        Ok(id)
    }

    /// Moves an approved testimonial to `state` (revoked) with a reason and
    /// its audit entry. Returns false if there is no approved testimonial
    /// with this id.
    pub async fn change_testimonial(
        &self,
        id: i64,
        state: TestimonialState,
        reason: &str,
        entry: &AuditEntry,
    ) -> Result<bool, StoreError> {
        self.audited_change(
            sqlx::query(
                "UPDATE testimonials SET state = $1, reason = $2 WHERE id = $3 AND state = 'approved'",
            )
            .bind(state.as_str())
            .bind(reason)
            .bind(id),
            "changing a testimonial",
            entry,
        )
        .await
    }

    /// Every testimonial decision, newest first, with when the customer
    /// wrote the words.
    pub async fn testimonials(&self) -> Result<Vec<TestimonialRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.id, t.message, t.excerpt, t.attribution, t.edited, t.consent_message, \
             t.consent_note, t.topic, t.state, t.reason, t.decided_by, t.decided_at, t.expires_at, \
             m.date AS message_date, m.correspondent AS customer FROM testimonials t JOIN messages m ON m.id = t.message \
             ORDER BY t.decided_at DESC, t.id DESC",
        )
        .fetch_all(&self.pool)
        .await
        .during("listing testimonials")?;
        rows.iter().map(testimonial).collect()
    }
}

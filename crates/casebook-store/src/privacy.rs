//! What people told us about the use of their data (marketing, disclosure
//! to partners) and agents' decisions on flagged requests. Every change is
//! written in the same transaction as its audit entry.

use crate::audit::audit;
use crate::error::{During, StoreError};
use crate::model::{
    AuditEntry, MarketingChoice, PartnerChoice, PreferenceRecord, RequestDecision, Stated,
};
use crate::store::Store;
use casebook_vocabulary::MessageId;
use sqlx::any::AnyRow;
use sqlx::Row;

/// A change to one address's preferences; a `None` field stays as it was.
#[derive(Debug, Clone)]
pub struct PreferenceChange {
    pub address: String,
    pub marketing: Option<MarketingChoice>,
    pub partners: Option<PartnerChoice>,
    pub at: i64,
    pub by: String,
    pub source: String,
}

const PREFERENCE_COLUMNS: &str = "address, marketing, marketing_at, marketing_by, \
     marketing_source, partners, partners_at, partners_by, partners_source";

fn stated<T>(
    row: &AnyRow,
    field: &'static str,
    from_str: fn(&str) -> Option<T>,
) -> Result<Option<Stated<T>>, StoreError> {
    let d = "reading privacy preferences";
    let Some(value) = row.try_get::<Option<String>, _>(field).during(d)? else {
        return Ok(None);
    };
    let value = from_str(&value).ok_or_else(|| StoreError::Query {
        action: d,
        source: sqlx::Error::Decode(format!("unknown {field} choice {value:?}").into()),
    })?;
    Ok(Some(Stated {
        value,
        at: row
            .try_get::<Option<i64>, _>(format!("{field}_at").as_str())
            .during(d)?
            .unwrap_or_default(),
        by: row
            .try_get::<Option<String>, _>(format!("{field}_by").as_str())
            .during(d)?
            .unwrap_or_default(),
        source: row
            .try_get::<Option<String>, _>(format!("{field}_source").as_str())
            .during(d)?
            .unwrap_or_default(),
    }))
}

fn preference(row: &AnyRow) -> Result<PreferenceRecord, StoreError> {
    Ok(PreferenceRecord {
        address: row
            .try_get("address")
            .during("reading privacy preferences")?,
        marketing: stated(row, "marketing", MarketingChoice::from_str_opt)?,
        partners: stated(row, "partners", PartnerChoice::from_str_opt)?,
    })
}

impl Store {
    /// Records a preference change with its audit entry.
    pub async fn set_preferences(
        &self,
        change: &PreferenceChange,
        entry: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.note_write();
        let mut tx = self.pool.begin().await.during("starting a transaction")?;
        // One statement for both fields: a field not being changed keeps
        // its value, its time, its author and its source.
        sqlx::query(&format!(
            "INSERT INTO privacy_preferences ({PREFERENCE_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (address) DO UPDATE SET \
             marketing = COALESCE(excluded.marketing, privacy_preferences.marketing), \
             marketing_at = CASE WHEN excluded.marketing IS NULL THEN privacy_preferences.marketing_at ELSE excluded.marketing_at END, \
             marketing_by = CASE WHEN excluded.marketing IS NULL THEN privacy_preferences.marketing_by ELSE excluded.marketing_by END, \
             marketing_source = CASE WHEN excluded.marketing IS NULL THEN privacy_preferences.marketing_source ELSE excluded.marketing_source END, \
             partners = COALESCE(excluded.partners, privacy_preferences.partners), \
             partners_at = CASE WHEN excluded.partners IS NULL THEN privacy_preferences.partners_at ELSE excluded.partners_at END, \
             partners_by = CASE WHEN excluded.partners IS NULL THEN privacy_preferences.partners_by ELSE excluded.partners_by END, \
             partners_source = CASE WHEN excluded.partners IS NULL THEN privacy_preferences.partners_source ELSE excluded.partners_source END"
        ))
        .bind(&change.address)
        .bind(change.marketing.map(MarketingChoice::as_str))
        .bind(change.at)
        .bind(&change.by)
        .bind(&change.source)
        .bind(change.partners.map(PartnerChoice::as_str))
        .bind(change.at)
        .bind(&change.by)
        .bind(&change.source)
        .execute(&mut *tx)
        .await
        .during("recording privacy preferences")?;
        audit(&mut tx, entry).await?;
        tx.commit().await.during("committing privacy preferences")
    }

    /// The preferences recorded for these addresses (those with none are
    /// left out).
    pub async fn preferences_of(
        &self,
        addresses: &[String],
    ) -> Result<Vec<PreferenceRecord>, StoreError> {
        let mut out = Vec::new();
        for address in addresses {
            let row = sqlx::query(&format!(
                "SELECT {PREFERENCE_COLUMNS} FROM privacy_preferences WHERE address = $1"
            ))
            .bind(address)
            .fetch_optional(&self.pool)
            .await
            .during("reading privacy preferences")?;
            if let Some(row) = row {
                out.push(preference(&row)?);
            }
        }
        Ok(out)
    }

    /// Every address's recorded preferences, by address.
    pub async fn all_preferences(&self) -> Result<Vec<PreferenceRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {PREFERENCE_COLUMNS} FROM privacy_preferences ORDER BY address"
        ))
        .fetch_all(&self.pool)
        .await
        .during("reading privacy preferences")?;
        rows.iter().map(preference).collect()
    }

    /// Records an agent's decision on a flagged request with its audit
    /// entry; false if it was already decided.
    pub async fn decide_request(
        &self,
        message: MessageId,
        decision: RequestDecision,
        by: &str,
        at: i64,
        entry: &AuditEntry,
    ) -> Result<bool, StoreError> {
        self.audited_change(
            sqlx::query(
                "INSERT INTO privacy_request_decisions (message, decision, decided_by, decided_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (message) DO NOTHING",
            )
            .bind(message.0)
            .bind(decision.as_str())
            .bind(by)
            .bind(at),
            "recording a privacy request decision",
            entry,
        )
        .await
    }

    /// Messages whose flagged request an agent already decided on.
    pub async fn decided_requests(&self) -> Result<Vec<MessageId>, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT message FROM privacy_request_decisions")
            .fetch_all(&self.pool)
            .await
            .during("reading privacy request decisions")?;
        Ok(ids.into_iter().map(MessageId).collect())
    }
}

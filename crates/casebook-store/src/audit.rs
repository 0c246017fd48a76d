//! The audit log: who did what to what, when, and the people each entry
//! concerns. Entries are written in the transaction of the change they
//! record.

use crate::error::{During, StoreError};
use crate::model::AuditEntry;
use crate::store::Store;
use sqlx::{Any, Transaction};

pub(crate) async fn audit(
    tx: &mut Transaction<'static, Any>,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5) \
         RETURNING id",
    )
    .bind(entry.at)
    .bind(&entry.actor)
    .bind(&entry.action)
    .bind(&entry.subject)
    .bind(&entry.detail)
    .fetch_one(&mut **tx)
    .await
    .during("writing the audit log")?;
    for person in &entry.people {
        sqlx::query(
            "INSERT INTO audit_people (address, entry) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(person)
        .bind(id)
        .execute(&mut **tx)
        .await
        .during("writing the audit log")?;
    }
    Ok(())
}

impl Store {
    /// Runs `change` and, if it changed a row, writes `entry` in the same
    /// transaction; false (and nothing written) if it changed none.
    pub(crate) async fn audited_change<'q>(
        &self,
        change: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
        action: &'static str,
        entry: &AuditEntry,
    ) -> Result<bool, StoreError> {
        self.note_write();
        let mut tx = self.pool.begin().await.during("starting a transaction")?;
        let changed = change
            .execute(&mut *tx)
            .await
            .during(action)?
            .rows_affected();
        if changed == 0 {
            tx.rollback().await.during(action)?;
            return Ok(false);
        }
        audit(&mut tx, entry).await?;
        tx.commit().await.during(action)?;
        Ok(true)
    }
}

impl Store {
    pub async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.note_write();
        let mut tx = self.pool.begin().await.during("starting a transaction")?;
        audit(&mut tx, entry).await?;
        tx.commit().await.during("committing an audit entry")
    }

    /// The audit log, oldest first.
    pub async fn audit_log(&self) -> Result<Vec<AuditEntry>, StoreError> {
        let sql = "SELECT id, at, actor, action, subject, detail FROM audit_log ORDER BY id";
        Ok(self
            .audit_entries(sql, &[])
            .await?
            .into_iter()
            .map(|(_, e)| e)
            .collect())
    }

    /// Audit entries `sql` selects (id, at, actor, action, subject,
    /// detail; `values` bound in order), each with the people it concerns.
    async fn audit_entries(
        &self,
        sql: &str,
        values: &[String],
    ) -> Result<Vec<(i64, AuditEntry)>, StoreError> {
        let d = "reading the audit log";
        let mut q = sqlx::query_as::<_, (i64, i64, String, String, String, String)>(sql);
        for v in values {
            q = q.bind(v);
        }
        let rows = q.fetch_all(&self.pool).await.during(d)?;
        let mut people: std::collections::HashMap<i64, Vec<String>> =
            std::collections::HashMap::new();
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        for chunk in ids.chunks(500) {
            let list = crate::sql::param_list(self.backend(), chunk.len(), 1);
            let sql = format!(
                "SELECT entry, address FROM audit_people WHERE entry IN ({list}) ORDER BY address"
            );
            let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            for (entry, address) in q.fetch_all(&self.pool).await.during(d)? {
                people.entry(entry).or_default().push(address);
            }
        }
        Ok(rows
            .into_iter()
            .map(|(id, at, actor, action, subject, detail)| {
                let entry = AuditEntry {
                    at,
                    actor,
                    action,
                    subject,
                    detail,
                    people: people.remove(&id).unwrap_or_default(),
                };
                (id, entry)
            })
            .collect())
    }

    /// The audit entries about a person: those `audit_people` names them
    /// in (any of `addresses`), and those whose subject is one of
    /// `subjects` (their messages and testimonials), oldest first.
    pub async fn audit_about(
        &self,
        addresses: &[String],
        subjects: &[String],
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut entries = Vec::new();
        for (column, values) in [("people", addresses), ("subject", subjects)] {
            for chunk in values.chunks(500) {
                let list = crate::sql::param_list(self.backend(), chunk.len(), 1);
                let filter = match column {
                    "people" => {
                        format!("id IN (SELECT entry FROM audit_people WHERE address IN ({list}))")
                    }
                    _ => format!("subject IN ({list})"),
                };
                let sql = format!(
                    "SELECT id, at, actor, action, subject, detail FROM audit_log WHERE {filter}"
                );
                entries.extend(self.audit_entries(&sql, chunk).await?);
            }
        }
        entries.sort_by_key(|(id, _)| *id);
        entries.dedup_by_key(|(id, _)| *id);
        Ok(entries.into_iter().map(|(_, e)| e).collect())
    }
}

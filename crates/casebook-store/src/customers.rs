//! Customer and partner lists, their records, and addresses merged into
//! one person. A list import replaces (or adds to) the list in one
//! transaction with its audit entry.

use crate::audit::audit;
use crate::error::{During, StoreError};
use crate::location::Backend;
use crate::model::{AuditEntry, CustomerList, CustomerRecordRow, DomainMatch};
use crate::sql::{param_list, value_rows};
use crate::store::Store;
use sqlx::any::AnyRow;
use sqlx::{Any, FromRow, Row, Transaction};
use std::collections::{HashMap, HashSet};

/// Records per insert statement (9 parameters each).
const RECORDS_PER_INSERT: usize = 400;
/// Values per `IN (…)` lookup.
const LOOKUP_CHUNK: usize = 500;

/// A list as it is imported.
#[derive(Debug, Clone)]
pub struct NewCustomerList {
    pub name: String,
    pub partner: Option<String>,
    pub source_file: String,
    pub imported_at: i64,
    pub imported_by: String,
}

/// A record to store; `fields` is a JSON object of every column.
#[derive(Debug, Clone)]
pub struct NewCustomerRecord {
    pub line: i64,
    pub address: String,
    pub domain: String,
    pub name: Option<String>,
    pub company: Option<String>,
    pub account: Option<String>,
    pub fields: String,
}

const RECORD_COLUMNS: &str =
    "r.id, r.list, l.name AS list_name, l.partner, r.line, r.address, r.domain, r.name, r.company, r.account, r.fields";

fn record(row: &AnyRow) -> Result<CustomerRecordRow, StoreError> {
    CustomerRecordRow::from_row(row).during("reading a customer record")
}

impl Store {
    /// Stores a list: with `merge`, `records` are added to what the list
    /// holds (records it already has are skipped); otherwise they replace
    /// it. Returns the records added. ([`Store::begin_customer_list`]
    /// takes them a page at a time.)
    pub async fn store_customer_list(
        &self,
        list: &NewCustomerList,
        records: &[NewCustomerRecord],
        merge: bool,
        entry: &AuditEntry,
    ) -> Result<u64, StoreError> {
        let mut write = self.begin_customer_list(list, merge).await?;
        write.add(records).await?;
        write.finish(entry).await
    }

    /// Starts storing a list whose records come a page at a time
    /// ([`CustomerListWrite::add`]), all in one transaction: a failure
    /// leaves the list as it was. With `merge`, records the list already
    /// holds are skipped; otherwise the records replace it.
    pub async fn begin_customer_list(
        &self,
        list: &NewCustomerList,
        merge: bool,
    ) -> Result<CustomerListWrite, StoreError> {
        // Which messages are customers' changes: every kept customer set
        // is read again.
        let mut tx = self.begin_list_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO customer_lists (name, partner, source_file, imported_at, imported_by) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO UPDATE SET \
             partner = excluded.partner, source_file = excluded.source_file, \
             imported_at = excluded.imported_at, imported_by = excluded.imported_by \
             RETURNING id",
        )
        .bind(&list.name)
        .bind(list.partner.as_deref())
        .bind(&list.source_file)
        .bind(list.imported_at)
        .bind(&list.imported_by)
        .fetch_one(&mut *tx)
        .await
        .during("recording a customer list")?;
        let mut held = HashSet::new();
        if merge {
            let rows = sqlx::query_as::<_, RecordIdentity>(
                "SELECT address, name, company, account FROM customer_records WHERE list = $1",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await
            .during("reading a customer list")?;
            held.extend(rows);
        } else {
            sqlx::query("DELETE FROM customer_records WHERE list = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .during("replacing a customer list")?;
        }
        Ok(CustomerListWrite {
            tx,
            backend: self.backend(),
            pool: self.pool.clone(),
            id,
            held,
            added: 0,
        })
    }

    /// Every list with its record count, by name.
    pub async fn customer_lists(&self) -> Result<Vec<CustomerList>, StoreError> {
        sqlx::query_as::<_, CustomerList>(
            "SELECT l.id, l.name, l.partner, l.source_file, l.imported_at, l.imported_by, \
             (SELECT COUNT(*) FROM customer_records r WHERE r.list = l.id) AS records \
             FROM customer_lists l ORDER BY l.name",
        )
        .fetch_all(&self.pool)
        .await
        .during("listing customer lists")
    }

    /// The rows `select` reads for these text keys: it is given a
    /// statement's placeholder list for up to [`LOOKUP_CHUNK`] keys at a
    /// time.
    async fn rows_for_keys(
        &self,
        keys: &[String],
        select: impl Fn(&str) -> String,
        action: &'static str,
    ) -> Result<Vec<AnyRow>, StoreError> {
        let mut rows = Vec::new();
        for chunk in keys.chunks(LOOKUP_CHUNK) {
            let sql = select(&param_list(self.backend(), chunk.len(), 1));
            let mut q = sqlx::query(&sql);
            for key in chunk {
                q = q.bind(key);
            }
            rows.extend(q.fetch_all(&self.pool).await.during(action)?);
        }
        Ok(rows)
    }

    /// Records whose address is one of `addresses`.
    pub async fn customer_records_at(
        &self,
        addresses: &[String],
    ) -> Result<Vec<CustomerRecordRow>, StoreError> {
        let rows = self
            .rows_for_keys(
                addresses,
                |list| {
                    format!(
                        "SELECT {RECORD_COLUMNS} FROM customer_records r \
                         JOIN customer_lists l ON l.id = r.list \
                         WHERE r.address IN ({list}) ORDER BY r.id"
                    )
                },
                "looking up customer records",
            )
            .await?;
        rows.iter().map(record).collect()
    }

    /// Per list and domain of `domains`: the first record with that
    /// domain and how many records share it.
    pub async fn customer_domains(
        &self,
        domains: &[String],
    ) -> Result<Vec<DomainMatch>, StoreError> {
        let action = "looking up customer domains";
        let firsts = self
            .rows_for_keys(
                domains,
                |list| {
                    format!(
                        "SELECT MIN(id), COUNT(*) FROM customer_records \
                         WHERE domain IN ({list}) GROUP BY domain, list"
                    )
                },
                action,
            )
            .await?
            .iter()
            .map(|row| {
                Ok((
                    row.try_get(0).during(action)?,
                    row.try_get(1).during(action)?,
                ))
            })
            .collect::<Result<Vec<(i64, i64)>, StoreError>>()?;
        let mut out = Vec::with_capacity(firsts.len());
        for chunk in firsts.chunks(LOOKUP_CHUNK) {
            let sql = format!(
                "SELECT {RECORD_COLUMNS} FROM customer_records r JOIN customer_lists l ON l.id = r.list \
                 WHERE r.id IN ({})",
                param_list(self.backend(), chunk.len(), 1)
            );
            let mut q = sqlx::query(&sql);
            for (id, _) in chunk {
                q = q.bind(id);
            }
            let rows = q
                .fetch_all(&self.pool)
                .await
                .during("looking up customer domains")?;
            for row in &rows {
                let first = record(row)?;
                let count = chunk
                    .iter()
                    .find(|(id, _)| *id == first.id)
                    .map_or(1, |(_, n)| *n as u64);
                out.push(DomainMatch {
                    first,
                    records: count,
                });
            }
        }
        Ok(out)
    }

    /// Every distinct correspondent address in the archive.
    pub async fn correspondents(&self) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT DISTINCT correspondent FROM messages WHERE correspondent IS NOT NULL \
             AND primary_id IS NULL ORDER BY correspondent",
        )
        .fetch_all(&self.pool)
        .await
        .during("listing correspondents")
    }

    /// Links `address` to the person whose primary address is `person`
    /// (replacing an earlier link), audited.
    pub async fn link_person(
        &self,
        address: &str,
        person: &str,
        by: &str,
        at: i64,
        entry: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write_unnumbered().await?;
        sqlx::query(
            "INSERT INTO person_links (address, person, linked_by, linked_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (address) DO UPDATE SET person = excluded.person, \
             linked_by = excluded.linked_by, linked_at = excluded.linked_at",
        )
        .bind(address)
        .bind(person)
        .bind(by)
        .bind(at)
        .execute(&mut *tx)
        .await
        .during("merging addresses into a person")?;
        mark_people_changed(&mut tx).await?;
        audit(&mut tx, entry).await?;
        tx.commit().await.during("committing a merge")
    }

    /// Removes `address`'s link, audited; false if it had none.
    pub async fn unlink_person(
        &self,
        address: &str,
        entry: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let action = "separating an address from a person";
        let mut tx = self.begin_write_unnumbered().await?;
        let changed = sqlx::query("DELETE FROM person_links WHERE address = $1")
            .bind(address)
            .execute(&mut *tx)
            .await
            .during(action)?
            .rows_affected();
        if changed == 0 {
            tx.rollback().await.during(action)?;
            return Ok(false);
        }
        mark_people_changed(&mut tx).await?;
        audit(&mut tx, entry).await?;
        tx.commit().await.during(action)?;
        Ok(true)
    }

    /// Every (address, person) link.
    pub async fn person_links(&self) -> Result<Vec<(String, String)>, StoreError> {
        sqlx::query_as("SELECT address, person FROM person_links ORDER BY person, address")
            .fetch_all(&self.pool)
            .await
            .during("reading person links")
    }

    /// The addresses of the person `address` belongs to, itself first.
    pub async fn person_addresses(&self, address: &str) -> Result<Vec<String>, StoreError> {
        let mut people = self.people_addresses(&[address.to_owned()]).await?;
        Ok(people.pop().unwrap_or_else(|| vec![address.to_owned()]))
    }

    /// [`Store::person_addresses`] of each of `addresses`, in the order
    /// asked: two statements per 500 addresses, not two per address.
    pub async fn people_addresses(
        &self,
        addresses: &[String],
    ) -> Result<Vec<Vec<String>>, StoreError> {
        let d = "reading person links";
        let pairs = |rows: Vec<AnyRow>| -> Result<Vec<(String, String)>, StoreError> {
            rows.iter()
                .map(|row| Ok((row.try_get(0).during(d)?, row.try_get(1).during(d)?)))
                .collect()
        };
        let person_of: HashMap<String, String> = pairs(
            self.rows_for_keys(
                addresses,
                |list| {
                    format!("SELECT address, person FROM person_links WHERE address IN ({list})")
                },
                d,
            )
            .await?,
        )?
        .into_iter()
        .collect();
        let mut persons: Vec<String> = addresses
            .iter()
            .map(|a| person_of.get(a).unwrap_or(a).clone())
            .collect();
        persons.sort();
        persons.dedup();
        let mut linked: HashMap<String, Vec<String>> = HashMap::new();
        let rows = self
            .rows_for_keys(
                &persons,
                |list| {
                    format!(
                        "SELECT person, address FROM person_links \
                         WHERE person IN ({list}) ORDER BY address"
                    )
                },
                d,
            )
            .await?;
        for (person, address) in pairs(rows)? {
            linked.entry(person).or_default().push(address);
        }
        Ok(addresses
            .iter()
            .map(|address| {
                let person = person_of.get(address).unwrap_or(address);
                let mut out = vec![address.clone()];
                if person != address {
                    out.push(person.clone());
                }
                out.extend(
                    linked
                        .get(person)
                        .into_iter()
                        .flatten()
                        .filter(|a| *a != address && *a != person)
                        .cloned(),
                );
                out
            })
            .collect())
    }
}

/// A correction recorded for an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    pub address: String,
    /// `name` or `not-on-list`.
    pub field: String,
    pub value: String,
    pub corrected_by: String,
    pub corrected_at: i64,
}

impl Store {
    /// Records a correction, audited. A new `name` replaces the old one.
    pub async fn add_correction(
        &self,
        c: &Correction,
        entry: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.note_write();
        let mut tx = self.pool.begin().await.during("starting a transaction")?;
        if c.field == "name" {
            sqlx::query("DELETE FROM person_corrections WHERE address = $1 AND field = 'name'")
                .bind(&c.address)
                .execute(&mut *tx)
                .await
                .during("correcting a name")?;
        }
        sqlx::query(
            "INSERT INTO person_corrections (address, field, value, corrected_by, corrected_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (address, field, value) DO UPDATE SET \
             corrected_by = excluded.corrected_by, corrected_at = excluded.corrected_at",
        )
        .bind(&c.address)
        .bind(&c.field)
        .bind(&c.value)
        .bind(&c.corrected_by)
        .bind(c.corrected_at)
        .execute(&mut *tx)
        .await
        .during("recording a correction")?;
        audit(&mut tx, entry).await?;
        tx.commit().await.during("committing a correction")
    }

    /// Corrections recorded for these addresses: each address's in the
    /// order asked, by field and value.
    pub async fn corrections_of(
        &self,
        addresses: &[String],
    ) -> Result<Vec<Correction>, StoreError> {
        let d = "reading corrections";
        let mut of: HashMap<String, Vec<Correction>> = HashMap::new();
        let rows = self
            .rows_for_keys(
                addresses,
                |list| {
                    format!(
                        "SELECT address, field, value, corrected_by, corrected_at \
                         FROM person_corrections WHERE address IN ({list}) ORDER BY field, value"
                    )
                },
                d,
            )
            .await?;
        for row in &rows {
            let c = Correction {
                address: row.try_get(0).during(d)?,
                field: row.try_get(1).during(d)?,
                value: row.try_get(2).during(d)?,
                corrected_by: row.try_get(3).during(d)?,
                corrected_at: row.try_get(4).during(d)?,
            };
            of.entry(c.address.clone()).or_default().push(c);
        }
        let mut out = Vec::new();
        for a in addresses {
            out.extend(of.remove(a).unwrap_or_default());
        }
        Ok(out)
    }

    /// (address, list) pairs whose match a person had corrected away.
    pub async fn list_exclusions(&self) -> Result<HashSet<(String, String)>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT address, value FROM person_corrections WHERE field = 'not-on-list'",
        )
        .fetch_all(&self.pool)
        .await
        .during("reading corrections")?;
        Ok(rows.into_iter().collect())
    }
}

/// What makes two records of a list the same: address, name, company,
/// account.
type RecordIdentity = (String, Option<String>, Option<String>, Option<String>);

/// A customer list being stored ([`Store::begin_customer_list`]).
pub struct CustomerListWrite {
    tx: Transaction<'static, Any>,
    backend: Backend,
    pool: sqlx::AnyPool,
    id: i64,
    /// With `merge`: what the list held before (address, name, company,
    /// account).
    held: HashSet<RecordIdentity>,
    added: u64,
}

impl CustomerListWrite {
    /// Adds a page of records (those a merged list already holds are
    /// skipped).
    pub async fn add(&mut self, records: &[NewCustomerRecord]) -> Result<(), StoreError> {
        let held = &self.held;
        let new: Vec<&NewCustomerRecord> = records
            .iter()
            .filter(|r| {
                held.is_empty()
                    || !held.contains(&(
                        r.address.clone(),
                        r.name.clone(),
                        r.company.clone(),
                        r.account.clone(),
                    ))
            })
            .collect();
        for chunk in new.chunks(RECORDS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO customer_records (list, line, address, domain, name, company, account, fields) VALUES {}",
                value_rows(self.backend, chunk.len(), 8)
            );
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(self.id)
                    .bind(r.line)
                    .bind(&r.address)
                    .bind(&r.domain)
                    .bind(r.name.as_deref())
                    .bind(r.company.as_deref())
                    .bind(r.account.as_deref())
                    .bind(&r.fields);
            }
            q.execute(&mut *self.tx)
                .await
                .during("storing customer records")?;
        }
        self.added += new.len() as u64;
        Ok(())
    }

    /// Writes `entry` and commits the list. Returns the records added.
    pub async fn finish(mut self, entry: &AuditEntry) -> Result<u64, StoreError> {
        audit(&mut self.tx, entry).await?;
        self.tx
            .commit()
            .await
            .during("committing a customer list")?;
        if self.backend == Backend::Postgres {
            // A large list changes the table's statistics: without fresh
            // ones the planner scans instead of using the indexes.
            sqlx::query("ANALYZE customer_records")
                .execute(&self.pool)
                .await
                .during("updating the lists' statistics")?;
        }
        Ok(self.added)
    }
}

/// Records, in a write transaction, that who is whom changed (addresses
/// merged or separated, messages removed): statistics kept per message are
/// read again from every message ([`crate::FilterMarks::stats`]).
pub(crate) async fn mark_people_changed(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE change_counter SET stats_write = writes WHERE id = 1")
        .execute(&mut **tx)
        .await
        .during("recording that statistics must be read again")
        .map(|_| ())
}

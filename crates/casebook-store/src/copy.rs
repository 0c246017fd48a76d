//! Copying a whole archive from one database to another (`casebook
//! migrate-store`), verified by counts and checksums.

use crate::error::{During, StoreError};
use crate::location::Backend;
use crate::rewrites::{cut_by_size, stored_size};
use crate::sql::value_rows;
use crate::store::Store;
use casebook_vocabulary::Sha256;
use futures_util::TryStreamExt;
use sha2::Digest;
use sqlx::any::AnyRow;
use sqlx::Row;

/// Message ids read per statement, copied a transaction per
/// [`COPY_BYTES`] read.
const PAGE: i64 = 500;

/// Text and bytes of rows written in one transaction at most (one larger
/// row goes alone).
const COPY_BYTES: usize = 16 * 1024 * 1024;

/// The text and bytes `row` of `table` holds.
fn row_bytes(row: &AnyRow, table: &Table) -> Result<usize, StoreError> {
    let d = "reading rows to copy";
    let mut bytes = 0;
    for (i, (_, kind)) in table.columns.iter().enumerate() {
        bytes += match kind {
            Int => 8,
            Text => row
                .try_get::<Option<&str>, _>(i)
                .during(d)?
                .map_or(0, str::len),
            Blob => row
                .try_get::<Option<&[u8]>, _>(i)
                .during(d)?
                .map_or(0, <[u8]>::len),
        };
    }
    Ok(bytes)
}

#[derive(Clone, Copy)]
enum Kind {
    Int,
    Text,
    Blob,
}

/// A table as the copy sees it: its columns in order and the message-id
/// column it is read in pages by (none: small, copied whole).
struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Kind)],
    page_by: Option<&'static str>,
}

use Kind::{Blob, Int, Text};

/// Every table but the schema's own bookkeeping, parents first. References
/// between messages (copies, replies) are copied after all rows exist.
const TABLES: &[Table] = &[
    Table {
        name: "messages",
        columns: &[
            ("id", Int),
            ("sha256", Blob),
            ("size", Int),
            ("message_id", Text),
            ("thread_id", Int),
            ("direction", Text),
            ("automated", Text),
            ("from_address", Text),
            ("from_name", Text),
            ("correspondent", Text),
            ("recipients", Text),
            ("subject", Text),
            ("date", Int),
            ("date_offset", Int),
            ("in_reply_to", Text),
            ("refs", Text),
            ("body", Text),
            ("html_only", Int),
            ("attachments", Text),
            ("warnings", Text),
            ("topic", Text),
            ("response_secs", Int),
            ("change_seq", Int),
            ("state_write", Int),
            ("stored_at", Int),
        ],
        page_by: Some("id"),
    },
    Table {
        name: "raw_messages",
        columns: &[("message", Int), ("compressed", Blob)],
        page_by: Some("message"),
    },
    Table {
        name: "locations",
        columns: &[
            ("message", Int),
            ("folder", Text),
            ("source", Text),
            ("first_seen", Int),
        ],
        page_by: Some("message"),
    },
    Table {
        name: "message_addresses",
        columns: &[("address", Text), ("message", Int)],
        page_by: Some("message"),
    },
    Table {
        name: "removed_messages",
        columns: &[("id", Int), ("change_seq", Int)],
        page_by: Some("id"),
    },
    Table {
        name: "imap_folders",
        columns: &[
            ("account", Text),
            ("folder", Text),
            ("uid_validity", Int),
            ("last_uid", Int),
            ("server_messages", Int),
            ("last_sync", Int),
            ("last_error", Text),
        ],
        page_by: None,
    },
    Table {
        name: "imap_skipped",
        columns: &[
            ("account", Text),
            ("folder", Text),
            ("uid_validity", Int),
            ("uid", Int),
            ("size", Int),
            ("reason", Text),
            ("seen_at", Int),
        ],
        page_by: None,
    },
    Table {
        name: "users",
        columns: &[
            ("id", Int),
            ("name", Text),
            ("role", Text),
            ("password_hash", Text),
            ("disabled", Int),
            ("created_at", Int),
        ],
        page_by: Some("id"),
    },
    Table {
        name: "api_tokens",
        columns: &[
            ("id", Int),
            ("user_id", Int),
            ("token_sha256", Text),
            ("label", Text),
            ("created_at", Int),
            ("last_used", Int),
        ],
        page_by: Some("id"),
    },
    Table {
        name: "sessions",
        columns: &[
            ("token_sha256", Text),
            ("user_id", Int),
            ("csrf", Text),
            ("created_at", Int),
            ("expires_at", Int),
        ],
        page_by: None,
    },
    Table {
        name: "login_failures",
        columns: &[("name", Text), ("at", Int), ("client", Text)],
        page_by: None,
    },
    Table {
        name: "login_addresses",
        columns: &[("name", Text), ("client", Text), ("last_at", Int)],
        page_by: None,
    },
    Table {
        name: "message_tags",
        columns: &[
            ("message", Int),
            ("tag", Text),
            ("added_by", Int),
            ("added_at", Int),
        ],
        page_by: Some("message"),
    },
    Table {
        name: "testimonials",
        columns: &[
            ("id", Int),
            ("message", Int),
            ("excerpt", Text),
            ("attribution", Text),
            ("edited", Int),
            ("consent_message", Int),
            ("consent_note", Text),
            ("topic", Text),
            ("state", Text),
            ("reason", Text),
            ("decided_by", Text),
            ("decided_at", Int),
            ("expires_at", Int),
        ],
        page_by: Some("id"),
    },
    Table {
        name: "audit_log",
        columns: &[
            ("id", Int),
            ("at", Int),
            ("actor", Text),
            ("action", Text),
            ("subject", Text),
            ("detail", Text),
        ],
        page_by: Some("id"),
    },
    Table {
        name: "audit_people",
        columns: &[("address", Text), ("entry", Int)],
        page_by: Some("entry"),
    },
    Table {
        name: "privacy_preferences",
        columns: &[
            ("address", Text),
            ("marketing", Text),
            ("marketing_at", Int),
            ("marketing_by", Text),
            ("marketing_source", Text),
            ("partners", Text),
            ("partners_at", Int),
            ("partners_by", Text),
            ("partners_source", Text),
        ],
        page_by: None,
    },
    Table {
        name: "privacy_request_decisions",
        columns: &[
            ("message", Int),
            ("decision", Text),
            ("decided_by", Text),
            ("decided_at", Int),
        ],
        page_by: Some("message"),
    },
    Table {
        name: "customer_lists",
        columns: &[
            ("id", Int),
            ("name", Text),
            ("partner", Text),
            ("source_file", Text),
            ("imported_at", Int),
            ("imported_by", Text),
        ],
        page_by: Some("id"),
    },
    Table {
        name: "customer_records",
        columns: &[
            ("id", Int),
            ("list", Int),
            ("line", Int),
            ("address", Text),
            ("domain", Text),
            ("name", Text),
            ("company", Text),
            ("account", Text),
            ("fields", Text),
        ],
        page_by: Some("id"),
    },
    Table {
        name: "person_links",
        columns: &[
            ("address", Text),
            ("person", Text),
            ("linked_by", Text),
            ("linked_at", Int),
        ],
        page_by: None,
    },
    Table {
        name: "erased_addresses",
        columns: &[("digest", Text), ("erased_at", Int)],
        page_by: None,
    },
    Table {
        name: "erased_messages",
        columns: &[
            ("id", Int),
            ("month", Text),
            ("direction", Text),
            ("topic", Text),
            ("answered", Int),
            ("response_secs", Int),
            ("erasure", Text),
            ("erased_at", Int),
        ],
        page_by: Some("id"),
    },
    Table {
        name: "legal_holds",
        columns: &[
            ("id", Int),
            ("kind", Text),
            ("target", Text),
            ("reason", Text),
            ("held_by", Text),
            ("held_at", Int),
        ],
        page_by: Some("id"),
    },
    Table {
        name: "person_corrections",
        columns: &[
            ("address", Text),
            ("field", Text),
            ("value", Text),
            ("corrected_by", Text),
            ("corrected_at", Int),
        ],
        page_by: None,
    },
    Table {
        name: "integrity_chain",
        columns: &[
            ("seq", Int),
            ("kind", Text),
            ("message", Int),
            ("sha256", Text),
            ("hash", Text),
            ("scheme", Text),
        ],
        page_by: Some("seq"),
    },
    Table {
        name: "integrity_salts",
        columns: &[("seq", Int), ("salt", Text)],
        page_by: Some("seq"),
    },
    Table {
        name: "store_secrets",
        columns: &[("name", Text), ("value", Text)],
        page_by: None,
    },
];

/// What a copy moved and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// (table, rows) in copy order; the same in both databases.
    pub rows: Vec<(&'static str, u64)>,
    /// Messages whose raw bytes were decompressed from the target and
    /// matched their SHA-256.
    pub raw_verified: u64,
    /// SHA-256 over every message's id, digest, thread, copy and reply
    /// links, in id order: equal in both databases.
    pub checksum: String,
}

impl Store {
    /// Copies everything in `self` into `target`, which must be empty, then
    /// verifies the copy: row counts of every table, every raw message's
    /// SHA-256 read back from the target, and a checksum over the messages'
    /// links. `progress` hears the number of messages copied so far.
    pub async fn copy_into(
        &self,
        target: &Store,
        mut progress: impl FnMut(u64),
    ) -> Result<CopyReport, StoreError> {
        let held = target.row_count("messages").await?
            + target.row_count("imap_folders").await?
            + target.row_count("users").await?;
        if held > 0 {
            return Err(StoreError::TargetNotEmpty {
                location: target.location().to_string(),
            });
        }
        // Hold other writers off the source while copying.
        let (source_tx, seq, writes) = self.begin_counted_write().await?;
        let mut copied = 0;
        for table in TABLES {
            copied += self.copy_table(target, table, &mut progress).await?;
        }
        self.copy_links(target).await?;
        let (mut tx, _) = target.begin_write().await?;
        // Link keys are not copied: the copy's first threading records
        // them afresh from the messages.
        sqlx::query("UPDATE message_links_state SET complete = 0 WHERE id = 1")
            .execute(&mut *tx)
            .await
            .during("marking link keys to record")?;
        // The rows' `state_write` are copied, so the count of writes is
        // too; the lists count as changed at it.
        sqlx::query(
            "UPDATE change_counter SET value = $1, writes = $2, lists_write = $2, stats_write = $2 \
             WHERE id = 1",
        )
        .bind(seq - 1)
        .bind(writes)
        .execute(&mut *tx)
        .await
        .during("copying the change counter")?;
        if target.backend() == Backend::Postgres {
            for table in [
                "messages",
                "users",
                "api_tokens",
                "testimonials",
                "audit_log",
                "customer_lists",
                "customer_records",
                "erased_messages",
                "legal_holds",
            ] {
                sqlx::query(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                     (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                ))
                .execute(&mut *tx)
                .await
                .during("moving id sequences past the copied ids")?;
            }
        }
        tx.commit().await.during("committing the copy")?;
        source_tx.rollback().await.during("releasing the source")?;
        tracing::debug!(copied, "copied");

        let mut rows = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            let (from, to) = (
                self.row_count(table.name).await?,
                target.row_count(table.name).await?,
            );
            if from != to {
                return Err(StoreError::CopyMismatch {
                    what: format!(
                        "{} holds {from} rows in the source, {to} in the copy",
                        table.name
                    ),
                });
            }
            rows.push((table.name, from));
        }
        let raw_verified = target.verify_raw().await?;
        let (from, to) = (self.link_checksum().await?, target.link_checksum().await?);
        if from != to {
            return Err(StoreError::CopyMismatch {
                what: format!("the messages' checksum is {from} in the source, {to} in the copy"),
            });
        }
        Ok(CopyReport {
            rows,
            raw_verified,
            checksum: from,
        })
    }

    async fn row_count(&self, table: &str) -> Result<u64, StoreError> {
        sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&self.pool)
            .await
            .during("counting rows")
            .map(|n| n as u64)
    }

    async fn copy_table(
        &self,
        target: &Store,
        table: &Table,
        progress: &mut impl FnMut(u64),
    ) -> Result<u64, StoreError> {
        let names: Vec<&str> = table.columns.iter().map(|(n, _)| *n).collect();
        let select = format!("SELECT {} FROM {}", names.join(", "), table.name);
        let mut copied = 0u64;
        let mut after = i64::MIN;
        let d = "reading rows to copy";
        loop {
            let query = match table.page_by {
                Some(key) => format!("{select} WHERE {key} > $1 AND {key} <= $2 ORDER BY {key}"),
                None => select.clone(),
            };
            let mut q = sqlx::query(&query);
            if table.page_by.is_some() {
                q = q.bind(after).bind(after.max(0) + PAGE);
            }
            // Rows are written as they are read, a transaction each
            // [`COPY_BYTES`] of text and bytes: a page of large messages
            // is never held at once.
            let mut rows = q.fetch(&self.pool);
            let (mut held, mut bytes, mut read) = (Vec::new(), 0usize, 0u64);
            while let Some(row) = rows.try_next().await.during(d)? {
                bytes += row_bytes(&row, table)?;
                held.push(row);
                read += 1;
                if bytes >= COPY_BYTES {
                    copied += target.insert_rows(table, &names, &held).await?;
                    (held, bytes) = (Vec::new(), 0);
                }
            }
            drop(rows);
            if !held.is_empty() {
                copied += target.insert_rows(table, &names, &held).await?;
            }
            if read == 0 {
                let more = match table.page_by {
                    Some(key) => sqlx::query_scalar::<_, Option<i64>>(&format!(
                        "SELECT MIN({key}) FROM {} WHERE {key} > $1",
                        table.name
                    ))
                    .bind(after)
                    .fetch_one(&self.pool)
                    .await
                    .during(d)?,
                    None => None,
                };
                match more {
                    Some(next) => {
                        after = next - 1;
                        continue;
                    }
                    None => break,
                }
            }
            if table.name == "messages" {
                progress(copied);
            }
            match table.page_by {
                Some(_) => after = after.max(0) + PAGE,
                None => break,
            }
        }
        Ok(copied)
    }

    async fn insert_rows(
        &self,
        table: &Table,
        names: &[&str],
        rows: &[AnyRow],
    ) -> Result<u64, StoreError> {
        let per_statement = (30_000 / table.columns.len()).clamp(1, 100);
        // The writing connection: its cache lasts from page to page.
        let mut tx = self.writer.begin().await.during("starting a transaction")?;
        for chunk in rows.chunks(per_statement) {
            let sql = format!(
                "INSERT INTO {} ({}) VALUES {}",
                table.name,
                names.join(", "),
                value_rows(self.backend(), chunk.len(), names.len())
            );
            let mut q = sqlx::query(&sql);
            for row in chunk {
                for (i, (_, kind)) in table.columns.iter().enumerate() {
                    let d = "reading rows to copy";
                    q = match kind {
                        Int => q.bind(row.try_get::<Option<i64>, _>(i).during(d)?),
                        Text => q.bind(row.try_get::<Option<String>, _>(i).during(d)?),
                        Blob => q.bind(row.try_get::<Option<Vec<u8>>, _>(i).during(d)?),
                    };
                }
            }
            q.execute(&mut *tx).await.during("writing copied rows")?;
        }
        tx.commit().await.during("committing copied rows")?;
        Ok(rows.len() as u64)
    }

    /// Copies and replies point at other messages: set once all exist.
    async fn copy_links(&self, target: &Store) -> Result<(), StoreError> {
        // Read as they stream, LINKS_HELD at a time (a reply link each for
        // half an archive is too many to hold), written in statements cut
        // by the messages' sizes: setting a link rewrites a SQLite row
        // whole, its text too.
        let mut links = sqlx::query_as::<_, (i64, Option<i64>, Option<i64>, i64)>(
            "SELECT id, primary_id, reply_id, size FROM messages \
             WHERE primary_id IS NOT NULL OR reply_id IS NOT NULL ORDER BY id",
        )
        .fetch(&self.pool);
        let mut tx = target
            .writer
            .begin()
            .await
            .during("starting a transaction")?;
        let mut held = Vec::with_capacity(LINKS_HELD);
        loop {
            let next = links
                .try_next()
                .await
                .during("reading links between messages")?;
            let done = next.is_none();
            held.extend(next);
            if held.len() < LINKS_HELD && !done {
                continue;
            }
            for run in cut_by_size(target.backend(), &held, |link| stored_size(link.3)) {
                for rows in run.chunks(100) {
                    write_links(&mut tx, target.backend(), rows).await?;
                }
            }
            held.clear();
            if done {
                break;
            }
        }
        tx.commit()
            .await
            .during("committing links between messages")
    }

    /// Decompresses every raw message and checks it against its SHA-256.
    async fn verify_raw(&self) -> Result<u64, StoreError> {
        let (verified, problems) = self.check_raw(|_| {}).await?;
        match problems.first() {
            None => Ok(verified),
            Some(p) => Err(StoreError::CopyMismatch {
                what: format!("message {}: {}", p.id.0, p.problem),
            }),
        }
    }

    /// A checksum over what identifies each message and links it to others.
    async fn link_checksum(&self) -> Result<String, StoreError> {
        let mut hasher = sha2::Sha256::new();
        let mut after = 0i64;
        loop {
            let rows = sqlx::query(
                "SELECT id, sha256, primary_id, thread_id, reply_id, change_seq FROM messages \
                 WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(PAGE * 10)
            .fetch_all(&self.pool)
            .await
            .during("summing up messages")?;
            let Some(last) = rows.last() else { break };
            after = last.try_get(0).during("summing up messages")?;
            for row in &rows {
                let d = "summing up messages";
                let sha: Vec<u8> = row.try_get(1).during(d)?;
                hasher.update(row.try_get::<i64, _>(0).during(d)?.to_le_bytes());
                hasher.update(&sha);
                for i in 2..6 {
                    let v: Option<i64> = row.try_get(i).during(d)?;
                    hasher.update(v.unwrap_or(-1).to_le_bytes());
                }
            }
        }
        Ok(Sha256(hasher.finalize().into()).to_hex())
    }
}

/// Links read from the source before they are written (32 bytes each).
const LINKS_HELD: usize = 2_000;

/// Sets copy and reply links of messages (id, copy of, reply to, size),
/// one statement.
async fn write_links(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    links: &[(i64, Option<i64>, Option<i64>, i64)],
) -> Result<(), StoreError> {
    let sql = format!(
        "WITH l (id, primary_id, reply_id) AS (VALUES {}) \
         UPDATE messages SET primary_id = l.primary_id, reply_id = l.reply_id \
         FROM l WHERE messages.id = l.id",
        value_rows(backend, links.len(), 3)
    );
    let mut q = sqlx::query(&sql);
    for (id, primary, reply, _) in links {
        q = q.bind(*id).bind(*primary).bind(*reply);
    }
    q.execute(&mut **tx)
        .await
        .during("writing links between messages")?;
    Ok(())
}

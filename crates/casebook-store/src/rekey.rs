//! Moving the raw store to another key (`casebook rekey`): every raw
//! message opened with the store's keys and sealed again.

use crate::error::{During, StoreError};
use crate::store::Store;
use futures_util::TryStreamExt;

impl Store {
    /// How the newest raw message is kept: the key (or none) the archive's
    /// raw mail is under. While a `rekey` is under way it is the key the
    /// move started from, so writes wait for the move to finish.
    pub async fn raw_seal(&self) -> Result<crate::raw::RawSeal, StoreError> {
        let newest: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT compressed FROM raw_messages ORDER BY message DESC LIMIT 1")
                .fetch_optional(&self.pool)
                .await
                .during("reading which key the raw store is under")?;
        Ok(newest.map_or(crate::raw::RawSeal::Empty, |v| crate::raw::seal_of(&v)))
    }

    /// Moves every raw message to `key` (sealed with it; with none, only
    /// compressed), opening them with the store's keys. Works in pages, a
    /// transaction each, so it can be stopped and run again. `progress`
    /// hears how many were rewritten so far. Returns that count.
    pub async fn reseal_raw(
        &self,
        key: Option<&crate::raw::RawKey>,
        mut progress: impl FnMut(u64),
    ) -> Result<u64, StoreError> {
        self.note_write();
        let mut after = 0i64;
        let mut changed = 0u64;
        let d = "reading raw bytes to re-encrypt";
        loop {
            let mut tx = self.pool.begin().await.during("starting a transaction")?;
            // Each row rewritten as it is read: a page of large messages
            // is never held at once.
            let mut rows = sqlx::query_as::<_, (i64, Vec<u8>)>(
                "SELECT message, compressed FROM raw_messages WHERE message > $1 ORDER BY message LIMIT 500",
            )
            .bind(after)
            .fetch(&self.pool);
            let mut read = 0u64;
            while let Some((id, stored)) = rows.try_next().await.during(d)? {
                read += 1;
                after = id;
                if let Some(new) = crate::raw::reseal(id, &stored, &self.raw_keys, key)? {
                    sqlx::query("UPDATE raw_messages SET compressed = $1 WHERE message = $2")
                        .bind(&new[..])
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .during("re-encrypting raw bytes")?;
                    changed += 1;
                }
            }
            drop(rows);
            if read == 0 {
                tx.rollback().await.during("ending the re-encryption")?;
                break;
            }
            tx.commit()
                .await
                .during("committing re-encrypted raw bytes")?;
            progress(changed);
        }
        // Old pages with the previous bytes leave the log too.
        self.fold_log().await?;
        Ok(changed)
    }
}

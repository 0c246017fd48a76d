//! `casebook check`: is the archive whole? Every raw message against its
//! SHA-256, rows that point nowhere, threads, and this process's index
//! against the store. `--repair` fixes what can be fixed without the lost
//! data (orphan rows, links, threads, the index) and names what cannot.

use crate::{Archive, ArchiveError};
use casebook_store::{ChainReport, RawProblem, RowProblems};
use casebook_vocabulary::{Direction, MessageId};

/// What a check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Raw messages read back and hashed.
    pub raw_checked: u64,
    /// Raw messages that do not read back as stored: only a backup helps.
    pub damaged: Vec<RawProblem>,
    pub rows: RowProblems,
    /// Messages the store has and the index lacks.
    pub missing_from_index: Vec<MessageId>,
    /// Messages the index holds and the store does not.
    pub extra_in_index: Vec<MessageId>,
    /// Messages the index holds more than once (a search would show them
    /// twice).
    pub duplicated_in_index: Vec<MessageId>,
    /// Messages whose thread or reply pairing differs from working every
    /// thread out afresh (`--repair` does that).
    pub threads_to_fix: u64,
    /// The totals `stats` reads (kept by the database as messages change),
    /// or the response times its median is counted from, differ from
    /// counting every message afresh (`--repair` counts them again).
    pub totals_differ: bool,
    /// The integrity chain against what the archive holds.
    pub chain: ChainReport,
    /// Messages `--accept-unchained` entered into the chain (an
    /// administrator vouched that the archive stored them).
    pub chained: Vec<MessageId>,
    /// Messages the chain does not hold that `--repair` tagged
    /// `quarantined` instead of entering them: nothing shows the archive
    /// stored them (inserted behind its back, or stored before the chain).
    pub quarantined: Vec<MessageId>,
    /// Messages `--repair` rebuilt from raw bytes whose row was gone.
    pub restored: Vec<MessageId>,
    /// Orphaned raw copies `--repair` removed because the same bytes are
    /// stored whole under another message: (orphan, the message kept).
    pub duplicate_raw: Vec<(MessageId, MessageId)>,
    /// Orphaned raw bytes `--repair` could not read to rebuild a message
    /// from (kept as they are: name the key, or restore a backup).
    pub unreadable_orphans: Vec<(MessageId, String)>,
    /// Messages without a known person whose headers `--repair` read
    /// again and now attributes (stored by a version that could not read
    /// them).
    pub reattributed: Vec<MessageId>,
    /// Rows changed by `--repair` (0 without it).
    pub repaired_rows: u64,
    /// Whether `--repair` rebuilt the index.
    pub reindexed: bool,
}

impl CheckReport {
    /// Nothing wrong (after repairs, if any were made).
    pub fn is_clean(&self) -> bool {
        self.damaged.is_empty()
            && self.rows.is_empty()
            && self.missing_from_index.is_empty()
            && self.extra_in_index.is_empty()
            && self.duplicated_in_index.is_empty()
            && self.threads_to_fix == 0
            && !self.totals_differ
            && self.chain.verifies()
    }
}

/// What `check` is asked to do beyond verifying.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Fix what can be fixed without losing data, then check again.
    pub repair: bool,
    /// A chain head noted earlier: the chain must still hold it.
    pub head: Option<String>,
    /// With `repair`: enter messages the chain does not hold into it
    /// (audited as vouched for by `actor`) instead of quarantining them.
    pub accept_unchained: bool,
    pub actor: String,
}

/// What re-adopting orphaned raw bytes did (see [`CheckReport`]).
#[derive(Default)]
struct Readopted {
    restored: Vec<MessageId>,
    duplicates: Vec<(MessageId, MessageId)>,
    unreadable: Vec<(MessageId, String)>,
}

/// The tag `check --repair` gives messages nothing shows the archive stored.
pub const QUARANTINE_TAG: &str = "quarantined";

impl Archive {
    /// Gives raw bytes whose message row is gone a row again, parsed
    /// afresh from them (threads and the index follow in the settle).
    /// Repairs never delete the only copy of mail: bytes are removed only
    /// where the same bytes are stored under another message.
    async fn readopt_orphans(&self, orphans: &[MessageId]) -> Result<Readopted, ArchiveError> {
        let settings = self.ingest_settings();
        let mut done = Readopted::default();
        for &id in orphans {
            let bytes = match self.store.orphaned_raw_bytes(id).await {
                Ok(b) => b,
                Err(e) => {
                    done.unreadable.push((id, e.to_string()));
                    continue;
                }
            };
            let source = format!("check --repair (message {})", id.0);
            let message = match crate::import::prepare_message(
                &bytes,
                "restored".into(),
                source,
                &settings,
                false,
            ) {
                Ok(m) => m,
                Err((_, why)) => {
                    done.unreadable.push((id, why));
                    continue;
                }
            };
            match self.store.readopt(id, &message).await? {
                casebook_store::Readoption::Restored => done.restored.push(id),
                casebook_store::Readoption::DuplicateOf(kept) => done.duplicates.push((id, kept)),
            }
        }
        Ok(done)
    }

    /// Reads the headers of messages without a known person again, and
    /// records the sender or recipient where they can now be read (threads
    /// and the index follow in the settle). Returns those attributed.
    async fn reattribute(&self, ids: &[MessageId]) -> Result<Vec<MessageId>, ArchiveError> {
        let settings = self.ingest_settings();
        let mut done = Vec::new();
        for &id in ids {
            let Some(stored) = self.store.message(id).await? else {
                continue;
            };
            // Damaged bytes are `check`'s to name, not to read from.
            let Ok(Some(raw)) = self.store.raw(id).await else {
                continue;
            };
            let ours = stored.summary.direction == Direction::Outbound;
            let Ok(message) =
                crate::import::prepare_message(&raw, String::new(), String::new(), &settings, ours)
            else {
                continue;
            };
            if message.correspondent.is_some() {
                self.store.reattribute(id, &message).await?;
                done.push(id);
            }
        }
        Ok(done)
    }

    async fn check_once(
        &self,
        head: Option<&str>,
        progress: &mut impl FnMut(u64),
    ) -> Result<CheckReport, ArchiveError> {
        let (raw_checked, damaged) = self.store.check_raw(&mut *progress).await?;
        let rows = self.store.check_rows().await?;
        // Two ascending lists of ids (8 bytes a message each), compared in
        // one walk.
        let store = self.store.indexable_ids().await?;
        let indexed = self.index.ids()?;
        let compared = compare_ids(&store, &indexed);
        drop((store, indexed));
        let chain = self.store.verify_chain(head).await?;
        Ok(CheckReport {
            threads_to_fix: self.threads_to_fix().await?,
            totals_differ: self.store.counts().await? != self.store.recount().await?
                || self.store.response_times_differ().await?,
            chain,
            chained: Vec::new(),
            quarantined: Vec::new(),
            raw_checked,
            damaged,
            rows,
            missing_from_index: compared.missing,
            extra_in_index: compared.extra,
            duplicated_in_index: compared.duplicated,
            restored: Vec::new(),
            reattributed: Vec::new(),
            duplicate_raw: Vec::new(),
            unreadable_orphans: Vec::new(),
            repaired_rows: 0,
            reindexed: false,
        })
    }
}

/// How the index's documents differ from the store's messages.
#[derive(Debug, Default, PartialEq, Eq)]
struct IdDifferences {
    /// In the store, not in the index.
    missing: Vec<MessageId>,
    /// In the index, not in the store.
    extra: Vec<MessageId>,
    /// In the index more than once (each id once).
    duplicated: Vec<MessageId>,
}

/// Compares the store's ids with the index's, both ascending (the index's
/// may repeat an id).
fn compare_ids(store: &[MessageId], index: &[MessageId]) -> IdDifferences {
    let mut out = IdDifferences::default();
    let (mut s, mut i) = (0, 0);
    while i < index.len() {
        let id = index[i];
        let repeats = index[i..].iter().take_while(|&&other| other == id).count();
        if repeats > 1 {
            out.duplicated.push(id);
        }
        i += repeats;
        while s < store.len() && store[s] < id {
            out.missing.push(store[s]);
            s += 1;
        }
        if s < store.len() && store[s] == id {
            s += 1;
        } else {
            out.extra.push(id);
        }
    }
    out.missing.extend_from_slice(&store[s..]);
    out
}

/// Integrity, one feature's handle on the archive (`archive.integrity()`):
/// verifying what is stored against its chain and the index, repairs
/// that never destroy, backups, moving raw mail between keys, rebuilding
/// the index.
pub struct Integrity<'a> {
    pub(crate) archive: &'a Archive,
}

impl Archive {
    /// This archive's [`Integrity`].
    pub fn integrity(&self) -> Integrity<'_> {
        Integrity { archive: self }
    }
}

impl Integrity<'_> {
    /// Checks the archive; with `repair`, fixes what can be fixed and
    /// checks again. `progress` hears how many raw messages were read.
    pub async fn check(
        &self,
        repair: bool,
        progress: impl FnMut(u64),
    ) -> Result<CheckReport, ArchiveError> {
        let options = CheckOptions {
            repair,
            ..CheckOptions::default()
        };
        self.archive
            .integrity()
            .check_with(&options, progress)
            .await
    }

    /// [`Integrity::check`] with the options a person can give.
    pub async fn check_with(
        &self,
        options: &CheckOptions,
        mut progress: impl FnMut(u64),
    ) -> Result<CheckReport, ArchiveError> {
        let head = options.head.as_deref();
        let repair = options.repair;
        let mut report = self.archive.check_once(head, &mut progress).await?;
        if repair && (!report.is_clean() || !report.rows.unattributed.is_empty()) {
            let readopted = self
                .archive
                .readopt_orphans(&report.rows.orphaned_raw)
                .await?;
            let reattributed = self.archive.reattribute(&report.rows.unattributed).await?;
            let repaired = if report.rows.is_empty() {
                0
            } else {
                self.archive.store.repair_rows().await?
            };
            // Never launder: what the chain does not hold is entered only
            // when a person vouches for it, else quarantined and named.
            let unchained = report.chain.unchained.clone();
            let (mut chained, mut quarantined) = (Vec::new(), Vec::new());
            if options.accept_unchained && !unchained.is_empty() {
                self.archive.store.chain_unchained(&unchained).await?;
                self.archive.store
                    .record_audit(&crate::audit::entry(
                        &options.actor,
                        "chain-accept",
                        casebook_store::AuditSubject::Messages,
                        serde_json::json!({ "messages": unchained.iter().map(|m| m.0).collect::<Vec<_>>() }),
                    ))
                    .await?;
                chained = unchained;
            } else {
                for id in &unchained {
                    self.archive.tag(*id, QUARANTINE_TAG, None).await?;
                }
                quarantined = unchained;
            }
            let reindex = !report.missing_from_index.is_empty()
                || !report.extra_in_index.is_empty()
                || !report.duplicated_in_index.is_empty();
            if reindex {
                // Works every thread out afresh too.
                self.archive.integrity().reindex().await?;
            } else {
                if report.threads_to_fix > 0 {
                    self.archive
                        .rethread(crate::settle::Scope::Everything)
                        .await?;
                }
                self.archive.settle().await?;
            }
            if report.totals_differ {
                self.archive.store.count_totals_again().await?;
            }
            report = self.archive.check_once(head, &mut progress).await?;
            report.repaired_rows = repaired;
            report.restored = readopted.restored;
            report.duplicate_raw = readopted.duplicates;
            report.unreadable_orphans = readopted.unreadable;
            report.reattributed = reattributed;
            report.reindexed = reindex;
            report.chained = chained;
            report.quarantined = quarantined;
        }
        Ok(report)
    }
}

/// The file a backup folder holds the archive in.
pub const BACKUP_FILE: &str = "casebook.db";

impl Integrity<'_> {
    /// Writes a consistent snapshot of the archive into the folder `dir`
    /// (created if needed; it must not hold a backup already) with a
    /// manifest. The key of an encrypted archive is not copied: keep it
    /// apart. Returns the backup file.
    pub async fn backup(&self, dir: &std::path::Path) -> Result<std::path::PathBuf, ArchiveError> {
        let file = dir.join(BACKUP_FILE);
        if file.exists() {
            return Err(ArchiveError::Refused(format!(
                "{} already holds a backup; give a new folder",
                dir.display()
            )));
        }
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|source| ArchiveError::File {
                action: "create",
                path: dir.to_owned(),
                source,
            })?;
        self.archive.store.backup_to(&file).await?;
        let counts = self.archive.store.counts().await?;
        let manifest = format!(
            "Casebook backup\nmade: {}\nmessages: {}\nencrypted raw store: {}\n\n\
             Restore with: casebook restore {}\n(into an empty archive; the search index is rebuilt)\n",
            time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            counts.messages,
            if self.archive.raw_key.is_some() { "yes: restore with the same encryption_key_file" } else { "no" },
            dir.display()
        );
        tokio::fs::write(dir.join("BACKUP.txt"), manifest)
            .await
            .map_err(|source| ArchiveError::File {
                action: "write",
                path: dir.join("BACKUP.txt"),
                source,
            })?;
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_compare_in_one_walk() {
        let ids = |list: &[i64]| list.iter().copied().map(MessageId).collect::<Vec<_>>();
        let compared = compare_ids(&ids(&[1, 2, 4, 5, 9]), &ids(&[0, 2, 2, 2, 3, 5, 7, 7, 10]));
        assert_eq!(compared.missing, ids(&[1, 4, 9]));
        assert_eq!(compared.extra, ids(&[0, 3, 7, 10]));
        assert_eq!(compared.duplicated, ids(&[2, 7]));
        assert_eq!(
            compare_ids(&ids(&[1, 2]), &ids(&[1, 2])),
            IdDifferences::default()
        );
        assert_eq!(compare_ids(&ids(&[1]), &[]).missing, ids(&[1]));
    }
}

//! A progress bar on a terminal; nothing otherwise (logs go through tracing).

use casebook_archive::{ImportProgress, ImportReport, LogProgress, SyncProgress};
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Mutex;

pub struct ImportBar(Option<ProgressBar>);

impl ImportBar {
    pub fn new(visible: bool) -> Self {
        Self(visible.then(|| {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed} {msg} ({per_sec})")
            {
                bar.set_style(style);
            }
            bar
        }))
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl ImportProgress for ImportBar {
    fn read(&self, messages: u64, _bytes: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(messages);
        }
    }

    fn stored(&self, r: &ImportReport) {
        if let Some(bar) = &self.0 {
            bar.set_message(format!(
                "read {} · stored {} · duplicates {} · failed {}",
                r.read,
                r.stored + r.copies,
                r.duplicates,
                r.failed.len()
            ));
        }
    }

    fn indexing(&self) {
        if let Some(bar) = &self.0 {
            bar.set_message("threading and indexing");
        }
    }
}

/// A count going up, on a terminal only.
pub struct CountBar(Option<ProgressBar>);

impl CountBar {
    pub fn new(what: &'static str) -> Self {
        Self(
            std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
                let bar = ProgressBar::new_spinner();
                if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed} {pos} {msg}") {
                    bar.set_style(style);
                }
                bar.set_message(what);
                bar
            }),
        )
    }

    pub fn set(&self, n: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(n);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Messages and bytes per folder on a terminal; log lines otherwise.
pub struct SyncBar {
    bar: Option<ProgressBar>,
    /// (account/folder, messages, bytes) so far.
    totals: Mutex<Vec<(String, u64, u64)>>,
}

impl SyncBar {
    pub fn new(visible: bool) -> Self {
        let bar = visible.then(|| {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed} {msg}") {
                bar.set_style(style);
            }
            bar
        });
        Self {
            bar,
            totals: Mutex::new(Vec::new()),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl SyncProgress for SyncBar {
    fn stored(&self, account: &str, folder: &str, messages: u64, bytes: u64) {
        let Some(bar) = &self.bar else {
            return LogProgress.stored(account, folder, messages, bytes);
        };
        let Ok(mut totals) = self.totals.lock() else {
            return;
        };
        let place = format!("{account}/{folder}");
        match totals.iter_mut().find(|t| t.0 == place) {
            Some(t) => {
                t.1 += messages;
                t.2 += bytes;
            }
            None => totals.push((place, messages, bytes)),
        }
        let text: Vec<String> = totals
            .iter()
            .map(|(p, m, b)| format!("{p}: {m} messages, {:.1} MB", *b as f64 / 1e6))
            .collect();
        bar.set_message(text.join(" · "));
    }
}

//! A progress bar on a terminal; nothing otherwise (logs go through tracing).

use casebook_archive::{ImportProgress, ImportReport};
use indicatif::{ProgressBar, ProgressStyle};

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

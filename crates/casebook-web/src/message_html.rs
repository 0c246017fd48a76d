//! Cleaning an HTML-only message for its sandboxed frame, bounded: HTML
//! over a size or nesting cap is not cleaned at all (the page says why
//! and offers the raw message), cleaning runs on a blocking thread, a few
//! at a time and within a deadline, and a cleaned result is kept per
//! message so a hostile message costs once — never the request threads.

use casebook_archive::MessageId;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// HTML larger than this is not cleaned.
pub(crate) const MAX_HTML_BYTES: usize = 2 * 1024 * 1024;
/// HTML whose elements nest deeper than this is not cleaned (a cleaner's
/// cost grows with nesting: 100,000 nested `<div>` took 40 s).
pub(crate) const MAX_HTML_DEPTH: usize = 256;
/// How long one cleaning may take before the request is answered without.
const DEADLINE: Duration = Duration::from_secs(5);
/// Cleanings at once.
const AT_ONCE: usize = 2;
/// Cleaned messages kept.
const CACHED: usize = 64;

/// What can be shown of a message's HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cleaned {
    Html(Arc<str>),
    /// Not cleaned, and why (for the person reading).
    Refused(String),
}

/// The cleaner: its turns and what it cleaned last.
pub(crate) struct HtmlCleaner {
    turns: tokio::sync::Semaphore,
    cache: Mutex<VecDeque<(MessageId, Cleaned)>>,
}

impl Default for HtmlCleaner {
    fn default() -> Self {
        Self {
            turns: tokio::sync::Semaphore::new(AT_ONCE),
            cache: Mutex::new(VecDeque::with_capacity(CACHED)),
        }
    }
}

impl HtmlCleaner {
    /// Message `id`'s HTML (`html`), cleaned or refused.
    pub(crate) async fn clean(&self, id: MessageId, html: String) -> Cleaned {
        if let Some(hit) = self.cached(id) {
            return hit;
        }
        let cleaned = match over_caps(&html) {
            Some(why) => Cleaned::Refused(why),
            None => self.clean_in_turn(html).await,
        };
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHED {
            cache.pop_front();
        }
        cache.push_back((id, cleaned.clone()));
        cleaned
    }

    fn cached(&self, id: MessageId) -> Option<Cleaned> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.iter().find(|(m, _)| *m == id).map(|(_, c)| c.clone())
    }

    async fn clean_in_turn(&self, html: String) -> Cleaned {
        let Ok(_turn) = self.turns.acquire().await else {
            return Cleaned::Refused("the server is shutting down".into());
        };
        let work = tokio::task::spawn_blocking(move || sanitise(&html));
        match tokio::time::timeout(DEADLINE, work).await {
            Ok(Ok(clean)) => Cleaned::Html(clean.into()),
            Ok(Err(_)) => Cleaned::Refused("cleaning its HTML failed".into()),
            Err(_) => Cleaned::Refused(format!(
                "cleaning its HTML took longer than {} s",
                DEADLINE.as_secs()
            )),
        }
    }
}

/// A message's HTML cleaned for its frame, on the calling thread and
/// without a deadline (the server cleans through [`HtmlCleaner`]); or why
/// it is not cleaned: it is over the size or nesting cap.
pub fn clean_message_html(html: &str) -> Result<String, String> {
    match over_caps(html) {
        Some(why) => Err(why),
        None => Ok(sanitise(html)),
    }
}

/// No scripts, event handlers, forms, frames, styles or `javascript:`
/// links survive.
fn sanitise(html: &str) -> String {
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(["http", "https", "mailto", "data"].into_iter().collect())
        .clean(html)
        .to_string()
}

/// Why `html` is over a cap, if it is.
fn over_caps(html: &str) -> Option<String> {
    if html.len() > MAX_HTML_BYTES {
        return Some(format!(
            "its HTML is {} bytes, over the {} bytes shown",
            html.len(),
            MAX_HTML_BYTES
        ));
    }
    let depth = nesting(html);
    (depth > MAX_HTML_DEPTH)
        .then(|| format!("its HTML nests {depth} elements deep, over the {MAX_HTML_DEPTH} shown"))
}

/// How deep `html`'s elements nest, roughly (a linear scan of tags: void
/// and self-closed elements open nothing; a closing tag closes one).
fn nesting(html: &str) -> usize {
    const VOID: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr",
    ];
    let bytes = html.as_bytes();
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut i = 0;
    while let Some(at) = bytes[i..].iter().position(|&b| b == b'<') {
        let start = i + at + 1;
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(bytes.len(), |p| start + p);
        let tag = &html[start..end];
        if let Some(rest) = tag.strip_prefix('/') {
            if rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
                depth = depth.saturating_sub(1);
            }
        } else if tag.starts_with(|c: char| c.is_ascii_alphabetic()) {
            let name: String = tag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            if !tag.ends_with('/') && !VOID.contains(&name.as_str()) {
                depth += 1;
                deepest = deepest.max(depth);
            }
        }
        i = end.min(bytes.len());
        if i >= bytes.len() {
            break;
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_counted_without_void_or_closed_elements() {
        assert_eq!(
            nesting("<p>a<br>b<img src=x/></p><div><div></div></div>"),
            2
        );
        assert_eq!(nesting(&"<div>".repeat(100_000)), 100_000);
        assert_eq!(nesting("plain text, 1 < 2"), 0);
        assert_eq!(nesting("<!-- c --><p>x</p>"), 1);
    }

    #[test]
    fn over_the_caps_is_refused_naming_the_cap() {
        assert!(
            over_caps(&"<div>".repeat(300)).is_some_and(|w| w.contains("nests 300 elements deep"))
        );
        assert!(over_caps(&"a".repeat(MAX_HTML_BYTES + 1)).is_some_and(|w| w.contains("bytes")));
        assert_eq!(over_caps("<p>hello</p>"), None);
    }

    #[tokio::test]
    async fn a_message_is_cleaned_once() {
        let cleaner = HtmlCleaner::default();
        let first = cleaner
            .clean(
                MessageId(1),
                "<p onclick=x>Hi<script>bad()</script></p>".into(),
            )
            .await;
        assert_eq!(first, Cleaned::Html("<p>Hi</p>".into()));
        // The cache answers, whatever the HTML given now.
        let again = cleaner.clean(MessageId(1), String::new()).await;
        assert_eq!(again, first);
    }
}

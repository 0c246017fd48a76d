//! How we answered this before: for a customer's message, the earlier
//! conversations most like it that we answered, found by the customer's
//! own words (not what they quote, not their signature) and shown with the
//! first lines of our reply.

use crate::{Archive, ArchiveError};
use casebook_policy::praise::own_words;
use casebook_search::{Expr, SearchOptions, Sort, TextField};
use casebook_vocabulary::{MessageId, ThreadId};
use std::collections::HashSet;

/// Words a query for similar mail leaves out: greetings, sign-offs and
/// the words every support message has.
const COMMON: &[&str] = &[
    "the",
    "and",
    "for",
    "our",
    "you",
    "your",
    "are",
    "was",
    "were",
    "has",
    "have",
    "had",
    "this",
    "that",
    "with",
    "from",
    "not",
    "but",
    "can",
    "could",
    "would",
    "will",
    "please",
    "thanks",
    "thank",
    "hello",
    "dear",
    "regards",
    "best",
    "kind",
    "since",
    "after",
    "again",
    "any",
    "all",
    "when",
    "what",
    "which",
    "there",
    "their",
    "they",
    "them",
    "then",
    "than",
    "also",
    "just",
    "now",
    "still",
    "here",
    "into",
    "only",
    "some",
    "one",
    "two",
    "does",
    "did",
    "its",
    "it's",
    "i'm",
    "we're",
    "don't",
    "doesn't",
    "hi",
    "help",
    "problem",
    "issue",
    "question",
    "today",
    "morning",
    "yesterday",
    "support",
    "team",
];
/// At most this many of the message's words make the query.
const MAX_WORDS: usize = 40;
/// Messages read from the index to find this many conversations.
const CANDIDATES_PER_ANSWER: usize = 10;
/// Characters of our reply shown.
const EXCERPT_CHARS: usize = 300;

/// An earlier conversation like the message asked about, which we answered.
#[derive(Debug, Clone, PartialEq)]
pub struct SimilarConversation {
    pub thread_id: ThreadId,
    /// The customer's message in it most like the one asked about.
    pub message_id: MessageId,
    pub subject: String,
    /// The index's relevance score (higher is closer).
    pub score: f32,
    /// Our reply to it.
    pub reply_id: MessageId,
    /// The first lines of our reply, in our own words.
    pub reply_excerpt: String,
}

/// The distinct words of `text` worth searching for: letters and digits,
/// three or more, not [`COMMON`], in the order they first appear.
fn telling_words(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '.' || c == '_'))
        .map(|w| {
            w.trim_matches(|c: char| c == '.' || c == '\'')
                .to_lowercase()
        })
        .filter(|w| w.chars().count() >= 3 && !COMMON.contains(&w.as_str()))
        .filter(|w| seen.insert(w.clone()))
        .take(MAX_WORDS)
        .collect()
}

/// The first lines of `text` up to [`EXCERPT_CHARS`], on a character
/// boundary.
fn excerpt(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let joined = lines.join(" ");
    match joined.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", joined[..cut].trim_end()),
        None => joined,
    }
}

impl Archive {
    /// The `limit` earlier conversations most like message `id` that we
    /// answered, closest first (another thread's customer message with a
    /// reply of ours paired with it).
    pub async fn similar(
        &self,
        id: MessageId,
        limit: usize,
    ) -> Result<Vec<SimilarConversation>, ArchiveError> {
        let Some(m) = self.message(id).await? else {
            return Err(ArchiveError::NotFound(format!(
                "there is no message {}",
                id.0
            )));
        };
        // Their own name (as they sign) says nothing about what they ask.
        let name: Vec<String> = m
            .summary
            .from_name
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let mut words = telling_words(&format!("{}\n{}", m.summary.subject, own_words(&m.body)));
        words.retain(|w| !name.contains(w));
        if words.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let mut parts = vec![
            Expr::Or(
                words
                    .into_iter()
                    .map(|text| Expr::Text {
                        field: TextField::Anywhere,
                        text,
                    })
                    .collect(),
            ),
            Expr::Answered(true),
        ];
        if let Some(thread) = m.summary.thread_id {
            parts.push(Expr::Not(Box::new(Expr::Thread(thread))));
        }
        let expr = self.resolve(Expr::And(parts)).await?;
        let options = SearchOptions {
            sort: Sort::Relevance,
            limit: limit.saturating_mul(CANDIDATES_PER_ANSWER).min(1_000),
            offset: 0,
            // Only the closest are wanted: uncounted, tantivy skips what
            // cannot reach them.
            counting: casebook_search::Counting::UpTo(0),
        };
        let found = self.index.search(&expr, &options)?;
        let ids: Vec<MessageId> = found.hits.iter().map(|h| h.id).collect();
        let summaries: std::collections::HashMap<MessageId, _> = self
            .store
            .summaries(&ids)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        // The best message of each thread, closest first.
        let mut threads = HashSet::new();
        let mut chosen = Vec::new();
        for hit in &found.hits {
            let Some(s) = summaries.get(&hit.id) else {
                continue;
            };
            let (Some(thread), Some(reply)) = (s.thread_id, s.reply_id) else {
                continue;
            };
            if threads.insert(thread) {
                chosen.push((s.clone(), thread, reply, hit.score));
                if chosen.len() == limit {
                    break;
                }
            }
        }
        let replies: Vec<MessageId> = chosen.iter().map(|(_, _, r, _)| *r).collect();
        let bodies = self.store.summaries_with_bodies(&replies).await?;
        Ok(chosen
            .into_iter()
            .map(|(s, thread_id, reply_id, score)| SimilarConversation {
                thread_id,
                message_id: s.id,
                subject: s.subject,
                score,
                reply_id,
                reply_excerpt: bodies
                    .iter()
                    .find(|(r, _)| r.id == reply_id)
                    .map(|(_, body)| excerpt(&own_words(body)))
                    .unwrap_or_default(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telling_words_leave_out_greetings_and_repeats() {
        assert_eq!(
            telling_words(
                "Hello, our SIP trunk to the carrier stopped. The trunk shows 401. Regards"
            ),
            ["sip", "trunk", "carrier", "stopped", "shows", "401"]
        );
    }

    #[test]
    fn excerpts_end_on_a_character() {
        let long = "é".repeat(400);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(
            excerpt("Dear Ann,\n\nRestart the trunk.\n"),
            "Dear Ann, Restart the trunk."
        );
    }
}

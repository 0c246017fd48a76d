//! Search results as conversations: the messages a query finds, grouped
//! by thread, each conversation shown with its customer, its state
//! (waiting for us, answered, automated only) and a passage of the
//! customer's own words — what an agent looks for, not which of the
//! messages quoting each other happened to match.

use crate::read::SearchRequest;
use crate::{Archive, ArchiveError};
use casebook_customers::normalize_address;
use casebook_policy::praise::own_words;
use casebook_search::{SearchOptions, Snippet};
use casebook_store::{ConversationOutline, MessageSummary};
use casebook_vocabulary::{Direction, MessageId, ThreadId};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Matching messages grouped into conversations, at most: a query
/// matching more is grouped over its first this many (in the order
/// asked), and the count of conversations says it is at least that.
/// Bounds a request's work whatever the archive's size.
pub const GROUPED_HITS: usize = 5_000;

/// Who a conversation is with, as the archive knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationCustomer {
    pub address: Option<String>,
    /// A corrected name, else the one their mail gives.
    pub name: Option<String>,
    /// From the first customer-list record that names them.
    pub company: Option<String>,
    /// The customer lists they are on (by address or company domain).
    pub lists: Vec<String>,
}

/// Where a conversation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationState {
    /// The customer wrote after our last message and nobody answered:
    /// since when (seconds since 1970, UTC).
    WaitingSince(i64),
    /// We answered; how long the first answer took, if it is known.
    Answered(Option<i64>),
    /// Only machines wrote (auto-replies, bounces, bulk mail).
    AutomatedOnly,
    /// Only we wrote.
    OursOnly,
    /// The customer wrote before our last message, which was not paired
    /// with theirs as its answer.
    Replied,
}

/// A conversation the query found.
#[derive(Debug, Clone)]
pub struct ConversationHit {
    pub thread_id: ThreadId,
    /// The subject of the customer's first message (of the best-matching
    /// message when they wrote none).
    pub subject: String,
    pub customer: ConversationCustomer,
    pub state: ConversationState,
    /// Its messages, copies not counted.
    pub messages: u64,
    /// Of them, how many the query matched (among those grouped).
    pub matching: u64,
    /// The best-matching message (first in the order asked).
    pub best: MessageId,
    /// The message the snippet is from: the first of the customer's
    /// matching messages whose own words match, else their first message,
    /// else the best-matching.
    pub snippet_from: MessageId,
    /// When its newest message was written (seconds since 1970, UTC).
    pub last_date: Option<i64>,
    /// A passage of the customer's own words (never what they quote or
    /// their signature), with the query's words marked.
    pub snippet: Snippet,
}

/// A page of conversations.
#[derive(Debug, Clone)]
pub struct ConversationPage {
    /// Messages matching in all; at least this many when
    /// `messages_is_lower_bound`.
    pub messages: usize,
    /// Whether counting stopped at the request's bound.
    pub messages_is_lower_bound: bool,
    /// Conversations among the grouped hits.
    pub total: usize,
    /// Whether more messages matched than were grouped, so `total` is a
    /// lower bound.
    pub total_is_lower_bound: bool,
    pub hits: Vec<ConversationHit>,
    pub took: Duration,
}

/// A conversation being gathered from the hits.
struct Group {
    thread: ThreadId,
    hits: Vec<MessageId>,
    matching: u64,
}

/// The customer's matching messages a conversation's snippet is looked
/// for in (the first whose own words match is shown).
const SNIPPET_CANDIDATES: usize = 5;

/// Hits of one conversation kept to choose its snippet from.
const HITS_KEPT_PER_CONVERSATION: usize = 20;

/// Hashes the archive's own numbers (threads, here) with one
/// multiplication: grouping 5,000 hits by thread spent more time in the
/// standard library's SipHash than in the rest of the grouping. The
/// numbers are the store's, not chosen by anyone sending mail, so there
/// is no flooding of one bucket to guard against.
#[derive(Clone, Copy, Default)]
struct NumberHash;

impl std::hash::BuildHasher for NumberHash {
    type Hasher = NumberHasher;
    fn build_hasher(&self) -> NumberHasher {
        NumberHasher(0)
    }
}

struct NumberHasher(u64);

impl std::hash::Hasher for NumberHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        // Knuth's multiplicative hashing: the high bits, which the table
        // uses, depend on every bit of the number.
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl Archive {
    /// The conversations whose messages match `request.query`, in the
    /// order of their best-matching message; `limit` and `offset` count
    /// conversations.
    pub async fn search_conversations(
        &self,
        request: &SearchRequest,
    ) -> Result<ConversationPage, ArchiveError> {
        let started = Instant::now();
        let expr = self.parsed_query(&request.query).await?;
        let options = SearchOptions {
            sort: request.sort,
            limit: GROUPED_HITS,
            offset: 0,
            counting: request.counting,
        };
        let found = self.index.search(&expr, &options)?;
        let ids: Vec<MessageId> = found.hits.iter().map(|h| h.id).collect();
        let threads = self.threads_of_hits(&ids).await?;
        let mut groups: Vec<Group> = Vec::new();
        let mut at: HashMap<ThreadId, usize, NumberHash> =
            HashMap::with_capacity_and_hasher(threads.len(), NumberHash);
        for (id, thread) in threads {
            let i = *at.entry(thread).or_insert_with(|| {
                groups.push(Group {
                    thread,
                    hits: Vec::new(),
                    matching: 0,
                });
                groups.len() - 1
            });
            let g = &mut groups[i];
            g.matching += 1;
            if g.hits.len() < HITS_KEPT_PER_CONVERSATION {
                g.hits.push(id);
            }
        }
        let total = groups.len();
        let page: Vec<Group> = groups
            .into_iter()
            .skip(request.offset)
            .take(request.limit)
            .collect();
        let outlines: HashMap<ThreadId, ConversationOutline> = self
            .store
            .conversation_outlines(&page.iter().map(|g| g.thread).collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|o| (o.thread_id, o))
            .collect();
        // Every message a conversation's line is made from, read at once.
        let mut wanted: Vec<MessageId> = page.iter().flat_map(|g| g.hits.clone()).collect();
        wanted.extend(outlines.values().filter_map(|o| o.first_customer));
        wanted.sort();
        wanted.dedup();
        let summaries: HashMap<MessageId, MessageSummary> = self
            .store
            .summaries(&wanted)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let mut chosen = Vec::with_capacity(page.len());
        for g in page {
            let Some(outline) = outlines.get(&g.thread) else {
                continue; // erased since the index was read
            };
            let Some(best) = g.hits.iter().find_map(|id| summaries.get(id)) else {
                continue;
            };
            let customer_hits: Vec<&MessageSummary> = g
                .hits
                .iter()
                .filter_map(|id| summaries.get(id))
                .filter(|s| s.direction == Direction::Inbound)
                .take(SNIPPET_CANDIDATES)
                .collect();
            let first_customer = outline.first_customer.and_then(|id| summaries.get(&id));
            // The snippet is the first of these whose own words match.
            let mut candidates: Vec<MessageId> = customer_hits.iter().map(|s| s.id).collect();
            candidates.extend(first_customer.map(|s| s.id));
            if candidates.is_empty() {
                candidates.push(best.id);
            }
            let customer_of = first_customer
                .or(customer_hits.first().copied())
                .unwrap_or(best);
            chosen.push((g.matching, best, candidates, customer_of, outline));
        }
        let mut from: Vec<MessageId> = chosen
            .iter()
            .flat_map(|(_, _, c, _, _)| c.iter().copied())
            .collect();
        from.sort();
        from.dedup();
        // The customer's own words are looked for in each text's opening
        // (they write above what they quote).
        let openings = self.openings_of(&from).await?;
        let customers = self
            .customers_of(&chosen.iter().map(|c| c.3).collect::<Vec<_>>())
            .await?;
        let mut hits = Vec::with_capacity(chosen.len());
        for ((matching, best, candidates, customer_of, outline), customer) in
            chosen.into_iter().zip(customers)
        {
            // The first candidate whose own words match, else the first:
            // made one at a time, as far as the first that matches (made
            // for every candidate, snippets were a tenth of a loaded
            // search page's time at a million messages).
            let mut first = None;
            let mut matching_snippet = None;
            for &id in &candidates {
                let own = openings.get(&id).map(|t| own_words(t)).unwrap_or_default();
                let snippet = found.snippet(&own);
                if !snippet.highlights.is_empty() {
                    matching_snippet = Some((id, snippet));
                    break;
                }
                first.get_or_insert((id, snippet));
            }
            let Some((snippet_from, snippet)) = matching_snippet.or(first) else {
                continue;
            };
            hits.push(ConversationHit {
                thread_id: outline.thread_id,
                subject: customer_of.subject.clone(),
                customer,
                state: state_of(outline),
                messages: outline.messages,
                matching,
                best: best.id,
                snippet_from,
                last_date: outline.last_date,
                snippet,
            });
        }
        Ok(ConversationPage {
            messages: found.total,
            messages_is_lower_bound: found.total_is_lower_bound,
            total,
            total_is_lower_bound: found.total > ids.len() || found.total_is_lower_bound,
            hits,
            took: started.elapsed(),
        })
    }

    /// The customer each of `messages` is to or from — address, name (a
    /// corrected one first, then what their own mail says, then a
    /// customer list's), company and lists — in order, in a few
    /// statements whatever their number (a page of the queue or of search
    /// results took eight statements a line).
    pub async fn customers_of(
        &self,
        messages: &[&MessageSummary],
    ) -> Result<Vec<ConversationCustomer>, ArchiveError> {
        let addresses: Vec<Option<String>> = messages
            .iter()
            .map(|m| m.correspondent.as_deref().and_then(normalize_address))
            .collect();
        let known: Vec<String> = addresses.iter().flatten().cloned().collect();
        let people = self.store.people_addresses(&known).await?;
        let mut everyone: Vec<String> = people.iter().flatten().cloned().collect();
        everyone.sort();
        everyone.dedup();
        let matches = self.matches_for(&everyone, None).await?;
        let corrections = self.store.corrections_of(&everyone).await?;
        let mut people = people.into_iter();
        let mut out = Vec::with_capacity(messages.len());
        for (m, address) in messages.iter().zip(addresses) {
            // Our own message's display name is our agent's, not theirs.
            let their_name = match m.direction {
                Direction::Inbound => m.from_name.clone().filter(|n| !n.trim().is_empty()),
                Direction::Outbound | Direction::Automated => None,
            };
            let Some(address) = address else {
                out.push(ConversationCustomer {
                    address: m.correspondent.clone(),
                    name: their_name,
                    company: None,
                    lists: Vec::new(),
                });
                continue;
            };
            let person = people.next().unwrap_or_default();
            // Their matches in the order of their addresses, as one
            // person's lookup gives them.
            let theirs: Vec<&crate::CustomerMatch> = person
                .iter()
                .flat_map(|a| matches.iter().filter(move |c| &c.correspondent == a))
                .collect();
            let mut lists: Vec<String> = theirs.iter().map(|c| c.record.list.clone()).collect();
            lists.sort();
            lists.dedup();
            let corrected = corrections
                .iter()
                .filter(|c| c.field == "name" && person.contains(&c.address))
                .max_by_key(|c| c.corrected_at)
                .map(|c| c.value.clone());
            let recorded_name = theirs.iter().find_map(|c| c.record.name.clone());
            out.push(ConversationCustomer {
                company: theirs.iter().find_map(|c| c.record.company.clone()),
                name: corrected.or(their_name).or(recorded_name),
                address: Some(address),
                lists,
            });
        }
        Ok(out)
    }
}

/// Where a conversation stands, from its numbers.
fn state_of(o: &ConversationOutline) -> ConversationState {
    if let Some(since) = o.waiting_since {
        ConversationState::WaitingSince(since)
    } else if o.answered {
        ConversationState::Answered(o.first_response_secs)
    } else if o.from_customer > 0 {
        ConversationState::Replied
    } else if o.ours > 0 {
        ConversationState::OursOnly
    } else {
        ConversationState::AutomatedOnly
    }
}

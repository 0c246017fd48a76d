//! The conversations waiting for us, oldest first: where an agent starts
//! the day. A conversation waits when its customer has written since our
//! last reply and no reply of ours is paired with what they wrote.

use crate::filter_sets::Wanted;
use crate::kept_waiting::{self, KeptWaiting};
use crate::ConversationCustomer;
use crate::{Archive, ArchiveError};
use casebook_store::{Waiting, WaitingFilter};
use casebook_vocabulary::{MessageId, ThreadId};
use std::collections::HashSet;
use std::sync::Arc;

/// Which waiting conversations to show, and which page of them.
#[derive(Debug, Clone)]
pub struct QueueRequest {
    /// Only customers on this list (`customer:LIST`).
    pub list: Option<String>,
    /// Only conversations with a message carrying this tag.
    pub tag: Option<String>,
    /// Only conversations about this topic (as statistics name them).
    pub topic: Option<String>,
    pub limit: usize,
    pub offset: usize,
}

impl Default for QueueRequest {
    fn default() -> Self {
        Self {
            list: None,
            tag: None,
            topic: None,
            limit: 50,
            offset: 0,
        }
    }
}

/// A conversation waiting for our reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntry {
    pub thread_id: ThreadId,
    /// The subject of the customer's latest message.
    pub subject: String,
    pub customer: ConversationCustomer,
    /// When the first customer message we have not answered arrived
    /// (seconds since 1970, UTC).
    pub waiting_since: i64,
    /// Customer messages written since our last reply.
    pub waiting_messages: u64,
    /// The customer's latest message.
    pub latest: MessageId,
}

/// A page of the queue and how many conversations wait in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePage {
    pub total: u64,
    pub entries: Vec<QueueEntry>,
}

impl Archive {
    /// The conversations waiting for us, oldest waiting first.
    pub async fn queue(&self, request: &QueueRequest) -> Result<QueuePage, ArchiveError> {
        let tag = match &request.tag {
            Some(raw) => Some(casebook_search::normalize_tag(raw).ok_or_else(|| {
                ArchiveError::Refused(format!(
                    "{raw:?} is not a tag: letters, digits and - _ . / only"
                ))
            })?),
            None => None,
        };
        let topic = match &request.topic {
            Some(raw) => {
                let wanted = raw.trim().to_lowercase();
                let known: Vec<&str> = casebook_policy::topic::topic_names().collect();
                if !known.contains(&wanted.as_str()) {
                    return Err(ArchiveError::Refused(format!(
                        "there is no topic {raw:?}; the topics are {}",
                        known.join(", ")
                    )));
                }
                Some(wanted)
            }
            None => None,
        };
        let all = match (&tag, &topic) {
            (None, None) => self.waiting_conversations().await?,
            _ => {
                let filter = WaitingFilter {
                    tag: tag.as_deref(),
                    topic: topic.as_deref(),
                };
                Arc::new(self.store.waiting(&filter).await?)
            }
        };
        let in_list = match &request.list {
            Some(list) => {
                let lists = [Some(list.clone())];
                let found = self
                    .filter_sets(Wanted {
                        answered: false,
                        lists: &lists,
                    })
                    .await?;
                Some(found.customers.get(&lists[0]).cloned().unwrap_or_default())
            }
            None => None,
        };
        let wanted = |w: &&Waiting| in_list.as_ref().is_none_or(|set| set.contains(w.last));
        let total = all.iter().filter(wanted).count() as u64;
        let page: Vec<Waiting> = all
            .iter()
            .filter(wanted)
            .skip(request.offset)
            .take(request.limit)
            .cloned()
            .collect();
        let latest: Vec<MessageId> = page.iter().map(|w| w.last).collect();
        let summaries: std::collections::HashMap<MessageId, _> = self
            .store
            .summaries(&latest)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        // Removed since the queue was read: left out.
        let shown: Vec<_> = page
            .into_iter()
            .filter_map(|w| summaries.get(&w.last).map(|m| (w, m)))
            .collect();
        let customers = self
            .customers_of(&shown.iter().map(|(_, m)| *m).collect::<Vec<_>>())
            .await?;
        let entries = shown
            .into_iter()
            .zip(customers)
            .map(|((w, m), customer)| QueueEntry {
                thread_id: w.thread_id,
                subject: m.subject.clone(),
                customer,
                waiting_since: w.since,
                waiting_messages: w.messages,
                latest: w.last,
            })
            .collect();
        Ok(QueuePage { total, entries })
    }
}

/// Messages changed since the kept list was read above which the list is
/// read again whole instead of worked out again for their conversations
/// (a recount of one conversation costs about what reading 20 waiting
/// messages does).
const MOST_CHANGED: usize = 20_000;

impl Archive {
    /// Every conversation waiting for us, oldest first: the list this
    /// process or the last one kept, as it is while the store's marks have
    /// not moved since it was read, or worked out again for the
    /// conversations of the messages written since; read again whole
    /// when messages were removed or people merged (what no row shows) or
    /// too many changed. Kept for the next queue.
    async fn waiting_conversations(&self) -> Result<Arc<Vec<Waiting>>, ArchiveError> {
        let marks = self.store.filter_marks().await?;
        let identity = self.store.identity();
        let mut kept = self.waiting.kept.lock().await;
        if kept.is_none() {
            *kept = kept_waiting::read(&self.index_dir, identity).await;
        }
        let mut updated = None;
        if let Some(k) = &*kept {
            if (k.writes, k.stats) == (marks.writes, marks.stats) {
                return Ok(k.waiting.clone());
            }
            if k.stats == marks.stats && k.writes < marks.writes {
                updated = self.waiting_updated(k).await?;
            }
        }
        // Read after the marks: a write between the two leaves the list
        // newer than its marks, and the next queue works it out again.
        let waiting = match updated {
            Some(list) => Arc::new(list),
            None => Arc::new(self.store.waiting(&WaitingFilter::default()).await?),
        };
        let fresh = KeptWaiting {
            writes: marks.writes,
            stats: marks.stats,
            waiting: waiting.clone(),
        };
        kept_waiting::write(&self.index_dir, identity, &fresh).await;
        *kept = Some(fresh);
        Ok(waiting)
    }

    /// `kept` worked out again for the conversations of the messages
    /// written since it was read (a message moved to another conversation
    /// records the write in those left behind too, so the conversation it
    /// left is among them; one it emptied is found by its latest message);
    /// `None` when too many changed.
    async fn waiting_updated(
        &self,
        kept: &KeptWaiting,
    ) -> Result<Option<Vec<Waiting>>, ArchiveError> {
        let Some(changed) = self.store.written_since(kept.writes, MOST_CHANGED).await? else {
            return Ok(None);
        };
        let ids: HashSet<MessageId> = changed.iter().map(|c| c.id).collect();
        let mut threads: HashSet<ThreadId> = changed.iter().filter_map(|c| c.thread_id).collect();
        threads.extend(
            kept.waiting
                .iter()
                .filter(|w| ids.contains(&w.last))
                .map(|w| w.thread_id),
        );
        let again: Vec<ThreadId> = threads.iter().copied().collect();
        let recounted = self.store.waiting_in(&again).await?;
        let mut waiting: Vec<Waiting> = kept
            .waiting
            .iter()
            .filter(|w| !threads.contains(&w.thread_id))
            .cloned()
            .chain(recounted)
            .collect();
        waiting.sort_by_key(|w| (w.since, w.thread_id.0));
        Ok(Some(waiting))
    }
}

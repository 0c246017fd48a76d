//! The conversations waiting for us, oldest first: where an agent starts
//! the day. A conversation waits when its customer has written since our
//! last reply and no reply of ours is paired with what they wrote.

use crate::filter_sets::Wanted;
use crate::ConversationCustomer;
use crate::{Archive, ArchiveError};
use casebook_store::WaitingFilter;
use casebook_vocabulary::{MessageId, ThreadId};

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
        let filter = WaitingFilter {
            tag: tag.as_deref(),
            topic: topic.as_deref(),
        };
        let mut waiting = self.store.waiting(&filter).await?;
        if let Some(list) = &request.list {
            let lists = [Some(list.clone())];
            let found = self
                .filter_sets(Wanted {
                    answered: false,
                    lists: &lists,
                })
                .await?;
            match found.customers.get(&lists[0]) {
                Some(set) => waiting.retain(|w| set.contains(w.last)),
                None => waiting.clear(),
            }
        }
        let total = waiting.len() as u64;
        let page: Vec<_> = waiting
            .into_iter()
            .skip(request.offset)
            .take(request.limit)
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

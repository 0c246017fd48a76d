//! Documents handed to the index writer but not indexed yet, held to a
//! number of bytes.
//!
//! tantivy's writer queues up to 10,000 documents for its threads, however
//! large they are: while its threads fall behind (a busy machine, a large
//! catch-up), the queue held ~100 MB of 30,000 small messages' text, and
//! would hold 10,000 times a message's text limit (1 MiB each by default)
//! of hostile mail. Each document here carries a ticket for its bytes,
//! given back when tantivy's thread has indexed and dropped it; the feeder
//! waits while the tickets out would pass the budget.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use tantivy::schema::document::Document;
use tantivy::TantivyDocument;

/// Bytes of documents queued for the writer's threads at most (one larger
/// document is let through alone).
pub(crate) const IN_FLIGHT_BYTES: usize = 8 * 1024 * 1024;

/// What a queued document costs beyond its text: tantivy's own form of it
/// (its values' addresses and the vector holding them).
const DOC_OVERHEAD: usize = 256;

/// The bytes out, shared by the feeder and the documents it queued.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    out: Mutex<usize>,
    returned: Condvar,
}

impl InFlight {
    pub(crate) fn new() -> Arc<InFlight> {
        Arc::new(InFlight::default())
    }

    /// Waits until `doc` fits in `budget` bytes beside the documents
    /// queued (or nothing is queued), then counts it out.
    pub(crate) fn admit(
        self: &Arc<Self>,
        doc: TantivyDocument,
        bytes: usize,
        budget: usize,
    ) -> InFlightDoc {
        let bytes = bytes + DOC_OVERHEAD;
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        while *out > 0 && *out + bytes > budget {
            out = self
                .returned
                .wait(out)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *out += bytes;
        InFlightDoc {
            doc,
            _ticket: Ticket {
                bytes,
                owner: Arc::clone(self),
            },
        }
    }

    /// Bytes queued now.
    #[cfg(test)]
    pub(crate) fn out(&self) -> usize {
        *self.out.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A document's bytes, counted out until it is dropped.
#[derive(Debug)]
struct Ticket {
    bytes: usize,
    owner: Arc<InFlight>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut out = self
            .owner
            .out
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *out = out.saturating_sub(self.bytes);
        drop(out);
        self.owner.returned.notify_all();
    }
}

/// A document as the writer queues it: tantivy's own, with its ticket.
#[derive(Debug)]
pub(crate) struct InFlightDoc {
    doc: TantivyDocument,
    _ticket: Ticket,
}

impl Document for InFlightDoc {
    type Value<'a> = <TantivyDocument as Document>::Value<'a>;
    type FieldsValuesIter<'a> = <TantivyDocument as Document>::FieldsValuesIter<'a>;

    fn iter_fields_and_values(&self) -> Self::FieldsValuesIter<'_> {
        self.doc.iter_fields_and_values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn the_feeder_waits_while_the_budget_is_out_and_goes_on_when_a_document_is_dropped() {
        let in_flight = InFlight::new();
        let first = in_flight.admit(TantivyDocument::default(), 600, 1_000);
        assert_eq!(in_flight.out(), 600 + DOC_OVERHEAD);
        let (sent, admitted) = mpsc::channel();
        let feeder = {
            let in_flight = Arc::clone(&in_flight);
            std::thread::spawn(move || {
                let second = in_flight.admit(TantivyDocument::default(), 600, 1_000);
                sent.send(()).expect("the test waits");
                second
            })
        };
        assert!(
            admitted.recv_timeout(Duration::from_millis(200)).is_err(),
            "a second document past the budget waits"
        );
        drop(first);
        admitted
            .recv_timeout(Duration::from_secs(30))
            .expect("admitted once the first is indexed");
        let second = feeder.join().expect("the feeder ends");
        assert_eq!(in_flight.out(), 600 + DOC_OVERHEAD);
        drop(second);
        assert_eq!(in_flight.out(), 0);
    }

    #[test]
    fn a_document_larger_than_the_budget_goes_alone() {
        let in_flight = InFlight::new();
        let large = in_flight.admit(TantivyDocument::default(), 5_000, 1_000);
        assert_eq!(in_flight.out(), 5_000 + DOC_OVERHEAD);
        drop(large);
        assert_eq!(in_flight.out(), 0);
    }
}

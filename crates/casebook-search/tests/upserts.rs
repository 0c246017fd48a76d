//! Replacing documents batch after batch, as the archive's index catch-up
//! does after every write: each message stays in the index exactly once.

use casebook_search::{Checkpoint, IndexDoc, SearchIndex};
use casebook_vocabulary::{Direction, MessageId};
use std::collections::HashSet;

fn doc(id: i64, round: usize) -> IndexDoc {
    IndexDoc {
        id: MessageId(id),
        date: Some(1_700_000_000 + id),
        direction: if id % 2 == 0 {
            Direction::Inbound
        } else {
            Direction::Outbound
        },
        from: format!("customer{}@example.com", id % 97),
        to: "support@casebook.example".into(),
        subject: format!("SIP trunk {id} round {round}"),
        body: format!(
            "Voicemail {id} drops after {round} seconds; dialplan context {} {}",
            id * 7,
            "registration timeout ".repeat((id % 13) as usize)
        ),
        has_attachment: id % 5 == 0,
        tags: vec![],
    }
}

#[test]
fn messages_replaced_over_many_batches_are_held_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut next_id = 1;
    for round in 0..24 {
        // A fresh handle now and then, as each casebook process opens its own.
        let index = SearchIndex::open(dir.path()).expect("index opens");
        let mut batch = index.batch().expect("writer");
        // Some of the messages so far are replaced (an upsert deletes, then
        // adds: their thread or tags changed) and new ones arrive, in id
        // order like the catch-up.
        let recent = next_id - 400;
        for id in
            (1..next_id).filter(|&id| (id >= recent && id % 2 == 0) || id % 97 == round as i64)
        {
            batch.upsert(&doc(id, round)).expect("upsert");
        }
        for id in next_id..next_id + 400 {
            batch.upsert(&doc(id, round)).expect("add");
        }
        next_id += 400;
        batch
            .commit(&Checkpoint {
                store: "s".into(),
                seq: round as u64 + 1,
            })
            .expect("commit");
        let ids = index.ids().expect("ids");
        let distinct: HashSet<_> = ids.iter().collect();
        assert_eq!(
            (ids.len(), distinct.len()),
            ((next_id - 1) as usize, (next_id - 1) as usize),
            "round {round}: each message once"
        );
        assert!(
            index.segment_count() <= 12,
            "round {round}: segments are merged, {} left",
            index.segment_count()
        );
    }
}

/// A commit that merges segments removes the merged ones' files then, not
/// at the next commit: right after a large import they were half the
/// index on disk.
#[test]
fn merged_segments_leave_no_files_behind() {
    let dir = tempfile::tempdir().expect("temp dir");
    let index = SearchIndex::open(dir.path()).expect("index opens");
    for round in 0..8 {
        let mut batch = index.batch().expect("writer");
        batch.add(&doc(round + 1, 0)).expect("add");
        batch
            .commit(&Checkpoint {
                store: "s".into(),
                seq: round as u64 + 1,
            })
            .expect("commit");
    }
    assert_eq!(
        index.segment_count(),
        1,
        "the eighth commit merged all eight"
    );
    let segment_stores = std::fs::read_dir(dir.path())
        .expect("index dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".store"))
        .count();
    assert_eq!(
        segment_stores,
        index.segment_count(),
        "only the live segment's files are on disk"
    );
}

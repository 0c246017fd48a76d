//! An index written by an earlier version, with other fields, is made
//! again instead of refusing to open (the archive then fills it from the
//! store: it has no checkpoint).

use casebook_search::{parse_query, Checkpoint, IndexDoc, SearchIndex, SearchOptions};
use casebook_vocabulary::{Direction, MessageId};
use tantivy::schema::{Schema, INDEXED, STRING};
use tantivy::{doc, Index, IndexWriter};

#[test]
fn an_index_with_other_fields_is_made_again_and_refilled() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        // What Casebook before this version wrote: a `thread` field too.
        let mut b = Schema::builder();
        let id = b.add_u64_field("id", INDEXED);
        let thread = b.add_u64_field("thread", INDEXED);
        let flags = b.add_text_field("flags", STRING);
        let index = Index::create_in_dir(dir.path(), b.build()).expect("old index");
        let mut writer: IndexWriter = index.writer(15_000_000).expect("writer");
        writer
            .add_document(doc!(id => 1u64, thread => 1u64, flags => "unanswered"))
            .expect("add");
        let mut prepared = writer.prepare_commit().expect("prepare");
        prepared.set_payload("old-store 7");
        prepared.commit().expect("commit");
    }

    let index = SearchIndex::open(dir.path()).expect("an old index opens");
    assert_eq!(index.doc_count(), 0, "nothing of the old index is left");
    assert_eq!(
        index.checkpoint().expect("meta"),
        None,
        "so it is filled from the store"
    );

    let mut batch = index.batch().expect("writer");
    batch
        .add(&IndexDoc {
            id: MessageId(1),
            date: Some(1_700_000_000),
            direction: Direction::Inbound,
            from: "ann@customer.example".into(),
            to: "support@casebook.example".into(),
            subject: "Voicemail PIN reset".into(),
            body: "The voicemail PIN no longer works".into(),
            has_attachment: false,
            tags: Vec::new(),
        })
        .expect("add");
    let caught_up = Checkpoint {
        store: "new-store".into(),
        seq: 1,
    };
    batch.commit(&caught_up).expect("commit");
    let found = index
        .search(
            &parse_query("voicemail").expect("query"),
            &SearchOptions::default(),
        )
        .expect("search");
    assert_eq!(found.total, 1);
    drop(index);
    let reopened = SearchIndex::open(dir.path()).expect("reopens as it is");
    assert_eq!(reopened.doc_count(), 1, "an index of this version is kept");
    assert_eq!(reopened.checkpoint().expect("meta"), Some(caught_up));
}

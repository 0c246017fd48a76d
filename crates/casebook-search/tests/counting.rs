//! Counting matches up to a bound: a server's search says "at least N"
//! rather than visit every match, and says it only when more matched.

use casebook_search::{
    parse_query, Checkpoint, Counting, IndexDoc, SearchIndex, SearchOptions, Sort,
};
use casebook_vocabulary::{Direction, MessageId};

const MESSAGES: i64 = 12_000;

/// Enough messages that a newest-first search reads a window of the
/// newest, not all of them: every one says `every`, a third `third`,
/// twelve `rare`; dated in no order. A hundred and twenty are then indexed again (a
/// deleted copy left behind each), and must not be counted twice.
fn index(dir: &std::path::Path) -> SearchIndex {
    let index = SearchIndex::open(dir).expect("index opens");
    let doc = |n: i64| {
        let mut words = vec!["every"];
        if n % 3 == 0 {
            words.push("third");
        }
        if n % 1_000 == 0 {
            words.push("rare");
        }
        IndexDoc {
            id: MessageId(n),
            date: Some(1_700_000_000 + (n * 7_919) % MESSAGES),
            direction: Direction::Inbound,
            from: "ann@example.com".into(),
            to: String::new(),
            subject: String::new(),
            body: words.join(" "),
            has_attachment: false,
            tags: Vec::new(),
        }
    };
    let mut batch = index.batch().expect("writer");
    for n in 1..=MESSAGES {
        batch.add(&doc(n)).expect("add");
    }
    let first = Checkpoint {
        store: "s".into(),
        seq: 1,
    };
    batch.commit(&first).expect("commit");
    let mut batch = index.batch().expect("writer");
    for n in (1..=MESSAGES).step_by(100) {
        batch.upsert(&doc(n)).expect("upsert");
    }
    let second = Checkpoint {
        store: "s".into(),
        seq: 2,
    };
    batch.commit(&second).expect("commit");
    assert!(index.deleted_count() >= 100, "copies left behind");
    index
}

fn search(
    index: &SearchIndex,
    query: &str,
    sort: Sort,
    counting: Counting,
) -> (usize, bool, Vec<i64>) {
    let options = SearchOptions {
        sort,
        counting,
        ..SearchOptions::default()
    };
    let found = index
        .search(&parse_query(query).expect("query"), &options)
        .expect("search");
    (
        found.total,
        found.total_is_lower_bound,
        found.hits.iter().map(|h| h.id.0).collect(),
    )
}

#[test]
fn a_bounded_count_says_at_least_only_when_more_matched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let index = index(dir.path());
    let newest = |q: &str, c| search(&index, q, Sort::NewestFirst, c);

    let (every, exact, newest_twenty) = newest("every", Counting::Every);
    assert_eq!((every, exact), (12_000, false), "every match, once");
    assert_eq!(newest_twenty.len(), 20);
    let (total, at_least, hits) = newest("every", Counting::UpTo(100));
    assert_eq!((total, at_least), (100, true));
    assert_eq!(hits, newest_twenty, "the same newest, counted or not");

    assert_eq!(newest("third", Counting::UpTo(5_000)).0, 4_000);
    assert!(!newest("third", Counting::UpTo(5_000)).1, "all counted");
    assert_eq!(
        newest("third", Counting::UpTo(4_000)),
        newest("third", Counting::Every),
        "exactly as many as the bound: not \"at least\""
    );
    assert_eq!(newest("third", Counting::UpTo(3_999)).0, 3_999);
    assert!(newest("third", Counting::UpTo(3_999)).1);
    assert_eq!(
        newest("rare", Counting::UpTo(5)),
        newest("rare", Counting::Every)
    );
    assert_eq!(newest("rare", Counting::Every).0, 12);

    let relevant = |c| search(&index, "third", Sort::Relevance, c);
    let (total, at_least, hits) = relevant(Counting::UpTo(50));
    assert_eq!((total, at_least, hits.len()), (50, true, 20));
    assert_eq!(relevant(Counting::Every).0, 4_000);
    assert!(!relevant(Counting::Every).1);
}

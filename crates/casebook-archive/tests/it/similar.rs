//! How we answered this before, measured on a generated corpus whose
//! conversations carry a known topic: the share of customer questions
//! whose three closest answered conversations include one on the same
//! topic.

use crate::{import, keys, open};
use casebook_archive::MessageId;
use casebook_corpus::{generate, Profile, Spec, Truth};
use std::collections::HashMap;

async fn share_with_the_same_topic(profile: Profile) -> (f64, usize) {
    let corpus = tempfile::tempdir().expect("tempdir");
    let spec = Spec {
        messages: 1500,
        seed: 13,
        profile,
    };
    let truth: Truth = generate(&spec, corpus.path()).expect("corpus");
    let data = tempfile::tempdir().expect("tempdir");
    let archive = open(data.path()).await;
    import(&archive, &[corpus.path().join("Maildir")]).await;
    let ids = keys(&archive).await;
    let topic_of_id: HashMap<MessageId, &str> = truth
        .messages
        .iter()
        .map(|m| (ids[&m.key], m.topic.as_str()))
        .collect();
    // Every conversation's opening question (not a copy, not a bounce).
    let mut first_of_thread = HashMap::new();
    for m in &truth.messages {
        first_of_thread.entry(m.thread).or_insert(m);
    }
    let questions: Vec<_> = first_of_thread
        .values()
        .filter(|m| m.direction == "inbound" && m.copy_of.is_none() && m.foreign_word.is_none())
        .take(150)
        .collect();
    let mut same = 0;
    for q in &questions {
        let found = archive.similar(ids[&q.key], 3).await.expect("similar");
        assert!(
            found.iter().all(|s| !s.reply_excerpt.contains('>')),
            "our reply's own words, not what it quotes: {found:?}"
        );
        if found
            .iter()
            .any(|s| topic_of_id.get(&s.message_id) == Some(&q.topic.as_str()))
        {
            same += 1;
        }
    }
    (same as f64 / questions.len() as f64, questions.len())
}

#[tokio::test(flavor = "multi_thread")]
async fn similar_conversations_share_the_question_s_topic() {
    for profile in [Profile::Compact, Profile::Realistic] {
        let (share, asked) = share_with_the_same_topic(profile).await;
        eprintln!("{profile:?}: {share:.3} of {asked} questions have a same-topic conversation in their top 3");
        assert!(
            share >= 0.9,
            "{profile:?}: only {share:.3} of {asked} questions found a conversation on their topic in the top 3"
        );
    }
}

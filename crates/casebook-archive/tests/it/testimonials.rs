//! Testimonials on the generated corpus and through every state change.

use crate::{import, keys, open};
use casebook_archive::{Approval, Archive, Consent, MessageId, SearchRequest, TestimonialFilter};
use casebook_corpus::{generate, Spec};
use std::collections::{HashMap, HashSet};

const ACTOR: &str = "test:approver";

#[tokio::test(flavor = "multi_thread")]
async fn suggestions_find_praise_with_permission_and_little_else() {
    let corpus = tempfile::tempdir().expect("tempdir");
    let truth = generate(
        &Spec {
            messages: 3000,
            seed: 5,
        },
        corpus.path(),
    )
    .expect("corpus");
    let data = tempfile::tempdir().expect("tempdir");
    let archive = open(data.path()).await;
    import(&archive, &[corpus.path().join("Maildir")]).await;
    let key_of: HashMap<MessageId, String> = keys(&archive)
        .await
        .into_iter()
        .map(|(k, id)| (id, k))
        .collect();
    let praise: HashSet<&str> = truth
        .messages
        .iter()
        .filter(|m| m.praise)
        .map(|m| m.key.as_str())
        .collect();
    let with_permission: HashSet<&str> = truth
        .messages
        .iter()
        .filter(|m| m.praise && m.permission)
        .map(|m| m.key.as_str())
        .collect();
    assert!(with_permission.len() > 20, "the corpus has praise to find");

    let suggested: HashSet<String> = archive
        .suggest_testimonials()
        .await
        .expect("suggest")
        .iter()
        .filter_map(|s| key_of.get(&s.message.id).cloned())
        .collect();
    let found = with_permission
        .iter()
        .filter(|k| suggested.contains(**k))
        .count();
    let recall = found as f64 / with_permission.len() as f64;
    let right = suggested
        .iter()
        .filter(|k| praise.contains(k.as_str()))
        .count();
    let precision = right as f64 / suggested.len().max(1) as f64;
    assert!(
        recall >= 0.9,
        "suggested {found} of {} with permission",
        with_permission.len()
    );
    assert!(
        precision >= 0.8,
        "{right} of {} suggestions are praise",
        suggested.len()
    );
}

const PRAISE: &[u8] = b"From: Ann Lee <ann@customer.example>\nTo: support@casebook.example\n\
Subject: Re: Trunk down\nMessage-ID: <praise1@customer.example>\nDate: Tue, 1 Jul 2008 15:00:00 +0000\n\n\
Hi Sam,\n\nExcellent work! Your engineers are\nfantastic \xe2\x80\x94 the trunk is up.\n\
Feel free to quote me on your website.\n\nAnn\n\n> Please restart the trunk.\n";
const OTHER: &[u8] = b"From: Bob <bob@other.example>\nTo: support@casebook.example\n\
Subject: Thanks\nMessage-ID: <bob1@other.example>\nDate: Tue, 1 Jul 2008 16:00:00 +0000\n\n\
Fantastic help, you may quote me.\n";

async fn archive_with_praise() -> (
    tempfile::TempDir,
    tempfile::TempDir,
    Archive,
    MessageId,
    MessageId,
) {
    let mail = tempfile::tempdir().expect("tempdir");
    std::fs::write(mail.path().join("praise.eml"), PRAISE).expect("write");
    std::fs::write(mail.path().join("other.eml"), OTHER).expect("write");
    let data = tempfile::tempdir().expect("tempdir");
    let archive = open(data.path()).await;
    import(&archive, &[mail.path().to_owned()]).await;
    let k = keys_by_message_id(&archive).await;
    let (ann, bob) = (k["praise1@customer.example"], k["bob1@other.example"]);
    (mail, data, archive, ann, bob)
}

async fn keys_by_message_id(archive: &Archive) -> HashMap<String, MessageId> {
    archive
        .list(MessageId(0), 100, false)
        .await
        .expect("list")
        .into_iter()
        .filter_map(|m| m.message_id.map(|mid| (mid, m.id)))
        .collect()
}

fn approval(message: MessageId, excerpt: &str) -> Approval {
    Approval {
        message,
        excerpt: excerpt.into(),
        attribution: "Ann Lee, ACME Telecom".into(),
        edited: false,
        consent: Consent::Message(message),
        expires_at: None,
        actor: ACTOR.into(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn approval_needs_verbatim_words_and_consent_on_record() {
    let (_mail, _data, archive, ann, bob) = archive_with_praise().await;
    let refuse = |a: Approval| {
        let archive = &archive;
        async move {
            archive
                .approve_testimonial(&a)
                .await
                .expect_err("refused")
                .to_string()
        }
    };
    // Line breaks, quote marks and dashes do not count as changes.
    let id = archive
        .approve_testimonial(&approval(
            ann,
            "Your engineers are fantastic - the trunk is up.",
        ))
        .await
        .expect("verbatim");
    // Words that are not the customer's are refused unless marked edited.
    let e = refuse(approval(ann, "Your engineers are great.")).await;
    assert!(e.contains("word for word") && e.contains("--edited"), "{e}");
    let mut edited = approval(ann, "Excellent work, fantastic engineers.");
    edited.edited = true;
    archive
        .approve_testimonial(&edited)
        .await
        .expect("edited, marked so");
    // Consent from another customer is not consent.
    let mut wrong = approval(ann, "Excellent work!");
    wrong.consent = Consent::Message(bob);
    assert!(refuse(wrong).await.contains("not from the customer"));
    let mut empty = approval(ann, "Excellent work!");
    empty.consent = Consent::Note("  ".into());
    assert!(refuse(empty).await.contains("consent note is empty"));

    let usable = archive.published_testimonials().await.expect("list");
    assert_eq!(usable.len(), 2);
    let first = usable.iter().find(|t| t.id == id).expect("approved");
    assert_eq!(
        first.excerpt,
        "Your engineers are fantastic - the trunk is up."
    );
    assert_eq!(first.attribution, "Ann Lee, ACME Telecom");
    assert_eq!(first.topic, "Re: Trunk down");
    assert!(!first.edited);
    assert!(usable.iter().any(|t| t.edited), "the edited one says so");

    // Agents find approved testimonials.
    for q in ["tag:testimonial", "is:testimonial"] {
        let found = archive
            .search(&SearchRequest::new(q))
            .await
            .expect("search");
        assert_eq!(found.total, 1, "{q}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn revoking_rejecting_and_expiring_take_a_quote_out_of_every_export() {
    let (_mail, _data, archive, ann, bob) = archive_with_praise().await;
    let suggested: Vec<MessageId> = archive
        .suggest_testimonials()
        .await
        .expect("suggest")
        .iter()
        .map(|s| s.message.id)
        .collect();
    assert!(
        suggested.contains(&ann) && suggested.contains(&bob),
        "{suggested:?}"
    );

    archive
        .reject_testimonial(bob, "not about our product", ACTOR)
        .await
        .expect("reject");
    let after: Vec<MessageId> = archive
        .suggest_testimonials()
        .await
        .expect("suggest")
        .iter()
        .map(|s| s.message.id)
        .collect();
    assert_eq!(after, [ann], "a rejected message is not suggested again");

    let id = archive
        .approve_testimonial(&approval(ann, "Excellent work!"))
        .await
        .expect("approve");
    let mut short = approval(ann, "Feel free to quote me on your website.");
    short.consent = Consent::Note("phone call with Ann, 2 July 2008".into());
    short.expires_at = Some(0);
    let expired = archive.approve_testimonial(&short).await.expect("approve");
    let exported = archive
        .export_testimonials(ACTOR, "json")
        .await
        .expect("export");
    assert_eq!(
        exported.iter().map(|t| t.id).collect::<Vec<_>>(),
        [id],
        "expired ones are not usable"
    );
    assert_eq!(
        archive
            .testimonials(TestimonialFilter::Expired)
            .await
            .expect("list")
            .len(),
        1
    );

    archive
        .revoke_testimonial(id, "the customer withdrew consent", ACTOR)
        .await
        .expect("revoke");
    assert!(archive
        .published_testimonials()
        .await
        .expect("list")
        .is_empty());
    assert!(archive
        .export_testimonials(ACTOR, "csv")
        .await
        .expect("export")
        .is_empty());
    // The tag stays while an approved testimonial of the message remains.
    archive
        .revoke_testimonial(expired, "out of date", ACTOR)
        .await
        .expect("revoke");
    let found = archive
        .search(&SearchRequest::new("tag:testimonial"))
        .await
        .expect("search");
    assert_eq!(found.total, 0, "no longer tagged as a testimonial");
    let e = archive
        .revoke_testimonial(id, "again", ACTOR)
        .await
        .expect_err("only approved ones can be revoked");
    assert!(e.to_string().contains("no approved testimonial"), "{e}");

    let actions: Vec<(String, String)> = archive
        .audit_log()
        .await
        .expect("audit")
        .into_iter()
        .map(|e| (e.actor, e.action))
        .collect();
    let names: Vec<&str> = actions.iter().map(|(_, a)| a.as_str()).collect();
    assert_eq!(
        names,
        ["reject", "approve", "approve", "export", "revoke", "export", "revoke"]
    );
    assert!(actions.iter().all(|(actor, _)| actor == ACTOR));
}

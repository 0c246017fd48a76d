//! The privacy policy's promises about a person's choices: an opt-out
//! revokes their testimonials and keeps them out of every export, an
//! objection to disclosure is recorded with its evidence, and mail that
//! asks for either is flagged for an agent.

use crate::{import, keys, open};
use casebook_archive::{
    Approval, Consent, MarketingChoice, MessageId, PartnerChoice, PrivacyUpdate, TestimonialFilter,
};
use casebook_corpus::{generate, Spec};
use std::collections::{HashMap, HashSet};

const ACTOR: &str = "test:agent";

const PRAISE: &[u8] = b"From: Ann Lee <Ann@Customer.example>\nTo: support@casebook.example\n\
Subject: Re: Trunk down\nMessage-ID: <praise1@customer.example>\nDate: Tue, 1 Jul 2008 15:00:00 +0000\n\n\
Excellent work, the trunk is up. Feel free to quote me.\n";
const UNSUBSCRIBE: &[u8] = b"From: Ann Lee <ann@customer.example>\nTo: support@casebook.example\n\
Subject: Newsletter\nMessage-ID: <unsub1@customer.example>\nDate: Wed, 2 Jul 2008 09:00:00 +0000\n\n\
Please unsubscribe me from your newsletters.\n\nAnn\n";

fn update(marketing: Option<MarketingChoice>, partners: Option<PartnerChoice>) -> PrivacyUpdate {
    PrivacyUpdate {
        marketing,
        partners,
        source: "phone call, 3 July".into(),
        actor: ACTOR.into(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_opt_out_revokes_testimonials_and_blocks_new_ones() {
    let mail = tempfile::tempdir().expect("tempdir");
    std::fs::write(mail.path().join("praise.eml"), PRAISE).expect("write");
    let data = tempfile::tempdir().expect("tempdir");
    let archive = open(data.path()).await;
    import(&archive, &[mail.path().to_owned()]).await;
    let ann = archive.list(MessageId(0), 10, false).await.expect("list")[0].id;
    let approval = Approval {
        message: ann,
        excerpt: "Excellent work, the trunk is up.".into(),
        attribution: "Ann Lee, ACME".into(),
        edited: false,
        consent: Consent::Message(ann),
        expires_at: None,
        actor: ACTOR.into(),
    };
    let id = archive
        .testimonials()
        .approve(&approval)
        .await
        .expect("approve");
    assert_eq!(
        archive
            .testimonials()
            .published()
            .await
            .expect("list")
            .len(),
        1
    );

    // Any spelling of the address is the same person.
    let outcome = archive
        .privacy()
        .set(
            " ANN@customer.EXAMPLE ",
            &update(Some(MarketingChoice::OptOut), None),
        )
        .await
        .expect("opt out");
    assert_eq!(outcome.revoked, vec![id]);
    assert!(archive
        .testimonials()
        .published()
        .await
        .expect("list")
        .is_empty());
    assert!(archive
        .testimonials()
        .export(ACTOR, "json")
        .await
        .expect("export")
        .is_empty());
    let revoked = archive
        .testimonials()
        .list(TestimonialFilter::Revoked)
        .await
        .expect("list");
    assert!(revoked[0]
        .record
        .reason
        .as_deref()
        .is_some_and(|r| r.contains("opted out")));
    let e = archive
        .testimonials()
        .approve(&approval)
        .await
        .expect_err("refused")
        .to_string();
    assert!(e.contains("opted out of marketing"), "{e}");

    let person = archive
        .privacy()
        .of("ann@customer.example")
        .await
        .expect("show");
    let marketing = person.marketing.as_ref().expect("stated");
    assert_eq!(marketing.value, MarketingChoice::OptOut);
    assert_eq!(marketing.by, ACTOR);
    assert_eq!(marketing.source, "phone call, 3 July");
    assert!(!person.may_receive_marketing());
    // Disclosure was never objected to: allowed, per the policy.
    assert!(person.may_go_to_partners());

    // A later objection keeps the earlier marketing choice as it was.
    archive
        .privacy()
        .set(
            "ann@customer.example",
            &update(None, Some(PartnerChoice::Deny)),
        )
        .await
        .expect("deny");
    let person = archive
        .privacy()
        .of("ann@customer.example")
        .await
        .expect("show");
    assert!(!person.may_go_to_partners());
    assert_eq!(
        person.marketing.map(|m| m.value),
        Some(MarketingChoice::OptOut)
    );
    let actions: Vec<String> = archive
        .audit_log()
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        ["approve", "privacy-set", "revoke", "export", "privacy-set"],
        "every change is audited in order"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_with_what_to_do() {
    let data = tempfile::tempdir().expect("tempdir");
    let archive = open(data.path()).await;
    let e = archive
        .privacy()
        .set(
            "not an address",
            &update(Some(MarketingChoice::OptOut), None),
        )
        .await
        .expect_err("refused")
        .to_string();
    assert!(
        e.contains("\"not an address\" is not an e-mail address"),
        "{e}"
    );
    let mut no_source = update(Some(MarketingChoice::OptOut), None);
    no_source.source = " ".into();
    let e = archive
        .privacy()
        .set("ann@customer.example", &no_source)
        .await
        .expect_err("refused")
        .to_string();
    assert!(e.contains("--source"), "{e}");
    assert!(archive
        .privacy()
        .preferences()
        .await
        .expect("list")
        .is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flagged_unsubscribe_is_confirmed_in_one_step() {
    let mail = tempfile::tempdir().expect("tempdir");
    std::fs::write(mail.path().join("praise.eml"), PRAISE).expect("write");
    std::fs::write(mail.path().join("unsub.eml"), UNSUBSCRIBE).expect("write");
    let data = tempfile::tempdir().expect("tempdir");
    let archive = open(data.path()).await;
    import(&archive, &[mail.path().to_owned()]).await;
    let requests = archive.privacy().requests().await.expect("requests");
    assert_eq!(requests.len(), 1, "only the unsubscribe is a request");
    let message = requests[0].message.id;
    let praise = archive
        .list(MessageId(0), 10, false)
        .await
        .expect("list")
        .into_iter()
        .find(|m| m.id != message)
        .expect("praise")
        .id;
    let e = archive
        .privacy()
        .confirm_request(praise, ACTOR)
        .await
        .expect_err("not a request")
        .to_string();
    assert!(e.contains("does not ask"), "{e}");

    archive
        .privacy()
        .confirm_request(message, ACTOR)
        .await
        .expect("confirm");
    let person = archive
        .privacy()
        .of("ann@customer.example")
        .await
        .expect("show");
    let marketing = person.marketing.expect("stated");
    assert_eq!(marketing.value, MarketingChoice::OptOut);
    assert_eq!(marketing.source, format!("message {}", message.0));
    assert!(archive
        .privacy()
        .requests()
        .await
        .expect("requests")
        .is_empty());
    let e = archive
        .privacy()
        .dismiss_request(message, ACTOR)
        .await
        .expect_err("decided")
        .to_string();
    assert!(e.contains("already decided"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_in_the_corpus_are_found_in_every_language() {
    let corpus = tempfile::tempdir().expect("tempdir");
    let truth = generate(&Spec::compact(2000, 11), corpus.path()).expect("corpus");
    let data = tempfile::tempdir().expect("tempdir");
    let archive = open(data.path()).await;
    import(&archive, &[corpus.path().join("Maildir")]).await;
    let key_of: HashMap<MessageId, String> = keys(&archive)
        .await
        .into_iter()
        .map(|(k, id)| (id, k))
        .collect();
    let expected: HashMap<&str, &str> = truth
        .messages
        .iter()
        .filter_map(|m| Some((m.key.as_str(), m.privacy_request.as_deref()?)))
        .collect();
    assert!(expected.len() > 20, "the corpus has requests to find");
    let found: HashMap<String, String> = archive
        .privacy()
        .requests()
        .await
        .expect("requests")
        .into_iter()
        .filter_map(|r| {
            let asks: Vec<&str> = r.kinds.iter().map(|k| k.as_str()).collect();
            Some((key_of.get(&r.message.id)?.clone(), asks.join("+")))
        })
        .collect();
    let found_keys: HashSet<&str> = found.keys().map(String::as_str).collect();
    let expected_keys: HashSet<&str> = expected.keys().copied().collect();
    assert_eq!(found_keys, expected_keys, "every request and nothing else");
    for (key, asks) in &found {
        assert_eq!(asks, expected[key.as_str()], "{key}");
    }
}

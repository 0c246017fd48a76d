//! Testimonials on the generated corpus and through every state change.

use crate::{import, keys, keys_by_message_id, open};
use casebook_archive::{Approval, Archive, Consent, MessageId, SearchRequest, TestimonialFilter};
use casebook_corpus::{generate, Profile, Spec};
use std::collections::{HashMap, HashSet};

const ACTOR: &str = "test:approver";

#[tokio::test(flavor = "multi_thread")]
async fn suggestions_find_praise_with_permission_and_little_else() {
    suggestions_on(Profile::Compact).await;
}

/// The same praise below signatures and disclaimers, above Outlook's
/// unprefixed quoted history and inside HTML: the quotes are still the
/// customer's own sentences.
#[tokio::test(flavor = "multi_thread")]
async fn suggestions_on_mail_as_real_programs_write_it() {
    suggestions_on(Profile::Realistic).await;
}

async fn suggestions_on(profile: Profile) {
    let corpus = tempfile::tempdir().expect("tempdir");
    let spec = Spec {
        messages: 3000,
        seed: 5,
        profile,
    };
    let truth = generate(&spec, corpus.path()).expect("corpus");
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

    let suggestions = archive.testimonials().suggest().await.expect("suggest");
    for s in &suggestions {
        for sentence in s.quotes.iter().chain(&s.permission) {
            assert!(
                ![
                    "CONFIDENTIAL",
                    "wrote:",
                    "From:",
                    "Sent from",
                    "Tel.",
                    "Casebook Support"
                ]
                .iter()
                .any(|other| sentence.contains(other)),
                "a quote that is not the customer's own words: {sentence:?}"
            );
        }
    }
    let suggested: HashSet<String> = suggestions
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

/// Why the archive refuses approval `a` (it must refuse it).
async fn refusal(archive: &Archive, a: Approval) -> String {
    archive
        .testimonials()
        .approve(&a)
        .await
        .expect_err("refused")
        .to_string()
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
    // Line breaks, quote marks and dashes do not count as changes.
    let id = archive
        .testimonials()
        .approve(&approval(
            ann,
            "Your engineers are fantastic - the trunk is up.",
        ))
        .await
        .expect("verbatim");
    // Words that are not the customer's are refused unless marked edited.
    let e = refusal(&archive, approval(ann, "Your engineers are great.")).await;
    assert!(e.contains("word for word") && e.contains("--edited"), "{e}");
    let mut edited = approval(ann, "Excellent work, fantastic engineers.");
    edited.edited = true;
    archive
        .testimonials()
        .approve(&edited)
        .await
        .expect("edited, marked so");
    // Consent from another customer is not consent.
    let mut wrong = approval(ann, "Excellent work!");
    wrong.consent = Consent::Message(bob);
    assert!(refusal(&archive, wrong)
        .await
        .contains("not from the customer"));
    let mut empty = approval(ann, "Excellent work!");
    empty.consent = Consent::Note("  ".into());
    assert!(refusal(&archive, empty)
        .await
        .contains("consent note is empty"));

    let usable = archive.testimonials().published().await.expect("list");
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
        .testimonials()
        .suggest()
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
        .testimonials()
        .reject(bob, "not about our product", ACTOR)
        .await
        .expect("reject");
    let after: Vec<MessageId> = archive
        .testimonials()
        .suggest()
        .await
        .expect("suggest")
        .iter()
        .map(|s| s.message.id)
        .collect();
    assert_eq!(after, [ann], "a rejected message is not suggested again");

    let id = archive
        .testimonials()
        .approve(&approval(ann, "Excellent work!"))
        .await
        .expect("approve");
    let mut short = approval(ann, "Feel free to quote me on your website.");
    short.consent = Consent::Note("phone call with Ann, 2 July 2008".into());
    short.expires_at = Some(0);
    let expired = archive
        .testimonials()
        .approve(&short)
        .await
        .expect("approve");
    let exported = archive
        .testimonials()
        .export(ACTOR, "json")
        .await
        .expect("export");
    assert_eq!(
        exported.iter().map(|t| t.id).collect::<Vec<_>>(),
        [id],
        "expired ones are not usable"
    );
    assert_eq!(
        archive
            .testimonials()
            .list(TestimonialFilter::Expired)
            .await
            .expect("list")
            .len(),
        1
    );

    archive
        .testimonials()
        .revoke(id, "the customer withdrew consent", ACTOR)
        .await
        .expect("revoke");
    assert!(archive
        .testimonials()
        .published()
        .await
        .expect("list")
        .is_empty());
    assert!(archive
        .testimonials()
        .export(ACTOR, "csv")
        .await
        .expect("export")
        .is_empty());
    // The tag stays while an approved testimonial of the message remains.
    archive
        .testimonials()
        .revoke(expired, "out of date", ACTOR)
        .await
        .expect("revoke");
    let found = archive
        .search(&SearchRequest::new("tag:testimonial"))
        .await
        .expect("search");
    assert_eq!(found.total, 0, "no longer tagged as a testimonial");
    let e = archive
        .testimonials()
        .revoke(id, "again", ACTOR)
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

/// Our question-and-answer with Nils, his HTML-only thank-you in Gmail's
/// shape (his words above a `gmail_quote` that holds ours; its attribution
/// line dropped, as some mobile clients do), his Outlook
/// reply quoting our words without marks, and mail from a sender nobody
/// can read. Typed from what those clients send.
const OUR_ANSWER: &[u8] = b"From: Sam <support@casebook.example>\r\nTo: Nils <nils@deltacc.example>\r\n\
Subject: Re: Voicemail\r\nMessage-ID: <ans1@casebook.example>\r\nIn-Reply-To: <q1@deltacc.example>\r\n\
Date: Mon, 3 Jun 2024 10:02:00 +0000\r\n\r\nRestart the voicemail service and it works perfectly.\r\n";
const NILS_QUESTION: &[u8] =
    b"From: =?utf-8?b?Ik5pbHMgR2FyY8OtYSIgPG5pbHNAZGVsdGFjYy5leGFtcGxlPg==?=\r\n\
To: support@casebook.example\r\nSubject: Voicemail\r\nMessage-ID: <q1@deltacc.example>\r\n\
Date: Mon, 3 Jun 2024 09:00:00 +0000\r\n\r\nOur voicemail is silent.\r\n";
const NILS_GMAIL_HTML: &[u8] =
    b"From: =?utf-8?b?Ik5pbHMgR2FyY8OtYSIgPG5pbHNAZGVsdGFjYy5leGFtcGxlPg==?=\r\n\
To: support@casebook.example\r\nSubject: Re: Voicemail\r\nMessage-ID: <q2@deltacc.example>\r\n\
In-Reply-To: <ans1@casebook.example>\r\nDate: Mon, 3 Jun 2024 11:00:00 +0000\r\n\
Content-Type: text/html; charset=UTF-8\r\n\r\n\
<div dir=\"ltr\">Thanks, all sorted.</div><br><div class=\"gmail_quote\">\
<blockquote class=\"gmail_quote\">Restart the voicemail service and it works perfectly. \
Excellent support, feel free to quote me.</blockquote></div>\r\n";
const NILS_OUTLOOK: &[u8] =
    b"From: =?utf-8?b?Ik5pbHMgR2FyY8OtYSIgPG5pbHNAZGVsdGFjYy5leGFtcGxlPg==?=\r\n\
To: support@casebook.example\r\nSubject: RE: Voicemail\r\nMessage-ID: <q3@deltacc.example>\r\n\
In-Reply-To: <ans1@casebook.example>\r\nDate: Mon, 3 Jun 2024 12:00:00 +0000\r\n\r\n\
Your support is greatly appreciated. You can use my name.\r\n\r\n\
________________________________\r\nFrom: Sam <support@casebook.example>\r\n\
Sent: Monday, June 3, 2024 10:02 AM\r\nTo: Nils\r\nSubject: RE: Voicemail\r\n\r\n\
Restart the voicemail service and it works perfectly.\r\n";
const NOBODY: &[u8] = b"From: Happy Customer\r\nTo: support@casebook.example\r\nSubject: Thanks\r\n\
Message-ID: <n1@nowhere>\r\nDate: Mon, 3 Jun 2024 13:00:00 +0000\r\n\r\nExcellent support! Feel free to quote me.\r\n";

/// Issue 19: the verbatim rule and consent on mail as clients write it.
#[tokio::test(flavor = "multi_thread")]
async fn verbatim_means_the_customers_own_words_and_consent_the_same_person() {
    let mail = tempfile::tempdir().expect("tempdir");
    for (name, bytes) in [
        ("q.eml", NILS_QUESTION),
        ("a.eml", OUR_ANSWER),
        ("gmail.eml", NILS_GMAIL_HTML),
        ("outlook.eml", NILS_OUTLOOK),
        ("nobody.eml", NOBODY),
        ("other.eml", OTHER),
    ] {
        std::fs::write(mail.path().join(name), bytes).expect("write");
    }
    let data = tempfile::tempdir().expect("tempdir");
    let archive = open(data.path()).await;
    import(&archive, &[mail.path().to_owned()]).await;
    let k = keys_by_message_id(&archive).await;
    let (gmail, outlook, nobody, bob) = (
        k["q2@deltacc.example"],
        k["q3@deltacc.example"],
        k["n1@nowhere"],
        k["bob1@other.example"],
    );

    // Suggestions come from the customer's own words only: the Gmail
    // message's praise and permission stand in the quoted part.
    let suggested: Vec<MessageId> = archive
        .testimonials()
        .suggest()
        .await
        .expect("suggest")
        .iter()
        .map(|s| s.message.id)
        .collect();
    assert!(!suggested.contains(&gmail), "quoted praise suggested");
    assert!(
        !suggested.contains(&nobody),
        "a sender nobody knows suggested"
    );
    let outlook_suggestion = archive
        .testimonials()
        .suggest()
        .await
        .expect("suggest")
        .into_iter()
        .find(|s| s.message.id == outlook)
        .expect("Nils's own praise is suggested");
    assert_eq!(outlook_suggestion.permission, ["You can use my name."]);

    // Quoted text, ours, is not the customer's, in HTML and in Outlook's
    // unmarked quote alike.
    let e = refusal(
        &archive,
        approval(gmail, "Excellent support, feel free to quote me."),
    )
    .await;
    assert!(e.contains("only in what the customer quotes"), "{e}");
    let e = refusal(
        &archive,
        approval(
            outlook,
            "Restart the voicemail service and it works perfectly.",
        ),
    )
    .await;
    assert!(e.contains("only in what the customer quotes"), "{e}");
    // Partial words are not the customer's words.
    let e = refusal(&archive, approval(outlook, "Your support is great")).await;
    assert!(e.contains("word for word"), "{e}");
    // Unknown senders: neither a testimonial nor consent.
    let e = refusal(&archive, approval(nobody, "Excellent support!")).await;
    assert!(e.contains("no known sender"), "{e}");
    let mut via_nobody = approval(outlook, "Your support is greatly appreciated.");
    via_nobody.consent = Consent::Message(nobody);
    assert!(refusal(&archive, via_nobody)
        .await
        .contains("not from the customer"));
    let mut via_bob = approval(outlook, "Your support is greatly appreciated.");
    via_bob.consent = Consent::Message(bob);
    assert!(refusal(&archive, via_bob)
        .await
        .contains("not from the customer"));
    // His own words, his own consent (another message of his): approved.
    let mut good = approval(outlook, "Your support is greatly appreciated.");
    good.consent = Consent::Message(gmail);
    let id = archive
        .testimonials()
        .approve(&good)
        .await
        .expect("his own words");
    // His opt-out, recorded under the address his encoded From names,
    // revokes it.
    let update = casebook_archive::PrivacyUpdate {
        marketing: Some(casebook_archive::MarketingChoice::OptOut),
        partners: None,
        source: "phone call".into(),
        actor: ACTOR.into(),
    };
    let outcome = archive
        .privacy()
        .set("nils@deltacc.example", &update)
        .await
        .expect("opt-out");
    assert_eq!(outcome.revoked, [id]);
    assert!(archive
        .testimonials()
        .published()
        .await
        .expect("list")
        .is_empty());
}

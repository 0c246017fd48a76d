use crate::{import, keys, open};
use casebook_archive::{Direction, SearchRequest, Sort};
use casebook_corpus::{generate, Spec};

#[tokio::test(flavor = "multi_thread")]
async fn the_query_language_on_the_corpus() {
    let corpus = tempfile::tempdir().expect("tempdir");
    let truth = generate(&Spec::compact(1200, 5), corpus.path()).expect("corpus");
    let data = tempfile::tempdir().expect("tempdir");
    let archive = open(data.path()).await;
    import(&archive, &[corpus.path().join("Maildir")]).await;
    let ids = keys(&archive).await;
    let search = |q: &str| {
        let request = SearchRequest {
            limit: 10_000,
            ..SearchRequest::new(q)
        };
        let archive = &archive;
        async move { archive.search(&request).await.expect("search") }
    };
    let primaries: Vec<_> = truth
        .messages
        .iter()
        .filter(|m| m.copy_of.is_none())
        .collect();

    // Legacy charsets and CJK text without spaces, found by a word inside a sentence.
    for m in primaries.iter().filter(|m| m.foreign_word.is_some()) {
        let word = m.foreign_word.as_deref().expect("word");
        let page = search(word).await;
        assert!(
            page.hits.iter().any(|h| h.summary.id == ids[&m.key]),
            "{word} finds {}",
            m.key
        );
    }
    assert!(
        search("東京都").await.total > 0,
        "a Japanese word inside a sentence"
    );

    // Markup and URLs of HTML mail are not text a person reads.
    assert_eq!(search("tracker").await.total, 0);
    assert_eq!(search("gif").await.total, 0);
    assert_eq!(search("arial").await.total, 0);

    // Directions and answered state.
    let inbound = primaries
        .iter()
        .filter(|m| m.direction == "inbound")
        .count();
    assert_eq!(search("is:inbound").await.total, inbound);
    let unanswered = primaries
        .iter()
        .filter(|m| m.direction == "inbound" && m.reply.is_none())
        .count();
    assert_eq!(search("is:unanswered").await.total, unanswered);
    let automated = primaries
        .iter()
        .filter(|m| m.direction == "automated")
        .count();
    assert_eq!(search("is:automated").await.total, automated);
    assert_eq!(
        search("-is:outbound").await.total,
        primaries.len()
            - primaries
                .iter()
                .filter(|m| m.direction == "outbound")
                .count()
    );

    let with_attachment = primaries.iter().filter(|m| m.has_attachment).count();
    assert_eq!(search("has:attachment").await.total, with_attachment);

    // Phrases, fields, OR, NOT.
    let phrase = search("\"thirty seconds\"").await.total;
    let both_words = search("thirty seconds").await.total;
    assert!(phrase > 0 && phrase <= both_words);
    let invoice_subjects = primaries
        .iter()
        .filter(|m| m.subject.to_lowercase().contains("invoice"))
        .count();
    assert_eq!(search("subject:invoice").await.total, invoice_subjects);
    let a = search("subject:voicemail").await.total;
    let b = search("subject:licence").await.total;
    assert_eq!(
        search("subject:voicemail OR subject:licence").await.total,
        a + b
    );
    assert_eq!(
        search("subject:voicemail NOT subject:voicemail")
            .await
            .total,
        0
    );

    // from: matches the sender's address; thread: the thread's messages.
    let sample = primaries
        .iter()
        .find(|m| m.direction == "inbound" && m.reply.is_some())
        .expect("answered mail");
    let from = search(&format!("from:{}", sample.correspondent)).await;
    assert!(from.hits.iter().any(|h| h.summary.id == ids[&sample.key]));
    assert!(from
        .hits
        .iter()
        .all(|h| h.summary.direction != Direction::Outbound));
    let thread = archive
        .message(ids[&sample.key])
        .await
        .expect("read")
        .expect("exists")
        .summary
        .thread_id
        .expect("thread");
    let in_thread = primaries
        .iter()
        .filter(|m| m.thread == sample.thread)
        .count();
    assert_eq!(
        search(&format!("thread:{}", thread.0)).await.total,
        in_thread
    );

    // Dates: after: is on or after the day, before: strictly before.
    let day = 1_230_768_000; // 2009-01-01
    let later = primaries.iter().filter(|m| m.date >= day).count();
    let earlier = primaries.iter().filter(|m| m.date < day).count();
    assert_eq!(search("after:2009-01-01").await.total, later);
    assert_eq!(search("before:2009-01-01").await.total, earlier);

    // Newest first by default; paging does not repeat or skip.
    let page = search("voicemail").await;
    let dates: Vec<_> = page
        .hits
        .iter()
        .map(|h| h.summary.date.expect("dated"))
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let first = archive
        .search(&SearchRequest {
            limit: 5,
            ..SearchRequest::new("voicemail")
        })
        .await
        .expect("search");
    let second = archive
        .search(&SearchRequest {
            limit: 5,
            offset: 5,
            ..SearchRequest::new("voicemail")
        })
        .await
        .expect("search");
    let ten: Vec<_> = page.hits.iter().take(10).map(|h| h.summary.id).collect();
    let paged: Vec<_> = first
        .hits
        .iter()
        .chain(&second.hits)
        .map(|h| h.summary.id)
        .collect();
    assert_eq!(paged, ten);
    let relevance = archive
        .search(&SearchRequest {
            sort: Sort::Relevance,
            ..SearchRequest::new("voicemail")
        })
        .await
        .expect("search");
    assert_eq!(relevance.total, page.total);

    // Snippets mark the words that matched.
    let hit = page
        .hits
        .iter()
        .find(|h| !h.snippet.highlights.is_empty())
        .expect("a highlighted snippet");
    let marked = &hit.snippet.text[hit.snippet.highlights[0].clone()];
    assert_eq!(marked.to_lowercase(), "voicemail");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_query_says_where_and_what_was_expected() {
    let data = tempfile::tempdir().expect("tempdir");
    let archive = open(data.path()).await;
    let err = archive
        .search(&SearchRequest::new("trunk before:soon"))
        .await
        .expect_err("rejected");
    let text = err.to_string();
    assert!(text.contains("at column 14"), "{text}");
    assert!(text.contains("expected a date like 2008-01-31"), "{text}");
}

/// Issue 20: a snippet is made from the opening of a hit's text, so one
/// huge message costs a search no more than a small one. Words past the
/// window still find the message; its snippet is then the opening.
#[tokio::test(flavor = "multi_thread")]
async fn snippets_come_from_a_bounded_window_of_a_huge_message() {
    let mail = tempfile::tempdir().expect("tempdir");
    let mut raw = b"From: Ann <ann@x.example>\r\nTo: support@casebook.example\r\n\
Subject: log\r\nMessage-ID: <huge@x.example>\r\n\r\nThe zebraphone fails.\r\n"
        .to_vec();
    // 780 KB: inside the text indexed (1 MiB), far past the snippet window.
    for _ in 0..20_000 {
        raw.extend_from_slice(b"filler line of an enormous pasted log\r\n");
    }
    raw.extend_from_slice(b"and at the very end a quokkaline error\r\n");
    std::fs::write(mail.path().join("huge.eml"), &raw).expect("write");
    let data = tempfile::tempdir().expect("tempdir");
    let archive = crate::open(data.path()).await;
    crate::import(&archive, &[mail.path().to_owned()]).await;

    let near = archive
        .search(&SearchRequest::new("zebraphone"))
        .await
        .expect("search");
    assert_eq!(near.total, 1);
    let snippet = &near.hits[0].snippet;
    assert!(snippet.text.contains("zebraphone"), "{}", snippet.text);
    assert!(!snippet.highlights.is_empty(), "the match is marked");

    let far = archive
        .search(&SearchRequest::new("quokkaline"))
        .await
        .expect("search");
    assert_eq!(far.total, 1, "found, though past the window");
    let snippet = &far.hits[0].snippet;
    assert!(snippet.highlights.is_empty(), "{snippet:?}");
    assert!(
        snippet.text.starts_with("The zebraphone fails."),
        "{}",
        snippet.text
    );
    assert!(snippet.text.len() < 1_000, "a snippet, not the message");
}

/// The search page's conversations take their snippets from the same
/// bounded openings as the search API, on every request: a huge message
/// (a pasted log of 780 KB, as a web form sends it) shows the customer's
/// own words from its opening, the first time and again from what was
/// kept, beside a short message's.
#[tokio::test(flavor = "multi_thread")]
async fn conversation_snippets_of_a_huge_message_come_from_its_opening_every_time() {
    let mail = tempfile::tempdir().expect("tempdir");
    let mut huge = b"From: Web form <www-data@forms.acme.example>\r\n\
Reply-To: Bo <bo@acme.example>\r\nTo: support@casebook.example\r\n\
Subject: =?UTF-8?Q?Asterisk_log_=E2=80=93_zebraphone?=\r\n\
Message-ID: <form-1@forms.acme.example>\r\nX-Mailer: PHP/8.2.7\r\n\
Content-Type: text/plain; charset=UTF-8\r\n\r\n\
Our zebraphone drops every call after the upgrade, log below.\r\n"
        .to_vec();
    for n in 0..20_000 {
        huge.extend_from_slice(
            format!(
                "[2026-03-02 09:{:02}:00] VERBOSE[{n}] pbx.c: Executing Dial\r\n",
                n % 60
            )
            .as_bytes(),
        );
    }
    std::fs::write(mail.path().join("huge.eml"), &huge).expect("write");
    std::fs::write(
        mail.path().join("short.eml"),
        "From: Cy <cy@other.example>\r\nTo: support@casebook.example\r\n\
Subject: zebraphone\r\nMessage-ID: <short-1@other.example>\r\n\r\n\
A zebraphone question, short.\r\n",
    )
    .expect("write");
    let data = tempfile::tempdir().expect("tempdir");
    let archive = crate::open(data.path()).await;
    crate::import(&archive, &[mail.path().to_owned()]).await;

    for round in ["first", "second"] {
        let page = archive
            .search_conversations(&SearchRequest::new("zebraphone"))
            .await
            .expect("search");
        assert_eq!(page.total, 2, "{round} request");
        let snippets: Vec<&str> = page.hits.iter().map(|h| h.snippet.text.as_str()).collect();
        assert!(
            snippets
                .iter()
                .any(|s| s.contains("zebraphone drops every call")),
            "{round} request: {snippets:?}"
        );
        assert!(
            snippets.iter().any(|s| s.contains("question, short")),
            "{round} request: {snippets:?}"
        );
        assert!(
            snippets.iter().all(|s| s.len() < 1_000),
            "{round} request: snippets, not messages: {snippets:?}"
        );
        assert!(
            page.hits.iter().all(|h| !h.snippet.highlights.is_empty()),
            "{round} request: the match is marked"
        );
    }
}

/// A question as Outlook sends it, and our reply as Thunderbird does.
const QUESTION: &str = "From: =?utf-8?Q?Ann_M=C3=BCller?= <ann@acme.example>\r\n\
To: support@casebook.example\r\n\
Subject: Voicemail PIN reset\r\n\
Date: Mon, 2 Mar 2026 09:14:03 +0000\r\n\
Message-ID: <AM0PR01MB1234.outlook@acme.example>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=\"us-ascii\"\r\n\
Thread-Index: AdoMZ1i2\r\n\
\r\n\
Hello, our voicemail PIN no longer works after the upgrade.\r\n";

const REPLY: &str = "From: Support <support@casebook.example>\r\n\
To: =?utf-8?Q?Ann_M=C3=BCller?= <ann@acme.example>\r\n\
Subject: Re: Voicemail PIN reset\r\n\
Date: Mon, 2 Mar 2026 10:02:44 +0000\r\n\
Message-ID: <5e1f0c2a-77aa-4c1e-9d7e@casebook.example>\r\n\
In-Reply-To: <AM0PR01MB1234.outlook@acme.example>\r\n\
References: <AM0PR01MB1234.outlook@acme.example>\r\n\
User-Agent: Mozilla Thunderbird\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=UTF-8; format=flowed\r\n\
\r\n\
Hi Ann, the PIN is reset under Voicemail > Mailboxes.\r\n\
\r\n\
On 02/03/2026 09:14, Ann Müller wrote:\r\n\
> Hello, our voicemail PIN no longer works after the upgrade.\r\n";

/// A server that stays open (as `casebook serve` does) sees at once what
/// another process writes: a reply that answers a question, a customer
/// list replaced. Filters the index cannot hold are read from the store
/// once per write, so a kept reading must never outlive one.
#[tokio::test(flavor = "multi_thread")]
async fn filters_of_a_long_running_process_follow_every_other_process_write() {
    let data = tempfile::tempdir().expect("tempdir");
    let mail = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, text: &str| {
        let path = mail.path().join(name);
        std::fs::write(&path, text).expect("write mail");
        path
    };
    let server = open(data.path()).await;
    import(&server, &[write("question.eml", QUESTION)]).await;
    let lists = mail.path().join("crm.csv");
    std::fs::write(&lists, "email,name\nann@acme.example,Ann\n").expect("write list");
    let crm = || casebook_archive::CustomerImport {
        list: "crm".into(),
        partner: None,
        columns: Vec::new(),
        merge: false,
        actor: "test".into(),
    };
    let other = open(data.path()).await;
    other
        .customers()
        .import(&lists, &crm())
        .await
        .expect("list");

    let total = |q: &'static str| {
        let server = &server;
        async move {
            server
                .search(&SearchRequest::new(q))
                .await
                .unwrap_or_else(|e| panic!("{q}: {e}"))
                .total
        }
    };
    assert_eq!(total("is:unanswered voicemail").await, 1);
    assert_eq!(total("is:answered").await, 0);
    assert_eq!(total("customer:crm").await, 1);
    assert_eq!(total("is:customer").await, 1);

    // Another process stores our reply: the question is answered.
    import(&other, &[write("reply.eml", REPLY)]).await;
    assert_eq!(total("is:unanswered voicemail").await, 0);
    assert_eq!(total("is:answered").await, 1);
    assert_eq!(total("customer:crm").await, 1);

    // Another process replaces the list: Ann is on it no more.
    std::fs::write(&lists, "email,name\nbob@other.example,Bob\n").expect("write list");
    other
        .customers()
        .import(&lists, &crm())
        .await
        .expect("list");
    assert_eq!(total("customer:crm").await, 0);
    assert_eq!(total("is:customer").await, 0);
}

/// Every `casebook search` is a new process: it starts from the filter
/// sets kept on disk beside the index and brings them up to date by the
/// messages changed since. Mail stored in parts (replies answering
/// questions stored a part before), customer lists imported and replaced,
/// a person erased: after each, what a new process finds is what reading
/// every message afresh finds.
#[tokio::test(flavor = "multi_thread")]
async fn filters_kept_on_disk_stay_those_of_reading_every_message() {
    let corpus = tempfile::tempdir().expect("tempdir");
    let truth = generate(&Spec::compact(400, 11), corpus.path()).expect("corpus");
    let parts = crate::deal_into_parts(corpus.path(), 3);
    let mut correspondents: Vec<&str> = truth
        .messages
        .iter()
        .filter(|m| m.direction == "inbound")
        .map(|m| m.correspondent.as_str())
        .collect();
    correspondents.sort_unstable();
    correspondents.dedup();
    let list_of = |every: usize, from: usize| {
        let path = corpus.path().join(format!("crm-{every}-{from}.csv"));
        let mut text = String::from("email\n");
        for a in correspondents.iter().skip(from).step_by(every) {
            text.push_str(a);
            text.push('\n');
        }
        std::fs::write(&path, text).expect("write list");
        path
    };
    let crm = casebook_archive::CustomerImport {
        list: "crm".into(),
        partner: None,
        columns: Vec::new(),
        merge: false,
        actor: "test".into(),
    };

    let data = tempfile::tempdir().expect("tempdir");
    let kept_file = data.path().join("index").join("filter-sets");
    let queries = [
        "is:answered",
        "is:unanswered",
        "is:customer",
        "customer:crm",
        "is:unanswered -is:customer",
    ];
    let found_by_a_new_process = || async {
        let archive = open(data.path()).await;
        let mut found = Vec::new();
        for q in queries {
            let request = SearchRequest {
                limit: 10_000,
                ..SearchRequest::new(q)
            };
            let page = archive.search(&request).await.expect("search");
            let mut ids: Vec<i64> = page.hits.iter().map(|h| h.summary.id.0).collect();
            ids.sort_unstable();
            found.push((q, ids));
        }
        found
    };
    let compare = |step: &'static str| {
        let found_by_a_new_process = &found_by_a_new_process;
        let kept_file = &kept_file;
        async move {
            assert!(kept_file.exists(), "{step}: no sets were kept on disk");
            let from_kept = found_by_a_new_process().await;
            std::fs::remove_file(kept_file).expect("remove the kept sets");
            let afresh = found_by_a_new_process().await;
            assert_eq!(from_kept, afresh, "after {step}");
            afresh
        }
    };

    {
        let archive = open(data.path()).await;
        archive
            .customers()
            .import(&list_of(3, 0), &crm)
            .await
            .expect("list");
        import(&archive, &[parts[0].clone()]).await;
    }
    found_by_a_new_process().await;
    import(&open(data.path()).await, &[parts[1].clone()]).await;
    compare("a second part").await;
    open(data.path())
        .await
        .customers()
        .import(&list_of(2, 1), &crm)
        .await
        .expect("list");
    compare("the list replaced").await;
    import(&open(data.path()).await, &[parts[2].clone()]).await;
    let found = compare("the last part").await;
    // Someone on the list whose company's other people are not: erasing
    // them takes their record, and with it the list's match of their
    // colleagues by domain.
    let domain = |a: &str| a.rsplit('@').next().unwrap_or("").to_owned();
    let listed: Vec<&str> = correspondents.iter().skip(1).step_by(2).copied().collect();
    let erased = *listed
        .iter()
        .find(|a| {
            let d = domain(a);
            d.ends_with(".example")
                && listed.iter().filter(|b| domain(b) == d).count() == 1
                && correspondents.iter().any(|c| c != *a && domain(c) == d)
        })
        .expect("a listed customer with colleagues not on the list");
    let report = open(data.path())
        .await
        .privacy()
        .erase(erased, false, "test")
        .await
        .expect("erase");
    assert!(report.messages > 0, "{erased} had mail");
    let after = compare("an erasure").await;
    for (q, ids) in &found {
        assert!(!ids.is_empty(), "{q} finds mail in the corpus");
    }
    assert_ne!(found, after, "the erasure changed what the filters find");
}

/// A conversation's snippet is the first of the customer's matching
/// messages (newest first) whose own words match, not one that matches
/// only in what it quotes; when none does, their first candidate's
/// opening, unmarked. Written as Thunderbird and Apple Mail quote.
#[tokio::test(flavor = "multi_thread")]
async fn a_conversation_s_snippet_is_the_first_of_the_customer_s_own_words_that_match() {
    let mail = tempfile::tempdir().expect("tempdir");
    let ours = casebook_corpus::OUR_DOMAIN;
    let messages = [
        (
            "dee-1",
            format!(
                "From: Dee <dee@shop.example>\r\nTo: support@{ours}\r\n\
Subject: Fax line\r\nDate: Sun, 01 Mar 2026 09:00:00 +0000\r\n\
Message-ID: <dee-1@shop.example>\r\n\r\nOur fax line is dead since Friday.\r\n"
            ),
        ),
        (
            "ours-1",
            format!(
                "From: Support <support@{ours}>\r\nTo: dee@shop.example\r\n\
Subject: Re: Fax line\r\nDate: Mon, 02 Mar 2026 09:00:00 +0000\r\n\
Message-ID: <ours-1@{ours}>\r\nIn-Reply-To: <dee-1@shop.example>\r\n\
References: <dee-1@shop.example>\r\n\r\nPlease turn on the quokkafax option.\r\n"
            ),
        ),
        (
            "dee-2",
            format!(
                "From: Dee <dee@shop.example>\r\nTo: support@{ours}\r\n\
Subject: Re: Fax line\r\nDate: Mon, 02 Mar 2026 12:00:00 +0000\r\n\
Message-ID: <dee-2@shop.example>\r\nIn-Reply-To: <ours-1@{ours}>\r\n\
References: <dee-1@shop.example> <ours-1@{ours}>\r\n\r\n\
Where do I find the quokkafax option?\r\n"
            ),
        ),
        (
            "dee-3",
            format!(
                "From: Dee <dee@shop.example>\r\nTo: support@{ours}\r\n\
Subject: Re: Fax line\r\nDate: Tue, 03 Mar 2026 09:00:00 +0000\r\n\
Message-ID: <dee-3@shop.example>\r\nIn-Reply-To: <ours-1@{ours}>\r\n\
References: <dee-1@shop.example> <ours-1@{ours}>\r\n\r\n\
Thanks, all working now.\r\n\r\n\
On 02/03/2026 09:00, Support wrote:\r\n> Please turn on the quokkafax option.\r\n"
            ),
        ),
        (
            "eve-1",
            format!(
                "From: Eve <eve@farm.example>\r\nTo: support@{ours}\r\n\
Subject: Re: News\r\nDate: Wed, 04 Mar 2026 09:00:00 +0000\r\n\
Message-ID: <eve-1@farm.example>\r\n\r\nNoted, thank you.\r\n\r\n\
On 3 Mar 2026, at 10:00, Support <support@{ours}> wrote:\r\n\r\n\
> The quokkafax option is new this month.\r\n"
            ),
        ),
    ];
    for (name, text) in &messages {
        std::fs::write(mail.path().join(format!("{name}.eml")), text).expect("write");
    }
    let data = tempfile::tempdir().expect("tempdir");
    let archive = crate::open(data.path()).await;
    crate::import(&archive, &[mail.path().to_owned()]).await;
    let keys = crate::keys_by_message_id(&archive).await;

    let page = archive
        .search_conversations(&SearchRequest::new("quokkafax"))
        .await
        .expect("search");
    assert_eq!(page.total, 2, "Dee's and Eve's: {page:?}");
    let dee = page
        .hits
        .iter()
        .find(|h| h.customer.address.as_deref() == Some("dee@shop.example"))
        .expect("Dee's conversation");
    assert_eq!(
        dee.snippet_from, keys["dee-2@shop.example"],
        "her question, not her newer thanks that only quotes us: {dee:?}"
    );
    assert!(dee.snippet.text.contains("Where do I find"), "{dee:?}");
    assert!(!dee.snippet.highlights.is_empty(), "{dee:?}");

    let eve = page
        .hits
        .iter()
        .find(|h| h.customer.address.as_deref() == Some("eve@farm.example"))
        .expect("Eve's conversation");
    assert!(eve.snippet.text.contains("Noted, thank you"), "{eve:?}");
    assert!(
        eve.snippet.highlights.is_empty(),
        "her own words do not match: nothing marked: {eve:?}"
    );
}

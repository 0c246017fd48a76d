//! From headers as real clients and libraries write them. Each was made
//! by the tool named beside it (Python 3's `email` package: its default
//! policy, and `email.header.Header` with a charset and a short line
//! length, as older code and PHP's `mb_encode_mimeheader` fold), or
//! typed from a client's sent mail, never by Casebook's own generator.

/// (how it was made, the From header's raw value, address, display name)
const FROM_HEADERS: &[(&str, &[u8], &str, Option<&str>)] = &[
    (
        "python email, default policy",
        b"Nils =?utf-8?q?Garc=C3=ADa?= <nils.garca20@deltacc.com>",
        "nils.garca20@deltacc.com",
        Some("Nils García"),
    ),
    (
        "web form: the whole header one B word",
        b"=?utf-8?b?Ik5pbHMgR2FyY8OtYSIgPG5pbHMuZ2FyY2EyMEBkZWx0YWNjLmNvbT4=?=",
        "nils.garca20@deltacc.com",
        Some("Nils García"),
    ),
    (
        "python Header(utf-8, base64), folded over three words",
        b"=?utf-8?b?Ik5pbHMgR2FyY8OtYSIgPG5pbHMu?=\n =?utf-8?b?Z2FyY2EyMEBkZWx0YWNjLmNv?=\n =?utf-8?b?bT4=?=",
        "nils.garca20@deltacc.com",
        Some("Nils García"),
    ),
    (
        "python Header(utf-8, Q), folded",
        b"=?utf-8?q?=22Nils_Garc=C3=ADa=22_=3Cni?=\n =?utf-8?q?ls=2Egarca20=40deltacc=2Eco?=\n =?utf-8?q?m=3E?=",
        "nils.garca20@deltacc.com",
        Some("Nils García"),
    ),
    (
        "python Header(iso-8859-1, base64)",
        b"=?iso-8859-1?b?IlP4cmVuIMZy+CIgPHNv?=\n =?iso-8859-1?b?cmVuQGZqb3JkLmV4YW1w?=\n =?iso-8859-1?b?bGU+?=",
        "soren@fjord.example",
        Some("Søren Ærø"),
    ),
    (
        "python Header(iso-8859-1, Q)",
        b"=?iso-8859-1?q?=22S=F8ren_=C6r=F8=22_?=\n =?iso-8859-1?q?=3Csoren=40fjord=2Eexa?=\n =?iso-8859-1?q?mple=3E?=",
        "soren@fjord.example",
        Some("Søren Ærø"),
    ),
    (
        "python Header(koi8-r, base64)",
        b"=?koi8-r?b?IunXwc4g8MXU0s/XIiA8aXZh?=\n =?koi8-r?b?bkBtaXIuZXhhbXBsZT4=?=",
        "ivan@mir.example",
        Some("Иван Петров"),
    ),
    (
        "python Header(koi8-r, Q)",
        b"=?koi8-r?q?=22=E9=D7=C1=CE_=F0=C5=D4?=\n =?koi8-r?q?=D2=CF=D7=22_=3Civan=40mir?=\n =?koi8-r?q?=2Eexample=3E?=",
        "ivan@mir.example",
        Some("Иван Петров"),
    ),
    (
        "python Header(shift_jis): written as iso-2022-jp, escapes split over words",
        b"=?iso-2022-jp?q?=22=1B=24B=3B3=1B=28B?=\n =?iso-2022-jp?q?=1B=24BEDB=40=1B=28B?=\n =?iso-2022-jp?q?=1B=24BO=3A=1B=28B=22?=\n =?iso-2022-jp?q?_=3Ctaro=40yamada=2Ee?=\n =?iso-2022-jp?q?xample=3E?=",
        "taro@yamada.example",
        Some("山田太郎"),
    ),
    (
        "a Japanese web form: Shift_JIS, one B word",
        b"=?Shift_JIS?B?Io5Sk2ORvphZIiA8dGFyb0B5YW1hZGEuZXhhbXBsZT4=?=",
        "taro@yamada.example",
        Some("山田太郎"),
    ),
    (
        "a Chinese web form: GB2312, one B word",
        b"=?GB2312?B?zfXQocP3IDx3YW5nQHpob25nLmV4YW1wbGU+?=",
        "wang@zhong.example",
        Some("王小明"),
    ),
    (
        "python Header(gb2312): a charset label few decoders know",
        b"=?eucgb2312_cn?b?Is310KHD9yIgPHdhbmdAemhv?=\n =?eucgb2312_cn?b?bmcuZXhhbXBsZT4=?=",
        "wang@zhong.example",
        None,
    ),
    (
        "PHP mb_encode_mimeheader, Q, name and address in one word",
        b"=?UTF-8?Q?Jos=C3=A9_P=C3=A9rez_=3Cjose@perez.example=3E?=",
        "jose@perez.example",
        Some("José Pérez"),
    ),
    (
        "an encoded-word inside quotes (Outlook Express)",
        b"\"=?utf-8?q?Jos=C3=A9?=\" <JOSE@Perez.Example>",
        "jose@perez.example",
        Some("José"),
    ),
    ("a bare address", b"nils@x.example", "nils@x.example", None),
    (
        "no angle brackets",
        b"Nils Garcia nils@x.example",
        "nils@x.example",
        Some("Nils Garcia"),
    ),
    (
        "Outlook: a comma in a quoted name",
        b"\"Lee, Ann\" <ann@x.example>",
        "ann@x.example",
        Some("Lee, Ann"),
    ),
    (
        "old style: the name in a comment",
        b"ann@x.example (Ann Lee)",
        "ann@x.example",
        Some("Ann Lee"),
    ),
    (
        "trailing garbage after the address",
        b"Ann <ann@x.example> (via web form) sent from my phone",
        "ann@x.example",
        Some("Ann"),
    ),
    (
        "missing closing bracket",
        b"Ann Lee <ann@x.example",
        "ann@x.example",
        Some("Ann Lee"),
    ),
    (
        "a group with one member",
        b"Support team: Ann <ann@x.example>;",
        "ann@x.example",
        Some("Ann"),
    ),
    (
        "unlabelled 8-bit Latin-1 name (an old mailer)",
        b"J\xf6rg M\xfcller <joerg@x.example>",
        "joerg@x.example",
        Some("Jörg Müller"),
    ),
    (
        "an internationalised domain, in UTF-8 (SMTPUTF8 mail)",
        "Jörg <joerg@bücher.example>".as_bytes(),
        "joerg@xn--bcher-kva.example",
        Some("Jörg"),
    ),
    (
        "only a quoted address a reader still sees",
        b"\"ann@x.example\"",
        "ann@x.example",
        None,
    ),
];

fn message(from: &[u8]) -> Vec<u8> {
    let mut raw = b"From: ".to_vec();
    raw.extend_from_slice(from);
    raw.extend_from_slice(b"\r\nTo: support@casebook.example\r\nSubject: hi\r\n\r\nbody\r\n");
    raw
}

#[test]
fn every_client_s_sender_is_read() {
    let mut wrong = Vec::new();
    for (made_by, header, address, name) in FROM_HEADERS {
        let m = casebook_mail::parse(&message(header));
        let got = m
            .from
            .as_ref()
            .map(|f| (f.address.as_str(), f.name.as_deref()));
        let want = match name {
            Some(n) => Some((*address, Some(*n))),
            None => m.from.as_ref().map(|f| (*address, f.name.as_deref())),
        };
        if got != want || m.from.is_none() {
            wrong.push(format!("{made_by}: got {got:?}, want {address} {name:?}"));
        }
        let unattributed = m.warnings.iter().any(|w| {
            matches!(
                w,
                casebook_mail::ParseWarning::UnusableFrom(_)
                    | casebook_mail::ParseWarning::MissingFrom
            )
        });
        assert!(!unattributed, "{made_by}: {:?}", m.warnings);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn recipients_reply_to_and_sender_are_read_the_same_way() {
    let raw = b"From: =?utf-8?b?Ik5pbHMgR2FyY8OtYSIgPG5pbHMuZ2FyY2EyMEBkZWx0YWNjLmNvbT4=?=\r\n\
To: =?utf-8?q?Support_=3Csupport@casebook.example=3E?=, undisclosed-recipients:;\r\n\
Cc: \"Lee, Ann\" <ann@x.example>, bob@y.example (Bob)\r\n\
Reply-To: =?iso-8859-1?q?S=F8ren_=3Csoren@fjord.example=3E?=\r\n\
Sender: list-bounces@lists.example\r\n\r\nhi\r\n";
    let m = casebook_mail::parse(raw);
    let addrs = |v: &[casebook_mail::Mailbox]| -> Vec<String> {
        v.iter().map(|m| m.address.to_string()).collect()
    };
    assert_eq!(addrs(&m.to), ["support@casebook.example"]);
    assert_eq!(addrs(&m.cc), ["ann@x.example", "bob@y.example"]);
    assert_eq!(addrs(&m.reply_to), ["soren@fjord.example"]);
    assert_eq!(m.reply_to[0].name.as_deref(), Some("Søren"));
    let sender = m.sender.map(|s| s.address.to_string());
    assert_eq!(sender.as_deref(), Some("list-bounces@lists.example"));
}

#[test]
fn a_sender_nobody_can_read_is_a_warning_not_a_guess() {
    for header in [
        &b"Nils Garcia"[..],
        b"=?utf-8?b?Tmlscw==?=",
        b"<>",
        b"two@@signs.example",
    ] {
        let m = casebook_mail::parse(&message(header));
        assert_eq!(m.from, None, "{}", String::from_utf8_lossy(header));
        assert!(
            m.warnings
                .iter()
                .any(|w| matches!(w, casebook_mail::ParseWarning::UnusableFrom(_))),
            "{:?}",
            m.warnings
        );
    }
}

#[test]
fn obsolete_header_syntax_and_unlabelled_8bit_subjects() {
    let raw = b"Subject : Fr\xf6sche im Teich\nFrom : Ann <ann@x.example>\nMessage-ID: <a@x>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\nhi\n";
    assert_eq!(casebook_mail::check_is_mail(raw), Ok(()));
    let m = casebook_mail::parse(raw);
    assert_eq!(m.subject, "Frösche im Teich");
    assert_eq!(
        m.from.map(|f| f.address.to_string()).as_deref(),
        Some("ann@x.example")
    );
}

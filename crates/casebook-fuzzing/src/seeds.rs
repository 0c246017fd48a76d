//! Where each target starts: inputs shaped like what real clients, CRMs
//! and attackers send, written here by hand, and the project's fixture
//! files (`tests/messages/`, the example config). `scripts/fuzz` writes
//! them out with `fuzz-seeds` beside a generated corpus and mail-parser's
//! own test messages; the tests replay them all.

use std::path::Path;

/// One seed: a name (its file name) and its bytes.
pub struct Seed {
    pub name: String,
    pub bytes: Vec<u8>,
}

fn seed(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Seed {
    Seed {
        name: name.into(),
        bytes: bytes.into(),
    }
}

/// The seeds of `target`, with the fixture files under `root` (the
/// repository) that belong to it. A fixture that cannot be read is an
/// error naming it.
pub fn seeds(target: &str, root: &Path) -> std::io::Result<Vec<Seed>> {
    let mut all = match target {
        "parse" => hostile_messages(),
        "mbox" => mboxes(),
        "maildir" => maildir_trees(),
        "query" => queries(),
        "customer_list" => lists(),
        "config" => configs(),
        "raw_open" => raw_edits(),
        "html_clean" => html(),
        "praise" | "privacy_request" => customer_words(),
        _ => Vec::new(),
    };
    let fixtures: &[&str] = match target {
        "parse" | "mbox" => &["tests/messages/malformed", "tests/messages/not-mail"],
        "customer_list" => &["tests/messages/not-mail/customers.csv"],
        "config" => &["config/casebook.example.toml"],
        _ => &[],
    };
    for fixture in fixtures {
        read_files(&root.join(fixture), &mut all)?;
    }
    Ok(all)
}

/// Every file at `path` (a file, or a folder's files, not recursing).
fn read_files(path: &Path, into: &mut Vec<Seed>) -> std::io::Result<()> {
    let named = |e: std::io::Error| {
        std::io::Error::new(e.kind(), format!("fixture {}: {e}", path.display()))
    };
    let mut files = Vec::new();
    if path.is_dir() {
        for entry in std::fs::read_dir(path).map_err(named)? {
            let entry = entry.map_err(named)?;
            if entry.file_type().map_err(named)?.is_file() {
                files.push(entry.path());
            }
        }
        files.sort();
    } else {
        files.push(path.to_owned());
    }
    for file in files {
        let bytes = std::fs::read(&file).map_err(named)?;
        let name = file
            .file_name()
            .map_or_else(|| "fixture".into(), |n| n.to_string_lossy().into_owned());
        into.push(seed(format!("fixture-{name}"), bytes));
    }
    Ok(())
}

const HEAD: &[u8] = b"From: Mallory <m@evil.example>\r\nTo: support@casebook.example\r\nMessage-ID: <h@evil.example>\r\n";

fn with_head(rest: &[u8]) -> Vec<u8> {
    [HEAD, rest].concat()
}

/// Multipart nested `depth` deep.
fn nested(depth: usize) -> Vec<u8> {
    let mut body = b"Content-Type: text/plain\r\n\r\ninnermost\r\n".to_vec();
    for d in 0..depth {
        let mut outer =
            format!("Content-Type: multipart/mixed; boundary=b{d}\r\n\r\n--b{d}\r\n").into_bytes();
        outer.extend_from_slice(&body);
        outer.extend_from_slice(format!("\r\n--b{d}--\r\n").as_bytes());
        body = outer;
    }
    body
}

/// Mail built to break parsers: deep MIME nesting, thousands of parts,
/// boundaries that are prefixes of each other, broken encodings, NUL
/// bytes, endless header lines, mixed line endings; and senders as real
/// clients write them (whole headers as encoded-words).
fn hostile_messages() -> Vec<Seed> {
    let mut parts = b"Subject: parts\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n".to_vec();
    parts.extend(b"--p\r\n\r\nx\r\n".repeat(3000));
    parts.extend_from_slice(b"--p--\r\n");
    let references: Vec<String> = (0..5000).map(|i| format!("<r{i}@x>")).collect();
    let mut deep_html = b"Subject: html\r\nContent-Type: text/html\r\n\r\n".to_vec();
    deep_html.extend(b"<div>".repeat(5000));
    deep_html.extend_from_slice(b"<script>alert(1)</script><!--");
    let mut long_header = b"X-Long: ".to_vec();
    long_header.extend(vec![b'y'; 300_000]);
    long_header.extend_from_slice(b"\r\nSubject: long line\r\n\r\nbody\r\n");
    let mut nested_mail =
        b"Content-Type: message/rfc822\r\nSubject: nested message\r\n\r\n".to_vec();
    nested_mail.extend_from_slice(HEAD);
    nested_mail.extend_from_slice(b"Content-Type: message/rfc822\r\n\r\n");
    nested_mail.extend_from_slice(HEAD);
    nested_mail.extend_from_slice(b"\r\ninner\r\n");
    vec![
        seed("deep", with_head(&[b"Subject: deep\r\n".as_slice(), &nested(200)].concat())),
        seed("parts", with_head(&parts)),
        seed("prefix-boundaries", with_head(b"Subject: prefix boundaries\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/alternative; boundary=aa\r\n\r\n--aa\r\n\r\none\r\n--a\r\n\r\ntwo\r\n--aa--\r\n--a--\r\n")),
        seed("broken-encodings", with_head(b"Subject: =?utf-8?B?broken base64!!?= =?x-unknown?Q?caf=E9?= =?utf-8?q?=ZZ?=\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=E9=\r\n=ZZ=0\r\n")),
        seed("nul", with_head(b"Subject: nul\x00here\r\nX-Bin: \x00\x01\x02\r\n\r\nbody\x00with\x00nuls\r\n")),
        seed("long-header", with_head(&long_header)),
        seed("mixed-endings", with_head(b"Subject: mixed\nContent-Type: text/plain\r\n\rstray CR\n\r\nbody\r")),
        seed("rfc2231", with_head(b"Subject: rfc2231\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\nContent-Disposition: attachment; filename*0*=utf-8''%E2%82; filename*1*=%AC.txt; filename*99=x\r\n\r\ndata\r\n--q--\r\n")),
        seed("deep-html", with_head(&deep_html)),
        seed("base64-junk", with_head(b"Subject: base64 junk\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment\r\n\r\n!!!!====@@@@\r\n!!!!====@@@@\r\n")),
        seed("references", with_head(format!("References: {}\r\nSubject: refs\r\n\r\nx\r\n", references.join(" ")).as_bytes())),
        seed("dates", [b"From: ".as_slice(), &[b'a'; 1000], b"@", &[b'b'; 1000], b"\r\nDate: Mon, 32 Foo 99999 25:61:61 +9999\r\nSubject: dates\r\n\r\nx"].concat()),
        seed("nested-message", with_head(&nested_mail)),
        seed("utf-7", with_head(b"Subject: charset\r\nContent-Type: text/plain; charset=\"utf-7\"\r\n\r\n+ZeVnLIqe-+AAA-\r\n")),
        // Found by fuzzing (minimised, rewritten by hand): a message/rfc822
        // part whose own body is an empty message/rfc822, ended by the
        // outer boundary. mail-parser 0.11 loses the multipart and panics
        // (a debug assertion); casebook-mail must store it all the same.
        seed("rfc822-in-rfc822-at-boundary", b"Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: message/rfc822\n\nContent-Type: message/rfc822\n\n\n\n--b--\n".to_vec()),
        // Python's email package, default policy: the whole From as one
        // encoded-word, name and address inside it.
        seed("python-encoded-from", b"From: =?utf-8?b?SsO2cmcgTcO8bGxlciA8am9lcmcubXVlbGxlckBleGFtcGxlLmRlPg==?=\nTo: support@casebook.example\nSubject: =?utf-8?q?Voicemail_l=C3=A4uft_nicht?=\nMIME-Version: 1.0\nContent-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: 8bit\n\nHallo,\n\ndie Voicemail l\xc3\xa4uft nicht.\n".to_vec()),
        // Outlook: Latin-1 quoted-printable name, HTML alternative.
        seed("outlook", b"From: =?iso-8859-1?Q?Ren=E9e_Fran=E7ois?= <renee@example.fr>\r\nTo: \"Support\" <support@casebook.example>\r\nSubject: RE: SIP trunk\r\nThread-Topic: SIP trunk\r\nContent-Type: multipart/alternative; boundary=\"_000_\"\r\n\r\n--_000_\r\nContent-Type: text/plain; charset=\"iso-8859-1\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nMerci beaucoup=A0!\r\n\r\n________________________________\r\nFrom: Support\r\n--_000_\r\nContent-Type: text/html; charset=\"iso-8859-1\"\r\n\r\n<html><body><p>Merci beaucoup&nbsp;!</p></body></html>\r\n--_000_--\r\n".to_vec()),
        // A web-form mailer: no display name, bare address, 8-bit body
        // with no charset.
        seed("web-form", b"From: webform@shop.example\nReply-To: kunde@example.de\nSubject: Kontaktformular\n\nName: J\xf6rg\nNachricht: Lizenz verl\xe4ngern\n".to_vec()),
    ]
}

fn mboxes() -> Vec<Seed> {
    vec![
        seed("two", "From ann@example.com Mon Jan  1 00:00:00 2024\nFrom: ann@example.com\nSubject: one\n\nbody\n>From the start\n\nFrom bob@example.com Tue Jan  2 00:00:00 2024\nFrom: bob@example.com\nSubject: two\n\nbody\n"),
        seed("from-inside-mime", "From ann@example.com Mon Jan  1 00:00:00 2024\nFrom: ann@example.com\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nFrom here on it breaks.\n\nFrom ann@example.com Mon Jan  1 00:00:00 2024\n--x--\n"),
        seed("crlf", "From a@b Mon Jan  1 00:00:00 2024\r\nSubject: x\r\n\r\nbody\r\n"),
    ]
}

fn maildir_trees() -> Vec<Seed> {
    // Entries: folder byte, flags byte, contents; 0xFF between entries.
    vec![
        seed(
            "three",
            b"\x00\x01From: a@b\n\nhi\xff\x03\x00Subject: x\n\nsent\xff\x06\x02From: c@d\n\n"
                .to_vec(),
        ),
        seed("nested", b"\x02\x05\xff\x07\x04From: nested@x\n\n".to_vec()),
        seed(
            "mbox-in-cur",
            b"\x00\x00From x Mon Jan  1 00:00:00 2024\nSubject: a\n\nb\n".to_vec(),
        ),
    ]
}

fn queries() -> Vec<Seed> {
    vec![
        seed(
            "words",
            "voicemail from:ann@example.com after:2008-01-31 -is:answered",
        ),
        seed(
            "groups",
            "(sip OR \"trunk down\") tag:testimonial customer:crm",
        ),
        seed("deep", format!("{}a{}", "(".repeat(40), ")".repeat(40))),
        seed("negations", format!("{}a", "-".repeat(50))),
        seed("unclosed", "(((\"voice mail"),
        seed(
            "unicode",
            "from:jörg@example.de subject:\"Lizenz verlängern\" thread:12",
        ),
    ]
}

fn lists() -> Vec<Seed> {
    vec![
        seed(
            "semicolons-bom",
            b"\xef\xbb\xbfE-Mail;Name\r\nann@example.com;\"Ann; Lee\"\r\n".to_vec(),
        ),
        seed("latin-1", b"email,company\nbob@b\xe9.example,B\n".to_vec()),
        seed(
            "outlook-contacts",
            "First Name,Last Name,E-mail Address,Company\nAnn,Lee,ann@example.com,Example Ltd\n",
        ),
        seed(
            "tabs-quoted",
            "\"Email\"\t\"Opt-in\"\n\"x@y.example\"\t\"yes\"\n",
        ),
    ]
}

fn configs() -> Vec<Seed> {
    vec![
        seed("small", "our_domains = [\"casebook.example\"]\nretention_days = 30\n"),
        seed("limits", "[limits]\nparse_bytes = 65536\nparts = 0\n"),
        seed("accounts", "[[accounts]]\nname = \"support\"\nhost = \"127.0.0.1\"\nport = 143\nuser = \"x\"\nfolders = [\"INBOX\"]\nbatch_messages = 0\n"),
        seed("wrong-types", "k_anonymity = \"five\"\nthread_subject_window_days = -1\n"),
    ]
}

fn raw_edits() -> Vec<Seed> {
    vec![
        seed("none", Vec::new()),
        seed("flip-header", vec![0, 1]),
        seed("flip-body", vec![60, 0x80, 61, 1]),
        seed("cut", vec![0xFF, 30]),
        // Found by fuzzing: cut to nothing, it opened as an empty message.
        seed("cut-to-nothing", vec![0xFF, 0, 1]),
        seed(
            "zstd-frame",
            vec![0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x58, 0x00, 0x00],
        ),
    ]
}

fn html() -> Vec<Seed> {
    vec![
        seed("deep", format!("{}x{}", "<div>".repeat(300), "</div>".repeat(300))),
        seed("script", "<p>Hi</p><script>alert(1)</script><SCRIPT SRC=//x></SCRIPT>"),
        seed("handlers", "<img src=x onerror=alert(1)><body onload=alert(1)><a href=\"#\" OnClick=\"x()\">a</a>"),
        seed("links", "<a href=\" java&#x09;script:alert(1)\">a</a><a href=\"JaVaScRiPt:alert(1)\">b</a><a href=\"vbscript:x\">c</a><a href=\"data:text/html,<script>alert(1)</script>\">d</a>"),
        seed("svg-math", "<svg><script>alert(1)</script><a xlink:href=\"javascript:alert(1)\"><circle/></a></svg><math><mi xlink:href=\"javascript:x\">x</mi></math>"),
        seed("comments-cdata", "<!--<script>alert(1)</script>--><![CDATA[<script>x</script>]]><!-- unclosed"),
        seed("style-form", "<style>body{background:url(javascript:x)}</style><form action=\"javascript:x\"><input formaction=javascript:x></form><p style=\"x:expression(alert(1))\">p</p>"),
        seed("attribute-tricks", "<p title=\"a> <script>alert(1)</script>\">x</p><img src=\"x\"/onerror=alert(1)><a href=javascript&colon;alert(1)>e</a>"),
        // Found by fuzzing: a backspace inside the scheme (not a script to
        // a browser; it once fooled the inertness check).
        seed("control-in-scheme", "<a href=\" java&#x08;script:alert(1)\">b</a><a href=\"\u{1}java&#x09;script:alert(1)\">c</a>"),
        seed("outlook-word", "<html xmlns:o=\"urn:schemas-microsoft-com:office:office\"><head><meta http-equiv=Content-Type content=\"text/html\"><style><!-- p.MsoNormal {margin:0} --></style></head><body lang=DE><div class=WordSection1><p class=MsoNormal>Danke!<o:p></o:p></p></div></body></html>"),
        seed("gmail-quote", "<div dir=\"ltr\">Thanks, works now.</div><br><div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">On Mon, Support wrote:<br></div><blockquote class=\"gmail_quote\" style=\"margin:0 0 0 .8ex\">Try this.</blockquote></div>"),
    ]
}

/// What customers write, as clients send it: praise and permission,
/// requests about their data, each with quoted text and signatures that
/// must not count.
fn customer_words() -> Vec<Seed> {
    vec![
        seed("gmail-praise", "Thanks so much, the SIP trunk works perfectly now. You can quote me on that.\n\nOn Mon, 3 Mar 2025 at 10:00, Support <support@casebook.example> wrote:\n> Please try re-registering the trunk.\n> We are the best support team.\n"),
        seed("outlook-praise", "Your team was fantastic, thank you!\r\n\r\n________________________________\r\nFrom: Support <support@casebook.example>\r\nSent: Monday, March 3, 2025 10:00\r\nSubject: RE: voicemail\r\n\r\nGreat news: it is fixed. Feel free to quote us.\r\n"),
        seed("apple-de", "Vielen Dank, hervorragender Support! Sie dürfen mich gerne zitieren.\n\n> Am 03.03.2025 um 10:00 schrieb Support <support@casebook.example>:\n> \n> Bitte abbestellen ist nicht nötig.\n\n-- \nJörg Müller\nMüller GmbH\n"),
        seed("doubt", "Not great, honestly. The voicemail still fails. Please don't quote me.\n"),
        seed("unsubscribe", "Please unsubscribe me from your newsletter.\n\n> Don't share my details with anyone.\n"),
        seed("stop-sharing-fr", "Merci de ne pas partager mes données avec vos partenaires. Merci de me désinscrire.\n"),
        seed("only-quoted", "> Please unsubscribe me.\n> Amazing support, quote me.\n"),
        seed("typographic", "Your support is \u{201c}amazing\u{201d} \u{2014} really\u{2019}s the best.\u{a0}Quote me!\n"),
    ]
}

//! How real mail programs dress a message (the `realistic` profile): the
//! relay and authentication headers a message gathers on its way, each
//! program's own headers, MIME structure, quoting style (Outlook's header
//! block, Gmail's and Thunderbird's attribution line, Apple Mail's quoted
//! attribution), signatures with disclaimers, HTML with the program's
//! boilerplate, and attachments of realistic sizes. The words of the
//! conversation are the plan's; only their dress differs, so the truth
//! holds for either profile.

use crate::encode::{base64, base64_lines, header_text, quoted_printable, to_charset};
use crate::render::{civil, rfc2822, MessageDraft, Quoted, Style};
use crate::rng::Rng;

/// A mail program whose habits a message follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    Outlook,
    Gmail,
    AppleMail,
    Thunderbird,
    /// A script using Python's `email` package with its default policy.
    PythonEmail,
    /// A PHP contact form on a web site.
    WebForm,
}

impl Client {
    /// The program a person uses, the same for every message they send.
    pub(crate) fn of(address: &str, outbound: bool) -> Self {
        let h = hash(address);
        if outbound {
            return if h.is_multiple_of(3) {
                Self::Thunderbird
            } else {
                Self::Outlook
            };
        }
        if address.ends_with("@gmail.com") {
            return if h.is_multiple_of(4) {
                Self::AppleMail
            } else {
                Self::Gmail
            };
        }
        match h % 10 {
            0..=3 => Self::Outlook,
            4..=5 => Self::AppleMail,
            6..=7 => Self::Thunderbird,
            8 => Self::Gmail,
            _ => Self::PythonEmail,
        }
    }
}

/// How one message is dressed.
#[derive(Debug, Clone)]
pub struct Dress {
    pub client: Client,
    /// Seeds everything random in the dress (relay names, signatures, bytes).
    pub seed: u64,
    /// Size of the attachment, when the style has one.
    pub attachment_bytes: usize,
    /// The whole From header as one encoded-word, as some form mailers do.
    pub encoded_from: bool,
}

/// The style, attachment and client of a realistic message; `first` is
/// true for the message that opens a conversation.
pub(crate) fn choose(
    rng: &mut Rng,
    from: &str,
    outbound: bool,
    first: bool,
    foreign: bool,
) -> (Style, Dress) {
    let mut client = Client::of(from, outbound);
    if first && !outbound && rng.chance(0.12) {
        client = Client::WebForm;
    }
    let encoded_from = client == Client::WebForm && rng.chance(0.5);
    let attachment = if foreign || client == Client::WebForm {
        None
    } else if outbound {
        rng.chance(0.05).then_some(Style::WithPdf)
    } else if rng.chance(0.16) {
        Some(match rng.below(4) {
            0 | 1 => Style::WithLog,
            2 => Style::WithBinary,
            _ => Style::WithImage,
        })
    } else {
        None
    };
    // Sizes spread like real attachments: most a few kilobytes, a few large.
    let attachment_bytes = match attachment {
        Some(Style::WithLog) => 2_000 + skewed(rng, 38_000),
        Some(Style::WithBinary) => 1_500 + skewed(rng, 46_000),
        Some(Style::WithImage) => 12_000 + skewed(rng, 110_000),
        Some(Style::WithPdf) => 9_000 + skewed(rng, 30_000),
        _ => 0,
    };
    let style = match attachment {
        Some(style) => style,
        None if client == Client::WebForm && rng.chance(0.5) => Style::HtmlOnly,
        None => match client {
            Client::Outlook | Client::Gmail | Client::AppleMail => Style::Alternative,
            _ => Style::Plain,
        },
    };
    let dress = Dress {
        client,
        seed: rng.next_u64(),
        attachment_bytes,
        encoded_from,
    };
    (style, dress)
}

/// A number in `0..max` where small ones are far more likely (the cube of
/// a uniform draw).
fn skewed(rng: &mut Rng, max: usize) -> usize {
    let u = rng.below(1_000) as f64 / 1_000.0;
    (u * u * u * max as f64) as usize
}

fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A run of base64 alphabet characters, as in signatures and IDs.
fn token(rng: &mut Rng, len: usize) -> String {
    let bytes: Vec<u8> = (0..len).map(|_| (rng.next_u64() & 0xff) as u8).collect();
    let mut t = base64(&bytes);
    t.truncate(len);
    t
}

fn hex(rng: &mut Rng, len: usize) -> String {
    (0..len)
        .map(|_| char::from(b"0123456789abcdef"[rng.below(16)]))
        .collect()
}

fn domain_of(address: &str) -> &str {
    address.rsplit('@').next().unwrap_or("example.com")
}

/// The message's text as its plain part shows it (what a reply quotes).
pub(crate) fn text_of(d: &MessageDraft, dress: &Dress) -> String {
    match dress.client {
        Client::WebForm => form_text(d),
        _ => plain_text(d, dress),
    }
}

/// The text the sender typed, with their signature, and the message
/// replied to quoted the way their program quotes.
fn plain_text(d: &MessageDraft, dress: &Dress) -> String {
    let mut out = d.text.trim_end().to_owned();
    out.push_str(&signature(d, dress));
    if let Some(q) = &d.quoted {
        out.push_str("\n\n");
        out.push_str(&quote(dress.client, q));
    }
    out
}

fn signature(d: &MessageDraft, dress: &Dress) -> String {
    let mut rng = Rng::new(dress.seed ^ 0x51);
    let domain = domain_of(&d.from);
    if domain == crate::OUR_DOMAIN {
        return format!(
            "\n\n-- \n{}\nCasebook Support \u{2013} https://{domain}/support\n\
             Phone +49 30 5550 1{:03} \u{2013} Mon\u{2013}Fri 08:00\u{2013}18:00 CET",
            d.from_name,
            rng.below(1000)
        );
    }
    match dress.client {
        Client::AppleMail if rng.chance(0.5) => "\n\nSent from my iPhone".to_owned(),
        Client::PythonEmail | Client::WebForm => String::new(),
        _ if crate::text::FREE_MAIL.contains(&domain) => String::new(),
        client => {
            let company = domain.split('.').next().unwrap_or(domain);
            let title = *rng.pick(&[
                "IT Manager",
                "Head of Telephony",
                "Systems Administrator",
                "Office Manager",
            ]);
            let delimiter = if client == Client::Outlook {
                ""
            } else {
                "-- \n"
            };
            format!(
                "\n\n{delimiter}{}\n{title} | {} Ltd.\nTel. +44 20 7946 0{:03} | www.{domain}\n\n\
                 CONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and \
                 may be privileged. If you are not the intended recipient, please notify the \
                 sender immediately and delete it; do not copy or disclose its contents. \
                 {company}\u{2019}s e-mail is scanned for viruses but we accept no liability for \
                 any damage caused by it.",
                d.from_name,
                capitalised(company),
                rng.below(1000)
            )
        }
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn quote(client: Client, q: &Quoted) -> String {
    let c = civil(q.date, q.offset_minutes);
    let prefixed = |attribution: String| {
        let mut out = attribution;
        for line in q.text.lines() {
            out.push('>');
            if !line.is_empty() && !line.starts_with('>') {
                out.push(' ');
            }
            out.push_str(line);
            out.push('\n');
        }
        out
    };
    match client {
        Client::Outlook => format!(
            "________________________________\nFrom: {} <{}>\nSent: {}, {} {}, {} {}:{:02} {}\n\
             To: {} <{}>\nSubject: {}\n\n{}",
            q.who,
            q.address,
            c.weekday_name(),
            c.month_name(),
            c.day,
            c.year,
            c.hour12(),
            c.minute,
            c.am_pm(),
            q.to_name,
            q.to,
            q.subject,
            q.text
        ),
        Client::Gmail => {
            let head = format!(
                "On {}, {} {}, {} at {}:{:02}\u{202f}{} {} <{}> wrote:\n\n",
                &c.weekday_name()[..3],
                &c.month_name()[..3],
                c.day,
                c.year,
                c.hour12(),
                c.minute,
                c.am_pm(),
                q.who,
                q.address
            );
            prefixed(head)
        }
        Client::AppleMail => {
            let mut out = format!(
                "> On {} {} {}, at {:02}:{:02}, {} <{}> wrote:\n> \n",
                c.day,
                &c.month_name()[..3],
                c.year,
                c.hour,
                c.minute,
                q.who,
                q.address
            );
            out.push_str(&prefixed(String::new()));
            out
        }
        Client::Thunderbird => prefixed(format!(
            "On {:02}/{:02}/{} {:02}:{:02}, {} wrote:\n",
            c.day, c.month, c.year, c.hour, c.minute, q.who
        )),
        Client::PythonEmail | Client::WebForm => prefixed(format!("{} wrote:\n", q.who)),
    }
}

/// The whole message: relay and program headers, then the body.
pub(crate) fn render(d: &MessageDraft, dress: &Dress) -> Vec<u8> {
    let mut rng = Rng::new(dress.seed);
    let mut h = String::with_capacity(6 * 1024);
    if let Some(r) = &d.extra_received {
        h.push_str(&format!("Received: {r}\n"));
    }
    relay_headers(&mut h, d, dress, &mut rng);
    let from = if dress.encoded_from {
        format!(
            "=?UTF-8?B?{}?=",
            base64(format!("{} <{}>", d.from_name, d.from).as_bytes())
        )
    } else if dress.client == Client::PythonEmail {
        format!("{} <{}>", header_text(&d.from_name, "utf-8"), d.from)
    } else {
        format!("\"{}\" <{}>", d.from_name, d.from)
    };
    let charset = d.charset.unwrap_or("utf-8");
    let subject = header_text(&d.subject, charset);
    let date = rfc2822(d.date, d.offset_minutes);
    let message_id = d.message_id.as_ref().map(|id| format!("<{id}>"));
    let references: Vec<String> = d.references.iter().map(|r| format!("<{r}>")).collect();
    let in_reply_to = d.in_reply_to.as_ref().map(|id| format!("<{id}>"));
    program_headers(&mut h, d, dress, &mut rng);
    h.push_str(&format!("From: {from}\nTo: {} <{}>\n", d.to_name, d.to));
    h.push_str(&format!("Subject: {subject}\nDate: {date}\n"));
    if let Some(id) = &message_id {
        h.push_str(&format!("Message-ID: {id}\n"));
    }
    if let Some(id) = &in_reply_to {
        h.push_str(&format!("In-Reply-To: {id}\n"));
    }
    if !references.is_empty() {
        h.push_str(&format!("References: {}\n", references.join("\n ")));
    }
    h.push_str(&format!("X-Corpus-Key: {}\nMIME-Version: 1.0\n", d.key));
    let mut out = h.into_bytes();
    out.extend_from_slice(body(d, dress, &mut rng).as_bytes());
    d.line_ends(out)
}

fn relay_headers(h: &mut String, d: &MessageDraft, dress: &Dress, rng: &mut Rng) {
    let domain = domain_of(&d.from).to_owned();
    let stamp = |secs: i64| rfc2822(d.date + secs, 0);
    h.push_str(&format!("Return-Path: <{}>\n", d.from));
    h.push_str(&format!("Delivered-To: {}\n", d.to));
    h.push_str(&format!(
        "Received: from mx.casebook.example\n\tby imap.casebook.example with LMTP\n\tid {} ({}) for <{}>; {}\n",
        token(rng, 22),
        "Dovecot",
        d.to,
        stamp(4)
    ));
    let hops = 2 + rng.below(3);
    for hop in 0..hops {
        let octet = 1 + rng.below(250);
        let host = match dress.client {
            Client::Gmail => format!("mail-{}.google.com", hex(rng, 8)),
            Client::Outlook => format!(
                "{}.eurprd0{}.prod.outlook.com",
                hex(rng, 12).to_uppercase(),
                1 + rng.below(8)
            ),
            _ => format!("smtp{}.{domain}", hop + 1),
        };
        h.push_str(&format!(
            "Received: from {host} ({host} [203.0.113.{octet}])\n\tby mx.casebook.example (Postfix) with ESMTPS id {}\n\
             \tfor <{}>; {}\n",
            token(rng, 11).to_uppercase(),
            d.to,
            stamp(3 - hop as i64)
        ));
    }
    h.push_str(&format!(
        "Authentication-Results: mx.casebook.example;\n\tdkim=pass (2048-bit key) header.d={domain} header.i=@{domain} header.b=\"{}\";\n\
         \tspf=pass (mx.casebook.example: domain of {} designates 203.0.113.9 as permitted sender) smtp.mailfrom={};\n\
         \tdmarc=pass (p=NONE sp=NONE dis=NONE) header.from={domain}\n",
        token(rng, 8),
        d.from,
        d.from
    ));
    if dress.client != Client::WebForm {
        h.push_str(&format!(
            "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=selector{};\n\
             \tt={}; h=from:to:subject:date:message-id:references:in-reply-to:mime-version;\n\
             \tbh={}=;\n\tb={}\n\t {}\n\t {}\n\t {}\n",
            1 + rng.below(2),
            d.date,
            token(rng, 43),
            token(rng, 70),
            token(rng, 70),
            token(rng, 70),
            token(rng, 132),
        ));
    }
}

fn program_headers(h: &mut String, d: &MessageDraft, dress: &Dress, rng: &mut Rng) {
    match dress.client {
        Client::Outlook => {
            h.push_str(&format!(
                "Thread-Topic: {}\nThread-Index: {}\nAccept-Language: en-GB, en-US\nContent-Language: en-GB\n\
                 X-MS-Has-Attach: {}\nX-MS-TNEF-Correlator:\nx-ms-publictraffictype: Email\n\
                 x-ms-traffictypediagnostic: {}:EE_|{}:EE_\n\
                 x-ms-exchange-antispam-messagedata-chunkcount: 1\n\
                 x-ms-exchange-antispam-messagedata-0: {}\n\
                 X-MS-Exchange-CrossTenant-originalarrivaltime: {}\n\
                 X-MS-Exchange-CrossTenant-id: {}-{}-{}-{}-{}\n\
                 X-OriginatorOrg: {}\n",
                header_text(d.subject.trim_start_matches("Re: "), "utf-8"),
                token(rng, 44),
                if matches!(d.style, Style::WithLog | Style::WithBinary | Style::WithImage | Style::WithPdf) { "yes" } else { "" },
                token(rng, 12).to_uppercase(),
                token(rng, 12).to_uppercase(),
                token(rng, 300),
                rfc2822(d.date, 0),
                hex(rng, 8),
                hex(rng, 4),
                hex(rng, 4),
                hex(rng, 4),
                hex(rng, 12),
                domain_of(&d.from)
            ));
        }
        Client::Gmail => {
            h.push_str(&format!(
                "X-Google-DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=1e100.net; s=20230601;\n\
                 \tt={}; x=1; h=to:subject:message-id:date:from:mime-version;\n\tbh={}=;\n\tb={}\n\t {}\n\
                 X-Gm-Message-State: {}\n\t{}\nX-Google-Smtp-Source: {}\n\
                 X-Received: by 2002:a05:6512:{}:b0:{}:{} with SMTP id {}.{}.{};\n\t{}\n",
                d.date,
                token(rng, 43),
                token(rng, 70),
                token(rng, 70),
                token(rng, 72),
                token(rng, 60),
                token(rng, 88),
                hex(rng, 4),
                hex(rng, 3),
                hex(rng, 4),
                1000 + rng.below(9000),
                1000 + rng.below(9000),
                1000 + rng.below(9000),
                rfc2822(d.date, -480)
            ));
        }
        Client::AppleMail => {
            h.push_str("X-Mailer: Apple Mail (2.3774.600.62)\nMime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))\n");
        }
        Client::Thunderbird => {
            h.push_str("User-Agent: Mozilla Thunderbird\nContent-Language: en-US\n");
        }
        Client::PythonEmail => {}
        Client::WebForm => {
            h.push_str(&format!(
                "X-Mailer: PHP/8.1.{}\nX-PHP-Originating-Script: 33:contact-form.php\n",
                rng.below(30)
            ));
        }
    }
}

fn boundary(client: Client, rng: &mut Rng) -> String {
    match client {
        Client::Outlook => format!("_000_{}_", token(rng, 40).replace(['+', '/'], "A")),
        Client::Gmail => format!("0000000000{}", hex(rng, 18)),
        Client::AppleMail => format!(
            "Apple-Mail={}-{}-{}-{}-{}",
            hex(rng, 8).to_uppercase(),
            hex(rng, 4).to_uppercase(),
            hex(rng, 4).to_uppercase(),
            hex(rng, 4).to_uppercase(),
            hex(rng, 12).to_uppercase()
        ),
        Client::Thunderbird => format!("------------{}", token(rng, 24).replace(['+', '/'], "0")),
        Client::PythonEmail | Client::WebForm => {
            format!(
                "==============={}==",
                1_000_000_000 + rng.below(1_000_000_000)
            )
        }
    }
}

/// The body from `Content-Type` on.
fn body(d: &MessageDraft, dress: &Dress, rng: &mut Rng) -> String {
    let text = text_of(d, dress);
    let alternative = |rng: &mut Rng| {
        let b = boundary(dress.client, rng);
        format!(
            "Content-Type: multipart/alternative; boundary=\"{b}\"\n\n--{b}\n{}\n--{b}\n{}\n--{b}--\n",
            plain_part(d, dress, &text),
            html_part(d, dress, &text)
        )
    };
    match d.style {
        Style::Plain | Style::Bounce => plain_part(d, dress, &text),
        Style::HtmlOnly => html_part(d, dress, &text),
        Style::Alternative => alternative(rng),
        Style::WithLog | Style::WithBinary | Style::WithImage | Style::WithPdf => {
            let inner = match dress.client {
                Client::Outlook | Client::Gmail | Client::AppleMail => alternative(rng),
                _ => plain_part(d, dress, &text),
            };
            let b = boundary(dress.client, rng);
            format!(
                "Content-Type: multipart/mixed; boundary=\"{b}\"\n\n--{b}\n{inner}\n--{b}\n{}\n--{b}--\n",
                attachment(d, dress)
            )
        }
    }
}

/// What a contact form sends: its fields, then the message.
fn form_text(d: &MessageDraft) -> String {
    format!(
        "Name: {}\nEmail: {}\nTopic: Technical support\n\nMessage:\n{}\n\n--\nSent from the contact form at https://www.casebook.example/contact",
        d.from_name,
        d.from,
        d.text.trim_end()
    )
}

fn plain_part(d: &MessageDraft, dress: &Dress, text: &str) -> String {
    if let Some(cs) = d.charset {
        return format!(
            "Content-Type: text/plain; charset={cs}\nContent-Transfer-Encoding: quoted-printable\n\n{}\n",
            quoted_printable(&to_charset(text, cs), "\n")
        );
    }
    match dress.client {
        Client::Outlook if text.is_ascii() => format!(
            "Content-Type: text/plain; charset=\"us-ascii\"\nContent-Transfer-Encoding: quoted-printable\n\n{}\n",
            quoted_printable(text.as_bytes(), "\n")
        ),
        Client::Outlook => format!(
            "Content-Type: text/plain; charset=\"Windows-1252\"\nContent-Transfer-Encoding: quoted-printable\n\n{}\n",
            quoted_printable(&to_charset(text, "windows-1252"), "\n")
        ),
        Client::Thunderbird if text.is_ascii() => format!(
            "Content-Type: text/plain; charset=UTF-8; format=flowed\nContent-Transfer-Encoding: 7bit\n\n{text}\n"
        ),
        Client::PythonEmail if text.is_ascii() => format!(
            "Content-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: 7bit\n\n{text}\n"
        ),
        Client::PythonEmail => format!(
            "Content-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: base64\n\n{}",
            base64_lines(text.as_bytes(), "\n")
        ),
        Client::Gmail if text.is_ascii() => {
            format!("Content-Type: text/plain; charset=\"UTF-8\"\n\n{text}\n")
        }
        _ => format!(
            "Content-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: quoted-printable\n\n{}\n",
            quoted_printable(text.as_bytes(), "\n")
        ),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Paragraphs of plain text as HTML, each wrapped in `open`/`close`.
fn paragraphs(text: &str, open: &str, close: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for p in text.split("\n\n") {
        out.push_str(open);
        out.push_str(&escape(p).replace('\n', "<br>\n"));
        out.push_str(close);
        out.push('\n');
    }
    out
}

const OUTLOOK_STYLE: &str = "<style><!--\n/* Font Definitions */\n\
@font-face\n\t{font-family:\"Cambria Math\";\n\tpanose-1:2 4 5 3 5 4 6 3 2 4;}\n\
@font-face\n\t{font-family:Calibri;\n\tpanose-1:2 15 5 2 2 2 4 3 2 4;}\n\
@font-face\n\t{font-family:Aptos;}\n\
/* Style Definitions */\n\
p.MsoNormal, li.MsoNormal, div.MsoNormal\n\t{margin:0cm;\n\tfont-size:11.0pt;\n\tfont-family:\"Calibri\",sans-serif;\n\tmso-ligatures:standardcontextual;\n\tmso-fareast-language:EN-US;}\n\
a:link, span.MsoHyperlink\n\t{mso-style-priority:99;\n\tcolor:#0563C1;\n\ttext-decoration:underline;}\n\
span.EmailStyle17\n\t{mso-style-type:personal-compose;\n\tfont-family:\"Calibri\",sans-serif;\n\tcolor:windowtext;}\n\
.MsoChpDefault\n\t{mso-style-type:export-only;\n\tfont-size:10.0pt;\n\tmso-ligatures:none;}\n\
@page WordSection1\n\t{size:612.0pt 792.0pt;\n\tmargin:72.0pt 72.0pt 72.0pt 72.0pt;}\n\
div.WordSection1\n\t{page:WordSection1;}\n--></style><!--[if gte mso 9]><xml>\n\
<o:shapedefaults v:ext=\"edit\" spidmax=\"1026\" />\n</xml><![endif]--><!--[if gte mso 9]><xml>\n\
<o:shapelayout v:ext=\"edit\">\n<o:idmap v:ext=\"edit\" data=\"1\" />\n</o:shapelayout></xml><![endif]-->";

fn html_part(d: &MessageDraft, dress: &Dress, text: &str) -> String {
    let html = match dress.client {
        Client::Outlook => format!(
            "<html xmlns:v=\"urn:schemas-microsoft-com:vml\" xmlns:o=\"urn:schemas-microsoft-com:office:office\" \
             xmlns:w=\"urn:schemas-microsoft-com:office:word\" xmlns:m=\"http://schemas.microsoft.com/office/2004/12/omml\" \
             xmlns=\"http://www.w3.org/TR/REC-html40\">\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n\
             <meta name=\"Generator\" content=\"Microsoft Word 15 (filtered medium)\">\n{OUTLOOK_STYLE}\n</head>\n\
             <body lang=\"EN-GB\" link=\"#0563C1\" vlink=\"#954F72\" style=\"word-wrap:break-word\">\n<div class=\"WordSection1\">\n{}\
             </div>\n</body>\n</html>",
            outlook_paragraphs(text)
        ),
        Client::Gmail => {
            let (own, quoted) = split_quote(d, text);
            let mut html = format!("<div dir=\"ltr\">{}</div>", paragraphs(own, "<div>", "</div><div><br></div>"));
            if let Some((attribution, quoted)) = quoted {
                html.push_str(&format!(
                    "<br><div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">{}<br></div>\
                     <blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex\">{}</blockquote></div>\n",
                    escape(attribution),
                    paragraphs(&quoted, "<div>", "</div>")
                ));
            }
            html
        }
        Client::AppleMail => {
            let (own, quoted) = split_quote(d, text);
            let mut html = format!(
                "<html><head><meta http-equiv=\"content-type\" content=\"text/html; charset=utf-8\"></head>\
                 <body style=\"overflow-wrap: break-word; -webkit-nbsp-mode: space; line-break: after-white-space;\">{}",
                paragraphs(own, "<div>", "</div><div><br></div>")
            );
            if let Some((attribution, quoted)) = quoted {
                html.push_str(&format!(
                    "<div><br><blockquote type=\"cite\"><div>{}</div><br class=\"Apple-interchange-newline\">{}</blockquote></div>",
                    escape(attribution.trim_start_matches("> ")),
                    paragraphs(&quoted, "<div>", "</div>")
                ));
            }
            html.push_str("</body></html>");
            html
        }
        _ => format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Contact form</title></head><body>\
             <table cellpadding=\"4\" style=\"font-family:Arial,sans-serif;font-size:13px\">{}</table></body></html>",
            paragraphs(text, "<tr><td>", "</td></tr>")
        ),
    };
    format!(
        "Content-Type: text/html; charset=\"utf-8\"\nContent-Transfer-Encoding: quoted-printable\n\n{}\n",
        quoted_printable(html.as_bytes(), "\n")
    )
}

/// Outlook writes every line as a paragraph and the quoted message after
/// a top border, unprefixed.
fn outlook_paragraphs(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for line in text.lines() {
        if line == "________________________________" {
            out.push_str("<div style=\"border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm\">\n");
            continue;
        }
        if line.is_empty() {
            out.push_str("<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p>\n");
        } else {
            out.push_str(&format!(
                "<p class=\"MsoNormal\"><span style=\"mso-fareast-language:EN-US\">{}<o:p></o:p></span></p>\n",
                escape(line)
            ));
        }
    }
    if text.contains("\n________________________________\n") {
        out.push_str("</div>\n");
    }
    out
}

/// The sender's own part of `text` and, when it quotes, the attribution
/// line and the quoted lines without their `>`.
fn split_quote<'a>(d: &MessageDraft, text: &'a str) -> (&'a str, Option<(&'a str, String)>) {
    if d.quoted.is_none() {
        return (text, None);
    }
    let Some(at) = text.find(" wrote:\n") else {
        return (text, None);
    };
    let start = text[..at].rfind("\n\n").map_or(0, |i| i + 2);
    let own = &text[..start];
    let attribution = &text[start..at + " wrote:".len()];
    let quoted: Vec<&str> = text[at + " wrote:\n".len()..]
        .lines()
        .map(|l| {
            l.strip_prefix("> ")
                .or_else(|| l.strip_prefix('>'))
                .unwrap_or(l)
        })
        .collect();
    (own, Some((attribution, quoted.join("\n"))))
}

fn attachment(d: &MessageDraft, dress: &Dress) -> String {
    let size = dress.attachment_bytes;
    let mut rng = Rng::new(dress.seed ^ 0xa77a);
    match d.style {
        Style::WithLog => {
            let mut log = String::with_capacity(size + 200);
            let mut second = 0;
            while log.len() < size {
                second += 1 + rng.below(3);
                let line = match rng.below(4) {
                    0 => format!("NOTICE[{}] chan_sip.c: Registration from '<sip:{}@pbx>' failed for '203.0.113.{}:5060' - Wrong password", 1000 + rng.below(9000), d.key, rng.below(250)),
                    1 => format!("WARNING[{}] chan_sip.c: Retransmission timeout reached on transmission {}@203.0.113.7:5060 for seqno 102 (Critical Request) -- See https://wiki.asterisk.org/", 1000 + rng.below(9000), hex(&mut rng, 16)),
                    2 => format!("VERBOSE[{}] pbx.c: Executing [{}@from-internal:1] Dial(\"SIP/{}-0000{}\", \"SIP/trunk/{}\") in new stack", 1000 + rng.below(9000), 200 + rng.below(100), 200 + rng.below(100), hex(&mut rng, 4), 4915_0000 + rng.below(9999)),
                    _ => format!("ERROR[{}] rtp_engine.c: RTP read too short ({} bytes) from 203.0.113.{}", 1000 + rng.below(9000), rng.below(12), rng.below(250)),
                };
                log.push_str(&format!(
                    "[2008-03-01 {:02}:{:02}:{:02}] {line}\n",
                    10 + second / 3600 % 12,
                    second / 60 % 60,
                    second % 60
                ));
            }
            format!(
                "Content-Type: text/plain; charset=\"us-ascii\"; name=\"full.log\"\n\
                 Content-Disposition: attachment; filename=\"full.log\"; size={}\n\
                 Content-Transfer-Encoding: quoted-printable\n\n{}\n",
                log.len(),
                quoted_printable(log.as_bytes(), "\n")
            )
        }
        Style::WithBinary => binary(
            &mut rng,
            "application/vnd.tcpdump.pcap",
            "capture.pcap",
            &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0],
            size,
        ),
        Style::WithImage => binary(
            &mut rng,
            "image/png",
            "Screenshot 2008-03-01 at 10.02.17.png",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            size,
        ),
        _ => binary(
            &mut rng,
            "application/pdf",
            &format!("Invoice-{}.pdf", d.key),
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
            size,
        ),
    }
}

fn binary(rng: &mut Rng, mime: &str, name: &str, magic: &[u8], size: usize) -> String {
    let mut bytes = magic.to_vec();
    bytes.extend((magic.len()..size.max(magic.len())).map(|_| (rng.next_u64() & 0xff) as u8));
    format!(
        "Content-Type: {mime}; name=\"{name}\"\nContent-Description: {name}\n\
         Content-Disposition: attachment; filename=\"{name}\"; size={}\n\
         Content-Transfer-Encoding: base64\n\n{}",
        bytes.len(),
        base64_lines(&bytes, "\n")
    )
}

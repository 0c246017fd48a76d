//! A deterministic generator of support correspondence for tests and
//! benchmarks: customers of a telephony vendor writing about SIP trunks,
//! dialplans, voicemail, licences and invoices, our agents replying with
//! quoting, follow-ups and praise; multipart/alternative, HTML-only mail,
//! attachments, legacy charsets in quoted-printable and base64, RFC 2047
//! subjects, missing Message-IDs, second deliveries, auto-replies, bounces,
//! CRLF and LF files.
//!
//! [`generate`] writes the same messages as a Maildir (`Maildir/`, with
//! `.Sent`) and as mbox files (`mbox/INBOX`, `mbox/Sent`), plus
//! `truth.json`: every message's thread, direction and paired reply.
//!
//! ```no_run
//! let truth = casebook_corpus::generate(&casebook_corpus::Spec::compact(1000, 7),
//!     std::path::Path::new("/tmp/corpus")).unwrap();
//! assert!(truth.messages.len() >= 1000);
//! ```
//!
//! Architecture invariant: the same spec always writes the same bytes; the
//! generator depends on no other Casebook crate, so the truth it states is
//! independent of the code it tests.

mod clients;
mod encode;
mod render;
mod rng;
mod text;
mod write;

use rng::Rng;
use std::path::Path;
use text::{
    Foreign, Topic, AGENTS, COMPANIES, FIRST_NAMES, FOREIGN, FREE_MAIL, LAST_NAMES, PERMISSION,
    PRAISE, PRIVACY_REQUESTS, TOPICS,
};

pub use clients::{Client, Dress};
pub use render::{MessageDraft, Quoted};

/// Our own domain in the corpus: mail from it is outbound.
pub const OUR_DOMAIN: &str = "casebook.example";
/// Where customers write to.
pub const SUPPORT_ADDRESS: &str = "support@casebook.example";

/// How much mail to make, and from which seed.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// At least this many messages are written (the last thread may add a few).
    pub messages: usize,
    pub seed: u64,
    pub profile: Profile,
}

impl Spec {
    /// `messages` in the compact profile from `seed`.
    pub fn compact(messages: usize, seed: u64) -> Self {
        Self {
            messages,
            seed,
            profile: Profile::Compact,
        }
    }
}

/// How the messages are dressed. The conversations, their words and the
/// truth's threads, directions and replies are the same in both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// About 1 KB a message: few headers, short bodies, small attachments.
    #[default]
    Compact,
    /// As real mail programs write (Outlook, Gmail, Apple Mail,
    /// Thunderbird, Python's `email`, PHP contact forms): relay and
    /// signature headers, signatures and disclaimers, each program's
    /// quoting of the whole conversation, HTML with its boilerplate,
    /// attachments of a few to a hundred kilobytes; mostly 2–20 KB.
    Realistic,
}

/// What the corpus is, for tests to compare against.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Truth {
    pub messages: Vec<TruthMessage>,
    pub threads: usize,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TruthMessage {
    /// Unique; also in the message's `X-Corpus-Key` header.
    pub key: String,
    pub thread: usize,
    /// `inbound`, `outbound` or `automated`.
    pub direction: String,
    pub message_id: Option<String>,
    pub correspondent: String,
    /// For inbound mail: the key of our first reply to it.
    pub reply: Option<String>,
    /// For a second delivery: the key of the message it is a copy of.
    pub copy_of: Option<String>,
    pub topic: String,
    pub praise: bool,
    pub permission: bool,
    /// What a customer message asks of their data: `unsubscribe`,
    /// `stop-sharing`, or both joined by `+`.
    #[serde(default)]
    pub privacy_request: Option<String>,
    pub html_only: bool,
    pub has_attachment: bool,
    /// A word of a legacy-charset body, as one would search for it.
    pub foreign_word: Option<String>,
    pub subject: String,
    pub date: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Writes the corpus below `out` and returns its truth (also written as
/// `truth.json`). Messages are written a conversation at a time: memory
/// holds the truth, not the mail.
pub fn generate(spec: &Spec, out: &Path) -> Result<Truth, CorpusError> {
    let mut writer = write::Writer::create(out)?;
    let mut g = Generator::new(spec);
    while g.truth.len() < spec.messages {
        g.conversation();
        g.thread += 1;
        for (i, draft) in g.drafts.drain(..).enumerate() {
            writer.write(g.written + i, &draft, &g.truth[g.written + i])?;
        }
        g.written = g.truth.len();
    }
    let truth = Truth {
        messages: g.truth,
        threads: g.thread,
    };
    writer.finish(&truth)?;
    Ok(truth)
}

/// The messages and their truth, without writing anything.
pub fn plan(spec: &Spec) -> (Vec<MessageDraft>, Truth) {
    let mut g = Generator::new(spec);
    while g.drafts.len() < spec.messages {
        g.conversation();
        g.thread += 1;
    }
    let threads = g.thread;
    (
        g.drafts,
        Truth {
            messages: g.truth,
            threads,
        },
    )
}

#[derive(Clone)]
struct Person {
    name: String,
    address: String,
}

fn make_customers(spec: &Spec) -> Vec<Person> {
    let mut rng = Rng::new(spec.seed ^ 0x5eed);
    let n = (spec.messages / 6).clamp(8, 50_000);
    (0..n)
        .map(|i| {
            let first = *rng.pick(FIRST_NAMES);
            let last = *rng.pick(LAST_NAMES);
            let domain = if rng.chance(0.3) {
                (*rng.pick(FREE_MAIL)).to_owned()
            } else {
                format!("{}.example", rng.pick(COMPANIES))
            };
            Person {
                name: format!("{first} {last}"),
                address: format!(
                    "{}.{}{i}@{domain}",
                    first.to_lowercase(),
                    last.to_lowercase()
                ),
            }
        })
        .collect()
}

const BASE_DATE: i64 = 1_199_145_600; // 2008-01-01T00:00:00Z
const HOUR: i64 = 3600;
const OFFSETS: &[i32] = &[0, 60, 120, -300, 540, 480, 180];

struct Generator {
    rng: Rng,
    seed: u64,
    profile: Profile,
    /// The messages not yet written; `drafts[0]` is message `written`.
    drafts: Vec<MessageDraft>,
    written: usize,
    truth: Vec<TruthMessage>,
    thread: usize,
    customers: Vec<Person>,
}

/// One message being composed, before it is rendered.
struct Turn<'a> {
    from: &'a Person,
    to: &'a Person,
    direction: &'static str,
    subject: String,
    text: String,
    date: i64,
    parent: Option<usize>,
}

impl Generator {
    fn new(spec: &Spec) -> Self {
        Self {
            rng: Rng::new(spec.seed),
            seed: spec.seed,
            profile: spec.profile,
            drafts: Vec::new(),
            written: 0,
            truth: Vec::with_capacity(spec.messages + 8),
            thread: 0,
            customers: make_customers(spec),
        }
    }

    /// The unwritten message at index `i` of the corpus.
    fn draft(&self, i: usize) -> &MessageDraft {
        &self.drafts[i - self.written]
    }

    fn conversation(&mut self) {
        let customer = self.customers[self.rng.below(self.customers.len())].clone();
        let (agent_name, agent_local) = *self.rng.pick(AGENTS);
        let agent = Person {
            name: agent_name.to_owned(),
            address: format!("{agent_local}@{OUR_DOMAIN}"),
        };
        let support = Person {
            name: "Casebook Support".to_owned(),
            address: SUPPORT_ADDRESS.to_owned(),
        };
        let topic: &Topic = self.rng.pick(TOPICS);
        let foreign: Option<&Foreign> = self.rng.chance(0.06).then(|| self.rng.pick(FOREIGN));
        let subject = match foreign {
            Some(f) => f.subject.to_owned(),
            None => (*self.rng.pick(topic.subjects)).to_owned(),
        };
        let mut date =
            BASE_DATE + self.rng.below(3 * 365 * 24) as i64 * HOUR + self.rng.below(3600) as i64;

        let text = match foreign {
            Some(f) => f.body.to_owned(),
            None => format!(
                "Hello,\n\n{}\n\nRegards,\n{}",
                self.rng.pick(topic.problems),
                customer.name
            ),
        };
        let first = self.push(
            Turn {
                from: &customer,
                to: &support,
                direction: "inbound",
                subject: subject.clone(),
                text,
                date,
                parent: None,
            },
            topic,
            foreign,
        );
        let mut last = first;
        if self.rng.chance(0.02) {
            self.push_second_delivery(first);
        }
        if !self.rng.chance(0.85) {
            return;
        }
        let rounds = if self.rng.chance(0.4) { 2 } else { 1 };
        for round in 0..rounds {
            date += HOUR + self.rng.below(47) as i64 * HOUR;
            let answer = format!(
                "Dear {},\n\n{}\n\nBest regards,\n{}\nCasebook Support\n",
                customer.name,
                self.rng.pick(topic.answers),
                agent.name
            );
            let reply = self.push(
                Turn {
                    from: &agent,
                    to: &customer,
                    direction: "outbound",
                    subject: format!("Re: {subject}"),
                    text: answer,
                    date,
                    parent: Some(last),
                },
                topic,
                None,
            );
            self.truth[last].reply = Some(self.truth[reply].key.clone());
            last = reply;
            if self.rng.chance(0.05) {
                date += 60;
                self.push(
                    Turn { from: &customer, to: &agent, direction: "automated", subject: format!("Automatic reply: {subject}"), text: "I am out of the office until Monday and will read your message on my return.".into(), date, parent: Some(reply) },
                    topic,
                    None,
                );
            }
            if round + 1 < rounds {
                date += HOUR + self.rng.below(72) as i64 * HOUR;
                let follow = format!(
                    "Hi,\n\nthanks, but the problem is back: {}\n\n{}",
                    self.rng.pick(topic.problems),
                    customer.name
                );
                last = self.push(
                    Turn {
                        from: &customer,
                        to: &agent,
                        direction: "inbound",
                        subject: format!("Re: {subject}"),
                        text: follow,
                        date,
                        parent: Some(last),
                    },
                    topic,
                    None,
                );
            }
        }
        if self.rng.chance(0.12) {
            date += 2 * HOUR + self.rng.below(48) as i64 * HOUR;
            let permission = self.rng.chance(0.6);
            let mut praise = format!(
                "Hi {},\n\n{}",
                agent.name.split(' ').next().unwrap_or_default(),
                self.rng.pick(PRAISE)
            );
            if permission {
                praise.push(' ');
                let permission_line = *self.rng.pick(PERMISSION);
                praise.push_str(permission_line);
            }
            praise.push_str(&format!("\n\n{}", customer.name));
            let i = self.push(
                Turn {
                    from: &customer,
                    to: &agent,
                    direction: "inbound",
                    subject: format!("Re: {subject}"),
                    text: praise,
                    date,
                    parent: Some(last),
                },
                topic,
                None,
            );
            self.truth[i].praise = true;
            self.truth[i].permission = permission;
        }
        if self.rng.chance(0.04) {
            date += HOUR + self.rng.below(240) as i64 * HOUR;
            let (text, asks) = *self.rng.pick(PRIVACY_REQUESTS);
            let i = self.push(
                Turn {
                    from: &customer,
                    to: &agent,
                    direction: "inbound",
                    subject: format!("Re: {subject}"),
                    text: format!("Hello,\n\n{text}\n\n{}", customer.name),
                    date,
                    parent: Some(last),
                },
                topic,
                None,
            );
            self.truth[i].privacy_request = Some(asks.to_owned());
        }
        if self.rng.chance(0.01) {
            self.push_bounce(last, &agent, date + 120);
        }
    }

    /// Adds a message; returns its index.
    fn push(&mut self, turn: Turn<'_>, topic: &Topic, foreign: Option<&Foreign>) -> usize {
        let index = self.truth.len();
        let key = format!("k{index:07}");
        let own_domain = turn.from.address.rsplit('@').next().unwrap_or(OUR_DOMAIN);
        // A few customers' mail programs send no Message-ID.
        let message_id = (turn.direction != "inbound" || !self.rng.chance(0.03))
            .then(|| format!("{key}.{}@{own_domain}", self.seed));
        let (in_reply_to, references) = match turn.parent {
            Some(p) => {
                let parent = self.draft(p);
                let mut refs = parent.references.clone();
                refs.extend(parent.message_id.clone());
                (parent.message_id.clone(), refs)
            }
            None => (None, Vec::new()),
        };
        let quoted = turn.parent.map(|p| {
            let parent = self.draft(p);
            Quoted {
                who: parent.from_name.clone(),
                address: parent.from.clone(),
                to_name: parent.to_name.clone(),
                to: parent.to.clone(),
                subject: parent.subject.clone(),
                date: parent.date,
                offset_minutes: parent.offset_minutes,
                text: parent.quotable_text(),
            }
        });
        let mut style = render::Style::pick(
            &mut self.rng,
            foreign.is_some(),
            turn.direction == "automated",
        );
        let offset = *self.rng.pick(OFFSETS);
        // The dress draws from its own numbers, so both profiles plan the
        // same conversations.
        let dress =
            (self.profile == Profile::Realistic && turn.direction != "automated").then(|| {
                let mut rng = Rng::new(self.seed ^ (index as u64).wrapping_mul(0x9e37_79b9));
                let (realistic, dress) = clients::choose(
                    &mut rng,
                    &turn.from.address,
                    turn.direction == "outbound",
                    turn.parent.is_none(),
                    foreign.is_some(),
                );
                style = realistic;
                dress
            });
        let draft = MessageDraft {
            key: key.clone(),
            from_name: turn.from.name.clone(),
            from: turn.from.address.clone(),
            to_name: turn.to.name.clone(),
            to: turn.to.address.clone(),
            subject: turn.subject.clone(),
            date: turn.date,
            offset_minutes: offset,
            message_id: message_id.clone(),
            in_reply_to,
            references,
            text: turn.text,
            quoted,
            style,
            charset: foreign.map(|f| f.charset),
            auto_reply: turn.direction == "automated",
            extra_received: None,
            crlf: self.rng.chance(0.3),
            dress,
        };
        let correspondent = if turn.direction == "outbound" {
            &turn.to.address
        } else {
            &turn.from.address
        };
        self.truth.push(TruthMessage {
            key,
            thread: self.thread,
            direction: turn.direction.to_owned(),
            message_id,
            correspondent: correspondent.clone(),
            reply: None,
            copy_of: None,
            topic: topic.name.to_owned(),
            praise: false,
            permission: false,
            privacy_request: None,
            html_only: draft.style == render::Style::HtmlOnly,
            has_attachment: matches!(
                draft.style,
                render::Style::WithLog
                    | render::Style::WithBinary
                    | render::Style::WithImage
                    | render::Style::WithPdf
            ),
            foreign_word: foreign.map(|f| f.word.to_owned()),
            subject: turn.subject,
            date: turn.date,
        });
        self.drafts.push(draft);
        index
    }

    /// The same mail delivered a second time, with one more Received line.
    fn push_second_delivery(&mut self, original: usize) {
        let mut copy = self.draft(original).clone();
        if copy.message_id.is_none() {
            return; // without a Message-ID it is simply another message
        }
        copy.key = format!("{}-copy", copy.key);
        copy.extra_received = Some(format!(
            "from mx2.{OUR_DOMAIN} by imap.{OUR_DOMAIN}; second delivery {}",
            self.truth.len()
        ));
        let mut truth = self.truth[original].clone();
        truth.copy_of = Some(truth.key.clone());
        truth.key = copy.key.clone();
        truth.reply = None;
        self.drafts.push(copy);
        self.truth.push(truth);
    }

    fn push_bounce(&mut self, failed: usize, agent: &Person, date: i64) {
        let index = self.truth.len();
        let key = format!("k{index:07}");
        let original = self.draft(failed);
        let draft = MessageDraft {
            key: key.clone(),
            from_name: "Mail Delivery System".into(),
            from: format!("MAILER-DAEMON@mx.{OUR_DOMAIN}"),
            to_name: agent.name.clone(),
            to: agent.address.clone(),
            subject: "Undelivered Mail Returned to Sender".into(),
            date,
            offset_minutes: 0,
            message_id: Some(format!("{key}.{}@mx.{OUR_DOMAIN}", self.seed)),
            in_reply_to: None,
            references: Vec::new(),
            text: format!(
                "This is the mail system. Your message to {} could not be delivered: mailbox full.",
                original.to
            ),
            quoted: None,
            style: render::Style::Bounce,
            charset: None,
            auto_reply: false,
            extra_received: None,
            crlf: false,
            dress: None,
        };
        self.thread += 1;
        self.truth.push(TruthMessage {
            key,
            thread: self.thread,
            direction: "automated".into(),
            message_id: draft.message_id.clone(),
            correspondent: draft.from.to_lowercase(),
            reply: None,
            copy_of: None,
            topic: "bounce".into(),
            praise: false,
            permission: false,
            privacy_request: None,
            html_only: false,
            // The delivery-status report is an attached part.
            has_attachment: true,
            foreign_word: None,
            subject: draft.subject.clone(),
            date,
        });
        self.drafts.push(draft);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_corpus() {
        let a = plan(&Spec::compact(300, 3)).0;
        let b = plan(&Spec::compact(300, 3)).0;
        let c = plan(&Spec::compact(300, 4)).0;
        let bytes = |d: &[MessageDraft]| d.iter().map(|m| m.render()).collect::<Vec<_>>();
        assert_eq!(bytes(&a), bytes(&b));
        assert_ne!(bytes(&a), bytes(&c));
    }

    #[test]
    fn realistic_mail_has_the_sizes_and_programs_of_real_mail() {
        let spec = Spec {
            messages: 3000,
            seed: 1,
            profile: Profile::Realistic,
        };
        let (drafts, truth) = plan(&spec);
        let compact = plan(&Spec::compact(3000, 1)).1;
        let shape = |t: &Truth| {
            let m: Vec<_> = t
                .messages
                .iter()
                .map(|m| {
                    (
                        m.thread,
                        m.direction.clone(),
                        m.reply.clone(),
                        m.subject.clone(),
                    )
                })
                .collect();
            (m, t.threads)
        };
        assert_eq!(shape(&truth), shape(&compact), "the same conversations");
        let mail: Vec<Vec<u8>> = drafts.iter().map(MessageDraft::render).collect();
        let mut sizes: Vec<usize> = mail.iter().map(Vec::len).collect();
        sizes.sort_unstable();
        let at = |share: f64| sizes[(sizes.len() as f64 * share) as usize];
        assert!(at(0.1) >= 2_000, "a tenth under {} bytes", at(0.1));
        assert!((4_000..=12_000).contains(&at(0.5)), "median {}", at(0.5));
        assert!(
            (12_000..=30_000).contains(&at(0.9)),
            "90th percentile {}",
            at(0.9)
        );
        assert!(sizes[sizes.len() - 1] > 60_000, "some large attachments");
        let with = |needle: &str| {
            mail.iter()
                .filter(|m| m.windows(needle.len()).any(|w| w == needle.as_bytes()))
                .count()
        };
        for mark in [
            "Thread-Index:",
            "X-Gm-Message-State:",
            "X-Mailer: Apple Mail",
            "User-Agent: Mozilla Thunderbird",
            "X-PHP-Originating-Script:",
            "From: =?UTF-8?B?",
            "charset=\"Windows-1252\"",
            "\n________________________________\n",
            "<blockquote type=3D\"cite\">",
            "class=3D\"gmail_quote\"",
            "Content-Type: image/png",
            "Content-Type: application/pdf",
        ] {
            assert!(with(mark) > 10, "{mark} in {} messages", with(mark));
        }
    }

    #[test]
    fn corpus_has_the_variety_tests_need() {
        let (drafts, truth) = plan(&Spec::compact(3000, 1));
        assert!(truth.messages.len() >= 3000);
        let count =
            |f: &dyn Fn(&TruthMessage) -> bool| truth.messages.iter().filter(|m| f(m)).count();
        assert!(count(&|m| m.message_id.is_none()) > 10);
        assert!(count(&|m| m.copy_of.is_some()) > 5);
        assert!(count(&|m| m.html_only) > 50);
        assert!(count(&|m| m.has_attachment) > 50);
        assert!(count(&|m| m.foreign_word.is_some()) > 30);
        assert!(count(&|m| m.direction == "automated") > 10);
        assert!(count(&|m| m.praise && m.permission) > 10);
        assert!(drafts.iter().any(|d| d.crlf) && drafts.iter().any(|d| !d.crlf));
    }
}

//! Turning a planned message into the bytes a mail program would send.

use crate::clients::Dress;
use crate::encode::{base64_lines, header_text, quoted_printable, to_charset};
use crate::rng::Rng;

/// How a message's body is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    /// multipart/alternative: text and HTML.
    Alternative,
    /// Only an HTML part, with a remote tracking image.
    HtmlOnly,
    /// multipart/mixed with a text log attached.
    WithLog,
    /// multipart/mixed with a binary capture attached.
    WithBinary,
    /// multipart/report delivery failure.
    Bounce,
    /// multipart/mixed with a screenshot attached (realistic profile).
    WithImage,
    /// multipart/mixed with an invoice attached (realistic profile).
    WithPdf,
}

impl Style {
    pub(crate) fn pick(rng: &mut Rng, foreign: bool, automated: bool) -> Self {
        if foreign || automated {
            return Self::Plain;
        }
        match rng.below(100) {
            0..=54 => Self::Plain,
            55..=74 => Self::Alternative,
            75..=84 => Self::HtmlOnly,
            85..=94 => Self::WithLog,
            _ => Self::WithBinary,
        }
    }
}

/// A message as planned, ready to render.
#[derive(Debug, Clone)]
pub struct MessageDraft {
    pub key: String,
    pub from_name: String,
    pub from: String,
    pub to_name: String,
    pub to: String,
    pub subject: String,
    /// Seconds since the epoch, UTC.
    pub date: i64,
    pub offset_minutes: i32,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub text: String,
    /// The message replied to, quoted below ours.
    pub quoted: Option<Quoted>,
    pub style: Style,
    pub charset: Option<&'static str>,
    pub auto_reply: bool,
    pub extra_received: Option<String>,
    pub crlf: bool,
    /// How a real mail program dresses it; `None` writes the compact form.
    pub dress: Option<Dress>,
}

/// The message a reply quotes.
#[derive(Debug, Clone)]
pub struct Quoted {
    pub who: String,
    pub address: String,
    pub to_name: String,
    pub to: String,
    pub subject: String,
    pub date: i64,
    pub offset_minutes: i32,
    /// Its text as its reader saw it (with what it quoted in turn).
    pub text: String,
}

const BOUNDARY: &str = "=_casebook_part_";

impl MessageDraft {
    pub fn render(&self) -> Vec<u8> {
        if let Some(dress) = &self.dress {
            return crate::clients::render(self, dress);
        }
        let mut h = String::with_capacity(2048);
        if let Some(r) = &self.extra_received {
            h.push_str(&format!("Received: {r}\n"));
        }
        h.push_str(&format!(
            "Received: from mail.example by imap.casebook.example; {}\n",
            rfc2822(self.date, 0)
        ));
        h.push_str(&format!("From: {} <{}>\n", self.from_name, self.from));
        h.push_str(&format!("To: {} <{}>\n", self.to_name, self.to));
        h.push_str(&format!(
            "Subject: {}\n",
            header_text(&self.subject, self.charset.unwrap_or("utf-8"))
        ));
        h.push_str(&format!(
            "Date: {}\n",
            rfc2822(self.date, self.offset_minutes)
        ));
        if let Some(id) = &self.message_id {
            h.push_str(&format!("Message-ID: <{id}>\n"));
        }
        if let Some(id) = &self.in_reply_to {
            h.push_str(&format!("In-Reply-To: <{id}>\n"));
        }
        if !self.references.is_empty() {
            let refs: Vec<String> = self.references.iter().map(|r| format!("<{r}>")).collect();
            h.push_str(&format!("References: {}\n", refs.join(" ")));
        }
        if self.auto_reply {
            h.push_str("Auto-Submitted: auto-replied\nX-Autoreply: yes\n");
        }
        h.push_str(&format!("X-Corpus-Key: {}\nMIME-Version: 1.0\n", self.key));
        let mut out = h.into_bytes();
        out.extend_from_slice(&self.body());
        self.line_ends(out)
    }

    /// `out` with CRLF line ends when this message has them.
    pub(crate) fn line_ends(&self, out: Vec<u8>) -> Vec<u8> {
        if !self.crlf {
            return out;
        }
        let mut crlf = Vec::with_capacity(out.len() + out.len() / 40);
        for b in out {
            if b == b'\n' {
                crlf.push(b'\r');
            }
            crlf.push(b);
        }
        crlf
    }

    /// The text a reply to this message quotes.
    pub(crate) fn quotable_text(&self) -> String {
        match &self.dress {
            Some(dress) => crate::clients::text_of(self, dress),
            None => self.text.clone(),
        }
    }

    fn full_text(&self) -> String {
        match &self.quoted {
            None => self.text.clone(),
            Some(Quoted { who, text, .. }) => {
                let quoted: Vec<String> = text
                    .lines()
                    .map(|l| format!("> {l}").trim_end().to_owned())
                    .collect();
                format!(
                    "{}\n\n{who} wrote:\n{}\n",
                    self.text.trim_end(),
                    quoted.join("\n")
                )
            }
        }
    }

    fn body(&self) -> Vec<u8> {
        let text = self.full_text();
        match self.style {
            Style::Plain => self.plain_part(&text).into_bytes(),
            Style::Alternative => format!(
                "Content-Type: multipart/alternative; boundary=\"{BOUNDARY}a\"\n\n\
                 This is a multi-part message in MIME format.\n\
                 --{BOUNDARY}a\n{}\n--{BOUNDARY}a\n{}\n--{BOUNDARY}a--\n",
                self.plain_part(&text),
                html_part(&text, &self.key)
            )
            .into_bytes(),
            Style::HtmlOnly => html_part(&text, &self.key).into_bytes(),
            Style::WithLog => format!(
                "Content-Type: multipart/mixed; boundary=\"{BOUNDARY}m\"\n\n\
                 --{BOUNDARY}m\n{}\n--{BOUNDARY}m\n\
                 Content-Type: text/plain; charset=us-ascii; name=\"asterisk.log\"\n\
                 Content-Disposition: attachment; filename=\"asterisk.log\"\n\n{}\n--{BOUNDARY}m--\n",
                self.plain_part(&text),
                log_lines(&self.key)
            )
            .into_bytes(),
            Style::WithBinary | Style::WithImage | Style::WithPdf => format!(
                "Content-Type: multipart/mixed; boundary=\"{BOUNDARY}m\"\n\n\
                 --{BOUNDARY}m\n{}\n--{BOUNDARY}m\n\
                 Content-Type: application/vnd.tcpdump.pcap; name=\"capture.pcap\"\n\
                 Content-Disposition: attachment; filename=\"capture.pcap\"\n\
                 Content-Transfer-Encoding: base64\n\n{}--{BOUNDARY}m--\n",
                self.plain_part(&text),
                base64_lines(&pseudo_capture(&self.key), "\n")
            )
            .into_bytes(),
            Style::Bounce => format!(
                "Content-Type: multipart/report; report-type=delivery-status; boundary=\"{BOUNDARY}r\"\n\n\
                 --{BOUNDARY}r\nContent-Type: text/plain; charset=us-ascii\n\n{text}\n\
                 --{BOUNDARY}r\nContent-Type: message/delivery-status\n\n\
                 Reporting-MTA: dns; mx.casebook.example\n\nFinal-Recipient: rfc822; {}\nAction: failed\nStatus: 5.2.2\n\n\
                 --{BOUNDARY}r--\n",
                self.to
            )
            .into_bytes(),
        }
    }

    /// A text/plain part with headers, encoded for its charset.
    fn plain_part(&self, text: &str) -> String {
        match self.charset {
            Some(cs @ ("iso-8859-1" | "windows-1252")) => format!(
                "Content-Type: text/plain; charset={cs}\nContent-Transfer-Encoding: quoted-printable\n\n{}\n",
                quoted_printable(&to_charset(text, cs), "\n")
            ),
            Some(cs) => format!(
                "Content-Type: text/plain; charset={cs}\nContent-Transfer-Encoding: base64\n\n{}",
                base64_lines(&to_charset(text, cs), "\n")
            ),
            None if text.is_ascii() => {
                format!("Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n{text}\n")
            }
            None => format!(
                "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n{}\n",
                quoted_printable(text.as_bytes(), "\n")
            ),
        }
    }
}

fn html_part(text: &str, key: &str) -> String {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let paragraphs: Vec<String> = escaped
        .split("\n\n")
        .map(|p| format!("<p>{}</p>", p.replace('\n', "<br>")))
        .collect();
    let html = format!(
        "<html><head><style>body {{ font-family: Arial; }}</style></head><body>{}\
         <img src=\"https://tracker.example/open.gif?m={key}\" width=\"1\" height=\"1\"></body></html>",
        paragraphs.join("\n")
    );
    format!(
        "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n{}\n",
        quoted_printable(html.as_bytes(), "\n")
    )
}

fn log_lines(key: &str) -> String {
    format!(
        "[2008-03-01 10:00:01] NOTICE[1234] chan_sip.c: Registration from '<sip:{key}@pbx>' failed\n\
         [2008-03-01 10:00:02] WARNING[1234] chan_sip.c: Retransmission timeout reached on transmission\n\
         [2008-03-01 10:00:03] ERROR[1234] rtp.c: RTP read too short"
    )
}

/// Bytes that look like a packet capture, the same for the same key.
fn pseudo_capture(key: &str) -> Vec<u8> {
    let mut rng = Rng::new(key.bytes().fold(0xcafe_u64, |h, b| {
        h.wrapping_mul(31).wrapping_add(u64::from(b))
    }));
    let mut out = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    out.extend((0..1024).map(|_| (rng.next_u64() & 0xff) as u8));
    out
}

/// A moment as a calendar shows it at some offset.
pub(crate) struct Civil {
    pub(crate) year: i64,
    pub(crate) month: i64,
    pub(crate) day: i64,
    pub(crate) hour: i64,
    pub(crate) minute: i64,
    pub(crate) second: i64,
    /// 0 is Thursday (1970-01-01 was one).
    weekday: usize,
}

const WEEKDAYS: [&str; 7] = [
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl Civil {
    pub(crate) fn weekday_name(&self) -> &'static str {
        WEEKDAYS[self.weekday]
    }

    pub(crate) fn month_name(&self) -> &'static str {
        MONTHS[(self.month - 1) as usize]
    }

    /// The hour on a 12-hour clock (12, 1, … 11).
    pub(crate) fn hour12(&self) -> i64 {
        (self.hour + 11) % 12 + 1
    }

    pub(crate) fn am_pm(&self) -> &'static str {
        if self.hour < 12 {
            "AM"
        } else {
            "PM"
        }
    }
}

/// `utc` seconds as shown at `offset_minutes`.
pub(crate) fn civil(utc: i64, offset_minutes: i32) -> Civil {
    let local = utc + i64::from(offset_minutes) * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    Civil {
        year,
        month,
        day,
        hour: secs / 3600,
        minute: secs / 60 % 60,
        second: secs % 60,
        weekday: days.rem_euclid(7) as usize,
    }
}

/// `Tue, 01 Jul 2008 10:52:37 +0200` for `utc` seconds shown at `offset_minutes`.
pub(crate) fn rfc2822(utc: i64, offset_minutes: i32) -> String {
    let c = civil(utc, offset_minutes);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let off = offset_minutes.abs();
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} {sign}{:02}{:02}",
        &c.weekday_name()[..3],
        c.day,
        &c.month_name()[..3],
        c.year,
        c.hour,
        c.minute,
        c.second,
        off / 60,
        off % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc2822_with_the_offset() {
        assert_eq!(
            rfc2822(1_214_902_357, 120),
            "Tue, 01 Jul 2008 10:52:37 +0200"
        );
        assert_eq!(rfc2822(0, -300), "Wed, 31 Dec 1969 19:00:00 -0500");
    }
}

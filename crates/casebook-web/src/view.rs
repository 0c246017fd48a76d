//! The pages' shared parts: the layout, error pages, and small renderers.
//! maud escapes every value it is given; nothing here writes raw HTML.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use casebook_archive::{ArchiveError, Direction, ErrorKind, Role, Session, Snippet};
use maud::{html, Markup, DOCTYPE};
use time::OffsetDateTime;

/// A whole page: header with navigation for `session`'s role, then `body`.
pub(crate) fn page(title: &str, session: Option<&Session>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Casebook" }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                header {
                    span.brand { "Casebook" }
                    @if let Some(s) = session {
                        nav {
                            @if matches!(s.user.role, Role::Agent | Role::Admin) {
                                a href="/queue" { "Waiting for us" }
                                a href="/search" { "Search" }
                                a href="/testimonials/review" { "Review testimonials" }
                                a href="/customers" { "Customers" }
                                a href="/privacy" { "Privacy" }
                            }
                            @if matches!(s.user.role, Role::Marketing | Role::Admin) {
                                a href="/testimonials" { "Testimonials" }
                                a href="/stats" { "Statistics" }
                            }
                        }
                        a.who href="/settings" title="Settings" { (s.user.name) " (" (s.user.role.as_str()) ")" }
                        form method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(s.csrf);
                            button type="submit" { "Log out" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

pub(crate) fn respond(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

pub(crate) fn forbidden(session: &Session) -> Response {
    respond(
        StatusCode::FORBIDDEN,
        page(
            "Not allowed",
            Some(session),
            html! { h1 { "Not allowed" } p { "Your role (" (session.user.role.as_str()) ") does not include this page." } },
        ),
    )
}

/// A request refused for a reason the person can fix, with a way back.
pub(crate) fn refused(session: &Session, why: &str, back: (&str, &str)) -> Response {
    not_done(StatusCode::BAD_REQUEST, Some(session), why, Some(back))
}

fn not_done(
    status: StatusCode,
    session: Option<&Session>,
    why: &str,
    back: Option<(&str, &str)>,
) -> Response {
    respond(
        status,
        page(
            "Not done",
            session,
            html! {
                p.error { (why) }
                @if let Some((href, label)) = back { p { a href=(href) { (label) } } }
            },
        ),
    )
}

/// An archive error as a page, by its kind and only here: the request
/// (400), what it names missing (404), a clash (409), each in the
/// archive's own words with a way back; a resource out (503); a fault
/// (500), logged and not described.
pub(crate) fn archive_error(
    session: Option<&Session>,
    e: &ArchiveError,
    back: Option<(&str, &str)>,
) -> Response {
    let kind = e.kind();
    let status = status_of(kind);
    match kind {
        ErrorKind::Failed => internal_error(e),
        ErrorKind::Unavailable => {
            tracing::warn!("request not done: {e}");
            not_done(
                status,
                session,
                "The archive cannot do this now (the server's log says why); try again later.",
                back,
            )
        }
        _ => not_done(status, session, &e.to_string(), back),
    }
}

/// The status each kind of archive error is answered with, on pages and
/// in the API alike.
pub(crate) fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Invalid => StatusCode::BAD_REQUEST,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Failed => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub(crate) fn not_found_page(session: Option<&Session>, what: &str) -> Response {
    respond(
        StatusCode::NOT_FOUND,
        page(
            "Not found",
            session,
            html! { h1 { "Not found" } p { (what) } },
        ),
    )
}

/// Why a page cannot be shown: a response already made (not found,
/// refused), or an archive error, which becomes a page by its kind in
/// [`archive_error`].
/// Handlers return [`PageResult`] and pass archive errors on with `?`.
pub(crate) enum PageError {
    Shown(Response),
    Failed(ArchiveError),
}

pub(crate) type PageResult = Result<Response, PageError>;

impl From<ArchiveError> for PageError {
    fn from(e: ArchiveError) -> Self {
        Self::Failed(e)
    }
}

impl axum::response::IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            Self::Shown(response) => response,
            Self::Failed(e) => archive_error(None, &e, None),
        }
    }
}

/// Logs what went wrong and tells the person only that it did.
fn internal_error(e: &ArchiveError) -> Response {
    tracing::error!("request failed: {e}");
    respond(
        StatusCode::INTERNAL_SERVER_ERROR,
        page(
            "Error",
            None,
            html! { h1 { "Something went wrong" } p { "The error was logged on the server." } },
        ),
    )
}

/// A snippet with its matches marked.
pub(crate) fn snippet(s: &Snippet) -> Markup {
    let mut parts = Vec::new();
    let mut at = 0;
    for range in &s.highlights {
        if range.start < at
            || range.end > s.text.len()
            || !s.text.is_char_boundary(range.start)
            || !s.text.is_char_boundary(range.end)
        {
            continue;
        }
        parts.push((false, &s.text[at..range.start]));
        parts.push((true, &s.text[range.start..range.end]));
        at = range.end;
    }
    parts.push((false, &s.text[at..]));
    html! {
        @for (marked, text) in parts {
            @if marked { mark { (text) } } @else { (text) }
        }
    }
}

/// A moment in `zone`, with the zone written beside it, and its exact
/// time for machines: `<time datetime="…">2024-03-05 14:23 CET</time>`.
pub(crate) fn when(zone: &crate::DisplayZone, d: Option<OffsetDateTime>) -> Markup {
    match d {
        Some(d) => when_secs(zone, d.unix_timestamp()),
        None => html! { "no date" },
    }
}

/// [`when`] of seconds since 1970.
pub(crate) fn when_secs(zone: &crate::DisplayZone, at: i64) -> Markup {
    html! {
        time datetime=[casebook_archive::view::rfc3339_secs(at)] { (zone.minute(at)) }
    }
}

/// `512 bytes`, `12.4 KB`, `3.1 MB` (powers of 1,000, as file managers
/// and mail programs show sizes).
pub(crate) fn size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} bytes"),
        1_000..1_000_000 => format!("{:.1} KB", bytes as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", bytes as f64 / 1e6),
        _ => format!("{:.1} GB", bytes as f64 / 1e9),
    }
}

/// Page numbers: the first, the last, and two either side of the current
/// one, with gaps marked; the current one is not a link.
pub(crate) fn page_numbers(current: usize, pages: usize, link: impl Fn(usize) -> String) -> Markup {
    let shown = |n: usize| n == 1 || n == pages || n.abs_diff(current) <= 2;
    html! {
        @if pages > 1 {
            nav.pages aria-label="Pages" {
                @if current > 1 { a rel="prev" href=(link(current - 1)) { "← previous" } " " }
                @for n in 1..=pages {
                    @if shown(n) {
                        @if n == current { strong aria-current="page" { (n) } } @else { a href=(link(n)) { (n) } }
                        " "
                    } @else if shown(n - 1) {
                        span.gap { "…" } " "
                    }
                }
                @if current < pages { a rel="next" href=(link(current + 1)) { "next →" } }
            }
        }
    }
}

/// A message's text as a reader wants it: the writer's own lines shown,
/// quoted lines, the signature and the quoted history each folded (no
/// script needed to open them) with a line saying how much they hold.
pub(crate) fn folded_body(text: &str) -> Markup {
    use casebook_archive::praise::{passages, Passage};
    let lines = |n: usize| {
        if n == 1 {
            "1 line".to_owned()
        } else {
            format!("{n} lines")
        }
    };
    html! {
        div.body {
            @for p in passages(text) {
                @match p {
                    Passage::Own(run) => pre.own { (run.join("\n")) },
                    Passage::Quoted(run) => details.quoted {
                        summary { "Quoted text (" (lines(run.len())) ")" }
                        pre { (run.join("\n")) }
                    },
                    Passage::Signature(run) => details.signature {
                        summary { "Signature and what follows (" (lines(run.len())) ")" }
                        pre { (run.join("\n")) }
                    },
                    Passage::History(run) => details.history {
                        summary { "Earlier messages quoted (" (lines(run.len())) ")" }
                        pre { (run.join("\n")) }
                    },
                }
            }
        }
    }
}

/// The warnings of a message that say a limit cut what was read of it.
pub(crate) fn limit_warnings(warnings: &[String]) -> Markup {
    html! {
        @for w in warnings.iter().filter(|w| w.starts_with("over limits.")) {
            p.warning role="note" { "Cut by a limit: " (w) }
        }
    }
}

pub(crate) fn direction(d: Direction) -> &'static str {
    match d {
        Direction::Inbound => "customer",
        Direction::Outbound => "our reply",
        Direction::Automated => "automated",
    }
}

/// "3 h 30 min", "2 d 4 h".
pub(crate) fn duration(secs: i64) -> String {
    casebook_archive::view::duration_text(secs, casebook_archive::view::DurationStyle::Spelled)
}

/// Whether `s` looks like `type/subtype` and nothing else.
pub(crate) fn is_media_type(s: &str) -> bool {
    let token = |t: &str| {
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
    };
    matches!(s.split_once('/'), Some((a, b)) if token(a) && token(b))
}

/// `attachment; filename="…"; filename*=UTF-8''…` with the name made
/// safe: no quotes, slashes or control characters; a name of its own when
/// the message gave none.
pub(crate) fn attachment_disposition(name: Option<&str>, n: usize) -> String {
    let name: String = name
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | '/'))
        .collect();
    let name = if name.trim().is_empty() {
        format!("attachment-{n}")
    } else {
        name.trim().to_owned()
    };
    let ascii: String = name
        .chars()
        .map(|c| if c.is_ascii() { c } else { '_' })
        .collect();
    format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        url_encode(&name)
    )
}

/// Percent-encodes a query-string value.
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_mark_matches_and_escape_everything() {
        let trunk = 3..8;
        let s = Snippet {
            text: "<b>trunk</b> down".into(),
            highlights: vec![trunk],
        };
        assert_eq!(
            snippet(&s).into_string(),
            "&lt;b&gt;<mark>trunk</mark>&lt;/b&gt; down"
        );
    }

    #[test]
    fn attachment_names_cannot_break_the_header() {
        assert_eq!(
            attachment_disposition(Some("re\"port\r\n.pdf"), 0),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        assert_eq!(
            attachment_disposition(Some("Übersicht.txt"), 1),
            "attachment; filename=\"_bersicht.txt\"; filename*=UTF-8''%C3%9Cbersicht.txt"
        );
        assert!(attachment_disposition(None, 2).contains("attachment-2"));
        assert!(is_media_type("application/pdf"));
        assert!(!is_media_type("text/html; charset=x"));
        assert!(!is_media_type("text"));
    }

    #[test]
    fn values_are_encoded_for_urls() {
        assert_eq!(url_encode("/search?q=a b&c"), "%2Fsearch%3Fq%3Da%20b%26c");
        assert_eq!(duration(3 * 3600 + 1800), "3 h 30 min");
    }

    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(size(512), "512 bytes");
        assert_eq!(size(12_400), "12.4 KB");
        assert_eq!(size(3_100_000), "3.1 MB");
    }

    #[test]
    fn page_numbers_keep_the_ends_and_the_neighbours() {
        let text = page_numbers(10, 40, |n| format!("/p{n}")).into_string();
        for shown in [
            "/p1\"",
            "/p8\"",
            "/p12\"",
            "/p40\"",
            "<strong aria-current=\"page\">10</strong>",
        ] {
            assert!(text.contains(shown), "{shown} missing in {text}");
        }
        assert!(!text.contains("/p5\""), "{text}");
        assert_eq!(text.matches('…').count(), 2, "{text}");
        assert!(page_numbers(1, 1, |n| n.to_string())
            .into_string()
            .is_empty());
    }

    #[test]
    fn quoted_text_and_signatures_are_folded_and_escaped() {
        let text = "Thanks, <b>fixed</b>.\n\n> was it the trunk?\n> yes\nGreat.\n-- \nAnn\n";
        let html = folded_body(text).into_string();
        assert!(
            html.contains("<pre class=\"own\">Thanks, &lt;b&gt;fixed&lt;/b&gt;.\n</pre>"),
            "{html}"
        );
        assert!(html.contains("Quoted text (2 lines)"), "{html}");
        assert!(
            html.contains("Signature and what follows (2 lines)"),
            "{html}"
        );
        assert!(html.contains("<pre class=\"own\">Great.</pre>"), "{html}");
    }
}

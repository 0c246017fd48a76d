//! The HTML pages.

use crate::auth::{self, Browser, MailForm, MailReader, SessionForm};
use crate::search::SearchParams;
use crate::security;
use crate::view::{self, page, respond, PageError, PageResult};
use crate::App;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use casebook_archive::{
    ArchiveError, Direction, ErrorKind, Locked, Login, MessageId, Role, StoredMessage, ThreadId,
};
use maud::html;
use serde::Deserialize;

pub(crate) async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../static/app.css"),
    )
        .into_response()
}

pub(crate) async fn not_found() -> Response {
    view::not_found_page(None, "There is no such page.")
}

pub(crate) async fn home(browser: Browser) -> Redirect {
    match browser.session.user.role {
        Role::Marketing => Redirect::to("/testimonials"),
        // Where an agent starts the day.
        Role::Agent | Role::Admin => Redirect::to("/queue"),
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct Next {
    next: Option<String>,
}

/// Where to go after logging in: only a path on this site — one leading
/// `/`, no backslash, and no control or space character (browsers drop a
/// tab in `/\t/evil.example` and go to `//evil.example`).
fn safe_next(next: Option<&str>) -> &str {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n
                .chars()
                .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
    })
    .unwrap_or("/")
}

/// The login form's cookie: a random token the form also carries. A page
/// on another site can neither read it nor (SameSite=Strict) send it, so
/// it cannot log a browser in as someone else.
const LOGIN_COOKIE: &str = "casebook_login";

fn login_token() -> String {
    let mut bytes = [0u8; 16];
    // Without randomness the token is empty, and every login is refused.
    if getrandom::getrandom(&mut bytes).is_err() {
        return String::new();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn login_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{LOGIN_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/login{secure}")
}

fn login_page(next: &str, problem: Option<&str>, token: &str) -> maud::Markup {
    page(
        "Log in",
        None,
        html! {
            form.login method="post" action="/login" {
                h1 { "Log in" }
                @if let Some(p) = problem { p.error { (p) } }
                label { "Name " input name="name" autocomplete="username" required autofocus; }
                label { "Password " input name="password" type="password" autocomplete="current-password" required; }
                input type="hidden" name="next" value=(next);
                input type="hidden" name="token" value=(token);
                button type="submit" { "Log in" }
            }
        },
    )
}

pub(crate) async fn login_form(State(app): State<App>, Query(q): Query<Next>) -> Response {
    let token = login_token();
    let mut response = respond(
        StatusCode::OK,
        login_page(safe_next(q.next.as_deref()), None, &token),
    );
    if let Ok(v) = login_cookie(&token, app.options.secure_cookies).parse() {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    name: String,
    password: String,
    next: Option<String>,
    #[serde(default)]
    token: String,
}

pub(crate) async fn login(
    State(app): State<App>,
    auth::Client(client): auth::Client,
    headers: axum::http::HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref()).to_owned();
    let expected = crate::auth::cookie_value(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || expected != form.token {
        return bad_csrf();
    }
    let token = form.token.as_str();
    match app
        .archive
        .users()
        .log_in(form.name.trim(), &form.password, client)
        .await
    {
        Ok(Login::Started { token, .. }) => (
            StatusCode::SEE_OTHER,
            [
                (
                    header::SET_COOKIE,
                    auth::session_cookie(Some(&token), app.options.secure_cookies),
                ),
                (header::LOCATION, next),
            ],
        )
            .into_response(),
        Ok(Login::Refused) => respond(
            StatusCode::UNAUTHORIZED,
            login_page(&next, Some("Wrong name or password."), token),
        ),
        Ok(Login::Throttled {
            retry_after_secs,
            locked,
        }) => {
            let minutes = (retry_after_secs + 59) / 60;
            let why = match locked {
                Locked::Name => format!(
                    "Too many failed logins for this name. Try again in {minutes} minutes, \
                     or from a computer you have logged in from before."
                ),
                Locked::Client => format!(
                    "Too many failed logins from your address. Try again in {minutes} minutes."
                ),
            };
            let mut response = respond(
                StatusCode::TOO_MANY_REQUESTS,
                login_page(&next, Some(&why), token),
            );
            if let Ok(v) = retry_after_secs.to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            response
        }
        Err(e) => view::archive_error(None, &e, None),
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
}

pub(crate) fn bad_csrf() -> Response {
    respond(
        StatusCode::FORBIDDEN,
        page(
            "Form expired",
            None,
            html! { h1 { "This form has expired" } p { "Go back, reload the page and try again." } },
        ),
    )
}

pub(crate) async fn logout(
    State(app): State<App>,
    SessionForm { browser, .. }: SessionForm<CsrfForm>,
) -> Response {
    if let Err(e) = app.archive.users().log_out(&browser.token).await {
        return view::archive_error(None, &e, None);
    }
    (
        StatusCode::SEE_OTHER,
        [
            (
                header::SET_COOKIE,
                auth::session_cookie(None, app.options.secure_cookies),
            ),
            (header::LOCATION, "/login".to_owned()),
        ],
    )
        .into_response()
}

async fn readable_message(
    app: &App,
    browser: &Browser,
    id: i64,
) -> Result<StoredMessage, PageError> {
    match app.archive.message(MessageId(id)).await? {
        Some(m) => Ok(m),
        None => Err(PageError::Shown(view::not_found_page(
            Some(&browser.session),
            &format!("There is no message {id}."),
        ))),
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct Images {
    images: Option<String>,
}

pub(crate) async fn message(
    State(app): State<App>,
    MailReader(browser): MailReader,
    Path(id): Path<i64>,
    Query(images): Query<Images>,
) -> PageResult {
    let remote_images = images.images.as_deref() == Some("1");
    let m = readable_message(&app, &browser, id).await?;
    let tags = app.archive.tags(MessageId(id)).await?;
    let s = &m.summary;
    // How we answered this before: for a customer's message, the closest
    // earlier conversations we answered.
    let similar = if s.direction == Direction::Inbound {
        app.archive.similar(MessageId(id), 3).await?
    } else {
        Vec::new()
    };
    let recipients: Vec<String> = m
        .recipients
        .iter()
        .map(|r| match &r.name {
            Some(n) => format!("{n} <{}>", r.address),
            None => r.address.clone(),
        })
        .collect();
    let body = html! {
        h1 { @if s.subject.is_empty() { "(no subject)" } @else { (s.subject) } }
        table.headers {
            tr { td { "From" } td {
                @match &s.from_address {
                    Some(a) => { (s.from_name.as_deref().unwrap_or("")) " <" (a) ">" }
                    None => { strong.warning { "unknown sender" } " — the From header holds no address Casebook can read; no erasure or export finds this message by address" }
                }
            } }
            @if s.correspondent.is_none() && s.from_address.is_some() {
                tr { td { "Person" } td { strong.warning { "unknown" } " — no recipient could be read" } }
            }
            tr { td { "To" } td { (recipients.join(", ")) } }
            tr { td { "Date" } td { (view::when(&browser.zone, s.date)) } }
            tr { td { "Kind" } td { (view::direction(s.direction)) } }
            @if let Some(mid) = &s.message_id_header { tr { td { "Message-ID" } td { (mid) } } }
            @if let Some(t) = s.thread_id { tr { td { "Thread" } td { a href=(format!("/threads/{}", t.0)) { "the whole conversation" } } } }
            @if let Some(r) = s.reply_id {
                tr { td { "Our reply" } td { a href=(format!("/messages/{}", r.0)) { "message " (r.0) }
                    @if let Some(secs) = s.response_secs { " after " (view::duration(secs)) } } }
            }
        }
        (view::limit_warnings(&m.warnings))
        div.tags {
            "Tags: "
            @for t in &tags { span { (t) } }
            form method="post" action=(format!("/messages/{id}/tags")) {
                input type="hidden" name="csrf" value=(browser.session.csrf);
                input name="tag" placeholder="add a tag" required;
                button type="submit" { "Tag" }
            }
        }
        @if m.html_only {
            p.muted {
                "This message has only HTML, shown cleaned and inert below. "
                @if remote_images {
                    "Remote images are loaded (the sender may learn you read it). "
                    a href=(format!("/messages/{id}")) { "Block them" }
                } @else {
                    "Remote images are blocked. "
                    a href=(format!("/messages/{id}?images=1")) { "Load remote images" }
                }
            }
            iframe.html sandbox="" title="The message as the sender formatted it"
                src=(format!("/messages/{id}/html{}", if remote_images { "?images=1" } else { "" })) {}
            details { summary { "As plain text" } pre.body { (m.body) } }
        } @else {
            pre.body { (m.body) }
        }
        @if !m.attachments.is_empty() {
            h2 { "Attachments" }
            ul { @for (n, a) in m.attachments.iter().enumerate() {
                li {
                    a href=(format!("/messages/{id}/attachments/{n}")) { (a.name.as_deref().unwrap_or("(unnamed)")) }
                    " · " (a.content_type) " · " (view::size(a.size))
                }
            } }
        }
        @if !similar.is_empty() {
            section.similar {
                h2 { "How we answered this before" }
                ol {
                    @for c in &similar {
                        li {
                            a href=(format!("/threads/{}", c.thread_id.0)) {
                                @if c.subject.is_empty() { "(no subject)" } @else { (c.subject) }
                            }
                            p.reply { (c.reply_excerpt) " " a href=(format!("/messages/{}", c.reply_id.0)) { "our reply" } }
                        }
                    }
                }
            }
        }
        p { a href=(format!("/messages/{id}/raw")) { "Original message (raw source)" } }
    };
    let mut response = respond(
        StatusCode::OK,
        page(&s.subject, Some(&browser.session), body),
    );
    if m.html_only {
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(security::CSP_FRAMING_MESSAGE),
        );
    }
    Ok(response)
}

/// An HTML-only message's HTML, sanitised (no scripts, event handlers,
/// forms, frames or `javascript:` links survive) and served into a
/// sandboxed frame under a policy that blocks remote loads unless asked.
pub(crate) async fn message_html(
    State(app): State<App>,
    MailReader(browser): MailReader,
    Path(id): Path<i64>,
    Query(images): Query<Images>,
) -> PageResult {
    readable_message(&app, &browser, id).await?;
    let Some(html) = app.archive.html_body(MessageId(id)).await? else {
        return Ok(view::not_found_page(
            Some(&browser.session),
            "The message has no HTML.",
        ));
    };
    let clean = match app.html.clean(MessageId(id), html).await {
        crate::message_html::Cleaned::Html(clean) => clean.to_string(),
        crate::message_html::Cleaned::Refused(why) => html! {
            p.warning {
                "This message's HTML is not shown: " (why) ". Its text is on the message page; "
                a href=(format!("/messages/{id}/raw")) target="_top" { "the original message" }
                " can be downloaded."
            }
        }
        .into_string(),
    };
    let csp = security::csp_for_message_html(images.images.as_deref() == Some("1"));
    let mut response = (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        format!("<!DOCTYPE html><meta charset=\"utf-8\">{clean}"),
    )
        .into_response();
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    Ok(response)
}

/// An attachment, always downloaded (never shown inline, so a hostile
/// HTML or SVG attachment cannot run as a page of this site).
pub(crate) async fn attachment(
    State(app): State<App>,
    MailReader(browser): MailReader,
    Path((id, n)): Path<(i64, usize)>,
) -> PageResult {
    readable_message(&app, &browser, id).await?;
    let Some((meta, bytes)) = app.archive.attachment(MessageId(id), n).await? else {
        return Ok(view::not_found_page(
            Some(&browser.session),
            &format!("Message {id} has no attachment {n}."),
        ));
    };
    let content_type = HeaderValue::from_str(&meta.content_type)
        .ok()
        .filter(|_| view::is_media_type(&meta.content_type))
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let disposition = view::attachment_disposition(meta.name.as_deref(), n);
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, content_type);
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

pub(crate) async fn raw(
    State(app): State<App>,
    MailReader(browser): MailReader,
    Path(id): Path<i64>,
) -> PageResult {
    readable_message(&app, &browser, id).await?;
    Ok(match app.archive.raw(MessageId(id)).await? {
        Some(bytes) => (
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("inline; filename=\"message-{id}.eml\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        None => view::not_found_page(Some(&browser.session), "The message has no raw source."),
    })
}

#[derive(Deserialize)]
pub(crate) struct TagForm {
    csrf: String,
    tag: String,
}

pub(crate) async fn add_tag(
    State(app): State<App>,
    Path(id): Path<i64>,
    MailForm { browser, form }: MailForm<TagForm>,
) -> PageResult {
    readable_message(&app, &browser, id).await?;
    Ok(
        match app
            .archive
            .tag(MessageId(id), &form.tag, Some(&browser.session.user))
            .await
        {
            Ok(_) => Redirect::to(&format!("/messages/{id}")).into_response(),
            Err(e @ ArchiveError::BadTag(_)) => respond(
                StatusCode::BAD_REQUEST,
                page(
                    "Not a tag",
                    Some(&browser.session),
                    html! { p.error { (e.to_string()) } },
                ),
            ),
            Err(e) => return Err(e.into()),
        },
    )
}

/// Conversations shown per thread page: a thread of ten thousand messages
/// is read and rendered a page at a time.
const THREAD_PAGE: usize = 100;

#[derive(Deserialize, Default)]
pub(crate) struct ThreadPage {
    page: Option<usize>,
    /// The search this conversation was opened from
    /// ([`SearchParams::query_string`]) and its place in the results
    /// (from 0): for the way back and to the neighbours.
    from: Option<String>,
    at: Option<usize>,
}

/// Where a conversation opened from search results leads: back to them,
/// and to the conversations before and after it there.
struct ResultsNav {
    back: String,
    previous: Option<String>,
    next: Option<String>,
}

/// The way back to the results and on, if the conversation was opened
/// from them (the search is run again for its neighbours: three
/// conversations).
async fn results_nav(app: &App, at: &ThreadPage) -> Result<Option<ResultsNav>, PageError> {
    let (Some(from), Some(at)) = (&at.from, at.at) else {
        return Ok(None);
    };
    let Some(params) = SearchParams::from_query_string(from) else {
        return Ok(None);
    };
    let at = at.min(crate::MAX_OFFSET);
    let back = format!(
        "/search?{}&page={}",
        params.query_string(),
        SearchParams::page_of(at)
    );
    let offset = at.saturating_sub(1);
    let found = match app
        .archive
        .search_conversations(&params.request(offset, 3))
        .await
    {
        Ok(found) => found,
        // The search no longer reads (or its list is gone): back only.
        Err(e) if matches!(e.kind(), ErrorKind::Invalid | ErrorKind::NotFound) => {
            return Ok(Some(ResultsNav {
                back,
                previous: None,
                next: None,
            }))
        }
        Err(e) => return Err(e.into()),
    };
    let link = |i: usize| {
        found
            .hits
            .get(i)
            .map(|c| params.thread_link(c.thread_id.0, offset + i))
    };
    let here = at - offset;
    Ok(Some(ResultsNav {
        back,
        previous: if here > 0 { link(here - 1) } else { None },
        next: link(here + 1),
    }))
}

pub(crate) async fn thread(
    State(app): State<App>,
    MailReader(browser): MailReader,
    Path(id): Path<i64>,
    Query(at): Query<ThreadPage>,
) -> PageResult {
    let session = &browser.session;
    let zone = &browser.zone;
    let summaries = app.archive.thread(ThreadId(id)).await?;
    if summaries.is_empty() {
        return Ok(view::not_found_page(
            Some(session),
            &format!("There is no thread {id}."),
        ));
    }
    let nav = results_nav(&app, &at).await?;
    // One entry per customer message (with its reply beside it) and per
    // message of ours that answers none of them.
    let paired: std::collections::HashSet<MessageId> =
        summaries.iter().filter_map(|m| m.reply_id).collect();
    let entries: Vec<&casebook_archive::MessageSummary> = summaries
        .iter()
        .filter(|m| !paired.contains(&m.id))
        .collect();
    let pages = entries.len().div_ceil(THREAD_PAGE).max(1);
    let page_no = at.page.unwrap_or(1).clamp(1, pages);
    let shown = &entries[(page_no - 1) * THREAD_PAGE..entries.len().min(page_no * THREAD_PAGE)];
    let mut loaded: std::collections::HashMap<MessageId, StoredMessage> =
        std::collections::HashMap::with_capacity(shown.len() * 2);
    for s in shown {
        for wanted in std::iter::once(s.id).chain(s.reply_id) {
            if let Some(m) = app.archive.message(wanted).await? {
                loaded.insert(wanted, m);
            }
        }
    }
    let subject = summaries
        .first()
        .map(|m| m.subject.clone())
        .unwrap_or_default();
    let correspondents: std::collections::BTreeSet<&str> = summaries
        .iter()
        .filter_map(|m| m.correspondent.as_deref())
        .collect();
    let mut customer = Vec::new();
    for c in correspondents.into_iter().take(THREAD_PAGE) {
        customer.extend(app.archive.customers().matches_of(c).await?);
    }
    let link = |n: usize| match (&at.from, at.at) {
        (Some(from), Some(i)) => format!(
            "/threads/{id}?page={n}&from={}&at={i}",
            view::url_encode(from)
        ),
        _ => format!("/threads/{id}?page={n}"),
    };
    let nav_bar = html! {
        @if let Some(nav) = &nav {
            nav.results aria-label="Search results" {
                a href=(nav.back) { "↑ back to the results" }
                @if let Some(p) = &nav.previous { a rel="prev" href=(p) { "← previous conversation" } }
                @if let Some(n) = &nav.next { a rel="next" href=(n) { "next conversation →" } }
            }
        }
    };
    let body = html! {
        (nav_bar)
        h1 { @if subject.is_empty() { "(no subject)" } @else { (subject) } }
        @for c in &customer {
            p.customer { "Customer: " (customer_line(c)) }
        }
        p.muted {
            (summaries.len()) " messages; each customer message beside our reply; times in " (zone.name())
            " (" a href="/settings" { "change" } ")"
            @if pages > 1 { " · part " (page_no) " of " (pages) }
        }
        @for s in shown {
            @if let Some(m) = loaded.get(&s.id) {
                @if m.summary.direction == Direction::Automated {
                    div.pair.automated { (automated_card(zone, m)) }
                } @else {
                    div.pair {
                        @if m.summary.direction == Direction::Outbound {
                            div.ours { (message_card(zone, m)) }
                        } @else {
                            div.theirs { (message_card(zone, m)) }
                            @match m.summary.reply_id.and_then(|r| loaded.get(&r)) {
                                Some(reply) => div.ours {
                                    @if let Some(secs) = m.summary.response_secs { p.muted.answered { "answered after " (view::duration(secs)) } }
                                    (message_card(zone, reply))
                                },
                                None => div.placeholder { p.muted { "not answered" } },
                            }
                        }
                    }
                }
            }
        }
        @if pages > 1 {
            nav.pages {
                @if page_no > 1 { a href=(link(page_no - 1)) { "← earlier" } " " }
                @if page_no < pages { a href=(link(page_no + 1)) { "later →" } }
            }
        }
        (nav_bar)
    };
    Ok(respond(StatusCode::OK, page(&subject, Some(session), body)))
}

/// Who a correspondent is on the customer lists.
fn customer_line(c: &casebook_archive::CustomerMatch) -> maud::Markup {
    let r = &c.record;
    html! {
        strong { (r.name.as_deref().unwrap_or(&r.address)) }
        @if let Some(company) = &r.company { ", " (company) }
        span.muted {
            " · " (c.correspondent) " on list " (r.list)
            @if c.kind == casebook_archive::MatchKind::Domain { " by company domain " (r.domain) }
            @if let Some(a) = &r.account { " · account " (a) }
        }
    }
}

/// A message in a conversation: who wrote it and when (in the reader's
/// zone), what a limit cut, their own words with the rest folded, and
/// what it carries.
fn message_card(zone: &crate::DisplayZone, m: &StoredMessage) -> maud::Markup {
    let s = &m.summary;
    html! {
        div.meta {
            a href=(format!("/messages/{}", s.id.0)) { (view::direction(s.direction)) }
            " · " (s.from_name.as_deref().filter(|n| !n.trim().is_empty()).or(s.from_address.as_deref()).unwrap_or("no sender"))
            " · " (view::when(zone, s.date))
        }
        (view::limit_warnings(&m.warnings))
        (view::folded_body(&m.body))
        @if !m.attachments.is_empty() {
            ul.attachments {
                @for (n, a) in m.attachments.iter().enumerate() {
                    li {
                        a href=(format!("/messages/{}/attachments/{n}", s.id.0)) { (a.name.as_deref().unwrap_or("(unnamed)")) }
                        " · " (view::size(a.size))
                    }
                }
            }
        }
    }
}

/// A machine's message (auto-reply, bounce, bulk mail): one line, its
/// text folded.
fn automated_card(zone: &crate::DisplayZone, m: &StoredMessage) -> maud::Markup {
    let s = &m.summary;
    html! {
        details.automated {
            summary {
                "automated"
                @if let Some(kind) = s.automated { " (" (kind.as_str()) ")" }
                " · " (s.from_address.as_deref().unwrap_or("no sender"))
                " · " (view::when(zone, s.date))
                " · " (s.subject)
            }
            (view::limit_warnings(&m.warnings))
            (view::folded_body(&m.body))
            p { a href=(format!("/messages/{}", s.id.0)) { "the whole message" } }
        }
    }
}

auth::csrf_field!(CsrfForm, TagForm);

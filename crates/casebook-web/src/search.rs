//! The search page: conversations first (who the customer is, whether
//! the conversation waits for us, a passage of the customer's own words),
//! messages when asked; page numbers; each result links to its
//! conversation with the way back and on.

use crate::auth::MailReader;
use crate::view::{self, page, respond};
use crate::App;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use casebook_archive::view::count_text;
use casebook_archive::{
    ArchiveError, ConversationHit, ConversationPage, ConversationState, Counting, ErrorKind,
    SearchPage, SearchRequest, Sort, COUNTED_MATCHES,
};
use maud::{html, Markup};
use serde::Deserialize;

/// Results per search page.
pub(crate) const PAGE_SIZE: usize = 20;

/// The search form's fields, as the query string carries them.
#[derive(Deserialize, Default, Clone)]
pub(crate) struct SearchParams {
    #[serde(default)]
    q: String,
    page: Option<usize>,
    direction: Option<String>,
    answered: Option<String>,
    attachment: Option<String>,
    after: Option<String>,
    before: Option<String>,
    /// `messages`: one result per message; conversations otherwise.
    show: Option<String>,
}

impl SearchParams {
    /// The query with the form's filters added as query-language terms.
    /// Only values from the form's fixed choices, and dates made of digits
    /// and dashes, are added; the query itself goes to the parser as typed.
    pub(crate) fn full_query(&self) -> String {
        let mut parts = vec![self.q.trim().to_owned()];
        if let Some(d @ ("inbound" | "outbound" | "automated")) = self.direction.as_deref() {
            parts.push(format!("is:{d}"));
        }
        if let Some(a @ ("answered" | "unanswered")) = self.answered.as_deref() {
            parts.push(format!("is:{a}"));
        }
        if self.attachment.as_deref() == Some("on") {
            parts.push("has:attachment".to_owned());
        }
        for (key, value) in [("after", &self.after), ("before", &self.before)] {
            if let Some(v) = value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '-'))
            {
                parts.push(format!("{key}:{v}"));
            }
        }
        parts.retain(|p| !p.is_empty());
        parts.join(" ")
    }

    fn messages(&self) -> bool {
        self.show.as_deref() == Some("messages")
    }

    /// The search as a query string, without its page number.
    pub(crate) fn query_string(&self) -> String {
        let mut url = format!("q={}", view::url_encode(&self.q));
        for (key, value) in [
            ("direction", &self.direction),
            ("answered", &self.answered),
            ("attachment", &self.attachment),
            ("after", &self.after),
            ("before", &self.before),
            ("show", &self.show),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                url.push_str(&format!("&{key}={}", view::url_encode(v)));
            }
        }
        url
    }

    fn link(&self, page: usize) -> String {
        format!("/search?{}&page={page}", self.query_string())
    }

    /// A search read back from [`SearchParams::query_string`] (as a
    /// conversation's page is given it); `None` if it is not one.
    pub(crate) fn from_query_string(text: &str) -> Option<Self> {
        let uri: axum::http::Uri = format!("/search?{text}").parse().ok()?;
        Query::<Self>::try_from_uri(&uri).ok().map(|q| q.0)
    }

    /// The page of results position `at` (from 0) is on.
    pub(crate) fn page_of(at: usize) -> usize {
        at / PAGE_SIZE + 1
    }

    /// The link to conversation `thread`, the `at`-th result (from 0).
    pub(crate) fn thread_link(&self, thread: i64, at: usize) -> String {
        format!(
            "/threads/{thread}?from={}&at={at}",
            view::url_encode(&self.query_string())
        )
    }

    /// The conversation search this page shows, at `offset`, `limit` long.
    pub(crate) fn request(&self, offset: usize, limit: usize) -> SearchRequest {
        let mut request = SearchRequest::new(&self.full_query());
        request.counting = Counting::UpTo(COUNTED_MATCHES);
        request.sort = Sort::NewestFirst;
        request.limit = limit;
        request.offset = offset;
        request
    }
}

fn selected(value: &Option<String>, option: &str) -> bool {
    value.as_deref() == Some(option)
}

/// Found, in either shape.
enum Found {
    Conversations(ConversationPage),
    Messages(SearchPage),
}

pub(crate) async fn search(
    State(app): State<App>,
    MailReader(browser): MailReader,
    Query(params): Query<SearchParams>,
) -> Response {
    let session = &browser.session;
    let query = params.full_query();
    // Deep pages cost memory in the index (it ranks every hit up to the
    // page): past the limit, the last page allowed is shown.
    let page_no = params
        .page
        .unwrap_or(1)
        .clamp(1, crate::MAX_OFFSET / PAGE_SIZE + 1);
    let request = params.request((page_no - 1) * PAGE_SIZE, PAGE_SIZE);
    let outcome = if query.is_empty() {
        None
    } else {
        if let Err(e) = app.archive.refresh().await {
            return view::archive_error(None, &e, None);
        }
        Some(if params.messages() {
            app.archive.search(&request).await.map(Found::Messages)
        } else {
            app.archive
                .search_conversations(&request)
                .await
                .map(Found::Conversations)
        })
    };
    let form = html! {
        form.search method="get" action="/search" {
            input name="q" value=(params.q) aria-label="Search words" placeholder="voicemail from:ann@example.com after:2024-01-01" autofocus;
            select name="direction" aria-label="Who wrote" {
                option value="" { "any direction" }
                option value="inbound" selected[selected(&params.direction, "inbound")] { "from customers" }
                option value="outbound" selected[selected(&params.direction, "outbound")] { "our replies" }
                option value="automated" selected[selected(&params.direction, "automated")] { "automated" }
            }
            select name="answered" aria-label="Answered or not" {
                option value="" { "answered or not" }
                option value="answered" selected[selected(&params.answered, "answered")] { "answered" }
                option value="unanswered" selected[selected(&params.answered, "unanswered")] { "unanswered" }
            }
            label { input type="checkbox" name="attachment" checked[selected(&params.attachment, "on")]; " with attachment" }
            label { "after " input type="date" name="after" value=[params.after.as_deref()]; }
            label { "before " input type="date" name="before" value=[params.before.as_deref()]; }
            select name="show" aria-label="Show" {
                option value="" { "conversations" }
                option value="messages" selected[params.messages()] { "messages" }
            }
            button type="submit" { "Search" }
        }
    };
    let (status, results) = match outcome {
        None => (
            StatusCode::OK,
            html! { p.muted { "Words, \"phrases\", from: to: subject: body: tag:, -word, OR, after:YYYY-MM-DD, is:unanswered …" } },
        ),
        Some(Err(ArchiveError::Query { source, .. })) => (
            StatusCode::BAD_REQUEST,
            html! { p.error { "Cannot read the query " (source) } },
        ),
        // A term naming what is not there (`customer:nosuchlist`).
        Some(Err(e)) if matches!(e.kind(), ErrorKind::Invalid | ErrorKind::NotFound) => (
            StatusCode::BAD_REQUEST,
            html! { p.error { (e.to_string()) } },
        ),
        Some(Err(e)) => return view::archive_error(None, &e, None),
        Some(Ok(Found::Conversations(found))) => (
            StatusCode::OK,
            conversations(&params, &browser.zone, page_no, &found),
        ),
        Some(Ok(Found::Messages(found))) => (
            StatusCode::OK,
            messages(&params, &browser.zone, page_no, &found),
        ),
    };
    respond(
        status,
        page(
            if query.is_empty() { "Search" } else { &query },
            Some(session),
            html! { (form) (results) },
        ),
    )
}

/// Conversations found, a page of them.
fn conversations(
    params: &SearchParams,
    zone: &crate::DisplayZone,
    page_no: usize,
    found: &ConversationPage,
) -> Markup {
    let pages = found.total.div_ceil(PAGE_SIZE);
    let first = (page_no - 1) * PAGE_SIZE;
    html! {
        p.muted.count {
            @if found.total_is_lower_bound { "at least " }
            (count_text(found.total, "conversation")) " ("
            @if found.messages_is_lower_bound { "at least " }
            (count_text(found.messages, "message")) ") found in "
            (format!("{:.1}", found.took.as_secs_f64() * 1000.0)) " ms"
            @if pages > 1 { " · page " (page_no) " of " (pages) }
        }
        ol.conversations start=(first + 1) {
            @for (i, c) in found.hits.iter().enumerate() {
                (conversation(params, zone, first + i, c))
            }
        }
        (view::page_numbers(page_no, pages.min(crate::MAX_OFFSET / PAGE_SIZE + 1), |n| params.link(n)))
    }
}

/// One conversation of the results: customer, state, subject, passage.
fn conversation(
    params: &SearchParams,
    zone: &crate::DisplayZone,
    at: usize,
    c: &ConversationHit,
) -> Markup {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    html! {
        li.conversation {
            div.customer {
                strong { (c.customer.name.as_deref().or(c.customer.address.as_deref()).unwrap_or("unknown sender")) }
                @if c.customer.name.is_some() {
                    @if let Some(a) = &c.customer.address { " " span.muted { (a) } }
                }
                @if let Some(company) = &c.customer.company { " · " (company) }
                @for list in &c.customer.lists { " " span.tag { (list) } }
            }
            a.subject href=(params.thread_link(c.thread_id.0, at)) {
                @if c.subject.is_empty() { "(no subject)" } @else { (c.subject) }
            }
            div.meta {
                @match c.state {
                    ConversationState::WaitingSince(since) => {
                        strong.waiting { "waiting for us " (view::duration((now - since).max(0))) }
                        " since " (view::when_secs(zone, since))
                    }
                    ConversationState::Answered(Some(secs)) => { span.answered { "answered in " (view::duration(secs)) } }
                    ConversationState::Answered(None) => { span.answered { "answered" } }
                    ConversationState::Replied => { "we wrote since" }
                    ConversationState::OursOnly => { "only our messages" }
                    ConversationState::AutomatedOnly => { "automated only" }
                }
                " · " (c.messages) @if c.messages == 1 { " message" } @else { " messages" }
                @if c.matching > 1 { " (" (c.matching) " matching)" }
                @if let Some(last) = c.last_date { " · last " (view::when_secs(zone, last)) }
            }
            div.snippet { (view::snippet(&c.snippet)) }
        }
    }
}

/// Messages found, a page of them (`show=messages`).
fn messages(
    params: &SearchParams,
    zone: &crate::DisplayZone,
    page_no: usize,
    found: &SearchPage,
) -> Markup {
    let pages = found.total.div_ceil(PAGE_SIZE);
    html! {
        p.muted.count {
            @if found.total_is_lower_bound { "at least " }
            (count_text(found.total, "message")) " found in " (format!("{:.1}", found.took.as_secs_f64() * 1000.0)) " ms"
            @if pages > 1 {
                " · page " (page_no) " of "
                @if found.total_is_lower_bound { "at least " }
                (pages)
            }
        }
        ol.hits start=((page_no - 1) * PAGE_SIZE + 1) {
            @for hit in &found.hits {
                li {
                    a href=(format!("/messages/{}", hit.summary.id.0)) {
                        @if hit.summary.subject.is_empty() { "(no subject)" } @else { (hit.summary.subject) }
                    }
                    div.meta {
                        (view::direction(hit.summary.direction)) " · "
                        // Our reply is listed by the customer it went to.
                        @if hit.summary.direction == casebook_archive::Direction::Outbound { "to " }
                        (hit.summary.correspondent.as_deref().or(hit.summary.from_address.as_deref()).unwrap_or("no sender")) " · "
                        (view::when(zone, hit.summary.date))
                        @if let Some(t) = hit.summary.thread_id {
                            " · " a href=(format!("/threads/{}", t.0)) { "conversation" }
                        }
                    }
                    div.snippet { (view::snippet(&hit.snippet)) }
                }
            }
        }
        (view::page_numbers(page_no, pages.min(crate::MAX_OFFSET / PAGE_SIZE + 1), |n| params.link(n)))
    }
}

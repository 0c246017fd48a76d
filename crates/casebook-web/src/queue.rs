//! The "Waiting for us" page: where an agent starts the day.

use crate::auth::MailReader;
use crate::view::{self, page, respond};
use crate::App;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use casebook_archive::view::{duration_text, DurationStyle};
use casebook_archive::{ErrorKind, QueueRequest};
use maud::html;
use serde::Deserialize;

/// Conversations per page.
const PAGE_SIZE: usize = 25;

#[derive(Deserialize, Default)]
pub(crate) struct QueueParams {
    list: Option<String>,
    tag: Option<String>,
    topic: Option<String>,
    page: Option<usize>,
}

impl QueueParams {
    fn given(v: &Option<String>) -> Option<String> {
        v.as_ref()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// This queue's address at page `n`.
    fn link(&self, n: usize) -> String {
        let mut query = vec![format!("page={n}")];
        for (name, value) in [
            ("list", &self.list),
            ("tag", &self.tag),
            ("topic", &self.topic),
        ] {
            if let Some(v) = Self::given(value) {
                query.push(format!("{name}={}", view::url_encode(&v)));
            }
        }
        format!("/queue?{}", query.join("&"))
    }
}

pub(crate) async fn page_view(
    State(app): State<App>,
    MailReader(browser): MailReader,
    Query(params): Query<QueueParams>,
) -> Response {
    let page_no = params
        .page
        .unwrap_or(1)
        .clamp(1, crate::MAX_OFFSET / PAGE_SIZE + 1);
    let request = QueueRequest {
        list: QueueParams::given(&params.list),
        tag: QueueParams::given(&params.tag),
        topic: QueueParams::given(&params.topic),
        limit: PAGE_SIZE,
        offset: (page_no - 1) * PAGE_SIZE,
    };
    let topics: Vec<&str> = casebook_archive::topic::topic_names().collect();
    let form = html! {
        form.filters method="get" action="/queue" {
            label { "Customer list " input name="list" value=[request.list.as_deref()] placeholder="any"; }
            label { "Tag " input name="tag" value=[request.tag.as_deref()] placeholder="any"; }
            label { "Topic "
                select name="topic" {
                    option value="" { "any" }
                    @for t in &topics {
                        option value=(t) selected[request.topic.as_deref() == Some(*t)] { (t) }
                    }
                }
            }
            button type="submit" { "Show" }
        }
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let (status, results) = match app.archive.queue(&request).await {
        Err(e) if matches!(e.kind(), ErrorKind::Invalid | ErrorKind::NotFound) => (
            StatusCode::BAD_REQUEST,
            html! { p.error { (e.to_string()) } },
        ),
        Err(e) => return view::archive_error(Some(&browser.session), &e, None),
        Ok(found) if found.total == 0 => (
            StatusCode::OK,
            html! { p.muted.count { "No conversation is waiting for us." } },
        ),
        Ok(found) => {
            let pages = (found.total as usize).div_ceil(PAGE_SIZE);
            (
                StatusCode::OK,
                html! {
                    p.muted.count { (found.total) " conversations waiting for us, oldest first" }
                    ol.queue start=(request.offset + 1) {
                        @for e in &found.entries {
                            li {
                                div.customer {
                                    strong { (e.customer.name.as_deref().or(e.customer.address.as_deref()).unwrap_or("unknown sender")) }
                                    @if let Some(company) = &e.customer.company { " · " (company) }
                                    @for list in &e.customer.lists { " " span.tag { (list) } }
                                }
                                a href=(format!("/threads/{}", e.thread_id.0)) {
                                    @if e.subject.is_empty() { "(no subject)" } @else { (e.subject) }
                                }
                                div.meta {
                                    "waiting " strong.waited { (duration_text((now - e.waiting_since).max(0), DurationStyle::Spelled)) }
                                    " · since "
                                    (view::when_secs(&browser.zone, e.waiting_since))
                                    @if e.waiting_messages > 1 { " · " (e.waiting_messages) " messages" }
                                    " · " a href=(format!("/messages/{}", e.latest.0)) { "latest message" }
                                }
                            }
                        }
                    }
                    (view::page_numbers(page_no, pages.min(crate::MAX_OFFSET / PAGE_SIZE + 1), |n| params.link(n)))
                },
            )
        }
    };
    respond(
        status,
        page(
            "Waiting for us",
            Some(&browser.session),
            html! { h1 { "Waiting for us" } (form) (results) },
        ),
    )
}

//! `/api/v1/`: the pages' data as JSON, for scripts with an API token.

use crate::auth::{self, ApiMailReader, ApiTestimonialReader, ApiUser};
use crate::App;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use casebook_archive::{
    ArchiveError, MessageId, MessageSummary, Role, SearchRequest, Sort, ThreadId, User,
};
use serde::Deserialize;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// `Query`, answering a malformed query string (`limit=-1`) with a JSON
/// 400 like every other API error, not axum's plain text.
pub(crate) struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Self(v))
            .map_err(|e| error(StatusCode::BAD_REQUEST, &e.body_text()))
    }
}

/// `Path`, answering a malformed id (`/api/v1/messages/abc`) with a JSON
/// 400.
pub(crate) struct ApiPath<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| Self(v))
            .map_err(|e| error(StatusCode::BAD_REQUEST, &e.body_text()))
    }
}

pub(crate) fn internal(e: &ArchiveError) -> Response {
    tracing::error!("API request failed: {e}");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the request failed; the error was logged on the server",
    )
}

/// 403 unless `user`'s role is one of `roles`.
pub(crate) fn refuse_unless(user: &User, roles: &[Role]) -> Option<Response> {
    (!auth::allowed(user, roles)).then(|| {
        error(
            StatusCode::FORBIDDEN,
            &format!("the role {} may not use this route", user.role.as_str()),
        )
    })
}

fn summary_json(s: &MessageSummary) -> Value {
    json!({
        "id": s.id.0,
        "message_id": s.message_id,
        "thread_id": s.thread_id.map(|t| t.0),
        "direction": s.direction.as_str(),
        "from": s.from_address,
        "correspondent": s.correspondent,
        "date": s.date.and_then(|d| d.format(&Rfc3339).ok()),
        "subject": s.subject,
        "reply_id": s.reply_id.map(|r| r.0),
        "response_secs": s.response_secs,
    })
}

pub(crate) async fn me(ApiUser(user): ApiUser) -> Response {
    Json(json!({ "name": user.name, "role": user.role.as_str() })).into_response()
}

#[derive(Deserialize)]
pub(crate) struct SearchParams {
    #[serde(default)]
    q: String,
    limit: Option<usize>,
    offset: Option<usize>,
    sort: Option<String>,
}

pub(crate) async fn search(
    State(app): State<App>,
    _: ApiMailReader,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Response {
    let mut request = SearchRequest::new(&params.q);
    request.limit = params.limit.unwrap_or(20).min(100);
    request.offset = params.offset.unwrap_or(0);
    if request.offset > crate::MAX_OFFSET {
        return error(
            StatusCode::BAD_REQUEST,
            &format!(
                "offset={} is too deep; narrow the query (after:, before:, from:) to page past {}",
                request.offset,
                crate::MAX_OFFSET
            ),
        );
    }
    request.sort = match params.sort.as_deref() {
        None | Some("newest") => Sort::NewestFirst,
        Some("relevance") => Sort::Relevance,
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("sort={other} is not known; use newest or relevance"),
            )
        }
    };
    if let Err(e) = app.archive.refresh().await {
        return internal(&e);
    }
    match app.archive.search(&request).await {
        Ok(page) => Json(json!({
            "query": params.q,
            "total": page.total,
            "took_ms": page.took.as_secs_f64() * 1000.0,
            "hits": page.hits.iter().map(|h| {
                let mut v = summary_json(&h.summary);
                v["snippet"] = json!({
                    "text": h.snippet.text,
                    "highlights": h.snippet.highlights.iter().map(|r| [r.start, r.end]).collect::<Vec<_>>(),
                });
                v
            }).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(ArchiveError::Query { source, .. }) => error(
            StatusCode::BAD_REQUEST,
            &format!("cannot parse the query {source}"),
        ),
        // A term naming a list there is not (`customer:nosuchlist`).
        Err(ArchiveError::Customers(why)) => error(StatusCode::BAD_REQUEST, &why),
        Err(e) => internal(&e),
    }
}

pub(crate) async fn message(
    State(app): State<App>,
    _: ApiMailReader,
    ApiPath(id): ApiPath<i64>,
) -> Response {
    let (m, tags) = match (
        app.archive.message(MessageId(id)).await,
        app.archive.tags(MessageId(id)).await,
    ) {
        (Ok(Some(m)), Ok(tags)) => (m, tags),
        (Ok(None), _) => return error(StatusCode::NOT_FOUND, &format!("there is no message {id}")),
        (Err(e), _) | (_, Err(e)) => return internal(&e),
    };
    let mut v = summary_json(&m.summary);
    v["from_name"] = json!(m.from_name);
    v["recipients"] = json!(m
        .recipients
        .iter()
        .map(|r| json!({ "kind": format!("{:?}", r.kind).to_lowercase(), "address": r.address, "name": r.name }))
        .collect::<Vec<_>>());
    v["body"] = json!(m.body);
    v["html_only"] = json!(m.html_only);
    v["attachments"] = json!(m
        .attachments
        .iter()
        .map(|a| json!({ "name": a.name, "content_type": a.content_type, "size": a.size, "sha256": a.sha256 }))
        .collect::<Vec<_>>());
    v["tags"] = json!(tags);
    v["sha256"] = json!(m.sha256);
    Json(v).into_response()
}

pub(crate) async fn thread(
    State(app): State<App>,
    _: ApiMailReader,
    ApiPath(id): ApiPath<i64>,
) -> Response {
    match app.archive.thread(ThreadId(id)).await {
        Ok(messages) if messages.is_empty() => {
            error(StatusCode::NOT_FOUND, &format!("there is no thread {id}"))
        }
        Ok(messages) => Json(json!({
            "thread_id": id,
            "messages": messages.iter().map(summary_json).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => internal(&e),
    }
}

pub(crate) async fn testimonials(State(app): State<App>, _: ApiTestimonialReader) -> Response {
    match app.archive.published_testimonials().await {
        Ok(list) => Json(json!({
            "testimonials": list.iter().map(|t| json!({
                "id": t.id,
                "excerpt": t.excerpt,
                "attribution": t.attribution,
                "date": t.date.and_then(|d| d.format(&Rfc3339).ok()),
                "topic": t.topic,
                "edited": t.edited,
            })).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => internal(&e),
    }
}

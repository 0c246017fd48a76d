//! `/api/v1/`: the pages' data as JSON, for scripts with an API token.

use crate::auth::{self, ApiMailReader, ApiTestimonialReader, ApiUser};
use crate::App;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use casebook_archive::view::{
    rfc3339, ConversationSearchView, MessageLine, MessageView, SearchView,
};
use casebook_archive::{
    ArchiveError, Counting, ErrorKind, MessageId, Role, SearchRequest, Sort, ThreadId, User,
    COUNTED_MATCHES,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

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

/// An archive error as the API answers it, by its kind and only here: the
/// request (400), what it names missing (404), a clash (409), each in the
/// archive's own words; a resource out (503); a fault (500), logged and
/// not described.
pub(crate) struct ApiError(pub(crate) ArchiveError);

/// What an API handler returns: `?` on an archive call answers its error.
pub(crate) type ApiResult = Result<Response, ApiError>;

impl From<ArchiveError> for ApiError {
    fn from(e: ArchiveError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let kind = e.kind();
        let status = crate::view::status_of(kind);
        match kind {
            ErrorKind::Unavailable => {
                tracing::warn!("API request not done: {e}");
                error(status, "the archive cannot do this now; try again later")
            }
            ErrorKind::Failed => {
                tracing::error!("API request failed: {e}");
                error(
                    status,
                    "the request failed; the error was logged on the server",
                )
            }
            _ => error(status, &e.to_string()),
        }
    }
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

/// A whole message, with the tags agents gave it.
#[derive(Serialize)]
struct MessageJson<'a> {
    #[serde(flatten)]
    message: MessageView<'a>,
    tags: &'a [String],
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
    /// `thread`: conversations; `message` (the default): messages.
    group: Option<String>,
}

pub(crate) async fn search(
    State(app): State<App>,
    _: ApiMailReader,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> ApiResult {
    let mut request = SearchRequest::new(&params.q);
    request.counting = Counting::UpTo(COUNTED_MATCHES);
    request.limit = params.limit.unwrap_or(20).min(100);
    request.offset = params.offset.unwrap_or(0);
    if request.offset > crate::MAX_OFFSET {
        return Ok(error(
            StatusCode::BAD_REQUEST,
            &format!(
                "offset={} is too deep; narrow the query (after:, before:, from:) to page past {}",
                request.offset,
                crate::MAX_OFFSET
            ),
        ));
    }
    request.sort = match params.sort.as_deref() {
        None | Some("newest") => Sort::NewestFirst,
        Some("relevance") => Sort::Relevance,
        Some(other) => {
            return Ok(error(
                StatusCode::BAD_REQUEST,
                &format!("sort={other} is not known; use newest or relevance"),
            ))
        }
    };
    let by_thread = match params.group.as_deref() {
        None | Some("message") => false,
        Some("thread") => true,
        Some(other) => {
            return Ok(error(
                StatusCode::BAD_REQUEST,
                &format!("group={other} is not known; use thread or message"),
            ))
        }
    };
    app.archive.refresh().await?;
    if by_thread {
        let page = app.archive.search_conversations(&request).await?;
        return Ok(Json(ConversationSearchView::new(&params.q, &page)).into_response());
    }
    let page = app.archive.search(&request).await?;
    Ok(Json(SearchView::new(&params.q, &page)).into_response())
}

/// `/api/v1/queue`'s query string.
#[derive(Deserialize)]
pub(crate) struct QueueParams {
    list: Option<String>,
    tag: Option<String>,
    topic: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
}

/// The conversations waiting for us, oldest first (`casebook queue`).
pub(crate) async fn queue(
    State(app): State<App>,
    _: ApiMailReader,
    ApiQuery(params): ApiQuery<QueueParams>,
) -> ApiResult {
    let given = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    let request = casebook_archive::QueueRequest {
        list: given(params.list),
        tag: given(params.tag),
        topic: given(params.topic),
        limit: params.limit.unwrap_or(50).min(200),
        offset: params.offset.unwrap_or(0),
    };
    if request.offset > crate::MAX_OFFSET {
        return Ok(error(
            StatusCode::BAD_REQUEST,
            &format!(
                "offset={} is too deep; narrow the queue (list=, tag=, topic=) to page past {}",
                request.offset,
                crate::MAX_OFFSET
            ),
        ));
    }
    let page = app.archive.queue(&request).await?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    Ok(Json(json!({
        "total": page.total,
        "conversations": page
            .entries
            .iter()
            .map(|e| casebook_archive::view::QueueEntryView::new(e, now))
            .collect::<Vec<_>>(),
    }))
    .into_response())
}

/// `/api/v1/messages/ID/similar`'s query string.
#[derive(Deserialize)]
pub(crate) struct SimilarParams {
    limit: Option<usize>,
}

/// How we answered this before (`casebook similar`).
pub(crate) async fn similar(
    State(app): State<App>,
    _: ApiMailReader,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<SimilarParams>,
) -> ApiResult {
    app.archive.refresh().await?;
    let found = app
        .archive
        .similar(MessageId(id), params.limit.unwrap_or(5).min(50))
        .await?;
    Ok(Json(casebook_archive::view::similar_json(&found)).into_response())
}

pub(crate) async fn message(
    State(app): State<App>,
    _: ApiMailReader,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult {
    let Some(m) = app.archive.message(MessageId(id)).await? else {
        return Ok(error(
            StatusCode::NOT_FOUND,
            &format!("there is no message {id}"),
        ));
    };
    let tags = app.archive.tags(MessageId(id)).await?;
    Ok(Json(MessageJson {
        message: MessageView::from(&m),
        tags: &tags,
    })
    .into_response())
}

pub(crate) async fn thread(
    State(app): State<App>,
    _: ApiMailReader,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult {
    let messages = app.archive.thread(ThreadId(id)).await?;
    if messages.is_empty() {
        return Ok(error(
            StatusCode::NOT_FOUND,
            &format!("there is no thread {id}"),
        ));
    }
    Ok(Json(json!({
        "thread_id": id,
        "messages": messages.iter().map(MessageLine::from).collect::<Vec<_>>(),
    }))
    .into_response())
}

pub(crate) async fn testimonials(State(app): State<App>, _: ApiTestimonialReader) -> ApiResult {
    let list = app.archive.testimonials().published().await?;
    Ok(Json(json!({
        "testimonials": list.iter().map(|t| json!({
            "id": t.id,
            "excerpt": t.excerpt,
            "attribution": t.attribution,
            "date": t.date.and_then(rfc3339),
            "topic": t.topic,
            "edited": t.edited,
        })).collect::<Vec<_>>(),
    }))
    .into_response())
}

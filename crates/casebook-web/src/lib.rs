//! The web app and JSON API over the archive (`casebook serve`): pages
//! rendered on the server that work without JavaScript, and `/api/v1/` for
//! scripts. Every page and route checks the user's role on the server.
//!
//! Every message was written by someone outside the company, so every byte
//! of it is treated as hostile: text is escaped by the templates (maud), no
//! page runs a script, and every response carries a Content-Security-Policy
//! that forbids scripts, frames and remote loads.
//!
//! ```no_run
//! # async fn demo(archive: casebook_archive::Archive) -> std::io::Result<()> {
//! let app = casebook_web::router(std::sync::Arc::new(archive), casebook_web::WebOptions::default());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! casebook_web::serve(listener, app, std::future::pending()).await
//! # }
//! ```
//!
//! Architecture invariant: calls `casebook-archive` only — no SQL, no
//! tantivy; owns its own HTML and JSON shapes.

mod api;
mod auth;
mod charts;
mod customers;
mod marketing;
mod message_html;
mod pages;
mod privacy;
mod queue;
mod review;
mod search;
mod security;
mod settings;
mod statistics;
mod tls;
mod view;
mod zone;

pub use message_html::clean_message_html;
pub use tls::{serve_tls, tls_acceptor, TlsError};
pub use zone::{DisplayZone, UnknownZone};

use axum::routing::{get, post};
use axum::Router;
use casebook_archive::Archive;
use std::future::Future;
use std::sync::Arc;

/// The deepest result a search may page to: the index ranks every hit up
/// to the page asked for, so an unbounded offset would let one request
/// take the server's memory.
pub(crate) const MAX_OFFSET: usize = 10_000;

/// How the server presents itself.
#[derive(Debug, Clone, Default)]
pub struct WebOptions {
    /// Mark the session cookie `Secure` (the app is reached over HTTPS,
    /// directly or through a proxy).
    pub secure_cookies: bool,
    /// Proxies in front of the app whose `X-Forwarded-For` names the
    /// client (the peer address is used otherwise).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The zone dates are shown in unless a person chose another.
    pub display_zone: DisplayZone,
}

#[derive(Clone)]
pub(crate) struct App {
    pub archive: Arc<Archive>,
    pub options: Arc<WebOptions>,
    /// HTML-only mail, cleaned off the request threads and kept.
    pub html: Arc<message_html::HtmlCleaner>,
}

/// Every route of the app.
pub fn router(archive: Arc<Archive>, options: WebOptions) -> Router {
    let app = App {
        archive,
        options: Arc::new(options),
        html: Arc::default(),
    };
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/search", get(search::search))
        .route("/settings", get(settings::show).post(settings::save))
        .route("/queue", get(queue::page_view))
        .route("/messages/{id}", get(pages::message))
        .route("/messages/{id}/raw", get(pages::raw))
        .route("/messages/{id}/html", get(pages::message_html))
        .route("/messages/{id}/attachments/{n}", get(pages::attachment))
        .route("/messages/{id}/tags", post(pages::add_tag))
        .route("/threads/{id}", get(pages::thread))
        .route("/testimonials", get(marketing::testimonials))
        .route("/testimonials/export", post(marketing::export))
        .route("/testimonials/review", get(review::queue))
        .route("/testimonials/approve", post(review::approve))
        .route("/testimonials/reject", post(review::reject))
        .route("/testimonials/{id}/revoke", post(review::revoke))
        .route("/privacy", get(privacy::overview))
        .route("/privacy/set", post(privacy::set))
        .route("/privacy/requests/{id}/{decision}", post(privacy::decide))
        .route("/customers", get(customers::overview))
        .route(
            "/customers/import",
            post(customers::import).layer(axum::extract::DefaultBodyLimit::max(
                customers::MAX_UPLOAD_BYTES,
            )),
        )
        .route("/customers/partner-export", post(customers::partner_export))
        .route("/stats", get(statistics::page_view))
        .route("/api/v1/stats", get(statistics::api))
        .route("/static/app.css", get(pages::stylesheet))
        .route("/api/v1/me", get(api::me))
        .route("/api/v1/search", get(api::search))
        .route("/api/v1/queue", get(api::queue))
        .route("/api/v1/messages/{id}", get(api::message))
        .route("/api/v1/messages/{id}/similar", get(api::similar))
        .route("/api/v1/threads/{id}", get(api::thread))
        .route("/api/v1/testimonials", get(api::testimonials))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn(security::headers))
        .with_state(app)
}

/// Serves `router` on `listener` until `shutdown` completes, then finishes
/// the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

//! Headers every response carries.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// No scripts, no frames, no remote loads, nothing sniffed, no referrer,
/// nothing cached: the pages show other people's mail.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; \
     img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A page that frames a message's sanitised HTML (from this site only).
pub(crate) const CSP_FRAMING_MESSAGE: &str = "default-src 'none'; style-src 'self'; \
     img-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A message's sanitised HTML inside its sandboxed frame: no scripts, no
/// forms, no plugins, inline styles only, images only embedded in the
/// message unless the agent asked for remote ones.
pub(crate) fn csp_for_message_html(remote_images: bool) -> String {
    let images = if remote_images {
        "data: https: http:"
    } else {
        "data:"
    };
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src {images}; \
         form-action 'none'; frame-ancestors 'self'; base-uri 'none'; sandbox"
    )
}

pub(crate) async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    // A page may narrow or widen the policy for itself (the message frame);
    // every other response gets the strictest.
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    response
}

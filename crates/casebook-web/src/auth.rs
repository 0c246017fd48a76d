//! Who is asking: a browser session (cookie) for pages, an API token
//! (`Authorization: Bearer`) for `/api/v1/`; and what their role allows.

use crate::{view, App};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use casebook_archive::{Role, Session, User};
use std::net::{IpAddr, SocketAddr};

pub(crate) const COOKIE: &str = "casebook_session";

pub(crate) fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The address a request comes from: the connection's peer, or — when
/// the peer is a proxy named in `--trusted-proxy` — the nearest address in
/// its `X-Forwarded-For` that is not itself a trusted proxy. Login failures
/// are counted by it.
pub(crate) struct Client(pub IpAddr);

impl FromRequestParts<App> for Client {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
            tracing::error!("a request without its connection's address: serve the router with casebook_web::serve or serve_tls");
            return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        };
        Ok(Client(client_address(
            peer.ip(),
            &parts.headers,
            &app.options.trusted_proxies,
        )))
    }
}

fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let trusted_hop = |ip: &IpAddr| trusted.contains(&ip.to_canonical());
    if !trusted_hop(&peer) {
        return peer;
    }
    // Each proxy appends the address it was reached from: read from the
    // right, past our own proxies, to the first address nobody we trust
    // could have written. A header that does not parse is not believed.
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted_hop(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

/// A page request from a logged-in browser; anyone else is sent to the
/// login page.
pub(crate) struct Browser {
    pub session: Session,
    /// The cookie's value, to end the session on logout.
    pub token: String,
    /// The zone this person sees dates in.
    pub zone: crate::DisplayZone,
}

impl FromRequestParts<App> for Browser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let token = cookie_value(&parts.headers, COOKIE).map(str::to_owned);
        if let Some(token) = token {
            match app.archive.users().session(&token).await {
                Ok(Some(session)) => {
                    // A zone this machine no longer knows (its tzdata
                    // changed since it was chosen) falls back to the default.
                    let zone = session
                        .user
                        .display_timezone
                        .as_deref()
                        .and_then(|name| crate::DisplayZone::named(name).ok())
                        .unwrap_or_else(|| app.options.display_zone.clone());
                    return Ok(Browser {
                        session,
                        token,
                        zone,
                    });
                }
                Ok(None) => {}
                Err(e) => return Err(view::archive_error(None, &e, None)),
            }
        }
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .filter(|p| p.starts_with('/') && !p.starts_with("//"))
            .unwrap_or("/");
        Err(Redirect::to(&format!("/login?next={}", view::url_encode(next))).into_response())
    }
}

/// An API request with a valid token; anyone else gets 401.
pub(crate) struct ApiUser(pub User);

impl FromRequestParts<App> for ApiUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            // The scheme's name is case-insensitive (RFC 9110).
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        let unauthorized = || {
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                Json(serde_json::json!({
                    "error": "send an API token as `Authorization: Bearer TOKEN`; `casebook token create --user NAME` makes one"
                })),
            )
                .into_response()
        };
        let Some(token) = token else {
            return Err(unauthorized());
        };
        match app.archive.users().for_token(token).await {
            Ok(Some(user)) => Ok(ApiUser(user)),
            Ok(None) => Err(unauthorized()),
            Err(e) => Err(view::archive_error(None, &e, None)),
        }
    }
}

/// A logged-in browser whose role is one of `roles`; anyone else gets
/// the login page (not logged in) or "not allowed" (another role).
async fn browser_with(parts: &mut Parts, app: &App, roles: &[Role]) -> Result<Browser, Response> {
    let browser = Browser::from_request_parts(parts, app).await?;
    if !allowed(&browser.session.user, roles) {
        return Err(view::forbidden(&browser.session));
    }
    Ok(browser)
}

/// An API user whose role is one of `roles`; anyone else gets 401 (no
/// token) or a JSON 403.
async fn api_user_with(parts: &mut Parts, app: &App, roles: &[Role]) -> Result<User, Response> {
    let ApiUser(user) = ApiUser::from_request_parts(parts, app).await?;
    match crate::api::refuse_unless(&user, roles) {
        Some(refusal) => Err(refusal),
        None => Ok(user),
    }
}

/// A page request from a role that reads mail (agent, admin): a handler
/// that shows correspondence takes this, so it cannot forget the check.
pub(crate) struct MailReader(pub Browser);
/// A page request from a role that sees testimonials (marketing, admin).
pub(crate) struct TestimonialReader(pub Browser);
/// An API request from a role that reads mail.
pub(crate) struct ApiMailReader;
/// An API request from a role that sees testimonials.
pub(crate) struct ApiTestimonialReader;

impl FromRequestParts<App> for MailReader {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        browser_with(parts, app, READS_MAIL).await.map(Self)
    }
}

impl FromRequestParts<App> for TestimonialReader {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        browser_with(parts, app, SEES_TESTIMONIALS).await.map(Self)
    }
}

impl FromRequestParts<App> for ApiMailReader {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        api_user_with(parts, app, READS_MAIL).await.map(|_| Self)
    }
}

impl FromRequestParts<App> for ApiTestimonialReader {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        api_user_with(parts, app, SEES_TESTIMONIALS)
            .await
            .map(|_| Self)
    }
}

/// Who may read correspondence.
pub(crate) const READS_MAIL: &[Role] = &[Role::Agent, Role::Admin];
/// Who may see approved testimonials.
pub(crate) const SEES_TESTIMONIALS: &[Role] = &[Role::Marketing, Role::Admin];

/// Whether `user`'s role is one of `allowed`.
pub(crate) fn allowed(user: &User, allowed: &[Role]) -> bool {
    allowed.contains(&user.role)
}

/// Compares a submitted CSRF token with the session's, in constant time.
pub(crate) fn csrf_matches(session: &Session, submitted: &str) -> bool {
    let (a, b) = (session.csrf.as_bytes(), submitted.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Who did it, for the audit log.
pub(crate) fn actor(browser: &Browser) -> String {
    format!("web:{}", browser.session.user.name)
}

/// What every form that changes the archive checks first: the session's
/// CSRF token and a role that reads mail. `Some` is the response that
/// refuses it. (For an upload, whose token is read off the body's first
/// field; urlencoded forms take [`MailForm`].)
pub(crate) fn refuse_form(browser: &Browser, csrf: &str) -> Option<Response> {
    if !csrf_matches(&browser.session, csrf) {
        return Some(crate::pages::bad_csrf());
    }
    (!allowed(&browser.session.user, READS_MAIL)).then(|| crate::view::forbidden(&browser.session))
}

/// A form that carries the session's CSRF token in a field of its own.
pub(crate) trait CsrfField {
    fn csrf(&self) -> &str;
}

/// Implements [`CsrfField`] for form structs with a `csrf` field.
macro_rules! csrf_field {
    ($($form:ty),+ $(,)?) => {
        $(impl $crate::auth::CsrfField for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })+
    };
}
pub(crate) use csrf_field;

/// A form posted from a logged-in browser whose CSRF token matches the
/// session's: a handler that changes something takes this or
/// [`MailForm`], so it cannot forget the check. A wrong token is "this
/// form has expired" before any of the form is used.
pub(crate) struct SessionForm<T> {
    pub browser: Browser,
    pub form: T,
}

/// [`SessionForm`] from a role that reads mail (agent, admin): the token
/// first, then the role.
pub(crate) struct MailForm<T> {
    pub browser: Browser,
    pub form: T,
}

impl<T> FromRequest<App> for SessionForm<T>
where
    T: serde::de::DeserializeOwned + CsrfField + Send,
{
    type Rejection = Response;

    async fn from_request(request: Request, app: &App) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let browser = Browser::from_request_parts(&mut parts, app).await?;
        // A form that cannot be read is refused on a page like any other
        // refusal (axum's own answer is plain text); nothing was done.
        let Form(form) = Form::<T>::from_request(Request::from_parts(parts, body), app)
            .await
            .map_err(|e| {
                view::refused(
                    &browser.session,
                    &format!("the form could not be read: {}", e.body_text()),
                    ("/", "Back to the inbox"),
                )
            })?;
        if !csrf_matches(&browser.session, form.csrf()) {
            return Err(crate::pages::bad_csrf());
        }
        Ok(Self { browser, form })
    }
}

impl<T> FromRequest<App> for MailForm<T>
where
    T: serde::de::DeserializeOwned + CsrfField + Send,
{
    type Rejection = Response;

    async fn from_request(request: Request, app: &App) -> Result<Self, Self::Rejection> {
        let SessionForm { browser, form } = SessionForm::<T>::from_request(request, app).await?;
        if !allowed(&browser.session.user, READS_MAIL) {
            return Err(view::forbidden(&browser.session));
        }
        Ok(Self { browser, form })
    }
}

/// `Set-Cookie` for a new session (or, with `None`, one that ends it).
pub(crate) fn session_cookie(token: Option<&str>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match token {
        Some(t) => format!(
            "{COOKIE}={t}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
            casebook_archive::SESSION_SECS
        ),
        None => format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "theme=dark; casebook_session=cbs_abc; other=1"
                .parse()
                .expect("header"),
        );
        assert_eq!(cookie_value(&h, COOKIE), Some("cbs_abc"));
        assert_eq!(cookie_value(&h, "missing"), None);
    }

    #[test]
    fn session_cookies_are_locked_down() {
        let c = session_cookie(Some("cbs_x"), true);
        for part in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
            assert!(c.contains(part), "{c}");
        }
        assert!(!session_cookie(Some("cbs_x"), false).contains("Secure"));
        assert!(session_cookie(None, false).contains("Max-Age=0"));
    }
}

//! Every API route against every role, and a page without a session.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use casebook_archive::{Archive, Login, Role};
use casebook_config::Config;
use http_body_util::BodyExt;
use std::sync::Arc;
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery";

struct Site {
    _dir: tempfile::TempDir,
    archive: Arc<Archive>,
    router: axum::Router,
    tokens: Vec<(Role, String)>,
}

async fn site() -> Site {
    let dir = tempfile::tempdir().expect("a temp dir");
    let archive = Archive::open(dir.path(), Config::default())
        .await
        .expect("an empty archive opens");
    let mut tokens = Vec::new();
    for (name, role) in [
        ("amy", Role::Agent),
        ("mia", Role::Marketing),
        ("ada", Role::Admin),
    ] {
        archive
            .users()
            .add(name, role, PASSWORD)
            .await
            .expect("a user");
        let token = archive
            .users()
            .create_token(name, "test")
            .await
            .expect("a token");
        tokens.push((role, token));
    }
    let archive = Arc::new(archive);
    let router = casebook_web::router(archive.clone(), casebook_web::WebOptions::default());
    Site {
        _dir: dir,
        archive,
        router,
        tokens,
    }
}

/// Status and body of the answer to one request.
async fn answer(router: &axum::Router, request: Request<Body>) -> (StatusCode, String) {
    let response = router.clone().oneshot(request).await.expect("an answer");
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Status and body of one GET.
async fn get(router: &axum::Router, path: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut request = Request::get(path);
    if let Some(t) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    answer(router, request.body(Body::empty()).expect("a request")).await
}

#[tokio::test]
async fn each_api_route_answers_the_roles_it_is_for_and_refuses_the_others() {
    let site = site().await;
    // (route, roles it is for, status for them on an empty archive)
    let routes = [
        (
            "/api/v1/search?q=voicemail",
            &[Role::Agent, Role::Admin][..],
            StatusCode::OK,
        ),
        (
            "/api/v1/queue",
            &[Role::Agent, Role::Admin][..],
            StatusCode::OK,
        ),
        (
            "/api/v1/messages/1/similar",
            &[Role::Agent, Role::Admin][..],
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v1/messages/1",
            &[Role::Agent, Role::Admin][..],
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v1/threads/1",
            &[Role::Agent, Role::Admin][..],
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v1/testimonials",
            &[Role::Marketing, Role::Admin][..],
            StatusCode::OK,
        ),
        (
            "/api/v1/stats",
            &[Role::Marketing, Role::Admin][..],
            StatusCode::OK,
        ),
    ];
    for (route, allowed, answer) in routes {
        let (status, _) = get(&site.router, route, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{route} without a token");
        for (role, token) in &site.tokens {
            let (status, body) = get(&site.router, route, Some(token)).await;
            if allowed.contains(role) {
                assert_eq!(status, answer, "{route} as {}: {body}", role.as_str());
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{route} as {}: {body}",
                    role.as_str()
                );
                let json: serde_json::Value =
                    serde_json::from_str(&body).unwrap_or_else(|_| panic!("JSON: {body}"));
                assert!(
                    json["error"]
                        .as_str()
                        .is_some_and(|e| e.contains(role.as_str())),
                    "{body}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_page_without_a_session_sends_the_browser_to_log_in() {
    let site = site().await;
    for page in [
        "/search?q=sip",
        "/queue",
        "/messages/1",
        "/testimonials",
        "/stats",
        "/customers",
    ] {
        let response = site
            .router
            .clone()
            .oneshot(Request::get(page).body(Body::empty()).expect("a request"))
            .await
            .expect("an answer");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{page}");
        let location = response.headers()[header::LOCATION]
            .to_str()
            .expect("a location");
        assert!(location.starts_with("/login?next="), "{page}: {location}");
    }
}

/// Archive errors are answered by their kind, in JSON: a query naming a
/// list there is not or one that does not parse is the asker's to fix
/// (400, saying what is wrong), a message there is not is a 404.
#[tokio::test]
async fn api_errors_are_answered_by_their_kind() {
    let site = site().await;
    let agent = site
        .tokens
        .iter()
        .find(|(role, _)| *role == Role::Agent)
        .map(|(_, t)| t.as_str());
    let cases = [
        (
            "/api/v1/search?q=customer:nosuchlist",
            StatusCode::BAD_REQUEST,
            "there is no customer list \"nosuchlist\"",
        ),
        (
            "/api/v1/search?q=%22unclosed",
            StatusCode::BAD_REQUEST,
            "cannot parse the query",
        ),
        (
            "/api/v1/messages/424242",
            StatusCode::NOT_FOUND,
            "there is no message 424242",
        ),
    ];
    for (path, status, says) in cases {
        let (got, body) = get(&site.router, path, agent).await;
        assert_eq!(got, status, "{path}: {body}");
        let json: serde_json::Value =
            serde_json::from_str(&body).unwrap_or_else(|_| panic!("{path}: JSON, got {body}"));
        assert!(
            json["error"].as_str().is_some_and(|e| e.contains(says)),
            "{path}: {body}"
        );
    }
}

/// A logged-in browser's cookie and form token.
async fn browser(site: &Site, name: &str) -> (String, String) {
    match site
        .archive
        .users()
        .log_in(name, PASSWORD, std::net::IpAddr::from([127, 0, 0, 1]))
        .await
        .expect("a login")
    {
        Login::Started { token, session } => (format!("casebook_session={token}"), session.csrf),
        other => panic!("{name} cannot log in: {other:?}"),
    }
}

/// Status and body of one form POST from a browser.
async fn post_form(
    router: &axum::Router,
    path: &str,
    cookie: &str,
    form: &str,
) -> (StatusCode, String) {
    let request = Request::post(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .expect("a request");
    answer(router, request).await
}

/// Every form that changes something is refused with a token that is not
/// the session's, whoever sends it, before any of it is acted on; and
/// the forms for agents refuse the marketing role even with the right
/// token.
#[tokio::test]
async fn every_form_checks_the_session_token_and_then_the_role() {
    let site = site().await;
    let forms = [
        ("/messages/1/tags", "&tag=urgent", true),
        (
            "/testimonials/approve",
            "&message=1&excerpt=x&attribution=y",
            true,
        ),
        ("/testimonials/reject", "&message=1&reason=no", true),
        ("/testimonials/1/revoke", "&reason=no", true),
        (
            "/privacy/set",
            "&email=ann%40example.com&marketing=opt-out&source=call",
            true,
        ),
        ("/privacy/requests/1/confirm", "", true),
        ("/customers/partner-export", "&partner=acme", true),
        ("/settings", "&zone=Europe%2FBerlin", false),
        // Last: it ends the marketing session.
        ("/logout", "", false),
    ];
    let (agent, agent_csrf) = browser(&site, "amy").await;
    let (marketing, marketing_csrf) = browser(&site, "mia").await;
    assert_ne!(agent_csrf, "forged");
    // Marketing's export: the token first, then marketing or admin only.
    let export = "/testimonials/export";
    for cookie in [&agent, &marketing] {
        let (status, body) = post_form(&site.router, export, cookie, "csrf=forged").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(body.contains("This form has expired"), "{body}");
    }
    let (status, body) =
        post_form(&site.router, export, &agent, &format!("csrf={agent_csrf}")).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "an agent exports nothing: {body}"
    );
    let (status, body) = post_form(
        &site.router,
        export,
        &marketing,
        &format!("csrf={marketing_csrf}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.starts_with("id,excerpt,attribution,date,topic,edited\n"),
        "{body}"
    );
    for (path, fields, agents_only) in forms {
        for cookie in [&agent, &marketing] {
            let (status, body) =
                post_form(&site.router, path, cookie, &format!("csrf=forged{fields}")).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{path} with a forged token: {body}"
            );
            assert!(body.contains("This form has expired"), "{path}: {body}");
        }
        let (status, body) = post_form(
            &site.router,
            path,
            &marketing,
            &format!("csrf={marketing_csrf}{fields}"),
        )
        .await;
        if agents_only {
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{path} from marketing: {body}"
            );
            assert!(body.contains("Not allowed"), "{path}: {body}");
        } else {
            assert_eq!(
                status,
                StatusCode::SEE_OTHER,
                "{path} from marketing: {body}"
            );
        }
    }
}

/// A form that cannot be read (a field missing, a number that is not
/// one) is refused on a page with a way back, saying so, not in axum's
/// plain text; nothing is done.
#[tokio::test]
async fn a_form_that_cannot_be_read_is_refused_on_a_page() {
    let site = site().await;
    let (agent, csrf) = browser(&site, "amy").await;
    for fields in ["", "&message=not-a-number&reason=no"] {
        let (status, body) = post_form(
            &site.router,
            "/testimonials/reject",
            &agent,
            &format!("csrf={csrf}{fields}"),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{fields}: {body}");
        assert!(
            body.contains("the form could not be read") && body.contains("<a href=\"/\">"),
            "{fields}: {body}"
        );
    }
}

//! A person's settings: the time zone dates are shown in, kept in their
//! browser (a cookie), the server's `display_timezone` otherwise.

use crate::auth::{csrf_field, Browser, SessionForm};
use crate::view::{page, respond};
use crate::{App, DisplayZone};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

/// Zones offered in the list (any other IANA name may be typed).
const OFFERED: &[&str] = &[
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Helsinki",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
];

fn settings_page(app: &App, browser: &Browser, problem: Option<&str>, saved: bool) -> maud::Markup {
    let session = &browser.session;
    let current = browser.zone.name();
    page(
        "Settings",
        Some(session),
        html! {
            h1 { "Settings" }
            @if let Some(p) = problem { p.error role="alert" { (p) } }
            @if saved { p.saved role="status" { "Saved: dates are shown in " (browser.zone.name()) "." } }
            form.settings method="post" action="/settings" {
                input type="hidden" name="csrf" value=(session.csrf);
                label for="zone" { "Time zone for dates" }
                input #zone name="zone" list="zones" value=(current) required;
                datalist #zones { @for z in OFFERED { option value=(z) {} } }
                p.muted {
                    "An IANA name such as Europe/Berlin. The server's default is "
                    (app.options.display_zone.name()) "; this choice is kept in this browser."
                }
                button type="submit" { "Save" }
            }
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct Shown {
    saved: Option<String>,
}

pub(crate) async fn show(
    State(app): State<App>,
    browser: Browser,
    Query(shown): Query<Shown>,
) -> Response {
    let saved = shown.saved.is_some();
    respond(StatusCode::OK, settings_page(&app, &browser, None, saved))
}

#[derive(Deserialize)]
pub(crate) struct ZoneForm {
    csrf: String,
    zone: String,
}

csrf_field!(ZoneForm);

pub(crate) async fn save(
    State(app): State<App>,
    SessionForm { browser, form }: SessionForm<ZoneForm>,
) -> Response {
    let zone = match DisplayZone::named(&form.zone) {
        Ok(zone) => zone,
        Err(e) => {
            return respond(
                StatusCode::BAD_REQUEST,
                settings_page(&app, &browser, Some(&e.to_string()), false),
            )
        }
    };
    let secure = if app.options.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{}={}; SameSite=Strict; Path=/; Max-Age=31536000{secure}",
        crate::zone::COOKIE,
        zone.name()
    );
    (
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, cookie),
            (header::LOCATION, "/settings?saved=1".to_owned()),
        ],
    )
        .into_response()
}

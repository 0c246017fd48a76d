//! A person's settings: the time zone dates are shown in, kept with
//! their user (every browser they log in from), the server's
//! `display_timezone` otherwise.

use crate::auth::{csrf_field, Browser, SessionForm};
use crate::view::{self, page, respond};
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
    // Their own choice, if they made one; empty shows the default.
    let chosen = browser.session.user.display_timezone.as_deref();
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
                input #zone name="zone" list="zones" value=[chosen] placeholder=(app.options.display_zone.name());
                datalist #zones { @for z in OFFERED { option value=(z) {} } }
                p.muted {
                    "An IANA name such as Europe/Berlin; left empty, the server's default ("
                    (app.options.display_zone.name()) "). Kept with your user, for every browser you log in from."
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
    let chosen = form.zone.trim();
    let zone = if chosen.is_empty() {
        None
    } else {
        match DisplayZone::named(chosen) {
            Ok(zone) => Some(zone),
            Err(e) => {
                return respond(
                    StatusCode::BAD_REQUEST,
                    settings_page(&app, &browser, Some(&e.to_string()), false),
                )
            }
        }
    };
    if let Err(e) = app
        .archive
        .users()
        .set_display_timezone(&browser.session.user, zone.as_ref().map(DisplayZone::name))
        .await
    {
        return view::archive_error(
            Some(&browser.session),
            &e,
            Some(("/settings", "Back to the settings")),
        );
    }
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, "/settings?saved=1")],
    )
        .into_response()
}

//! Privacy for agents and admins: mail that asks to unsubscribe or to stop
//! sharing, confirmed or dismissed in one step, and a person's choices,
//! looked up and recorded with their source.

use crate::auth::{actor, csrf_field, Browser, MailForm, MailReader};
use crate::view::{self, page, respond, PageResult};
use crate::App;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use casebook_archive::{
    ArchiveError, MarketingChoice, MessageId, PartnerChoice, PersonPrivacy, PrivacyUpdate, Stated,
};
use maud::{html, Markup};
use serde::Deserialize;

#[derive(Deserialize)]
pub(crate) struct Lookup {
    email: Option<String>,
}

fn stated<T>(
    zone: &crate::DisplayZone,
    s: &Option<Stated<T>>,
    name: fn(&T) -> &'static str,
    unset: &str,
) -> Markup {
    html! {
        @match s {
            None => span.muted { (unset) },
            Some(s) => {
                strong { (name(&s.value)) }
                span.muted { " since " (view::when_secs(zone, s.at)) ", by " (s.by) ", source: " (s.source) }
            }
        }
    }
}

fn person(zone: &crate::DisplayZone, p: &PersonPrivacy) -> Markup {
    html! {
        table.person {
            tr { th { "Addresses" } td { (p.addresses.join(", ")) } }
            tr { th { "Marketing" } td { (stated(zone, &p.marketing, |m| m.as_str(), "not stated: no marketing without an opt-in")) } }
            tr { th { "Partners" } td { (stated(zone, &p.partners, |p| p.as_str(), "not stated: may be disclosed until they object")) } }
        }
    }
}

pub(crate) async fn overview(
    State(app): State<App>,
    MailReader(browser): MailReader,
    Query(lookup): Query<Lookup>,
) -> PageResult {
    let session = &browser.session;
    let requests = app.archive.privacy().requests().await?;
    let email = lookup.email.unwrap_or_default();
    let found = if email.trim().is_empty() {
        None
    } else {
        Some(app.archive.privacy().of(&email).await)
    };
    let body = html! {
        h1 { "Requests in the mail" }
        @if requests.is_empty() { p.muted { "No message asking to unsubscribe or to stop sharing is waiting." } }
        @for r in &requests {
            section.request id=(format!("request-{}", r.message.id.0)) {
                h2 {
                    a href=(format!("/messages/{}", r.message.id.0)) { (r.message.subject) }
                    " " span.muted { (r.message.correspondent.as_deref().unwrap_or("-")) " · " (view::when(&browser.zone, r.message.date)) }
                }
                p { "Asks: " @for (i, k) in r.kinds.iter().enumerate() { @if i > 0 { ", " } strong { (k.as_str()) } } }
                form method="post" action=(format!("/privacy/requests/{}/confirm", r.message.id.0)) {
                    input type="hidden" name="csrf" value=(session.csrf);
                    button type="submit" { "Confirm" }
                }
                form method="post" action=(format!("/privacy/requests/{}/dismiss", r.message.id.0)) {
                    input type="hidden" name="csrf" value=(session.csrf);
                    button type="submit" { "Not a request" }
                }
            }
        }
        h1 { "A person's choices" }
        form method="get" action="/privacy" {
            label { "E-mail " input type="email" name="email" value=(email) required; }
            button type="submit" { "Look up" }
        }
        @match &found {
            None => {},
            Some(Err(e)) => p.error { (e.to_string()) },
            Some(Ok(p)) => {
                (person(&browser.zone, p))
                form method="post" action="/privacy/set" {
                    input type="hidden" name="csrf" value=(session.csrf);
                    input type="hidden" name="email" value=(email);
                    label { "Marketing "
                        select name="marketing" {
                            option value="" { "unchanged" }
                            option value="opt-in" { "opt-in" }
                            option value="opt-out" { "opt-out (unsubscribe)" }
                        }
                    }
                    label { "Partners "
                        select name="partners" {
                            option value="" { "unchanged" }
                            option value="allow" { "allow" }
                            option value="deny" { "deny (objects to disclosure)" }
                        }
                    }
                    label { "Source " input name="source" required placeholder="message 42, or: phone call, 3 May"; }
                    button type="submit" { "Record" }
                }
            }
        }
    };
    Ok(respond(
        StatusCode::OK,
        page("Privacy", Some(session), body),
    ))
}

const BACK: (&str, &str) = ("/privacy", "Back to privacy");

fn done(browser: &Browser, result: Result<String, ArchiveError>) -> Response {
    match result {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(e) => view::archive_error(Some(&browser.session), &e, Some(BACK)),
    }
}

#[derive(Deserialize)]
pub(crate) struct SetForm {
    csrf: String,
    email: String,
    marketing: Option<String>,
    partners: Option<String>,
    source: String,
}

pub(crate) async fn set(
    State(app): State<App>,
    MailForm { browser, form }: MailForm<SetForm>,
) -> Response {
    let choice = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
    let marketing = choice(&form.marketing);
    let partners = choice(&form.partners);
    let update = PrivacyUpdate {
        marketing: match marketing.as_deref().map(MarketingChoice::from_str_opt) {
            Some(None) => {
                return view::refused(&browser.session, "marketing is opt-in or opt-out", BACK)
            }
            m => m.flatten(),
        },
        partners: match partners.as_deref().map(PartnerChoice::from_str_opt) {
            Some(None) => {
                return view::refused(&browser.session, "partners is allow or deny", BACK)
            }
            p => p.flatten(),
        },
        source: form.source,
        actor: actor(&browser),
    };
    let result = app.archive.privacy().set(&form.email, &update).await;
    done(
        &browser,
        result.map(|_| format!("/privacy?email={}", view::url_encode(form.email.trim()))),
    )
}

#[derive(Deserialize)]
pub(crate) struct DecideForm {
    csrf: String,
}

/// Confirms (`confirm`) or dismisses (`dismiss`) a flagged request.
pub(crate) async fn decide(
    State(app): State<App>,
    Path((id, decision)): Path<(i64, String)>,
    MailForm { browser, .. }: MailForm<DecideForm>,
) -> Response {
    let (message, actor) = (MessageId(id), actor(&browser));
    let result = match decision.as_str() {
        "confirm" => app
            .archive
            .privacy()
            .confirm_request(message, &actor)
            .await
            .map(|_| ()),
        "dismiss" => app.archive.privacy().dismiss_request(message, &actor).await,
        _ => return view::not_found_page(Some(&browser.session), "There is no such decision."),
    };
    done(&browser, result.map(|()| "/privacy".to_owned()))
}

csrf_field!(SetForm, DecideForm);

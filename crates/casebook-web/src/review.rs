//! The testimonial review queue for agents and admins: suggestions with
//! forms to approve or reject them, every decision with its history, and
//! revocation.

use crate::auth::{actor, csrf_field, Browser, MailForm, MailReader};
use crate::view::{self, page, respond};
use crate::App;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use casebook_archive::{Approval, ArchiveError, Consent, MessageId, TestimonialFilter};
use maud::html;
use serde::Deserialize;

/// A decision done (back to the queue, at the testimonial if there is
/// one), refused with the reason, or failed.
fn decided(browser: &Browser, result: Result<Option<i64>, ArchiveError>) -> Response {
    match result {
        Ok(Some(id)) => {
            Redirect::to(&format!("/testimonials/review#testimonial-{id}")).into_response()
        }
        Ok(None) => Redirect::to("/testimonials/review").into_response(),
        Err(e) => view::archive_error(Some(&browser.session), &e, Some(BACK)),
    }
}

const BACK: (&str, &str) = ("/testimonials/review", "Back to the review queue");

/// Suggestions shown at once.
const SHOWN: usize = 50;

/// `Name, Company` when the lists or their mail say both; the approver
/// decides (and may write "A customer in telecoms").
fn suggested_attribution(c: &casebook_archive::ConversationCustomer) -> Option<String> {
    match (&c.name, &c.company) {
        (Some(name), Some(company)) => Some(format!("{name}, {company}")),
        _ => None,
    }
}

pub(crate) async fn queue(State(app): State<App>, MailReader(browser): MailReader) -> Response {
    let session = &browser.session;
    let (suggestions, decided, log) = match (
        app.archive.testimonials().suggest().await,
        app.archive
            .testimonials()
            .list(TestimonialFilter::All)
            .await,
        app.archive.audit_log().await,
    ) {
        (Ok(s), Ok(d), Ok(l)) => (s, d, l),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            return view::archive_error(None, &e, None)
        }
    };
    // Who each suggestion is from, as the customer lists know them.
    let shown: Vec<&casebook_archive::MessageSummary> =
        suggestions.iter().take(SHOWN).map(|s| &s.message).collect();
    let customers = match app.archive.customers_of(&shown).await {
        Ok(c) => c,
        Err(e) => return view::archive_error(None, &e, None),
    };
    let body = html! {
        h1 { "Testimonials to review" }
        @if suggestions.is_empty() { p.muted { "No praise waiting for a decision." } }
        @for (s, c) in suggestions.iter().zip(&customers) {
            section.suggestion {
                h2 {
                    a href=(format!("/messages/{}", s.message.id.0)) { (s.message.subject) }
                    " " span.muted { "score " (s.score) " · " (view::when(&browser.zone, s.message.date)) }
                }
                p.customer {
                    "From "
                    strong { (c.name.as_deref().or(c.address.as_deref()).unwrap_or("an unknown sender")) }
                    @if c.name.is_some() { @if let Some(a) = &c.address { " " span.muted { (a) } } }
                    @if let Some(company) = &c.company { " · " (company) }
                    @if c.lists.is_empty() { " · " span.muted { "on no customer list" } }
                    @for list in &c.lists { " " span.tag { (list) } }
                }
                @for q in &s.quotes { blockquote { (q) } }
                @for p in &s.permission { p { "Permission: " em { (p) } } }
                @let id = s.message.id.0;
                form.fields method="post" action="/testimonials/approve" {
                    input type="hidden" name="csrf" value=(session.csrf);
                    input type="hidden" name="message" value=(id);
                    label for=(format!("excerpt-{id}")) { "Excerpt" }
                    textarea id=(format!("excerpt-{id}")) name="excerpt" rows="3" required { (s.quotes.join(" ")) }
                    label for=(format!("attribution-{id}")) { "Attribution" }
                    input id=(format!("attribution-{id}")) name="attribution" required
                        value=[suggested_attribution(c)] placeholder="Name, Company — or: A customer in telecoms";
                    @if s.permission.is_empty() {
                        label for=(format!("consent-{id}")) { "How consent was obtained" }
                        input id=(format!("consent-{id}")) name="consent_note" required;
                    } @else {
                        input type="hidden" name="consent_message" value=(id);
                        span.label { "Consent" }
                        span.muted { "given in this message" }
                    }
                    label for=(format!("edited-{id}")) { "Edited" }
                    span { input id=(format!("edited-{id}")) type="checkbox" name="edited"; " not word for word" }
                    label for=(format!("expires-{id}")) { "Usable until" }
                    input id=(format!("expires-{id}")) type="date" name="expires";
                    button type="submit" { "Approve" }
                }
                form.fields method="post" action="/testimonials/reject" {
                    input type="hidden" name="csrf" value=(session.csrf);
                    input type="hidden" name="message" value=(id);
                    label for=(format!("reason-{id}")) { "Reason to reject" }
                    input id=(format!("reason-{id}")) name="reason" required placeholder="why not";
                    button type="submit" { "Reject" }
                }
            }
        }
        h1 { "Decisions" }
        @for t in &decided {
            section.decision id=(format!("testimonial-{}", t.record.id)) {
                h2 { "Testimonial " (t.record.id) " · " (t.state_name()) " · " a href=(format!("/messages/{}", t.record.message.0)) { "message " (t.record.message.0) } }
                @if !t.record.excerpt.is_empty() {
                    blockquote { (t.record.excerpt) }
                    p { (t.record.attribution) @if t.record.edited { " · edited" } }
                }
                h3 { "History" }
                ul.history {
                    @for e in log.iter().filter(|e| e.subject == format!("testimonial {}", t.record.id)) {
                        li { (view::when_secs(&browser.zone, e.at)) " " (e.action) " by " (e.actor) }
                    }
                }
                @if t.record.state == casebook_archive::TestimonialState::Approved {
                    form method="post" action=(format!("/testimonials/{}/revoke", t.record.id)) {
                        input type="hidden" name="csrf" value=(session.csrf);
                        input name="reason" required placeholder="e.g. the customer withdrew consent";
                        button type="submit" { "Revoke" }
                    }
                }
            }
        }
    };
    respond(
        StatusCode::OK,
        page("Review testimonials", Some(session), body),
    )
}

#[derive(Deserialize)]
pub(crate) struct ApproveForm {
    csrf: String,
    message: i64,
    excerpt: String,
    attribution: String,
    consent_message: Option<i64>,
    consent_note: Option<String>,
    edited: Option<String>,
    expires: Option<String>,
}

pub(crate) async fn approve(
    State(app): State<App>,
    MailForm { browser, form }: MailForm<ApproveForm>,
) -> Response {
    let consent = match (form.consent_message, form.consent_note) {
        (Some(id), _) => Consent::Message(MessageId(id)),
        (None, Some(note)) => Consent::Note(note),
        (None, None) => Consent::Note(String::new()),
    };
    let expires_at = match form.expires.as_deref().filter(|d| !d.is_empty()) {
        None => None,
        Some(day) => match casebook_archive::last_second_of(day) {
            Some(t) => Some(t),
            None => {
                return view::refused(
                    &browser.session,
                    &format!("{day:?} is not a date like 2027-12-31"),
                    BACK,
                );
            }
        },
    };
    let approval = Approval {
        message: MessageId(form.message),
        excerpt: form.excerpt,
        attribution: form.attribution,
        edited: form.edited.as_deref() == Some("on"),
        consent,
        expires_at,
        actor: actor(&browser),
    };
    decided(
        &browser,
        app.archive
            .testimonials()
            .approve(&approval)
            .await
            .map(Some),
    )
}

#[derive(Deserialize)]
pub(crate) struct RejectForm {
    csrf: String,
    message: i64,
    reason: String,
}

pub(crate) async fn reject(
    State(app): State<App>,
    MailForm { browser, form }: MailForm<RejectForm>,
) -> Response {
    let result = app
        .archive
        .testimonials()
        .reject(MessageId(form.message), &form.reason, &actor(&browser))
        .await;
    decided(&browser, result.map(|_| None))
}

#[derive(Deserialize)]
pub(crate) struct RevokeForm {
    csrf: String,
    reason: String,
}

pub(crate) async fn revoke(
    State(app): State<App>,
    Path(id): Path<i64>,
    MailForm { browser, form }: MailForm<RevokeForm>,
) -> Response {
    let result = app
        .archive
        .testimonials()
        .revoke(id, &form.reason, &actor(&browser))
        .await;
    decided(&browser, result.map(|()| Some(id)))
}

csrf_field!(ApproveForm, RejectForm, RevokeForm);

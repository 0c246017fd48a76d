//! Marketing's testimonials page: what may be used (approved, with
//! consent, not revoked or expired), filtered by topic and by when the
//! customer wrote, and exported as CSV (each export in the audit log).

use crate::auth::{actor, csrf_field, SessionForm, TestimonialReader};
use crate::view::{self, page, respond};
use crate::App;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use casebook_archive::{PublishedTestimonial, Role};
use maud::html;
use serde::Deserialize;

/// Which testimonials to show: a topic, and the days the customer wrote
/// between (UTC, both included).
#[derive(Deserialize, Default)]
pub(crate) struct Choice {
    topic: Option<String>,
    after: Option<String>,
    before: Option<String>,
}

impl Choice {
    fn given(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }

    /// A day the form gave, or why it is not one.
    fn day(name: &str, v: &Option<String>) -> Result<Option<time::Date>, String> {
        let Some(text) = Self::given(v) else {
            return Ok(None);
        };
        time::Date::parse(
            text,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map(Some)
        .map_err(|_| format!("{name} {text:?} is not a day: use YYYY-MM-DD"))
    }

    /// The choice read, or why a day in it is not one.
    fn read(&self) -> Result<Chosen<'_>, String> {
        Ok(Chosen {
            topic: Self::given(&self.topic),
            after: Self::day("after", &self.after)?,
            before: Self::day("before", &self.before)?,
        })
    }
}

/// A [`Choice`] read: a topic and the days, both included.
struct Chosen<'a> {
    topic: Option<&'a str>,
    after: Option<time::Date>,
    before: Option<time::Date>,
}

impl Chosen<'_> {
    /// The testimonials of `list` this choice keeps.
    fn keep(&self, list: Vec<PublishedTestimonial>) -> Vec<PublishedTestimonial> {
        list.into_iter()
            .filter(|t| self.topic.is_none_or(|w| t.topic == w))
            .filter(|t| {
                let day = t.date.map(|d| d.to_offset(time::UtcOffset::UTC).date());
                self.after.is_none_or(|a| day.is_some_and(|d| d >= a))
                    && self.before.is_none_or(|b| day.is_some_and(|d| d <= b))
            })
            .collect()
    }
}

pub(crate) async fn testimonials(
    State(app): State<App>,
    TestimonialReader(browser): TestimonialReader,
    Query(choice): Query<Choice>,
) -> Response {
    let session = &browser.session;
    let list = match app.archive.testimonials().published().await {
        Ok(list) => list,
        Err(e) => return view::archive_error(Some(session), &e, None),
    };
    let all = list.len();
    // The topics the usable testimonials are about, to choose from.
    let mut topics: Vec<String> = list.iter().map(|t| t.topic.clone()).collect();
    topics.sort();
    topics.dedup();
    let (status, shown, problem) = match choice.read() {
        Ok(chosen) => (StatusCode::OK, chosen.keep(list), None),
        Err(why) => (StatusCode::BAD_REQUEST, Vec::new(), Some(why)),
    };
    let topic = Choice::given(&choice.topic);
    let body = html! {
        h1 { "Approved testimonials" }
        form.filters method="get" action="/testimonials" {
            label { "Topic "
                select name="topic" {
                    option value="" { "any" }
                    @for t in &topics { option value=(t) selected[topic == Some(t.as_str())] { (t) } }
                }
            }
            label { "written after " input type="date" name="after" value=[Choice::given(&choice.after)]; }
            label { "before " input type="date" name="before" value=[Choice::given(&choice.before)]; }
            button type="submit" { "Show" }
        }
        @if let Some(p) = &problem { p.error role="alert" { (p) } }
        p.muted.count { (shown.len()) " of " (all) " usable testimonials" }
        @if !shown.is_empty() {
            form.export method="post" action="/testimonials/export" {
                input type="hidden" name="csrf" value=(session.csrf);
                @if let Some(t) = topic { input type="hidden" name="topic" value=(t); }
                @if let Some(a) = Choice::given(&choice.after) { input type="hidden" name="after" value=(a); }
                @if let Some(b) = Choice::given(&choice.before) { input type="hidden" name="before" value=(b); }
                button type="submit" { "Export these as CSV" }
            }
        }
        @if all == 0 {
            p.muted { "No testimonials are approved and usable at the moment." }
        }
        @for t in &shown {
            figure.testimonial {
                blockquote { (t.excerpt) }
                figcaption {
                    (t.attribution) " · " (t.topic) " · " (view::when(&browser.zone, t.date))
                    @if t.edited { " · edited" }
                }
            }
        }
    };
    respond(status, page("Testimonials", Some(session), body))
}

#[derive(Deserialize)]
pub(crate) struct ExportForm {
    csrf: String,
    topic: Option<String>,
    after: Option<String>,
    before: Option<String>,
}

csrf_field!(ExportForm);

/// The chosen testimonials as CSV, recorded in the audit log as an
/// export by this person.
pub(crate) async fn export(
    State(app): State<App>,
    SessionForm { browser, form }: SessionForm<ExportForm>,
) -> Response {
    if !matches!(browser.session.user.role, Role::Marketing | Role::Admin) {
        return view::forbidden(&browser.session);
    }
    let choice = Choice {
        topic: form.topic,
        after: form.after,
        before: form.before,
    };
    // The choice is read before anything is recorded as exported.
    let back = ("/testimonials", "Back to the testimonials");
    let chosen = match choice.read() {
        Ok(chosen) => chosen,
        Err(why) => return view::refused(&browser.session, &why, back),
    };
    let list = match app
        .archive
        .testimonials()
        .export_chosen(&actor(&browser), "csv", |list| chosen.keep(list))
        .await
    {
        Ok(list) => list,
        Err(e) => return view::archive_error(Some(&browser.session), &e, Some(back)),
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"testimonials.csv\"",
            ),
        ],
        casebook_archive::view::published_csv(&list),
    )
        .into_response()
}

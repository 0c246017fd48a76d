//! Aggregate statistics for marketing and admins: volumes per month and
//! topic, answer rates, response times — every cell covering at least
//! `k_anonymity` people, so no figure singles anyone out.

use crate::api::ApiResult;
use crate::auth::{ApiTestimonialReader, TestimonialReader};
use crate::charts::{self, Bar};
use crate::view::{self, page, respond, PageResult};
use crate::App;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use casebook_archive::{AggregateStats, RESPONSE_SPANS};
use maud::html;

/// `42%`, or `-` when there is nothing to divide.
fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "-".to_owned(), |r| format!("{:.0}%", r * 100.0))
}

/// The charts' bars, added up from the shown cells only (so they give
/// away nothing the table does not).
struct Charts {
    conversations: Vec<Bar>,
    response: Vec<Bar>,
    within_day: Vec<Bar>,
}

impl Charts {
    fn of(stats: &AggregateStats) -> Self {
        use std::collections::BTreeMap;
        let mut months: BTreeMap<&str, u64> = BTreeMap::new();
        let mut spans = [0u64; RESPONSE_SPANS.len()];
        let mut topics: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        for c in &stats.cells {
            *months.entry(&c.month).or_default() += c.conversations;
            for (total, n) in spans.iter_mut().zip(c.response_times) {
                *total += n;
            }
            let t = topics.entry(&c.topic).or_default();
            t.0 += c.answered_within_day();
            t.1 += c.inbound;
        }
        let answered: u64 = spans.iter().sum();
        Self {
            conversations: months
                .into_iter()
                .map(|(month, n)| Bar {
                    label: month.to_owned(),
                    value: n as f64,
                    text: n.to_string(),
                })
                .collect(),
            response: if answered == 0 {
                Vec::new()
            } else {
                RESPONSE_SPANS
                    .iter()
                    .zip(spans)
                    .map(|((span, _), n)| Bar {
                        label: (*span).to_owned(),
                        value: n as f64,
                        text: format!("{n} ({})", percent(Some(n as f64 / answered as f64))),
                    })
                    .collect()
            },
            within_day: topics
                .into_iter()
                .filter(|(_, (_, inbound))| *inbound > 0)
                .map(|(topic, (within, inbound))| {
                    let share = within as f64 / inbound as f64;
                    Bar {
                        label: topic.to_owned(),
                        value: share,
                        text: percent(Some(share)),
                    }
                })
                .collect(),
        }
    }
}

pub(crate) async fn page_view(
    State(app): State<App>,
    TestimonialReader(browser): TestimonialReader,
) -> PageResult {
    let session = &browser.session;
    let stats = app.archive.aggregate_stats().await?;
    let charts = Charts::of(&stats);
    let body = html! {
        h1 { "Support in numbers" }
        p.muted { "Every figure covers at least " (stats.k) " people; " (stats.suppressed) " smaller groups are not shown, and no totals are given, so none can be worked out. The charts add up only the groups shown." }
        div.charts {
            (charts::bars("Conversations customers wrote in, per month", &charts.conversations))
            (charts::bars("How long our first reply took", &charts.response))
            (charts::bars("Customer messages answered within a day, by topic", &charts.within_day))
        }
        h2 { "By month and topic" }
        div.scroll {
            table.stats {
                thead { tr { th { "Month" } th { "Topic" } th.num { "Conversations" } th.num { "From customers" } th.num { "Our replies" } th.num { "Answered" } th.num { "Within a day" } th.num { "Median response" } th.num { "People" } } }
                tbody {
                    @for c in &stats.cells {
                        tr {
                            td { (c.month) } td { (c.topic) }
                            td.num { (c.conversations) } td.num { (c.inbound) } td.num { (c.outbound) }
                            td.num { (percent(c.answer_rate())) }
                            td.num { (percent((c.inbound > 0).then(|| c.answered_within_day() as f64 / c.inbound as f64))) }
                            td.num { (c.median_response_secs.map_or_else(|| "-".to_owned(), view::duration)) }
                            td.num { (c.correspondents) }
                        }
                    }
                }
            }
        }
    };
    Ok(respond(
        StatusCode::OK,
        page("Statistics", Some(session), body),
    ))
}

pub(crate) async fn api(State(app): State<App>, _: ApiTestimonialReader) -> ApiResult {
    let stats = app.archive.aggregate_stats().await?;
    Ok(Json(casebook_archive::view::aggregate_json(&stats)).into_response())
}

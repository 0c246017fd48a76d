//! Aggregate statistics for marketing and admins: volumes per month and
//! topic, answer rates, response times — every cell covering at least
//! `k_anonymity` people, so no figure singles anyone out.

use crate::api::ApiResult;
use crate::auth::{ApiTestimonialReader, TestimonialReader};
use crate::view::{self, page, respond, PageResult};
use crate::App;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use casebook_archive::AggregateStats;
use maud::html;

fn cells_json(a: &AggregateStats) -> serde_json::Value {
    serde_json::json!({
        "k_anonymity": a.k,
        "suppressed_cells": a.suppressed,
        "cells": a.cells.iter().map(|c| serde_json::json!({
            "month": c.month,
            "topic": c.topic,
            "inbound": c.inbound,
            "outbound": c.outbound,
            "answer_rate": c.answer_rate(),
            "median_response_secs": c.median_response_secs,
            "correspondents": c.correspondents,
        })).collect::<Vec<_>>(),
    })
}

pub(crate) async fn page_view(
    State(app): State<App>,
    TestimonialReader(browser): TestimonialReader,
) -> PageResult {
    let session = &browser.session;
    let stats = app.archive.aggregate_stats().await?;
    let body = html! {
        h1 { "Support in numbers" }
        p.muted { "Every figure covers at least " (stats.k) " people; " (stats.suppressed) " smaller groups are not shown, and no totals are given, so none can be worked out." }
        table.stats {
            tr { th { "Month" } th { "Topic" } th { "From customers" } th { "Our replies" } th { "Answered" } th { "Median response" } th { "People" } }
            @for c in &stats.cells {
                tr {
                    td { (c.month) } td { (c.topic) } td { (c.inbound) } td { (c.outbound) }
                    td { (c.answer_rate().map_or_else(|| "-".to_owned(), |r| format!("{:.0}%", r * 100.0))) }
                    td { (c.median_response_secs.map_or_else(|| "-".to_owned(), view::duration)) }
                    td { (c.correspondents) }
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
    Ok(Json(cells_json(&stats)).into_response())
}

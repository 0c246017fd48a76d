//! Customer and partner lists for agents and admins: the lists with their
//! source, an upload to import one, who matched what, and — for admins —
//! the export for a partner, which leaves out everyone who objected.

use crate::auth::{actor, csrf_field, refuse_form, Browser, MailForm, MailReader};
use crate::view::{self, page, respond, PageResult};
use crate::App;
use axum::extract::{Multipart, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use casebook_archive::{ArchiveError, ColumnChoice, CustomerImport, CustomerMatch, Role};
use maud::html;
use serde::Deserialize;

/// The largest list file an upload may carry.
pub(crate) const MAX_UPLOAD_BYTES: usize = 512 * 1024 * 1024;
/// Matches shown on the page; the CSV has them all.
const SHOWN: usize = 500;

const BACK: (&str, &str) = ("/customers", "Back to customers");

fn refused(browser: &Browser, why: &str) -> Response {
    view::refused(&browser.session, why, BACK)
}

fn not_done(browser: &Browser, e: &ArchiveError) -> Response {
    view::archive_error(Some(&browser.session), e, Some(BACK))
}

pub(crate) async fn overview(
    State(app): State<App>,
    MailReader(browser): MailReader,
) -> PageResult {
    let session = &browser.session;
    let lists = app.archive.customers().lists().await?;
    let report = app.archive.customers().matches(None).await?;
    let partners: std::collections::BTreeSet<&str> =
        lists.iter().filter_map(|l| l.partner.as_deref()).collect();
    let body = html! {
        h1 { "Customer lists" }
        @if lists.is_empty() { p.muted { "No list imported yet." } }
        table.lists {
            tr { th { "List" } th { "Owner" } th { "Records" } th { "Source" } th { "Imported" } }
            @for l in &lists {
                tr {
                    td { (l.name) }
                    td { (l.partner.as_deref().map_or_else(|| "ours".to_owned(), |p| format!("partner {p}"))) }
                    td { (l.records) }
                    td { (l.source_file) }
                    td { (view::when_secs(&browser.zone, l.imported_at)) " by " (l.imported_by) }
                }
            }
        }
        h2 { "Import a list" }
        form method="post" action="/customers/import" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(session.csrf);
            label { "CSV file " input type="file" name="file" required; }
            label { "List " input name="list" required placeholder="crm"; }
            label { "Partner " input name="partner" placeholder="empty: our own list"; }
            label { "E-mail column " input name="email_column" placeholder="if the header does not say: 3 or a header"; }
            label { input type="checkbox" name="merge"; " add to the list instead of replacing it" }
            button type="submit" { "Import" }
        }
        h2 { "Matches" }
        ul {
            @for ((list, kind), n) in &report.summary {
                li { (list) ": " (n) " correspondents by " (kind.as_str()) }
            }
            li { "on no list: " (report.unmatched.len()) " correspondents" }
        }
        table.matches {
            tr { th { "Correspondent" } th { "How" } th { "List" } th { "Name" } th { "Company" } th { "Account" } }
            @for m in report.matches.iter().take(SHOWN) { (match_row(m)) }
        }
        @if report.matches.len() > SHOWN {
            p.muted { (report.matches.len() - SHOWN) " more; `casebook customers match --csv` lists them all" }
        }
        @if session.user.role == Role::Admin && !partners.is_empty() {
            h2 { "Export for a partner" }
            p { "Everyone matched on the partner's lists, except those who objected to disclosure. The export is recorded in the audit log." }
            form method="post" action="/customers/partner-export" {
                input type="hidden" name="csrf" value=(session.csrf);
                select name="partner" { @for p in &partners { option value=(p) { (p) } } }
                button type="submit" { "Download CSV" }
            }
        }
    };
    Ok(respond(
        StatusCode::OK,
        page("Customers", Some(session), body),
    ))
}

fn match_row(m: &CustomerMatch) -> maud::Markup {
    let r = &m.record;
    html! {
        tr {
            td { (m.correspondent) }
            td { (m.kind.as_str()) @if m.records_with_domain > 0 { " (" (r.domain) ", " (m.records_with_domain) " records)" } }
            td { (r.list) }
            td { (r.name.as_deref().unwrap_or("")) }
            td { (r.company.as_deref().unwrap_or("")) }
            td { (r.account.as_deref().unwrap_or("")) }
        }
    }
}

/// The fields of the import form.
#[derive(Default)]
struct Upload {
    file_name: String,
    bytes: Vec<u8>,
    list: String,
    partner: String,
    email_column: String,
    merge: bool,
}

/// Reads the import form, checking who sends it before any of the file
/// is read: the form's CSRF token must be its first field (the page puts
/// it there), and it and the sender's role are checked as soon as it is
/// read. A refusal is the response to send.
async fn read_upload(browser: &Browser, mut multipart: Multipart) -> Result<Upload, Response> {
    let unreadable =
        |why: String| refused(browser, &format!("the upload could not be read: {why}"));
    let first = multipart
        .next_field()
        .await
        .map_err(|e| unreadable(e.body_text()))?;
    let csrf = match first {
        Some(field) if field.name() == Some("csrf") => {
            field.text().await.map_err(|e| unreadable(e.body_text()))?
        }
        _ => String::new(),
    };
    if let Some(r) = refuse_form(browser, &csrf) {
        return Err(r);
    }
    let mut upload = Upload::default();
    let next = |e: axum::extract::multipart::MultipartError| unreadable(e.body_text());
    while let Some(field) = multipart.next_field().await.map_err(next)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            upload.file_name = field.file_name().unwrap_or("upload.csv").to_owned();
            upload.bytes = field.bytes().await.map_err(next)?.to_vec();
            continue;
        }
        let text = field.text().await.map_err(next)?;
        match name.as_str() {
            "list" => upload.list = text,
            "partner" => upload.partner = text,
            "email_column" => upload.email_column = text,
            "merge" => upload.merge = text == "on",
            _ => {}
        }
    }
    Ok(upload)
}

pub(crate) async fn import(
    State(app): State<App>,
    browser: Browser,
    multipart: Multipart,
) -> Response {
    let upload = match read_upload(&browser, multipart).await {
        Ok(u) => u,
        Err(response) => return response,
    };
    let mut columns = Vec::new();
    if !upload.email_column.trim().is_empty() {
        match ColumnChoice::parse(&format!("email={}", upload.email_column.trim())) {
            Ok(c) => columns.push(c),
            Err(e) => return refused(&browser, &e.to_string()),
        }
    }
    let import = CustomerImport {
        list: upload.list,
        partner: Some(upload.partner).filter(|p| !p.trim().is_empty()),
        columns,
        merge: upload.merge,
        actor: actor(&browser),
    };
    match app
        .archive
        .customers()
        .import_bytes(&upload.file_name, upload.bytes, &import)
        .await
    {
        Ok(report) => respond(
            StatusCode::OK,
            page(
                "List imported",
                Some(&browser.session),
                html! {
                    h1 { "List " (report.list) " imported" }
                    p { (report.records) " records read from " (upload.file_name) " (" (report.encoding) "), " (report.stored) " stored" @if upload.merge { " (added)" } @else { " (replacing the list)" } "." }
                    @if report.duplicates > 0 { p { (report.duplicates) " duplicate rows left out." } }
                    @if !report.problems.is_empty() {
                        h2 { "Rows not imported" }
                        ul { @for p in &report.problems { li { "line " (p.line) ": " (p.reason) } } }
                    }
                    p { a href="/customers" { "Back to customers" } }
                },
            ),
        ),
        Err(e) => not_done(&browser, &e),
    }
}

#[derive(Deserialize)]
pub(crate) struct PartnerForm {
    csrf: String,
    partner: String,
}

pub(crate) async fn partner_export(
    State(app): State<App>,
    MailForm { browser, form }: MailForm<PartnerForm>,
) -> Response {
    if browser.session.user.role != Role::Admin {
        return view::forbidden(&browser.session);
    }
    let export = match app
        .archive
        .customers()
        .export_for_partner(&form.partner, &actor(&browser))
        .await
    {
        Ok(e) => e,
        Err(e) => return not_done(&browser, &e),
    };
    let csv = casebook_archive::matches_csv(&export.matches);
    let file = format!(
        "attachment; filename=\"for-{}.csv\"",
        export
            .partner
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .collect::<String>()
    );
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, file),
        ],
        csv,
    )
        .into_response()
}

csrf_field!(PartnerForm);

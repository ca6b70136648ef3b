//! Responses other than JSON, each with the caching it needs:
//! - [`public_page`]: the same for everyone (the campaign, a state's scorecard): shared caches
//!   may keep it briefly, so a staff edit shows within a minute;
//! - [`private_page`]: anything holding a supporter's data (their legislators, messages,
//!   receipt) or an error: never stored;
//! - [`see_other`]: 303 after a POST or to a stored destination: never stored;
//! - [`asset`]: the stylesheet and script, cached for an hour;
//! - [`csv_report`]: a reach report as a CSV attachment, streamed from the database, and
//!   [`csv_table`]: any table (a header, rows of cells) the same way (staff data: never stored).

use crate::stats::export;
use crate::stats::reach::GroupBy;
use crate::store::ReachStream;
use actix_web::http::header::{
    ContentDisposition, DispositionParam, DispositionType, CACHE_CONTROL, LOCATION,
};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use futures_util::stream::{self, Stream, StreamExt};

const HTML: &str = "text/html; charset=utf-8";

/// A page that is the same for every visitor.
pub fn public_page(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(HTML)
        .insert_header((CACHE_CONTROL, "public, max-age=60"))
        .body(body)
}

/// A page about one supporter (or an error): `no-store`.
pub fn private_page(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(HTML)
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(body)
}

/// `303 See Other` to `location`.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location.to_string()))
        .insert_header((CACHE_CONTROL, "no-store"))
        .finish()
}

/// A static file compiled into the binary.
pub fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

/// The content type of CSV downloads.
pub const CSV: &str = "text/csv; charset=utf-8";
/// Rows encoded into one chunk of a streamed CSV body.
const CSV_ROWS_PER_CHUNK: usize = 256;

/// Report `group` as a CSV attachment named `filename`: [`csv_table`] of its header and records.
pub fn csv_report(filename: String, group: GroupBy, rows: ReachStream) -> HttpResponse {
    csv_table(
        filename,
        export::header(group),
        rows.map(|row| row.map(|r| export::record(&r))),
    )
}

/// A table as a CSV attachment named `filename`: the `header` row, then `rows` (each a line's
/// cells, escaped here) encoded as they come (a chunk per few hundred rows; nothing gathered in
/// memory), through [`export::encode_records`]. A failure part-way (the database) is logged and
/// ends the body early, so the client sees a broken download rather than a short file that looks
/// whole.
pub fn csv_table<S, E>(filename: String, header: &'static [&'static str], rows: S) -> HttpResponse
where
    S: Stream<Item = Result<Vec<String>, E>> + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    let header = stream::once(async move { export::encode_records([header]).map(Bytes::from) })
        .map(|r| r.map_err(std::io::Error::other));
    let body = rows.ready_chunks(CSV_ROWS_PER_CHUNK).map(|batch| {
        let rows = batch
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                tracing::error!(error = %e, "CSV download: reading the rows failed");
                std::io::Error::other(e)
            })?;
        export::encode_records(rows)
            .map(Bytes::from)
            .map_err(std::io::Error::other)
    });
    HttpResponse::Ok()
        .content_type(CSV)
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(filename)],
        })
        .streaming(header.chain(body))
}

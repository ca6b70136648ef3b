//! `advocate directory sync`: downloading the four datasets from their public URLs.

use super::sources::{build_directory, jurisdictions_from_archive, people_from_archive};
use super::{Dataset, Directory, DirectoryError, SourceFiles};
use crate::config::DirectorySettings;
use chrono::{DateTime, NaiveDate, Utc};
use std::time::Duration;

/// Largest download accepted, per dataset. GitHub's archive of openstates/people is the
/// biggest (tens of MB).
pub const MAX_DOWNLOAD_BYTES: u64 = 512 * 1024 * 1024;
/// Largest amount an archive may unpack to.
pub const MAX_UNPACKED_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// A URL fit for messages: no user name, password, query or fragment.
fn display_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => "(invalid URL)".to_string(),
    }
}

async fn download(
    client: &reqwest::Client,
    dataset: Dataset,
    url: &str,
) -> Result<Vec<u8>, DirectoryError> {
    let failed = |problem: String| DirectoryError::Download {
        dataset,
        url: display_url(url),
        problem,
    };
    let describe = |e: reqwest::Error| {
        if e.is_timeout() {
            "timed out (directory.download_timeout_secs)".to_string()
        } else if e.is_connect() {
            format!("cannot connect ({})", root_cause(&e))
        } else if e.is_body() || e.is_decode() {
            format!("the body was cut short or malformed ({})", root_cause(&e))
        } else {
            root_cause(&e)
        }
    };
    let started = std::time::Instant::now();
    let mut response = client
        .get(url)
        .send()
        .await
        .map_err(|e| failed(describe(e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(failed(format!("HTTP {status}")));
    }
    if response.content_length().unwrap_or(0) > MAX_DOWNLOAD_BYTES {
        return Err(failed(format!("larger than {MAX_DOWNLOAD_BYTES} bytes")));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| failed(describe(e)))? {
        if (body.len() + chunk.len()) as u64 > MAX_DOWNLOAD_BYTES {
            return Err(failed(format!("larger than {MAX_DOWNLOAD_BYTES} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    tracing::info!(
        dataset = dataset.name(),
        bytes = body.len(),
        ms = started.elapsed().as_millis() as u64,
        "downloaded"
    );
    Ok(body)
}

/// The innermost error's message (reqwest's outer ones repeat the URL).
fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// Downloads the four datasets (at the same time) and unpacks the two archives in memory.
/// Each download is bounded by `download_timeout_secs` and [`MAX_DOWNLOAD_BYTES`].
pub async fn download_sources(settings: &DirectorySettings) -> Result<SourceFiles, DirectoryError> {
    let timeout = Duration::from_secs(settings.download_timeout_secs.max(1));
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(30)))
        .user_agent(concat!(
            "advocate/",
            env!("CARGO_PKG_VERSION"),
            " (directory sync)"
        ))
        .build()
        .map_err(|e| DirectoryError::source(Dataset::Congress, format!("HTTP client: {e}")))?;
    let (congress, people, geo, zips) = tokio::try_join!(
        download(&client, Dataset::Congress, settings.congress_url.as_str()),
        download(
            &client,
            Dataset::OpenStatesPeople,
            settings.openstates_people_url.as_str()
        ),
        download(
            &client,
            Dataset::OpenStatesGeo,
            settings.openstates_geo_url.as_str()
        ),
        download(&client, Dataset::Zips, settings.zips_url.as_str()),
    )?;
    let unpacked = tokio::task::spawn_blocking(move || {
        Ok::<_, DirectoryError>((
            people_from_archive(&people)?,
            jurisdictions_from_archive(&geo)?,
        ))
    })
    .await
    .map_err(|e| {
        DirectoryError::source(Dataset::OpenStatesPeople, format!("unpacking failed: {e}"))
    })?;
    let (people, jurisdictions) = unpacked?;
    let origins = [
        &settings.congress_url,
        &settings.openstates_people_url,
        &settings.openstates_geo_url,
        &settings.zips_url,
    ]
    .map(|url| display_url(url.as_str()));
    Ok(SourceFiles::new(
        congress,
        people,
        jurisdictions,
        zips,
        "sync",
        origins,
    ))
}

/// Downloads and parses everything; the caller stores the result with
/// `Store::replace_directory`. Nothing is stored when this fails.
pub async fn sync(
    settings: &DirectorySettings,
    synced_at: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Directory, DirectoryError> {
    let files = download_sources(settings).await?;
    tokio::task::spawn_blocking(move || build_directory(&files, synced_at, today))
        .await
        .map_err(|e| {
            DirectoryError::source(Dataset::OpenStatesPeople, format!("parsing failed: {e}"))
        })?
}

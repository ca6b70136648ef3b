//! `405 Method Not Allowed` for API paths that exist with other methods.
//!
//! The table of paths and their methods comes from the served OpenAPI document itself (parsed
//! once), so the document stays the one source of truth: a path it describes answers a method it
//! does not list with 405, an `Allow` header naming the methods it does list, and a JSON error.
//! Anything else falls through to the usual 404.

use super::openapi::OPENAPI;
use crate::web::error::json_error;
use actix_web::http::header::ALLOW;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use std::sync::LazyLock;

/// The operations an OpenAPI path item may hold, in the document's own order of precedence.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One segment of a path template: `campaigns` or `{slug}`.
#[derive(Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// Matches any non-empty segment, as the router's `{name}` does.
    Param,
}

/// A documented path and the methods the document lists for it (upper case).
#[derive(Debug)]
struct Template {
    segments: Vec<Segment>,
    methods: Vec<String>,
}

impl Template {
    fn parse(path: &str, methods: Vec<String>) -> Template {
        let segments = path
            .trim_start_matches('/')
            .split('/')
            .map(|s| {
                if s.starts_with('{') && s.ends_with('}') {
                    Segment::Param
                } else {
                    Segment::Literal(s.to_string())
                }
            })
            .collect();
        Template { segments, methods }
    }

    fn matches(&self, path: &str) -> bool {
        let Some(rest) = path.strip_prefix('/') else {
            return false;
        };
        let mut parts = rest.split('/');
        for segment in &self.segments {
            let Some(part) = parts.next() else {
                return false;
            };
            let ok = match segment {
                Segment::Literal(literal) => part == literal,
                Segment::Param => !part.is_empty(),
            };
            if !ok {
                return false;
            }
        }
        parts.next().is_none()
    }
}

/// Every path of `document` with its methods; an unreadable document gives an empty table (the
/// unit tests make sure the served one is readable).
fn table(document: &str) -> Vec<Template> {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(document) else {
        return Vec::new();
    };
    let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) else {
        return Vec::new();
    };
    paths
        .iter()
        .map(|(path, item)| {
            let methods = METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| m.to_ascii_uppercase())
                .collect();
            Template::parse(path, methods)
        })
        .collect()
}

static TABLE: LazyLock<Vec<Template>> = LazyLock::new(|| table(OPENAPI));

/// The methods the document lists for `path`, when it describes that path.
fn allowed(templates: &[Template], path: &str) -> Option<String> {
    templates
        .iter()
        .find(|t| t.matches(path))
        .map(|t| t.methods.join(", "))
}

/// 405 with `Allow` when `req` names a documented API path with a method the document does not
/// list for it; `None` otherwise (the caller answers 404).
pub fn response(req: &HttpRequest) -> Option<HttpResponse> {
    // The router's view of the path (percent-decoded where safe), so `/api/v1/%63ampaigns`
    // is the same path here as it is for the routes.
    let path = req.match_info().as_str();
    if !path.starts_with("/api/") {
        return None;
    }
    let allow = allowed(&TABLE, path)?;
    let mut res = json_error(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("method not allowed here; allowed: {allow}"),
    );
    if let Ok(value) = allow.parse() {
        res.headers_mut().insert(ALLOW, value);
    }
    Some(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_served_document_gives_a_method_for_every_path() {
        assert!(TABLE.len() >= 8);
        assert!(TABLE.iter().all(|t| !t.methods.is_empty()));
    }

    #[test]
    fn documented_paths_match_with_any_parameter_and_list_their_methods() {
        let allow = |p: &str| allowed(&TABLE, p);
        assert_eq!(allow("/api/v1/campaigns").as_deref(), Some("GET"));
        assert_eq!(allow("/api/v1/campaigns/x").as_deref(), Some("GET"));
        assert_eq!(
            allow("/api/v1/campaigns/x/scorecards/MA").as_deref(),
            Some("GET, PUT")
        );
        assert_eq!(
            allow("/api/v1/campaigns/x/scorecards/MA/revisions").as_deref(),
            Some("GET")
        );
        assert_eq!(
            allow("/api/v1/campaigns/x/messages").as_deref(),
            Some("POST")
        );
        assert_eq!(allow("/api/v1/receipts/abc").as_deref(), Some("GET"));
    }

    #[test]
    fn other_paths_do_not_match() {
        for path in [
            "",
            "/",
            "api/v1/campaigns",
            "/api/v1",
            "/api/v1/campaigns/",
            "/api/v1/campaigns//scorecards",
            "/api/v1/campaigns/x/scorecards/MA/extra",
            "/api/v1/campaigns/x/nothing",
            "/api/v2/campaigns",
        ] {
            assert_eq!(allowed(&TABLE, path), None, "{path:?}");
        }
    }

    #[test]
    fn templates_keep_the_documents_methods_in_order() {
        let doc = r#"{"paths": {"/a/{id}": {"post": {}, "get": {}, "parameters": []}}}"#;
        let t = table(doc);
        assert_eq!(allowed(&t, "/a/1").as_deref(), Some("GET, POST"));
        assert!(table("not json").is_empty());
        assert!(table("{}").is_empty());
    }

    proptest! {
        #[test]
        fn arbitrary_paths_never_panic(path in ".{0,200}") {
            let _ = allowed(&TABLE, &path);
        }

        #[test]
        fn any_non_empty_segment_fills_a_parameter(slug in "[^/]{1,40}") {
            let path = format!("/api/v1/campaigns/{slug}/counts");
            let allow = allowed(&TABLE, &path);
            prop_assert_eq!(allow.as_deref(), Some("GET"));
        }
    }
}

//! Reading links: the tokens in confirmation and receipt links, the queries of `mailto:` and
//! webmail links.

/// The 64-hex-digit token after `prefix` in a text (a confirmation or receipt link in an email
/// or a URL).
pub fn token_after(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {text}"))
        + prefix.len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    assert_eq!(token.len(), 64, "token after {prefix} in {text}");
    token
}

/// The decoded query of a URL (`mailto:` included).
pub fn query_of(url: &str) -> Vec<(String, String)> {
    let (_, q) = url.split_once('?').expect("a query");
    url::form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The value of `key` in a decoded query; panics when it is missing.
pub fn param<'a>(q: &'a [(String, String)], key: &str) -> &'a str {
    q.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {q:?}"))
}

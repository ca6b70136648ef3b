//! `multipart/form-data` bodies (file uploads) in the staff area, read whole from a body that is
//! already bounded: the CSRF check finds its `csrf_token` field here, the upload its file.

use actix_web::web::Bytes;
use futures_util::stream;

/// Most parts one form may have (a file, a note and the token, with room to spare).
const MAX_FIELDS: usize = 16;

/// One part of the form.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub data: Bytes,
}

/// Why a body could not be read as a form.
#[derive(Debug, thiserror::Error)]
pub enum MultipartError {
    #[error("not a multipart form")]
    NotMultipart,
    #[error("too many parts")]
    TooManyFields,
    #[error("{0}")]
    Malformed(String),
}

/// Whether a `Content-Type` value says `multipart/form-data`.
pub fn is_multipart(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// Every named part of `body`, in order.
pub async fn fields(content_type: &str, body: Bytes) -> Result<Vec<Field>, MultipartError> {
    if !is_multipart(content_type) {
        return Err(MultipartError::NotMultipart);
    }
    let boundary =
        multer::parse_boundary(content_type).map_err(|_| MultipartError::NotMultipart)?;
    let body = stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut form = multer::Multipart::new(body, boundary);
    let mut out = Vec::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| MultipartError::Malformed(e.to_string()))?
    {
        if out.len() == MAX_FIELDS {
            return Err(MultipartError::TooManyFields);
        }
        let name = field.name().unwrap_or_default().to_string();
        let data = field
            .bytes()
            .await
            .map_err(|e| MultipartError::Malformed(e.to_string()))?;
        out.push(Field { name, data });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TYPE: &str = "multipart/form-data; boundary=XyZ";

    fn body(parts: &[(&str, &str)]) -> Bytes {
        let mut s = String::new();
        for (name, value) in parts {
            s.push_str(&format!(
                "--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            ));
        }
        s.push_str("--XyZ--\r\n");
        Bytes::from(s)
    }

    #[tokio::test]
    async fn named_parts_come_back_in_order() {
        let got = fields(TYPE, body(&[("csrf_token", "abc"), ("file", "x = 1\n")]))
            .await
            .expect("a form");
        let names: Vec<&str> = got.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["csrf_token", "file"]);
        assert_eq!(&got[1].data[..], b"x = 1\n");
    }

    #[tokio::test]
    async fn other_content_types_and_part_floods_are_refused() {
        assert!(matches!(
            fields("application/x-www-form-urlencoded", Bytes::from("a=b")).await,
            Err(MultipartError::NotMultipart)
        ));
        let many: Vec<(&str, &str)> = (0..MAX_FIELDS + 1).map(|_| ("x", "y")).collect();
        assert!(matches!(
            fields(TYPE, body(&many)).await,
            Err(MultipartError::TooManyFields)
        ));
        assert!(fields(TYPE, Bytes::from("--XyZ\r\nnonsense"))
            .await
            .is_err());
    }

    proptest! {
        #[test]
        fn any_body_is_read_or_refused_without_panicking(raw in proptest::collection::vec(any::<u8>(), 0..512)) {
            let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
            let _ = rt.block_on(fields(TYPE, Bytes::from(raw)));
        }
    }
}

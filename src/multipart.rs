//! Operations whose request body is `multipart/form-data`, which progenitor
//! does not generate. build.rs emits a builder for each from the spec (its
//! parts, their checks, `x-bsa-replay`); the builder calls [`send`], which
//! goes through the same hooks as every generated operation: bearer token,
//! one re-mint on 401, the retry policy, error mapping and logging.
//!
//! A spec revision without multipart operations leaves the crate-private
//! items unused, hence the module-wide `dead_code` allowance.
#![allow(dead_code)]

use std::io::Read;
use std::path::Path;

use bytes::Bytes;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo, ResponseValue};
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use reqwest::{Method, Request};
use serde::de::DeserializeOwned;

use crate::Client;
use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::transport::{CallOptions, Shared};

/// A file sent as one part of a multipart request: bytes in memory, read from
/// a path, or drained from a reader.
#[derive(Clone, PartialEq, Eq)]
pub struct FilePart {
    bytes: Bytes,
    filename: String,
}

impl FilePart {
    /// The file's contents, sent under `filename`.
    pub fn new(bytes: impl Into<Bytes>, filename: impl Into<String>) -> Self {
        Self {
            bytes: bytes.into(),
            filename: filename.into(),
        }
    }

    /// Reads the file at `path` now; it is sent under its own file name.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| {
            Error::invalid_request(None, format!("cannot read {}: {e}", path.display()))
        })?;
        let name = path
            .file_name()
            .map_or_else(|| "file".to_owned(), |n| n.to_string_lossy().into_owned());
        Ok(Self::new(bytes, name))
    }

    /// Reads `reader` to its end now (a `File`, a socket, a decompressor...).
    pub fn from_reader(mut reader: impl Read, filename: impl Into<String>) -> Result<Self, Error> {
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .map_err(|e| Error::invalid_request(None, format!("cannot read the file: {e}")))?;
        Ok(Self::new(bytes, filename))
    }

    /// The contents.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }
}

impl std::fmt::Debug for FilePart {
    // The contents may be a customer's statement: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilePart")
            .field("filename", &self.filename)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl From<Vec<u8>> for FilePart {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes, "file")
    }
}

impl From<&[u8]> for FilePart {
    fn from(bytes: &[u8]) -> Self {
        Self::new(bytes.to_vec(), "file")
    }
}

impl From<Bytes> for FilePart {
    fn from(bytes: Bytes) -> Self {
        Self::new(bytes, "file")
    }
}

/// How [`crate::Client::call`] takes a file: `{"base64": "...", "filename": "..."}`
/// (the bindings read paths, bytes and streams into this form).
impl<'de> serde::Deserialize<'de> for FilePart {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use base64::Engine as _;
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Wire {
            base64: String,
            filename: Option<String>,
        }
        let wire = Wire::deserialize(deserializer)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(wire.base64.as_bytes())
            .map_err(serde::de::Error::custom)?;
        Ok(Self::new(
            bytes,
            wire.filename.unwrap_or_else(|| "file".to_owned()),
        ))
    }
}

/// One part of a form.
pub(crate) enum Part {
    Text(String),
    File(FilePart),
}

/// A text part must be present; with `digits`, made of ASCII digits only.
pub(crate) fn check_text(
    field: &str,
    value: Option<String>,
    min: Option<usize>,
    max: Option<usize>,
    digits: bool,
) -> Result<String, Error> {
    let value = value.ok_or_else(|| Error::invalid_request(Some(field), "required"))?;
    let len = value.chars().count();
    let what = if digits { "digits" } else { "characters" };
    let fail = |expected: String| Err(Error::invalid_request(Some(field), expected));
    match (min, max) {
        (Some(lo), Some(hi)) if lo == hi && len != lo => {
            return fail(format!("must be exactly {lo} {what}, got {len}"));
        }
        (Some(lo), _) if len < lo => return fail(format!("must be at least {lo} {what}")),
        (_, Some(hi)) if len > hi => return fail(format!("must be at most {hi} {what}")),
        _ => {}
    }
    if digits && !value.bytes().all(|b| b.is_ascii_digit()) {
        return fail(format!("must contain digits only, got {value:?}"));
    }
    Ok(value)
}

/// A file part must be present and, with `magic`, start with those bytes.
pub(crate) fn check_file(
    field: &str,
    value: Option<FilePart>,
    magic: Option<&str>,
    kind: &str,
) -> Result<FilePart, Error> {
    let file = value.ok_or_else(|| Error::invalid_request(Some(field), "required"))?;
    match magic {
        Some(magic) if !file.bytes.starts_with(magic.as_bytes()) => Err(Error::invalid_request(
            Some(field),
            format!("is not a {kind} file (it does not start with {magic:?})"),
        )),
        _ => Ok(file),
    }
}

/// Sends one multipart request through the client's hooks and decodes the
/// answer as the generated operations do. With `replay` false the request is
/// sent at most once: no retry after any failure, even a transient one (a 401
/// still gets its one re-mint, as the server refused it unread).
pub(crate) async fn send<T: DeserializeOwned>(
    client: &Client,
    operation: &'static str,
    path: &str,
    parts: Vec<(&'static str, Part, Option<&'static str>)>,
    replay: bool,
) -> Result<ResponseValue<T>, Error> {
    let once;
    let client = if replay {
        client
    } else {
        let options = &client.inner().options;
        once = client.with_options(CallOptions {
            retry: Some(RetryPolicy {
                max_retries: 0,
                ..options.retry.clone().unwrap_or_default()
            }),
            ..CallOptions::clone(options)
        });
        &once
    };
    let boundary = format!(
        "bsa-lms-{:016x}{:016x}",
        fastrand::u64(..),
        fastrand::u64(..)
    );
    let url = format!("{}{path}", client.baseurl());
    let mut request = Request::new(
        Method::POST,
        url.parse()
            .map_err(|e| Error::invalid_request(None, format!("bad URL {url}: {e}")))?,
    );
    let content_type = HeaderValue::from_str(&format!("multipart/form-data; boundary={boundary}"))
        .map_err(|e| Error::invalid_request(None, e.to_string()))?;
    let headers = request.headers_mut();
    headers.insert(CONTENT_TYPE, content_type);
    headers.insert(
        reqwest::header::ACCEPT,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        "api-version",
        HeaderValue::from_static(Client::api_version()),
    );
    *request.body_mut() = Some(encode(&boundary, parts).into());

    let info = OperationInfo {
        operation_id: operation,
    };
    <Client as ClientHooks<Shared>>::pre::<crate::types::Error>(client, &mut request, &info)
        .await
        .map_err(Error::from)?;
    let response = <Client as ClientHooks<Shared>>::exec(client, request, &info)
        .await
        .map_err(|e| Error::from(progenitor_client::Error::<crate::types::Error>::from(e)))?;
    let result = match response.status().as_u16() {
        200..=299 => {
            return ResponseValue::from_response(response)
                .await
                .map_err(Error::from);
        }
        400..=599 => ResponseValue::<crate::types::Error>::from_response(response)
            .await
            .map(progenitor_client::Error::ErrorResponse),
        _ => Ok(progenitor_client::Error::UnexpectedResponse(response)),
    };
    Err(Error::from(result.unwrap_or_else(|e| e)))
}

fn encode(boundary: &str, parts: Vec<(&'static str, Part, Option<&'static str>)>) -> Bytes {
    let mut body = Vec::new();
    for (name, part, content_type) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match part {
            Part::Text(text) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                );
                body.extend_from_slice(text.as_bytes());
            }
            Part::File(file) => {
                // Quotes and line breaks would end the header early.
                let filename: String = file
                    .filename
                    .chars()
                    .map(|c| {
                        if matches!(c, '"' | '\r' | '\n' | '\\') {
                            '_'
                        } else {
                            c
                        }
                    })
                    .collect();
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                         Content-Type: {}\r\n\r\n",
                        content_type.unwrap_or("application/octet-stream")
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(&file.bytes);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Bytes::from(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_name_the_field() {
        let twelve = "255762260621".to_owned();
        assert!(check_text("MobileNumber", Some(twelve), Some(12), Some(12), true).is_ok());
        for bad in ["25576226062", "2557622606210", "25576226062x"] {
            let err = check_text(
                "MobileNumber",
                Some(bad.to_owned()),
                Some(12),
                Some(12),
                true,
            )
            .unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidRequest);
            assert!(err.to_string().contains("MobileNumber"), "{err}");
        }
        assert!(check_text("FullName", None, None, None, false).is_err());
        let pdf = FilePart::from(b"%PDF-1.4\n".as_slice());
        assert!(check_file("pdf_file", Some(pdf), Some("%PDF-"), "PDF").is_ok());
        let png = FilePart::from(b"\x89PNG".as_slice());
        let err = check_file("pdf_file", Some(png), Some("%PDF-"), "PDF").unwrap_err();
        assert!(err.to_string().contains("not a PDF"), "{err}");
    }

    #[test]
    fn the_form_encodes_every_part() {
        let body = encode(
            "B",
            vec![
                ("FullName", Part::Text("ADA L".into()), None),
                (
                    "pdf_file",
                    Part::File(FilePart::new(&b"%PDF-x"[..], "a\"b.pdf")),
                    Some("application/pdf"),
                ),
            ],
        );
        assert_eq!(
            String::from_utf8_lossy(&body),
            "--B\r\nContent-Disposition: form-data; name=\"FullName\"\r\n\r\nADA L\r\n\
             --B\r\nContent-Disposition: form-data; name=\"pdf_file\"; filename=\"a_b.pdf\"\r\n\
             Content-Type: application/pdf\r\n\r\n%PDF-x\r\n--B--\r\n"
        );
    }
}

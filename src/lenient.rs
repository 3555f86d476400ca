//! Decoding rules the generated types cannot express with serde attributes
//! alone: build.rs points integer fields and optional-body responses here.

use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde_json::Value;

/// Decodes an integer field (plain or optional) that the server may write as
/// an integral float such as `12.0`. A fraction still fails to decode.
pub(crate) fn integer<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = <Value as serde::Deserialize>::deserialize(deserializer)?;
    T::deserialize(integral(value)).map_err(D::Error::custom)
}

fn integral(value: Value) -> Value {
    match value.as_f64() {
        // 2^63: the largest magnitude an i64 holds exactly as a float.
        Some(f) if value.is_f64() && f.fract() == 0.0 && f.abs() < 9.223_372_036_854_776e18 => {
            Value::from(f as i64)
        }
        _ => value,
    }
}

/// Decodes a success body that may be empty (the spec's `x-bsa-empty-body`):
/// an empty body reads as JSON `null`.
#[allow(
    dead_code,
    reason = "called by the builders of operations marked x-bsa-empty-body; a spec revision may have none"
)]
pub(crate) async fn optional_body<T: DeserializeOwned>(
    response: reqwest::Response,
) -> Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<crate::types::Error>> {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(progenitor_client::Error::ResponseBodyError)?;
    let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        &body
    };
    let inner = serde_json::from_slice(text)
        .map_err(|e| progenitor_client::Error::InvalidResponsePayload(body.clone(), e))?;
    Ok(progenitor_client::ResponseValue::new(
        inner, status, headers,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Row {
        #[serde(default, deserialize_with = "integer")]
        n: Option<i64>,
        #[serde(deserialize_with = "integer")]
        m: u64,
    }

    #[test]
    fn integral_floats_decode_as_integers() {
        let row: Row = serde_json::from_str(r#"{"n": 12.0, "m": 3.0}"#).unwrap();
        assert_eq!((row.n, row.m), (Some(12), 3));
        let row: Row = serde_json::from_str(r#"{"n": null, "m": 3}"#).unwrap();
        assert_eq!(row.n, None);
        let row: Row = serde_json::from_str(r#"{"m": 3}"#).unwrap();
        assert_eq!(row.n, None);
        assert!(serde_json::from_str::<Row>(r#"{"n": 12.5, "m": 3}"#).is_err());
        assert!(serde_json::from_str::<Row>(r#"{"m": -1.0}"#).is_err());
    }
}

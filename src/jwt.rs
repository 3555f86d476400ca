//! Reads the `exp` claim of a JWT without verifying it.
//!
//! The SDK never verifies signatures (no JWKS is documented); it only needs the
//! expiry to refresh proactively. Any failure means "expiry unknown", and the
//! caller falls back to the reactive 401 pattern.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Expiry of `token` in Unix seconds, or `None` when it cannot be read.
pub fn expiry(token: &str) -> Option<i64> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    // Some issuers pad base64url; the spec says they should not, so accept both.
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    match &claims["exp"] {
        serde_json::Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(payload: &str) -> String {
        format!(
            "eyJhbGciOiJSUzI1NiJ9.{}.c2ln",
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn reads_integer_and_float_exp() {
        assert_eq!(
            expiry(&token(r#"{"exp":1811195075,"iat":1}"#)),
            Some(1811195075)
        );
        assert_eq!(expiry(&token(r#"{"exp":1811195075.9}"#)), Some(1811195075));
    }

    #[test]
    fn accepts_padded_payload() {
        let padded = format!(
            "h.{}.s",
            base64::engine::general_purpose::URL_SAFE.encode(r#"{"exp":5}"#)
        );
        assert_eq!(expiry(&padded), Some(5));
    }

    #[test]
    fn unknown_expiry_for_malformed_tokens() {
        for bad in [
            "",
            "abc",
            "a.b",
            "a.b.c.d",
            "h.!!!.s",
            &token("not json"),
            &token(r#"{"iat":1}"#),
            &token(r#"{"exp":"soon"}"#),
            &token(r#"[1,2]"#),
        ] {
            assert_eq!(expiry(bad), None, "{bad}");
        }
    }
}

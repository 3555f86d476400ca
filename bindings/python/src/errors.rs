//! Core errors (and caught panics) as the exception classes of
//! `bsa_lms.errors`, which are defined in Python so that their attributes and
//! stubs are plain Python.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyList;

static FACTORY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The exception for a core error: its class is chosen from `Error::kind()`.
pub fn to_pyerr(py: Python<'_>, err: &bsa_lms::Error) -> PyErr {
    let fields: Vec<(String, String)> = err
        .field_errors()
        .iter()
        .map(|f| (f.field.clone(), f.error.clone()))
        .collect();
    build(
        py,
        err.kind().as_str(),
        err.message(),
        &err.to_string(),
        err.status(),
        err.code(),
        err.body(),
        fields,
        err.auth_reason().map(bsa_lms::AuthReason::as_str),
        err.maybe_applied(),
    )
}

/// A panic caught at the boundary: a bug, reported as the base `LmsError`.
pub fn panic_to_pyerr(py: Python<'_>, message: &str) -> PyErr {
    let message =
        format!("internal error in the bsa-lms native code (please report it): {message}");
    build(
        py,
        "panic",
        &message,
        &message,
        None,
        None,
        None,
        Vec::new(),
        None,
        false,
    )
}

/// The text of a caught panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}

#[allow(clippy::too_many_arguments)]
fn build(
    py: Python<'_>,
    kind: &str,
    message: &str,
    display: &str,
    status: Option<u16>,
    code: Option<&str>,
    body: Option<&str>,
    field_errors: Vec<(String, String)>,
    auth_reason: Option<&str>,
    maybe_applied: bool,
) -> PyErr {
    let exception = (|| -> PyResult<Bound<'_, PyAny>> {
        let factory = FACTORY.get_or_try_init(py, || {
            py.import("bsa_lms.errors")?
                .getattr("_from_native")
                .map(Bound::unbind)
        })?;
        let field_errors = PyList::new(py, field_errors)?;
        factory.bind(py).call1((
            kind,
            message,
            display,
            status,
            code,
            body,
            field_errors,
            auth_reason,
            maybe_applied,
        ))
    })();
    match exception {
        Ok(exception) => PyErr::from_value(exception),
        // Only if bsa_lms.errors cannot be imported: still an exception, never a crash.
        Err(import_error) => import_error,
    }
}

//! JSON values across the boundary: call arguments from Python objects, and
//! responses from the server's JSON text straight to Python objects.
//!
//! Measured on a 10 KB loan (release build): a `serde_json::Value` walk 30 µs
//! (after 28 µs to build the tree), `pythonize` 30 µs, `json.loads` 56 µs. The
//! hand-written argument side names the offending field, rejects NaN, and
//! bounds the depth (a self-referencing list must not overflow the stack).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Significant digits a `Decimal` may carry: amounts travel as IEEE doubles,
/// whose shortest form gives back any decimal of up to 15 digits exactly.
const DECIMAL_DIGITS: usize = 15;

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Deeper argument structures are rejected: the API's bodies are flat, and a
/// self-referencing list must not recurse forever.
const MAX_DEPTH: usize = 32;

/// Converts the keyword arguments of one call. A value JSON cannot carry fails
/// here, before anything is sent, naming the field as the core does (body
/// fields by their API name, other arguments by their snake_case name).
pub fn args_from_py(args: &Bound<'_, PyDict>) -> Result<Map<String, Value>, bsa_lms::Error> {
    let mut out = Map::new();
    let mut path = Vec::new();
    for (key, value) in args.iter() {
        let key = key_text(&key, &path)?;
        path.push(key.clone());
        let value = value_from_py(&value, &mut path)?;
        path.pop();
        out.insert(key, value);
    }
    Ok(out)
}

fn value_from_py(obj: &Bound<'_, PyAny>, path: &mut Vec<String>) -> Result<Value, bsa_lms::Error> {
    if path.len() > MAX_DEPTH {
        return Err(invalid(path, "nested too deeply"));
    }
    // bool first: it is a subclass of int.
    if obj.is_none() {
        Ok(Value::Null)
    } else if let Ok(b) = obj.cast::<PyBool>() {
        Ok(Value::Bool(b.is_true()))
    } else if let Ok(s) = obj.cast::<PyString>() {
        let text = s
            .to_cow()
            .map_err(|_| invalid(path, "not valid UTF-8 text"))?;
        Ok(Value::String(text.into_owned()))
    } else if let Ok(i) = obj.cast::<PyInt>() {
        if let Ok(n) = i.extract::<i64>() {
            Ok(Value::from(n))
        } else if let Ok(n) = i.extract::<u64>() {
            Ok(Value::from(n))
        } else {
            Err(invalid(path, "integer out of range"))
        }
    } else if let Ok(f) = obj.cast::<PyFloat>() {
        Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| invalid(path, "must be a finite number (not NaN or infinity)"))
    } else if is_decimal(obj) {
        decimal_number(obj).map_err(|why| invalid(path, why))
    } else if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Map::new();
        for (key, value) in d.iter() {
            let key = key_text(&key, path)?;
            path.push(key.clone());
            let value = value_from_py(&value, path)?;
            path.pop();
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    } else if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for (i, item) in obj
            .try_iter()
            .map_err(|_| invalid(path, "not iterable"))?
            .enumerate()
        {
            let item = item.map_err(|_| invalid(path, "could not be iterated"))?;
            path.push(format!("[{i}]"));
            items.push(value_from_py(&item, path)?);
            path.pop();
        }
        Ok(Value::Array(items))
    } else {
        let type_name = obj
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "object".to_owned());
        Err(invalid(
            path,
            format!(
                "unsupported type {type_name} (expected str, int, float, Decimal, bool, None, dict or list)"
            ),
        ))
    }
}

fn is_decimal(obj: &Bound<'_, PyAny>) -> bool {
    let py = obj.py();
    DECIMAL
        .import(py, "decimal", "Decimal")
        .is_ok_and(|decimal| obj.is_instance(decimal).unwrap_or(false))
}

/// A `decimal.Decimal` as the number with exactly its digits: an integral
/// value as an integer, any other as the double whose shortest form is those
/// digits (`Decimal("0.1")` is sent as `0.1`).
fn decimal_number(obj: &Bound<'_, PyAny>) -> Result<Value, String> {
    let call = |name: &str| obj.call_method0(name).map_err(|e| e.to_string());
    if !call("is_finite")?.is_truthy().unwrap_or(false) {
        return Err("must be a finite number (not NaN or infinity)".to_owned());
    }
    let digits = call("normalize")?
        .call_method0("as_tuple")
        .and_then(|t| t.getattr("digits"))
        .and_then(|d| d.len())
        .map_err(|e| e.to_string())?;
    if digits > DECIMAL_DIGITS {
        return Err(format!(
            "has {digits} significant digits; at most {DECIMAL_DIGITS} are sent exactly"
        ));
    }
    let integral = call("to_integral_value")?
        .eq(obj)
        .map_err(|e| e.to_string())?;
    if integral && let Ok(n) = obj.call_method0("__int__").and_then(|n| n.extract::<i64>()) {
        return Ok(Value::from(n));
    }
    let text = obj.str().map_err(|e| e.to_string())?.to_string();
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| format!("{text} is not a number JSON can carry"))
}

fn key_text(key: &Bound<'_, PyAny>, path: &[String]) -> Result<String, bsa_lms::Error> {
    key.cast::<PyString>()
        .ok()
        .and_then(|k| k.to_cow().ok().map(|k| k.into_owned()))
        .ok_or_else(|| invalid(path, "keys must be str"))
}

/// Names a field the way the core does: body fields by their path inside the body.
fn invalid(path: &[String], message: impl Into<String>) -> bsa_lms::Error {
    let field = match path {
        [] => "args".to_owned(),
        [body, rest @ ..] if body == "body" && !rest.is_empty() => join(rest),
        all => join(all),
    };
    bsa_lms::Error::invalid_request(Some(&field), message)
}

fn join(parts: &[String]) -> String {
    let mut out = String::new();
    for part in parts {
        if !out.is_empty() && !part.starts_with('[') {
            out.push('.');
        }
        out.push_str(part);
    }
    out
}

/// Builds the Python objects of a response straight from its JSON text, in
/// one pass (no intermediate tree). serde_json bounds the nesting depth.
pub fn json_to_py<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let mut de = serde_json::Deserializer::from_str(text);
    PyBuilder(py)
        .deserialize(&mut de)
        .and_then(|value| de.end().map(|()| value))
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(format!("response JSON: {e}")))
}

/// Turns each JSON value the deserializer meets into the matching Python object.
struct PyBuilder<'py>(Python<'py>);

impl<'de, 'py> DeserializeSeed<'de> for PyBuilder<'py> {
    type Value = Bound<'py, PyAny>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

fn py_err<E: de::Error>(err: PyErr) -> E {
    E::custom(err)
}

impl<'de, 'py> Visitor<'de> for PyBuilder<'py> {
    type Value = Bound<'py, PyAny>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.0.None().into_bound(self.0))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(PyBool::new(self.0, v).to_owned().into_any())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(PyInt::new(self.0, v).into_any())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(PyInt::new(self.0, v).into_any())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(PyFloat::new(self.0, v).into_any())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(PyString::new(self.0, v).into_any())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let list = PyList::empty(self.0);
        while let Some(item) = seq.next_element_seed(PyBuilder(self.0))? {
            list.append(item).map_err(py_err)?;
        }
        Ok(list.into_any())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let dict = PyDict::new(self.0);
        while let Some(key) = map.next_key_seed(PyBuilder(self.0))? {
            let value = map.next_value_seed(PyBuilder(self.0))?;
            dict.set_item(key, value).map_err(py_err)?;
        }
        Ok(dict.into_any())
    }
}

//! Forwards the core's `tracing` events to the Python logger `bsa_lms`.
//!
//! The enabled level is mirrored into an atomic (refreshed from the logger on
//! every call), so a disabled event costs one atomic load and never touches
//! Python. The core never puts a password or token in an event.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// Most verbose tracing level forwarded: 0 off, 1 error … 5 trace.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);
static GET_LEVEL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static LOG: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Installs the forwarding subscriber, unless the process already has one.
/// The level is re-read from the logger at every entry point (construction,
/// each call), since applications configure logging after importing.
pub fn install(py: Python<'_>) -> PyResult<()> {
    let logger = py
        .import("logging")?
        .call_method1("getLogger", ("bsa_lms",))?;
    let _ = GET_LEVEL.set(py, logger.getattr("getEffectiveLevel")?.unbind());
    let _ = LOG.set(py, logger.getattr("log")?.unbind());
    refresh(py);
    let _ = tracing_subscriber::registry()
        .with(PythonLogging)
        .try_init();
    Ok(())
}

/// Re-reads the logger's effective level (cheap: one Python method call).
pub fn refresh(py: Python<'_>) {
    let Some(get_level) = GET_LEVEL.get(py) else {
        return;
    };
    let level = get_level
        .call0(py)
        .and_then(|l| l.extract::<i64>(py))
        .unwrap_or(i64::MAX);
    let max = match level {
        ..=5 => 5,
        6..=10 => 4,
        11..=20 => 3,
        21..=30 => 2,
        31..=40 => 1,
        _ => 0,
    };
    MAX_LEVEL.store(max, Ordering::Relaxed);
}

fn rank(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

fn python_level(level: &Level) -> i32 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

struct PythonLogging;

impl<S: Subscriber> Layer<S> for PythonLogging {
    fn register_callsite(
        &self,
        _metadata: &'static Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        // The Python level can change at any time: ask `enabled` per event.
        tracing::subscriber::Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        let max = MAX_LEVEL.load(Ordering::Relaxed);
        let rank = rank(metadata.level());
        // The HTTP stack's own debug chatter (connection pooling) only at TRACE.
        let ours = metadata.target().starts_with("bsa_lms");
        rank <= max && (ours || rank <= 2 || max == 5)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut text = Text::default();
        event.record(&mut text);
        let mut line = text.message;
        line.push_str(&text.fields);
        let level = python_level(event.metadata().level());
        // try_attach: never start or block a finalizing interpreter for a log line.
        crate::runtime::with_python(|| {
            Python::try_attach(|py| {
                if let Some(log) = LOG.get(py) {
                    let _ = log.call1(py, (level, line));
                }
            })
        });
    }
}

#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

//! The tokio runtimes calls run on, rebuilt in a child after `os.fork()`.
//!
//! Asynchronous calls and background work run on one shared multi-thread
//! runtime. A synchronous call runs on a current-thread runtime of the calling
//! thread instead: blocking on the shared runtime from a foreign thread costs
//! two cross-thread wake-ups per request, which measured about 70-100 µs a call
//! on this project's 2-core machines (a third of a GET).
//!
//! Worker threads do not survive a fork, and a runtime's I/O driver would be
//! shared with the parent, so runtimes are keyed by process id: a child sees a
//! different pid and builds its own. The parent's runtimes are leaked in the
//! child on purpose, since dropping them would wait for threads that do not
//! exist there.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

static RUNTIME: RwLock<Option<(u32, &'static Runtime)>> = RwLock::new(None);

/// Set by the `atexit` hook: from then on no background thread touches Python.
static EXITING: AtomicBool = AtomicBool::new(false);
/// Background threads currently inside (or about to enter) the interpreter.
static IN_PYTHON: AtomicUsize = AtomicUsize::new(0);
/// How long the `atexit` hook waits for them.
const EXIT_WAIT: Duration = Duration::from_secs(2);

/// Runs `f` (which attaches to Python) on a background thread, unless the
/// interpreter is shutting down. A background thread that holds or waits for
/// the GIL while Python finalizes crashes the process (`PyGILState_Release`),
/// so `wait_for_background` lets such sections finish first and skips new ones.
pub fn with_python<R>(f: impl FnOnce() -> R) -> Option<R> {
    IN_PYTHON.fetch_add(1, Ordering::SeqCst);
    let result = if EXITING.load(Ordering::SeqCst) {
        None
    } else {
        Some(f())
    };
    IN_PYTHON.fetch_sub(1, Ordering::SeqCst);
    result
}

/// The `atexit` hook: stop touching Python from background threads, and wait
/// (boundedly; the caller has released the GIL) for those inside it.
pub fn wait_for_background() {
    EXITING.store(true, Ordering::SeqCst);
    let deadline = Instant::now() + EXIT_WAIT;
    while IN_PYTHON.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The runtime of this process, built on first use.
pub fn runtime() -> &'static Runtime {
    let pid = std::process::id();
    if let Some((owner, rt)) = *RUNTIME.read().unwrap_or_else(PoisonError::into_inner)
        && owner == pid
    {
        return rt;
    }
    let mut slot = RUNTIME.write().unwrap_or_else(PoisonError::into_inner);
    match *slot {
        Some((owner, rt)) if owner == pid => rt,
        _ => {
            let rt: &'static Runtime = Box::leak(Box::new(build()));
            *slot = Some((pid, rt));
            rt
        }
    }
}

fn build() -> Runtime {
    let workers = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .clamp(1, 4);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("bsa-lms")
        .enable_all()
        .build()
        // Only fails when threads cannot be spawned; the caller catches the panic.
        .expect("cannot start the bsa-lms tokio runtime")
}

thread_local! {
    /// This thread's runtime for synchronous calls, and the pid it was built in.
    static HERE: RefCell<Option<(u32, Rc<Runtime>)>> = const { RefCell::new(None) };
}

/// Runs `future` to completion on the calling thread's current-thread runtime.
pub fn block_on_here<F: Future>(future: F) -> F::Output {
    let pid = std::process::id();
    let rt = HERE.with(|slot| {
        let mut slot = slot.borrow_mut();
        match &*slot {
            Some((owner, rt)) if *owner == pid => rt.clone(),
            _ => {
                let rt = Rc::new(
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        // Only fails when the OS refuses an epoll or timer fd; the caller catches the panic.
                        .expect("cannot start a bsa-lms runtime on this thread"),
                );
                if let Some(stale) = slot.replace((pid, rt.clone())) {
                    std::mem::forget(stale);
                }
                rt
            }
        }
    });
    rt.block_on(future)
}

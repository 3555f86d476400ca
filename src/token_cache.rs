//! An optional token file shared by the processes of one machine, so that a
//! service running many workers mints one token instead of one per process.
//!
//! The file is a JSON object from `"<email> <token host>"` to the last token
//! minted for that account. A lock on a sidecar `.lock` file makes "use the
//! shared token, else mint and share it" one step across processes.
//!
//! The file holds bearer tokens, so it is trusted only when it is ours: a
//! regular file (never followed through a symlink) owned by the current user
//! with no permission bits for group or others, at most 64 KiB. Anything else
//! is ignored with one warning and the client mints for itself; a cache that
//! cannot be read, locked or written never fails a call. Waiting for the lock
//! is bounded, and the lock is per process (`fcntl` record locks on Unix), so
//! a child forked while a mint holds it neither inherits nor blocks on it.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::OwnedMutexGuard;
use tokio::time::Instant;

/// Largest token file read; a file of hundreds of accounts' tokens fits.
const MAX_FILE: u64 = 64 * 1024;
/// Longest wait for the lock before minting without the file.
const LOCK_WAIT: Duration = Duration::from_secs(3);
/// Pause between attempts to take a lock another process holds.
const LOCK_POLL: Duration = Duration::from_millis(20);

pub(crate) struct TokenCache {
    path: PathBuf,
    key: String,
    /// Set once an untrusted file has been reported, so it warns once.
    warned: AtomicBool,
}

/// Held while this process owns the cross-process lock.
pub(crate) struct CacheLock {
    _file: File,
    _in_process: OwnedMutexGuard<()>,
}

impl TokenCache {
    pub(crate) fn new(path: PathBuf, email: &str, auth_url: &str) -> Self {
        Self {
            path,
            key: format!("{email} {auth_url}"),
            warned: AtomicBool::new(false),
        }
    }

    /// Takes the cross-process lock, waiting at most [`LOCK_WAIT`]; `None`
    /// when it cannot be had in time (the caller then mints without the file).
    pub(crate) async fn lock(&self) -> Option<CacheLock> {
        let deadline = Instant::now() + LOCK_WAIT;
        // Record locks are per process: clients of one process take turns here
        // first (closing any descriptor of the file would drop the process's lock).
        let in_process =
            match tokio::time::timeout_at(deadline, process_mutex(&self.path).lock_owned()).await {
                Ok(guard) => guard,
                Err(_) => {
                    self.warn("timed out waiting for the lock of", &"held by this process");
                    return None;
                }
            };
        let file = match open_lock_file(&sidecar(&self.path, ".lock")) {
            Ok(file) => file,
            Err(err) => {
                self.warn("cannot open the lock of", &err);
                return None;
            }
        };
        loop {
            match try_lock(&file) {
                Ok(true) => {
                    return Some(CacheLock {
                        _file: file,
                        _in_process: in_process,
                    });
                }
                Ok(false) if Instant::now() < deadline => tokio::time::sleep(LOCK_POLL).await,
                Ok(false) => {
                    self.warn(
                        "timed out waiting for the lock of",
                        &"held by another process",
                    );
                    return None;
                }
                Err(err) => {
                    self.warn("cannot lock", &err);
                    return None;
                }
            }
        }
    }

    /// The token shared for this account, if any.
    pub(crate) fn read(&self) -> Option<String> {
        self.entries()?
            .remove(&self.key)?
            .as_str()
            .map(str::to_owned)
    }

    /// Shares `token` for this account, keeping the other accounts' entries.
    /// Written to a new file with an unpredictable name, created exclusively
    /// beside the cache, then renamed over it: readers never see half a file,
    /// and nothing another user planted is written through.
    pub(crate) fn write(&self, token: &str) {
        let mut entries = self.entries().unwrap_or_default();
        entries.insert(self.key.clone(), Value::String(token.to_owned()));
        let temp = sidecar(
            &self.path,
            &format!(".{}.{:016x}.tmp", std::process::id(), fastrand::u64(..)),
        );
        let written = private(OpenOptions::new().write(true).create_new(true))
            .open(&temp)
            .and_then(|mut file| file.write_all(Value::Object(entries).to_string().as_bytes()))
            .and_then(|()| std::fs::rename(&temp, &self.path));
        if let Err(err) = written {
            let _ = std::fs::remove_file(&temp);
            self.warn("cannot write", &err);
        }
    }

    /// The file's entries when it exists and is trusted.
    fn entries(&self) -> Option<Map<String, Value>> {
        let text = match read_private(&self.path) {
            Ok(Some(text)) => text,
            Ok(None) => return None,
            Err(Untrusted(why)) => {
                if !self.warned.swap(true, Ordering::Relaxed) {
                    tracing::warn!(path = %self.path.display(), reason = %why, "ignoring the token cache; minting without it");
                }
                return None;
            }
        };
        match serde_json::from_slice(&text) {
            Ok(Value::Object(entries)) => Some(entries),
            _ => {
                tracing::warn!(path = %self.path.display(), "the token cache is not a JSON object; replacing it");
                None
            }
        }
    }

    fn warn(&self, what: &str, err: &dyn std::fmt::Display) {
        tracing::warn!(path = %self.path.display(), error = %err, "{what} the token cache; minting without it");
    }
}

/// Why a token file is not used.
struct Untrusted(String);

/// Reads `path` if it is a private regular file of the current user, at most
/// [`MAX_FILE`] bytes; `Ok(None)` when it does not exist.
fn read_private(path: &Path) -> Result<Option<Vec<u8>>, Untrusted> {
    let file = match private(OpenOptions::new().read(true)).open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => {
            return Err(Untrusted(format!(
                "cannot open it ({err}); a symlink is never followed"
            )));
        }
    };
    let meta = file
        .metadata()
        .map_err(|e| Untrusted(format!("cannot inspect it: {e}")))?;
    if !meta.is_file() {
        return Err(Untrusted("not a regular file".into()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me {
            return Err(Untrusted(format!(
                "owned by user {}, not by this user",
                meta.uid()
            )));
        }
        if meta.mode() & 0o077 != 0 {
            return Err(Untrusted(format!(
                "its permissions {:o} let other users read or write it (use 0600)",
                meta.mode() & 0o777
            )));
        }
    }
    let mut text = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut text)
        .map_err(|e| Untrusted(format!("cannot read it: {e}")))?;
    if text.len() as u64 > MAX_FILE {
        return Err(Untrusted(format!("larger than {MAX_FILE} bytes")));
    }
    Ok(Some(text))
}

/// The in-process lock for `path`, one per process id: a child forked while
/// a thread of its parent held the parent's entry starts with its own.
fn process_mutex(path: &Path) -> Arc<tokio::sync::Mutex<()>> {
    type Locks = Mutex<HashMap<(u32, PathBuf), Arc<tokio::sync::Mutex<()>>>>;
    static LOCKS: OnceLock<Locks> = OnceLock::new();
    let mut locks = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    locks
        .entry((std::process::id(), path.to_owned()))
        .or_default()
        .clone()
}

fn open_lock_file(path: &Path) -> std::io::Result<File> {
    let file = private(OpenOptions::new().create(true).truncate(false).write(true)).open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("the lock path is not a regular file"));
    }
    Ok(file)
}

/// Takes an exclusive lock on `file` without waiting; `false` when another
/// process holds it.
#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    // SAFETY: a zeroed `flock` is a valid value; every field used is set below.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = libc::F_WRLCK as _;
    lock.l_whence = libc::SEEK_SET as _;
    // SAFETY: the descriptor is open for writing and `lock` outlives the call.
    let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &lock) };
    if rc == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EACCES | libc::EAGAIN) => Ok(false),
        _ => Err(err),
    }
}

#[cfg(not(unix))]
fn try_lock(file: &File) -> std::io::Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(err)) => Err(err),
    }
}

/// `path` with `suffix` appended to its file name.
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Files that hold bearer tokens: created readable and writable by their
/// owner only, never opened through a symlink, and never blocking on a FIFO
/// planted in their place.
fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    options
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn cache_in(dir: &Path) -> TokenCache {
        TokenCache::new(dir.join("tokens.json"), "ada@example.com", "http://auth")
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "bsa-lms-cache-{name}-{}-{:x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_private_file_is_read_back() {
        let dir = scratch("private");
        let cache = cache_in(&dir);
        cache.write("tok-1");
        assert_eq!(cache.read().as_deref(), Some("tok-1"));
        let mode = std::fs::metadata(dir.join("tokens.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
    }

    #[test]
    fn files_others_can_write_or_reach_through_a_link_are_ignored() {
        let dir = scratch("untrusted");
        let planted = r#"{"ada@example.com http://auth":"attacker-token"}"#;
        let path = dir.join("tokens.json");
        std::fs::write(&path, planted).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert_eq!(cache_in(&dir).read(), None, "world-writable file used");

        let target = dir.join("elsewhere.json");
        std::fs::write(&target, planted).unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&target, &path).unwrap();
        assert_eq!(cache_in(&dir).read(), None, "symlinked file used");
        // Writing replaces the link itself and never writes through it.
        cache_in(&dir).write("mine");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), planted);
        assert_eq!(cache_in(&dir).read().as_deref(), Some("mine"));
    }

    #[test]
    fn oversized_files_are_ignored() {
        let dir = scratch("large");
        let path = dir.join("tokens.json");
        let big = format!(
            r#"{{"ada@example.com http://auth":"{}"}}"#,
            "x".repeat(70_000)
        );
        std::fs::write(&path, big).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(cache_in(&dir).read(), None);
    }

    #[test]
    fn a_fifo_in_place_of_the_file_is_ignored_without_blocking() {
        let dir = scratch("fifo");
        let path = std::ffi::CString::new(
            dir.join("tokens.json")
                .into_os_string()
                .into_encoded_bytes(),
        )
        .unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo has no other preconditions.
        assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
        let cache = cache_in(&dir);
        assert_eq!(cache.read(), None, "a FIFO was read as the token file");
    }

    #[tokio::test]
    async fn the_lock_is_bounded_and_shared_in_process() {
        let dir = scratch("lock");
        let cache = cache_in(&dir);
        let held = cache.lock().await.expect("lock");
        let started = std::time::Instant::now();
        assert!(
            cache.lock().await.is_none(),
            "a second holder in one process"
        );
        assert!(started.elapsed() >= LOCK_WAIT, "gave up before the bound");
        drop(held);
        assert!(cache.lock().await.is_some(), "released on drop");
    }
}

//! An optional token file shared by the processes of one machine, so that a
//! service running many workers mints one token instead of one per process
//! (DESIGN, "Token handling").
//!
//! The file is a JSON object from `"<email> <token host>"` to the last token
//! minted for that account. An exclusive lock on a sidecar `.lock` file makes
//! "use the shared token, else mint and share it" one step across processes.
//! Both files are created readable by their owner only. A cache that cannot be
//! read, locked or written never fails a call: the client warns (without the
//! token) and mints for itself.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

pub(crate) struct TokenCache {
    path: PathBuf,
    key: String,
}

impl TokenCache {
    pub(crate) fn new(path: PathBuf, email: &str, auth_url: &str) -> Self {
        Self {
            path,
            key: format!("{email} {auth_url}"),
        }
    }

    /// Takes the cross-process lock (on a blocking thread); it is held until
    /// the returned file is dropped. `None` when the lock cannot be taken.
    pub(crate) async fn lock(&self) -> Option<File> {
        let path = sidecar(&self.path, ".lock");
        let locked = tokio::task::spawn_blocking(move || {
            let file = owner_only(OpenOptions::new().create(true).truncate(false).write(true))
                .open(&path)?;
            file.lock()?;
            Ok(file)
        })
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        locked.map_err(|err| self.warn("cannot lock", &err)).ok()
    }

    /// The token shared for this account, if any.
    pub(crate) fn read(&self) -> Option<String> {
        self.entries()?
            .remove(&self.key)?
            .as_str()
            .map(str::to_owned)
    }

    /// Shares `token` for this account, keeping the other accounts' entries.
    /// Written to a temporary file and renamed, so readers never see half a file.
    pub(crate) fn write(&self, token: &str) {
        let mut entries = self.entries().unwrap_or_default();
        entries.insert(self.key.clone(), Value::String(token.to_owned()));
        let temp = sidecar(&self.path, &format!(".{}.tmp", std::process::id()));
        let written = owner_only(OpenOptions::new().create(true).truncate(true).write(true))
            .open(&temp)
            .and_then(|mut file| file.write_all(Value::Object(entries).to_string().as_bytes()))
            .and_then(|()| std::fs::rename(&temp, &self.path));
        if let Err(err) = written {
            let _ = std::fs::remove_file(&temp);
            self.warn("cannot write", &err);
        }
    }

    fn entries(&self) -> Option<Map<String, Value>> {
        let text = match std::fs::read(&self.path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return None,
            Err(err) => {
                self.warn("cannot read", &err);
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

/// `path` with `suffix` appended to its file name.
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// New files readable and writable by their owner only: they hold a bearer token.
fn owner_only(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(options, 0o600);
    options
}

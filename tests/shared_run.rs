//! Under cargo-nextest every test is its own process, and each would start the Python twin anew
//! (most of a fixture's cost in a debug build). Within one nextest run (`NEXTEST_RUN_ID`), the
//! first test process checks every fixture at once, on every core, and leaves the outcomes in a
//! file; the other processes wait for that file and read their fixture's outcome from it. Keyed
//! by the run id, the file can never serve a stale outcome to another run.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// What a fixture's test needs from the suite, before the snapshot assertion (which insta does in
/// the test's own process).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Checked {
    /// Notes to print (declared divergences and their reasons).
    pub(crate) notes: String,
    /// The failures, rendered; `None` when the fixture passed its checks.
    pub(crate) failure: Option<String>,
    /// The snapshot body to assert, when the engines agree (or their divergence is declared).
    pub(crate) reference: Option<String>,
}

/// The outcomes of one nextest run, shared between its test processes.
pub(crate) struct SharedRun {
    dir: PathBuf,
    run_id: String,
}

impl SharedRun {
    /// The shared run of this nextest invocation, if the process runs under nextest.
    pub(crate) fn from_env(base: &Path) -> Option<Self> {
        Some(Self::new(base, &std::env::var("NEXTEST_RUN_ID").ok()?))
    }

    /// The shared run `run_id`, its files under `base`.
    pub(crate) fn new(base: &Path, run_id: &str) -> Self {
        let run_id: String = run_id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        Self {
            dir: base.join("twinflow-nextest"),
            run_id,
        }
    }

    /// The outcome of `name`: from the file when another process wrote it, else computed for every
    /// fixture by `check_all` (under the lock) and written for the others. `None` when the shared
    /// outcomes lack it (the fixtures could not all be read): the caller checks it alone.
    pub(crate) fn outcome(
        &self,
        name: &str,
        check_all: impl FnOnce() -> BTreeMap<String, Checked>,
    ) -> io::Result<Option<Checked>> {
        fs::create_dir_all(&self.dir)?;
        let results = self.dir.join(format!("{}.json", self.run_id));
        let lock = File::create(self.dir.join(format!("{}.lock", self.run_id)))?;
        // Blocks while the first process checks the fixtures.
        lock.lock()?;
        let all = if results.exists() {
            serde_json::from_slice(&fs::read(&results)?)?
        } else {
            self.forget_old_runs();
            let all = check_all();
            let partial = results.with_extension("json.partial");
            fs::write(&partial, serde_json::to_vec(&all)?)?;
            fs::rename(&partial, &results)?;
            all
        };
        lock.unlock()?;
        let mut all: BTreeMap<String, Checked> = all;
        Ok(all.remove(name))
    }

    /// Removes the files of runs older than a day, so that the folder does not grow for ever.
    fn forget_old_runs(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        let day = Duration::from_secs(24 * 3600);
        for entry in entries.flatten() {
            let old = entry
                .metadata()
                .and_then(|meta| meta.modified())
                .is_ok_and(|modified| {
                    SystemTime::now()
                        .duration_since(modified)
                        .is_ok_and(|age| age > day)
                });
            if old {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// The first process computes, the others read: a check that `SharedRun` serves what was written
/// and computes only once (run as one of the suite's tests).
pub(crate) fn self_test() -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|err| err.to_string())?;
    let run = SharedRun::new(dir.path(), "self-test");
    let outcome = |name: &str| Checked {
        notes: String::new(),
        failure: Some(format!("{name} failed")),
        reference: None,
    };
    let first = run
        .outcome("a", || {
            BTreeMap::from([("a".into(), outcome("a")), ("b".into(), outcome("b"))])
        })
        .map_err(|err| err.to_string())?;
    let second = run
        .outcome("b", || panic!("computed twice"))
        .map_err(|err| err.to_string())?;
    let missing = run
        .outcome("c", || panic!("computed twice"))
        .map_err(|err| err.to_string())?;
    let failure = |checked: Option<Checked>| checked.and_then(|c| c.failure);
    if failure(first).as_deref() == Some("a failed")
        && failure(second).as_deref() == Some("b failed")
        && missing.is_none()
    {
        Ok(())
    } else {
        Err("the shared run did not serve what its first process wrote".into())
    }
}

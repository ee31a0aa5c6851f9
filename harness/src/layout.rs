//! Where the repository's data folders are: `fixtures/`, `expected/`, `schema/`, `python/` and the
//! set-up venv `.venv` (STYLE §1: data folders sit at the top and are reached by relative path).
//!
//! The root is, in order of precedence: `--root DIR`, the `TWINFLOW_ROOT` environment variable,
//! or the nearest folder, from the current directory up, that holds `twinflow.toml`, or both
//! `Cargo.toml` and `fixtures/`. So an installed `twinflow` checks the project it is run in, never
//! the checkout it was built from.

use std::path::{Path, PathBuf};

/// The environment variable that overrides the repository root.
pub const ROOT_ENV: &str = "TWINFLOW_ROOT";

/// The file that marks a project root.
pub const MARKER: &str = "twinflow.toml";

/// Why the repository root is unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// The root (or one of its folders) does not exist or is not a directory.
    #[error("{}: not a twinflow checkout ({what} is missing); pass --root or set {ROOT_ENV}", root.display())]
    NotACheckout {
        /// The root that was tried.
        root: PathBuf,
        /// The missing folder.
        what: &'static str,
    },
    /// No folder from the current directory up is a project root.
    #[error("{}: not inside a twinflow project (no {MARKER}, or Cargo.toml and fixtures/, in it or above it); run twinflow from the project, pass --root or set {ROOT_ENV}", from.display())]
    NoProject {
        /// Where the search started.
        from: PathBuf,
    },
    /// The venv has no `lib/python3.*/site-packages` folder.
    #[error("{}: no lib/python3.*/site-packages in the venv; run scripts/setup", venv.display())]
    NoSitePackages {
        /// The venv folder.
        venv: PathBuf,
    },
    /// A folder cannot be listed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The folder.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
}

/// The repository's folders, resolved once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    /// Resolves the root: `explicit` (`--root`), else `TWINFLOW_ROOT`, else the nearest project
    /// folder from the current directory up. The root must hold `fixtures/`.
    ///
    /// # Errors
    /// [`LayoutError::NotACheckout`] when the root has no `fixtures/` folder, or no project folder
    /// encloses the current directory.
    pub fn discover(explicit: Option<&Path>) -> Result<Self, LayoutError> {
        let root = match explicit {
            Some(root) => root.to_owned(),
            None => match std::env::var_os(ROOT_ENV) {
                Some(root) if !root.is_empty() => PathBuf::from(root),
                _ => {
                    let here = std::env::current_dir().map_err(|source| LayoutError::Io {
                        path: PathBuf::from("."),
                        source,
                    })?;
                    Self::enclosing(&here).ok_or(LayoutError::NoProject { from: here })?
                }
            },
        };
        Self::at(&root)
    }

    /// The nearest folder from `start` up that holds `twinflow.toml`, or `Cargo.toml` and
    /// `fixtures/`.
    #[must_use]
    pub fn enclosing(start: &Path) -> Option<PathBuf> {
        start
            .ancestors()
            .find(|dir| {
                dir.join(MARKER).is_file()
                    || (dir.join("Cargo.toml").is_file() && dir.join("fixtures").is_dir())
            })
            .map(Path::to_owned)
    }

    /// The layout rooted at `root`, which must hold `fixtures/`.
    ///
    /// # Errors
    /// [`LayoutError::NotACheckout`] when it does not.
    pub fn at(root: &Path) -> Result<Self, LayoutError> {
        // Canonical paths keep messages short and make `..` disappear.
        let root = root.canonicalize().map_err(|_| LayoutError::NotACheckout {
            root: root.to_owned(),
            what: "the folder itself",
        })?;
        if !root.join("fixtures").is_dir() {
            return Err(LayoutError::NotACheckout {
                root,
                what: "fixtures/",
            });
        }
        Ok(Self { root })
    }

    /// The repository root.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `fixtures/`: the shared flow documents (contract §5).
    #[must_use]
    pub fn fixtures(&self) -> PathBuf {
        self.root.join("fixtures")
    }

    /// `expected/`: one snapshot per fixture (contract §4 step 5).
    #[must_use]
    pub fn expected(&self) -> PathBuf {
        self.root.join("expected")
    }

    /// `python/`: the Python twin's package root, first on the embedded interpreter's `sys.path`.
    #[must_use]
    pub fn python(&self) -> PathBuf {
        self.root.join("python")
    }

    /// `.venv`: the set-up virtual environment (`scripts/setup`).
    #[must_use]
    pub fn venv(&self) -> PathBuf {
        self.root.join(".venv")
    }

    /// The venv's `site-packages` folder (`.venv/lib/python3.X/site-packages`).
    ///
    /// # Errors
    /// [`LayoutError`] when the venv has none.
    pub fn site_packages(&self) -> Result<PathBuf, LayoutError> {
        let venv = self.venv();
        let lib = venv.join("lib");
        let entries = std::fs::read_dir(&lib)
            .map_err(|_| LayoutError::NoSitePackages { venv: venv.clone() })?;
        let mut found: Vec<PathBuf> = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| LayoutError::Io {
                path: lib.clone(),
                source,
            })?;
            let candidate = entry.path().join("site-packages");
            let is_python = entry.file_name().to_string_lossy().starts_with("python3");
            if is_python && candidate.is_dir() {
                found.push(candidate);
            }
        }
        // One interpreter per venv; sorting only makes the choice deterministic.
        found.sort();
        found.pop().ok_or(LayoutError::NoSitePackages { venv })
    }

    /// The Python version the venv was created with (`version` in `.venv/pyvenv.cfg`), if the file
    /// says.
    #[must_use]
    pub fn venv_version(&self) -> Option<String> {
        let config = std::fs::read_to_string(self.venv().join("pyvenv.cfg")).ok()?;
        config.lines().find_map(|line| {
            let (key, value) = line.split_once('=')?;
            matches!(key.trim(), "version" | "version_info").then(|| value.trim().to_owned())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_root_is_this_checkout() {
        let layout = Layout::at(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..")).expect("root");
        assert!(layout.fixtures().is_dir());
        assert!(layout.root().join("harness").is_dir());
        assert!(!layout.root().to_string_lossy().contains(".."));
    }

    #[test]
    fn a_folder_without_fixtures_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let err = Layout::at(dir.path()).expect_err("no fixtures/");
        assert!(err.to_string().contains("fixtures/ is missing"), "{err}");
        let err = Layout::at(&dir.path().join("nowhere")).expect_err("no folder");
        assert!(matches!(err, LayoutError::NotACheckout { .. }));
    }

    #[test]
    fn the_root_is_found_from_any_folder_inside_it() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let found = Layout::enclosing(&root.join("harness/src/report")).expect("found");
        assert_eq!(found.canonicalize().unwrap(), root.canonicalize().unwrap());
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(Layout::enclosing(dir.path()), None);
        std::fs::write(dir.path().join(MARKER), "").unwrap();
        std::fs::create_dir(dir.path().join("deep")).unwrap();
        assert_eq!(
            Layout::enclosing(&dir.path().join("deep")).as_deref(),
            Some(dir.path())
        );
    }

    #[test]
    fn the_venv_has_site_packages() {
        let layout = Layout::at(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..")).expect("root");
        let site = layout.site_packages().expect("site-packages");
        assert!(site.starts_with(layout.venv()), "{}", site.display());
        assert!(layout.venv_version().is_some_and(|v| v.starts_with('3')));
    }
}

//! The process's one embedded Python interpreter, set up for the checkout's venv, and the single
//! entry point the harness calls: `yamlflow.run_text` (STYLE §6).
//!
//! An embedded interpreter is not in venv mode (NOTES.md, "Embedding Python with pyo3"): pyenv's
//! global site-packages sits on `sys.path` and may hold Jinja2 (or PyYAML) too, so imports would
//! succeed from the wrong place. Set-up therefore removes the global and user site-packages from
//! `sys.path`, adds the venv's with `site.addsitedir` (so its `.pth` files apply) and puts the
//! repository's `python/` first. libpython itself is found through the rpath `build.rs` embeds, so
//! neither `LD_LIBRARY_PATH` nor `PYTHONPATH` is needed.

use std::ffi::{c_long, c_ulong};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

use super::error::{PyException, PythonError};
use super::load_error;
use crate::layout::Layout;

/// Python run at set-up with `venv_site` and `repo_python` bound; see the module docs for why.
pub(crate) const SET_UP_SYS_PATH: &std::ffi::CStr = c"
import os, site, sys

def _norm(path):
    return os.path.normcase(os.path.realpath(path))

_drop = {_norm(p) for p in site.getsitepackages()}
try:
    _drop.add(_norm(site.getusersitepackages()))
except Exception:
    pass
sys.path[:] = [p for p in sys.path if _norm(p) not in _drop]
site.ENABLE_USER_SITE = False
site.addsitedir(venv_site)
sys.path.insert(0, repo_python)
";

static INTERPRETER: OnceLock<Result<Interpreter, PythonError>> = OnceLock::new();

/// The embedded interpreter, set up once per process for one checkout.
#[derive(Debug)]
pub struct Interpreter {
    root: PathBuf,
    yamlflow: Py<PyModule>,
    load_error: Py<PyType>,
}

/// Facts about the embedded interpreter, for the proof that it is the venv's (NOTES.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// `sys.version`.
    pub version: String,
    /// `platform.python_version()`, such as `3.11.7`.
    pub python_version: String,
    /// Every `sys.path` entry, in order.
    pub sys_path: Vec<String>,
    /// `yamlflow_yaml_events.__file__` (saphyr-parser's events, built into the venv by scripts/setup).
    pub yaml_events_file: String,
    /// `jinja2.__file__`.
    pub jinja2_file: String,
    /// `yamlflow.__file__`.
    pub yamlflow_file: String,
}

/// Why `run_text` did not return events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// `yamlflow.LoadError`: the flow text does not load (contract §1.4); read into the Rust
    /// engine's `LoadError`, the type both twins share.
    Load(Box<yamlflow::LoadError>),
    /// Any other exception, with its traceback.
    Exception(PyException),
}

/// What `yamlflow.run_text` returns: `(events_jsonl, status, final_state_json, console, flow_id,
/// error_json)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextRun {
    /// The events as JSON Lines.
    pub events: String,
    /// `completed` or `failed`.
    pub status: String,
    /// The final state as JSON text.
    pub state: String,
    /// What console handlers wrote.
    pub console: String,
    /// The run's id.
    pub flow_id: String,
    /// The failure `{type, message}` as JSON text, `null` when the run completed.
    pub error: String,
}

/// The Python thread running a call, so that a timeout can stop it.
#[derive(Debug, Clone)]
pub struct PyThread {
    ident: c_ulong,
    active: Arc<AtomicBool>,
}

impl Interpreter {
    /// The process's interpreter, set up for `layout` on first use.
    ///
    /// # Errors
    /// [`PythonError`] when the venv is missing, set-up or `import yamlflow` raises (the same
    /// error on every call), or the interpreter was set up for another checkout.
    pub fn get(layout: &Layout) -> Result<&'static Self, PythonError> {
        match INTERPRETER.get_or_init(|| Self::set_up(layout)) {
            Ok(interpreter) if interpreter.root == layout.root() => Ok(interpreter),
            Ok(interpreter) => Err(PythonError::OtherRoot {
                first: interpreter.root.display().to_string(),
                requested: layout.root().display().to_string(),
            }),
            Err(err) => Err(err.clone()),
        }
    }

    fn set_up(layout: &Layout) -> Result<Self, PythonError> {
        let site = layout
            .site_packages()
            .map_err(|err| PythonError::Layout(err.to_string()))?;
        let python = layout.python();
        Python::attach(|py| {
            let setup = |step, err: PyErr| PythonError::Setup {
                step,
                exception: PyException::from_err(py, &err),
            };
            let globals = PyDict::new(py);
            globals
                .set_item("venv_site", path_str(&site))
                .map_err(|e| setup("binding paths", e))?;
            globals
                .set_item("repo_python", path_str(&python))
                .map_err(|e| setup("binding paths", e))?;
            py.run(SET_UP_SYS_PATH, Some(&globals), None)
                .map_err(|e| setup("setting sys.path", e))?;
            let yamlflow = py
                .import("yamlflow")
                .map_err(|e| setup("import yamlflow", e))?;
            let load_error = yamlflow
                .getattr("LoadError")
                .and_then(|ty| ty.cast_into::<PyType>().map_err(PyErr::from))
                .map_err(|e| setup("yamlflow.LoadError", e))?;
            Ok(Self {
                root: layout.root().to_owned(),
                yamlflow: yamlflow.unbind(),
                load_error: load_error.unbind(),
            })
        })
    }

    /// Facts about the interpreter (`sys.version`, where `yamlflow_yaml_events`, `jinja2` and
    /// `yamlflow` come from).
    ///
    /// # Errors
    /// The exception raised while importing or reading them.
    pub fn environment(&self) -> Result<Environment, PyException> {
        Python::attach(|py| {
            let read = || -> PyResult<Environment> {
                let sys = py.import("sys")?;
                let file = |module: &str| -> PyResult<String> {
                    py.import(module)?.getattr("__file__")?.extract()
                };
                Ok(Environment {
                    version: sys.getattr("version")?.extract()?,
                    python_version: py
                        .import("platform")?
                        .call_method0("python_version")?
                        .extract()?,
                    sys_path: sys.getattr("path")?.extract()?,
                    yaml_events_file: file("yamlflow_yaml_events")?,
                    jinja2_file: file("jinja2")?,
                    yamlflow_file: file("yamlflow")?,
                })
            };
            read().map_err(|err| PyException::from_err(py, &err))
        })
    }

    /// Calls `yamlflow.run_text(text, input_json, sandbox)` (brief: attach once, hand over the
    /// whole flow text, take back the whole JSON Lines text, the status, the final state as JSON
    /// text and the console handlers' output). `started` receives the calling
    /// thread's handle before the call, for [`interrupt`](Self::interrupt).
    ///
    /// # Errors
    /// [`CallError::Load`] for `yamlflow.LoadError`, [`CallError::Exception`] for anything else
    /// (including a missing `run_text` or a result that is not a string).
    pub fn run_text(
        &self,
        text: &str,
        input_json: &str,
        sandbox: &Path,
        started: impl FnOnce(PyThread),
    ) -> Result<TextRun, CallError> {
        Python::attach(|py| {
            let active = Arc::new(AtomicBool::new(true));
            // SAFETY: reads the current thread's identifier; no preconditions.
            let ident = unsafe { pyo3::ffi::PyThread_get_thread_ident() };
            started(PyThread {
                ident,
                active: Arc::clone(&active),
            });
            let result = self
                .yamlflow
                .bind(py)
                .getattr("run_text")
                .and_then(|run_text| run_text.call1((text, input_json, path_str(sandbox))))
                .and_then(|result| {
                    result.extract::<(String, String, String, String, String, String)>()
                })
                .map(|(events, status, state, console, flow_id, error)| TextRun {
                    events,
                    status,
                    state,
                    console,
                    flow_id,
                    error,
                });
            // Cleared while still attached: `interrupt` checks it under the GIL, so it can never
            // hit a later call that reuses this thread id.
            active.store(false, Ordering::SeqCst);
            result.map_err(|err| self.convert(py, &err))
        })
    }

    /// Raises `TimeoutError` in the thread of a call that is still running (a hung fixture).
    /// Returns whether the exception was scheduled. Pure Python code stops at its next bytecode;
    /// a thread blocked inside C (a lock, a sleep) stops when it returns to Python.
    #[must_use]
    pub fn interrupt(&self, thread: &PyThread) -> bool {
        Python::attach(|_py| {
            if !thread.active.load(Ordering::SeqCst) {
                return false;
            }
            let Ok(ident) = c_long::try_from(thread.ident) else {
                return false;
            };
            // SAFETY: attached to the interpreter; `PyExc_TimeoutError` is a static type object
            // and SetAsyncExc takes its own reference.
            unsafe {
                pyo3::ffi::PyThreadState_SetAsyncExc(ident, pyo3::ffi::PyExc_TimeoutError) == 1
            }
        })
    }

    fn convert(&self, py: Python<'_>, err: &PyErr) -> CallError {
        if err.is_instance(py, self.load_error.bind(py)) {
            if let Ok(Some(error)) = load_error::from_py(err.value(py)) {
                return CallError::Load(Box::new(error));
            }
        }
        CallError::Exception(PyException::from_err(py, err))
    }
}

fn path_str(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

//! The pyo3 boundary (STYLE §6): the embedded interpreter and the conversion of Python exceptions.
//! Only text crosses it: the flow text and input JSON in, JSON Lines out.

mod error;
mod interpreter;
mod load_error;

pub use error::{PyException, PythonError};
pub(crate) use interpreter::SET_UP_SYS_PATH;
pub use interpreter::{CallError, Environment, Interpreter, PyThread, TextRun};

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::layout::Layout;

    fn layout() -> Layout {
        Layout::at(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..")).expect("checkout")
    }

    /// NOTES.md: prove that the embedded interpreter is the venv's and imports from it, not from
    /// pyenv's global site-packages (which may hold Jinja2 too).
    #[test]
    fn the_embedded_interpreter_is_the_venvs() {
        let layout = layout();
        let interpreter = Interpreter::get(&layout).expect("interpreter");
        let env = interpreter.environment().expect("environment");
        let venv_version = layout.venv_version().expect("pyvenv.cfg version");
        assert_eq!(env.python_version, venv_version);
        assert!(env.version.starts_with(&venv_version), "{}", env.version);
        let venv = layout.venv().canonicalize().expect("venv");
        for file in [&env.yaml_events_file, &env.jinja2_file] {
            let file = Path::new(file).canonicalize().expect("module file");
            assert!(
                file.starts_with(&venv),
                "imported from outside the venv: {}",
                file.display()
            );
        }
        let yamlflow = Path::new(&env.yamlflow_file)
            .canonicalize()
            .expect("yamlflow");
        assert!(
            yamlflow.starts_with(layout.python()),
            "{}",
            yamlflow.display()
        );
        assert_eq!(
            env.sys_path.first().map(String::as_str),
            Some(layout.python().to_str().expect("utf-8"))
        );
        assert!(
            !env.sys_path
                .iter()
                .any(|p| p.contains(".pyenv") && p.ends_with("site-packages")),
            "pyenv's global site-packages is still on sys.path: {:?}",
            env.sys_path
        );
    }

    #[test]
    fn the_interpreter_serves_one_checkout() {
        let layout = layout();
        Interpreter::get(&layout).expect("interpreter");
        let other = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(other.path().join("fixtures")).expect("fixtures/");
        let other = Layout::at(other.path()).expect("layout");
        assert!(matches!(
            Interpreter::get(&other),
            Err(PythonError::OtherRoot { .. })
        ));
    }
}

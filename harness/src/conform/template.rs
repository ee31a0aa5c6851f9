//! The runtime's command template (`--runtime`): a shell command line with the placeholders
//! `{flow}`, `{input}`, `{events}`, `{sandbox}` and `{state}`, expanded per fixture into paths
//! quoted for `sh -c`.

use std::path::{Path, PathBuf};

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 5] = ["flow", "input", "events", "sandbox", "state"];

/// A template that names an unknown placeholder or none for the flow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{name}` is not one of [`PLACEHOLDERS`].
    #[error(
        "unknown placeholder {{{0}}} in the runtime command (known: {{flow}} {{input}} {{events}} {{sandbox}} {{state}})"
    )]
    Unknown(String),
    /// A `{` without its `}`.
    #[error("unclosed '{{' in the runtime command")]
    Unclosed,
    /// The flow is never handed to the runtime.
    #[error("the runtime command must contain {{flow}}")]
    NoFlow,
}

/// The files of one fixture's run, one per placeholder.
#[derive(Debug, Clone)]
pub struct RunPaths {
    /// A copy of the fixture's flow file.
    pub flow: PathBuf,
    /// A JSON file holding `parity.input`.
    pub input: PathBuf,
    /// Where the runtime writes its JSON Lines events.
    pub events: PathBuf,
    /// A fresh, empty sandbox directory.
    pub sandbox: PathBuf,
    /// Where the runtime writes its final state (with `--state-from file`).
    pub state: PathBuf,
}

impl RunPaths {
    fn get(&self, placeholder: &str) -> &Path {
        match placeholder {
            "flow" => &self.flow,
            "input" => &self.input,
            "events" => &self.events,
            "sandbox" => &self.sandbox,
            _ => &self.state,
        }
    }
}

/// A checked command template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandTemplate {
    text: String,
}

impl CommandTemplate {
    /// Checks `text`: every `{…}` is a known placeholder and `{flow}` is there. `{{` and `}}`
    /// stand for literal braces.
    ///
    /// # Errors
    /// [`TemplateError`] for an unknown or unclosed placeholder, or no `{flow}`.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut names = Vec::new();
        walk(text, |piece| {
            if let Piece::Placeholder(name) = piece {
                names.push(name.to_owned());
            }
        })?;
        if let Some(unknown) = names.iter().find(|n| !PLACEHOLDERS.contains(&n.as_str())) {
            return Err(TemplateError::Unknown(unknown.clone()));
        }
        if !names.iter().any(|n| n == "flow") {
            return Err(TemplateError::NoFlow);
        }
        Ok(Self {
            text: text.to_owned(),
        })
    }

    /// Whether the template uses `{placeholder}`.
    #[must_use]
    pub fn uses(&self, placeholder: &str) -> bool {
        let mut found = false;
        let _ = walk(&self.text, |piece| {
            found |= matches!(piece, Piece::Placeholder(name) if name == placeholder);
        });
        found
    }

    /// The command line for `sh -c`, each placeholder replaced by its path, single-quoted.
    #[must_use]
    pub fn expand(&self, paths: &RunPaths) -> String {
        let mut out = String::new();
        // parse() has checked the template: walking it again cannot fail.
        let _ = walk(&self.text, |piece| match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Placeholder(name) => {
                out.push_str(&shell_quote(&paths.get(name).to_string_lossy()))
            }
        });
        out
    }
}

enum Piece<'t> {
    Text(&'t str),
    Placeholder(&'t str),
}

fn walk<'t>(text: &'t str, mut each: impl FnMut(Piece<'t>)) -> Result<(), TemplateError> {
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        each(Piece::Text(&rest[..open]));
        let tail = &rest[open..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            each(Piece::Text(&tail[..1]));
            rest = &tail[2..];
        } else if let Some(after) = tail.strip_prefix('}') {
            each(Piece::Text("}"));
            rest = after;
        } else {
            let close = tail.find('}').ok_or(TemplateError::Unclosed)?;
            each(Piece::Placeholder(&tail[1..close]));
            rest = &tail[close + 1..];
        }
    }
    each(Piece::Text(rest));
    Ok(())
}

/// `text` as one word for a POSIX shell.
#[must_use]
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> RunPaths {
        RunPaths {
            flow: "/t/a b.yaml".into(),
            input: "/t/input.json".into(),
            events: "/t/it's.jsonl".into(),
            sandbox: "/t/sandbox".into(),
            state: "/t/state.json".into(),
        }
    }

    #[test]
    fn placeholders_become_quoted_paths() {
        let template =
            CommandTemplate::parse("rt run {flow} --input @{input} --events {events} {{x}}")
                .unwrap();
        assert_eq!(
            template.expand(&paths()),
            r"rt run '/t/a b.yaml' --input @'/t/input.json' --events '/t/it'\''s.jsonl' {x}"
        );
        assert!(template.uses("events") && !template.uses("state"));
    }

    #[test]
    fn bad_templates_are_refused() {
        assert_eq!(
            CommandTemplate::parse("rt {flow} {out}"),
            Err(TemplateError::Unknown("out".into()))
        );
        assert_eq!(
            CommandTemplate::parse("rt {flow"),
            Err(TemplateError::Unclosed)
        );
        assert_eq!(CommandTemplate::parse("rt run"), Err(TemplateError::NoFlow));
    }
}

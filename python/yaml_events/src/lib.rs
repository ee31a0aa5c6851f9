//! saphyr-parser's event stream for the Python twin (docs/yaml-parser.md, contract §1.4).
//!
//! Only the tokenizer and the parser are shared with the Rust engine: this module hands the events
//! over as they come, with their spans, and does nothing else. The tree, the core-schema
//! resolution, the tag, key and anchor rules, the limits and the document checks are the twin's own
//! (`python/yamlflow/loader/yaml.py`, the mirror of `engine/src/loader/yaml.rs`).
//!
//! The events are read in batches, as the Rust engine reads them one by one: the twin stops at a
//! limit (contract §6.12) without the parser going on to the end of a 4 MiB document first, and a
//! limit met before a syntax error still wins.

use pyo3::prelude::*;

#[pymodule]
mod yamlflow_yaml_events {
    use std::borrow::Cow;

    use pyo3::prelude::*;
    use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, StrInput, Tag};

    /// One event: `(kind, value, style, anchor, tag, line, column)`.
    type EventTuple = (
        &'static str,
        Option<String>,
        Option<&'static str>,
        usize,
        Option<String>,
        usize,
        usize,
    );

    /// A syntax error: `(info, line, column)`.
    type ErrorTuple = (String, usize, usize);

    /// The events of one text, read on demand (`Events.read`).
    #[pyclass(unsendable)]
    struct Events {
        /// None once the stream has ended or stopped at an error. It borrows `text`.
        parser: Option<Parser<'static, StrInput<'static>>>,
        /// The text, owned here (from `Box::into_raw`) and freed on drop, after the parser.
        text: *mut str,
    }

    impl Drop for Events {
        fn drop(&mut self) {
            self.parser = None;
            // SAFETY: `text` comes from `Box::into_raw` in `events` and is freed only here; the
            // parser, the only borrower, is gone, and no event kept a borrow (they are copied).
            drop(unsafe { Box::from_raw(self.text) });
        }
    }

    /// A reader of the events of `text` (`Events.read`).
    #[pyfunction]
    fn events(text: &str) -> Events {
        let text = Box::into_raw(Box::<str>::from(text));
        // SAFETY: the text lives until `Events` is dropped, which drops the parser first; the
        // events and errors handed to Python are copied into owned values.
        let borrowed: &'static str = unsafe { &*text };
        Events {
            parser: Some(Parser::new_from_str(borrowed)),
            text,
        }
    }

    #[pymethods]
    impl Events {
        /// Up to `n` more events, and the syntax error that ended the stream right after them
        /// (`None` otherwise): `(events, error)`. Past the end (or the error), `([], None)`.
        ///
        /// An event is `(kind, value, style, anchor, tag, line, column)`: `kind` is the name of
        /// saphyr-parser's `Event` variant (`StreamStart`, `DocumentStart`, `Scalar`, `Alias`,
        /// `SequenceStart`, `SequenceEnd`, `MappingStart`, `MappingEnd`, `DocumentEnd`,
        /// `StreamEnd`); `value` a scalar's text; `style` a scalar's style (`plain`, `single`,
        /// `double`, `literal`, `folded`); `anchor` the anchor id a node defines or an alias names
        /// (0: none; a name defined again gets a new id); `tag` a node's full tag
        /// (`tag:yaml.org,2002:int`, `!local`, `!`); `line` (1-based) and `column` (0-based) where
        /// the event's span starts. An error is `(info, line, column)`: saphyr's message and the
        /// position of its marker, numbered the same way.
        fn read(&mut self, n: usize) -> (Vec<EventTuple>, Option<ErrorTuple>) {
            let mut out = Vec::with_capacity(n.min(4096));
            let mut error = None;
            if let Some(parser) = self.parser.as_mut() {
                while out.len() < n {
                    match parser.next() {
                        Some(Ok((event, span))) => out.push(describe(event, span)),
                        Some(Err(err)) => {
                            error = Some(located(&err));
                            break;
                        }
                        None => break,
                    }
                }
                if error.is_some() || out.len() < n {
                    self.parser = None;
                }
            }
            (out, error)
        }
    }

    fn located(err: &ScanError) -> ErrorTuple {
        let mark = err.marker();
        (err.info().to_owned(), mark.line(), mark.col())
    }

    fn describe(event: Event<'_>, span: Span) -> EventTuple {
        let tag_text =
            |tag: Option<Cow<'_, Tag>>| tag.map(|tag| format!("{}{}", tag.handle, tag.suffix));
        let (kind, value, style, anchor, tag) = match event {
            Event::Nothing => ("Nothing", None, None, 0, None),
            Event::StreamStart => ("StreamStart", None, None, 0, None),
            Event::StreamEnd => ("StreamEnd", None, None, 0, None),
            Event::DocumentStart(_) => ("DocumentStart", None, None, 0, None),
            Event::DocumentEnd => ("DocumentEnd", None, None, 0, None),
            Event::Alias(id) => ("Alias", None, None, id, None),
            Event::Scalar(value, style, anchor, tag) => (
                "Scalar",
                Some(value.into_owned()),
                Some(style_name(style)),
                anchor,
                tag_text(tag),
            ),
            Event::SequenceStart(anchor, tag) => {
                ("SequenceStart", None, None, anchor, tag_text(tag))
            }
            Event::SequenceEnd => ("SequenceEnd", None, None, 0, None),
            Event::MappingStart(anchor, tag) => ("MappingStart", None, None, anchor, tag_text(tag)),
            Event::MappingEnd => ("MappingEnd", None, None, 0, None),
        };
        let (line, column) = (span.start.line(), span.start.col());
        (kind, value, style, anchor, tag, line, column)
    }

    fn style_name(style: ScalarStyle) -> &'static str {
        match style {
            ScalarStyle::Plain => "plain",
            ScalarStyle::SingleQuoted => "single",
            ScalarStyle::DoubleQuoted => "double",
            ScalarStyle::Literal => "literal",
            ScalarStyle::Folded => "folded",
        }
    }
}

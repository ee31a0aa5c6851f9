//! Loading flow documents: YAML 1.2 parsing with positions, and the checks of contract §1.4.
//!
//! Phases, in the order the brief pins: YAML syntax (the parser's message and position) and
//! duplicate keys, then the structure of the document (keys, types, values) in document order,
//! then duplicate nodes, unknown nodes, edges and the path from `__start__` to `__end__`.
//!
//! The YAML is read from saphyr's event stream (saphyr-parser, the parser saphyr 0.3 is built on)
//! into a small positioned tree, so every key and value keeps its line and column and a repeated
//! key is reported with its own text. Scalars are resolved by saphyr's YAML 1.2 core schema.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use saphyr::{ScalarOwned, ScalarStyle};
use saphyr_parser::{Event as YamlEvent, Parser, Span};
use serde_json::{Map, Number, Value};

use crate::error::{LoadError, LoadErrorKind};
use crate::event::Level;
use crate::flow::{
    ActionCall, END, Edge, Endpoint, Flow, HandlerSpec, Node, NodeBody, ObservabilitySettings,
    START,
};

/// Reads and validates a flow file.
pub fn load_file(path: impl AsRef<Path>) -> Result<Flow, LoadError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|err| LoadError {
        kind: LoadErrorKind::Io,
        message: err.to_string(),
        file: path.display().to_string(),
        line: None,
        column: None,
        key: None,
    })?;
    load_str(&text, &path.display().to_string())
}

/// Parses and validates a flow document; `origin` names it in errors.
pub fn load_str(text: &str, origin: &str) -> Result<Flow, LoadError> {
    let loader = Loader { origin };
    let root = loader.parse(text)?;
    loader.check_duplicates(&root, &mut String::new())?;
    let doc = loader.structure(root.as_ref())?;
    loader.graph(doc)
}

/// Parses a run's input (`--input`, the harness's `parity.input` text): a JSON object; blank text
/// is `{}`. Anything else is a LoadError of kind `Io` named by `origin` (contract §6):
/// text that is not JSON, NaN/Infinity (serde_json refuses them), an integer literal outside i64
/// → `input is not valid JSON: ...`; another JSON value → `input must be a JSON object`.
pub fn parse_input(text: &str, origin: &str) -> Result<Map<String, Value>, LoadError> {
    let error = |message: String| LoadError {
        kind: LoadErrorKind::Io,
        message,
        file: origin.to_owned(),
        line: None,
        column: None,
        key: None,
    };
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    // The same parser as json.parse (the same depth limit).
    let value = crate::actions::json::parse_text(text)
        .map_err(|err| error(format!("input is not valid JSON: {err}")))?;
    if let Some(literal) = wide_int_literal(text) {
        return Err(error(format!(
            "input is not valid JSON: integer outside 64 bits: {literal}"
        )));
    }
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(error("input must be a JSON object".to_owned())),
    }
}

/// The first integer literal of valid JSON `text` outside i64, if any. serde_json turns integers
/// beyond u64 into floats, so the literals themselves are checked.
fn wide_int_literal(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < bytes.len()
                    && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                let literal = &text[start..i];
                if !literal.contains(['.', 'e', 'E']) && literal.parse::<i64>().is_err() {
                    return Some(literal);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// Collections may nest this deep (the root is level 1); deeper is the YamlSyntax error
/// `document nests too deeply` in both engines (contract §6).
const MAX_NESTING: usize = 256;

/// A 1-based position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Pos {
    line: usize,
    column: usize,
}

impl Pos {
    fn of(span: &Span) -> Self {
        // saphyr: line 1-based, column 0-based (NOTES.md).
        Self {
            line: span.start.line(),
            column: span.start.col() + 1,
        }
    }
}

/// A YAML node with its position.
#[derive(Debug, Clone)]
struct YNode {
    pos: Pos,
    kind: YKind,
}

#[derive(Debug, Clone)]
enum YKind {
    /// A resolved scalar and whether its plain text looks like an integer (for the 64-bit check).
    Scalar(ScalarOwned, bool),
    /// A scalar the core schema cannot resolve (a core tag with a bad value).
    Bad,
    Seq(Vec<YNode>),
    /// Entries in document order, duplicates kept (checked in their own phase).
    Map(Vec<(YNode, YNode)>),
}

impl YNode {
    fn as_map(&self) -> Option<&[(YNode, YNode)]> {
        match &self.kind {
            YKind::Map(entries) => Some(entries),
            _ => None,
        }
    }
    /// The position of the value under `key` in a mapping, else the node's own.
    fn value_pos(&self, key: &str) -> Pos {
        self.as_map()
            .and_then(|entries| entries.iter().find(|(k, _)| k.as_str() == Some(key)))
            .map_or(self.pos, |(_, value)| value.pos)
    }
    fn as_seq(&self) -> Option<&[YNode]> {
        match &self.kind {
            YKind::Seq(items) => Some(items),
            _ => None,
        }
    }
    fn as_str(&self) -> Option<&str> {
        match &self.kind {
            YKind::Scalar(ScalarOwned::String(s), _) => Some(s),
            _ => None,
        }
    }
    /// The text a mapping key stands for (Python's json turns non-string keys into their JSON
    /// spelling: `1`, `true`, `null`).
    fn key_text(&self) -> Option<String> {
        match &self.kind {
            YKind::Scalar(ScalarOwned::String(s), _) => Some(s.clone()),
            YKind::Scalar(ScalarOwned::Integer(i), _) => Some(i.to_string()),
            YKind::Scalar(ScalarOwned::Boolean(b), _) => Some(b.to_string()),
            YKind::Scalar(ScalarOwned::Null, _) => Some("null".into()),
            YKind::Scalar(ScalarOwned::FloatingPoint(f), _) => Some(crate::pyrepr::float_repr(f.0)),
            _ => None,
        }
    }
}

/// Whether a plain scalar is an integer literal of the YAML 1.2 core schema.
fn looks_like_int(text: &str) -> bool {
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    if let Some(rest) = text.strip_prefix("0o") {
        return digits(rest, 8);
    }
    if let Some(rest) = text.strip_prefix("0x") {
        return digits(rest, 16);
    }
    digits(text.strip_prefix(['-', '+']).unwrap_or(text), 10)
}

struct Loader<'o> {
    origin: &'o str,
}

/// The top-level values of a structurally valid document, with positions for the graph checks.
struct Doc<'y> {
    name: String,
    description: Option<String>,
    state: Map<String, Value>,
    observability: ObservabilitySettings,
    nodes: Vec<(Node, &'y YNode)>,
    node_refs: Vec<NodeRef<'y>>,
    edges: Vec<(Edge, &'y YNode)>,
    edges_node: Option<&'y YNode>,
}

/// A node name mentioned by an edge or `on_error`, for the UnknownNode check.
struct NodeRef<'y> {
    name: String,
    node: &'y YNode,
    key: String,
}

impl<'o> Loader<'o> {
    fn error(
        &self,
        kind: LoadErrorKind,
        message: impl Into<String>,
        pos: Option<Pos>,
        key: Option<String>,
    ) -> LoadError {
        LoadError {
            kind,
            message: message.into(),
            file: self.origin.to_owned(),
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.column),
            key,
        }
    }

    fn invalid(&self, message: impl Into<String>, node: &YNode, key: &str) -> LoadError {
        self.error(
            LoadErrorKind::InvalidValue,
            message,
            Some(node.pos),
            Some(key.to_owned()),
        )
    }

    // ---- phase 1: YAML ----

    fn parse(&self, text: &str) -> Result<Option<YNode>, LoadError> {
        enum Frame {
            Seq(Pos, Vec<YNode>, usize),
            Map(Pos, Vec<(YNode, YNode)>, Option<YNode>, usize),
        }
        let syntax = |err: saphyr::ScanError| {
            let mark = err.marker();
            self.error(
                LoadErrorKind::YamlSyntax,
                err.info().to_owned(),
                Some(Pos {
                    line: mark.line(),
                    column: mark.col() + 1,
                }),
                None,
            )
        };
        let mut stack: Vec<Frame> = Vec::new();
        let mut anchors: HashMap<usize, YNode> = HashMap::new();
        let mut root: Option<YNode> = None;
        let mut documents = 0usize;
        // The first collection nested deeper than MAX_NESTING (contract §6). Parsing goes on so
        // a later syntax error still wins, as in the Python twin; nodes below that depth are not
        // attached, so the tree (and its recursive drop and checks) stays shallow.
        let mut too_deep: Option<Pos> = None;
        for item in Parser::new_from_str(text) {
            let (event, span) = match item {
                Ok(item) => item,
                // saphyr's scanner stops at 255 nested flow collections: that is this error too,
                // at the first collection deeper than the limit when one was seen already.
                Err(err) if err.info() == "recursion limit exceeded" => {
                    let mark = err.marker();
                    let pos = too_deep.unwrap_or(Pos {
                        line: mark.line(),
                        column: mark.col() + 1,
                    });
                    return Err(self.error(
                        LoadErrorKind::YamlSyntax,
                        "document nests too deeply",
                        Some(pos),
                        None,
                    ));
                }
                Err(err) => return Err(syntax(err)),
            };
            let pos = Pos::of(&span);
            let finished: Option<(YNode, usize)> = match event {
                YamlEvent::DocumentStart(_) => {
                    documents += 1;
                    if documents > 1 {
                        return Err(self.error(
                            LoadErrorKind::YamlSyntax,
                            "expected a single document in the stream",
                            Some(pos),
                            None,
                        ));
                    }
                    None
                }
                YamlEvent::Scalar(text, style, anchor, tag) => {
                    let int_like =
                        style == ScalarStyle::Plain && tag.is_none() && looks_like_int(&text);
                    let kind = match ScalarOwned::parse_from_cow_and_metadata(
                        Cow::Borrowed(&text),
                        style,
                        tag.as_ref(),
                    ) {
                        Some(scalar) => YKind::Scalar(scalar, int_like),
                        None => YKind::Bad,
                    };
                    Some((YNode { pos, kind }, anchor))
                }
                YamlEvent::Alias(id) => match anchors.get(&id) {
                    Some(node) => Some((node.clone(), 0)),
                    None => {
                        return Err(self.error(
                            LoadErrorKind::YamlSyntax,
                            "unknown anchor",
                            Some(pos),
                            None,
                        ));
                    }
                },
                YamlEvent::SequenceStart(anchor, _) => {
                    stack.push(Frame::Seq(pos, Vec::new(), anchor));
                    if stack.len() > MAX_NESTING && too_deep.is_none() {
                        too_deep = Some(pos);
                    }
                    None
                }
                YamlEvent::MappingStart(anchor, _) => {
                    stack.push(Frame::Map(pos, Vec::new(), None, anchor));
                    if stack.len() > MAX_NESTING && too_deep.is_none() {
                        too_deep = Some(pos);
                    }
                    None
                }
                YamlEvent::SequenceEnd => match stack.pop() {
                    Some(Frame::Seq(pos, items, anchor)) => Some((
                        YNode {
                            pos,
                            kind: YKind::Seq(items),
                        },
                        anchor,
                    )),
                    _ => None,
                },
                YamlEvent::MappingEnd => match stack.pop() {
                    Some(Frame::Map(pos, entries, _, anchor)) => Some((
                        YNode {
                            pos,
                            kind: YKind::Map(entries),
                        },
                        anchor,
                    )),
                    _ => None,
                },
                _ => None,
            };
            if let Some((node, anchor)) = finished {
                if too_deep.is_some() {
                    continue;
                }
                if anchor > 0 {
                    anchors.insert(anchor, node.clone());
                }
                match stack.last_mut() {
                    Some(Frame::Seq(_, items, _)) => items.push(node),
                    Some(Frame::Map(_, entries, pending, _)) => match pending.take() {
                        Some(key) => entries.push((key, node)),
                        None => *pending = Some(node),
                    },
                    None => root = Some(node),
                }
            }
        }
        if let Some(pos) = too_deep {
            return Err(self.error(
                LoadErrorKind::YamlSyntax,
                "document nests too deeply",
                Some(pos),
                None,
            ));
        }
        Ok(root)
    }

    /// Duplicate keys anywhere in the document (the second key's position), in document order.
    fn check_duplicates(&self, node: &Option<YNode>, path: &mut String) -> Result<(), LoadError> {
        fn walk(loader: &Loader<'_>, node: &YNode, path: &mut String) -> Result<(), LoadError> {
            match &node.kind {
                YKind::Map(entries) => {
                    let mut seen: HashSet<String> = HashSet::with_capacity(entries.len());
                    for (key, value) in entries {
                        let text = key.key_text().ok_or_else(|| {
                            loader.error(
                                LoadErrorKind::InvalidValue,
                                "mapping keys must be scalars",
                                Some(key.pos),
                                Some(path.clone()),
                            )
                        })?;
                        let len = path.len();
                        if !path.is_empty() {
                            path.push('.');
                        }
                        path.push_str(&text);
                        if !seen.insert(text.clone()) {
                            return Err(loader.error(
                                LoadErrorKind::DuplicateKey,
                                format!("duplicate key '{text}'"),
                                Some(key.pos),
                                Some(path.clone()),
                            ));
                        }
                        walk(loader, value, path)?;
                        path.truncate(len);
                    }
                }
                YKind::Seq(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let len = path.len();
                        path.push_str(&format!("[{i}]"));
                        walk(loader, item, path)?;
                        path.truncate(len);
                    }
                }
                _ => {}
            }
            Ok(())
        }
        match node {
            Some(node) => walk(self, node, path),
            None => Ok(()),
        }
    }

    /// Converts a YAML value to JSON: integers must fit 64 bits, floats must be finite.
    fn to_json(&self, node: &YNode, key: &str) -> Result<Value, LoadError> {
        Ok(match &node.kind {
            YKind::Scalar(scalar, int_like) => match scalar {
                ScalarOwned::Null => Value::Null,
                ScalarOwned::Boolean(b) => Value::Bool(*b),
                ScalarOwned::Integer(i) => Value::Number((*i).into()),
                ScalarOwned::FloatingPoint(f) => {
                    if *int_like {
                        return Err(self.invalid("integer outside 64 bits", node, key));
                    }
                    match Number::from_f64(f.0) {
                        Some(n) if f.0.is_finite() => Value::Number(n),
                        _ => return Err(self.invalid("non-finite number", node, key)),
                    }
                }
                ScalarOwned::String(s) => {
                    if *int_like {
                        return Err(self.invalid("integer outside 64 bits", node, key));
                    }
                    Value::String(s.clone())
                }
            },
            YKind::Bad => {
                return Err(self.invalid(format!("{key} has an invalid tagged value"), node, key));
            }
            YKind::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.push(self.to_json(item, &format!("{key}[{i}]"))?);
                }
                Value::Array(out)
            }
            YKind::Map(entries) => Value::Object(self.map_to_json(entries, key)?),
        })
    }

    fn map_to_json(
        &self,
        entries: &[(YNode, YNode)],
        key: &str,
    ) -> Result<Map<String, Value>, LoadError> {
        let mut out = Map::with_capacity(entries.len());
        for (k, v) in entries {
            let text = k.key_text().unwrap_or_default();
            let path = if key.is_empty() {
                text.clone()
            } else {
                format!("{key}.{text}")
            };
            out.insert(text, self.to_json(v, &path)?);
        }
        Ok(out)
    }

    // ---- phase 2: structure ----

    fn expect_map<'y>(
        &self,
        node: &'y YNode,
        key: &str,
    ) -> Result<&'y [(YNode, YNode)], LoadError> {
        node.as_map()
            .ok_or_else(|| self.invalid(format!("{key} must be an object"), node, key))
    }
    fn expect_seq<'y>(&self, node: &'y YNode, key: &str) -> Result<&'y [YNode], LoadError> {
        node.as_seq()
            .ok_or_else(|| self.invalid(format!("{key} must be a list"), node, key))
    }
    /// A list with at least one item (`nodes`, `edges`, a node's `steps`).
    fn expect_items<'y>(&self, node: &'y YNode, key: &str) -> Result<&'y [YNode], LoadError> {
        let items = self.expect_seq(node, key)?;
        if items.is_empty() {
            return Err(self.invalid(format!("{key} must not be empty"), node, key));
        }
        Ok(items)
    }
    fn expect_str<'y>(&self, node: &'y YNode, key: &str) -> Result<&'y str, LoadError> {
        node.as_str()
            .ok_or_else(|| self.invalid(format!("{key} must be a string"), node, key))
    }
    fn expect_name(&self, node: &YNode, key: &str, reserved_ok: bool) -> Result<String, LoadError> {
        let name = self.expect_str(node, key)?;
        if !reserved_ok && (name == START || name == END) {
            return Err(self.invalid(format!("reserved name '{name}'"), node, key));
        }
        if !(reserved_ok && (name == START || name == END)) && !valid_name(name) {
            return Err(self.invalid(format!("invalid name '{name}'"), node, key));
        }
        Ok(name.to_owned())
    }
    fn unknown_key(&self, key: &YNode, path: &str) -> LoadError {
        let text = key.key_text().unwrap_or_default();
        self.error(
            LoadErrorKind::UnknownKey,
            format!("unknown key '{text}'"),
            Some(key.pos),
            Some(join(path, &text)),
        )
    }
    fn missing_key(&self, map: &YNode, path: &str, name: &str) -> LoadError {
        self.error(
            LoadErrorKind::MissingKey,
            format!("missing key '{name}'"),
            Some(map.pos),
            Some(join(path, name)),
        )
    }

    fn structure<'y>(&self, root: Option<&'y YNode>) -> Result<Doc<'y>, LoadError> {
        let Some(root) = root else {
            return Err(self.error(
                LoadErrorKind::InvalidValue,
                "the document must be an object",
                None,
                None,
            ));
        };
        let Some(entries) = root.as_map() else {
            return Err(self.error(
                LoadErrorKind::InvalidValue,
                "the document must be an object",
                Some(root.pos),
                None,
            ));
        };
        let mut doc = Doc {
            name: String::new(),
            description: None,
            state: Map::new(),
            observability: ObservabilitySettings::default(),
            nodes: Vec::new(),
            node_refs: Vec::new(),
            edges: Vec::new(),
            edges_node: None,
        };
        let (mut has_name, mut has_nodes, mut has_edges) = (false, false, false);
        for (key, value) in entries {
            match key.as_str().unwrap_or_default() {
                "name" => {
                    doc.name = self.expect_name(value, "name", false)?;
                    has_name = true;
                }
                "description" => {
                    doc.description = Some(self.expect_str(value, "description")?.to_owned())
                }
                "state" => {
                    doc.state = self.map_to_json(self.expect_map(value, "state")?, "state")?
                }
                "settings" => doc.observability = self.settings(value)?,
                "nodes" => {
                    let items = self.expect_items(value, "nodes")?;
                    for (i, item) in items.iter().enumerate() {
                        let node = self.node(item, i, &mut doc.node_refs)?;
                        doc.nodes.push((node, item));
                    }
                    has_nodes = true;
                }
                "edges" => {
                    let items = self.expect_items(value, "edges")?;
                    for (i, item) in items.iter().enumerate() {
                        let edge = self.edge(item, i, &mut doc.node_refs)?;
                        doc.edges.push((edge, item));
                    }
                    doc.edges_node = Some(value);
                    has_edges = true;
                }
                // Reserved for the harness (contract §5): engines ignore it.
                "parity" => {}
                _ => return Err(self.unknown_key(key, "")),
            }
        }
        for (present, name) in [
            (has_name, "name"),
            (has_nodes, "nodes"),
            (has_edges, "edges"),
        ] {
            if !present {
                return Err(self.missing_key(root, "", name));
            }
        }
        Ok(doc)
    }

    fn settings(&self, value: &YNode) -> Result<ObservabilitySettings, LoadError> {
        let mut settings = ObservabilitySettings::default();
        for (key, value) in self.expect_map(value, "settings")? {
            match key.as_str().unwrap_or_default() {
                "observability" => settings = self.observability(value)?,
                _ => return Err(self.unknown_key(key, "settings")),
            }
        }
        Ok(settings)
    }

    fn observability(&self, value: &YNode) -> Result<ObservabilitySettings, LoadError> {
        const P: &str = "settings.observability";
        let mut settings = ObservabilitySettings::default();
        for (key, value) in self.expect_map(value, P)? {
            let name = key.as_str().unwrap_or_default();
            let path = join(P, name);
            match name {
                "enabled" => match &value.kind {
                    YKind::Scalar(ScalarOwned::Boolean(b), _) => settings.enabled = *b,
                    _ => {
                        return Err(self.invalid(
                            format!("{path} must be a boolean"),
                            value,
                            &path,
                        ));
                    }
                },
                "level" => {
                    let text = self.expect_str(value, &path)?;
                    settings.level = Level::parse(text).ok_or_else(|| {
                        self.invalid(format!("unknown level '{text}'"), value, &path)
                    })?;
                }
                "buffer_size" => {
                    let size = self.expect_int(value, &path)?;
                    if size < 1 {
                        return Err(self.invalid(
                            format!("{path} must be at least 1"),
                            value,
                            &path,
                        ));
                    }
                    settings.buffer_size = usize::try_from(size).unwrap_or(usize::MAX);
                }
                "handlers" => {
                    for (i, item) in self.expect_seq(value, &path)?.iter().enumerate() {
                        settings
                            .handlers
                            .push(self.handler(item, &format!("{path}[{i}]"))?);
                    }
                }
                "redact" => {
                    for (i, item) in self.expect_seq(value, &path)?.iter().enumerate() {
                        let item_path = format!("{path}[{i}]");
                        let text = self.expect_str(item, &item_path)?;
                        if text.is_empty() {
                            return Err(self.invalid(
                                format!("{item_path} must not be empty"),
                                item,
                                &item_path,
                            ));
                        }
                        settings.redact.push(text.to_owned());
                    }
                }
                _ => return Err(self.unknown_key(key, P)),
            }
        }
        Ok(settings)
    }

    fn expect_int(&self, node: &YNode, key: &str) -> Result<i64, LoadError> {
        match &node.kind {
            YKind::Scalar(ScalarOwned::Integer(i), _) => Ok(*i),
            YKind::Scalar(_, true) => Err(self.invalid("integer outside 64 bits", node, key)),
            _ => Err(self.invalid(format!("{key} must be an integer"), node, key)),
        }
    }

    fn handler(&self, node: &YNode, path: &str) -> Result<HandlerSpec, LoadError> {
        let (mut kind, mut file_path) = (None, None);
        for (key, value) in self.expect_map(node, path)? {
            let name = key.as_str().unwrap_or_default();
            let key_path = join(path, name);
            match name {
                "type" => {
                    let text = self.expect_str(value, &key_path)?;
                    if !matches!(text, "console" | "file" | "callback") {
                        return Err(self.invalid(
                            format!("unknown handler type '{text}'"),
                            value,
                            &key_path,
                        ));
                    }
                    kind = Some(text.to_owned());
                }
                "path" => file_path = Some(self.expect_str(value, &key_path)?.to_owned()),
                _ => return Err(self.unknown_key(key, path)),
            }
        }
        match kind.as_deref() {
            None => Err(self.missing_key(node, path, "type")),
            Some("console") => Ok(HandlerSpec::Console),
            Some("callback") => Ok(HandlerSpec::Callback),
            _ => match file_path {
                Some(path) => Ok(HandlerSpec::File { path }),
                None => Err(self.missing_key(node, path, "path")),
            },
        }
    }

    fn node<'y>(
        &self,
        item: &'y YNode,
        index: usize,
        refs: &mut Vec<NodeRef<'y>>,
    ) -> Result<Node, LoadError> {
        let path = format!("nodes[{index}]");
        let entries = self.expect_map(item, &path)?;
        let mut name = None;
        let mut uses: Option<(String, &YNode)> = None;
        let mut with: Option<Map<String, Value>> = None;
        let mut with_node: Option<&YNode> = None;
        let mut output: Option<(String, &YNode)> = None;
        let mut max_attempts = 1u32;
        let mut on_error = None;
        let mut steps: Option<(Vec<ActionCall>, &YNode)> = None;
        for (key, value) in entries {
            let key_name = key.as_str().unwrap_or_default();
            let key_path = join(&path, key_name);
            match key_name {
                "name" => name = Some(self.expect_name(value, &key_path, false)?),
                "uses" => uses = Some((self.expect_str(value, &key_path)?.to_owned(), value)),
                "with" => {
                    with = Some(self.map_to_json(self.expect_map(value, &key_path)?, &key_path)?);
                    with_node = Some(value);
                }
                "output" => output = Some((self.expect_name(value, &key_path, false)?, value)),
                "retry" => max_attempts = self.retry(value, &key_path)?,
                "on_error" => {
                    let target = self.expect_name(value, &key_path, false)?;
                    refs.push(NodeRef {
                        name: target.clone(),
                        node: value,
                        key: key_path.clone(),
                    });
                    on_error = Some(target);
                }
                "steps" => {
                    let items = self.expect_items(value, &key_path)?;
                    let mut calls = Vec::with_capacity(items.len());
                    for (i, step) in items.iter().enumerate() {
                        calls.push(self.step(step, &format!("{key_path}[{i}]"))?);
                    }
                    steps = Some((calls, value));
                }
                _ => return Err(self.unknown_key(key, &path)),
            }
        }
        let Some(name) = name else {
            return Err(self.missing_key(item, &path, "name"));
        };
        let body = match (uses, steps) {
            (Some((uses, _)), None) => NodeBody::Action(ActionCall {
                uses,
                with: with.unwrap_or_default(),
                output: output.map(|(o, _)| o),
            }),
            (None, Some((calls, _))) => {
                if let Some((_, node)) = output {
                    return Err(self.invalid(
                        "a steps node has no 'output'",
                        node,
                        &join(&path, "output"),
                    ));
                }
                if let Some(node) = with_node {
                    return Err(self.invalid(
                        "a steps node has no 'with'",
                        node,
                        &join(&path, "with"),
                    ));
                }
                NodeBody::Steps(calls)
            }
            _ => {
                return Err(self.invalid(
                    "a node needs exactly one of 'uses' and 'steps'",
                    item,
                    &path,
                ));
            }
        };
        Ok(Node {
            name,
            body,
            max_attempts,
            on_error,
        })
    }

    fn retry(&self, value: &YNode, path: &str) -> Result<u32, LoadError> {
        let mut max = None;
        for (key, item) in self.expect_map(value, path)? {
            let name = key.as_str().unwrap_or_default();
            match name {
                "max_attempts" => {
                    let key_path = join(path, name);
                    let n = self.expect_int(item, &key_path)?;
                    if n < 1 {
                        return Err(self.invalid(
                            "retry.max_attempts must be at least 1",
                            item,
                            &key_path,
                        ));
                    }
                    max = Some(u32::try_from(n).unwrap_or(u32::MAX));
                }
                _ => return Err(self.unknown_key(key, path)),
            }
        }
        max.ok_or_else(|| self.missing_key(value, path, "max_attempts"))
    }

    fn step(&self, item: &YNode, path: &str) -> Result<ActionCall, LoadError> {
        let mut call = ActionCall {
            uses: String::new(),
            with: Map::new(),
            output: None,
        };
        let mut has_uses = false;
        for (key, value) in self.expect_map(item, path)? {
            let name = key.as_str().unwrap_or_default();
            let key_path = join(path, name);
            match name {
                "uses" => {
                    call.uses = self.expect_str(value, &key_path)?.to_owned();
                    has_uses = true;
                }
                "with" => {
                    call.with = self.map_to_json(self.expect_map(value, &key_path)?, &key_path)?
                }
                "output" => call.output = Some(self.expect_name(value, &key_path, false)?),
                _ => return Err(self.unknown_key(key, path)),
            }
        }
        if !has_uses {
            return Err(self.missing_key(item, path, "uses"));
        }
        Ok(call)
    }

    fn edge<'y>(
        &self,
        item: &'y YNode,
        index: usize,
        refs: &mut Vec<NodeRef<'y>>,
    ) -> Result<Edge, LoadError> {
        let path = format!("edges[{index}]");
        let (mut from, mut to, mut when) = (None, None, None);
        let mut when_node = None;
        for (key, value) in self.expect_map(item, &path)? {
            let name = key.as_str().unwrap_or_default();
            let key_path = join(&path, name);
            match name {
                "from" => from = Some((self.endpoint(value, &key_path, START, END, refs)?, value)),
                "to" => to = Some((self.endpoint(value, &key_path, END, START, refs)?, value)),
                "when" => {
                    when = Some(self.expect_str(value, &key_path)?.to_owned());
                    when_node = Some(value);
                }
                _ => return Err(self.unknown_key(key, &path)),
            }
        }
        let Some((from, _)) = from else {
            return Err(self.missing_key(item, &path, "from"));
        };
        let Some((to, _)) = to else {
            return Err(self.missing_key(item, &path, "to"));
        };
        if let (Endpoint::Many(_), Some(node)) = (&from, when_node) {
            return Err(self.invalid("a fan-in edge has no 'when'", node, &join(&path, "when")));
        }
        Ok(Edge { from, to, when })
    }

    /// An edge end: a node name or the pseudo-node `allowed` (`__start__` for `from`, `__end__`
    /// for `to`), or a list of at least two distinct node names.
    fn endpoint<'y>(
        &self,
        value: &'y YNode,
        path: &str,
        allowed: &str,
        forbidden: &str,
        refs: &mut Vec<NodeRef<'y>>,
    ) -> Result<Endpoint, LoadError> {
        match &value.kind {
            YKind::Seq(items) => {
                let mut names = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    let name = self.expect_name(item, &item_path, false)?;
                    if names.contains(&name) {
                        return Err(self.invalid(
                            format!("{path} lists '{name}' twice"),
                            item,
                            &item_path,
                        ));
                    }
                    refs.push(NodeRef {
                        name: name.clone(),
                        node: item,
                        key: item_path,
                    });
                    names.push(name);
                }
                if names.len() < 2 {
                    return Err(self.invalid(
                        format!("{path} must list at least two nodes"),
                        value,
                        path,
                    ));
                }
                Ok(Endpoint::Many(names))
            }
            _ => {
                let text = self.expect_str(value, path)?;
                if text == forbidden {
                    return Err(self.invalid(format!("reserved name '{text}'"), value, path));
                }
                let name = self.expect_name(value, path, true)?;
                if name != allowed && (name == START || name == END) {
                    return Err(self.invalid(format!("reserved name '{name}'"), value, path));
                }
                if name != allowed {
                    refs.push(NodeRef {
                        name: name.clone(),
                        node: value,
                        key: path.to_owned(),
                    });
                }
                Ok(Endpoint::One(name))
            }
        }
    }

    // ---- phase 3: graph ----

    fn graph(&self, doc: Doc<'_>) -> Result<Flow, LoadError> {
        // Duplicate nodes: the second name's position.
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, (node, item)) in doc.nodes.iter().enumerate() {
            if index.insert(node.name.as_str(), i).is_some() {
                let name_node = item
                    .as_map()
                    .and_then(|e| e.iter().find(|(k, _)| k.as_str() == Some("name")))
                    .map(|(_, v)| v)
                    .unwrap_or(item);
                return Err(self.error(
                    LoadErrorKind::DuplicateNode,
                    format!("duplicate node '{}'", node.name),
                    Some(name_node.pos),
                    Some(format!("nodes[{i}].name")),
                ));
            }
        }
        // Unknown nodes, in document order.
        let mut refs: Vec<&NodeRef<'_>> = doc.node_refs.iter().collect();
        refs.sort_by_key(|r| r.node.pos);
        for r in &refs {
            if !index.contains_key(r.name.as_str()) {
                return Err(self.error(
                    LoadErrorKind::UnknownNode,
                    format!("unknown node '{}'", r.name),
                    Some(r.node.pos),
                    Some(r.key.clone()),
                ));
            }
        }
        let edges: Vec<&Edge> = doc.edges.iter().map(|(e, _)| e).collect();
        // Fan-out branches leave through their fan-in edge instead of an unconditional edge.
        let branches: HashSet<&str> = edges
            .iter()
            .filter_map(|e| match &e.to {
                Endpoint::Many(names) => Some(names.iter().map(String::as_str)),
                _ => None,
            })
            .flatten()
            .collect();
        // A fan-out branch runs only inside its fan-out (contract §6): a single-target edge or an
        // `on_error` leading to it is refused at that reference, in document order.
        for r in &refs {
            let single_target = r.key.ends_with(".on_error")
                || (r.key.starts_with("edges[") && r.key.ends_with("].to"));
            if single_target && branches.contains(r.name.as_str()) {
                return Err(self.invalid(
                    format!(
                        "node '{}' is a fan-out branch and cannot be reached otherwise",
                        r.name
                    ),
                    r.node,
                    &r.key,
                ));
            }
        }
        let mut sources: Vec<(&str, Option<(usize, &crate::flow::Node)>)> = vec![(START, None)];
        sources.extend(
            doc.nodes
                .iter()
                .enumerate()
                .map(|(i, (n, _))| (n.name.as_str(), Some((i, n)))),
        );
        for (name, node) in sources {
            let unconditional: Vec<usize> = edges
                .iter()
                .enumerate()
                .filter(|(_, e)| e.when.is_none() && e.from == Endpoint::One(name.to_owned()))
                .map(|(j, _)| j)
                .collect();
            if unconditional.len() > 1 {
                let j = unconditional[1];
                return Err(self.error(
                    LoadErrorKind::MissingEdge,
                    format!("node '{name}' has more than one unconditional outgoing edge"),
                    Some(doc.edges[j].1.value_pos("from")),
                    Some(format!("edges[{j}].from")),
                ));
            }
            if unconditional.is_empty() && !branches.contains(name) {
                let (pos, key) = match node {
                    Some((i, _)) => (
                        Some(doc.nodes[i].1.value_pos("name")),
                        Some(format!("nodes[{i}].name")),
                    ),
                    None => (doc.edges_node.map(|n| n.pos), Some("edges".to_owned())),
                };
                return Err(self.error(
                    LoadErrorKind::MissingEdge,
                    format!("node '{name}' has no unconditional outgoing edge"),
                    pos,
                    key,
                ));
            }
        }
        for (j, edge) in edges.iter().enumerate() {
            if let Endpoint::Many(names) = &edge.to {
                if fan_in(&edges, names).is_none() {
                    let to_node = doc.edges[j]
                        .1
                        .as_map()
                        .and_then(|e| e.iter().find(|(k, _)| k.as_str() == Some("to")))
                        .map(|(_, v)| v)
                        .unwrap_or(doc.edges[j].1);
                    return Err(self.error(
                        LoadErrorKind::MissingEdge,
                        format!("fan-out to [{}] has no fan-in edge", names.join(", ")),
                        Some(to_node.pos),
                        Some(format!("edges[{j}].to")),
                    ));
                }
            }
        }
        let nodes: Vec<Node> = doc.nodes.into_iter().map(|(n, _)| n).collect();
        let edges: Vec<Edge> = doc.edges.into_iter().map(|(e, _)| e).collect();
        if !reaches_end(&nodes, &edges) {
            return Err(self.error(
                LoadErrorKind::NoPath,
                "no path from __start__ to __end__",
                None,
                None,
            ));
        }
        Ok(Flow {
            origin: self.origin.to_owned(),
            name: doc.name,
            description: doc.description,
            state: doc.state,
            observability: doc.observability,
            nodes,
            edges,
        })
    }
}

/// The fan-in edge of a fan-out: the edge whose `from` lists exactly `branches`, in any order.
pub(crate) fn fan_in<'e, E: std::borrow::Borrow<Edge>>(
    edges: &'e [E],
    branches: &[String],
) -> Option<&'e Edge> {
    edges.iter().map(|e| e.borrow()).find(|e| match &e.from {
        Endpoint::Many(from) => {
            from.len() == branches.len() && branches.iter().all(|b| from.contains(b))
        }
        _ => false,
    })
}

/// Whether `__end__` is reachable from `__start__` along edges, fan-outs (through their fan-in)
/// and `on_error` routes.
fn reaches_end(nodes: &[Node], edges: &[Edge]) -> bool {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut queue: Vec<&str> = vec![START];
    while let Some(current) = queue.pop() {
        if current == END {
            return true;
        }
        if !seen.insert(current) {
            continue;
        }
        let mut targets: Vec<&str> = Vec::new();
        for edge in edges {
            let from_here = match &edge.from {
                Endpoint::One(name) => name == current,
                Endpoint::Many(names) => names.iter().any(|n| n == current),
            };
            if !from_here {
                continue;
            }
            match &edge.to {
                Endpoint::One(name) => targets.push(name),
                Endpoint::Many(names) => targets.extend(names.iter().map(String::as_str)),
            }
        }
        if let Some(node) = nodes.iter().find(|n| n.name == current) {
            if let Some(target) = &node.on_error {
                targets.push(target);
            }
        }
        queue.extend(targets);
    }
    false
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> LoadError {
        load_str(text, "t.yaml").unwrap_err()
    }

    const OK: &str = "name: f\nnodes:\n  - name: a\n    uses: state.set\nedges:\n  - {from: __start__, to: a}\n  - {from: a, to: __end__}\n";

    const FAN: &str = "name: f\nnodes:\n  - {name: a, uses: state.set}\n  - {name: b, uses: state.set}\n  - {name: c, uses: state.set}\nedges:\n  - {from: __start__, to: c}\n  - {from: c, to: [a, b]}\n  - {from: [a, b], to: __end__}\n";

    #[test]
    fn branches_cannot_be_reached_otherwise() {
        // contract §6: the offending reference, in document order, after UnknownNode.
        let e = err(&FAN.replace("to: c}", "to: a}"));
        assert_eq!(
            (
                e.kind,
                e.message.as_str(),
                e.key.as_deref(),
                e.line,
                e.column
            ),
            (
                LoadErrorKind::InvalidValue,
                "node 'a' is a fan-out branch and cannot be reached otherwise",
                Some("edges[0].to"),
                Some(7),
                Some(27)
            )
        );
        let e = err(&FAN.replace(
            "{name: c, uses: state.set}",
            "{name: c, uses: state.set, on_error: b}",
        ));
        assert_eq!(
            (e.message.as_str(), e.key.as_deref()),
            (
                "node 'b' is a fan-out branch and cannot be reached otherwise",
                Some("nodes[2].on_error")
            )
        );
        // UnknownNode comes first.
        let e = err(&FAN
            .replace("to: c}", "to: a}")
            .replace("to: __end__}", "to: zz}"));
        assert_eq!(e.kind, LoadErrorKind::UnknownNode);
        assert!(load_str(FAN, "t.yaml").is_ok());
    }

    #[test]
    fn fan_out_list_messages() {
        // contract §6.
        let e = err(&FAN.replace("to: [a, b]", "to: [a, a]"));
        assert_eq!(
            (e.message.as_str(), e.key.as_deref()),
            ("edges[1].to lists 'a' twice", Some("edges[1].to[1]"))
        );
        let e = err(&FAN.replace("to: [a, b]", "to: [a]"));
        assert_eq!(
            (e.message.as_str(), e.key.as_deref()),
            (
                "edges[1].to must list at least two nodes",
                Some("edges[1].to")
            )
        );
        let e = err(&FAN.replace(
            "name: f\n",
            "name: f\nsettings: {observability: {redact: [x, '']}}\n",
        ));
        assert_eq!(
            (e.message.as_str(), e.key.as_deref()),
            (
                "settings.observability.redact[1] must not be empty",
                Some("settings.observability.redact[1]")
            )
        );
    }

    #[test]
    fn nesting_limit() {
        // contract §6: 256 levels load (here as a state value), 257 are a YamlSyntax error at
        // the 257th collection; a deep document does not overflow the stack.
        let deep = |levels: usize| {
            // state {a: [[...]]}: the root map, state's map, then levels - 2 lists.
            let lists = levels - 2;
            format!(
                "{}state: {{a: {}{}}}\n",
                OK,
                "[".repeat(lists),
                "]".repeat(lists)
            )
        };
        assert!(load_str(&deep(256), "t.yaml").is_ok());
        let e = err(&deep(257));
        assert_eq!(
            (e.kind, e.message.as_str(), e.line, e.column),
            (
                LoadErrorKind::YamlSyntax,
                "document nests too deeply",
                Some(8),
                Some(12 + 254)
            )
        );
        let e = err(&deep(100_000));
        assert_eq!(e.message, "document nests too deeply");
        // Block nesting (no flow limit in saphyr): 257 levels are too deep, but a syntax error
        // after the deep part wins, as in the Python twin.
        let block = format!("{OK}state:\n  a:\n    {}x\n", "- ".repeat(255));
        let e = err(&block);
        assert_eq!(
            (e.message.as_str(), e.line, e.column),
            ("document nests too deeply", Some(10), Some(5 + 2 * 254))
        );
        let e = err(&format!("{block}description: [unclosed\n"));
        assert_eq!(e.kind, LoadErrorKind::YamlSyntax);
        assert_ne!(e.message, "document nests too deeply");
    }

    #[test]
    fn run_input() {
        // contract §6.
        let message = |text: &str| parse_input(text, "<input>").map_err(|e| (e.kind, e.message));
        assert_eq!(message("  ").unwrap(), Map::new());
        assert_eq!(
            Value::Object(
                message(r#"{"a": [1, -9223372036854775808, 1e300], "s": "99999999999999999999"}"#)
                    .unwrap()
            ),
            serde_json::json!({"a": [1, i64::MIN, 1e300], "s": "99999999999999999999"})
        );
        for bad in [
            r#"{"a": 9223372036854775808}"#,
            r#"{"a": [-9223372036854775809]}"#,
            r#"{"a": 123456789012345678901234567890}"#,
        ] {
            let (kind, text) = message(bad).unwrap_err();
            assert_eq!(kind, LoadErrorKind::Io);
            assert!(
                text.starts_with("input is not valid JSON: integer outside 64 bits"),
                "{text}"
            );
        }
        for bad in [
            r#"{"a": NaN}"#,
            r#"{"a": Infinity}"#,
            r#"{"a": -Infinity}"#,
            "{x",
        ] {
            let (kind, text) = message(bad).unwrap_err();
            assert_eq!(kind, LoadErrorKind::Io);
            assert!(text.starts_with("input is not valid JSON: "), "{text}");
        }
        assert_eq!(message("[1]").unwrap_err().1, "input must be a JSON object");
    }

    #[test]
    fn loads_a_minimal_flow() {
        let flow = load_str(OK, "t.yaml").unwrap();
        assert_eq!(flow.name, "f");
        assert_eq!(flow.nodes.len(), 1);
        assert_eq!(flow.edges.len(), 2);
    }

    #[test]
    fn yaml_numbers_follow_the_core_schema() {
        let text = format!("{OK}state: {{a: 017, b: 0o17, c: 0x1F, d: 1e3, e: yes, f: 1_000}}\n");
        let flow = load_str(&text, "t").unwrap();
        assert_eq!(
            Value::Object(flow.state),
            serde_json::json!({"a": 17, "b": 15, "c": 31, "d": 1000.0, "e": "yes", "f": "1_000"})
        );
    }

    #[test]
    fn big_ints_and_non_finite_floats_are_invalid() {
        let e = err(&format!(
            "{OK}state:\n  big: 123456789012345678901234567890\n"
        ));
        assert_eq!(
            (
                e.kind,
                e.message.as_str(),
                e.line,
                e.column,
                e.key.as_deref()
            ),
            (
                LoadErrorKind::InvalidValue,
                "integer outside 64 bits",
                Some(9),
                Some(8),
                Some("state.big")
            )
        );
        let e = err(&format!("{OK}state:\n  x: [.inf]\n"));
        assert_eq!(
            (e.message.as_str(), e.key.as_deref()),
            ("non-finite number", Some("state.x[0]"))
        );
    }

    #[test]
    fn duplicate_and_unknown_keys() {
        let e = err("name: f\nname: g\n");
        assert_eq!(
            (
                e.kind,
                e.message.as_str(),
                e.line,
                e.column,
                e.key.as_deref()
            ),
            (
                LoadErrorKind::DuplicateKey,
                "duplicate key 'name'",
                Some(2),
                Some(1),
                Some("name")
            )
        );
        let e = err(&OK.replace(
            "    uses: state.set\n",
            "    uses: state.set\n    bogus: 1\n",
        ));
        assert_eq!(
            (
                e.kind,
                e.message.as_str(),
                e.line,
                e.column,
                e.key.as_deref()
            ),
            (
                LoadErrorKind::UnknownKey,
                "unknown key 'bogus'",
                Some(5),
                Some(5),
                Some("nodes[0].bogus")
            )
        );
    }

    #[test]
    fn graph_errors() {
        let e = err(&OK.replace("to: __end__", "to: b"));
        assert_eq!(
            (e.kind, e.message.as_str(), e.key.as_deref()),
            (
                LoadErrorKind::UnknownNode,
                "unknown node 'b'",
                Some("edges[1].to")
            )
        );
        let e = err(&OK.replace("  - {from: a, to: __end__}\n", ""));
        assert_eq!(
            (e.kind, e.message.as_str()),
            (
                LoadErrorKind::MissingEdge,
                "node 'a' has no unconditional outgoing edge"
            )
        );
        let e = err(&OK.replace("to: __end__}", "to: a}"));
        assert_eq!(
            (e.kind, e.message.as_str()),
            (LoadErrorKind::NoPath, "no path from __start__ to __end__")
        );
        assert_eq!(
            e.to_string(),
            "t.yaml: NoPath: no path from __start__ to __end__"
        );
    }
}

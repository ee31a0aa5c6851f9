//! YAML text to a positioned value tree, and the YAML errors of contract §1.4: syntax (the
//! parser's message and position), a stream of more than one document, nesting deeper than the
//! limit, unknown anchors and duplicate keys.
//!
//! The YAML is read from saphyr's event stream (saphyr-parser, the parser saphyr 0.3 is built on)
//! into a small positioned tree, so every key and value keeps its line and column and a repeated
//! key is reported with its own text. Scalars are resolved by saphyr's YAML 1.2 core schema.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use saphyr::{ScalarOwned, ScalarStyle};
use saphyr_parser::{Event as YamlEvent, Parser, Span, Tag};
use serde_json::{Map, Number, Value};

use crate::error::{LoadError, LoadErrorKind};

/// Collections may nest this deep (the root is level 1); deeper is the YamlSyntax error
/// `document nests too deeply` in both engines (contract §6).
const MAX_NESTING: usize = 256;
/// A document holds at most this many nodes, aliases expanded (contract §6.12: the alias bomb).
const MAX_NODES: usize = 100_000;
/// ... and at most this many bytes of scalar text, aliases expanded (a long string aliased often).
const MAX_SCALAR_BYTES: usize = 16 * 1024 * 1024;
/// A document is at most this many bytes of UTF-8 (contract §6.12).
const MAX_BYTES: usize = 4 * 1024 * 1024;
/// The prefix of the core schema's tags (`!!int` is `tag:yaml.org,2002:int`).
const CORE: &str = "tag:yaml.org,2002:";

/// A 1-based position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Pos {
    pub(super) line: usize,
    pub(super) column: usize,
}

impl Pos {
    fn of(span: &Span) -> Self {
        // saphyr: line 1-based, column 0-based (NOTES.md).
        Self {
            line: span.start.line(),
            column: span.start.col() + 1,
        }
    }

    fn of_error(err: &saphyr::ScanError) -> Self {
        let mark = err.marker();
        Self {
            line: mark.line(),
            column: mark.col() + 1,
        }
    }
}

/// A YAML node with its position.
#[derive(Debug, Clone)]
pub(super) struct YNode {
    pub(super) pos: Pos,
    pub(super) kind: YKind,
}

#[derive(Debug, Clone)]
pub(super) enum YKind {
    /// A resolved scalar and whether its plain text looks like an integer (for the 64-bit check).
    Scalar(ScalarOwned, bool),
    /// A scalar the core schema cannot resolve (a core tag with a bad value).
    Bad,
    /// A node with a tag outside the core schema (contract §1.4), with that tag.
    Unsupported(String),
    Seq(Vec<YNode>),
    /// Entries in document order, duplicates kept (checked in their own phase).
    Map(Vec<(YNode, YNode)>),
}

impl YNode {
    pub(super) fn as_map(&self) -> Option<&[(YNode, YNode)]> {
        match &self.kind {
            YKind::Map(entries) => Some(entries),
            _ => None,
        }
    }
    /// The value under `key` in a mapping.
    pub(super) fn get(&self, key: &str) -> Option<&YNode> {
        self.as_map()
            .and_then(|entries| entries.iter().find(|(k, _)| k.as_str() == Some(key)))
            .map(|(_, value)| value)
    }
    /// The position of the value under `key` in a mapping, else the node's own.
    pub(super) fn value_pos(&self, key: &str) -> Pos {
        self.get(key).map_or(self.pos, |value| value.pos)
    }
    pub(super) fn as_seq(&self) -> Option<&[YNode]> {
        match &self.kind {
            YKind::Seq(items) => Some(items),
            _ => None,
        }
    }
    pub(super) fn as_str(&self) -> Option<&str> {
        match &self.kind {
            YKind::Scalar(ScalarOwned::String(s), _) => Some(s),
            _ => None,
        }
    }
    /// The text a mapping key stands for (Python's json turns non-string keys into their JSON
    /// spelling: `1`, `true`, `null`).
    pub(super) fn key_text(&self) -> Option<String> {
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

/// Where a document came from: every load error of it names this origin (contract §1.4).
#[derive(Debug, Clone, Copy)]
pub(super) struct Origin<'o>(pub(super) &'o str);

impl Origin<'_> {
    pub(super) fn error(
        self,
        kind: LoadErrorKind,
        message: impl Into<String>,
        pos: Option<Pos>,
        key: Option<String>,
    ) -> LoadError {
        LoadError {
            kind,
            message: message.into(),
            file: self.0.to_owned(),
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.column),
            key,
        }
    }

    /// An `InvalidValue` at `node`, for the key path `key`.
    pub(super) fn invalid(self, message: impl Into<String>, node: &YNode, key: &str) -> LoadError {
        self.error(
            LoadErrorKind::InvalidValue,
            message,
            Some(node.pos),
            Some(key.to_owned()),
        )
    }

    fn syntax(self, message: impl Into<String>, pos: Pos) -> LoadError {
        self.error(LoadErrorKind::YamlSyntax, message, Some(pos), None)
    }
}

/// The size of a (sub)tree with its aliases expanded (contract §6.12): nodes and bytes of scalar
/// text, which add up, and its height, the collections nested in it (itself included; 0 for a
/// scalar), which an alias adds to the depth where it stands.
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    nodes: usize,
    bytes: usize,
    height: usize,
}

impl Size {
    /// What was counted since `start`, as the size of a collection of this height.
    fn since(self, start: Self, height: usize) -> Self {
        Self {
            nodes: self.nodes - start.nodes,
            bytes: self.bytes - start.bytes,
            height,
        }
    }
}

/// An open collection while the tree is built.
struct Frame {
    pos: Pos,
    anchor: usize,
    /// Whether it is a mapping (its items are keys and values in turn).
    map: bool,
    /// A tag outside the core schema (contract §1.4): the collection becomes `Unsupported`.
    bad_tag: Option<String>,
    /// The size when it opened (its own size, for an alias of it, is the difference).
    start: Size,
    /// The greatest height among its items.
    height: usize,
    items: Vec<YNode>,
}

/// Builds the tree from the parser's events.
struct TreeBuilder<'o> {
    origin: Origin<'o>,
    stack: Vec<Frame>,
    /// Anchored nodes and their sizes.
    anchors: HashMap<usize, (YNode, Size)>,
    root: Option<YNode>,
    documents: usize,
    /// The size so far, aliases expanded (contract §6.12: MAX_NODES, MAX_SCALAR_BYTES).
    size: Size,
    /// The first collection nested deeper than MAX_NESTING (contract §6). Parsing goes on so a
    /// later syntax error still wins, as in the Python twin; nodes below that depth are not
    /// attached, so the tree (and its recursive drop and checks) stays shallow.
    too_deep: Option<Pos>,
}

/// Parses one YAML document into a positioned tree (`None` for an empty stream).
pub(super) fn parse(origin: Origin<'_>, text: &str) -> Result<Option<YNode>, LoadError> {
    if text.len() > MAX_BYTES {
        return Err(origin.error(LoadErrorKind::YamlSyntax, too_large(), None, None));
    }
    let mut builder = TreeBuilder {
        origin,
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        documents: 0,
        size: Size::default(),
        too_deep: None,
    };
    for item in Parser::new_from_str(text) {
        let (event, span) = match item {
            Ok(item) => item,
            // saphyr's scanner stops at 255 nested flow collections: that is this error too, at
            // the first collection deeper than the limit when one was seen already.
            Err(err) if err.info() == "recursion limit exceeded" => {
                let pos = builder.too_deep.unwrap_or(Pos::of_error(&err));
                return Err(origin.syntax("document nests too deeply", pos));
            }
            Err(err) => return Err(origin.syntax(err.info(), Pos::of_error(&err))),
        };
        if let Some((node, anchor, size)) = builder.event(event, Pos::of(&span))? {
            builder.attach(node, anchor, size);
        }
    }
    if let Some(pos) = builder.too_deep {
        return Err(origin.syntax("document nests too deeply", pos));
    }
    Ok(builder.root)
}

/// The message of a document over MAX_BYTES (contract §6.12).
fn too_large() -> String {
    format!("document is larger than {MAX_BYTES} bytes")
}

/// The full text of a tag (`tag:yaml.org,2002:int`, `!local`).
fn tag_text(tag: &Tag) -> String {
    format!("{}{}", tag.handle, tag.suffix)
}

/// A collection's tag outside the core schema: none, `!`, or `!!seq`/`!!map` as it fits.
fn bad_collection_tag(tag: Option<&Cow<'_, Tag>>, core: &str) -> Option<String> {
    let text = tag_text(tag?);
    (text != "!" && text.strip_prefix(CORE) != Some(core)).then_some(text)
}

/// A scalar under the core schema (contract §1.4 "Tags"): untagged plain text is resolved, other
/// untagged styles and `!` are strings, a core tag must fit its text, any other tag is refused.
fn resolve(text: &str, style: ScalarStyle, tag: Option<&Cow<'_, Tag>>) -> YKind {
    let plain = style == ScalarStyle::Plain;
    let implicit = || {
        if text.is_empty() {
            ScalarOwned::Null
        } else {
            ScalarOwned::parse_from_cow(Cow::Owned(text.to_owned()))
        }
    };
    let string = || ScalarOwned::String(text.to_owned());
    let Some(tag) = tag else {
        let scalar = if plain { implicit() } else { string() };
        return YKind::Scalar(scalar, plain && looks_like_int(text));
    };
    let full = tag_text(tag);
    if full == "!" {
        return YKind::Scalar(string(), false);
    }
    let Some(core) = full.strip_prefix(CORE) else {
        return YKind::Unsupported(full);
    };
    match (core, implicit()) {
        ("str", _) => YKind::Scalar(string(), false),
        ("null", s @ ScalarOwned::Null)
        | ("bool", s @ ScalarOwned::Boolean(_))
        | ("int", s @ ScalarOwned::Integer(_))
        | ("float", s @ ScalarOwned::FloatingPoint(_)) => YKind::Scalar(s, false),
        ("float", ScalarOwned::Integer(i)) => {
            YKind::Scalar(ScalarOwned::FloatingPoint((i as f64).into()), false)
        }
        ("int", s) if looks_like_int(text) => YKind::Scalar(s, true),
        ("null" | "bool" | "int" | "float", _) => YKind::Bad,
        _ => YKind::Unsupported(full),
    }
}

impl TreeBuilder<'_> {
    /// Counts `size` more; past MAX_NODES or MAX_SCALAR_BYTES that is a YamlSyntax error at `pos`.
    fn count(&mut self, size: Size, pos: Pos) -> Result<(), LoadError> {
        self.size.nodes += size.nodes;
        self.size.bytes += size.bytes;
        let message = if self.size.nodes > MAX_NODES {
            format!("document expands to more than {MAX_NODES} nodes")
        } else if self.size.bytes > MAX_SCALAR_BYTES {
            format!("document expands to more than {MAX_SCALAR_BYTES} bytes of scalars")
        } else {
            return Ok(());
        };
        Err(self.origin.syntax(message, pos))
    }

    /// Handles one parser event; returns a finished node with its anchor id (0 for none) and
    /// its size in nodes.
    fn event(
        &mut self,
        event: YamlEvent<'_>,
        pos: Pos,
    ) -> Result<Option<(YNode, usize, Size)>, LoadError> {
        Ok(match event {
            YamlEvent::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(self
                        .origin
                        .syntax("expected a single document in the stream", pos));
                }
                None
            }
            YamlEvent::Scalar(text, style, anchor, tag) => {
                let size = Size {
                    nodes: 1,
                    bytes: text.len(),
                    height: 0,
                };
                self.count(size, pos)?;
                let kind = resolve(&text, style, tag.as_ref());
                Some((YNode { pos, kind }, anchor, size))
            }
            YamlEvent::Alias(id) => {
                let Some(&(_, size)) = self.anchors.get(&id) else {
                    // Past the nesting limit nothing is kept: an alias of what was not kept is
                    // passed over (the document is refused as too deep anyway).
                    if self.too_deep.is_some() {
                        return Ok(None);
                    }
                    return Err(self.origin.syntax("unknown anchor", pos));
                };
                // Counted before the copy is made; the copy nests as deep as it stands plus its
                // height, which the nesting limit bounds too.
                self.count(size, pos)?;
                if self.stack.len() + size.height > MAX_NESTING && self.too_deep.is_none() {
                    self.too_deep = Some(pos);
                }
                Some((self.anchors[&id].0.clone(), 0, size))
            }
            YamlEvent::SequenceStart(anchor, tag) => {
                let bad_tag = bad_collection_tag(tag.as_ref(), "seq");
                self.open(pos, anchor, false, bad_tag)?;
                None
            }
            YamlEvent::MappingStart(anchor, tag) => {
                let bad_tag = bad_collection_tag(tag.as_ref(), "map");
                self.open(pos, anchor, true, bad_tag)?;
                None
            }
            YamlEvent::SequenceEnd | YamlEvent::MappingEnd => self.stack.pop().map(|frame| {
                let kind = match frame.bad_tag {
                    Some(tag) => YKind::Unsupported(tag),
                    None if frame.map => YKind::Map(pairs(frame.items)),
                    None => YKind::Seq(frame.items),
                };
                let node = YNode {
                    pos: frame.pos,
                    kind,
                };
                (
                    node,
                    frame.anchor,
                    self.size.since(frame.start, frame.height + 1),
                )
            }),
            _ => None,
        })
    }

    fn open(
        &mut self,
        pos: Pos,
        anchor: usize,
        map: bool,
        bad_tag: Option<String>,
    ) -> Result<(), LoadError> {
        let start = self.size;
        self.count(
            Size {
                nodes: 1,
                ..Size::default()
            },
            pos,
        )?;
        self.stack.push(Frame {
            pos,
            anchor,
            map,
            bad_tag,
            start,
            height: 0,
            items: Vec::new(),
        });
        if self.stack.len() > MAX_NESTING && self.too_deep.is_none() {
            self.too_deep = Some(pos);
        }
        Ok(())
    }

    /// Puts a finished node into its parent (or makes it the root), and records its anchor.
    fn attach(&mut self, node: YNode, anchor: usize, size: Size) {
        if self.too_deep.is_some() {
            return;
        }
        if anchor > 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            Some(frame) => {
                frame.height = frame.height.max(size.height);
                frame.items.push(node);
            }
            None => self.root = Some(node),
        }
    }
}

/// A mapping's items, keys and values in turn, as entries.
fn pairs(items: Vec<YNode>) -> Vec<(YNode, YNode)> {
    let mut entries = Vec::with_capacity(items.len() / 2);
    let mut items = items.into_iter();
    while let (Some(key), Some(value)) = (items.next(), items.next()) {
        entries.push((key, value));
    }
    entries
}

/// Duplicate keys anywhere in the document (the second key's position), in document order.
pub(super) fn check_duplicates(origin: Origin<'_>, root: Option<&YNode>) -> Result<(), LoadError> {
    match root {
        Some(node) => walk_keys(origin, node, &mut String::new()),
        None => Ok(()),
    }
}

fn walk_keys(origin: Origin<'_>, node: &YNode, path: &mut String) -> Result<(), LoadError> {
    match &node.kind {
        YKind::Map(entries) => {
            let mut seen: HashSet<String> = HashSet::with_capacity(entries.len());
            for (key, value) in entries {
                let text = key.key_text().ok_or_else(|| {
                    origin.error(
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
                    return Err(origin.error(
                        LoadErrorKind::DuplicateKey,
                        format!("duplicate key '{text}'"),
                        Some(key.pos),
                        Some(path.clone()),
                    ));
                }
                walk_keys(origin, value, path)?;
                path.truncate(len);
            }
        }
        YKind::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk_keys(origin, item, path)?;
                path.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Converts a YAML value to JSON: integers must fit 64 bits, floats must be finite.
pub(super) fn to_json(origin: Origin<'_>, node: &YNode, key: &str) -> Result<Value, LoadError> {
    Ok(match &node.kind {
        YKind::Scalar(scalar, int_like) => match scalar {
            ScalarOwned::Null => Value::Null,
            ScalarOwned::Boolean(b) => Value::Bool(*b),
            ScalarOwned::Integer(i) => Value::Number((*i).into()),
            ScalarOwned::FloatingPoint(f) => {
                if *int_like {
                    return Err(origin.invalid("integer outside 64 bits", node, key));
                }
                match Number::from_f64(f.0) {
                    Some(n) if f.0.is_finite() => Value::Number(n),
                    _ => return Err(origin.invalid("non-finite number", node, key)),
                }
            }
            ScalarOwned::String(s) => {
                if *int_like {
                    return Err(origin.invalid("integer outside 64 bits", node, key));
                }
                Value::String(s.clone())
            }
        },
        YKind::Bad => {
            return Err(origin.invalid(format!("{key} has an invalid tagged value"), node, key));
        }
        YKind::Unsupported(tag) => {
            return Err(origin.invalid(format!("{key} has an unsupported tag '{tag}'"), node, key));
        }
        YKind::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(to_json(origin, item, &format!("{key}[{i}]"))?);
            }
            Value::Array(out)
        }
        YKind::Map(entries) => Value::Object(map_to_json(origin, entries, key)?),
    })
}

pub(super) fn map_to_json(
    origin: Origin<'_>,
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
        out.insert(text, to_json(origin, v, &path)?);
    }
    Ok(out)
}

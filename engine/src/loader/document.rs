//! The document model (contract §1.1): the positioned value tree of a flow document, read key by
//! key in document order into the flow model, every error with its key path (contract §1.4:
//! UnknownKey, MissingKey, InvalidValue). The graph rules are `graph.rs`'s.

use saphyr::ScalarOwned;
use serde_json::{Map, Value};

use super::yaml::{self, Origin, Pos, YKind, YNode, map_to_json};
use crate::error::{LoadError, LoadErrorKind};
use crate::event::Level;
use crate::flow::{
    ActionCall, END, Edge, Endpoint, HandlerSpec, Limits, Node, NodeBody, ObservabilitySettings,
    START, Sampling,
};
use crate::observability::MIN_SECRET_CHARS;

/// The top-level values of a structurally valid document, with positions for the graph checks.
pub(super) struct Doc<'y> {
    pub(super) name: String,
    pub(super) description: Option<String>,
    pub(super) state: Map<String, Value>,
    pub(super) observability: ObservabilitySettings,
    pub(super) limits: Limits,
    pub(super) nodes: Vec<(Node, &'y YNode)>,
    pub(super) node_refs: Vec<NodeRef<'y>>,
    pub(super) edges: Vec<(Edge, &'y YNode)>,
    pub(super) edges_node: Option<&'y YNode>,
}

/// A node name mentioned by an edge or `on_error`, for the UnknownNode check.
pub(super) struct NodeRef<'y> {
    pub(super) name: String,
    pub(super) node: &'y YNode,
    pub(super) key: String,
}

/// The keys of a node that make its body, as read (with the value nodes that errors point at).
#[derive(Default)]
struct BodyKeys<'y> {
    uses: Option<String>,
    with: Option<(Map<String, Value>, &'y YNode)>,
    output: Option<(String, &'y YNode)>,
    steps: Option<Vec<ActionCall>>,
}

/// Reads the value tree of one document into its model.
pub(super) struct Reader<'o> {
    origin: Origin<'o>,
}

impl<'o> Reader<'o> {
    pub(super) fn new(origin: Origin<'o>) -> Self {
        Self { origin }
    }

    fn error(
        &self,
        kind: LoadErrorKind,
        message: impl Into<String>,
        pos: Option<Pos>,
        key: Option<String>,
    ) -> LoadError {
        self.origin.error(kind, message, pos, key)
    }

    fn invalid(&self, message: impl Into<String>, node: &YNode, key: &str) -> LoadError {
        self.origin.invalid(message, node, key)
    }

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
    /// An action name as the event schema spells `action` (lower-case words of letters and `_`
    /// joined by dots), known or not: an unknown one fails when it runs (contract §1.1).
    fn expect_action(&self, node: &YNode, key: &str) -> Result<String, LoadError> {
        let name = self.expect_str(node, key)?;
        if !valid_action(name) {
            return Err(self.invalid(format!("invalid action name '{name}'"), node, key));
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

    /// The document's keys, in document order (contract §1.1).
    pub(super) fn structure<'y>(&self, root: Option<&'y YNode>) -> Result<Doc<'y>, LoadError> {
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
            limits: Limits::DEFAULT,
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
                    doc.state = map_to_json(self.origin, self.expect_map(value, "state")?, "state")?
                }
                "settings" => self.settings(value, &mut doc.observability, &mut doc.limits)?,
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
                // Reserved for the harness (contract §5): engines ignore it, but its numbers
                // are checked as anywhere in the document (contract §1.4).
                "parity" => {
                    yaml::to_json(self.origin, value, "parity")?;
                }
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

    fn settings(
        &self,
        value: &YNode,
        observability: &mut ObservabilitySettings,
        limits: &mut Limits,
    ) -> Result<(), LoadError> {
        for (key, value) in self.expect_map(value, "settings")? {
            match key.as_str().unwrap_or_default() {
                "observability" => *observability = self.observability(value)?,
                "limits" => *limits = self.limits(value)?,
                _ => return Err(self.unknown_key(key, "settings")),
            }
        }
        Ok(())
    }

    /// `settings.limits` (contract §6.12): each an integer from 1 to its default.
    fn limits(&self, value: &YNode) -> Result<Limits, LoadError> {
        const P: &str = "settings.limits";
        let mut limits = Limits::DEFAULT;
        let d = Limits::DEFAULT;
        for (key, value) in self.expect_map(value, P)? {
            let name = key.as_str().unwrap_or_default();
            let path = join(P, name);
            let ceiling = match name {
                "value_depth" => d.value_depth as u64,
                "value_size" => d.value_size as u64,
                "state_size" => d.state_size as u64,
                "events" => d.events,
                "template_iterations" => d.template_iterations,
                "template_output" => d.template_output as u64,
                _ => return Err(self.unknown_key(key, P)),
            };
            let n = self.expect_int(value, &path)?;
            if n < 1 {
                return Err(self.invalid(format!("{path} must be at least 1"), value, &path));
            }
            let n = n.unsigned_abs();
            if n > ceiling {
                return Err(self.invalid(
                    format!("{path} must be at most {ceiling}"),
                    value,
                    &path,
                ));
            }
            // Within the default, so it fits every field's type.
            let size = usize::try_from(n).unwrap_or(usize::MAX);
            match name {
                "value_depth" => limits.value_depth = size,
                "value_size" => limits.value_size = size,
                "state_size" => limits.state_size = size,
                "events" => limits.events = n,
                "template_iterations" => limits.template_iterations = n,
                _ => limits.template_output = size,
            }
        }
        Ok(limits)
    }

    fn observability(&self, value: &YNode) -> Result<ObservabilitySettings, LoadError> {
        const P: &str = "settings.observability";
        let mut settings = ObservabilitySettings::default();
        for (key, value) in self.expect_map(value, P)? {
            let name = key.as_str().unwrap_or_default();
            let path = join(P, name);
            match name {
                "enabled" => settings.enabled = self.expect_bool(value, &path)?,
                "learn_secrets" => settings.learn_secrets = self.expect_bool(value, &path)?,
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
                "redact" => settings.redact = self.strings(value, &path, 1)?,
                "secrets" => settings.secrets = self.strings(value, &path, MIN_SECRET_CHARS)?,
                "sampling" => settings.sampling = Some(self.sampling(value, &path)?),
                "tenant" => {
                    let text = self.expect_str(value, &path)?;
                    if text.is_empty() {
                        return Err(self.invalid(
                            format!("{path} must not be empty"),
                            value,
                            &path,
                        ));
                    }
                    settings.tenant = Some(text.to_owned());
                }
                _ => return Err(self.unknown_key(key, P)),
            }
        }
        Ok(settings)
    }

    /// `settings.observability.sampling` (contract §3.8): `rate` (required, from 0 to 1) and
    /// `slow_ms` (at least 0). Its keys are checked before its values, as everywhere in Python.
    fn sampling(&self, node: &YNode, path: &str) -> Result<Sampling, LoadError> {
        let pairs = self.expect_map(node, path)?;
        if let Some((key, _)) = pairs
            .iter()
            .find(|(key, _)| !matches!(key.as_str(), Some("rate" | "slow_ms")))
        {
            return Err(self.unknown_key(key, path));
        }
        let mut sampling = Sampling {
            rate: f64::NAN,
            slow_ms: None,
        };
        for (key, value) in pairs {
            let key_path = join(path, key.as_str().unwrap_or_default());
            let n = self.expect_number(value, &key_path)?;
            if key.as_str() == Some("rate") {
                if !(0.0..=1.0).contains(&n) {
                    let message = format!("{key_path} must be between 0 and 1");
                    return Err(self.invalid(message, value, &key_path));
                }
                sampling.rate = n;
            } else if n < 0.0 {
                let message = format!("{key_path} must be at least 0");
                return Err(self.invalid(message, value, &key_path));
            } else {
                sampling.slow_ms = Some(n);
            }
        }
        if sampling.rate.is_nan() {
            return Err(self.missing_key(node, path, "rate"));
        }
        Ok(sampling)
    }

    /// A list of strings of at least `min` characters (`redact` entries: not empty; `secrets`
    /// entries: at least `MIN_SECRET_CHARS`).
    fn strings(&self, value: &YNode, path: &str, min: usize) -> Result<Vec<String>, LoadError> {
        let mut out = Vec::new();
        for (i, item) in self.expect_seq(value, path)?.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            let text = self.expect_str(item, &item_path)?;
            if text.chars().count() < min {
                let message = if min == 1 {
                    format!("{item_path} must not be empty")
                } else {
                    format!("{item_path} must be at least {min} characters")
                };
                return Err(self.invalid(message, item, &item_path));
            }
            out.push(text.to_owned());
        }
        Ok(out)
    }

    fn expect_bool(&self, node: &YNode, key: &str) -> Result<bool, LoadError> {
        match &node.kind {
            YKind::Scalar(ScalarOwned::Boolean(b), _) => Ok(*b),
            _ => Err(self.invalid(format!("{key} must be a boolean"), node, key)),
        }
    }

    /// An integer or a float (finite, an integer within 64 bits).
    fn expect_number(&self, node: &YNode, key: &str) -> Result<f64, LoadError> {
        match yaml::to_json(self.origin, node, key)? {
            Value::Number(n) => Ok(n.as_f64().unwrap_or(f64::NAN)),
            _ => Err(self.invalid(format!("{key} must be a number"), node, key)),
        }
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
        let mut body = BodyKeys::default();
        let mut max_attempts = 1u32;
        let mut on_error = None;
        for (key, value) in entries {
            let key_name = key.as_str().unwrap_or_default();
            let key_path = join(&path, key_name);
            match key_name {
                "name" => name = Some(self.expect_name(value, &key_path, false)?),
                "uses" => body.uses = Some(self.expect_action(value, &key_path)?),
                "with" => {
                    let with =
                        map_to_json(self.origin, self.expect_map(value, &key_path)?, &key_path)?;
                    body.with = Some((with, value));
                }
                "output" => body.output = Some((self.expect_name(value, &key_path, false)?, value)),
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
                    body.steps = Some(calls);
                }
                _ => return Err(self.unknown_key(key, &path)),
            }
        }
        let Some(name) = name else {
            return Err(self.missing_key(item, &path, "name"));
        };
        Ok(Node {
            name,
            body: self.node_body(body, item, &path)?,
            max_attempts,
            on_error,
        })
    }

    /// A node uses one action or runs steps; a steps node has no `with` or `output`.
    fn node_body(
        &self,
        keys: BodyKeys<'_>,
        item: &YNode,
        path: &str,
    ) -> Result<NodeBody, LoadError> {
        match (keys.uses, keys.steps) {
            (Some(uses), None) => Ok(NodeBody::Action(ActionCall {
                uses,
                with: keys.with.map(|(with, _)| with).unwrap_or_default(),
                output: keys.output.map(|(o, _)| o),
            })),
            (None, Some(calls)) => {
                if let Some((_, node)) = keys.output {
                    return Err(self.invalid(
                        "a steps node has no 'output'",
                        node,
                        &join(path, "output"),
                    ));
                }
                if let Some((_, node)) = keys.with {
                    return Err(self.invalid(
                        "a steps node has no 'with'",
                        node,
                        &join(path, "with"),
                    ));
                }
                Ok(NodeBody::Steps(calls))
            }
            _ => Err(self.invalid("a node needs exactly one of 'uses' and 'steps'", item, path)),
        }
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
                    call.uses = self.expect_action(value, &key_path)?;
                    has_uses = true;
                }
                "with" => {
                    call.with =
                        map_to_json(self.origin, self.expect_map(value, &key_path)?, &key_path)?
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
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

fn valid_action(name: &str) -> bool {
    name.split('.')
        .all(|word| !word.is_empty() && word.chars().all(|c| matches!(c, 'a'..='z' | '_')))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

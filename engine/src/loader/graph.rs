//! The graph rules of contract §1.4, after the document reads well: duplicate nodes, unknown
//! nodes, fan-out branches reached otherwise, outgoing edges, fan-ins, and the path from
//! `__start__` to `__end__`. Each check reports the first offence in document order.

use std::collections::{HashMap, HashSet};

use super::document::{Doc, NodeRef};
use super::yaml::Origin;
use crate::error::{LoadError, LoadErrorKind};
use crate::flow::{self, END, Edge, Endpoint, Flow, Node, START};

/// Checks the graph of a read document and makes it a flow.
pub(super) fn check(origin: Origin<'_>, doc: Doc<'_>) -> Result<Flow, LoadError> {
    let index = duplicate_nodes(origin, &doc)?;
    let refs = unknown_nodes(origin, &doc, &index)?;
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
    branches_reached_otherwise(origin, &refs, &branches)?;
    outgoing_edges(origin, &doc, &edges, &branches)?;
    fan_ins(origin, &doc, &edges)?;
    let nodes: Vec<Node> = doc.nodes.into_iter().map(|(n, _)| n).collect();
    let edges: Vec<Edge> = doc.edges.into_iter().map(|(e, _)| e).collect();
    if !reaches_end(&nodes, &edges) {
        return Err(origin.error(
            LoadErrorKind::NoPath,
            "no path from __start__ to __end__",
            None,
            None,
        ));
    }
    Ok(Flow {
        origin: origin.0.to_owned(),
        name: doc.name,
        description: doc.description,
        state: doc.state,
        observability: doc.observability,
        limits: doc.limits,
        nodes,
        edges,
    })
}

/// Each node's index by name; a repeated name is a DuplicateNode at the second name.
fn duplicate_nodes<'d>(
    origin: Origin<'_>,
    doc: &'d Doc<'_>,
) -> Result<HashMap<&'d str, usize>, LoadError> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, (node, item)) in doc.nodes.iter().enumerate() {
        if index.insert(node.name.as_str(), i).is_some() {
            let name_node = item.get("name").unwrap_or(item);
            return Err(origin.error(
                LoadErrorKind::DuplicateNode,
                format!("duplicate node '{}'", node.name),
                Some(name_node.pos),
                Some(format!("nodes[{i}].name")),
            ));
        }
    }
    Ok(index)
}

/// The node references in document order; the first that names no node is an UnknownNode.
fn unknown_nodes<'d, 'y>(
    origin: Origin<'_>,
    doc: &'d Doc<'y>,
    index: &HashMap<&str, usize>,
) -> Result<Vec<&'d NodeRef<'y>>, LoadError> {
    let mut refs: Vec<&NodeRef<'_>> = doc.node_refs.iter().collect();
    refs.sort_by_key(|r| r.node.pos);
    for r in &refs {
        if !index.contains_key(r.name.as_str()) {
            return Err(origin.error(
                LoadErrorKind::UnknownNode,
                format!("unknown node '{}'", r.name),
                Some(r.node.pos),
                Some(r.key.clone()),
            ));
        }
    }
    Ok(refs)
}

/// A fan-out branch runs only inside its fan-out (contract §6): a single-target edge or an
/// `on_error` leading to it is refused at that reference, in document order.
fn branches_reached_otherwise(
    origin: Origin<'_>,
    refs: &[&NodeRef<'_>],
    branches: &HashSet<&str>,
) -> Result<(), LoadError> {
    for r in refs {
        let single_target = r.key.ends_with(".on_error")
            || (r.key.starts_with("edges[") && r.key.ends_with("].to"));
        if single_target && branches.contains(r.name.as_str()) {
            return Err(origin.invalid(
                format!(
                    "node '{}' is a fan-out branch and cannot be reached otherwise",
                    r.name
                ),
                r.node,
                &r.key,
            ));
        }
    }
    Ok(())
}

/// `__start__` and every node but a fan-out branch has exactly one unconditional outgoing edge.
fn outgoing_edges(
    origin: Origin<'_>,
    doc: &Doc<'_>,
    edges: &[&Edge],
    branches: &HashSet<&str>,
) -> Result<(), LoadError> {
    let mut sources: Vec<(&str, Option<usize>)> = vec![(START, None)];
    sources.extend(
        doc.nodes
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (n.name.as_str(), Some(i))),
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
            return Err(origin.error(
                LoadErrorKind::MissingEdge,
                format!("node '{name}' has more than one unconditional outgoing edge"),
                Some(doc.edges[j].1.value_pos("from")),
                Some(format!("edges[{j}].from")),
            ));
        }
        if unconditional.is_empty() && !branches.contains(name) {
            let (pos, key) = match node {
                Some(i) => (
                    Some(doc.nodes[i].1.value_pos("name")),
                    Some(format!("nodes[{i}].name")),
                ),
                None => (doc.edges_node.map(|n| n.pos), Some("edges".to_owned())),
            };
            return Err(origin.error(
                LoadErrorKind::MissingEdge,
                format!("node '{name}' has no unconditional outgoing edge"),
                pos,
                key,
            ));
        }
    }
    Ok(())
}

/// Every fan-out has its fan-in edge.
fn fan_ins(origin: Origin<'_>, doc: &Doc<'_>, edges: &[&Edge]) -> Result<(), LoadError> {
    for (j, edge) in edges.iter().enumerate() {
        if let Endpoint::Many(names) = &edge.to {
            if flow::fan_in(edges, names).is_none() {
                let to_node = doc.edges[j].1.get("to").unwrap_or(doc.edges[j].1);
                return Err(origin.error(
                    LoadErrorKind::MissingEdge,
                    format!("fan-out to [{}] has no fan-in edge", names.join(", ")),
                    Some(to_node.pos),
                    Some(format!("edges[{j}].to")),
                ));
            }
        }
    }
    Ok(())
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

//! The template budget (contract §6.12): every item a `for` loop takes from its iterable costs
//! one iteration of the rendering's budget, and so does every item of an iterable passed to a
//! recursive loop's `loop(...)`. minijinja cannot count loop iterations, so each text template
//! is rewritten before it is compiled: each such iterable `X` becomes `__loop_budget(X)`, a
//! function whose result yields the items of `X` while the budget lasts and then stops, marking
//! the rendering as over budget (the Python twin wraps the same expressions in Jinja2's tree).

use std::cell::Cell;
use std::sync::Arc;

use minijinja::machinery::{self, Token};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Enumerator, Object, ObjectRepr, Value as MjValue, ValueIter, ValueKind};

/// The name of the counting function; a flow that names it gets `undefined value in template`.
pub(crate) const COUNT: &str = "__loop_budget";

/// The iterations left to the rendering running on this thread, and whether it ran out.
#[derive(Debug, Clone, Copy)]
struct Budget {
    left: u64,
    over: bool,
}

thread_local! {
    // Fan-out branches render on their own threads, each with its own budget.
    static BUDGET: Cell<Budget> = const { Cell::new(Budget { left: u64::MAX, over: false }) };
}

/// Starts a rendering on this thread with `iterations` to spend.
pub(crate) fn start(iterations: u64) {
    BUDGET.with(|b| {
        b.set(Budget {
            left: iterations,
            over: false,
        });
    });
}

/// Whether the rendering that just ended on this thread wanted more iterations than it had.
pub(crate) fn ran_out() -> bool {
    BUDGET.with(|b| b.get().over)
}

/// Spends one iteration; false (and the rendering marked) when none is left.
fn take_one() -> bool {
    BUDGET.with(|b| {
        let mut budget = b.get();
        if budget.left == 0 {
            budget.over = true;
        } else {
            budget.left -= 1;
        }
        b.set(budget);
        !budget.over
    })
}

/// `__loop_budget(X)`: the items of `X` (what a `for` loop takes from it: a list's items, a map's
/// keys, a string's characters), each costing one iteration when the loop takes it. A value a loop
/// cannot iterate is given back as it is, so the loop fails (or not) as it would without the
/// budget.
pub(crate) fn counted(value: MjValue) -> MjValue {
    let iterable = matches!(
        value.kind(),
        ValueKind::Seq
            | ValueKind::Map
            | ValueKind::Iterable
            | ValueKind::String
            | ValueKind::Bytes
    );
    if !iterable || value.try_iter().is_err() {
        return value;
    }
    // Items are taken lazily; only an iterable of unknown length is listed first (the loop needs
    // its length for `loop.length`).
    let (value, len) = match value.len() {
        Some(len) => (value, len),
        None => {
            let items: Vec<MjValue> = value.try_iter().map(Iterator::collect).unwrap_or_default();
            let len = items.len();
            (MjValue::from(items), len)
        }
    };
    MjValue::from_object(Counted { value, len })
}

/// A loop's iterable and its length; its items are handed out one iteration at a time.
#[derive(Debug)]
struct Counted {
    value: MjValue,
    len: usize,
}

impl Object for Counted {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Iterable
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match self.value.try_iter() {
            Ok(items) => Enumerator::Iter(Box::new(Items {
                items,
                left: self.len,
            })),
            Err(_) => Enumerator::Empty,
        }
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.len)
    }
}

/// An iteration over a `Counted` iterable: its exact length is known (`loop.length`,
/// `loop.last`), and it ends early when the budget runs out (the rendering then fails).
struct Items {
    items: ValueIter,
    left: usize,
}

impl Iterator for Items {
    type Item = MjValue;

    fn next(&mut self) -> Option<MjValue> {
        let item = self.items.next()?;
        self.left = self.left.saturating_sub(1);
        take_one().then_some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

/// Whether the template `src` names the counting function itself.
pub(crate) fn names_counter(src: &str) -> bool {
    src.contains(COUNT)
        && machinery::tokenize(src, false, SyntaxConfig::default())
            .any(|token| matches!(token, Ok((Token::Ident(name), _)) if name == COUNT))
}

/// `src` with every loop iterable wrapped in `__loop_budget(...)`, or `None` when it has no loop
/// (or does not parse: compiling it as it is then reports the syntax error).
///
/// Works on tokens, not on the syntax tree, whose spans do not cover a whole filter chain: a
/// `for` loop's iterable runs from the token after its first `in` to the last token before
/// `if`, `recursive` or `%}` outside brackets; a `loop(...)` call's first argument from the token
/// after `(` to the last before `,` or `)` outside brackets.
pub(crate) fn rewrite(src: &str) -> Option<String> {
    if !src.contains("{%") {
        return None;
    }
    machinery::parse(src, "<string>", SyntaxConfig::default()).ok()?;
    let tokens = machinery::tokenize(src, false, SyntaxConfig::default())
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for (i, (token, _)) in tokens.iter().enumerate() {
        let after = |n: usize| tokens.get(i + n).map(|(t, _)| t);
        let range = match token {
            Token::BlockStart if matches!(after(1), Some(Token::Ident("for"))) => {
                let target = scan(&tokens[i + 2..], |t| matches!(t, Token::Ident("in")))?;
                let from = i + 3 + target;
                let len = scan(&tokens[from..], |t| {
                    matches!(t, Token::Ident("if" | "recursive") | Token::BlockEnd)
                })?;
                (from, len)
            }
            Token::Ident("loop")
                if matches!(after(1), Some(Token::ParenOpen))
                    && !matches!(i.checked_sub(1).map(|p| &tokens[p].0), Some(Token::Dot)) =>
            {
                let from = i + 2;
                let len = scan(&tokens[from..], |t| {
                    matches!(t, Token::Comma | Token::ParenClose)
                })?;
                (from, len)
            }
            _ => continue,
        };
        if let (from, len @ 1..) = range {
            let start = tokens[from].1.start_offset as usize;
            let end = tokens[from + len - 1].1.end_offset as usize;
            spans.push((start, end));
        }
    }
    if spans.is_empty() {
        return None;
    }
    // Closing parentheses before opening ones at one offset; the ranges nest.
    let mut inserts: Vec<(usize, bool)> = spans
        .iter()
        .flat_map(|&(start, end)| [(start, true), (end, false)])
        .collect();
    inserts.sort_unstable();
    let mut out = String::with_capacity(src.len() + inserts.len() * (COUNT.len() + 2));
    let mut done = 0;
    for (offset, opening) in inserts {
        out.push_str(src.get(done..offset)?);
        if opening {
            out.push_str(COUNT);
            out.push('(');
        } else {
            out.push(')');
        }
        done = offset;
    }
    out.push_str(src.get(done..)?);
    Some(out)
}

/// How many tokens come before the first one outside brackets that `stop` accepts.
fn scan(
    tokens: &[(Token<'_>, machinery::Span)],
    stop: impl Fn(&Token<'_>) -> bool,
) -> Option<usize> {
    let mut depth = 0usize;
    for (n, (token, _)) in tokens.iter().enumerate() {
        if depth == 0 && stop(token) {
            return Some(n);
        }
        match token {
            Token::ParenOpen | Token::BracketOpen | Token::BraceOpen => depth += 1,
            Token::ParenClose | Token::BracketClose | Token::BraceClose => {
                depth = depth.checked_sub(1)?;
            }
            _ => {}
        }
    }
    None
}

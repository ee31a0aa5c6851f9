//! Line diffs of normalized runs, for people: a unified diff with a few lines of context, colored
//! like `similar_asserts` (red for the expected side, green for the actual) when asked.

use std::fmt::Write as _;

use similar::{ChangeTag, TextDiff};

use crate::palette::{self, CONTEXT as DIM, DELETE, HUNK, INSERT};

/// Lines of context around each change.
const CONTEXT: usize = 3;

/// The diff from `expected` to `actual`, headed `--- expected` / `+++ actual`.
#[must_use]
pub fn render_diff(expected: &str, actual: &str, color: bool) -> String {
    render_labeled_diff("expected", expected, "actual", actual, color)
}

/// The diff from `old` to `new` under the given labels (`rust` / `python` for a parity failure).
/// Empty when the texts are equal.
#[must_use]
pub fn render_labeled_diff(
    old_label: &str,
    old: &str,
    new_label: &str,
    new: &str,
    color: bool,
) -> String {
    // A missing final newline is not a difference worth a line ("\\ No newline at end of text"):
    // both sides end with one.
    let (old, new) = (with_final_newline(old), with_final_newline(new));
    let diff = TextDiff::from_lines(old.as_ref(), new.as_ref());
    let mut out = String::new();
    let paint = |style| palette::codes(style, color);
    let groups = diff.grouped_ops(CONTEXT);
    if groups.is_empty() {
        return out;
    }
    let ((red, reset), (green, _)) = (paint(DELETE), paint(INSERT));
    let _ = writeln!(out, "{red}--- {old_label}{reset}");
    let _ = writeln!(out, "{green}+++ {new_label}{reset}");
    for group in groups {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let old_range = first.old_range().start..last.old_range().end;
        let new_range = first.new_range().start..last.new_range().end;
        let _ = writeln!(
            out,
            "{}@@ -{},{} +{},{} @@{reset}",
            paint(HUNK).0,
            old_range.start + 1,
            old_range.len(),
            new_range.start + 1,
            new_range.len()
        );
        for op in &group {
            for change in diff.iter_changes(op) {
                let (sign, style) = match change.tag() {
                    ChangeTag::Delete => ('-', DELETE),
                    ChangeTag::Insert => ('+', INSERT),
                    ChangeTag::Equal => (' ', DIM),
                };
                let line = change.value().trim_end_matches('\n');
                let (open, close) = paint(style);
                let _ = writeln!(out, "{open}{sign}{line}{close}");
            }
        }
    }
    out
}

/// `text`, ending with a newline unless it is empty.
fn with_final_newline(text: &str) -> std::borrow::Cow<'_, str> {
    if text.is_empty() || text.ends_with('\n') {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(format!("{text}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(render_diff("a\nb\n", "a\nb\n", true), "");
    }

    #[test]
    fn changes_are_shown_with_context() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n";
        assert_eq!(
            render_diff(old, new, false),
            "--- expected\n+++ actual\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
        );
    }

    #[test]
    fn a_missing_final_newline_is_no_difference() {
        assert_eq!(render_diff("a\nb", "a\nb\n", false), "");
        let diff = render_diff("a\nb", "a\nc", false);
        assert!(!diff.contains("No newline"), "{diff}");
        assert!(diff.ends_with("-b\n+c\n"), "{diff}");
    }

    #[test]
    fn color_marks_both_sides() {
        let diff = render_labeled_diff("rust", "a\n", "python", "b\n", true);
        assert!(diff.contains("\x1b[31m-a\x1b[0m"), "{diff:?}");
        assert!(diff.contains("\x1b[32m+b\x1b[0m"), "{diff:?}");
        assert!(diff.contains("--- rust") && diff.contains("+++ python"));
    }
}

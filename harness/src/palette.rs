//! The colours of text output, by role, as `anstyle` styles; whether to use them at all is
//! [`crate::commands::Color`]'s call (anstream's rules: `NO_COLOR`, `CLICOLOR_FORCE`, a terminal).

use anstyle::{AnsiColor, Effects, Style};

/// A removed line, the expected side, an error.
pub const DELETE: Style = AnsiColor::Red.on_default();
/// An added line, the actual side.
pub const INSERT: Style = AnsiColor::Green.on_default();
/// A hunk header, a note.
pub const HUNK: Style = AnsiColor::Cyan.on_default();
/// Unchanged context lines.
pub const CONTEXT: Style = Style::new().effects(Effects::DIMMED);
/// An expected failure, a warning.
pub const CAUTION: Style = AnsiColor::Yellow.on_default();

/// `style` with bold added, for headings.
#[must_use]
pub const fn bold(style: Style) -> Style {
    style.effects(Effects::BOLD)
}

/// The escape codes that open and close `style`, or two empty strings when `color` is off.
#[must_use]
pub fn codes(style: Style, color: bool) -> (String, String) {
    if color {
        (style.render().to_string(), style.render_reset().to_string())
    } else {
        (String::new(), String::new())
    }
}

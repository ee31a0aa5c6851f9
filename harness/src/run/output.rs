//! The engines' output: both hand back their events as JSON Lines text, read here, so both
//! sides go through the same JSON reading. The events stay text (each line checked to be JSON):
//! the chain parses one event at a time.

use crate::jsonl::LogEvents;

use super::model::RunFailure;

/// Reads JSON Lines text (one JSON value per non-empty line) as a run's events.
///
/// # Errors
/// [`RunFailure::BadJsonl`] at the first line that is not JSON.
pub fn parse_jsonl(text: String) -> Result<LogEvents, RunFailure> {
    LogEvents::from_jsonl(text).map_err(|err| RunFailure::BadJsonl {
        line: usize::try_from(err.line()).unwrap_or(usize::MAX),
        message: err.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_lines_are_checked_and_blank_lines_skipped() {
        let events = parse_jsonl("{\"a\":1}\r\n\n  \n{\"b\":2}\n".to_owned()).expect("valid");
        assert_eq!(events.len(), 2);
        assert_eq!(events.get(0), Some("{\"a\":1}"));
        assert_eq!(events.get(1), Some("{\"b\":2}"));
        assert_eq!(events.lines, [1, 4]);
        let err = parse_jsonl("{\"a\":1}\n{oops\n".to_owned()).expect_err("invalid");
        assert!(matches!(err, RunFailure::BadJsonl { line: 2, .. }), "{err}");
    }
}

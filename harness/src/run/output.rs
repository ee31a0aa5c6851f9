//! The engines' output: both hand back their events as JSON Lines text, read here, so both
//! sides go through the same JSON reading.

use serde_json::Value;

use super::model::RunFailure;

/// Parses JSON Lines text (one JSON value per non-empty line) into events.
///
/// # Errors
/// [`RunFailure::BadJsonl`] at the first line that is not JSON.
pub fn parse_jsonl(text: &str) -> Result<Vec<Value>, RunFailure> {
    let mut events = Vec::new();
    for (line, content) in (1..).zip(text.lines()) {
        if content.trim().is_empty() {
            continue;
        }
        let event = serde_json::from_str(content).map_err(|err| RunFailure::BadJsonl {
            line,
            message: err.to_string(),
        })?;
        events.push(event);
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_lines_are_parsed_and_blank_lines_skipped() {
        let events = parse_jsonl("{\"a\":1}\n\n{\"b\":2}\n").expect("valid");
        assert_eq!(events.len(), 2);
        let err = parse_jsonl("{\"a\":1}\n{oops\n").expect_err("invalid");
        assert!(matches!(err, RunFailure::BadJsonl { line: 2, .. }));
    }
}

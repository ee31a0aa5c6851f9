//! Which contract section a fixture covers, from its name's prefix (contract §5.6): the score per
//! section is the share of its fixtures a runtime passes. The first matching prefix wins, so the
//! longer prefixes come first.

/// `(prefix, section)`, checked in order; a fixture matching none counts under §1.2.
pub const SECTIONS: [(&str, &str); 15] = [
    ("load_", "§1.4 Load errors"),
    ("err_template_", "§1.3 Templates"),
    ("template_", "§1.3 Templates"),
    ("yaml_", "§1.1 The document"),
    ("action_", "§2 Builtin actions"),
    ("json_", "§2 Builtin actions"),
    ("err_", "§2.3 Engine-generated error messages"),
    ("recover_", "§1.2 Running a flow"),
    ("on_error_", "§1.2 Running a flow"),
    ("redact_", "§3.4 Redaction"),
    ("obs_", "§3.5 Observability settings and handlers"),
    ("level_", "§3.5 Observability settings and handlers"),
    ("fanout_", "§6.3 Loop limit and fan-out"),
    ("loop_", "§6.3 Loop limit and fan-out"),
    ("retry_", "§1.2 Running a flow"),
];

/// The section the fixture `name` is scored under.
#[must_use]
pub fn section_of(name: &str) -> &'static str {
    SECTIONS
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map_or("§1.2 Running a flow", |(_, section)| section)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longer_prefixes_win() {
        assert_eq!(section_of("err_template_syntax"), "§1.3 Templates");
        assert_eq!(
            section_of("err_loop_limit"),
            "§2.3 Engine-generated error messages"
        );
        assert_eq!(section_of("load_no_path"), "§1.4 Load errors");
        assert_eq!(section_of("linear_three_nodes"), "§1.2 Running a flow");
    }

    #[test]
    fn every_prefix_can_match() {
        for (index, (prefix, _)) in SECTIONS.iter().enumerate() {
            let shadowed = SECTIONS[..index].iter().any(|(p, _)| prefix.starts_with(p));
            assert!(!shadowed, "{prefix} is shadowed by an earlier prefix");
        }
    }
}

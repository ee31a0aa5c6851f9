//! `twinflow compare` (being written).

/// Arguments of `twinflow compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {}

/// Runs `twinflow compare`.
pub fn run(_args: &CompareArgs) -> anyhow::Result<super::ExitStatus> {
    anyhow::bail!("twinflow compare is being written")
}

//! `twinflow validate` (being written).

/// Arguments of `twinflow validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {}

/// Runs `twinflow validate`.
pub fn run(_args: &ValidateArgs) -> anyhow::Result<super::ExitStatus> {
    anyhow::bail!("twinflow validate is being written")
}

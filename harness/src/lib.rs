//! twinflow: the cross-runtime parity harness.

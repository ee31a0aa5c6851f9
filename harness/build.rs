//! Records where libpython is (an rpath, so the embedded interpreter is the set-up one, not the
//! system's). For the `twinflow` crate, also the fingerprint of the Rust engine this build links
//! (`TWINFLOW_ENGINE_FINGERPRINT`). The workspace's root package (the suite's tests) shares this
//! script for the rpath alone.

#[allow(unreachable_pub)] // public in the crate, private here
#[path = "src/fingerprint.rs"]
mod fingerprint;

fn main() {
    pyo3_build_config::add_libpython_rpath_link_args();
    if std::env::var("CARGO_PKG_NAME").as_deref() != Ok("twinflow") {
        return;
    }
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let engine = std::path::Path::new(&manifest).join("../engine");
    let print =
        fingerprint::of_engine(&engine).map_or_else(String::new, |hash| format!("{hash:016x}"));
    println!("cargo:rustc-env=TWINFLOW_ENGINE_FINGERPRINT={print}");
    println!("cargo:rerun-if-changed=../engine/src");
    println!("cargo:rerun-if-changed=../engine/Cargo.toml");
    println!("cargo:rerun-if-changed=src/fingerprint.rs");
    println!("cargo:rerun-if-changed=build.rs");
}

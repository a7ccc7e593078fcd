//! `lapor-local`, built with the integration tests (see tests/Cargo.toml).

fn main() -> std::process::ExitCode {
    lapor_local::main()
}

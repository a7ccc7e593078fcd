//! The `lapor-local` binary: everything it does is in the library (`src/lib.rs`).

fn main() -> std::process::ExitCode {
    lapor_local::main()
}

//! The compiled-in directory's version: a hash of the data it is built from and of the code
//! that builds it. A function compares it with the version the agencies table was published
//! under (one small read) and scans the table only when they differ.

use sha2::{Digest, Sha256};

const DIRECTORY_SOURCES: [&str; 6] = [
    "data/central-agencies.csv",
    "data/routing/aliases.csv",
    "data/routing/place-aliases.csv",
    "data/idn-area/provinces.csv",
    "data/idn-area/regencies.csv",
    "src/directory/mod.rs",
];

fn main() {
    let mut hash = Sha256::new();
    for path in DIRECTORY_SOURCES {
        println!("cargo:rerun-if-changed={path}");
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        hash.update(path.as_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
    }
    let digest = hash.finalize();
    let version: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("directory_version.txt");
    std::fs::write(out, format!("builtin-{version}")).expect("writing the directory version");
}

//! Files the tests read (fixtures, the public datasets) and the `advocate` binary they run.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Path of a fixture under tests/fixtures.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures")).join(name)
}

/// The public datasets beside the repository (never copied into it).
pub fn shared_data() -> PathBuf {
    std::env::var("ADVOCATE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        })
}

/// The `advocate` binary of this build. Cargo builds it beside the `deps/` folder holding the
/// running test or benchmark (what `CARGO_BIN_EXE_advocate` names in the root package's own
/// targets; a dependency such as this crate is not told).
pub fn advocate_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("the running executable");
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test runs from target/<profile>/deps")
        .join(format!("advocate{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.is_file(), "no advocate binary at {}", bin.display());
    bin
}

/// The binary against the database at `db_url`, logging warnings only.
pub fn advocate_command(db_url: &str) -> Command {
    let mut cmd = Command::new(advocate_bin());
    cmd.env("ADVOCATE__DATABASE__URL", db_url)
        .env("ADVOCATE__LOG__LEVEL", "warn");
    cmd
}

/// Runs the binary with `args` against the database at `db_url`.
pub fn run_advocate(db_url: &str, args: &[&str]) -> Output {
    advocate_command(db_url)
        .args(args)
        .output()
        .expect("binary runs")
}

/// A finished command's standard output then standard error.
pub fn output_text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Imports the full legislator directory from `../shared/data` into the database at `db_url`.
pub fn import_full_directory(db_url: &str) {
    let data = shared_data();
    let out = advocate_command(db_url)
        .args(["directory", "import", "--congress"])
        .arg(data.join("congress-legislators/legislators-current.json"))
        .arg("--openstates")
        .arg(data.join("openstates-people/data"))
        .arg("--districts")
        .arg(data.join("openstates-geo/configs/jurisdictions"))
        .arg("--zips")
        .arg(data.join("us-zipcodes-congress/zccd.csv"))
        .output()
        .expect("binary runs");
    assert!(
        out.status.success(),
        "directory import failed: {}",
        output_text(&out)
    );
}

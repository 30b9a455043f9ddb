//! The binary's command line as IT staff meet it: the exit codes README lists (0 done,
//! 1 failed, 2 usage error, 3 configuration error) and what each prints.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_myna-kakunin");

/// Runs the binary without a display (a kiosk start must end before it needs one).
fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn data_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("target dir is writable");
    dir
}

#[test]
fn version_prints_the_version_and_exits_0() {
    let out = run(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("myna-kakunin {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_usage_error_exits_2_with_the_usage() {
    for args in [
        &["--bogus"][..],
        &["readers", "--reader"],
        &["--log", "loud"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("usage: myna-kakunin"),
            "{args:?}"
        );
    }
}

#[test]
fn a_configuration_error_exits_3_naming_the_file() {
    let dir = data_dir("config");
    let config = dir.join("config.txt");
    fs::write(
        &config,
        "center_url=https://center.example.jp\ncolour=blue\n",
    )
    .expect("write");
    let out = run(&["--data-dir", dir.to_str().expect("utf-8 path")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!("{} line 2", config.display())),
        "{stderr}"
    );
    // A center URL that is not https: also the configuration, also 3.
    fs::write(&config, "").expect("write");
    let out = run(&[
        "--data-dir",
        dir.to_str().expect("utf-8 path"),
        "--center",
        "http://center.example.jp",
    ]);
    assert_eq!(out.status.code(), Some(3));
}

#[cfg(target_os = "linux")]
#[test]
fn a_config_file_others_can_write_is_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let dir = data_dir("writable");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
    let config = dir.join("config.txt");
    fs::write(&config, "center_url=https://center.example.jp\n").expect("write");
    fs::set_permissions(&config, fs::Permissions::from_mode(0o666)).expect("chmod");
    let out = run(&["--data-dir", dir.to_str().expect("utf-8 path")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let full = fs::canonicalize(&config).expect("exists");
    assert!(
        stderr.contains(&format!("chmod go-w {}", full.display())),
        "{stderr}"
    );
}

#[test]
fn licenses_lists_the_crates_and_fonts_inside_with_their_texts() {
    let out = run(&["--licenses"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    // Crates this build links, found through the tree (pcsc ships no licence file: the
    // standard MIT text stands in), and the fonts.
    for line in [
        "ring 0.17.14 (Apache-2.0 AND ISC): [",
        "pcsc 2.9.0 (MIT): [",
        "rustls 0.23.",
        "fontdue 0.9.",
        "BIZ UDPGothic (fonts/BIZUDPGothic-Regular.ttf) (OFL-1.1): [",
        "SIL OPEN FONT LICENSE",
        "Apache License",
        "Permission is hereby granted",
    ] {
        assert!(text.contains(line), "--licenses lacks {line:?}");
    }
    // Every reference has its text. References are on the crate and font lines
    // (`name version (licence): [1] [2]`); the texts themselves may hold brackets of their
    // own (a copyright line's `[2017]`).
    let refs: std::collections::BTreeSet<&str> = text
        .lines()
        .filter_map(|line| line.split_once("): ").map(|(_, refs)| refs))
        .filter(|refs| refs.starts_with('['))
        .flat_map(|refs| refs.split_whitespace())
        .filter_map(|r| r.strip_prefix('[')?.strip_suffix(']'))
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty())
        .collect();
    assert!(refs.len() > 20, "{} texts", refs.len());
    for r in refs {
        assert!(
            text.contains(&format!("\n---- [{r}] ")),
            "text [{r}] missing"
        );
    }
    // Crates of other systems are not listed for this one, nor the demo's own.
    if cfg!(target_os = "linux") {
        for other in ["\nwindows-sys ", "\nobjc2 ", "\nndk "] {
            assert!(!text.contains(other), "{other:?} listed on Linux");
        }
    }
}

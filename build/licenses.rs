//! Part of build.rs: the third-party licence texts that `myna-kakunin --licenses` prints
//! (OUT_DIR/licenses.txt), generated from the dependency tree at every build, never kept by
//! hand.
//!
//! The tree: Cargo.lock's packages reachable from this package, keeping an edge only when the
//! depending crate's Cargo.toml declares it as a normal or build dependency whose `cfg(…)`
//! holds for the target being built (CARGO_CFG_*; a `feature = …` inside a cfg counts as
//! true, as do optional dependencies of other crates, so the list can only be too long,
//! never short) and, for this package's own optional dependencies, only with their feature
//! on. Each crate's licence files (LICENSE*, LICENCE*, COPYING*, UNLICENSE, NOTICE*,
//! COPYRIGHT*) come from the sources cargo unpacked before building
//! ($CARGO_HOME/registry/src); a crate that ships none gets the standard text of its SPDX
//! licence from licenses/. A reachable crate whose sources are not unpacked is not part of
//! this build (cargo unpacks every crate it compiles before any build script runs).
//! The fonts' licences (fonts/OFL*.txt) and the Rust standard library's close the list.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::env;
use std::fs;
use std::path::{Path, PathBuf};

use super::fail;

/// One `[[package]]` of Cargo.lock.
struct Locked {
    name: String,
    version: String,
    registry: bool,
    /// `name` or `name version` as Cargo.lock writes them.
    deps: Vec<String>,
}

fn parse_lock(text: &str) -> Vec<Locked> {
    let mut out: Vec<Locked> = Vec::new();
    let mut in_deps = false;
    for line in text.lines() {
        let line = line.trim();
        if line == "[[package]]" {
            out.push(Locked {
                name: String::new(),
                version: String::new(),
                registry: false,
                deps: Vec::new(),
            });
            in_deps = false;
            continue;
        }
        let Some(p) = out.last_mut() else { continue };
        if in_deps {
            if line == "]" {
                in_deps = false;
            } else if let Some(dep) = quoted(line) {
                p.deps.push(dep);
            }
            continue;
        }
        if let Some(v) = line.strip_prefix("name = ").and_then(quoted) {
            p.name = v;
        } else if let Some(v) = line.strip_prefix("version = ").and_then(quoted) {
            p.version = v;
        } else if line.starts_with("source = \"registry+") {
            p.registry = true;
        } else if line == "dependencies = [" {
            in_deps = true;
        }
    }
    out
}

/// The first "…" string in `s`.
fn quoted(s: &str) -> Option<String> {
    let start = s.find('"')? + 1;
    let len = s[start..].find('"')?;
    Some(s[start..start + len].to_owned())
}

/// One dependency a Cargo.toml declares.
struct Declared {
    /// The package's name (after `package = …` renames).
    package: String,
    /// The name it is declared under (what features name with `dep:`).
    key: String,
    cfg: Option<String>,
    dev: bool,
    optional: bool,
}

/// The dependencies of a Cargo.toml, normalised (`[dependencies.x]`) or hand-written
/// (`x = { … }` under `[dependencies]`), with their target cfg; and its `[features]`.
fn parse_manifest(text: &str) -> (Vec<Declared>, HashMap<String, Vec<String>>) {
    let mut deps: Vec<Declared> = Vec::new();
    let mut features = HashMap::new();
    // The current section: (cfg, dev, Some(key) for `[…dependencies.key]`) or features.
    let mut section: Option<(Option<String>, bool, Option<String>)> = None;
    let mut in_features = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') {
            in_features = line == "[features]";
            section = dependency_section(line);
            if let Some((cfg, dev, Some(key))) = &section {
                deps.push(Declared {
                    package: key.clone(),
                    key: key.clone(),
                    cfg: cfg.clone(),
                    dev: *dev,
                    optional: false,
                });
            }
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let (k, v) = (k.trim().trim_matches('"'), v.trim());
        if in_features {
            let names = v.split('"').skip(1).step_by(2).map(str::to_owned);
            features.insert(k.to_owned(), names.collect());
            continue;
        }
        match &section {
            Some((_, _, Some(_))) => {
                if let Some(d) = deps.last_mut() {
                    if k == "package" {
                        d.package = quoted(v).unwrap_or_else(|| d.package.clone());
                    } else if k == "optional" {
                        d.optional = v == "true";
                    }
                }
            }
            Some((cfg, dev, None)) => {
                let inline = |field: &str| -> Option<String> {
                    let at = v.find(&format!("{field} = "))?;
                    Some(v[at + field.len() + 3..].to_owned())
                };
                deps.push(Declared {
                    package: inline("package")
                        .and_then(|p| quoted(&p))
                        .unwrap_or_else(|| k.to_owned()),
                    key: k.to_owned(),
                    cfg: cfg.clone(),
                    dev: *dev,
                    optional: inline("optional").is_some_and(|o| o.starts_with("true")),
                });
            }
            None => {}
        }
    }
    (deps, features)
}

/// `[dependencies]`, `[target.'cfg(…)'.build-dependencies.x]` and so on: (cfg, dev, key).
fn dependency_section(header: &str) -> Option<(Option<String>, bool, Option<String>)> {
    let inner = header.strip_prefix('[')?.strip_suffix(']')?;
    let (cfg, rest) = match inner.strip_prefix("target.") {
        Some(t) => {
            let quote = t.chars().next()?;
            if quote == '\'' || quote == '"' {
                let end = t[1..].find(quote)? + 1;
                (Some(t[1..end].to_owned()), t[end + 1..].strip_prefix('.')?)
            } else {
                // A target triple: `target.x86_64-pc-windows-gnu.dependencies`.
                let (triple, rest) = t.split_once('.')?;
                (Some(format!("triple = \"{triple}\"")), rest)
            }
        }
        None => (None, inner),
    };
    let (kind, key) = match rest.split_once('.') {
        Some((kind, key)) => (kind, Some(key.trim_matches('"').to_owned())),
        None => (rest, None),
    };
    let dev = match kind {
        "dependencies" | "build-dependencies" | "build_dependencies" => false,
        "dev-dependencies" | "dev_dependencies" => true,
        _ => return None,
    };
    Some((cfg, dev, key))
}

/// Whether a `cfg(…)` (or a bare target triple) holds for the target being built.
fn cfg_holds(expr: &str) -> bool {
    let expr = expr.trim();
    if let Some(triple) = expr.strip_prefix("triple = ") {
        return env::var("TARGET").ok().as_deref() == Some(triple.trim_matches('"'));
    }
    let Some(inner) = expr.strip_prefix("cfg(").and_then(|e| e.strip_suffix(')')) else {
        // A plain triple written without quotes in the header.
        return env::var("TARGET").ok().as_deref() == Some(expr);
    };
    let tokens = tokenize(inner);
    let mut at = 0;
    let value = eval(&tokens, &mut at);
    value.unwrap_or(true)
}

#[derive(Debug, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Open,
    Close,
    Comma,
    Eq,
}

fn tokenize(s: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '(' => out.push(Token::Open),
            ')' => out.push(Token::Close),
            ',' => out.push(Token::Comma),
            '=' => out.push(Token::Eq),
            '"' => {
                let mut v = String::new();
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    v.push(c);
                }
                out.push(Token::Str(v));
            }
            c if c.is_whitespace() => {}
            c => {
                let mut v = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_alphanumeric() || n == '_' {
                        v.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Token::Ident(v));
            }
        }
    }
    out
}

/// Evaluates one predicate at `tokens[*at]`; `None` when it cannot be read (taken as true).
fn eval(tokens: &[Token], at: &mut usize) -> Option<bool> {
    let Token::Ident(name) = tokens.get(*at)? else {
        return None;
    };
    *at += 1;
    match tokens.get(*at) {
        Some(Token::Open) => {
            *at += 1;
            let mut values = Vec::new();
            while tokens.get(*at) != Some(&Token::Close) {
                values.push(eval(tokens, at)?);
                if tokens.get(*at) == Some(&Token::Comma) {
                    *at += 1;
                }
            }
            *at += 1;
            match name.as_str() {
                "all" => Some(values.iter().all(|v| *v)),
                "any" => Some(values.iter().any(|v| *v)),
                "not" => Some(!*values.first()?),
                _ => None,
            }
        }
        Some(Token::Eq) => {
            *at += 1;
            let Some(Token::Str(value)) = tokens.get(*at) else {
                return None;
            };
            *at += 1;
            if name == "feature" {
                // Features of other crates are not known here: as if on.
                return Some(true);
            }
            let set = env::var(format!("CARGO_CFG_{}", name.to_uppercase())).ok();
            Some(set.is_some_and(|s| s.split(',').any(|v| v == value)))
        }
        _ => Some(env::var_os(format!("CARGO_CFG_{}", name.to_uppercase())).is_some()),
    }
}

/// Where cargo unpacks registry crates.
fn registry_dirs() -> Vec<PathBuf> {
    let home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .or_else(|| env::var_os("USERPROFILE").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| fail("licences: neither CARGO_HOME nor HOME is set"));
    let src = home.join("registry").join("src");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&src)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// A crate's licence files: (file name, text).
fn licence_files(dir: &Path) -> Vec<(String, String)> {
    let wanted = |name: &str| {
        let n = name.to_ascii_lowercase();
        ["licen", "copying", "unlicense", "notice", "copyright"]
            .iter()
            .any(|p| n.starts_with(p))
    };
    let mut files = Vec::new();
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !wanted(&name) {
            continue;
        }
        if path.is_dir() {
            for (inner, text) in licence_files_all(&path) {
                files.push((format!("{name}/{inner}"), text));
            }
        } else if let Ok(text) = fs::read_to_string(&path) {
            files.push((name, text));
        }
    }
    files
}

/// Every file of a LICENSES/ folder.
fn licence_files_all(dir: &Path) -> Vec<(String, String)> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    entries
        .into_iter()
        .filter_map(|p| {
            let text = fs::read_to_string(&p).ok()?;
            Some((p.file_name()?.to_string_lossy().into_owned(), text))
        })
        .collect()
}

/// `license = "…"` of a Cargo.toml.
fn spdx(manifest: &str) -> Option<String> {
    manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("license = ").and_then(quoted))
}

/// Writes OUT_DIR/licenses.txt.
pub fn write_licenses(out: &Path) {
    let root_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    println!("cargo:rerun-if-changed=Cargo.lock");
    println!("cargo:rerun-if-changed=licenses");
    println!("cargo:rerun-if-env-changed=CARGO_HOME");
    let lock = fs::read_to_string(root_dir.join("Cargo.lock"))
        .unwrap_or_else(|e| fail(&format!("licences: Cargo.lock: {e}")));
    let packages = parse_lock(&lock);
    let by_name: HashMap<&str, Vec<usize>> =
        packages
            .iter()
            .enumerate()
            .fold(HashMap::new(), |mut m, (i, p)| {
                m.entry(p.name.as_str()).or_default().push(i);
                m
            });
    let root_name = env::var("CARGO_PKG_NAME").unwrap_or_default();
    let root = packages
        .iter()
        .position(|p| !p.registry && p.name == root_name)
        .unwrap_or_else(|| fail("licences: this package is not in Cargo.lock"));
    let registries = registry_dirs();
    let source_dir = |p: &Locked| -> Option<PathBuf> {
        registries
            .iter()
            .map(|r| r.join(format!("{}-{}", p.name, p.version)))
            .find(|d| d.join("Cargo.toml").is_file())
    };

    // Walk the tree.
    let mut seen = BTreeSet::new();
    let mut todo = vec![root];
    let mut manifests: BTreeMap<usize, String> = BTreeMap::new();
    while let Some(i) = todo.pop() {
        if !seen.insert(i) {
            continue;
        }
        let p = &packages[i];
        let manifest_path = if i == root {
            root_dir.join("Cargo.toml")
        } else {
            match source_dir(p) {
                Some(dir) => dir.join("Cargo.toml"),
                // Not unpacked: not compiled in this build.
                None => continue,
            }
        };
        let manifest = fs::read_to_string(&manifest_path).unwrap_or_default();
        let (declared, features) = parse_manifest(&manifest);
        // This package's own optional dependencies follow its features.
        let enabled: BTreeSet<String> = features
            .iter()
            .filter(|(f, _)| {
                env::var_os(format!(
                    "CARGO_FEATURE_{}",
                    f.to_uppercase().replace('-', "_")
                ))
                .is_some()
            })
            .flat_map(|(_, names)| {
                names
                    .iter()
                    .map(|n| n.trim_start_matches("dep:").to_owned())
            })
            .collect();
        for dep in &p.deps {
            let mut parts = dep.split(' ');
            let name = parts.next().unwrap_or_default();
            let version = parts.next();
            let Some(target) = by_name.get(name).and_then(|c| {
                c.iter()
                    .copied()
                    .find(|&j| version.is_none_or(|v| packages[j].version == v))
            }) else {
                continue;
            };
            let decls: Vec<&Declared> = declared.iter().filter(|d| d.package == name).collect();
            let used = decls.is_empty()
                || decls.iter().any(|d| {
                    !d.dev
                        && d.cfg.as_deref().is_none_or(cfg_holds)
                        && (!d.optional || i != root || enabled.contains(&d.key))
                });
            // This package's own dependencies are certainly compiled: their sources must be
            // there, or the list would silently miss crates (vendored or replaced sources).
            if used && i == root && source_dir(&packages[target]).is_none() {
                fail(&format!(
                    "licences: the sources of {} {} are not under {:?}; build from crates.io \
                     sources (cargo fetch) so their licence files can be read",
                    packages[target].name, packages[target].version, registries
                ));
            }
            if used {
                todo.push(target);
            }
        }
        if i != root {
            manifests.insert(i, manifest);
        }
    }

    // The texts, each once, and which crates use it.
    let mut texts: Vec<(String, String)> = Vec::new(); // (title, text)
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut add = |title: String, text: String| -> usize {
        let key = text.trim().to_owned();
        *index.entry(key).or_insert_with(|| {
            texts.push((title, text));
            texts.len()
        })
    };
    let mut crates = String::new();
    let mut list: Vec<(&Locked, &String)> =
        manifests.iter().map(|(i, m)| (&packages[*i], m)).collect();
    list.sort_by(|a, b| (&a.0.name, &a.0.version).cmp(&(&b.0.name, &b.0.version)));
    for (p, manifest) in list {
        let licence = spdx(manifest).unwrap_or_else(|| "see its licence file".to_owned());
        let mut refs = Vec::new();
        let files = source_dir(p).map(|d| licence_files(&d)).unwrap_or_default();
        for (file, text) in files {
            refs.push(add(format!("{file} of {} {}", p.name, p.version), text));
        }
        if refs.is_empty() {
            // No file in the crate: the standard text of each licence its SPDX names.
            for id in licence
                .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == '/')
                .filter(|w| !matches!(*w, "" | "OR" | "AND" | "WITH"))
            {
                let path = root_dir.join("licenses").join(format!("{id}.txt"));
                if let Ok(text) = fs::read_to_string(&path) {
                    refs.push(add(format!("the standard {id} text"), text));
                }
            }
            if refs.is_empty() {
                fail(&format!(
                    "licences: {} {} ships no licence file and licenses/ has no text for {licence:?}; add licenses/<SPDX id>.txt",
                    p.name, p.version
                ));
            }
        }
        let refs: Vec<String> = refs.iter().map(|r| format!("[{r}]")).collect();
        crates.push_str(&format!(
            "{} {} ({licence}): {}\n",
            p.name,
            p.version,
            refs.join(" ")
        ));
    }
    let mut fonts = String::new();
    for (what, file) in [
        (
            "BIZ UDPGothic (fonts/BIZUDPGothic-Regular.ttf)",
            "fonts/OFL.txt",
        ),
        (
            "Noto Sans CJK JP, the subset in fonts/fallback-jis.otf",
            "fonts/OFL-NotoSansCJK.txt",
        ),
    ] {
        println!("cargo:rerun-if-changed={file}");
        let text = fs::read_to_string(root_dir.join(file))
            .unwrap_or_else(|e| fail(&format!("licences: {file}: {e}")));
        let r = add(file.to_owned(), text);
        fonts.push_str(&format!("{what} (OFL-1.1): [{r}]\n"));
    }
    let mut std_refs = Vec::new();
    for id in ["MIT", "Apache-2.0"] {
        let text = fs::read_to_string(root_dir.join("licenses").join(format!("{id}.txt")))
            .unwrap_or_else(|e| fail(&format!("licences: licenses/{id}.txt: {e}")));
        std_refs.push(format!(
            "[{}]",
            add(format!("the standard {id} text"), text)
        ));
    }
    let version = env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let target = env::var("TARGET").unwrap_or_default();
    let mut all = format!(
        "myna-kakunin {version} ({target}): third-party licences\n\n\
         This program contains the crates (Rust libraries) and fonts below. Each line names the\n\
         licence texts that apply to it; the texts follow, each once.\n\n\
         == Crates ==\n{crates}\n== Fonts ==\n{fonts}\n== Rust standard library ==\n\
         The Rust standard library and the crates it is built from (MIT OR Apache-2.0, \
         https://github.com/rust-lang/rust): {}\n\n== Texts ==\n",
        std_refs.join(" ")
    );
    for (i, (title, text)) in texts.iter().enumerate() {
        all.push_str(&format!(
            "\n---- [{}] {title} ----\n{}\n",
            i + 1,
            text.trim_end()
        ));
    }
    fs::write(out.join("licenses.txt"), all)
        .unwrap_or_else(|e| fail(&format!("writing licenses.txt: {e}")));
}

//! The crate's modules depend on lower layers only: the "Layers" list of the crate docs
//! (`src/lib.rs`) is the rule, and this test holds every path in the library's own code to it.
//!
//! A module's code is its file or folder minus its tests (`tests.rs`, `tests/`,
//! `test_support.rs`, and a trailing `#[cfg(test)] mod … { … }`). A reference is any path
//! that names another top-level module: `crate::x`, `$crate::x`, each name in
//! `use crate::{x, y::z}`, and `super::` paths that climb out of their own module. Comments
//! and doc links do not count: documentation may point anywhere.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code panics on purpose

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The layers, bottom first, as the crate docs list them: each numbered item's module names.
fn documented_layers(modules: &BTreeSet<String>) -> Vec<BTreeSet<String>> {
    let lib = fs::read_to_string(src().join("lib.rs")).expect("read src/lib.rs");
    let docs: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect();
    let start = docs
        .iter()
        .position(|l| *l == "# Layers")
        .expect("the crate docs have a '# Layers' section");
    let mut items: Vec<String> = Vec::new();
    for line in &docs[start + 1..] {
        if line.starts_with('#') {
            break;
        }
        let numbered = line
            .split_once(". ")
            .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        if numbered {
            items.push((*line).to_owned());
        } else if line.starts_with("   ") && !items.is_empty() {
            let last = items.len() - 1;
            items[last].push_str(line);
        }
    }
    items
        .iter()
        .map(|item| {
            item.split('`')
                .skip(1)
                .step_by(2)
                .filter(|name| modules.contains(*name))
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// The crate's top-level library modules: `src/<name>.rs` and `src/<name>/`.
fn modules() -> BTreeSet<String> {
    fs::read_dir(src())
        .expect("read src/")
        .filter_map(Result::ok)
        .filter_map(|e| {
            let path = e.path();
            let name = path.file_stem()?.to_str()?.to_owned();
            let is_module = if path.is_dir() {
                fs::read_dir(&path).ok()?.any(|f| {
                    f.ok()
                        .is_some_and(|f| f.path().extension().is_some_and(|x| x == "rs"))
                })
            } else {
                path.extension().is_some_and(|x| x == "rs")
            };
            // `test_support` is compiled for unit tests only: tests may use any layer.
            (is_module && name != "lib" && name != "test_support").then_some(name)
        })
        .collect()
}

/// The library (non-test) source files of module `name`, with their module path.
fn files_of(name: &str) -> Vec<(PathBuf, Vec<String>)> {
    fn walk(dir: &Path, path: Vec<String>, out: &mut Vec<(PathBuf, Vec<String>)>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries.filter_map(Result::ok) {
            let p = e.path();
            let stem = p
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("")
                .to_owned();
            if stem == "tests" || stem == "test_support" {
                continue;
            }
            if p.is_dir() {
                let mut sub = path.clone();
                sub.push(stem);
                walk(&p, sub, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let mut module = path.clone();
                if stem != "mod" {
                    module.push(stem);
                }
                out.push((p, module));
            }
        }
    }
    let mut out = Vec::new();
    let file = src().join(format!("{name}.rs"));
    if file.is_file() {
        out.push((file, vec![name.to_owned()]));
    }
    walk(&src().join(name), vec![name.to_owned()], &mut out);
    out
}

/// The code of a file without comments and without a trailing `#[cfg(test)]` module.
fn code(text: &str) -> String {
    let mut kept = String::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") || trimmed.starts_with("#[cfg(all(test") {
            let next = lines.get(i + 1).map_or("", |l| l.trim_start());
            if next.contains("mod ") && next.ends_with('{') {
                break;
            }
        }
        let without_comment = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        kept.push_str(without_comment);
        kept.push('\n');
    }
    kept
}

/// The first identifiers of the top-level items of a `use crate::{...}` group body.
fn group_heads(body: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut at_item_start = true;
    let mut ident = String::new();
    for c in body.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                at_item_start = true;
                continue;
            }
            _ => {}
        }
        if depth == 0 && at_item_start {
            if c.is_alphanumeric() || c == '_' {
                ident.push(c);
                continue;
            }
            if !ident.is_empty() {
                heads.push(std::mem::take(&mut ident));
                at_item_start = false;
            }
        }
    }
    if !ident.is_empty() {
        heads.push(ident);
    }
    heads
}

fn ident_at(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The top-level modules that `code` (in module `path`) names.
fn references(code: &str, path: &[String]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        if let Some(body) = after.strip_prefix('{') {
            let end = body.find("};").unwrap_or(body.len());
            found.extend(group_heads(&body[..end]));
        } else {
            found.insert(ident_at(after));
        }
        rest = after;
    }
    // `super::` chains that leave the module: `super::super::x` from `a::b::c` is `a::x`.
    let mut rest = code;
    while let Some(at) = rest.find("super::") {
        let before_is_path = rest[..at].ends_with("::");
        let mut after = &rest[at..];
        let mut climbs = 0;
        while let Some(next) = after.strip_prefix("super::") {
            climbs += 1;
            after = next;
        }
        if !before_is_path && climbs >= path.len() {
            found.insert(ident_at(after));
        }
        rest = &rest[at + "super::".len() * climbs.max(1)..];
    }
    found
}

#[test]
fn modules_depend_on_lower_layers_only() {
    let modules = modules();
    let layers = documented_layers(&modules);
    let mut layer_of: BTreeMap<&str, usize> = BTreeMap::new();
    for (n, layer) in layers.iter().enumerate() {
        for m in layer {
            assert!(
                layer_of.insert(m, n).is_none(),
                "module {m} is listed in two layers of the crate docs"
            );
        }
    }
    let unlisted: Vec<&String> = modules
        .iter()
        .filter(|m| !layer_of.contains_key(m.as_str()))
        .collect();
    assert!(
        unlisted.is_empty(),
        "modules missing from the crate docs' Layers list (src/lib.rs): {unlisted:?}"
    );

    let mut violations = Vec::new();
    for m in &modules {
        for (file, path) in files_of(m) {
            let text = fs::read_to_string(&file).expect("read a source file");
            for used in references(&code(&text), &path) {
                if used == *m || !modules.contains(&used) {
                    continue;
                }
                if layer_of[used.as_str()] >= layer_of[m.as_str()] {
                    violations.push(format!(
                        "{} (layer {}) uses {used} (layer {})",
                        file.strip_prefix(src()).unwrap_or(&file).display(),
                        layer_of[m.as_str()] + 1,
                        layer_of[used.as_str()] + 1
                    ));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "a module depends on its own layer or one above (move the code down, or the \
         dependency up; see '# Layers' in src/lib.rs):\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_checker_sees_every_form_of_path() {
    let path = vec!["event".to_owned(), "workload".to_owned()];
    let code = code(
        "use crate::{framework::{Ctx, Charm}, model};\n\
         fn f() { crate::store::x(); $crate::log::y(); }\n\
         use super::super::container::Container;\n\
         use super::kind::EventKind;\n\
         // crate::dispatch in a comment does not count\n\
         #[cfg(test)]\nmod tests {\n use crate::testing::X;\n}\n",
    );
    let found = references(&code, &path);
    let want: BTreeSet<String> = ["framework", "model", "store", "log", "container"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(found, want);
}

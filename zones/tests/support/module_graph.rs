//! The module dependency graph of a crate, read from its source text, and a cycle finder.
//!
//! Shared by `zones/tests/no_module_cycles.rs` and `signer/tests/no_module_cycles.rs`: the
//! modules of `zones` and `signer` must depend on each other in one direction only (a DAG), so
//! that every module can be read, tested and changed knowing only the modules below it.
//!
//! Each source file is one node. A file depends on another when its code names a path into it:
//! `crate::a::b`, `super::x`, `self::child` or `child::x` for a `mod child;` it declares, with
//! `{...}` groups expanded, and `crate::Item` resolved through the crate root's `pub use`
//! re-exports. Declaring a child module is not a dependency, nor is the `mod tests` at the end
//! of a file (everything from `#[cfg(test)] mod tests` on is left out) or a `tests.rs` file.
//! Line comments are skipped, so doc links do not count. It reads text, not Rust syntax, so it
//! can see a path that is not one (in a string, say) and report a dependency too many; it does
//! not miss one that code written in the usual style has.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module, as the path of names from the crate root (`[]` is the root).
pub type Module = Vec<String>;

/// Module -> the modules it depends on.
pub type Graph = BTreeMap<Module, BTreeSet<Module>>;

/// The graph of the crate whose sources are under `src` (its `lib.rs` is the root).
pub fn crate_graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    collect(src, src, &mut files);
    graph_of(&files)
}

/// Every `.rs` file below `dir`, as (module, text).
fn collect(src: &Path, dir: &Path, out: &mut Vec<(Module, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(src, &path, out);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let relative = path.strip_prefix(src).unwrap().with_extension("");
        let mut module: Module = relative
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if module == ["lib"] || module == ["main"] {
            module.clear();
        } else if module.last().is_some_and(|m| m == "mod") {
            module.pop();
        }
        out.push((module, std::fs::read_to_string(&path).unwrap()));
    }
}

/// The graph of `files` (module, source text).
pub fn graph_of(files: &[(Module, String)]) -> Graph {
    let modules: BTreeSet<Module> = files.iter().map(|(m, _)| m.clone()).collect();
    let code: Vec<(Module, String)> = files
        .iter()
        .filter(|(m, _)| m.last().is_none_or(|n| n != "tests"))
        .map(|(m, text)| (m.clone(), code_of(text)))
        .collect();
    // Names the root re-exports (`pub use record::{Name, ...}`) -> the module they come from.
    let mut root_names: BTreeMap<String, Module> = BTreeMap::new();
    for (module, text) in code.iter().filter(|(m, _)| m.is_empty()) {
        for path in paths(text, &children(text)) {
            let target = resolve(&modules, module, &path);
            if let (Some(target), Some(name)) = (target, path.last()) {
                root_names.insert(name.clone(), target);
            }
        }
    }
    let mut graph = Graph::new();
    for (module, text) in &code {
        let deps = graph.entry(module.clone()).or_default();
        for path in paths(text, &children(text)) {
            let target = match resolve(&modules, module, &path) {
                Some(t) if t.is_empty() => path.get(1).and_then(|n| root_names.get(n)).cloned(),
                other => other,
            };
            if let Some(target) = target.filter(|t| t != module && !t.is_empty()) {
                deps.insert(target);
            }
        }
    }
    graph
}

/// The text of a file without its test module and without line comments.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The child modules a file declares (`mod x;`, `pub mod x;`, `pub(crate) mod x;`).
fn children(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line.strip_suffix(';')?;
            let name = rest.rsplit_once("mod ")?.1;
            let prefix = rest.rsplit_once("mod ")?.0.trim();
            let visibility = prefix.is_empty() || prefix.starts_with("pub");
            (visibility && is_ident(name)).then(|| name.to_string())
        })
        .collect()
}

/// Every path in `text` that starts with `crate`, `super`, `self` or a child module, `{}`
/// groups expanded: `crate::a::{b, c::d}` gives `crate a b` and `crate a c d`.
fn paths(text: &str, children: &BTreeSet<String>) -> Vec<Vec<String>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start_of_word = i == 0 || !is_ident_byte(bytes[i - 1]) && bytes[i - 1] != b':';
        if start_of_word && is_ident_byte(bytes[i]) {
            let end = word_end(bytes, i);
            let word = &text[i..end];
            let rooted = matches!(word, "crate" | "super" | "self") || children.contains(word);
            if rooted && text[end..].starts_with("::") {
                let mut prefixes = vec![vec![word.to_string()]];
                let next = expand(text, end, &mut prefixes, &mut out);
                i = next;
                continue;
            }
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

/// Reads the rest of a path at `at` (just after a segment), extending `prefixes`; pushes every
/// finished path to `out` and returns where it stopped.
fn expand(
    text: &str,
    at: usize,
    prefixes: &mut Vec<Vec<String>>,
    out: &mut Vec<Vec<String>>,
) -> usize {
    let bytes = text.as_bytes();
    let mut i = at;
    loop {
        if !text[i..].starts_with("::") {
            out.append(prefixes);
            return i;
        }
        i += 2;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b'{' {
            // A group: each item is a path of its own below the prefix.
            i += 1;
            loop {
                while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b',') {
                    i += 1;
                }
                if i >= bytes.len() || bytes[i] == b'}' {
                    // The group's items were the paths; the prefix alone is none.
                    prefixes.clear();
                    return i + 1;
                }
                let end = word_end(bytes, i);
                if end == i {
                    // `*` or something else that is no name: the prefix alone.
                    out.extend(prefixes.iter().cloned());
                    i += 1;
                    continue;
                }
                let mut item: Vec<Vec<String>> = prefixes
                    .iter()
                    .map(|p| [p.clone(), vec![text[i..end].to_string()]].concat())
                    .collect();
                i = expand(text, end, &mut item, out);
                // Skip `as alias`.
                while i < bytes.len() && bytes[i] != b',' && bytes[i] != b'}' {
                    i += 1;
                }
            }
        }
        let end = word_end(bytes, i);
        if end == i {
            out.append(prefixes);
            return i;
        }
        for p in prefixes.iter_mut() {
            p.push(text[i..end].to_string());
        }
        i = end;
    }
}

/// Where the identifier starting at `i` ends.
fn word_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && is_ident_byte(bytes[i]) {
        i += 1;
    }
    i
}

/// Whether `b` can be part of an identifier.
fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether `s` is an identifier.
fn is_ident(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_ident_byte)
}

/// The module a path from `module` leads into: the longest known module its segments name.
fn resolve(modules: &BTreeSet<Module>, module: &Module, path: &[String]) -> Option<Module> {
    let (first, rest) = path.split_first()?;
    let mut base: Module = match first.as_str() {
        "crate" => Vec::new(),
        "self" => module.clone(),
        "super" => module.get(..module.len().checked_sub(1)?)?.to_vec(),
        child => [module.clone(), vec![child.to_string()]].concat(),
    };
    let mut rest = rest;
    // `super::super::x`
    while let Some((_, r)) = rest.split_first().filter(|(s, _)| *s == "super") {
        base.pop();
        rest = r;
    }
    let mut best = modules.contains(&base).then(|| base.clone());
    for segment in rest {
        base.push(segment.clone());
        if modules.contains(&base) {
            best = Some(base.clone());
        } else {
            break;
        }
    }
    best
}

/// A cycle of `graph` as the modules along it (the first repeated at the end), if it has one.
pub fn find_cycle(graph: &Graph) -> Option<Vec<Module>> {
    /// Depth-first search; `stack` is the current path, `done` the modules fully explored.
    fn visit(
        graph: &Graph,
        module: &Module,
        stack: &mut Vec<Module>,
        done: &mut BTreeSet<Module>,
    ) -> Option<Vec<Module>> {
        if let Some(at) = stack.iter().position(|m| m == module) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(module.clone());
            return Some(cycle);
        }
        if done.contains(module) {
            return None;
        }
        stack.push(module.clone());
        for dep in graph.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(graph, dep, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(module.clone());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|m| visit(graph, m, &mut Vec::new(), &mut done))
}

/// A cycle as `a -> b -> a` (the root is `lib`).
pub fn show(cycle: &[Module]) -> String {
    let names: Vec<String> = cycle
        .iter()
        .map(|m| {
            if m.is_empty() {
                "lib".into()
            } else {
                m.join("/")
            }
        })
        .collect();
    names.join(" -> ")
}

/// Fails, naming a cycle and the graph, when the crate under `src` has an import cycle.
pub fn assert_no_cycles(src: &Path) {
    let graph = crate_graph(src);
    assert!(
        graph.len() > 3,
        "read too few modules under {}",
        src.display()
    );
    if let Some(cycle) = find_cycle(&graph) {
        let mut listing = String::new();
        for (m, deps) in &graph {
            let deps: Vec<String> = deps.iter().map(|d| d.join("/")).collect();
            listing.push_str(&format!(
                "  {} -> {}\n",
                show(std::slice::from_ref(m)),
                deps.join(", ")
            ));
        }
        panic!(
            "module import cycle: {}\nthe graph:\n{listing}",
            show(&cycle)
        );
    }
}

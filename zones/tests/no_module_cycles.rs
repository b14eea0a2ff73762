//! The modules of `zones` import each other in one direction only: no module reaches itself
//! through `use crate::`/`super::` paths (see `support/module_graph.rs` for what counts).

#[path = "support/module_graph.rs"]
mod module_graph;

use module_graph::{Module, assert_no_cycles, find_cycle, graph_of, show};

#[test]
fn zones_modules_form_a_dag() {
    assert_no_cycles(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
}

#[test]
fn a_cycle_through_a_group_import_is_found() {
    let graph = graph_of(&files(&[
        ("", "pub mod a;\npub mod b;\npub use b::Thing;\n"),
        ("a", "use crate::{b::Thing, Other};\n"),
        ("b", "pub struct Thing;\nfn f() { crate::a::g(); }\n"),
    ]));
    let cycle = show(&find_cycle(&graph).expect("a cycle of a and b"));
    assert!(cycle == "a -> b -> a" || cycle == "b -> a -> b", "{cycle}");
}

#[test]
fn a_child_using_its_parent_that_uses_it_is_a_cycle() {
    let graph = graph_of(&files(&[
        ("", "pub mod m;\n"),
        (
            "m",
            "mod lexer;\nfn f() { lexer::tokenize(); }\npub struct SyntaxError;\n",
        ),
        ("m/lexer", "use super::SyntaxError;\npub fn tokenize() {}\n"),
    ]));
    assert_eq!(show(&find_cycle(&graph).unwrap()), "m -> m/lexer -> m");
}

#[test]
fn re_exports_of_the_root_are_followed_and_tests_and_comments_ignored() {
    let graph = graph_of(&files(&[
        ("", "pub mod a;\npub mod b;\npub use a::Name;\n"),
        (
            "a",
            "pub struct Name;\n/// See [`crate::b::f`].\n#[cfg(test)]\nmod tests {\n    use crate::b::f;\n}\n",
        ),
        ("b", "use crate::Name;\npub fn f() {}\n"),
        ("b/tests", "use crate::a::Name;\n"),
    ]));
    assert_eq!(find_cycle(&graph), None);
    let b = graph.get(&vec!["b".to_string()]).unwrap();
    assert!(b.contains(&vec!["a".to_string()]), "{graph:?}");
}

/// (module path text, source text) pairs as [`graph_of`] takes them, for the checker's tests.
pub fn files(list: &[(&str, &str)]) -> Vec<(Module, String)> {
    list.iter()
        .map(|(m, text)| {
            let module = m
                .split('/')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            (module, text.to_string())
        })
        .collect()
}

//! The modules of `signer` import each other in one direction only: no module reaches itself
//! through `use crate::`/`super::` paths. The checker (and its own tests) is shared with
//! `zones`, in `zones/tests/support/module_graph.rs`.

#[path = "../../zones/tests/support/module_graph.rs"]
mod module_graph;

#[test]
fn signer_modules_form_a_dag() {
    module_graph::assert_no_cycles(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
}

//! `daned tsig-keygen NAME`: a new TSIG key (RFC 8945), printed for daned, BIND and Knot.

use std::process::ExitCode;

use anyhow::Context;

use crate::net::tsig::{TsigAlgorithm, generate_secret};

/// The arguments of `daned tsig-keygen`.
#[derive(clap::Args)]
pub struct TsigKeygenArgs {
    /// The key's name (the same on both sides of a transfer).
    name: String,
    /// hmac-sha256 (default), hmac-sha512 or hmac-sha1.
    #[arg(long, default_value = "hmac-sha256")]
    algorithm: String,
}

/// Prints the new key in the three configuration syntaxes.
pub fn execute(args: TsigKeygenArgs) -> anyhow::Result<ExitCode> {
    let algorithm = &args.algorithm;
    let alg = TsigAlgorithm::from_name(algorithm).with_context(|| {
        format!("--algorithm {algorithm}: use hmac-sha256, hmac-sha512 or hmac-sha1")
    })?;
    let secret = data_encoding::BASE64.encode(&generate_secret());
    let name = args.name.trim_end_matches('.');
    println!(
        "# daned (daned.toml)\n[[tsig_key]]\nname = \"{name}\"\nalgorithm = \"{alg}\"\nsecret = \"{secret}\"\n"
    );
    println!(
        "# BIND (named.conf)\nkey \"{name}\" {{\n    algorithm {alg};\n    secret \"{secret}\";\n}};\n"
    );
    println!(
        "# Knot DNS (knot.conf)\nkey:\n  - id: {name}\n    algorithm: {alg}\n    secret: {secret}"
    );
    Ok(ExitCode::SUCCESS)
}

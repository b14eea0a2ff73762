//! The `daned` command.

fn main() -> anyhow::Result<()> {
    Ok(())
}

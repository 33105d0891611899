//! `skybridge store migrate`: moving an installation's state to another store.

use std::io::Write;

use super::args::StoreCommand;
use super::password_from_env;

/// Runs `store migrate`.
pub fn store_command(command: &StoreCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    use crate::ops::store as migrate;
    use crate::store::migrate::StoreAddress;
    let StoreCommand::Migrate {
        from,
        to,
        data,
        password_env,
    } = command;
    let from = StoreAddress::parse(from)?;
    let to = StoreAddress::parse(to)?;
    let data = migrate::data_folder(&from, &to, data.as_deref())?;
    let password = match &to {
        StoreAddress::Server(_) => Some(password_from_env(password_env)?),
        StoreAddress::Embedded(_) => None,
    };
    let moved = migrate::migrate(&data, &from, &to, password)?;
    for (space, n) in &moved.spaces {
        writeln!(out, "{space:<36} {n:>10} entries")?;
    }
    writeln!(
        out,
        "The installation now keeps its state in {}.",
        moved.new_store
    )?;
    writeln!(
        out,
        "The old store is kept as a backup: {}. Remove it once the next cycles have run well.",
        moved.old_store
    )?;
    Ok(())
}

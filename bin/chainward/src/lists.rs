//! `chainward lists`.

use crate::cli::{Global, ListsArgs, ListsCommand};
use chainward_store_api::WatchlistStore;
use std::process::ExitCode;

pub(crate) fn run(global: &Global, args: ListsArgs) -> anyhow::Result<ExitCode> {
    let store = crate::open_store(global)?;
    match args.what {
        ListsCommand::Sources => {
            let sources = store.sources()?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&sources)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "{:<44} {:<20} {:>9} {:>8} {:>9} {:<12}",
                "source", "format", "snapshots", "active", "delisted", "latest"
            );
            for s in sources {
                println!(
                    "{:<44} {:<20} {:>9} {:>8} {:>9} {:<12}",
                    s.name,
                    s.format,
                    s.snapshots,
                    s.active_entries,
                    s.delisted_entries,
                    s.latest_effective_at.unwrap_or_default()
                );
            }
        }
        ListsCommand::Snapshots { source } => {
            let snapshots = store.snapshots(source.as_deref())?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&snapshots)?);
                return Ok(ExitCode::SUCCESS);
            }
            for s in snapshots {
                println!(
                    "#{} {} ({}) as of {} imported {}\n    {} entries, {} listed, {} de-listed, \
                     {} issues; sha256 {}\n    from {}",
                    s.id,
                    s.source,
                    s.format,
                    s.effective_at,
                    s.imported_at,
                    s.entry_count,
                    s.listed,
                    s.delisted,
                    s.issue_count,
                    s.content_hash,
                    s.origin
                );
            }
        }
        ListsCommand::Issues { snapshot } => {
            let issues = store.issues(snapshot)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&issues)?);
                return Ok(ExitCode::SUCCESS);
            }
            if issues.is_empty() {
                println!("snapshot #{snapshot} has no recorded issue");
            }
            for issue in issues {
                println!("{issue}");
            }
        }
        ListsCommand::Actor { name } => {
            let actors = store.actor(&name)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&actors)?);
            } else if actors.is_empty() {
                println!("no actor named '{name}'");
            } else {
                for a in actors {
                    println!(
                        "{} ({})\n  aliases: {}\n  categories: {}\n  jurisdictions: {}\n  uri: {}",
                        a.label,
                        a.id,
                        a.aliases.join(", "),
                        a.categories.join(", "),
                        a.jurisdictions.join(", "),
                        a.uri.unwrap_or_default()
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! `limbic algorithms`: the registered learners, their parameters and defaults.

use anyhow::Result;
use serde_json::json;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print one JSON object per algorithm instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<()> {
    let registry = limbic::config::algorithms();
    for entry in registry.entries() {
        let defaults = (entry.defaults)();
        if args.json {
            let params: serde_json::Map<_, _> =
                entry.params.iter().map(|(name, doc)| (name.to_string(), json!(doc))).collect();
            let line = json!({"name": entry.name, "summary": entry.summary, "params": params, "defaults": defaults,
                              "needs_demonstrations": entry.needs_demonstrations, "memory": entry.memory});
            println!("{line}");
            continue;
        }
        let mut notes = Vec::new();
        if entry.memory {
            notes.push("policy.memory: gru, lstm, slots, frame_stack");
        }
        if entry.needs_demonstrations {
            notes.push("trained by `limbic imitate`");
        }
        let notes = if notes.is_empty() { String::new() } else { format!(" [{}]", notes.join("; ")) };
        println!("{}: {}{notes}", entry.name, entry.summary);
        for (name, doc) in entry.params {
            let default = defaults.get(name).map_or_else(|| "-".to_string(), |v| v.to_string());
            println!("    {name} = {default}  {doc}");
        }
    }
    if !args.json {
        println!(
            "\n{} algorithms. Choose with `limbic train --algo NAME`, set parameters with `--set params.NAME=VALUE`,\n\
             give the policy memory with `--set policy.memory.kind=gru` (or a config's \"policy\": {{\"memory\": ...}}).",
            registry.entries().len()
        );
    }
    Ok(())
}

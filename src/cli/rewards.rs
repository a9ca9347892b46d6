//! `limbic rewards`: the registered reward signals, their parameters and defaults.

use anyhow::Result;
use limbic_rewards::Registry;
use serde_json::json;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print one JSON object per signal instead of text.
    #[arg(long)]
    json: bool,
}

/// Whether a signal's raw bonus is divided by the root of its episodic count by default.
fn episodic_counts(entry: &limbic_rewards::SignalEntry) -> &'static str {
    if entry.episodic_counts {
        "on for discrete observations (the bonus over sqrt of this episode's visits to s')"
    } else {
        "off"
    }
}

/// The normalization a spec that does not name one gets, as configs write it.
fn normalization(entry: &limbic_rewards::SignalEntry) -> serde_json::Value {
    json!(entry.normalization)
}

/// Where a signal's bonus goes unless its spec says otherwise.
fn stream(entry: &limbic_rewards::SignalEntry) -> &'static str {
    if entry.exploration {
        "own (a termination does not end its return)"
    } else {
        "extrinsic (summed with the env's reward)"
    }
}

pub fn run(args: Args) -> Result<()> {
    let registry = Registry::builtins();
    for entry in registry.entries() {
        let defaults = (entry.defaults)();
        if args.json {
            let params: serde_json::Map<_, _> =
                entry.params.iter().map(|(name, doc)| (name.to_string(), json!(doc))).collect();
            println!(
                "{}",
                json!({"name": entry.name, "summary": entry.summary, "params": params, "defaults": defaults,
                       "weight": entry.weight, "normalization": normalization(entry), "stream": stream(entry),
                       "episodic_counts": episodic_counts(entry), "caveats": entry.caveats})
            );
            continue;
        }
        println!("{}: {}", entry.name, entry.summary);
        println!(
            "    default weight {}, normalization {}, stream: {}",
            entry.weight,
            normalization(entry).as_str().unwrap_or_default(),
            stream(entry)
        );
        if entry.episodic_counts {
            println!("    episodic_counts: {}", episodic_counts(entry));
        }
        if !entry.caveats.is_empty() {
            println!("    caveats: {}", entry.caveats);
        }
        for (name, doc) in entry.params {
            let default = defaults.get(name).map_or_else(|| "-".to_string(), |v| v.to_string());
            println!("    {name} = {default}  {doc}");
        }
    }
    if !args.json {
        println!("\nteacher_params of the synthetic teachers (preferences, evaluative), over the kind's preset:");
        for (name, doc) in limbic_rewards::teachers::TEACHER_PARAMS {
            println!("    {name}  {doc}");
        }
        println!(
            "\n{} signals. Attach with `limbic train --reward NAME[:WEIGHT]`, or a config's `rewards` list:\n\
             [{{\"name\": \"counts\", \"weight\": 0.005, \"params\": {{\"memory\": \"episodic\"}},\n  \
             \"schedule\": {{\"kind\": \"linear\", \"from\": 1, \"to\": 0, \"start\": 0, \"end\": 500000}}}}]\n\
             Per signal: weight, params, schedule (constant, linear, exponential, step, piecewise, phases),\n\
             normalization (rms, std, minmax, none), obs_norm, gamma, stream (own, extrinsic), episodic,\n\
             episodic_counts, advantage_coef, keys, offset, clip, label; combinations: {{\"name\": ..., \"product\": [specs]}}\n\
             or \"sum\". `extrinsic` (weight 1) is added unless listed. A weight left out is the signal's\n\
             default: it assumes rms normalization (the default) and the signal's default stream.",
            registry.entries().len()
        );
    }
    Ok(())
}

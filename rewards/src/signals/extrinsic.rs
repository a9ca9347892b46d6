//! `extrinsic`: the environment's own reward as a signal like any other, so a schedule can
//! weight it (0 during reward-free pretraining, then 1 for the task). The reward set adds it
//! with weight 1 and no normalization when a run does not list it; it always feeds stream 0.

use crate::scaling::Normalization;
use crate::signal::{IntrinsicReward, Memory, SignalContext, SignalEntry};
use limbic_agents::core::config::parse_config;
use limbic_agents::shaping::Transitions;
use limbic_agents::Result;
use serde::{Deserialize, Serialize};

/// The registry name.
pub const NAME: &str = "extrinsic";

pub const ENTRY: SignalEntry = SignalEntry {
    name: NAME,
    summary: "the environment's own reward (after the learner's reward normalization); always stream 0",
    params: &[],
    defaults: || serde_json::json!({}),
    weight: 1.0,
    normalization: Normalization::None,
    exploration: false,
    episodic_counts: false,
    caveats: "",
    build: &build,
};

/// No parameters: its scale is the spec's `weight` and `schedule`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {}

fn build(params: &serde_json::Value, _: &SignalContext) -> Result<Box<dyn IntrinsicReward>> {
    let Params {} = parse_config(NAME, params)?;
    Ok(Box::new(Extrinsic))
}

/// Raw bonus = the batch's `rewards`.
pub struct Extrinsic;

impl IntrinsicReward for Extrinsic {
    fn name(&self) -> &str {
        NAME
    }

    fn memory(&self) -> Memory {
        Memory::Lifelong
    }

    fn compute(&mut self, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        for (slot, o) in out.iter_mut().enumerate().take(batch.slots()) {
            *o = if batch.valid[slot] { batch.rewards[slot] } else { 0.0 };
        }
        Ok(())
    }

    fn save(&self) -> Result<Vec<u8>> {
        Ok(Vec::new())
    }

    fn load(&mut self, _bytes: &[u8]) -> Result<()> {
        Ok(())
    }
}

//! Your own signal: implement `IntrinsicReward`, register it, train with it (`--example custom_reward`).
use limbic_agents::core::algorithm::build_with;
use limbic_agents::policies::FEED_FORWARD;
use limbic_agents::shaping::Transitions;
use limbic_agents::AlgorithmSpec;
use limbic_agents::Result;
use limbic_environments::{vector::VecEnv, Kwargs};
use limbic_rewards::{
    IntrinsicReward, Memory, Normalization, Registry, RewardSet, RewardSpec, SignalContext, SignalEntry,
};

/// Novelty: squared distance of the next observation from the running mean of those seen.
struct Novelty {
    mean: Vec<f64>,
    seen: f64,
}

impl IntrinsicReward for Novelty {
    fn name(&self) -> &str {
        "novelty"
    }
    fn memory(&self) -> Memory {
        Memory::Lifelong
    }
    fn compute(&mut self, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        for slot in (0..batch.slots()).filter(|&s| batch.valid[s]) {
            let row = batch.next_obs_row(slot);
            out[slot] = row.iter().zip(&self.mean).map(|(&x, m)| (x as f64 - m).powi(2)).sum::<f64>() as f32;
            self.seen += 1.0;
            self.mean.iter_mut().zip(row).for_each(|(m, &x)| *m += (x as f64 - *m) / self.seen);
        }
        Ok(())
    }
    fn save(&self) -> Result<Vec<u8>> {
        Ok(serde_json::to_vec(&(&self.mean, self.seen)).unwrap_or_default())
    }
    fn load(&mut self, bytes: &[u8]) -> Result<()> {
        (self.mean, self.seen) =
            serde_json::from_slice(bytes).map_err(|e| limbic_agents::AgentError::Io(e.to_string()))?;
        Ok(())
    }
}

const NOVELTY: SignalEntry = SignalEntry {
    name: "novelty",
    summary: "squared distance of the next observation from the mean observation",
    params: &[],
    defaults: || serde_json::json!({}),
    weight: 1.0,
    normalization: Normalization::Rms,
    exploration: true,
    episodic_counts: false,
    caveats: "",
    build: &|_, ctx| Ok(Box::new(Novelty { mean: vec![0.0; ctx.obs_dim], seen: 0.0 })),
};

fn main() -> anyhow::Result<()> {
    let mut registry = Registry::builtins();
    registry.register(NOVELTY)?;
    let mut envs = VecEnv::make("MountainCar-v0", 4, &Kwargs::new())?;
    envs.reset(Some(0))?;
    let (observation_space, action_space) = (envs.observation_space().clone(), envs.action_space().clone());
    let ctx = SignalContext { obs_dim: envs.obs_dim(), observation_space, action_space, num_envs: 4, seed: 0 };
    let specs = [RewardSpec { weight: Some(0.1), ..RewardSpec::named("novelty") }];
    let set = RewardSet::new(&registry, &specs, &ctx)?;
    let params = serde_json::json!({"n_steps": 128, "batch_size": 128, "n_epochs": 2});
    let spec = AlgorithmSpec {
        algo: "ppo",
        params: &params,
        policy: &FEED_FORWARD,
        observation_space: &ctx.observation_space,
        action_space: &ctx.action_space,
        num_envs: 4,
        total_steps: 4096,
        seed: 0,
    };
    let mut ppo = build_with(&spec, Some(Box::new(set)))?;
    for update in 1..=4 {
        let m = ppo.update(&mut envs)?.metrics;
        let (raw, mean, env) = (m["reward/novelty/raw_mean"], m["reward/novelty/mean"], m["reward/extrinsic/mean"]);
        println!("update {update}: novelty raw {raw:.4}, scaled and weighted {mean:.4}, env reward {env:.3}");
    }
    Ok(())
}

#[test]
fn runs() {
    main().unwrap();
}

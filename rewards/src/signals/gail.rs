//! GAIL's discriminator as a reward signal (Ho & Ermon 2016): a classifier `D(s, a)` trained to
//! tell the expert's state-action pairs (label 1) from the learner's (label 0); the learner is
//! rewarded with `-log(1 - D(s, a))`, high where its behaviour looks like the expert's. With
//! the env's own reward weighted 0 and PPO as the generator this is GAIL; with both it is
//! imitation-shaped RL.
//!
//! - The reward is `-log(1 - D) = softplus(logit)`, the form the `imitation` library trains
//!   its generator with (the paper's cost `log D` with D the learner's probability is the same
//!   quantity up to the labels' convention).
//! - **Fixed horizons.** This reward is positive, so in an env whose episodes end early a
//!   learner gains by surviving, whatever the expert did (and a negative reward would teach it
//!   to end episodes): termination leaks reward. Train GAIL on a fixed-horizon variant
//!   (`limbic_environments::wrappers::AbsorbAfterDone`); `limbic imitate --algo gail` wraps
//!   the env so and says so.
//! - The discriminator is a [`PairScorer`] (an embedding of s, a head on it and the action).
//! - Each update trains on the batch's valid transitions (the learner's) against as many
//!   pairs drawn with replacement from the demonstrations, `epochs` passes in minibatches.

use crate::models::{
    at_least_one, check_batch, check_bonuses, clear_output, encoder_kind, layer_widths, minibatches, positive, to_json,
    upload, valid_slots, ActionCoding, Archive, Means, PairScorer, Trainer, SCORE_CHUNK,
};
use crate::scaling::Normalization;
use crate::signal::{IntrinsicReward, Memory, SignalContext, SignalEntry};
use burn::prelude::*;
use limbic_agents::core::checkpoint::RngState;
use limbic_agents::core::config::parse_config;
use limbic_agents::nets::download;
use limbic_agents::shaping::Transitions;
use limbic_agents::{AgentError, Result};
use limbic_datasets::{Actions, Dataset};
use limbic_environments::rng::Generator;
use limbic_environments::Space;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

pub const NAME: &str = "gail";

/// The discriminator's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GailParams {
    /// Hidden widths of the observation embedding and of the head on (embedding, action).
    pub hidden: Vec<usize>,
    pub learning_rate: f64,
    pub batch_size: usize,
    /// Passes over each batch of learner transitions per update.
    pub epochs: usize,
    /// Path of the expert's demonstrations (a Minari dataset); required by the registry entry.
    pub demos: Option<String>,
    /// Use only the first `n_demos` episodes (all when absent).
    pub n_demos: Option<usize>,
}

impl Default for GailParams {
    fn default() -> Self {
        GailParams { hidden: vec![64, 64], learning_rate: 3e-4, batch_size: 256, epochs: 4, demos: None, n_demos: None }
    }
}

/// The registry's documentation of [`GailParams`].
pub const PARAMS: &[(&str, &str)] = &[
    ("hidden", "hidden layer widths of the observation embedding and of the head (default [64, 64])"),
    ("learning_rate", "Adam step size of the discriminator (default 3e-4)"),
    ("batch_size", "learner transitions per gradient step, paired with as many expert ones (default 256)"),
    ("epochs", "passes over each batch of learner transitions per update (default 4)"),
    ("demos", "path of the expert demonstrations, a Minari dataset (required)"),
    ("n_demos", "use only the first N episodes of the demonstrations (default: all)"),
];

pub const ENTRY: SignalEntry = SignalEntry {
    name: NAME,
    summary: "GAIL's discriminator (Ho & Ermon 2016): -log(1 - D(s, a)), D trained to tell the expert's pairs from the learner's",
    params: PARAMS,
    defaults: || to_json(&GailParams::default()),
    weight: 1.0,
    normalization: Normalization::Rms,
    exploration: false,
    episodic_counts: false,
    caveats: "",
    build: &|params, context| {
        let parsed: GailParams = parse_config(NAME, params)?;
        let path = parsed.demos.as_deref().ok_or_else(|| AgentError::Config {
            field: format!("{NAME}.demos"),
            message: "needs the path of the expert's demonstrations (a Minari dataset)".into(),
        })?;
        let expert = ExpertPairs::read(Path::new(path), parsed.n_demos, &context.action_space)?;
        Ok(Box::new(Gail::new(params, context, expert)?))
    },
};

/// The expert's state-action pairs, as flat observation rows and actions in the form a
/// [`Transitions`] batch stores them (a discrete action's index, a Box action's numbers).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExpertPairs {
    pub obs_dim: usize,
    pub action_dim: usize,
    pub obs: Vec<f32>,
    pub actions: Vec<f32>,
}

impl ExpertPairs {
    /// The state-action pairs of a Minari dataset's first `n_demos` episodes (all when `None`).
    pub fn read(path: &Path, n_demos: Option<usize>, action_space: &Space) -> Result<ExpertPairs> {
        let bad = |message: String| AgentError::Config { field: format!("{NAME}.demos"), message };
        let dataset = Dataset::read(path).map_err(|e| bad(e.to_string()))?;
        let available = dataset.episodes.len();
        let n = n_demos.unwrap_or(available);
        if n == 0 || n > available {
            return Err(bad(format!("n_demos {n}: {} holds {available} episode(s)", path.display())));
        }
        let start = match action_space {
            Space::Discrete { start, .. } => *start,
            _ => 0,
        };
        let mut pairs = ExpertPairs::default();
        for episode in dataset.first(n).flat_episodes().map_err(|e| bad(e.to_string()))? {
            pairs.obs_dim = episode.obs_dim;
            pairs.obs.extend_from_slice(&episode.observations[..episode.len() * episode.obs_dim]);
            match &episode.actions {
                Actions::Discrete(actions) => {
                    pairs.action_dim = 1;
                    pairs.actions.extend(actions.iter().map(|&a| (a - start) as f32));
                }
                Actions::Continuous { dim, values } => {
                    pairs.action_dim = *dim;
                    pairs.actions.extend_from_slice(values);
                }
            }
        }
        Ok(pairs)
    }

    pub fn len(&self) -> usize {
        self.obs.len() / self.obs_dim.max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The GAIL signal; see the [module docs](self).
pub struct Gail {
    obs_dim: usize,
    coding: ActionCoding,
    expert: ExpertPairs,
    params: GailParams,
    trainer: Trainer<PairScorer>,
    device: Device,
    rng: Generator,
}

impl Gail {
    /// A discriminator for `context`'s spaces that learns to recognise `expert`.
    pub fn new(params: &serde_json::Value, context: &SignalContext, expert: ExpertPairs) -> Result<Gail> {
        let params: GailParams = parse_config(NAME, params)?;
        layer_widths(NAME, "hidden", &params.hidden)?;
        positive(NAME, "learning_rate", params.learning_rate)?;
        at_least_one(NAME, "batch_size", params.batch_size)?;
        at_least_one(NAME, "epochs", params.epochs)?;
        let coding = ActionCoding::for_space(NAME, &context.action_space)?;
        check_expert(&expert, context.obs_dim, coding)?;
        let kind = encoder_kind(NAME, context)?;
        let mut rng = Generator::from_seed(context.seed);
        let device = Device::flex();
        let train_device = device.clone().autodiff();
        let discriminator = PairScorer::new(kind, &params.hidden, coding.width(), &mut rng, &train_device)?;
        let trainer = Trainer::new(discriminator, params.learning_rate);
        Ok(Gail { obs_dim: context.obs_dim, coding, expert, params, trainer, device, rng })
    }

    /// Observation rows and encoded actions of `rows` pairs read by `pair(i) -> (obs, action)`.
    fn upload_pairs<'a>(
        &self,
        rows: usize,
        pair: impl Fn(usize) -> (&'a [f32], &'a [f32]),
        device: &Device,
    ) -> Result<(Tensor<2>, Tensor<2>)> {
        let (mut obs, mut actions) = (Vec::with_capacity(rows * self.obs_dim), vec![0.0; rows * self.coding.width()]);
        for (i, out) in actions.chunks_exact_mut(self.coding.width()).enumerate() {
            let (o, a) = pair(i);
            obs.extend_from_slice(o);
            self.coding.encode(a, out)?;
        }
        Ok((upload(obs, self.obs_dim, device), upload(actions, self.coding.width(), device)))
    }

    /// Logits of `slots`' (obs, action) pairs on the inference model.
    fn logits(&mut self, batch: &Transitions, slots: &[usize]) -> Result<Vec<f32>> {
        let mut logits = Vec::with_capacity(slots.len());
        let device = self.device.clone();
        for chunk in slots.chunks(SCORE_CHUNK) {
            let (obs, actions) =
                self.upload_pairs(chunk.len(), |i| (batch.obs_row(chunk[i]), batch.action_row(chunk[i])), &device)?;
            logits.extend(download(self.trainer.inference().forward(obs, actions))?);
        }
        Ok(logits)
    }

    /// The mean probability the discriminator gives "expert" on the batch's valid pairs.
    pub fn expert_probability(&mut self, batch: &Transitions) -> Result<f64> {
        let logits = self.logits(batch, &valid_slots(batch))?;
        Ok(logits.iter().map(|&l| 1.0 / (1.0 + (-l as f64).exp())).sum::<f64>() / logits.len().max(1) as f64)
    }
}

fn check_expert(expert: &ExpertPairs, obs_dim: usize, coding: ActionCoding) -> Result<()> {
    let problem = if expert.is_empty() {
        Some("has no state-action pairs".to_string())
    } else if expert.obs_dim != obs_dim || expert.action_dim != coding.stored_width() {
        Some(format!(
            "have rows of {} observation and {} action numbers; the env needs {obs_dim} and {}",
            expert.obs_dim,
            expert.action_dim,
            coding.stored_width()
        ))
    } else if expert.obs.len() != expert.len() * obs_dim || expert.actions.len() != expert.len() * expert.action_dim {
        Some("observation and action counts differ".to_string())
    } else if expert.obs.iter().chain(&expert.actions).any(|x| !x.is_finite()) {
        Some("contain NaN or infinite numbers".to_string())
    } else {
        None
    };
    match problem {
        Some(message) => {
            Err(AgentError::Config { field: format!("{NAME}.demos"), message: format!("the demonstrations {message}") })
        }
        None => Ok(()),
    }
}

/// `-log(1 - sigmoid(x))`, computed without overflow.
fn softplus(x: f32) -> f32 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

impl IntrinsicReward for Gail {
    fn name(&self) -> &str {
        NAME
    }

    fn memory(&self) -> Memory {
        Memory::Lifelong
    }

    fn compute(&mut self, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        check_batch(NAME, batch, self.obs_dim, Some(self.coding))?;
        clear_output(NAME, batch, out)?;
        let slots = valid_slots(batch);
        let logits = self.logits(batch, &slots)?;
        slots.iter().zip(logits).for_each(|(&s, l)| out[s] = softplus(l));
        check_bonuses(NAME, out)
    }

    fn update(&mut self, batch: &Transitions) -> Result<BTreeMap<String, f64>> {
        check_batch(NAME, batch, self.obs_dim, Some(self.coding))?;
        let device = self.trainer.model.head.out.weight.val().device();
        let mut means = Means::default();
        let (epochs, batch_size) = (self.params.epochs, self.params.batch_size);
        for chunk in minibatches(&valid_slots(batch), epochs, batch_size, &mut self.rng) {
            let n = chunk.len();
            let picks: Vec<usize> = (0..n).map(|_| self.rng.integers(0, self.expert.len() as i64) as usize).collect();
            let expert = &self.expert;
            let (d, a) = (expert.obs_dim, expert.action_dim);
            let (expert_obs, expert_actions) = self.upload_pairs(
                n,
                |i| (&expert.obs[picks[i] * d..(picks[i] + 1) * d], &expert.actions[picks[i] * a..(picks[i] + 1) * a]),
                &device,
            )?;
            let (obs, actions) =
                self.upload_pairs(n, |i| (batch.obs_row(chunk[i]), batch.action_row(chunk[i])), &device)?;
            let model = &self.trainer.model;
            let expert_logits = model.forward(expert_obs, expert_actions).reshape([n]);
            let learner_logits = model.forward(obs, actions).reshape([n]);
            // Binary cross-entropy with logits: -log sigmoid(x) for label 1, -log(1 - sigmoid(x)) for 0.
            let expert_loss = burn::tensor::activation::softplus(expert_logits.clone().neg(), 1.0).mean();
            let learner_loss = burn::tensor::activation::softplus(learner_logits.clone(), 1.0).mean();
            let accuracy = download(Tensor::cat(vec![expert_logits.detach(), learner_logits.detach().neg()], 0))?;
            means.add("accuracy", accuracy.iter().filter(|&&x| x > 0.0).count() as f64 / accuracy.len() as f64);
            means.add("loss", self.trainer.step(expert_loss + learner_loss, "gail discriminator loss")?);
        }
        Ok(means.into_map())
    }

    fn save(&self) -> Result<Vec<u8>> {
        let mut archive = Archive::new(NAME);
        self.trainer.save("discriminator", &mut archive)?;
        archive.put_json("rng", &RngState::of(&self.rng))?;
        archive.encode()
    }

    fn load(&mut self, bytes: &[u8]) -> Result<()> {
        let archive = Archive::decode(NAME, bytes)?;
        let rng = archive.json::<RngState>("rng")?.restore(std::path::Path::new(NAME))?;
        self.trainer.load("discriminator", &archive)?;
        self.rng = rng;
        Ok(())
    }
}

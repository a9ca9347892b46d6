//! ICM, the Intrinsic Curiosity Module (Pathak et al. 2017): a feature encoder `phi` trained
//! with an inverse model `(phi(s), phi(s')) -> a` and a forward model `(phi(s), a) -> phi(s')`,
//! jointly on `(1 - beta) L_inv + beta L_fwd` (`L_fwd = 1/2 ||f - phi(s')||^2`, whose gradient
//! also reaches `phi`, as in the paper's joint objective and its code). The bonus is the
//! forward model's error `eta/2 ||f(phi(s), a) - phi(s')||^2`. Lifelong.
//!
//! The paper's `eta` is kept for fidelity; the reward set's weight scales the bonus as well.
//! Networks are MLPs after limbic's observation encoder (the paper uses a 4-layer conv `phi` of
//! 288 features on Atari frames).

use crate::models::{
    at_least_one, check_batch, check_bonuses, clear_output, encoder_kind, layer_widths, positive, squared_distance,
    to_json, train_dynamics, upload_transitions, valid_slots, within, ActionCoding, Archive, Dynamics, DynamicsShape,
    DynamicsTraining, NetShape, Trainer, SCORE_CHUNK,
};
use crate::scaling::Normalization;
use crate::signal::{IntrinsicReward, Memory, SignalContext, SignalEntry};
use burn::prelude::*;
use limbic_agents::core::checkpoint::RngState;
use limbic_agents::core::config::parse_config;
use limbic_agents::nets::download;
use limbic_agents::shaping::Transitions;
use limbic_agents::{AgentError, Result};
use limbic_environments::rng::Generator;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const NAME: &str = "icm";

/// ICM's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IcmParams {
    /// Hidden widths of `phi` after the encoder.
    pub hidden: Vec<usize>,
    pub latent_dim: usize,
    /// Hidden widths of the inverse and forward models.
    pub head_hidden: Vec<usize>,
    pub learning_rate: f64,
    pub batch_size: usize,
    pub epochs: usize,
    /// Weight of the forward loss against the inverse loss.
    pub beta: f64,
    /// The paper's scale of the bonus.
    pub eta: f64,
}

impl Default for IcmParams {
    fn default() -> Self {
        IcmParams {
            hidden: vec![256],
            latent_dim: 128,
            head_hidden: vec![256],
            learning_rate: 1e-3,
            batch_size: 256,
            epochs: 1,
            beta: 0.2,
            eta: 1.0,
        }
    }
}

pub const ENTRY: SignalEntry = SignalEntry {
    name: NAME,
    summary: "Intrinsic Curiosity Module (Pathak et al. 2017): forward-model error in a feature space learned by inverse dynamics",
    params: &[
        ("hidden", "hidden layer widths of the feature encoder phi after the observation encoder (default [256])"),
        ("latent_dim", "width of the features phi (default 128)"),
        ("head_hidden", "hidden layer widths of the inverse and forward models (default [256])"),
        ("learning_rate", "Adam step size (default 1e-3)"),
        ("batch_size", "transitions per gradient step (default 256)"),
        ("epochs", "passes over each batch per update (default 1)"),
        ("beta", "weight of the forward loss: (1 - beta) L_inv + beta L_fwd, in [0, 1] (default 0.2)"),
        ("eta", "the paper's bonus scale: eta/2 ||f - phi(s')||^2 (default 1)"),
    ],
    defaults: || to_json(&IcmParams::default()),
    weight: 0.1,
    normalization: Normalization::Minmax,
    exploration: true,
    episodic_counts: true,
    caveats: "its raw error falls from ~270 at the first update to below 1, so its default normalization is per-batch `minmax` (under `rms`, which remembers the first errors, the bonus faded to 1e-5 per step and PPO did not solve MiniGrid DoorKey-8x8 within 1M frames); ~3x the cost of counts per env step",
    build: &|params, context| Ok(Box::new(Icm::new(params, context)?)),
};

/// Checks the parameters every dynamics-trained signal shares.
pub fn validate_dynamics(
    signal: &str,
    hidden: &[usize],
    latent_dim: usize,
    head_hidden: &[usize],
    learning_rate: f64,
    batch_size: usize,
    epochs: usize,
) -> Result<()> {
    layer_widths(signal, "hidden", hidden)?;
    at_least_one(signal, "latent_dim", latent_dim)?;
    layer_widths(signal, "head_hidden", head_hidden)?;
    positive(signal, "learning_rate", learning_rate)?;
    at_least_one(signal, "batch_size", batch_size)?;
    at_least_one(signal, "epochs", epochs)
}

/// The dynamics model a signal's context and parameters give, with its trainer.
pub fn build_dynamics(
    signal: &str,
    context: &SignalContext,
    phi: NetShape,
    head_hidden: &[usize],
    with_forward: bool,
    learning_rate: f64,
    rng: &mut Generator,
) -> Result<(Trainer<Dynamics>, ActionCoding)> {
    let actions = ActionCoding::for_space(signal, &context.action_space)?;
    let kind = encoder_kind(signal, context)?;
    let shape = DynamicsShape { kind, phi, head_hidden: head_hidden.to_vec(), actions, with_forward };
    let model = Dynamics::new(&shape, rng, &Device::flex().autodiff())?;
    Ok((Trainer::new(model, learning_rate), actions))
}

/// The ICM signal; see the [module docs](self).
pub struct Icm {
    params: IcmParams,
    obs_dim: usize,
    actions: ActionCoding,
    trainer: Trainer<Dynamics>,
    rng: Generator,
}

impl Icm {
    pub fn new(params: &serde_json::Value, context: &SignalContext) -> Result<Icm> {
        let p: IcmParams = parse_config(NAME, params)?;
        validate_dynamics(NAME, &p.hidden, p.latent_dim, &p.head_hidden, p.learning_rate, p.batch_size, p.epochs)?;
        within(NAME, "beta", p.beta, 0.0, 1.0)?;
        positive(NAME, "eta", p.eta)?;
        let mut rng = Generator::from_seed(context.seed);
        let phi = NetShape { hidden: p.hidden.clone(), out: p.latent_dim };
        let (trainer, actions) = build_dynamics(NAME, context, phi, &p.head_hidden, true, p.learning_rate, &mut rng)?;
        Ok(Icm { params: p, obs_dim: context.obs_dim, actions, trainer, rng })
    }
}

impl Icm {
    /// The inverse model's most likely action index for each valid slot of `batch` (Discrete
    /// actions; for tests and diagnostics).
    pub fn predict_actions(&mut self, batch: &Transitions) -> Result<Vec<usize>> {
        check_batch(NAME, batch, self.obs_dim, Some(self.actions))?;
        let slots = valid_slots(batch);
        if slots.is_empty() {
            return Ok(Vec::new());
        }
        let rows = upload_transitions(batch, &slots, self.actions, &Device::flex())?;
        let model = self.trainer.inference();
        let (phi_s, phi_next) = model.embed_pairs(rows.states, rows.rows);
        let phi = Tensor::cat(vec![phi_s, phi_next], 1);
        let logits = download(model.inverse.forward(phi))?;
        let n = self.actions.width();
        Ok(logits
            .chunks_exact(n)
            .map(|row| (0..n).fold(0, |best, a| if row[a] > row[best] { a } else { best }))
            .collect())
    }
}

impl IntrinsicReward for Icm {
    fn name(&self) -> &str {
        NAME
    }

    fn memory(&self) -> Memory {
        Memory::Lifelong
    }

    fn compute(&mut self, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        check_batch(NAME, batch, self.obs_dim, Some(self.actions))?;
        clear_output(NAME, batch, out)?;
        let device = Device::flex();
        let slots = valid_slots(batch);
        let half_eta = self.params.eta as f32 / 2.0;
        for chunk in slots.chunks(SCORE_CHUNK) {
            let rows = upload_transitions(batch, chunk, self.actions, &device)?;
            let model = self.trainer.inference();
            let (phi_s, phi_next) = model.embed_pairs(rows.states, rows.rows);
            let Some(predicted) = model.predict_next(phi_s, rows.actions) else {
                return Err(AgentError::Unsupported("icm without a forward model".into()));
            };
            let errors = download(squared_distance(predicted, phi_next))?;
            chunk.iter().zip(errors).for_each(|(&s, e)| out[s] = half_eta * e);
        }
        check_bonuses(NAME, out)
    }

    fn update(&mut self, batch: &Transitions) -> Result<BTreeMap<String, f64>> {
        check_batch(NAME, batch, self.obs_dim, Some(self.actions))?;
        let p = &self.params;
        let how = DynamicsTraining {
            epochs: p.epochs,
            batch_size: p.batch_size,
            inverse_coef: 1.0 - p.beta,
            forward_coef: p.beta,
        };
        train_dynamics(NAME, &mut self.trainer, batch, self.actions, how, &mut self.rng)
    }

    fn save(&self) -> Result<Vec<u8>> {
        let mut archive = Archive::new(NAME);
        self.trainer.save("dynamics", &mut archive)?;
        archive.put_json("rng", &RngState::of(&self.rng))?;
        archive.encode()
    }

    fn load(&mut self, bytes: &[u8]) -> Result<()> {
        let archive = Archive::decode(NAME, bytes)?;
        let rng = archive.json::<RngState>("rng")?.restore(std::path::Path::new(NAME))?;
        self.trainer.load("dynamics", &archive)?;
        self.rng = rng;
        Ok(())
    }
}

//! An actor-critic with working memory: encoder, then a memory (GRU, LSTM or gated slots,
//! [`crate::nets::memory`]) shared by actor and critic, then the heads. The critic may instead
//! have a memory of its own ([`CriticMemory::Own`]: the state holds the actor's memory, then
//! the critic's) or read the encoded observation ([`CriticMemory::None`]).
//!
//! A single step resets the state of rows where an episode starts, steps the memory and reads
//! the heads from its output. [`Policy::forward_sequences`] encodes and projects every step of
//! every chunk at once, then unrolls the memory step by step from the state each chunk started
//! with (taken from the rollout), resetting it at episode starts inside the chunk, and reads
//! the heads for all steps at once. Where the learner cuts the gradient (after burn-in steps),
//! the state goes on with its values but without its history's gradient.

use super::actor_critic::{with_encoder, with_goal, ActorCriticHeads, PolicyConfig};
use super::{ActionKind, CriticMemory, DistParams, Policy, PolicyInput, PolicyOutput, SequenceInput};
use crate::error::Result;
use crate::nets::memory::{Memory, MemoryConfig, MemoryStep};
use crate::nets::{Encoder, EncoderSpec, Init};
use burn::prelude::*;
use limbic_environments::rng::Generator;

/// See the [module docs](self).
#[derive(Module, Debug)]
pub struct MemoryActorCritic {
    pub encoder: Encoder,
    pub memory: Memory,
    /// The critic's memory, of the same kind and size as the actor's ([`CriticMemory::Own`]).
    pub critic_memory: Option<Memory>,
    pub heads: ActorCriticHeads,
    #[module(skip)]
    pub critic_reads: CriticMemory,
    #[module(skip)]
    pub goal_dim: usize,
    /// Weight of the mean write gate as an auxiliary loss (slots only).
    #[module(skip)]
    pub gate_cost: f64,
}

impl MemoryActorCritic {
    /// Builds the network, drawing every weight from `rng` (encoder, memory, heads).
    pub fn new(
        config: &PolicyConfig,
        memory: &MemoryConfig,
        critic_reads: CriticMemory,
        encoder: impl Into<EncoderSpec>,
        action: &ActionKind,
        rng: &mut Generator,
        device: &Device,
    ) -> Result<Self> {
        let encoder = Encoder::new(encoder, Init::orthogonal_hidden().or_default(config.ortho_init), rng, device)?;
        let features = encoder.out_dim() + config.goal_dim;
        let memory_module = Memory::new(memory, features, rng, device)?;
        let critic_memory = match critic_reads {
            CriticMemory::Own => Some(Memory::new(memory, features, rng, device)?),
            CriticMemory::Shared | CriticMemory::None => None,
        };
        let critic_features = match critic_reads {
            CriticMemory::Shared | CriticMemory::Own => memory_module.out_dim(),
            CriticMemory::None => features,
        };
        let heads = ActorCriticHeads::reading(memory_module.out_dim(), critic_features, config, action, rng, device)?;
        let gate_cost = match memory {
            MemoryConfig::Slots { gate_cost, .. } => *gate_cost,
            _ => 0.0,
        };
        Ok(MemoryActorCritic {
            encoder,
            memory: memory_module,
            critic_memory,
            heads,
            critic_reads,
            goal_dim: config.goal_dim,
            gate_cost,
        })
    }

    /// The zero state of `rows` rows.
    fn zero_state(&self, rows: usize, device: &Device) -> Tensor<2> {
        Tensor::zeros([rows, self.state_size()], device)
    }

    /// The input projections of every memory, side by side.
    fn project(&self, features: Tensor<2>) -> Tensor<2> {
        match &self.critic_memory {
            Some(critic) => Tensor::cat(vec![self.memory.project(features.clone()), critic.project(features)], 1),
            None => self.memory.project(features),
        }
    }

    /// One step of every memory: the two memories of [`CriticMemory::Own`] are alike, so each
    /// takes half of the projection and of the state, and the output joins theirs.
    fn step(&self, projected: Tensor<2>, state: Tensor<2>) -> MemoryStep {
        let Some(critic) = &self.critic_memory else { return self.memory.step(projected, state) };
        let (width, size) = (projected.dims()[1] / 2, state.dims()[1] / 2);
        let own = self.memory.step(projected.clone().narrow(1, 0, width), state.clone().narrow(1, 0, size));
        let critics = critic.step(projected.narrow(1, width, width), state.narrow(1, size, size));
        MemoryStep {
            output: Tensor::cat(vec![own.output, critics.output], 1),
            state: Tensor::cat(vec![own.state, critics.state], 1),
            trace: own.trace,
        }
    }

    /// The heads on the memory's `output`; `features` (the encoded observations of the same
    /// rows) is what a critic without memory reads.
    fn heads(&self, output: Tensor<2>, features: Tensor<2>, values: bool) -> (DistParams, Option<Tensor<2>>) {
        let width = self.memory.out_dim();
        let critic = values.then(|| match self.critic_reads {
            CriticMemory::Shared => output.clone(),
            CriticMemory::Own => output.clone().narrow(1, width, width),
            CriticMemory::None => features,
        });
        self.heads.forward_apart(output.narrow(1, 0, width), critic)
    }
}

/// `state * (1 - starts)`: zero where an episode starts.
fn reset_at_starts(state: Tensor<2>, starts: Option<Tensor<2>>) -> Tensor<2> {
    match starts {
        Some(starts) => state.clone() - state * starts,
        None => state,
    }
}

impl Policy for MemoryActorCritic {
    fn forward(&self, input: PolicyInput) -> PolicyOutput {
        let rows = input.obs.dims()[0];
        let device = input.obs.device();
        let features = with_goal(self.encoder.forward(input.obs), input.goal);
        let state = input.state.unwrap_or_else(|| self.zero_state(rows, &device));
        let step = self.step(self.project(features.clone()), reset_at_starts(state, input.episode_starts));
        let (dist, values) = self.heads(step.output, features, input.values);
        let aux = step.trace.into_iter().map(|(name, t)| (format!("memory/{name}"), t)).collect();
        PolicyOutput { dist, values, state: Some(step.state), aux }
    }

    fn forward_sequences(&self, input: SequenceInput) -> PolicyOutput {
        let (total, length) = (input.obs.dims()[0], input.length.max(1));
        let chunks = total / length;
        let device = input.obs.device();
        let features = with_goal(self.encoder.forward(input.obs), input.goal);
        let projected = self.project(features.clone());
        let width = projected.dims()[1];
        let projected = projected.reshape([chunks, length, width]);
        let starts = input.episode_starts.map(|s| s.reshape([chunks, length]));
        let cuts = input.cut.map(|c| c.reshape([chunks, length]));
        let mut state = input.state.unwrap_or_else(|| self.zero_state(chunks, &device));
        let mut outputs = Vec::with_capacity(length);
        let mut traces: Vec<(&'static str, Vec<Tensor<3>>)> = Vec::new();
        for t in 0..length {
            if let Some(cuts) = &cuts {
                // Where the mask is 1, the same values without their history's gradient.
                let cut = cuts.clone().narrow(1, t, 1);
                state = state.clone() + (state.clone().detach() - state) * cut;
            }
            let x = projected.clone().narrow(1, t, 1).reshape([chunks, width]);
            let start = starts.as_ref().map(|s| s.clone().narrow(1, t, 1));
            let step = self.step(x, reset_at_starts(state, start));
            state = step.state;
            outputs.push(step.output.unsqueeze_dim::<3>(1));
            for (i, (name, value)) in step.trace.into_iter().enumerate() {
                if traces.len() <= i {
                    traces.push((name, Vec::with_capacity(length)));
                }
                traces[i].1.push(value.unsqueeze_dim::<3>(1));
            }
        }
        // [C, L, O] -> [C * L, O], the rows in input order.
        let flatten = |parts: Vec<Tensor<3>>| {
            let joined = Tensor::cat(parts, 1);
            let [c, l, o] = joined.dims();
            joined.reshape([c * l, o])
        };
        let (dist, values) = self.heads(flatten(outputs), features, input.values);
        let aux = traces.into_iter().map(|(name, parts)| (format!("memory/{name}"), flatten(parts))).collect();
        PolicyOutput { dist, values, state: Some(state), aux }
    }

    fn state_size(&self) -> usize {
        self.memory.state_size() + self.critic_memory.as_ref().map_or(0, Memory::state_size)
    }

    fn value_streams(&self) -> usize {
        self.heads.value_streams
    }

    fn aux_losses(&self, out: &PolicyOutput) -> Vec<(String, Tensor<1>)> {
        if self.gate_cost <= 0.0 {
            return Vec::new();
        }
        out.aux
            .iter()
            .filter(|(name, _)| name == "memory/write_gate")
            .map(|(_, gates)| ("memory/write_cost".to_string(), gates.clone().mean().mul_scalar(self.gate_cost)))
            .collect()
    }

    fn describe(&self) -> String {
        let memory = self.memory.describe();
        let core = match self.critic_reads {
            CriticMemory::Shared => memory,
            CriticMemory::Own => format!("{memory}, critic with its own {memory}"),
            CriticMemory::None => format!("{memory}, critic without memory"),
        };
        with_encoder(&core, &self.encoder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nets::{download, EncoderKind};
    use crate::policies::ActingRows;

    fn policy(memory: MemoryConfig, critic: CriticMemory) -> MemoryActorCritic {
        let action = ActionKind::Discrete { n: 3, start: 0 };
        let config = PolicyConfig { value_streams: 2, ..PolicyConfig::default() };
        MemoryActorCritic::new(
            &config,
            &memory,
            critic,
            EncoderKind::Flat { dim: 2 },
            &action,
            &mut Generator::from_seed(4),
            &Device::flex(),
        )
        .unwrap()
    }

    fn kinds() -> [MemoryConfig; 3] {
        [
            MemoryConfig::Gru { size: 5 },
            MemoryConfig::Lstm { size: 4 },
            MemoryConfig::Slots { slots: 3, size: 2, gate_cost: 0.1 },
        ]
    }

    /// Every kind with every way the critic reads.
    fn variants() -> Vec<MemoryActorCritic> {
        let critics = [CriticMemory::Shared, CriticMemory::Own, CriticMemory::None];
        kinds().into_iter().flat_map(|memory| critics.map(|critic| policy(memory.clone(), critic))).collect()
    }

    /// Observations of 2 chunks x 4 steps, starts at step 0 of chunk 0 and step 2 of chunk 1.
    fn sequence() -> (Vec<f32>, Vec<f32>) {
        let obs: Vec<f32> = (0..16).map(|i| ((i * 7 % 11) as f32 - 5.0) / 5.0).collect();
        let starts = vec![1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0];
        (obs, starts)
    }

    #[test]
    fn sequences_equal_steps_one_at_a_time() {
        let device = Device::flex();
        for model in variants() {
            let kind = model.describe();
            let s = model.state_size();
            let (obs, starts) = sequence();
            let initial: Vec<f32> = (0..2 * s).map(|i| (i as f32 * 0.13).sin() * 0.5).collect();
            let upload =
                |v: &[f32], w: usize| Tensor::<2>::from_data(TensorData::new(v.to_vec(), [v.len() / w, w]), &device);
            let out = model.forward_sequences(SequenceInput {
                obs: upload(&obs, 2),
                length: 4,
                state: Some(upload(&initial, s)),
                episode_starts: Some(upload(&starts, 1)),
                goal: None,
                cut: None,
                values: true,
            });
            let (logits, _) = out.dist.clone().into_parts();
            let (logits, values) = (download(logits).unwrap(), download(out.values()).unwrap());
            // The same steps through the acting path, chunk by chunk.
            for c in 0..2 {
                let mut state = initial[c * s..(c + 1) * s].to_vec();
                for t in 0..4 {
                    let row = c * 4 + t;
                    let acting = model
                        .act_rows(
                            &ActingRows {
                                obs: &obs[row * 2..row * 2 + 2],
                                state: &state,
                                starts: &[starts[row] == 1.0],
                                goal: None,
                                trace: true,
                                envs: &[],
                            },
                            &device,
                        )
                        .unwrap();
                    for (a, b) in acting.params(0).iter().zip(&logits[row * 3..row * 3 + 3]) {
                        assert!((a - b).abs() < 1e-5, "{kind}: logits differ at chunk {c} step {t}");
                    }
                    for (a, b) in acting.values(0).iter().zip(&values[row * 2..row * 2 + 2]) {
                        assert!((a - b).abs() < 1e-5, "{kind}: values differ at chunk {c} step {t}");
                    }
                    state = acting.state(0).to_vec();
                }
            }
            // The final state is the state after each chunk's last step.
            assert_eq!(out.state.unwrap().dims(), [2, s]);
        }
    }

    #[test]
    fn a_start_erases_what_came_before() {
        let device = Device::flex();
        for model in variants() {
            let kind = model.describe();
            let s = model.state_size();
            let obs = vec![0.5f32, -0.25];
            let act = |state: &[f32], start: bool| {
                let rows = ActingRows { obs: &obs, state, starts: &[start], goal: None, trace: false, envs: &[] };
                model.act_rows(&rows, &device).unwrap().params(0).to_vec()
            };
            let busy: Vec<f32> = (0..s).map(|i| i as f32 * 0.3 - 0.4).collect();
            assert_eq!(act(&busy, true), act(&vec![0.0; s], false), "{kind}");
            assert_ne!(act(&busy, false), act(&vec![0.0; s], false), "{kind}");
        }
    }

    #[test]
    fn slots_trace_and_write_cost() {
        let device = Device::flex();
        let model = policy(MemoryConfig::Slots { slots: 3, size: 2, gate_cost: 0.1 }, CriticMemory::Shared);
        let obs = vec![0.1f32, 0.2, 0.3, 0.4];
        let rows =
            ActingRows { obs: &obs, state: &[0.0; 12], starts: &[true, true], goal: None, trace: true, envs: &[] };
        let acting = model.act_rows(&rows, &device).unwrap();
        let names: Vec<&str> = acting.trace_names().collect();
        assert_eq!(names, ["memory/write_gate", "memory/read_weights"]);
        assert_eq!(acting.trace(0, "memory/write_gate").unwrap().len(), 3);
        let out = model.forward(PolicyInput::obs(Tensor::from_data(TensorData::new(obs, [2, 2]), &device)));
        let losses = model.aux_losses(&out);
        assert_eq!(losses.len(), 1);
        let gates = download(out.aux[0].1.clone()).unwrap();
        let mean_gate = gates.iter().sum::<f32>() / gates.len() as f32;
        assert!((download(losses[0].1.clone()).unwrap()[0] - 0.1 * mean_gate).abs() < 1e-6);
        assert!(policy(MemoryConfig::Gru { size: 2 }, CriticMemory::Shared).aux_losses(&out).is_empty());
    }

    #[test]
    fn critic_memory_parses_and_needs_a_memory() {
        use crate::policies::PolicySpec;
        let parse = |json| serde_json::from_value::<PolicySpec>(json);
        let spec = parse(serde_json::json!({"memory": {"kind": "lstm", "size": 8}, "critic_memory": "own"})).unwrap();
        assert_eq!(spec.critic_memory, CriticMemory::Own);
        assert!(spec.validate().is_ok());
        // The default is not written, so configs without it read and write as before.
        let shared = parse(serde_json::json!({"memory": {"kind": "gru"}})).unwrap();
        assert_eq!(shared.critic_memory, CriticMemory::Shared);
        assert!(!serde_json::to_string(&shared).unwrap().contains("critic_memory"));
        let error = parse(serde_json::json!({"critic_memory": "separate"})).unwrap_err().to_string();
        assert!(["shared", "own", "none"].iter().all(|k| error.contains(k)), "{error}");
        let error = parse(serde_json::json!({"critic_memory": "none"})).unwrap().validate().unwrap_err().to_string();
        assert!(error.contains("policy.critic_memory") && error.contains("policy.memory"), "{error}");
    }

    /// With a memory of its own the critic's half of the state moves only the values and the
    /// actor's half only the policy; a critic without memory reads no state at all.
    #[test]
    fn each_head_reads_its_own_memory() {
        let device = Device::flex();
        let obs = vec![0.5f32, -0.25];
        for memory in kinds() {
            let outputs = |model: &MemoryActorCritic, state: &[f32]| {
                let rows = ActingRows { obs: &obs, state, starts: &[false], goal: None, trace: false, envs: &[] };
                let acting = model.act_rows(&rows, &device).unwrap();
                (acting.params(0).to_vec(), acting.values(0).to_vec())
            };
            let own = policy(memory.clone(), CriticMemory::Own);
            let half = own.state_size() / 2;
            assert_eq!(half, policy(memory.clone(), CriticMemory::Shared).state_size(), "{}", memory.kind());
            let zero = vec![0.0; 2 * half];
            let busy = |range: std::ops::Range<usize>| -> Vec<f32> {
                (0..2 * half).map(|i| if range.contains(&i) { i as f32 * 0.3 - 0.4 } else { 0.0 }).collect()
            };
            let (params, values) = outputs(&own, &zero);
            let (actor_params, actor_values) = outputs(&own, &busy(0..half));
            let (critic_params, critic_values) = outputs(&own, &busy(half..2 * half));
            assert_ne!(actor_params, params, "{}", memory.kind());
            assert_eq!(actor_values, values, "{}", memory.kind());
            assert_eq!(critic_params, params, "{}", memory.kind());
            assert_ne!(critic_values, values, "{}", memory.kind());

            let blind = policy(memory.clone(), CriticMemory::None);
            let s = blind.state_size();
            let (params, values) = outputs(&blind, &vec![0.0; s]);
            let busy: Vec<f32> = (0..s).map(|i| i as f32 * 0.3 - 0.4).collect();
            let (busy_params, busy_values) = outputs(&blind, &busy);
            assert_ne!(busy_params, params, "{}", memory.kind());
            assert_eq!(busy_values, values, "{}", memory.kind());
        }
    }
}

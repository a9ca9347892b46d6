//! Working memory: recurrent cells (GRU, LSTM), a gated slot buffer, and frame stacking.
//!
//! Each is stepped one time step at a time ([`Memory::step`]) so that its state can be reset
//! inside a training sequence, where an episode starts. The input projection of every step is
//! one matrix product over the whole sequence ([`Memory::project`]); a step then costs one
//! product with the state and a few elementwise operations.
//!
//! The state of every kind is one `[B, S]` tensor (an LSTM's hidden and cell state side by
//! side; the slots flattened), zero at an episode's start.
//!
//! **Gated slots** ([`SlotMemory`]): `K` slots of `E` numbers. Every step the input is encoded
//! as `z = tanh(W_z x)`; a write gate per slot `g_k = sigmoid(W_g x + U_g m)` (it sees the input
//! and the memory `m`) decides how much of slot `k` is replaced by `z` (input gating, as in
//! PBWM, O'Reilly & Frank 2006); a query `q = W_q x` reads the slots by content,
//! `r = sum_k softmax_k(m_k . q / sqrt(E)) m_k`. The cell's output is `[z, r]`. The gates'
//! bias starts at -2, so a slot keeps its content by default (the retain-by-default gating of
//! PBWM and of gated transformers' memory). Gate values and
//! read weights leave as the trace `write_gate` and `read_weights` (`[B, K]` each), so one can
//! see what the memory stores and when.
//!
//! **Frame stacking** ([`FrameStack`]): no parameters; the state holds the previous
//! `frames - 1` encoded observations and the output is the current one beside them (zeros
//! before the episode's start), the baseline a user tries first. It stacks the encoder's
//! features rather than wrapping the env in `FrameStackObservation`, so it works on every
//! observation space, MiniGrid's image and direction (through the CNN) included, where the
//! wrapper cannot stack a Dict with a text mission.

use crate::error::{AgentError, Result};
use crate::nets::{linear, tanh, Init};
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::activation::softmax;
use limbic_environments::rng::Generator;
use serde::{Deserialize, Serialize};

/// A policy's working memory, as a config names it: `{"kind": "gru", "size": 128}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum MemoryConfig {
    /// A GRU of `size` units.
    Gru {
        #[serde(default = "default_size")]
        size: usize,
    },
    /// An LSTM of `size` units (its state holds `2 * size` numbers).
    Lstm {
        #[serde(default = "default_size")]
        size: usize,
    },
    /// The gated slot buffer: `slots` slots of `size` numbers each; `gate_cost` weighs the mean
    /// write gate as an auxiliary loss (sparser writes; 0 = none).
    Slots {
        #[serde(default = "default_slots")]
        slots: usize,
        #[serde(default = "default_slot_size")]
        size: usize,
        #[serde(default)]
        gate_cost: f64,
    },
    /// No learned memory: the last `frames` encoded observations side by side.
    FrameStack {
        #[serde(default = "default_frames")]
        frames: usize,
    },
}

fn default_size() -> usize {
    128
}
fn default_slots() -> usize {
    8
}
fn default_slot_size() -> usize {
    32
}
fn default_frames() -> usize {
    4
}

/// The kinds a config may name.
pub const MEMORY_KINDS: [&str; 4] = ["gru", "lstm", "slots", "frame_stack"];

impl MemoryConfig {
    /// `kind size` (`slots KxE`, `frame_stack N`), for labels: the same words as
    /// [`Memory::describe`] of the memory built from it.
    pub fn describe(&self) -> String {
        match self {
            MemoryConfig::Gru { size } | MemoryConfig::Lstm { size } => format!("{} {size}", self.kind()),
            MemoryConfig::Slots { slots, size, .. } => format!("slots {slots}x{size}"),
            MemoryConfig::FrameStack { frames } => format!("frame_stack {frames}"),
        }
    }

    /// The kind's name, as a config writes it.
    pub fn kind(&self) -> &'static str {
        match self {
            MemoryConfig::Gru { .. } => "gru",
            MemoryConfig::Lstm { .. } => "lstm",
            MemoryConfig::Slots { .. } => "slots",
            MemoryConfig::FrameStack { .. } => "frame_stack",
        }
    }

    /// Refuses sizes that cannot work, naming the field.
    pub fn validate(&self) -> Result<()> {
        let bad =
            |field: &str, message: String| Err(AgentError::Config { field: format!("policy.memory.{field}"), message });
        match *self {
            MemoryConfig::Gru { size } | MemoryConfig::Lstm { size } if size == 0 => {
                bad("size", "must be at least 1".into())
            }
            MemoryConfig::Slots { slots, size, gate_cost } => {
                if slots == 0 || size == 0 {
                    bad("slots", format!("slots {slots} x size {size}: both must be at least 1"))
                } else if !(gate_cost >= 0.0 && gate_cost.is_finite()) {
                    bad("gate_cost", format!("{gate_cost} must be a finite number >= 0"))
                } else {
                    Ok(())
                }
            }
            MemoryConfig::FrameStack { frames } if frames < 2 => {
                bad("frames", format!("{frames}: stacking needs at least 2 frames"))
            }
            _ => Ok(()),
        }
    }
}

/// What one step of a memory produces.
pub struct MemoryStep {
    /// `[B, out_dim]` features for the heads.
    pub output: Tensor<2>,
    /// `[B, S]` the next state.
    pub state: Tensor<2>,
    /// Named `[B, *]` values worth watching (the slots' gates and read weights).
    pub trace: Vec<(&'static str, Tensor<2>)>,
}

/// `sigmoid(x) = (1 + tanh(x / 2)) / 2`, through limbic's fast `tanh`.
fn sigmoid(x: Tensor<2>) -> Tensor<2> {
    tanh(x.mul_scalar(0.5)).mul_scalar(0.5).add_scalar(0.5)
}

/// A GRU cell (PyTorch's equations): `r = sigmoid(W_r x + U_r h)`, `z = sigmoid(W_z x + U_z h)`,
/// `n = tanh(W_n x + r * (U_n h))`, `h' = (1 - z) n + z h`.
#[derive(Module, Debug)]
pub struct GruCell {
    /// `x -> [r, z, n]` (with the input biases).
    pub input: Linear,
    /// `h -> [r, z, n]` (with the hidden biases).
    pub hidden: Linear,
    #[module(skip)]
    pub size: usize,
}

/// An LSTM cell: `[i, f, g, o] = W x + U h`, `c' = sigmoid(f) c + sigmoid(i) tanh(g)`,
/// `h' = sigmoid(o) tanh(c')`; the state is `[h, c]`.
#[derive(Module, Debug)]
pub struct LstmCell {
    pub input: Linear,
    pub hidden: Linear,
    #[module(skip)]
    pub size: usize,
}

/// The gated slot buffer; see the [module docs](self).
#[derive(Module, Debug)]
pub struct SlotMemory {
    /// `x -> [z (E), gate (K), query (E)]`.
    pub input: Linear,
    /// The memory's part of the write gates: `[K * E] -> K`.
    pub gate_memory: Linear,
    #[module(skip)]
    pub slots: usize,
    #[module(skip)]
    pub size: usize,
}

/// The last `frames` inputs side by side; see the [module docs](self).
#[derive(Module, Debug)]
pub struct FrameStack {
    #[module(skip)]
    pub frames: usize,
    #[module(skip)]
    pub input_dim: usize,
}

/// One of the memories.
#[derive(Module, Debug)]
pub enum Memory {
    Gru(GruCell),
    Lstm(LstmCell),
    Slots(SlotMemory),
    FrameStack(FrameStack),
}

impl Memory {
    /// A memory reading `input_dim` features. Weights are orthogonal (gain 1), biases zero, as
    /// CleanRL initializes its recurrent PPO's LSTM.
    pub fn new(config: &MemoryConfig, input_dim: usize, rng: &mut Generator, device: &Device) -> Result<Memory> {
        config.validate()?;
        let init = Init::Orthogonal { gain: 1.0 };
        Ok(match *config {
            MemoryConfig::Gru { size } => Memory::Gru(GruCell {
                input: linear(input_dim, 3 * size, init, rng, device),
                hidden: linear(size, 3 * size, init, rng, device),
                size,
            }),
            MemoryConfig::Lstm { size } => Memory::Lstm(LstmCell {
                input: linear(input_dim, 4 * size, init, rng, device),
                hidden: linear(size, 4 * size, init, rng, device),
                size,
            }),
            MemoryConfig::Slots { slots, size, .. } => {
                let mut input = linear(input_dim, 2 * size + slots, init, rng, device);
                // The write gates start mostly closed (bias -2, sigmoid 0.12): a slot keeps what
                // it holds unless the input says otherwise.
                let bias: Vec<f32> =
                    (0..2 * size + slots).map(|j| if (size..size + slots).contains(&j) { -2.0 } else { 0.0 }).collect();
                input.bias = Some(burn::module::Param::from_tensor(Tensor::from_data(
                    TensorData::new(bias, [2 * size + slots]),
                    device,
                )));
                Memory::Slots(SlotMemory {
                    input,
                    gate_memory: linear(slots * size, slots, init, rng, device),
                    slots,
                    size,
                })
            }
            MemoryConfig::FrameStack { frames } => Memory::FrameStack(FrameStack { frames, input_dim }),
        })
    }

    /// Numbers per row of the state.
    pub fn state_size(&self) -> usize {
        match self {
            Memory::Gru(cell) => cell.size,
            Memory::Lstm(cell) => 2 * cell.size,
            Memory::Slots(memory) => memory.slots * memory.size,
            Memory::FrameStack(stack) => (stack.frames - 1) * stack.input_dim,
        }
    }

    /// Width of [`MemoryStep::output`].
    pub fn out_dim(&self) -> usize {
        match self {
            Memory::Gru(cell) => cell.size,
            Memory::Lstm(cell) => cell.size,
            Memory::Slots(memory) => 2 * memory.size,
            Memory::FrameStack(stack) => stack.frames * stack.input_dim,
        }
    }

    /// `kind size` (`slots KxE`), for messages and checkpoints.
    pub fn describe(&self) -> String {
        match self {
            Memory::Gru(cell) => format!("gru {}", cell.size),
            Memory::Lstm(cell) => format!("lstm {}", cell.size),
            Memory::Slots(memory) => format!("slots {}x{}", memory.slots, memory.size),
            Memory::FrameStack(stack) => format!("frame_stack {}", stack.frames),
        }
    }

    /// The input projections of any number of rows at once.
    pub fn project(&self, x: Tensor<2>) -> Tensor<2> {
        match self {
            Memory::Gru(cell) => cell.input.forward(x),
            Memory::Lstm(cell) => cell.input.forward(x),
            Memory::Slots(memory) => memory.input.forward(x),
            Memory::FrameStack(_) => x,
        }
    }

    /// One step from projected inputs `[B, *]` and the state `[B, S]`.
    pub fn step(&self, projected: Tensor<2>, state: Tensor<2>) -> MemoryStep {
        match self {
            Memory::Gru(cell) => cell.step(projected, state),
            Memory::Lstm(cell) => cell.step(projected, state),
            Memory::Slots(memory) => memory.step(projected, state),
            Memory::FrameStack(stack) => stack.step(projected, state),
        }
    }
}

impl GruCell {
    fn step(&self, x: Tensor<2>, h: Tensor<2>) -> MemoryStep {
        let n = self.size;
        let hh = self.hidden.forward(h.clone());
        let rz = sigmoid(x.clone().narrow(1, 0, 2 * n) + hh.clone().narrow(1, 0, 2 * n));
        let (r, z) = (rz.clone().narrow(1, 0, n), rz.narrow(1, n, n));
        let candidate = tanh(x.narrow(1, 2 * n, n) + r * hh.narrow(1, 2 * n, n));
        let next = candidate.clone() + z * (h - candidate);
        MemoryStep { output: next.clone(), state: next, trace: Vec::new() }
    }
}

impl LstmCell {
    fn step(&self, x: Tensor<2>, state: Tensor<2>) -> MemoryStep {
        let n = self.size;
        let (h, c) = (state.clone().narrow(1, 0, n), state.narrow(1, n, n));
        let gates = x + self.hidden.forward(h);
        let ifo = sigmoid(Tensor::cat(vec![gates.clone().narrow(1, 0, 2 * n), gates.clone().narrow(1, 3 * n, n)], 1));
        let (i, f, o) = (ifo.clone().narrow(1, 0, n), ifo.clone().narrow(1, n, n), ifo.narrow(1, 2 * n, n));
        let c = f * c + i * tanh(gates.narrow(1, 2 * n, n));
        let h = o * tanh(c.clone());
        MemoryStep { output: h.clone(), state: Tensor::cat(vec![h, c], 1), trace: Vec::new() }
    }
}

impl SlotMemory {
    fn step(&self, x: Tensor<2>, state: Tensor<2>) -> MemoryStep {
        let (k, e) = (self.slots, self.size);
        let b = x.dims()[0];
        let z = tanh(x.clone().narrow(1, 0, e));
        let gate = sigmoid(x.clone().narrow(1, e, k) + self.gate_memory.forward(state.clone()));
        let query = x.narrow(1, e + k, e);
        // Write: each slot moves towards z by its gate.
        let slots = state.reshape([b, k, e]);
        let g = gate.clone().reshape([b, k, 1]);
        let slots = slots.clone() + (z.clone().reshape([b, 1, e]) - slots) * g;
        // Read by content.
        let scores = (slots.clone() * query.reshape([b, 1, e])).sum_dim(2).reshape([b, k]);
        let weights = softmax(scores.div_scalar((e as f64).sqrt()), 1);
        let read = (slots.clone() * weights.clone().reshape([b, k, 1])).sum_dim(1).reshape([b, e]);
        MemoryStep {
            output: Tensor::cat(vec![z, read], 1),
            state: slots.reshape([b, k * e]),
            trace: vec![("write_gate", gate), ("read_weights", weights)],
        }
    }
}

impl FrameStack {
    fn step(&self, x: Tensor<2>, state: Tensor<2>) -> MemoryStep {
        let kept = (self.frames - 2) * self.input_dim;
        let output = Tensor::cat(vec![x.clone(), state.clone()], 1);
        let state = if kept == 0 { x } else { Tensor::cat(vec![x, state.narrow(1, 0, kept)], 1) };
        MemoryStep { output, state, trace: Vec::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nets::download;

    fn device() -> Device {
        Device::flex()
    }

    fn rows(values: Vec<f32>, cols: usize) -> Tensor<2> {
        let n = values.len() / cols;
        Tensor::from_data(TensorData::new(values, [n, cols]), &device())
    }

    #[test]
    fn a_config_describes_itself_as_the_memory_it_builds() {
        let configs = [
            MemoryConfig::Gru { size: 5 },
            MemoryConfig::Lstm { size: 4 },
            MemoryConfig::Slots { slots: 3, size: 2, gate_cost: 0.1 },
            MemoryConfig::FrameStack { frames: 4 },
        ];
        for config in configs {
            let memory = Memory::new(&config, 2, &mut Generator::from_seed(0), &device()).unwrap();
            assert_eq!(config.describe(), memory.describe());
        }
        assert_eq!(MemoryConfig::Slots { slots: 3, size: 2, gate_cost: 0.0 }.describe(), "slots 3x2");
    }

    #[test]
    fn gru_matches_its_equations() {
        let mut rng = Generator::from_seed(0);
        let memory = Memory::new(&MemoryConfig::Gru { size: 3 }, 2, &mut rng, &device()).unwrap();
        let Memory::Gru(cell) = &memory else { unreachable!() };
        let (x, h) = (vec![0.3f32, -0.7], vec![0.1f32, -0.2, 0.5]);
        let step = memory.step(memory.project(rows(x.clone(), 2)), rows(h.clone(), 3));
        // By hand from the weights.
        let w_in = download(cell.input.weight.val()).unwrap(); // [2, 9]
        let w_h = download(cell.hidden.weight.val()).unwrap(); // [3, 9]
        let affine = |w: &[f32], v: &[f32], cols: usize| -> Vec<f64> {
            (0..cols).map(|j| v.iter().enumerate().map(|(i, &vi)| vi as f64 * w[i * cols + j] as f64).sum()).collect()
        };
        let (gi, gh) = (affine(&w_in, &x, 9), affine(&w_h, &h, 9));
        let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
        let expected: Vec<f64> = (0..3)
            .map(|j| {
                let r = sig(gi[j] + gh[j]);
                let z = sig(gi[3 + j] + gh[3 + j]);
                let n = (gi[6 + j] + r * gh[6 + j]).tanh();
                (1.0 - z) * n + z * h[j] as f64
            })
            .collect();
        let got = download(step.state).unwrap();
        for (g, e) in got.iter().zip(&expected) {
            assert!((*g as f64 - e).abs() < 1e-5, "{got:?} vs {expected:?}");
        }
        assert_eq!(download(step.output).unwrap(), got);
    }

    #[test]
    fn lstm_state_holds_hidden_and_cell() {
        let mut rng = Generator::from_seed(1);
        let memory = Memory::new(&MemoryConfig::Lstm { size: 4 }, 3, &mut rng, &device()).unwrap();
        assert_eq!((memory.state_size(), memory.out_dim()), (8, 4));
        let step = memory.step(memory.project(rows(vec![1.0, 0.0, -1.0], 3)), Tensor::zeros([1, 8], &device()));
        let state = download(step.state).unwrap();
        let h = download(step.output).unwrap();
        assert_eq!(&state[..4], &h[..]);
        // From a zero state, |h| < 1 and |c| < 1 (one gated tanh step).
        assert!(state.iter().all(|v| v.abs() < 1.0) && state.iter().any(|&v| v != 0.0));
    }

    #[test]
    fn slots_write_by_gate_and_read_by_content() {
        let mut rng = Generator::from_seed(2);
        let config = MemoryConfig::Slots { slots: 3, size: 2, gate_cost: 0.0 };
        let memory = Memory::new(&config, 4, &mut rng, &device()).unwrap();
        assert_eq!((memory.state_size(), memory.out_dim()), (6, 4));
        let x = memory.project(rows(vec![0.5, -0.5, 1.0, 0.2, 0.0, 0.3, -1.0, 0.7], 4));
        let state = rows(vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], 6);
        let step = memory.step(x.clone(), state.clone());
        let [gates, weights] = [0, 1].map(|i| download(step.trace[i].1.clone()).unwrap());
        assert_eq!((step.trace[0].0, step.trace[1].0), ("write_gate", "read_weights"));
        assert!(gates.iter().all(|&g| (0.0..=1.0).contains(&g)));
        for row in weights.chunks(3) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5, "read weights sum to 1: {row:?}");
        }
        // Each slot moved from its old content towards z by exactly its gate.
        let z = download(step.output.clone().narrow(1, 0, 2)).unwrap();
        let (old, new) = (download(state).unwrap(), download(step.state).unwrap());
        for b in 0..2 {
            for s in 0..3 {
                let g = gates[b * 3 + s];
                for j in 0..2 {
                    let at = b * 6 + s * 2 + j;
                    let expected = old[at] + (z[b * 2 + j] - old[at]) * g;
                    assert!((new[at] - expected).abs() < 1e-5);
                }
            }
        }
        // The read is the weighted sum of the new slots.
        let read = download(step.output.narrow(1, 2, 2)).unwrap();
        for b in 0..2 {
            for j in 0..2 {
                let expected: f32 = (0..3).map(|s| weights[b * 3 + s] * new[b * 6 + s * 2 + j]).sum();
                assert!((read[b * 2 + j] - expected).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn configs_parse_with_defaults_and_bad_ones_name_the_field() {
        let parse = |json| serde_json::from_value::<MemoryConfig>(json);
        assert_eq!(parse(serde_json::json!({"kind": "gru"})).unwrap(), MemoryConfig::Gru { size: 128 });
        assert_eq!(
            parse(serde_json::json!({"kind": "slots", "slots": 4})).unwrap(),
            MemoryConfig::Slots { slots: 4, size: 32, gate_cost: 0.0 }
        );
        let error = parse(serde_json::json!({"kind": "transformer"})).unwrap_err().to_string();
        assert!(MEMORY_KINDS.iter().all(|k| error.contains(k)), "{error}");
        let error = parse(serde_json::json!({"kind": "gru", "slots": 3})).unwrap_err().to_string();
        assert!(error.contains("slots") && error.contains("size"), "{error}");
        let error = MemoryConfig::Gru { size: 0 }.validate().unwrap_err().to_string();
        assert!(error.contains("policy.memory.size"), "{error}");
        assert!(MemoryConfig::Slots { slots: 2, size: 2, gate_cost: -1.0 }.validate().is_err());
        assert!(MemoryConfig::FrameStack { frames: 1 }.validate().unwrap_err().to_string().contains("frames"));
    }

    #[test]
    fn frame_stacks_keep_the_last_inputs() {
        let memory =
            Memory::new(&MemoryConfig::FrameStack { frames: 3 }, 2, &mut Generator::from_seed(0), &device()).unwrap();
        assert_eq!((memory.state_size(), memory.out_dim()), (4, 6));
        let mut state = Tensor::<2>::zeros([1, 4], &device());
        let mut outputs = Vec::new();
        for t in 1..=3 {
            let x = rows(vec![t as f32, -(t as f32)], 2);
            let step = memory.step(memory.project(x), state);
            outputs.push(download(step.output).unwrap());
            state = step.state;
        }
        assert_eq!(outputs[0], [1.0, -1.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(outputs[2], [3.0, -3.0, 2.0, -2.0, 1.0, -1.0]);
    }
}

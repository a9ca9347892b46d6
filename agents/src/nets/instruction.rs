//! Instruction encoders: a mission given as word indices (the `mission_words` of a BabyAI
//! level: one number per word, 0 pads) becomes one vector per row, which the observation
//! encoder joins to the image features or uses to condition them ([`super::film`]).
//!
//! - `gru` (BabyAI's `lang_model="gru"`): word embeddings read by a GRU; the instruction is the
//!   GRU's state after the last word (padding is skipped, so a mission's vector does not depend
//!   on the room left after it);
//! - `bow`: the bag of words, the sum of the words' embeddings (order is lost: "put the red ball
//!   next to the blue key" reads like "put the blue key next to the red ball").
//!
//! A batch holds few distinct missions (one per episode, and levels reuse them), so each
//! distinct mission is encoded once and the rows pick theirs (`select`, whose gradient sums
//! over the rows). The indices are read on the host for that, which also finds the longest
//! mission: the GRU runs that many steps, not the whole padded width.

use crate::error::{AgentError, Result};
use crate::nets::download;
use crate::nets::memory::{Memory, MemoryConfig};
use burn::module::Param;
use burn::prelude::*;
use limbic_environments::rng::Generator;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How a policy reads the mission: `{"kind": "gru", "size": 128}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstructionConfig {
    pub kind: InstructionKind,
    /// Width of the word embeddings and of the instruction vector (BabyAI: 128).
    #[serde(default = "default_size")]
    pub size: usize,
}

/// The instruction encoders a config may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstructionKind {
    Gru,
    Bow,
}

fn default_size() -> usize {
    128
}

impl InstructionConfig {
    /// Refuses a size of 0, naming the field.
    pub fn validate(&self) -> Result<()> {
        if self.size == 0 {
            return Err(AgentError::Config {
                field: "policy.instruction.size".into(),
                message: "must be at least 1".into(),
            });
        }
        Ok(())
    }

    /// `gru 128`, for descriptions and checkpoints.
    pub fn describe(&self) -> String {
        let kind = match self.kind {
            InstructionKind::Gru => "gru",
            InstructionKind::Bow => "bow",
        };
        format!("instruction {kind} {}", self.size)
    }
}

/// Word embeddings and, for `gru`, the GRU that reads them; see the [module docs](self).
#[derive(Module, Debug)]
pub struct InstructionEncoder {
    /// `[vocabulary + 1, size]`; row 0 (padding) is never read.
    pub embedding: Param<Tensor<2>>,
    pub gru: Option<Memory>,
    #[module(skip)]
    pub vocabulary: usize,
    #[module(skip)]
    pub size: usize,
}

impl InstructionEncoder {
    /// An encoder of missions over `vocabulary` words (indices 1 to `vocabulary`). Embeddings
    /// are standard normal (PyTorch's `nn.Embedding`); the GRU is orthogonal (gain 1), as the
    /// memories are.
    pub fn new(config: &InstructionConfig, vocabulary: usize, rng: &mut Generator, device: &Device) -> Result<Self> {
        config.validate()?;
        let size = config.size;
        let weights: Vec<f32> = (0..(vocabulary + 1) * size).map(|_| rng.standard_normal() as f32).collect();
        let embedding = Param::from_tensor(Tensor::from_data(TensorData::new(weights, [vocabulary + 1, size]), device));
        let gru = match config.kind {
            InstructionKind::Gru => Some(Memory::new(&MemoryConfig::Gru { size }, size, rng, device)?),
            InstructionKind::Bow => None,
        };
        Ok(InstructionEncoder { embedding, gru, vocabulary, size })
    }

    pub fn out_dim(&self) -> usize {
        self.size
    }

    /// `[B, W]` word indices (as numbers; anything else is rounded and clamped to the
    /// vocabulary) to `[B, size]`.
    pub fn forward(&self, words: Tensor<2>) -> Tensor<2> {
        let [rows, width] = words.dims();
        let device = words.device();
        let values = download(words.detach()).unwrap_or_default();
        let missions = Missions::of(&values, rows, width, self.vocabulary);
        let encoded = match &self.gru {
            Some(gru) => self.read_in_order(gru, &missions, &device),
            None => self.bag_of_words(&missions, &device),
        };
        let pick = Tensor::<1, Int>::from_data(TensorData::new(missions.of_row, [rows]), &device);
        encoded.select(0, pick)
    }

    /// `[U, size]`: the sum of each distinct mission's word embeddings.
    fn bag_of_words(&self, missions: &Missions, device: &Device) -> Tensor<2> {
        let columns = self.vocabulary + 1;
        let mut counts = vec![0.0f32; missions.distinct.len() * columns];
        for (row, mission) in counts.chunks_exact_mut(columns).zip(&missions.distinct) {
            mission.iter().for_each(|&w| row[w as usize] += 1.0);
        }
        let counts = Tensor::<2>::from_data(TensorData::new(counts, [missions.distinct.len(), columns]), device);
        counts.matmul(self.embedding.val())
    }

    /// `[U, size]`: the GRU's state after each distinct mission's last word.
    fn read_in_order(&self, gru: &Memory, missions: &Missions, device: &Device) -> Tensor<2> {
        let (count, size) = (missions.distinct.len(), self.size);
        let longest = missions.distinct.iter().map(Vec::len).max().unwrap_or(0);
        let mut state = Tensor::<2>::zeros([count, size], device);
        if longest == 0 {
            return state;
        }
        // Every word of every mission, position-major after padding with index 0.
        let mut indices = vec![0i64; count * longest];
        let mut present = vec![0.0f32; count * longest];
        for (m, mission) in missions.distinct.iter().enumerate() {
            for (t, &w) in mission.iter().enumerate() {
                indices[m * longest + t] = w as i64;
                present[m * longest + t] = 1.0;
            }
        }
        let indices = Tensor::<1, Int>::from_data(TensorData::new(indices, [count * longest]), device);
        let projected = gru.project(self.embedding.val().select(0, indices));
        let width = projected.dims()[1];
        let projected = projected.reshape([count, longest, width]);
        let present = Tensor::<2>::from_data(TensorData::new(present, [count, longest]), device);
        for t in 0..longest {
            let x = projected.clone().narrow(1, t, 1).reshape([count, width]);
            let next = gru.step(x, state.clone()).state;
            // Past a mission's end its state stays as it was.
            state = state.clone() + (next - state) * present.clone().narrow(1, t, 1);
        }
        state
    }
}

/// The distinct missions of a batch (their words without padding, in order of first
/// appearance) and which one each row holds.
struct Missions {
    distinct: Vec<Vec<u16>>,
    of_row: Vec<i64>,
}

impl Missions {
    fn of(values: &[f32], rows: usize, width: usize, vocabulary: usize) -> Missions {
        let mut seen: HashMap<Vec<u16>, i64> = HashMap::new();
        let mut distinct = Vec::new();
        let mut of_row = Vec::with_capacity(rows);
        for row in values.chunks_exact(width.max(1)).take(rows) {
            let words: Vec<u16> = row
                .iter()
                .map(|&x| if x.is_finite() { x.round().clamp(0.0, vocabulary as f32) as u16 } else { 0 })
                .take_while(|&w| w != 0)
                .collect();
            let next = distinct.len() as i64;
            let index = *seen.entry(words.clone()).or_insert_with(|| {
                distinct.push(words);
                next
            });
            of_row.push(index);
        }
        of_row.resize(rows, 0);
        if distinct.is_empty() {
            distinct.push(Vec::new());
        }
        Missions { distinct, of_row }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(missions: &[&[u16]], width: usize) -> Tensor<2> {
        let mut values = vec![0.0f32; missions.len() * width];
        for (row, mission) in values.chunks_exact_mut(width).zip(missions) {
            row.iter_mut().zip(mission.iter()).for_each(|(x, &w)| *x = w as f32);
        }
        Tensor::from_data(TensorData::new(values, [missions.len(), width]), &Device::flex())
    }

    fn encoder(kind: InstructionKind) -> InstructionEncoder {
        let config = InstructionConfig { kind, size: 6 };
        InstructionEncoder::new(&config, 9, &mut Generator::from_seed(3), &Device::flex()).unwrap()
    }

    #[test]
    fn padding_does_not_matter_and_equal_missions_encode_equally() {
        for kind in [InstructionKind::Gru, InstructionKind::Bow] {
            let encoder = encoder(kind);
            let narrow = download(encoder.forward(rows(&[&[1, 2, 3], &[4, 5]], 4))).unwrap();
            let wide = download(encoder.forward(rows(&[&[4, 5], &[7], &[1, 2, 3], &[4, 5]], 9))).unwrap();
            assert_eq!(narrow[..6], wide[12..18], "{kind:?}: padding changed a mission's vector");
            assert_eq!(narrow[6..], wide[..6]);
            assert_eq!(wide[..6], wide[18..]);
            assert_ne!(wide[..6], wide[6..12]);
        }
    }

    #[test]
    fn the_gru_reads_order_the_bag_does_not() {
        let gru = download(encoder(InstructionKind::Gru).forward(rows(&[&[1, 2], &[2, 1]], 3))).unwrap();
        assert_ne!(gru[..6], gru[6..]);
        let bow = download(encoder(InstructionKind::Bow).forward(rows(&[&[1, 2], &[2, 1]], 3))).unwrap();
        for (a, b) in bow[..6].iter().zip(&bow[6..]) {
            assert!((a - b).abs() < 1e-6);
        }
    }

    #[test]
    fn bag_of_words_sums_embeddings_and_the_gru_steps_as_its_cell() {
        let device = Device::flex();
        let bow = encoder(InstructionKind::Bow);
        let table = download(bow.embedding.val()).unwrap();
        let out = download(bow.forward(rows(&[&[3, 3, 8]], 5))).unwrap();
        for j in 0..6 {
            let expected = 2.0 * table[3 * 6 + j] + table[8 * 6 + j];
            assert!((out[j] - expected).abs() < 1e-5);
        }
        // The GRU's vector is its cell stepped over the embeddings from a zero state.
        let gru = encoder(InstructionKind::Gru);
        let cell = gru.gru.as_ref().unwrap();
        let table = gru.embedding.val();
        let mut state = Tensor::<2>::zeros([1, 6], &device);
        for w in [5i64, 1, 9] {
            let x = table.clone().select(0, Tensor::<1, Int>::from_data(TensorData::new(vec![w], [1]), &device));
            state = cell.step(cell.project(x), state).state;
        }
        let out = download(gru.forward(rows(&[&[5, 1, 9]], 4))).unwrap();
        for (a, b) in out.iter().zip(download(state).unwrap()) {
            assert!((a - b).abs() < 1e-5);
        }
    }

    #[test]
    fn gradients_reach_the_embeddings_of_the_words_read() {
        let device = Device::flex().autodiff();
        let config = InstructionConfig { kind: InstructionKind::Gru, size: 4 };
        let encoder = InstructionEncoder::new(&config, 5, &mut Generator::from_seed(0), &device).unwrap();
        let words = Tensor::<2>::from_data(TensorData::new(vec![2.0f32, 4.0, 0.0, 2.0, 4.0, 0.0], [2, 3]), &device);
        let grads = encoder.forward(words).sum().backward();
        let grad = download(encoder.embedding.grad(&grads).unwrap()).unwrap();
        let row_used = |w: usize| grad[w * 4..(w + 1) * 4].iter().any(|&g| g != 0.0);
        assert!(row_used(2) && row_used(4));
        assert!(!row_used(0) && !row_used(1) && !row_used(3) && !row_used(5));
    }

    /// A BabyAI observation space with the mission as `words` indices over 33 words.
    fn babyai_space(words: usize) -> limbic_environments::Space {
        use limbic_environments::{DType, Space};
        Space::dict(vec![
            ("direction".into(), Space::discrete(4)),
            ("image".into(), Space::uniform_box(0.0, 255.0, &[7, 7, 3], DType::UInt8)),
            ("mission".into(), Space::uniform_box(0.0, 33.0, &[words], DType::Int64)),
        ])
    }

    #[test]
    fn the_observation_encoder_reads_the_mission_beside_the_image_or_through_film() {
        use crate::nets::{Encoder, EncoderKind, Init};
        use crate::policies::PolicySpec;
        let space = babyai_space(5);
        let parse = |text: &str| serde_json::from_str::<PolicySpec>(text).unwrap();
        // Words without an encoder for them, an encoder without words, FiLM without words.
        let err = PolicySpec::default().encoder(&space).unwrap_err().to_string();
        assert!(err.contains("policy.instruction") && err.contains("mission_words"), "{err}");
        let plain = limbic_environments::Space::vector_box(&[0.0; 3], &[1.0; 3], limbic_environments::DType::Float32);
        let err = parse(r#"{"instruction": {"kind": "gru"}}"#).encoder(&plain).unwrap_err().to_string();
        assert!(err.contains("has none"), "{err}");
        let err = parse(r#"{"film": true}"#).encoder(&space).unwrap_err().to_string();
        assert!(err.contains("policy.instruction"), "{err}");

        let spec = parse(r#"{"instruction": {"kind": "gru", "size": 6}}"#).encoder(&space).unwrap();
        assert_eq!(spec.kind, EncoderKind::MiniGridMission { view: 7, words: 5, vocabulary: 33 });
        assert_eq!((spec.obs_dim(), spec.normalizable_dim()), (156, 151));
        let device = Device::flex();
        let encoder = Encoder::new(spec, Init::orthogonal_hidden(), &mut Generator::from_seed(0), &device).unwrap();
        assert_eq!(encoder.out_dim(), 68 + 6);
        let mut rows = vec![0.0f32; 2 * 156];
        for row in rows.chunks_exact_mut(156) {
            row[1] = 1.0;
            row[4..151].iter_mut().enumerate().for_each(|(i, x)| *x = (i % 11) as f32);
        }
        rows[151..154].copy_from_slice(&[3.0, 1.0, 9.0]);
        rows[156 + 151..156 + 153].copy_from_slice(&[3.0, 2.0]);
        let out = download(encoder.forward(Tensor::from_data(TensorData::new(rows, [2, 156]), &device))).unwrap();
        assert_eq!(out[..68], out[74..142], "the same image, the same CNN features");
        assert_ne!(out[68..74], out[142..], "another mission, another instruction vector");

        let film = parse(r#"{"instruction": {"kind": "bow", "size": 6}, "film": {"channels": 4, "blocks": 1}}"#);
        let spec = film.encoder(&space).unwrap();
        assert_eq!(spec.normalizable_dim(), 4, "FiLM embeds the cells: only the direction is a number");
        let encoder = Encoder::new(spec, Init::orthogonal_hidden(), &mut Generator::from_seed(0), &device).unwrap();
        assert_eq!(encoder.out_dim(), 4 + 4);
        assert_eq!(encoder.describe(), Some("instruction bow 6, film 1x4"));
    }

    #[test]
    fn configs_parse_and_refuse_nonsense() {
        let config: InstructionConfig = serde_json::from_str(r#"{"kind": "bow"}"#).unwrap();
        assert_eq!(config, InstructionConfig { kind: InstructionKind::Bow, size: 128 });
        assert!(serde_json::from_str::<InstructionConfig>(r#"{"kind": "lstm"}"#).is_err());
        assert!(serde_json::from_str::<InstructionConfig>(r#"{"kind": "gru", "width": 3}"#).is_err());
        let zero = InstructionConfig { kind: InstructionKind::Gru, size: 0 };
        assert!(zero.validate().unwrap_err().to_string().contains("policy.instruction.size"));
    }
}

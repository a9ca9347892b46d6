//! BabyAI 1.1's instruction-conditioned image encoder (Hui et al. 2020, `arch =
//! "bow_endpool_res"` of the `babyai` repository's `model.py`): the image's cells embedded as a
//! bag of words, two convolutions, FiLM blocks conditioned on the instruction with residual
//! connections, then one max-pool over the whole view.
//!
//! - **Cells as words**: each cell's object, colour and state index picks an embedding (three
//!   tables side by side), and the cell is their sum: `channels` feature maps.
//! - **Stem**: conv 3x3 (padding 1), batch norm, ReLU, twice; no pooling inside (BabyAI 1.1
//!   removed BabyAI 1.0's early max-pools).
//! - **FiLM block** (Perez et al. 2018), `blocks` of them: `h = ReLU(BN(conv(x)))`,
//!   `out = ReLU(BN(conv(h) * gamma(i) + beta(i)))` with `gamma`, `beta` linear in the
//!   instruction vector `i`, then `x + out` (the residual BabyAI 1.1 added).
//! - **End pool**: the maximum of each feature map over the view, then ReLU: `channels` numbers,
//!   joined by the direction one-hot (which BabyAI's model leaves out; the MiniGrid CNN keeps it
//!   too).
//!
//! Batch norm uses the batch's statistics while training (the autodiff model) and the running
//! averages when acting (`valid()`), as PyTorch's train/eval modes do; the averages are saved
//! with the weights. BabyAI uses 128 channels; every convolution then costs
//! `view^2 * 9 * 128^2` multiply-adds per row, so on a CPU a smaller `channels` trains much faster.

use crate::error::{AgentError, Result};
use crate::nets::{conv2d, download, linear, Init, DIRECTIONS};
use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, BatchNormConfig, Linear, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu;
use limbic_environments::rng::Generator;
use serde::{Deserialize, Serialize};

/// The FiLM encoder's size: `"film": true` (BabyAI 1.1's) or `{"channels": 64, "blocks": 2}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilmConfig {
    /// Feature maps everywhere (BabyAI: 128).
    pub channels: usize,
    /// FiLM blocks (BabyAI: 2).
    pub blocks: usize,
}

impl Default for FilmConfig {
    fn default() -> Self {
        FilmConfig { channels: 128, blocks: 2 }
    }
}

impl FilmConfig {
    pub fn validate(&self) -> Result<()> {
        if self.channels == 0 || self.blocks == 0 {
            return Err(AgentError::Config {
                field: "policy.film".into(),
                message: format!("channels {} and blocks {}: both must be at least 1", self.channels, self.blocks),
            });
        }
        Ok(())
    }

    pub fn describe(&self) -> String {
        format!("film {}x{}", self.blocks, self.channels)
    }
}

/// `true` is BabyAI 1.1's encoder, `false` none, an object sets its size (for
/// `#[serde(deserialize_with)]` on `PolicySpec::film`).
pub fn deserialize_film<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<FilmConfig>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Setting {
        Flag(bool),
        Sized(FilmConfig),
    }
    Ok(match Option::<Setting>::deserialize(d)? {
        None | Some(Setting::Flag(false)) => None,
        Some(Setting::Flag(true)) => Some(FilmConfig::default()),
        Some(Setting::Sized(config)) => Some(config),
    })
}

/// Sizes of MiniGrid's three cell channels: object (11 types), colour (6), state (3).
const CELL_VALUES: [usize; 3] = [11, 6, 3];

/// A convolution 3x3 (padding 1) followed by batch norm.
#[derive(Module, Debug)]
pub struct ConvNorm {
    pub conv: Conv2d,
    pub norm: BatchNorm,
}

impl ConvNorm {
    fn new(channels: usize, init: Init, rng: &mut Generator, device: &Device) -> ConvNorm {
        let mut conv = conv2d(channels, channels, 3, init, rng, device);
        conv.padding = PaddingConfig2d::Explicit(1, 1, 1, 1);
        ConvNorm { conv, norm: BatchNormConfig::new(channels).init(device) }
    }
}

/// One FiLM block: `x + ReLU(BN(conv2(ReLU(BN(conv1(x)))) * gamma + beta))`.
#[derive(Module, Debug)]
pub struct FilmBlock {
    pub first: ConvNorm,
    pub second: ConvNorm,
    pub gamma: Linear,
    pub beta: Linear,
}

/// See the [module docs](self).
#[derive(Module, Debug)]
pub struct FilmEncoder {
    /// `[11 + 6 + 3, channels]`: the cell values' embeddings.
    pub cells: Param<Tensor<2>>,
    pub stem: Vec<ConvNorm>,
    pub blocks: Vec<FilmBlock>,
    #[module(skip)]
    pub view: usize,
    #[module(skip)]
    pub channels: usize,
}

impl FilmEncoder {
    /// An encoder of `view x view` MiniGrid images conditioned on instruction vectors of
    /// `instruction` numbers. Convolutions are drawn with `init`, FiLM's linear maps orthogonal
    /// (gain 1, as BabyAI's unit-norm rows), the cell embeddings standard normal.
    pub fn new(
        config: &FilmConfig,
        view: usize,
        instruction: usize,
        init: Init,
        rng: &mut Generator,
        device: &Device,
    ) -> Result<FilmEncoder> {
        config.validate()?;
        let c = config.channels;
        let rows: usize = CELL_VALUES.iter().sum();
        let cells: Vec<f32> = (0..rows * c).map(|_| rng.standard_normal() as f32).collect();
        let cells = Param::from_tensor(Tensor::from_data(TensorData::new(cells, [rows, c]), device));
        let stem = (0..2).map(|_| ConvNorm::new(c, init, rng, device)).collect();
        let film = Init::Orthogonal { gain: 1.0 };
        let blocks = (0..config.blocks)
            .map(|_| FilmBlock {
                first: ConvNorm::new(c, init, rng, device),
                second: ConvNorm::new(c, init, rng, device),
                gamma: linear(instruction, c, film, rng, device),
                beta: linear(instruction, c, film, rng, device),
            })
            .collect();
        Ok(FilmEncoder { cells, stem, blocks, view, channels: c })
    }

    pub fn out_dim(&self) -> usize {
        self.channels + DIRECTIONS
    }

    /// MiniGrid rows `[B, 4 + view * view * 3]` (raw cell indices) and instruction vectors
    /// `[B, I]` to `[B, channels + 4]`.
    pub fn forward(&self, obs: Tensor<2>, instruction: Tensor<2>) -> Tensor<2> {
        let [batch, _] = obs.dims();
        let (v, c) = (self.view, self.channels);
        let direction = obs.clone().narrow(1, 0, DIRECTIONS);
        let mut x = self.embed_cells(obs.narrow(1, DIRECTIONS, v * v * 3));
        for layer in &self.stem {
            x = relu(layer.norm.forward(layer.conv.forward(x)));
        }
        for block in &self.blocks {
            let h = relu(block.first.norm.forward(block.first.conv.forward(x.clone())));
            let gamma = block.gamma.forward(instruction.clone()).reshape([batch, c, 1, 1]);
            let beta = block.beta.forward(instruction.clone()).reshape([batch, c, 1, 1]);
            let modulated = block.second.conv.forward(h) * gamma + beta;
            x = x + relu(block.second.norm.forward(modulated));
        }
        let pooled = relu(x.reshape([batch, c, v * v]).max_dim(2).reshape([batch, c]));
        Tensor::cat(vec![pooled, direction], 1)
    }

    /// `[B, view * view * 3]` cells in `[x][y][channel]` order to `[B, channels, y, x]`: the
    /// sum of each cell's three value embeddings (values outside MiniGrid's tables are clamped).
    fn embed_cells(&self, image: Tensor<2>) -> Tensor<4> {
        let [batch, width] = image.dims();
        let (v, c) = (self.view, self.channels);
        let device = image.device();
        let values = download(image.detach()).unwrap_or_default();
        let mut indices = Vec::with_capacity(batch * width);
        for cell in values.chunks_exact(3) {
            let mut offset = 0;
            for (&value, &count) in cell.iter().zip(&CELL_VALUES) {
                let index = if value.is_finite() { value.round().clamp(0.0, (count - 1) as f32) as usize } else { 0 };
                indices.push((offset + index) as i64);
                offset += count;
            }
        }
        let indices = Tensor::<1, Int>::from_data(TensorData::new(indices, [batch * width]), &device);
        let cells = self.cells.val().select(0, indices).reshape([batch * v * v, 3, c]).sum_dim(1);
        // [B, x, y, C] -> [B, C, y, x], as the MiniGrid CNN lays its picture out.
        cells.reshape([batch, v, v, c]).permute([0, 3, 2, 1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(batch: usize, view: usize, seed: u64) -> Vec<f32> {
        let mut rng = Generator::from_seed(seed);
        let mut out = Vec::new();
        for b in 0..batch {
            let mut direction = [0.0f32; 4];
            direction[b % 4] = 1.0;
            out.extend(direction);
            for cell in 0..view * view {
                for (k, &count) in CELL_VALUES.iter().enumerate() {
                    out.push(((rng.next_u64() as usize + cell + k) % count) as f32);
                }
            }
        }
        out
    }

    #[test]
    fn shapes_conditioning_and_cells_embedded_as_words() {
        let device = Device::flex();
        let config = FilmConfig { channels: 8, blocks: 2 };
        let film =
            FilmEncoder::new(&config, 7, 5, Init::orthogonal_hidden(), &mut Generator::from_seed(1), &device).unwrap();
        assert_eq!(film.out_dim(), 12);
        let obs = Tensor::<2>::from_data(TensorData::new(rows(3, 7, 0), [3, 151]), &device);
        let instruction = |seed: u64| {
            let mut rng = Generator::from_seed(seed);
            let v: Vec<f32> = (0..15).map(|_| rng.standard_normal() as f32).collect();
            Tensor::<2>::from_data(TensorData::new(v, [3, 5]), &device)
        };
        let out = download(film.forward(obs.clone(), instruction(1))).unwrap();
        assert_eq!(out.len(), 36);
        assert!(out.iter().all(|x| x.is_finite() && *x >= 0.0));
        assert_eq!(out[8..12], [1.0, 0.0, 0.0, 0.0], "the direction one-hot is passed through");
        // Another instruction, other features.
        assert_ne!(out, download(film.forward(obs, instruction(2))).unwrap());
        // A cell is the sum of its three embeddings.
        let image = Tensor::<2>::from_data(TensorData::new(vec![5.0f32, 2.0, 1.0], [1, 3]), &device);
        let tiny = FilmEncoder { view: 1, ..film };
        let cell = download(tiny.embed_cells(image)).unwrap();
        let table = download(tiny.cells.val()).unwrap();
        for j in 0..8 {
            let expected = table[5 * 8 + j] + table[(11 + 2) * 8 + j] + table[(17 + 1) * 8 + j];
            assert!((cell[j] - expected).abs() < 1e-5);
        }
    }

    #[test]
    fn film_switch_parses_from_a_flag_or_an_object() {
        #[derive(Deserialize)]
        struct Holder {
            #[serde(default, deserialize_with = "deserialize_film")]
            film: Option<FilmConfig>,
        }
        let parse = |text: &str| serde_json::from_str::<Holder>(text).map(|h| h.film);
        assert_eq!(parse(r#"{"film": true}"#).unwrap(), Some(FilmConfig::default()));
        assert_eq!(parse(r#"{"film": false}"#).unwrap(), None);
        assert_eq!(parse(r#"{}"#).unwrap(), None);
        assert_eq!(parse(r#"{"film": {"channels": 32}}"#).unwrap(), Some(FilmConfig { channels: 32, blocks: 2 }));
        assert!(parse(r#"{"film": {"width": 32}}"#).is_err());
        assert!(FilmConfig { channels: 0, blocks: 1 }.validate().is_err());
    }
}

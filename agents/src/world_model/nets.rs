//! The world model's networks: DreamerV3's dense layer (linear, layer norm, SiLU), MLPs of
//! them, and the observation side: how an observation row is encoded, decoded and scored
//! ([`ObsCoding`]).
//!
//! - **Vectors** (classic control, any flat row): `symlog` of the row into an MLP; the decoder
//!   predicts `symlog(obs)`, scored by the squared error summed over dimensions.
//! - **MiniGrid** (`{direction, image}`): the MiniGrid CNN of [`crate::nets`] on the raw
//!   object/colour/state indices, then an MLP; the decoder predicts every cell's object,
//!   colour and state and the agent's direction as categoricals, scored by their
//!   cross-entropies summed over cells.

use crate::error::{AgentError, Result};
use crate::nets::{download, linear, EncoderKind, Init, MiniGridCnn};
use crate::world_model::math::{symexp, symlog, symlog_tensor};
use burn::nn::{LayerNorm, LayerNormConfig, Linear};
use burn::prelude::*;
use burn::tensor::activation::{log_softmax, silu};
use limbic_environments::rng::Generator;
use limbic_environments::Space;

/// `silu(layer_norm(W x + b))`: DreamerV3's hidden layer.
#[derive(Module, Debug)]
pub struct Dense {
    pub linear: Linear,
    pub norm: LayerNorm,
}

impl Dense {
    pub fn new(d_in: usize, d_out: usize, rng: &mut Generator, device: &Device) -> Dense {
        Dense {
            linear: linear(d_in, d_out, Init::TorchDefault, rng, device),
            norm: LayerNormConfig::new(d_out).init(device),
        }
    }

    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        silu(self.norm.forward(self.linear.forward(x)))
    }
}

/// Dense layers one after the other (none: the identity).
#[derive(Module, Debug)]
pub struct NormMlp {
    pub layers: Vec<Dense>,
    #[module(skip)]
    pub out_dim: usize,
}

impl NormMlp {
    pub fn new(d_in: usize, units: usize, layers: usize, rng: &mut Generator, device: &Device) -> NormMlp {
        let layers: Vec<Dense> =
            (0..layers).map(|i| Dense::new(if i == 0 { d_in } else { units }, units, rng, device)).collect();
        let out_dim = if layers.is_empty() { d_in } else { units };
        NormMlp { layers, out_dim }
    }

    pub fn forward(&self, mut x: Tensor<2>) -> Tensor<2> {
        for layer in &self.layers {
            x = layer.forward(x);
        }
        x
    }
}

/// An MLP and a linear output layer; `zero_out` starts the output at 0 (DreamerV3's reward
/// and critic heads: `outscale 0`).
#[derive(Module, Debug)]
pub struct MlpHead {
    pub torso: NormMlp,
    pub out: Linear,
}

impl MlpHead {
    pub fn new(
        d_in: usize,
        units: usize,
        layers: usize,
        out: usize,
        zero_out: bool,
        rng: &mut Generator,
        device: &Device,
    ) -> MlpHead {
        let torso = NormMlp::new(d_in, units, layers, rng, device);
        let mut out = linear(torso.out_dim, out, Init::TorchDefault, rng, device);
        if zero_out {
            out.weight = out.weight.map(|w| w.zeros_like());
            out.bias = out.bias.map(|b| b.map(|b| b.zeros_like()));
        }
        MlpHead { torso, out }
    }

    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.out.forward(self.torso.forward(x))
    }
}

/// MiniGrid's object types, colours and door states (`OBJECT_TO_IDX`, `COLOR_TO_IDX`,
/// `STATE_TO_IDX`).
pub const MINIGRID_OBJECTS: usize = 11;
pub const MINIGRID_COLOURS: usize = 6;
pub const MINIGRID_STATES: usize = 3;
const CELL_CLASSES: usize = MINIGRID_OBJECTS + MINIGRID_COLOURS + MINIGRID_STATES;
const DIRECTIONS: usize = 4;

/// How the world model reads, predicts and scores an observation row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObsCoding {
    /// A flat row of `dim` numbers.
    Vector { dim: usize },
    /// MiniGrid's row: the direction one-hot, then `view x view x 3` indices.
    MiniGrid { view: usize },
}

impl ObsCoding {
    /// The coding of an observation space; one it cannot encode is an error naming it.
    pub fn for_space(space: &Space) -> Result<ObsCoding> {
        let refuse = |why: &str| {
            Err(AgentError::Unsupported(format!(
                "the world model cannot encode the observation space {}: {why}",
                space.describe()
            )))
        };
        match space {
            Space::Box(b) if b.shape.len() > 1 => {
                return refuse("it encodes vectors (rank-1 Box) and MiniGrid observations, not images or tensors")
            }
            Space::Text { .. } => return refuse("text has no numeric encoding"),
            Space::Dict(_) => {
                return match EncoderKind::for_space(space) {
                    Ok(EncoderKind::MiniGrid { view }) if view >= 7 => Ok(ObsCoding::MiniGrid { view }),
                    Ok(EncoderKind::MiniGrid { view }) => {
                        refuse(&format!("MiniGrid views of {view} cells are below the CNN's 7"))
                    }
                    _ => refuse("a Dict must be MiniGrid's {direction, image}"),
                }
            }
            _ => {}
        }
        match EncoderKind::for_space(space) {
            Ok(EncoderKind::Flat { dim }) if dim > 0 => Ok(ObsCoding::Vector { dim }),
            Ok(_) => refuse("no numbers to encode"),
            Err(e) => refuse(&e.to_string()),
        }
    }

    /// Numbers per observation row.
    pub fn obs_dim(self) -> usize {
        match self {
            ObsCoding::Vector { dim } => dim,
            ObsCoding::MiniGrid { view } => DIRECTIONS + view * view * 3,
        }
    }

    /// Numbers the decoder outputs per row.
    pub fn decoder_dim(self) -> usize {
        match self {
            ObsCoding::Vector { dim } => dim,
            ObsCoding::MiniGrid { view } => DIRECTIONS + view * view * CELL_CLASSES,
        }
    }

    /// The decoder's targets for observation rows `[N * obs_dim]`: `symlog(obs)` for vectors,
    /// one-hot classes for MiniGrid (a value outside MiniGrid's ranges is an error).
    pub fn targets(self, obs: &[f32]) -> Result<Vec<f32>> {
        match self {
            ObsCoding::Vector { .. } => Ok(obs.iter().map(|&x| symlog(x)).collect()),
            ObsCoding::MiniGrid { view } => {
                let cells = view * view;
                let mut out = vec![0.0f32; obs.len() / self.obs_dim() * self.decoder_dim()];
                for (row, target) in obs.chunks_exact(self.obs_dim()).zip(out.chunks_exact_mut(self.decoder_dim())) {
                    target[..DIRECTIONS].copy_from_slice(&row[..DIRECTIONS]);
                    for c in 0..cells {
                        let cell = &row[DIRECTIONS + 3 * c..DIRECTIONS + 3 * c + 3];
                        let classes = &mut target[DIRECTIONS + CELL_CLASSES * c..DIRECTIONS + CELL_CLASSES * (c + 1)];
                        let mut offset = 0;
                        for (&value, size) in cell.iter().zip([MINIGRID_OBJECTS, MINIGRID_COLOURS, MINIGRID_STATES]) {
                            if !(value >= 0.0 && (value as usize) < size && value.fract() == 0.0) {
                                return Err(AgentError::Unsupported(format!(
                                    "MiniGrid cell value {value} is not an index below {size}"
                                )));
                            }
                            classes[offset + value as usize] = 1.0;
                            offset += size;
                        }
                    }
                }
                Ok(out)
            }
        }
    }

    /// The reconstruction loss of each row `[N]` from decoder outputs and targets (both
    /// `[N, decoder_dim]`): squared error summed over dimensions, or cross-entropies summed
    /// over the direction and every cell's object, colour and state.
    pub fn loss(self, predicted: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
        let [n, _] = predicted.dims();
        match self {
            ObsCoding::Vector { .. } => (predicted - targets).square().sum_dim(1).reshape([n]),
            ObsCoding::MiniGrid { view } => {
                let cells = view * view;
                let direction = log_softmax(predicted.clone().narrow(1, 0, DIRECTIONS), 1)
                    * targets.clone().narrow(1, 0, DIRECTIONS);
                let logits = predicted.narrow(1, DIRECTIONS, cells * CELL_CLASSES).reshape([n, cells, CELL_CLASSES]);
                let wanted = targets.narrow(1, DIRECTIONS, cells * CELL_CLASSES).reshape([n, cells, CELL_CLASSES]);
                let mut total = direction.sum_dim(1).reshape([n]);
                let mut offset = 0;
                for size in [MINIGRID_OBJECTS, MINIGRID_COLOURS, MINIGRID_STATES] {
                    let part =
                        log_softmax(logits.clone().narrow(2, offset, size), 2) * wanted.clone().narrow(2, offset, size);
                    total = total + part.sum_dim(2).sum_dim(1).reshape([n]);
                    offset += size;
                }
                total.neg()
            }
        }
    }

    /// Observation rows from decoder outputs `[N, decoder_dim]`: `symexp` of the prediction,
    /// or each categorical's most likely class.
    pub fn decode(self, predicted: Tensor<2>) -> Result<Vec<f32>> {
        let values = download(predicted)?;
        Ok(match self {
            ObsCoding::Vector { .. } => values.into_iter().map(symexp).collect(),
            ObsCoding::MiniGrid { view } => {
                let argmax = |x: &[f32]| (0..x.len()).fold(0, |best, j| if x[j] > x[best] { j } else { best });
                let mut out = Vec::with_capacity(values.len() / self.decoder_dim() * self.obs_dim());
                for row in values.chunks_exact(self.decoder_dim()) {
                    let direction = argmax(&row[..DIRECTIONS]);
                    out.extend((0..DIRECTIONS).map(|d| (d == direction) as u8 as f32));
                    for cell in row[DIRECTIONS..].chunks_exact(CELL_CLASSES).take(view * view) {
                        let mut offset = 0;
                        for size in [MINIGRID_OBJECTS, MINIGRID_COLOURS, MINIGRID_STATES] {
                            out.push(argmax(&cell[offset..offset + size]) as f32);
                            offset += size;
                        }
                    }
                }
                out
            }
        })
    }

    /// How far a predicted observation row is from the true one: the mean squared error for
    /// vectors; for MiniGrid the fraction of the view's cells (and the direction) predicted
    /// wrong.
    pub fn error(self, predicted: &[f32], actual: &[f32]) -> f64 {
        match self {
            ObsCoding::Vector { dim } => {
                predicted.iter().zip(actual).map(|(p, a)| (*p as f64 - *a as f64).powi(2)).sum::<f64>() / dim as f64
            }
            ObsCoding::MiniGrid { view } => {
                let wrong_direction = predicted[..DIRECTIONS] != actual[..DIRECTIONS];
                let cells = predicted[DIRECTIONS..].chunks_exact(3).zip(actual[DIRECTIONS..].chunks_exact(3));
                let wrong = cells.filter(|(p, a)| p != a).count() + wrong_direction as usize;
                wrong as f64 / (view * view + 1) as f64
            }
        }
    }
}

/// Observation rows to the embedding the posterior reads.
#[derive(Module, Debug)]
pub struct ObsEncoder {
    pub cnn: Option<MiniGridCnn>,
    pub mlp: NormMlp,
    #[module(skip)]
    pub symlog_inputs: bool,
}

impl ObsEncoder {
    pub fn new(
        coding: ObsCoding,
        units: usize,
        layers: usize,
        rng: &mut Generator,
        device: &Device,
    ) -> Result<ObsEncoder> {
        Ok(match coding {
            ObsCoding::Vector { dim } => {
                ObsEncoder { cnn: None, mlp: NormMlp::new(dim, units, layers, rng, device), symlog_inputs: true }
            }
            ObsCoding::MiniGrid { view } => {
                let cnn = MiniGridCnn::new(view, Init::TorchDefault, rng, device)?;
                let mlp = NormMlp::new(cnn.out_dim(), units, layers, rng, device);
                ObsEncoder { cnn: Some(cnn), mlp, symlog_inputs: false }
            }
        })
    }

    pub fn out_dim(&self) -> usize {
        self.mlp.out_dim
    }

    pub fn forward(&self, obs: Tensor<2>) -> Tensor<2> {
        let x = match &self.cnn {
            Some(cnn) => cnn.forward(obs),
            None if self.symlog_inputs => symlog_tensor(obs),
            None => obs,
        };
        self.mlp.forward(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use limbic_environments::DType;

    fn minigrid_space(view: usize) -> Space {
        Space::dict(vec![
            ("direction".into(), Space::discrete(4)),
            ("image".into(), Space::uniform_box(0.0, 255.0, &[view, view, 3], DType::UInt8)),
        ])
    }

    #[test]
    fn codings_follow_the_space_and_refuse_what_they_cannot_encode() {
        let cartpole = Space::vector_box(&[-1.0; 4], &[1.0; 4], DType::Float32);
        assert_eq!(ObsCoding::for_space(&cartpole).unwrap(), ObsCoding::Vector { dim: 4 });
        assert_eq!(ObsCoding::for_space(&Space::discrete(5)).unwrap(), ObsCoding::Vector { dim: 5 });
        let coding = ObsCoding::for_space(&minigrid_space(7)).unwrap();
        assert_eq!(
            (coding, coding.obs_dim(), coding.decoder_dim()),
            (ObsCoding::MiniGrid { view: 7 }, 151, 4 + 49 * 20)
        );
        let pixels = Space::uniform_box(0.0, 255.0, &[56, 56, 3], DType::UInt8);
        let error = ObsCoding::for_space(&pixels).unwrap_err().to_string();
        assert!(error.contains("cannot encode the observation space") && error.contains("56"), "{error}");
        let error = ObsCoding::for_space(&minigrid_space(5)).unwrap_err().to_string();
        assert!(error.contains("below the CNN's 7"), "{error}");
        let other = Space::dict(vec![("a".into(), Space::discrete(2))]);
        assert!(ObsCoding::for_space(&other).unwrap_err().to_string().contains("Dict"));
    }

    #[test]
    fn minigrid_targets_decode_back_and_bad_cells_are_errors() {
        let coding = ObsCoding::MiniGrid { view: 7 };
        let mut row = vec![0.0f32; 151];
        row[2] = 1.0;
        for (i, x) in row[4..].iter_mut().enumerate() {
            *x = [(i / 3 % 11) as f32, (i / 3 % 6) as f32, (i / 3 % 3) as f32][i % 3];
        }
        let targets = coding.targets(&row).unwrap();
        assert_eq!(targets.len(), coding.decoder_dim());
        assert_eq!(targets.iter().sum::<f32>(), 1.0 + 49.0 * 3.0);
        // One-hot targets as logits decode to the row; the loss is smallest there.
        let device = Device::flex();
        let logits: Vec<f32> = targets.iter().map(|&t| if t > 0.0 { 10.0 } else { 0.0 }).collect();
        let logits = Tensor::<2>::from_data(TensorData::new(logits, [1, coding.decoder_dim()]), &device);
        assert_eq!(coding.decode(logits.clone()).unwrap(), row);
        let target = Tensor::<2>::from_data(TensorData::new(targets, [1, coding.decoder_dim()]), &device);
        let good = download(coding.loss(logits.clone(), target.clone())).unwrap()[0];
        let bad = download(coding.loss(logits.zeros_like(), target)).unwrap()[0];
        assert!(good < 0.05 && bad > 100.0, "{good} {bad}");
        assert_eq!(coding.error(&row, &row), 0.0);
        let mut other = row.clone();
        other[4] = 2.0;
        assert!((coding.error(&other, &row) - 1.0 / 50.0).abs() < 1e-12);
        row[5] = 6.0; // a colour index past the last colour
        assert!(coding.targets(&row).unwrap_err().to_string().contains("not an index below 6"));
    }

    #[test]
    fn vector_targets_are_symlog_and_decode_with_symexp() {
        let coding = ObsCoding::Vector { dim: 2 };
        let targets = coding.targets(&[3.0, -0.5]).unwrap();
        assert_eq!(targets, [symlog(3.0), symlog(-0.5)]);
        let device = Device::flex();
        let decoded = coding.decode(Tensor::from_data(TensorData::new(targets, [1, 2]), &device)).unwrap();
        assert!((decoded[0] - 3.0).abs() < 1e-5 && (decoded[1] + 0.5).abs() < 1e-6);
        assert!((coding.error(&[1.0, 1.0], &[0.0, 3.0]) - 2.5).abs() < 1e-12);
    }

    #[test]
    fn zero_heads_start_at_zero() {
        let device = Device::flex();
        let head = MlpHead::new(3, 8, 1, 5, true, &mut Generator::from_seed(0), &device);
        let out = download(head.forward(Tensor::ones([2, 3], &device))).unwrap();
        assert!(out.iter().all(|&x| x == 0.0));
        let mlp = NormMlp::new(3, 8, 2, &mut Generator::from_seed(0), &device);
        assert_eq!(mlp.forward(Tensor::ones([2, 3], &device)).dims(), [2, 8]);
    }
}

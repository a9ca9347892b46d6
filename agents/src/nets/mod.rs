//! Network building blocks shared by every learner: MLP torsos, the observation encoders (the
//! MiniGrid CNN; for missions given as word indices an instruction encoder, [`instruction`],
//! joined to the CNN's features or conditioning BabyAI 1.1's FiLM encoder, [`film`]) and the
//! layer initializers.
//!
//! Every parameter is drawn from our own [`Generator`], not from burn's device RNG: burn flex
//! keeps one process-wide RNG behind a mutex, so two models built at once (tests, parallel
//! runs) would interleave its draws. With our generator a seed fixes the initial weights
//! whatever else the process does.
//!
//! ```
//! use burn::prelude::*;
//! use limbic_agents::nets::{Activation, Init, MlpConfig};
//! use limbic_environments::rng::Generator;
//! let device = Device::flex();
//! let mut rng = Generator::from_seed(0);
//! let mlp = MlpConfig { hidden: vec![64, 64], activation: Activation::Tanh }.init(4, Init::orthogonal_hidden(), &mut rng, &device);
//! let features = mlp.forward(Tensor::<2>::zeros([8, 4], &device));
//! assert_eq!(features.dims(), [8, 64]);
//! ```

pub mod blocks;
pub mod distributions;
pub mod film;
pub mod instruction;
pub mod memory;

use crate::error::{AgentError, Result};
use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, PaddingConfig2d};
use burn::prelude::*;
use film::{FilmConfig, FilmEncoder};
use instruction::{InstructionConfig, InstructionEncoder};
use limbic_environments::rng::Generator;
use limbic_environments::{DType, Space};
use serde::{Deserialize, Serialize};

/// The nonlinearity between hidden layers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// SB3's and CleanRL's default for PPO.
    #[default]
    Tanh,
    Relu,
}

impl Activation {
    pub fn apply<const D: usize>(self, x: Tensor<D>) -> Tensor<D> {
        match self {
            Activation::Tanh => tanh(x),
            Activation::Relu => burn::tensor::activation::relu(x),
        }
    }
}

/// Copies a tensor's values to the host: the one place a download can fail (it cannot on the
/// CPU backend, but the error stays typed).
pub fn download<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>> {
    tensor.try_into_vec_as::<f32>().map_err(|e| AgentError::Unsupported(format!("tensor readback failed: {e:?}")))
}

/// `tanh`, computed on the host with a vectorizable rational approximation, its gradient
/// attached as a constant: `y + (x - detach(x)) * (1 - y^2)` has the value `y` and the
/// derivative `1 - y^2`.
///
/// Why: burn flex evaluates `tanh` with libm's scalar `tanhf`, and its autodiff evaluates it
/// again in the backward pass; for PPO's small MLPs that was more than half of an update's
/// time. Here the transcendental work is one vectorized loop and the backward pass one
/// multiplication. The host round trip is a copy on the CPU backend limbic trains on.
pub fn tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let (shape, device) = (x.shape(), x.device());
    let values = x.clone().detach().into_data().try_into_vec::<f32>().unwrap_or_default();
    let y: Vec<f32> = values.iter().map(|&v| tanh_f32(v)).collect();
    if !x.is_autodiff() {
        return Tensor::from_data(TensorData::new(y, shape), &device);
    }
    let slope: Vec<f32> = y.iter().map(|&t| 1.0 - t * t).collect();
    let y = Tensor::<D>::from_data(TensorData::new(y, shape.clone()), &device);
    let slope = Tensor::<D>::from_data(TensorData::new(slope, shape), &device);
    y + (x.clone() - x.detach()) * slope
}

/// `tanh` as a rational function (Eigen's `generic_fast_tanh_float`: odd degree-13 numerator
/// over even degree-6 denominator on inputs clamped to ±7.9053), within a few ulp of the true
/// value and free of branches and calls, so the compiler vectorizes loops over it (plain
/// multiply-adds: `mul_add` is a libm call without a target FMA).
#[inline]
pub fn tanh_f32(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    const ALPHA: [f32; 7] =
        [-2.760_768_5e-16, 2.000_188e-13, -8.604_672e-11, 5.122_297e-8, 1.485_722_4e-5, 6.372_619_3e-4, 4.893_524_6e-3];
    const BETA: [f32; 4] = [1.198_258_4e-6, 1.185_347e-4, 2.268_434_6e-3, 4.893_525e-3];
    let x = x.clamp(-CLAMP, CLAMP);
    let x2 = x * x;
    let p = ALPHA.iter().fold(0.0f32, |acc, &a| acc * x2 + a) * x;
    let q = BETA.iter().fold(0.0f32, |acc, &b| acc * x2 + b);
    p / q
}

/// How a layer's weights are drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// A (semi-)orthogonal weight matrix scaled by `gain` and a zero bias (SB3's and CleanRL's
    /// `layer_init`).
    Orthogonal { gain: f64 },
    /// PyTorch's default for `nn.Linear` and `nn.Conv2d`: weight and bias uniform in
    /// `±1/sqrt(fan_in)`.
    TorchDefault,
}

impl Init {
    /// CleanRL's gain for hidden layers: sqrt(2).
    pub fn orthogonal_hidden() -> Init {
        Init::Orthogonal { gain: std::f64::consts::SQRT_2 }
    }

    /// CleanRL's gain for a policy head: 0.01 (near-uniform initial policy).
    pub fn orthogonal_policy_head() -> Init {
        Init::Orthogonal { gain: 0.01 }
    }

    /// CleanRL's gain for a value head: 1.
    pub fn orthogonal_value_head() -> Init {
        Init::Orthogonal { gain: 1.0 }
    }

    /// `self` when orthogonal initialization is wanted, PyTorch's default otherwise.
    pub fn or_default(self, ortho_init: bool) -> Init {
        if ortho_init {
            self
        } else {
            Init::TorchDefault
        }
    }

    /// Draws a weight of `rows x cols` (row-major; `cols` = fan-in as PyTorch counts it) and a
    /// bias of `rows`.
    fn draw(self, rows: usize, cols: usize, rng: &mut Generator) -> (Vec<f32>, Vec<f32>) {
        match self {
            Init::Orthogonal { gain } => (orthogonal(rows, cols, gain, rng), vec![0.0; rows]),
            Init::TorchDefault => {
                let bound = 1.0 / (cols as f64).sqrt();
                let mut uniform = |n: usize| (0..n).map(|_| rng.uniform(-bound, bound) as f32).collect::<Vec<_>>();
                let weight = uniform(rows * cols);
                (weight, uniform(rows))
            }
        }
    }
}

/// A `rows x cols` matrix (row-major) with orthonormal rows (rows <= cols) or columns
/// (rows >= cols), times `gain`: PyTorch's `orthogonal_`, i.e. the Q of the QR decomposition
/// of a standard normal matrix with the signs that make R's diagonal positive.
pub fn orthogonal(rows: usize, cols: usize, gain: f64, rng: &mut Generator) -> Vec<f32> {
    // Orthonormalize the columns of a tall matrix (m >= n) by modified Gram-Schmidt, whose R
    // has a positive diagonal by construction; a wide matrix is done transposed.
    let (m, n) = if rows >= cols { (rows, cols) } else { (cols, rows) };
    let mut columns: Vec<Vec<f64>> = (0..n).map(|_| (0..m).map(|_| rng.standard_normal()).collect()).collect();
    for j in 0..n {
        let (done, rest) = columns.split_at_mut(j);
        let column = &mut rest[0];
        for q in done.iter() {
            let dot: f64 = q.iter().zip(column.iter()).map(|(a, b)| a * b).sum();
            column.iter_mut().zip(q).for_each(|(c, q)| *c -= dot * q);
        }
        let norm = column.iter().map(|c| c * c).sum::<f64>().sqrt();
        column.iter_mut().for_each(|c| *c /= norm);
    }
    let mut out = vec![0.0f32; rows * cols];
    for (j, column) in columns.iter().enumerate() {
        for (i, &q) in column.iter().enumerate() {
            // Column j of the tall matrix is column j of the result, or row j when transposed.
            let index = if rows >= cols { i * cols + j } else { j * cols + i };
            out[index] = (gain * q) as f32;
        }
    }
    out
}

/// A linear layer `d_in -> d_out` drawn with `init`.
pub fn linear(d_in: usize, d_out: usize, init: Init, rng: &mut Generator, device: &Device) -> Linear {
    let (weight, bias) = init.draw(d_out, d_in, rng);
    // burn stores the weight as [d_in, d_out], the transpose of PyTorch's [d_out, d_in]. It is
    // transposed here, into a contiguous tensor like the one a checkpoint loads: a transposed
    // view multiplies in another order, so a network never trained (a DQN target between
    // syncs) would compute differently after a resume than before it.
    let mut transposed = vec![0.0f32; weight.len()];
    for (o, row) in weight.chunks_exact(d_in.max(1)).enumerate() {
        row.iter().enumerate().for_each(|(i, &w)| transposed[i * d_out + o] = w);
    }
    let weight = Tensor::<2>::from_data(TensorData::new(transposed, [d_in, d_out]), device);
    Linear {
        weight: Param::from_tensor(weight),
        bias: Some(Param::from_tensor(Tensor::from_data(TensorData::new(bias, [d_out]), device))),
    }
}

/// A `kernel x kernel` convolution `c_in -> c_out`, stride 1, no padding, drawn with `init`.
pub fn conv2d(c_in: usize, c_out: usize, kernel: usize, init: Init, rng: &mut Generator, device: &Device) -> Conv2d {
    let (weight, bias) = init.draw(c_out, c_in * kernel * kernel, rng);
    Conv2d {
        weight: Param::from_tensor(Tensor::from_data(TensorData::new(weight, [c_out, c_in, kernel, kernel]), device)),
        bias: Some(Param::from_tensor(Tensor::from_data(TensorData::new(bias, [c_out]), device))),
        stride: [1, 1],
        kernel_size: [kernel, kernel],
        dilation: [1, 1],
        groups: 1,
        padding: PaddingConfig2d::Valid,
    }
}

/// Hidden layers of an MLP torso.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Width of each hidden layer; empty = no hidden layer (the torso is the identity).
    pub hidden: Vec<usize>,
    pub activation: Activation,
}

impl Default for MlpConfig {
    /// Two hidden layers of 64 with tanh: SB3's and CleanRL's PPO torso.
    fn default() -> Self {
        MlpConfig { hidden: vec![64, 64], activation: Activation::Tanh }
    }
}

impl MlpConfig {
    /// The torso for inputs of `d_in` features, every layer drawn with `init`.
    pub fn init(&self, d_in: usize, init: Init, rng: &mut Generator, device: &Device) -> Mlp {
        let mut layers = Vec::with_capacity(self.hidden.len());
        let mut width = d_in;
        for &h in &self.hidden {
            layers.push(linear(width, h, init, rng, device));
            width = h;
        }
        Mlp { layers, activation: self.activation, out_dim: width }
    }
}

/// Linear layers, each followed by the activation.
#[derive(Module, Debug)]
pub struct Mlp {
    pub layers: Vec<Linear>,
    #[module(skip)]
    pub activation: Activation,
    #[module(skip)]
    pub out_dim: usize,
}

impl Mlp {
    pub fn forward(&self, mut x: Tensor<2>) -> Tensor<2> {
        for layer in &self.layers {
            x = self.activation.apply(layer.forward(x));
        }
        x
    }

    /// Features out of the torso (its input width when it has no layer).
    pub fn out_dim(&self) -> usize {
        self.out_dim
    }
}

/// How observation rows are turned into features, decided by the observation space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncoderKind {
    /// The flat row as it is (classic control, any Box).
    Flat { dim: usize },
    /// A MiniGrid observation `{direction, image}`: its row is the direction one-hot (4) then
    /// the `view x view x 3` image of object/colour/state indices in `[x][y][c]` order.
    MiniGrid { view: usize },
    /// A MiniGrid observation whose mission is word indices (a BabyAI level's
    /// `mission_words`): the MiniGrid row, then `words` indices from 0 (padding) to
    /// `vocabulary`.
    MiniGridMission { view: usize, words: usize, vocabulary: usize },
}

/// Direction one-hot width in a MiniGrid row.
pub(crate) const DIRECTIONS: usize = 4;

impl EncoderKind {
    /// The encoder for an environment's observation space (as `Env::observation_space`
    /// reports it; a MiniGrid `Dict` is recognised by its `direction` and `image` keys, a
    /// mission of word indices by an int64 `Box` under `mission`).
    pub fn for_space(space: &Space) -> Result<EncoderKind> {
        if let Space::Dict(items) = space {
            let get = |key: &str| items.iter().find(|(k, _)| k == key).map(|(_, s)| s);
            if let (Some(Space::Discrete { n: 4, .. }), Some(Space::Box(image))) = (get("direction"), get("image")) {
                if let Some((extra, _)) =
                    items.iter().find(|(k, _)| !["direction", "image", "mission"].contains(&k.as_str()))
                {
                    return Err(AgentError::Unsupported(format!(
                        "a MiniGrid observation with the extra key `{extra}`: the MiniGrid encoder reads `direction`, `image` and `mission` only (a wrapper such as previous_action over a MiniGrid env is not supported; give the policy memory instead)"
                    )));
                }
                let view = match image.shape[..] {
                    [w, h, 3] if w == h => w,
                    _ => {
                        return Err(AgentError::Unsupported(format!(
                            "MiniGrid image of shape {:?}: the encoder needs a square view x view x 3 image",
                            image.shape
                        )))
                    }
                };
                return match get("mission") {
                    Some(Space::Box(words)) if words.dtype == DType::Int64 && words.shape.len() == 1 => {
                        let vocabulary = words.high.iter().fold(0.0f64, |a, &b| a.max(b));
                        Ok(EncoderKind::MiniGridMission { view, words: words.shape[0], vocabulary: vocabulary as usize })
                    }
                    Some(Space::Text { .. }) | None => Ok(EncoderKind::MiniGrid { view }),
                    Some(other) => Err(AgentError::Unsupported(format!(
                        "a MiniGrid mission as {}: policies read a mission as word indices in an int64 Box (a BabyAI level's `mission_words` kwarg)",
                        other.describe()
                    ))),
                };
            }
        }
        let dim = match space {
            // A MiniGrid-like Dict without an image still has a flat row (its text is left out).
            Space::Dict(items) => items
                .iter()
                .filter(|(_, s)| !matches!(s, Space::Text { .. }))
                .map(|(_, s)| s.flat_dim())
                .sum::<std::result::Result<usize, _>>()?,
            other => other.flat_dim()?,
        };
        Ok(EncoderKind::Flat { dim })
    }

    /// Length of the observation rows this encoder reads.
    pub fn obs_dim(self) -> usize {
        match self {
            EncoderKind::Flat { dim } => dim,
            EncoderKind::MiniGrid { view } => DIRECTIONS + view * view * 3,
            EncoderKind::MiniGridMission { view, words, .. } => DIRECTIONS + view * view * 3 + words,
        }
    }
}

/// What an [`Encoder`] is built from: the observation's layout and, for a mission given as
/// word indices, how it is read (a policy's `instruction` and `film`). An [`EncoderKind`]
/// alone reads no mission.
#[derive(Clone, Debug, PartialEq)]
pub struct EncoderSpec {
    pub kind: EncoderKind,
    pub instruction: Option<InstructionConfig>,
    pub film: Option<FilmConfig>,
}

impl From<EncoderKind> for EncoderSpec {
    fn from(kind: EncoderKind) -> Self {
        EncoderSpec { kind, instruction: None, film: None }
    }
}

impl EncoderSpec {
    /// Length of the observation rows.
    pub fn obs_dim(&self) -> usize {
        self.kind.obs_dim()
    }

    /// How many leading numbers of a row observation normalization may standardize: the rest
    /// are indices an embedding looks up (the mission's words; with FiLM the image's cells too).
    pub fn normalizable_dim(&self) -> usize {
        match self.kind {
            EncoderKind::MiniGridMission { .. } if self.film.is_some() => DIRECTIONS,
            EncoderKind::MiniGridMission { view, .. } => DIRECTIONS + view * view * 3,
            kind => kind.obs_dim(),
        }
    }

    /// The mission's reading in words (`instruction gru 128, film 2x128`), if the encoder
    /// reads one: policies add it to their [`describe`](crate::policies::Policy::describe).
    pub fn describe(&self) -> Option<String> {
        let instruction = self.instruction.as_ref()?.describe();
        Some(match &self.film {
            Some(film) => format!("{instruction}, {}", film.describe()),
            None => instruction,
        })
    }
}

/// Observation rows to features: the identity for flat observations, rl-starter-files' small
/// CNN for MiniGrid images; with a mission in words and an instruction encoder, the CNN's
/// features and the instruction vector side by side, or BabyAI 1.1's FiLM encoder conditioned
/// on the instruction.
#[derive(Module, Debug)]
pub struct Encoder {
    pub cnn: Option<MiniGridCnn>,
    pub instruction: Option<InstructionEncoder>,
    pub film: Option<FilmEncoder>,
    /// Numbers of the row before the mission's words (all of it without a mission).
    #[module(skip)]
    pub image_dim: usize,
    /// Words of a mission at the row's end (0: none, or not read).
    #[module(skip)]
    pub words: usize,
    #[module(skip)]
    pub out_dim: usize,
    #[module(skip)]
    pub description: Option<String>,
}

impl Encoder {
    /// Draws every weight from `rng`: the CNN or FiLM encoder (with `init`), then the
    /// instruction encoder.
    pub fn new(spec: impl Into<EncoderSpec>, init: Init, rng: &mut Generator, device: &Device) -> Result<Encoder> {
        let spec = spec.into();
        let plain = |cnn: Option<MiniGridCnn>, image_dim: usize, out_dim: usize| Encoder {
            cnn,
            instruction: None,
            film: None,
            image_dim,
            words: 0,
            out_dim,
            description: None,
        };
        Ok(match spec.kind {
            EncoderKind::Flat { dim } => plain(None, dim, dim),
            EncoderKind::MiniGrid { view } => {
                let cnn = MiniGridCnn::new(view, init, rng, device)?;
                plain(None, 0, 0).with_cnn(cnn, spec.kind.obs_dim())
            }
            EncoderKind::MiniGridMission { view, words, vocabulary } => {
                let image_dim = DIRECTIONS + view * view * 3;
                let Some(config) = &spec.instruction else {
                    // No instruction encoder: the image alone (reward signals' embeddings).
                    return Ok(plain(None, 0, 0).with_cnn(MiniGridCnn::new(view, init, rng, device)?, image_dim));
                };
                let (cnn, film) = match &spec.film {
                    Some(film) => (None, Some(FilmEncoder::new(film, view, config.size, init, rng, device)?)),
                    None => (Some(MiniGridCnn::new(view, init, rng, device)?), None),
                };
                let instruction = InstructionEncoder::new(config, vocabulary, rng, device)?;
                let out_dim = match (&cnn, &film) {
                    (Some(cnn), _) => cnn.out_dim() + instruction.out_dim(),
                    (_, Some(film)) => film.out_dim(),
                    _ => unreachable!("a CNN or a FiLM encoder"),
                };
                Encoder {
                    cnn,
                    instruction: Some(instruction),
                    film,
                    image_dim,
                    words,
                    out_dim,
                    description: spec.describe(),
                }
            }
        })
    }

    fn with_cnn(mut self, cnn: MiniGridCnn, image_dim: usize) -> Encoder {
        (self.out_dim, self.image_dim) = (cnn.out_dim(), image_dim);
        self.cnn = Some(cnn);
        self
    }

    pub fn forward(&self, obs: Tensor<2>) -> Tensor<2> {
        let Some(instruction) = &self.instruction else {
            return match &self.cnn {
                Some(cnn) => cnn.forward(obs.narrow(1, 0, self.image_dim)),
                None => obs,
            };
        };
        let image = obs.clone().narrow(1, 0, self.image_dim);
        let words = instruction.forward(obs.narrow(1, self.image_dim, self.words));
        match (&self.cnn, &self.film) {
            (_, Some(film)) => film.forward(image, words),
            (Some(cnn), None) => Tensor::cat(vec![cnn.forward(image), words], 1),
            (None, None) => Tensor::cat(vec![image, words], 1),
        }
    }

    pub fn out_dim(&self) -> usize {
        self.out_dim
    }

    /// How the mission is read, if it is (see [`EncoderSpec::describe`]).
    pub fn describe(&self) -> Option<&str> {
        self.description.as_deref()
    }
}

/// rl-starter-files' image model: conv 2x2 -> 16, ReLU, max-pool 2, conv 2x2 -> 32, ReLU,
/// conv 2x2 -> 64, ReLU on the raw integer encoding, flattened and joined by the direction
/// one-hot (which rl-starter-files leaves out; the agent's heading matters for most tasks).
#[derive(Module, Debug)]
pub struct MiniGridCnn {
    pub conv1: Conv2d,
    pub pool: MaxPool2d,
    pub conv2: Conv2d,
    pub conv3: Conv2d,
    #[module(skip)]
    pub view: usize,
    #[module(skip)]
    pub side: usize,
}

impl MiniGridCnn {
    pub fn new(view: usize, init: Init, rng: &mut Generator, device: &Device) -> Result<MiniGridCnn> {
        // view -> view-1 (conv) -> /2 (pool) -> -1 (conv) -> -1 (conv)
        let side = ((view.saturating_sub(1)) / 2).saturating_sub(2);
        if side == 0 {
            return Err(AgentError::Unsupported(format!(
                "the MiniGrid CNN needs a view of at least 7 cells, got {view}"
            )));
        }
        Ok(MiniGridCnn {
            conv1: conv2d(3, 16, 2, init, rng, device),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            conv2: conv2d(16, 32, 2, init, rng, device),
            conv3: conv2d(32, 64, 2, init, rng, device),
            view,
            side,
        })
    }

    pub fn out_dim(&self) -> usize {
        64 * self.side * self.side + DIRECTIONS
    }

    pub fn forward(&self, obs: Tensor<2>) -> Tensor<2> {
        let [batch, _] = obs.dims();
        let v = self.view;
        let direction = obs.clone().narrow(1, 0, DIRECTIONS);
        // [B, x, y, c] -> [B, c, y, x]: channels first, rows = y as in MiniGrid's picture.
        let image = obs.narrow(1, DIRECTIONS, v * v * 3).reshape([batch, v, v, 3]).permute([0, 3, 2, 1]);
        let relu = burn::tensor::activation::relu;
        let x = self.pool.forward(relu(self.conv1.forward(image)));
        let x = relu(self.conv3.forward(relu(self.conv2.forward(x))));
        Tensor::cat(vec![x.reshape([batch, 64 * self.side * self.side]), direction], 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gram(m: &[f32], rows: usize, cols: usize, by_rows: bool) -> Vec<f64> {
        let (k, len) = if by_rows { (rows, cols) } else { (cols, rows) };
        let at = |a: usize, i: usize| if by_rows { m[a * cols + i] } else { m[i * cols + a] } as f64;
        let mut g = vec![0.0; k * k];
        for a in 0..k {
            for b in 0..k {
                g[a * k + b] = (0..len).map(|i| at(a, i) * at(b, i)).sum();
            }
        }
        g
    }

    #[test]
    fn orthogonal_is_orthonormal_times_gain() {
        let mut rng = Generator::from_seed(3);
        for (rows, cols, gain) in [(8, 5, 1.0), (5, 8, 2.0), (6, 6, 0.5)] {
            let m = orthogonal(rows, cols, gain, &mut rng);
            let by_rows = rows <= cols;
            let g = gram(&m, rows, cols, by_rows);
            let k = rows.min(cols);
            for a in 0..k {
                for b in 0..k {
                    let expected = if a == b { gain * gain } else { 0.0 };
                    assert!((g[a * k + b] - expected).abs() < 1e-5, "{rows}x{cols}: G[{a},{b}] = {}", g[a * k + b]);
                }
            }
        }
    }

    #[test]
    fn fast_tanh_is_tanh() {
        let (mut worst_abs, mut worst_rel) = (0.0f64, 0.0f64);
        for i in -20_000..=20_000 {
            let x = i as f32 * 1e-3;
            let exact = (x as f64).tanh();
            let error = (tanh_f32(x) as f64 - exact).abs();
            worst_abs = worst_abs.max(error);
            if x != 0.0 {
                worst_rel = worst_rel.max(error / exact.abs());
            }
        }
        eprintln!("fast tanh: worst absolute error {worst_abs:e}, relative {worst_rel:e}");
        assert!(worst_abs < 5e-7 && worst_rel < 1e-6, "{worst_abs} {worst_rel}");
        // Saturates within (-1, 1) far out; odd.
        assert!(tanh_f32(1e6) <= 1.0 && 1.0 - tanh_f32(1e6) < 1e-6 && tanh_f32(-1e6) == -tanh_f32(1e6));
        assert_eq!(tanh_f32(0.0), 0.0);
    }

    #[test]
    fn tanh_activation_has_the_tanh_gradient() {
        let device = Device::flex().autodiff();
        let x: Vec<f32> = (-40..=40).map(|i| i as f32 * 0.1).collect();
        let n = x.len();
        let input = Tensor::<1>::from_data(TensorData::new(x.clone(), [n]), &device).require_grad();
        let y = Activation::Tanh.apply(input.clone());
        let grads = y.clone().mul_scalar(3.0).sum().backward();
        let grad = input.grad(&grads).unwrap().into_data().try_into_vec::<f32>().unwrap();
        let y = y.into_data().try_into_vec::<f32>().unwrap();
        for i in 0..n {
            let t = (x[i] as f64).tanh();
            assert!((y[i] as f64 - t).abs() < 5e-7);
            assert!((grad[i] as f64 - 3.0 * (1.0 - t * t)).abs() < 1e-5, "x = {}: {}", x[i], grad[i]);
        }
        // On a plain device it is just the values.
        let plain = Activation::Tanh.apply(Tensor::<1>::from_data(TensorData::new(x, [n]), &Device::flex()));
        assert_eq!(plain.into_data().try_into_vec::<f32>().unwrap(), y);
    }

    #[test]
    fn same_seed_same_weights() {
        let device = Device::flex();
        let build = |seed| {
            let mut rng = Generator::from_seed(seed);
            let mlp = MlpConfig::default().init(3, Init::orthogonal_hidden(), &mut rng, &device);
            mlp.layers[1].weight.val().into_data().try_into_vec::<f32>().unwrap()
        };
        assert_eq!(build(1), build(1));
        assert_ne!(build(1), build(2));
    }

    #[test]
    fn linear_matches_pytorch_layout() {
        // y = x W^T + b with PyTorch's [out, in] W: burn's weight must be its transpose.
        let device = Device::flex();
        let mut rng = Generator::from_seed(0);
        let (w, _) = Init::Orthogonal { gain: 1.0 }.draw(2, 3, &mut Generator::from_seed(0));
        let layer = linear(3, 2, Init::Orthogonal { gain: 1.0 }, &mut rng, &device);
        let y = layer.forward(Tensor::<2>::from_data(TensorData::new(vec![1.0f32, 2.0, 3.0], [1, 3]), &device));
        let y = y.into_data().try_into_vec::<f32>().unwrap();
        for (o, y) in y.iter().enumerate() {
            let expected: f32 = (0..3).map(|i| w[o * 3 + i] * (i + 1) as f32).sum();
            assert!((y - expected).abs() < 1e-5);
        }
        // The default init keeps weight and bias within ±1/sqrt(fan_in).
        let layer = linear(4, 3, Init::TorchDefault, &mut rng, &device);
        let w = layer.weight.val().into_data().try_into_vec::<f32>().unwrap();
        assert!(w.iter().all(|x| x.abs() <= 0.5) && w.iter().any(|&x| x != 0.0));
    }

    #[test]
    fn encoder_follows_the_observation_space() {
        let cartpole = Space::vector_box(&[-1.0; 4], &[1.0; 4], DType::Float32);
        assert_eq!(EncoderKind::for_space(&cartpole).unwrap(), EncoderKind::Flat { dim: 4 });
        let minigrid = Space::dict(vec![
            ("direction".into(), Space::discrete(4)),
            ("image".into(), Space::uniform_box(0.0, 255.0, &[7, 7, 3], DType::UInt8)),
            ("mission".into(), Space::Text { min_length: 1, max_length: 10, charset: "ab".into() }),
        ]);
        let kind = EncoderKind::for_space(&minigrid).unwrap();
        assert_eq!(kind, EncoderKind::MiniGrid { view: 7 });
        assert_eq!(kind.obs_dim(), 151);
        let Space::Dict(mut items) = minigrid.clone() else { unreachable!() };
        items.push(("prev_action".into(), Space::discrete(7)));
        let error = EncoderKind::for_space(&Space::Dict(items)).unwrap_err().to_string();
        assert!(error.contains("extra key `prev_action`"), "{error}");
        let device = Device::flex();
        let encoder = Encoder::new(kind, Init::orthogonal_hidden(), &mut Generator::from_seed(0), &device).unwrap();
        assert_eq!(encoder.out_dim(), 68);
        let mut row = vec![0.0f32; 151];
        row[2] = 1.0;
        row[4..].iter_mut().enumerate().for_each(|(i, x)| *x = (i % 11) as f32);
        let features = encoder.forward(Tensor::from_data(TensorData::new(row, [1, 151]), &device));
        let features = features.into_data().try_into_vec::<f32>().unwrap();
        assert_eq!(features.len(), 68);
        assert_eq!(features[64..], [0.0, 0.0, 1.0, 0.0], "the direction one-hot is passed through");
        let small = Space::dict(vec![
            ("direction".into(), Space::discrete(4)),
            ("image".into(), Space::uniform_box(0.0, 255.0, &[5, 5, 3], DType::UInt8)),
        ]);
        let kind = EncoderKind::for_space(&small).unwrap();
        let error = Encoder::new(kind, Init::orthogonal_hidden(), &mut Generator::from_seed(0), &device).unwrap_err();
        assert!(error.to_string().contains("at least 7"), "{error}");
    }
}

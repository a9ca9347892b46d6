//! Pictures of environments: RGB frames, drawing on them (a small rasterizer that reproduces
//! pygame's primitives), Gymnasium's classic-control pictures, and export to PNG and animated GIF.

mod canvas;
pub mod classic;
mod export;

use crate::error::{EnvError, Result};
pub use canvas::Rgb;
pub use export::{
    encode_gif, encode_png, encode_png_with, save_frames, save_gif, save_png, write_atomically, PngCompression,
};
use std::sync::Arc;

/// An RGB picture, row-major, 3 bytes per pixel (Gymnasium's `rgb_array`, shape `[H, W, 3]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

impl Frame {
    /// A frame filled with one colour.
    pub fn filled(width: usize, height: usize, rgb: [u8; 3]) -> Frame {
        Frame { width, height, pixels: rgb.repeat(width * height) }
    }

    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 3;
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
    }
}

/// Draws the picture one observation row shows, for steps seen after the fact (clips a person
/// judges): `(obs, action)` -> frame, `action` being what was done at that observation (Pendulum
/// draws its torque). An env offers one where its observation determines its picture
/// ([`Env::observation_painter`](crate::Env::observation_painter)).
pub type ObservationPainter = Arc<dyn Fn(&[f32], &[f32]) -> Result<Frame> + Send + Sync>;

/// Checks that `obs` has the `len` numbers a painter for `env` reads.
pub fn check_painted_row(env: &str, obs: &[f32], len: usize) -> Result<()> {
    if obs.len() != len || obs.iter().any(|x| !x.is_finite()) {
        return Err(EnvError::Unsupported(format!(
            "a {env} picture needs an observation of {len} finite numbers, got {obs:?}"
        )));
    }
    Ok(())
}

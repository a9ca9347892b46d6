//! Pictures of environments: RGB frames, drawing on them (a small rasterizer that reproduces
//! pygame's primitives), Gymnasium's classic-control pictures, and export to PNG and animated GIF.

mod canvas;
pub mod classic;
mod export;

pub use canvas::Rgb;
pub use export::{
    encode_gif, encode_png, encode_png_with, save_frames, save_gif, save_png, write_atomically, PngCompression,
};

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
